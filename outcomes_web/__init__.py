"""The check-in web server: a second front end beside the Textual app (issue 25).

`outcomes serve` runs `make_app` on uvicorn (`outcomes_web.serve`). The web
framework (Starlette, Jinja2 templates, uvicorn) stays inside this package;
it reads and writes through `db/`, asks `outcomes/` for every rule and word,
and draws the patient's chart through `reports/`. docs/checkins.md describes
the pages and their security model.
"""

from outcomes_web.app import make_app

__all__ = ["make_app"]
