"""The check-in pages served by uvicorn on 127.0.0.1 in a thread, for the browser test and the benchmark."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Iterator

import uvicorn

from outcomes_web import make_app
from outcomes_web.serve import LOG_CONFIG


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serving(db_path) -> Iterator[str]:
    """Serve `db_path` until the block ends; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(
        make_app(db_path), host="127.0.0.1", port=port, access_log=False, log_config=LOG_CONFIG
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = threading.Event()
    while not started.wait(0.05):
        if server.started:
            started.set()
        if not thread.is_alive():
            raise RuntimeError("the check-in server did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
