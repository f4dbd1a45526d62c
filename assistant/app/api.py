"""A plain JSON API beside Gradio's, for integrators without a Gradio client.

``POST /api/v1/ask`` takes ``{"question": ..., "history": [[question, answer], ...]}`` and
returns the answer's audit record (:meth:`Answer.to_dict`); ``GET /api/v1/search?q=...``
returns the best passages. FastAPI documents both at ``/api/v1/docs``. Questions go through
the same cleaning and limits as the chat's (:mod:`assistant.inputs`, via the library), and
answers share the chat's bound on answers computed at once (:class:`Library`). At most
``max_queue_size`` requests wait here; past that a caller is told "busy, try again" (503,
Retry-After) before its body is read. Oversized bodies never get here (:mod:`.gate`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from ..errors import AssistantError, Busy, QuestionError
from ..settings import Settings
from .library import FAILED, Library
from .slots import BUSY

log = logging.getLogger("assistant.app")
T = TypeVar("T")


class AskRequest(BaseModel):
    question: str = Field(description="The question; cut to CRAMP_MAX_QUESTION_CHARS.",
                          examples=["What causes inner thigh cramps?"])
    history: Any = Field(
        default_factory=list, description="The earlier turns as [question, answer] pairs of "
        "text, oldest first; only the last CRAMP_MAX_HISTORY_TURNS are used.",
        examples=[[["What causes inner thigh cramps?", "The articles name these causes: …"]]])


class Door:
    """Who may wait for an answer here: a request is counted in before its body is read and
    out once answered; past ``limit``, or when the long-question lane is full
    (:class:`Busy`), it is told busy, after a pause (as in :mod:`.gate`). Used from the
    event loop only, so the count needs no lock."""

    def __init__(self, settings: Settings) -> None:
        self.limit, self.inside = settings.max_concurrent_answers + settings.max_queue_size, 0
        self.pause, self.retry = settings.refusal_pause_seconds, settings.retry_after_seconds
        self.threads = anyio.CapacityLimiter(self.limit)  # every admitted request gets one

    async def run(self, work: Callable[[], Awaitable[Callable[[], T]]]) -> T:
        """Admit the request, then ``await work()`` (reading the request) and run the
        function it returns in a thread."""
        if self.inside >= self.limit:
            await anyio.sleep(self.pause)
            raise self.busy()
        self.inside += 1
        try:
            return await anyio.to_thread.run_sync(await work(), limiter=self.threads)
        except Busy:
            await anyio.sleep(self.pause)
            raise self.busy() from None
        finally:
            self.inside -= 1

    def busy(self) -> HTTPException:
        """A new one each time: one raised again and again would keep every request's
        traceback (and its question and history) alive."""
        return HTTPException(503, BUSY, headers={"Retry-After": str(self.retry)})


def api_router(library: Library) -> APIRouter:
    """The ``/api/v1`` routes over ``library``."""
    settings = library.settings
    door = Door(settings)
    router = APIRouter(prefix="/api/v1", tags=["answers"])

    @router.post("/ask", summary="A cited answer, with its audit record", responses=_ERRORS,
                 openapi_extra={"requestBody": {"required": True, "content": {
                     "application/json": {"schema": AskRequest.model_json_schema()}}}})
    async def ask(request: Request) -> JSONResponse:
        """The answer's text (Markdown with [n] markers), its citations (article, section,
        passage, quote and offsets), whether it abstained, the query searched for and the
        index build id: the record `cramp-assistant ask --json` prints."""
        async def read() -> Callable[[], dict[str, object]]:
            body = _parse(await request.body())
            return lambda: _answering(library.ask, body.question, body.history).to_dict()
        return JSONResponse(await door.run(read))

    @router.get("/search", summary="The best passages for a question", responses=_ERRORS)
    async def search(q: str = Query(description="The question."),
                     k: int = Query(settings.top_k, ge=1, le=50, description="Passages.")
                     ) -> JSONResponse:
        """Passages ranked by hybrid dense and keyword search, as `cramp-assistant search
        --json` lists them: rank, score, title, section, source, offsets and text."""
        async def read() -> Callable[[], list[dict[str, object]]]:
            return lambda: [h.to_dict() for h in _answering(library.search, q, k)]
        return JSONResponse({"question": q, "hits": await door.run(read)})

    return router


def _parse(body: bytes) -> AskRequest:
    try:
        return AskRequest.model_validate_json(body)
    except ValidationError as exc:
        raise HTTPException(422, exc.errors(include_url=False, include_input=False)) from exc


def _answering(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` with library errors as HTTP errors that say what to do (:class:`Busy`
    is left to :class:`Door`)."""
    try:
        return fn(*args)
    except Busy:
        raise
    except QuestionError as exc:
        raise HTTPException(400, str(exc)) from exc
    except AssistantError as exc:
        raise HTTPException(503, str(exc)) from exc
    except Exception as exc:
        log.exception("/api/v1 failed")
        raise HTTPException(500, FAILED) from exc


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The question or history cannot be used; `detail` says why."},
    413: {"description": "The body is larger than CRAMP_MAX_REQUEST_BYTES."},
    422: {"description": "The body is not a JSON object with a `question` text."},
    503: {"description": "Busy (try again after Retry-After seconds), or the library cannot "
                         "answer now; `detail` says which."},
}
