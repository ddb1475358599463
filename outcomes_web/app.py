"""The check-in web application: the pages a patient opens from their link, and nothing else.

Routes (every other path is a plain "not found"):

- ``GET /c/<token>``: the questionnaire of that link, or a kind page saying
  why it cannot be used (spent, expired, revoked, not open yet, unknown);
- ``POST /c/<token>``: the answers; stored as the patient's own scores and the
  link spent (`db.checkins.submit_checkin`), then a thank-you page with the
  clinic's crisis text where PHQ-9 item 9 (or another suicidality item) was
  positive, and the patient's own progress where the clinic allows it;
- ``GET /code`` and ``POST /code``: the same for a short code typed from the
  take-home page (the code travels in the form's body, never in a URL);
- ``GET /health``: ``ok`` when the database opens.

Every refusal is a page in plain words and writes nothing. Each thread of the
server keeps one connection to the clinic's file; writes go through `db/`
(one transaction with its audit row, waiting for another program's lock as
the app does). Every sentence comes from `outcomes.checkin`.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
from datetime import datetime
from functools import partial
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

import db
from db import checkins
from outcomes import checkin as words
from outcomes.self_report import checked_answers, positive_safety_item
from outcomes_web.forms import BadForm, kept_answers, parse_body, read_answers, shown_scales
from outcomes_web.guard import AttemptLimiter, FormTokens, Guard, content_security_policy

LOG = logging.getLogger("outcomes.checkin")
CODE_PURPOSE = "code"


class CheckinSite:
    """The pages of one clinic's database, with their per-process secrets and counters."""

    def __init__(self, db_path: str | Path, *, limiter: AttemptLimiter | None = None) -> None:
        self.db_path = Path(db_path).expanduser()
        self.limiter = limiter or AttemptLimiter()
        self.tokens = FormTokens()
        self.css = resources.files("outcomes_web").joinpath("static/checkin.css").read_text()
        self.style_hash = base64.b64encode(hashlib.sha256(self.css.encode()).digest()).decode()
        #: The file at the path when the server started: another one later is a restore (issue 21).
        self.opened_identity = db.identity_of(self.db_path)
        self.replaced_logged = False
        self.env = Environment(
            loader=PackageLoader("outcomes_web", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
        )
        self._local = threading.local()
        # One writer at a time within this server: its threads queue here and are woken at once,
        # instead of each polling SQLite's lock (whose busy handler sleeps up to 100 ms a try).
        # Another program's lock is still waited for through `db` (db/lock_wait.py).
        self.write_lock = threading.Lock()

    # ----- storage: one connection per server thread -----------------------------
    def database(self):
        handle = getattr(self._local, "db", None)
        if handle is None:
            handle = self._local.db = db.connect(self.db_path)
        return handle

    def clinic(self) -> str:
        return db.load_settings(self.database()).clinic_name

    # ----- pages ------------------------------------------------------------------
    def page(self, template: str, status: int = 200, **values) -> HTMLResponse:
        values.setdefault("title", words.PAGE_TITLE)
        values.setdefault("clinic", self._clinic_or_blank())
        html = self.env.get_template(template).render(css=self.css, **values)
        return HTMLResponse(html, status_code=status)

    def _clinic_or_blank(self) -> str:
        try:
            return self.clinic()
        except Exception:  # a page that says the database is away still renders
            return ""

    def message(self, text: str, status: int) -> HTMLResponse:
        return self.page("message.html", status, message=text)

    def client(self, request: Request) -> str:
        return request.client.host if request.client else "unknown"

    # ----- finding the link -----------------------------------------------------------
    def _link_or_refusal(self, request: Request, *, token=None, code=None):
        """(link, None) for an open link; (None, page) otherwise. Counts failed attempts."""
        client = self.client(request)
        if self.limiter.blocked(client):
            return None, self.message(words.TOO_MANY_TRIES, 429)
        link = None
        if token is not None and words.token_shape_ok(token):
            link = checkins.find_link(self.database(), token=token)
        elif code is not None:
            link = checkins.find_link(self.database(), code=code)
        if link is None:
            self.limiter.failed(client)
            unknown = words.UNKNOWN_CODE if token is None else words.UNKNOWN_LINK
            return None, self.message(unknown, 404)
        state = link.state(checkins.utc_now())
        if state == words.OPEN:
            return link, None
        if state == words.EXPIRED:
            checkins.expire_links(self.database())  # its expiry goes into the audit trail, once
        if state == words.NOT_YET:
            return None, self.message(words.not_yet_words(link.valid_from), 403)
        return None, self.message(words.LINK_WORDS[state], 410)

    def form_page(self, link, *, action, code=None, answers=None, missing=(), status=200):
        name = checkins.patient_first_details(self.database(), link.patient_id)
        return self.page(
            "form.html",
            status,
            greeting=words.greeting(name),
            intro=words.INTRO,
            scales=shown_scales(link.scales),
            csrf=self.tokens.make(f"link:{link.id}"),
            action=action,
            code=code,
            answers=answers or {},
            missing=list(missing),
            missing_words=words.MISSING_ANSWERS,
            send=words.SEND,
        )

    # ----- routes (run in a worker thread: SQLite and matplotlib block) --------------
    def show_link(self, request: Request, token: str) -> Response:
        link, refusal = self._link_or_refusal(request, token=token)
        if refusal:
            return refusal
        return self.form_page(link, action=f"/c/{token}")

    def post_link(self, request: Request, token: str, content_type, body: bytes) -> Response:
        link, refusal = self._link_or_refusal(request, token=token)
        if refusal:
            return refusal
        return self.submission(request, link, content_type, body, f"/c/{token}", None)

    def show_code(self, request: Request) -> Response:
        return self.page("code.html", csrf=self.tokens.make(CODE_PURPOSE), prompt=words.ENTER_CODE)

    def post_code(self, request: Request, content_type, body: bytes) -> Response:
        try:
            fields = parse_body(content_type, body)
        except BadForm:
            return self.message(words.BAD_REQUEST, 400)
        typed = fields.get("code", "")
        code = words.normalise_code(typed)
        if set(fields) == {"csrf", "code"}:
            if not self.tokens.valid(CODE_PURPOSE, fields["csrf"]):
                return self.message(words.FORM_EXPIRED, 403)
        if code is None:
            if self.limiter.blocked(self.client(request)):
                return self.message(words.TOO_MANY_TRIES, 429)
            self.limiter.failed(self.client(request))
            return self._code_again(words.UNKNOWN_CODE)
        link, refusal = self._link_or_refusal(request, code=code)
        if refusal:
            return refusal
        if set(fields) == {"csrf", "code"}:
            return self.form_page(link, action="/code", code=words.code_groups(code))
        return self.submission(request, link, content_type, body, "/code", words.code_groups(code))

    def _code_again(self, problem: str) -> Response:
        return self.page(
            "code.html",
            404,
            csrf=self.tokens.make(CODE_PURPOSE),
            prompt=words.ENTER_CODE,
            problem=problem,
        )

    def submission(self, request, link, content_type, body, action, code) -> Response:
        """Check a posted form for `link` and store it, or say why not; writes nothing on refusal."""
        if request.headers.get("sec-fetch-site", "") == "cross-site":
            return self.message(words.FORM_EXPIRED, 403)
        try:
            fields = parse_body(content_type, body)
            if not self.tokens.valid(f"link:{link.id}", fields.get("csrf")):
                return self.message(words.FORM_EXPIRED, 403)
            extra = frozenset({"csrf", "code"} if code else {"csrf"})
            qs, answers, missing = read_answers(link.scales, fields, extra)
        except BadForm:
            return self.message(words.BAD_REQUEST, 400)
        if missing:
            kept = kept_answers(qs, answers)
            return self.form_page(
                link, action=action, code=code, answers=kept, missing=missing, status=422
            )
        checked = checked_answers(link.patient_id, qs, answers, datetime.now())
        if any(not c.ok for c in checked):
            return self.message(words.BAD_REQUEST, 400)
        database = self.database()
        try:
            with self.write_lock:
                checkins.submit_checkin(database, link.id, [c.values for c in checked])
        except db.LockWaitTooLong:
            return self.message(words.NOT_SAVED, 503)
        except db.StorageError:
            # Spent meanwhile (a second tab, a double press): the link's own words.
            fresh = checkins.get_link(database, link.id)
            state = fresh.state(checkins.utc_now())
            text = words.LINK_WORDS.get(state, words.NOT_SAVED)
            return self.message(text, 410 if state != words.OPEN else 503)
        return self.thanks(link, qs, answers)

    def thanks(self, link, qs, answers) -> Response:
        settings = db.load_settings(self.database())
        positive = positive_safety_item(qs, answers, settings)
        progress = None
        if settings.checkin_show_progress:
            from outcomes_web.progress import progress_of

            today = datetime.now().date()
            progress = progress_of(
                self.database(), link.patient_id, link.scales[0], settings, today
            )
        return self.page(
            "thanks.html",
            title=words.THANK_YOU.split(".")[0],
            thanks=words.THANK_YOU,
            crisis=settings.crisis_text if positive else None,
            team_told=words.TEAM_TOLD,
            progress=progress,
            close=words.CLOSE_PAGE,
        )

    def health(self) -> Response:
        self.database().conn.execute("SELECT 1").fetchone()
        return PlainTextResponse("ok")

    def refusal_if_replaced(self, health: bool = False) -> Response | None:
        """A refusal while the path names another file than the one the server started with.

        Its threads' connections would read the old file and a new thread's would write into the
        restored one: every request is refused in words (nothing written anywhere) and the log
        says, once, to restart the server.
        """
        if self.opened_identity is None or db.identity_of(self.db_path) == self.opened_identity:
            return None
        if not self.replaced_logged:
            self.replaced_logged = True
            LOG.error("%s; restart `outcomes serve`", db.replaced_message(self.db_path))
        if health:
            return PlainTextResponse("clinic file replaced: restart the server", 503)
        return self.message(words.UNAVAILABLE, 503)


def _checked(site: CheckinSite, page, health: bool = False):
    """`page`, unless the clinic file was replaced under the server (then its refusal)."""

    def run(*args):
        refusal = site.refusal_if_replaced(health)
        return refusal if refusal is not None else page(*args)

    return run


def make_app(db_path: str | Path, *, limiter: AttemptLimiter | None = None):
    """The ASGI application for one clinic's database file (wrapped in `Guard`)."""
    site = CheckinSite(db_path, limiter=limiter)
    checkins.expire_links(site.database())  # links that ran out while the server was down

    async def show_link(request: Request) -> Response:
        return await run_in_threadpool(
            _checked(site, site.show_link), request, request.path_params["token"]
        )

    async def post_link(request: Request) -> Response:
        body = await request.body()
        return await run_in_threadpool(
            _checked(site, site.post_link),
            request,
            request.path_params["token"],
            request.headers.get("content-type"),
            body,
        )

    async def show_code(request: Request) -> Response:
        return await run_in_threadpool(_checked(site, site.show_code), request)

    async def post_code(request: Request) -> Response:
        body = await request.body()
        return await run_in_threadpool(
            partial(
                _checked(site, site.post_code), request, request.headers.get("content-type"), body
            )
        )

    async def health(request: Request) -> Response:
        return await run_in_threadpool(_checked(site, site.health, health=True))

    async def not_found(request: Request, exc) -> Response:
        status = getattr(exc, "status_code", 404)
        text = "This page does not exist." if status == 404 else "That is not allowed here."
        return PlainTextResponse(text, status_code=status if status in (404, 405) else 404)

    routes = [
        Route("/c/{token}", show_link, methods=["GET"]),
        Route("/c/{token}", post_link, methods=["POST"]),
        Route("/code", show_code, methods=["GET"]),
        Route("/code", post_code, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
    app.state.site = site
    return Guard(app, content_security_policy(site.style_hash))
