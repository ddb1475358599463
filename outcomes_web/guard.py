"""What stands in front of every check-in page: headers, body size, attempt limits, form tokens.

- `Guard` is plain ASGI middleware around the whole application. It puts the
  security headers on every response (a strict Content-Security-Policy,
  ``Cache-Control: no-store``, ``X-Frame-Options: DENY``, ``Referrer-Policy:
  no-referrer``, ``X-Content-Type-Options: nosniff``), refuses a body over
  `MAX_BODY` before any of it is parsed (by its Content-Length, and by
  counting when it comes in chunks), and writes the access log itself: method,
  the route's shape (``/c/…``, never the token), status and milliseconds, as
  uvicorn's own access log (which prints the path) is off.
- `AttemptLimiter` counts failed link and code attempts per client and shuts
  the client out for a while after `MAX_FAILURES` in `WINDOW_S`.
- `FormTokens` signs the hidden CSRF field of each form with a key held only
  in this process (HMAC-SHA256 of the link and the time the form was made), so
  a form posted from anywhere else, or replayed after `FORM_MAX_AGE_S`, is
  refused.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections import deque

#: Largest request body accepted: a check-in form is well under 2 KB.
MAX_BODY = 16 * 1024
#: Failed link or code attempts a client may make within `WINDOW_S` seconds.
MAX_FAILURES = 10
WINDOW_S = 15 * 60
#: How long a form stays good to send (a slow reader is given two hours).
FORM_MAX_AGE_S = 2 * 60 * 60

LOG = logging.getLogger("outcomes.checkin")


def content_security_policy(style_hash: str) -> str:
    """Nothing may load but the page's own stylesheet (by its hash) and an inline chart image."""
    return (
        "default-src 'none'; "
        f"style-src 'sha256-{style_hash}'; "
        "img-src data:; "
        "form-action 'self'; "
        "base-uri 'none'; "
        "frame-ancestors 'none'"
    )


def route_shape(path: str) -> str:
    """The path as the log may show it: a token or anything unknown is never written out."""
    if path.startswith("/c/"):
        return "/c/…"
    if path in ("/code", "/health", "/"):
        return path
    return "(other)"


class Guard:
    """ASGI middleware: security headers, body limit and the token-free access log."""

    def __init__(self, app, csp: str) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", csp.encode()),
            (b"cache-control", b"no-store"),
            (b"pragma", b"no-cache"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-content-type-options", b"nosniff"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        self.names = {name for name, _ in self.headers}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 0}

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                kept = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in self.names
                ]
                message = {**message, "headers": kept + self.headers}
            await send(message)

        try:
            body = await _whole_body(scope, receive)
            if body is None:
                await _too_large(send_with_headers)
                return
            await self.app(scope, _replay(body, receive), send_with_headers)
        except Exception as exc:  # never a traceback: not to the patient, not into the log
            LOG.error("check-in page failed: %s", type(exc).__name__)
            if status["code"] == 0:
                await _plain(send_with_headers, 500, b"Something went wrong. Nothing was stored.")
        finally:
            LOG.info(
                "%s %s %s %.0f ms",
                scope.get("method", "?"),
                route_shape(scope.get("path", "")),
                status["code"] or "-",
                (time.perf_counter() - started) * 1000,
            )


def _declared_length(scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return MAX_BODY + 1  # a length that is not a number is refused like a huge one
    return 0


async def _whole_body(scope, receive) -> bytes | None:
    """The request's body, read before any of it is parsed; None when it is over `MAX_BODY`."""
    if _declared_length(scope) > MAX_BODY:
        return None
    if scope.get("method") in ("GET", "HEAD"):
        return b""
    parts, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)


def _replay(body: bytes, receive):
    sent = {"done": False}

    async def replay():
        if not sent["done"]:
            sent["done"] = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: the disconnect, when it comes

    return replay


async def _too_large(send) -> None:
    await _plain(send, 413, b"The page sent too much data. Nothing was stored.")


async def _plain(send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class AttemptLimiter:
    """Failed link attempts per client, forgotten after `WINDOW_S`; thread-safe."""

    def __init__(self, max_failures: int = MAX_FAILURES, window_s: float = WINDOW_S) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.setdefault(client, deque())
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def blocked(self, client: str) -> bool:
        with self._lock:
            times = self._recent(client, time.monotonic())
            if not times:
                self._failures.pop(client, None)
            return len(times) >= self.max_failures

    def failed(self, client: str) -> None:
        with self._lock:
            self._recent(client, time.monotonic()).append(time.monotonic())


class FormTokens:
    """Signed hidden form fields binding a form to one link (or the code page) and a time."""

    def __init__(self, key: bytes | None = None, max_age_s: float = FORM_MAX_AGE_S) -> None:
        self.key = key or secrets.token_bytes(32)
        self.max_age_s = max_age_s

    def _mac(self, purpose: str, stamp: int) -> str:
        message = f"{purpose}|{stamp}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def make(self, purpose: str) -> str:
        stamp = int(time.time())
        return f"{stamp}.{self._mac(purpose, stamp)}"

    def valid(self, purpose: str, token: str | None) -> bool:
        if not token or "." not in token or len(token) > 100:
            return False
        stamp_text, mac = token.split(".", 1)
        if not stamp_text.isdigit():
            return False
        stamp = int(stamp_text)
        if not 0 <= time.time() - stamp <= self.max_age_s:
            return False
        return hmac.compare_digest(mac, self._mac(purpose, stamp))
