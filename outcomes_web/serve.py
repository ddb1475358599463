"""Running the check-in pages on uvicorn: `outcomes serve`.

uvicorn's own access log prints each request's path, which holds the link's
token, so it is switched off; `outcomes_web.guard.Guard` logs each request
instead with the route's shape (``/c/…``). uvicorn's error log keeps its
start-up and shutdown lines. Exceptions never reach uvicorn (the guard turns
them into a plain page and a one-line log entry naming only their type), so
no traceback is printed either.
"""

from __future__ import annotations

import logging
from pathlib import Path

#: uvicorn's logging, without the access log and with a line format of our own.
LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(message)s"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        "outcomes.checkin": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


def run(
    db_path: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    certfile: str | None = None,
    keyfile: str | None = None,
    forwarded_allow_ips: str | None = None,
) -> None:
    """Serve the check-in pages of `db_path` until interrupted."""
    import uvicorn

    from outcomes_web.app import make_app

    app = make_app(db_path)
    logging.getLogger("outcomes.checkin").setLevel(logging.INFO)
    uvicorn.run(
        app,
        host=host,
        port=port,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        access_log=False,
        log_config=LOG_CONFIG,
        server_header=False,
        proxy_headers=True,
        # Only a reverse proxy on this machine is trusted to name the patient's address
        # (X-Forwarded-For): the attempt limit counts per client.
        forwarded_allow_ips=forwarded_allow_ips or "127.0.0.1",
        limit_concurrency=200,
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=16 * 1024,
    )
