"""ASGI middleware in front of everything the app serves, acting before a body is read.

- Gradio's upload endpoint stores files for anyone who posts them: here it only accepts
  requests that carry an admin session cookie (``/admin/login`` gives one).
- Any other request body over ``max_request_bytes`` is refused (413) unread: a question and
  the history it needs are far smaller, and parsing megabytes would cost every other user.
- Bodies over ``large_request_bytes`` (a long chat) are read and handled one at a time, in
  the order they came: a crowd sending the largest accepted bodies shares one lane, and
  everyone else's questions go by beside it.
- Gradio's "queue full" (503) is said in words, with Retry-After.

Refusals are sent after a pause, so a client that sends them in a loop is slowed down rather
than served as fast as it can ask (as wrong admin passwords are).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..settings import Settings
from .slots import BUSY

COOKIE = "cramp_admin"
NO_UPLOAD = "Sign in with the admin password (Library tab) before choosing files to upload."


def too_large(limit: int) -> str:
    return (f"This request is larger than the app accepts ({limit:,} bytes, "
            "CRAMP_MAX_REQUEST_BYTES): only the last turns of a chat are used, so send fewer "
            "earlier turns, or press Clear to start a new chat.")


class Gate:
    """See the module docstring. ``allowed(cookie)`` says whether an admin session is open."""

    def __init__(self, app: ASGIApp, allowed: Callable[[str | None], bool],
                 settings: Settings) -> None:
        self.app, self.allowed = app, allowed
        self.limit, self.pause = settings.max_request_bytes, settings.refusal_pause_seconds
        self.busy = JSONResponse({"detail": BUSY}, status_code=503,
                                 headers={"Retry-After": str(settings.retry_after_seconds)})
        self.large = JSONResponse({"detail": too_large(self.limit)}, status_code=413)
        self.lane_from = settings.large_request_bytes
        self._lane: asyncio.Lock | None = None  # made in the server's event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].rstrip("/").endswith("/gradio_api/upload"):  # its own size limit
            if self.allowed(Request(scope).cookies.get(COOKIE)):
                await self.app(scope, receive, send)
            else:
                await PlainTextResponse(NO_UPLOAD, status_code=403)(scope, receive, send)
            return
        size = dict(scope["headers"]).get(b"content-length", b"")
        if size.isdigit() and int(size) > self.limit:
            await asyncio.sleep(self.pause)
            await self.large(scope, receive, send)
            return
        receive = self._capped(receive)
        if "/gradio_api/" in scope["path"]:
            send = self._busy_in_words(scope, receive, send)
        if size.isdigit() and int(size) > self.lane_from:
            self._lane = self._lane or asyncio.Lock()  # asyncio's lock wakes waiters in order
            async with self._lane:
                await self.app(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _capped(self, receive: Receive) -> Receive:
        """A body sent without a length is cut off (as a disconnect) past the limit."""
        seen = 0

        async def capped() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            return {"type": "http.disconnect"} if seen > self.limit else message
        return capped

    def _busy_in_words(self, scope: Scope, receive: Receive, send: Send) -> Send:
        busy = False

        async def say_busy(message: Message) -> None:
            nonlocal busy
            if message["type"] == "http.response.start" and message["status"] == 503:
                busy = True
                return
            if busy and message["type"] == "http.response.body":
                if not message.get("more_body"):
                    await asyncio.sleep(self.pause)
                    await self.busy(scope, receive, send)
                return
            await send(message)
        return say_busy
