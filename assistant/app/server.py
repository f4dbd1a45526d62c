"""Serving: the Gradio page at /, the JSON API (:mod:`.api`), article pages, the health
check and the admin sign-in, behind :class:`.gate.Gate` (uploads only from an admin session,
bounded request bodies, "busy, try again" in words). The server answers at once; the index
and the model load in the background (:meth:`Library.start`). Host and port come from
Settings (``CRAMP_*``, else Gradio's own variables). Behind a reverse proxy listed in
``CRAMP_TRUSTED_PROXIES`` the client address (for admin lockouts) is the one it forwards in
X-Forwarded-For; from anywhere else that header is ignored.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from typing import Any

import gradio as gr
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .. import __version__
from ..errors import AssistantError
from .api import api_router
from .gate import COOKIE, Gate
from .guard import NotAllowed
from .library import Library
from .markdown import SpansError, parse_spans
from .render import SCROLL_JS, article_html
from .style import CSS, HEAD, THEME

log = logging.getLogger("assistant.app")
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


def create_app(library: Library, demo: gr.Blocks) -> FastAPI:
    """The served application: the Gradio page at / and the routes beside it."""
    app = FastAPI(title="Cramp assistant", version=__version__, docs_url="/api/v1/docs",
                  openapi_url="/api/v1/openapi.json", redoc_url=None)
    settings = library.settings
    app.add_middleware(Gate, allowed=library.guard.session_ok, settings=settings)
    app.include_router(api_router(library))
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
        """Up (``ok``), ``ready`` once the index and the model are loaded, and the build
        answers come from."""
        status = library.status()
        return {"ok": True, "ready": library.ready, "articles": status.corpus_articles,
                "build_id": status.build_id}

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
    """Serve on the configured host at once, while the index is brought up to date and the
    assistant loaded in the background (questions asked meanwhile wait for it)."""
    import uvicorn

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("assistant").setLevel(logging.INFO)
    library.start()
    settings = library.settings
    print(f"Cramp assistant on http://{settings.host}:{settings.port}", flush=True)
    # proxy_headers off: uvicorn would trust X-Forwarded-For from 127.0.0.1 by default;
    # create_app trusts exactly CRAMP_TRUSTED_PROXIES instead.
    try:
        uvicorn.run(create_app(library, demo), host=settings.host, port=settings.port,
                    log_level="warning", proxy_headers=False)
    finally:
        library.close()  # writes the feedback still waiting, if the database answers
