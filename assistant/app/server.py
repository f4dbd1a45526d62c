"""Serving: the Gradio page at /, article pages, the health check and the admin sign-in.

Gradio's upload endpoint stores files for anyone who posts them; here it only accepts
requests that carry an admin session cookie (given by ``/admin/login`` for the right
password). A full queue is answered "busy, try again". Host and port come from Settings
(``CRAMP_*``, else Gradio's own variables). Behind a reverse proxy listed in
``CRAMP_TRUSTED_PROXIES`` the client address (for admin lockouts) is the one it forwards in
X-Forwarded-For; from anywhere else that header is ignored.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable
from typing import Any

import gradio as gr
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ..errors import AssistantError
from .guard import NotAllowed
from .library import Library
from .markdown import SpansError, parse_spans
from .render import SCROLL_JS, article_html
from .style import CSS, HEAD, THEME

log = logging.getLogger("assistant.app")
COOKIE = "cramp_admin"
BUSY = "The assistant is busy right now: please try again in a few seconds."
NO_UPLOAD = "Sign in with the admin password (Library tab) before choosing files to upload."
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCROLL_JS.encode()).digest()).decode()
# An article page runs only its own scroll script and loads nothing from anywhere else.
ARTICLE_HEADERS = {
    "Content-Security-Policy": f"default-src 'none'; style-src 'unsafe-inline'; script-src "
                               f"'sha256-{_SCRIPT_HASH}'; img-src 'self'; base-uri 'none'; "
                               "form-action 'none'",
    "Referrer-Policy": "no-referrer",
}


class Login(BaseModel):
    password: str = Field("", max_length=1000)


class Gate:
    """ASGI middleware in front of Gradio: uploads only from an admin session, and a full
    queue answered in words (Gradio's own clients key on the 503 status, not the text)."""

    def __init__(self, app: ASGIApp, allowed: Callable[[str | None], bool]) -> None:
        self.app, self.allowed = app, allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "/gradio_api/" not in scope["path"]:
            await self.app(scope, receive, send)
            return
        if (scope["path"].rstrip("/").endswith("/gradio_api/upload")
                and not self.allowed(Request(scope).cookies.get(COOKIE))):
            await PlainTextResponse(NO_UPLOAD, status_code=403)(scope, receive, send)
            return
        busy = False

        async def say_busy(message: Message) -> None:
            nonlocal busy
            if message["type"] == "http.response.start" and message["status"] == 503:
                busy = True
                return
            if busy and message["type"] == "http.response.body":
                if not message.get("more_body"):
                    await JSONResponse({"detail": BUSY}, status_code=503)(scope, receive, send)
                return
            await send(message)

        await self.app(scope, receive, say_busy)


def create_app(library: Library, demo: gr.Blocks) -> FastAPI:
    """The served application: the Gradio page at / and the routes beside it."""
    app = FastAPI()
    settings = library.settings
    app.add_middleware(Gate, allowed=library.guard.session_ok)
    if settings.trusted_proxies.strip():  # outermost: every route sees the real client
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)

    @app.get("/article/{article_id}", response_class=HTMLResponse)
    def article(article_id: str, spans: str = "") -> HTMLResponse:
        try:
            wanted = parse_spans(spans, settings.max_spans, settings.max_spans_chars)
        except SpansError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc
        try:
            doc = library.article(article_id)
        except AssistantError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc
        return HTMLResponse(article_html(doc, wanted), headers=ARTICLE_HEADERS)

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        status = library.status()
        return {"ok": True, "articles": status.corpus_articles, "build_id": status.build_id}

    @app.post("/admin/login")
    def login(body: Login, request: Request) -> JSONResponse:
        return sign_in(library, body.password, request)

    return gr.mount_gradio_app(app, demo, path="/", theme=THEME, css=CSS, head=HEAD,
                               footer_links=["api"], run_history=False,
                               max_file_size=settings.max_upload_bytes)


def sign_in(library: Library, password: str, request: Request) -> JSONResponse:
    """Check the password (with this client's lockout) and open an admin session cookie."""
    client = request.client.host if request.client else "unknown"
    try:
        token = library.guard.sign_in(password, client)
    except NotAllowed as exc:
        return JSONResponse({"ok": False, "message": str(exc)}, status_code=403)
    response = JSONResponse({"ok": True, "message": "Signed in: you can upload articles now. "
                             "Changes still ask for the password."})
    # Inside the Hugging Face page the app is a cross-site frame: its cookie must be
    # SameSite=None (and so Secure) to be sent; served directly it stays Strict.
    https = request.headers.get("x-forwarded-proto", request.url.scheme) == "https"
    response.set_cookie(COOKIE, token, max_age=library.settings.admin_session_seconds,
                        httponly=True, secure=https, samesite="none" if https else "strict")
    return response


def serve(library: Library, demo: gr.Blocks) -> None:
    """Bring the index up to date and load the assistant, then serve on the configured host."""
    import uvicorn

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("assistant").setLevel(logging.INFO)
    built = library.prepare()
    if built:
        log.info("%s", built)
    settings = library.settings
    print(f"Cramp assistant on http://{settings.host}:{settings.port}", flush=True)
    # proxy_headers off: uvicorn would trust X-Forwarded-For from 127.0.0.1 by default;
    # create_app trusts exactly CRAMP_TRUSTED_PROXIES instead.
    try:
        uvicorn.run(create_app(library, demo), host=settings.host, port=settings.port,
                    log_level="warning", proxy_headers=False)
    finally:
        library.close()  # writes the feedback still waiting, if the database answers
