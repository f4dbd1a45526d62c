"""The web app's page: a chat with cited, streamed answers, and the Library tab.

A thin layer over :class:`assistant.app.library.Library`; nothing here loads a model or an
index at import time. Per-reader state (earlier turns, the answers behind the thumbs)
travels in ``gr.State``, never in globals. ``/ask`` is the one public API; every other
event is private.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from ..answer.compose import NOTICE  # noqa: E402
from ..errors import AssistantError, Busy  # noqa: E402
from ..inputs import EMPTY, clean_text  # noqa: E402
from ..types import Answer  # noqa: E402
from .library import FAILED, STARTING, Library  # noqa: E402
from .library_tab import library_tab  # noqa: E402
from .render import answer_html, message_html  # noqa: E402

log = logging.getLogger("assistant.app")
EXAMPLES = [
    "What causes inner thigh cramps?",
    "How do I stop a thigh cramp when it happens?",
    "When should I see a doctor about leg cramps?",
    "What foods help prevent leg cramps?",
]
SEARCHING = "Searching the articles…"
BUSY_AGAIN = ("The assistant is busy with other long questions right now: your question is back "
              "in the box; please ask again in a few seconds.")
ANSWERS = "answer"  # one concurrency group: chat and /ask share the limit
Message = dict[str, Any]
Session = dict[str, Any]  # {"pairs": [(question, answer text)], "answers": {index: Answer}}


def build_demo(library: Library) -> gr.Blocks:
    """The whole page. ``library`` is used only when events run, never while building."""
    settings = library.settings
    age = settings.upload_max_age_seconds
    with gr.Blocks(title="Cramp assistant", delete_cache=(max(60, age // 4), age)) as demo:
        gr.Markdown("# Leg & thigh cramp assistant\nAnswers come only from our library of "
                    "articles, with a numbered source for every statement.\n\n" + NOTICE,
                    elem_id="intro")
        with gr.Tabs():
            with gr.Tab("Chat", elem_id="chat-tab"):
                _chat_tab(library)
            with gr.Tab("Library", elem_id="library-tab"):
                library_tab(library, demo)
        gr.api(_ask_api(library), api_name="ask", concurrency_id=ANSWERS,
               concurrency_limit=settings.answer_workers)
    return demo.queue(max_size=settings.max_queue_size, default_concurrency_limit=2)


def _chat_tab(library: Library) -> None:
    limit = library.settings.answer_workers
    session = gr.State({"pairs": [], "answers": {}})
    with gr.Row(elem_id="examples"):
        gr.Markdown("**Try asking:**", elem_id="try-asking")
        buttons = [gr.Button(q, size="sm", elem_classes="cramp-example") for q in EXAMPLES]
    # No autoscroll: it would open each answer at its end; the page's script shows its start.
    chatbot = gr.Chatbot(label="Conversation", show_label=False, elem_id="chat", height="52vh",
                         buttons=["copy", "copy_all"], layout="panel", latex_delimiters=[],
                         autoscroll=False,
                         placeholder="Answers appear here, each statement with its source.")
    with gr.Row(elem_id="ask-row"):
        box = gr.Textbox(label="Your question", show_label=False, scale=6, elem_id="question",
                         placeholder="Ask a question about leg or thigh cramps", max_lines=4)
        ask = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="ask")
        clear = gr.Button("Clear", scale=1, min_width=70, elem_id="clear")
    respond = _responder(library)
    chat: dict[str, Any] = {"api_visibility": "private", "concurrency_id": ANSWERS,
                            "concurrency_limit": limit}
    for trigger in (box.submit, ask.click):
        trigger(respond, [box, chatbot, session], [chatbot, box, session], **chat)
    for button, question in zip(buttons, EXAMPLES, strict=True):
        button.click(_asking(respond, question), [chatbot, session], [chatbot, box, session],
                     **chat)
    clear.click(lambda: ([], "", {"pairs": [], "answers": {}}), None, [chatbot, box, session],
                api_visibility="private")
    if library.feedback is not None:
        chatbot.like(_rater(library), [session], None, api_visibility="private")


def _asking(respond: Callable[..., Iterator[Any]], question: str) -> Callable[..., Iterator[Any]]:
    """An example button's handler: the example is asked at once, in one tap. The question
    box is never touched: what the reader types there meanwhile is theirs."""
    def ask_example(history: list[Message], session: Session) -> Iterator[Any]:
        for shown, _, state in respond(question, history, session):
            yield shown, gr.skip(), state
    return ask_example


def _responder(library: Library) -> Callable[..., Iterator[Any]]:
    turns = library.settings.max_history_turns

    def respond(message: str, history: list[Message],
                session: Session) -> Iterator[tuple[list[Message], Any, Session]]:
        history = list(history or [])
        text = clean_text(message if isinstance(message, str) else "")
        if not text.strip():
            yield history + [_bot(message_html(EMPTY))], "", session
            return
        waiting = SEARCHING if library.ready else STARTING  # the first answers wait for it
        history += [{"role": "user", "content": message_html(text)},
                    _bot(message_html(waiting, done=False))]
        yield history, "", session  # the question is taken: the box is emptied once, and
        keep = gr.skip()            # then left alone, for the reader's next question
        try:
            answer = _answer(library, text, session["pairs"], history)
        except Busy:  # nothing is lost: the question goes back in the box, to ask again
            history[-1] = _bot(message_html(BUSY_AGAIN))
            yield history, text, session
            return
        if answer is None:
            yield history, keep, session
            return
        lines = answer.body.count("\n") + 1
        for i in range(1, lines + 1):  # stream the answer in, line by line
            history[-1] = _bot(answer_html(answer, lines=i, sources=False))
            yield history, keep, session
        history[-1] = _bot(answer_html(answer))
        pairs = [*session["pairs"], (answer.question, answer.text)][-turns:] if turns else []
        answers = {k: v for k, v in session["answers"].items() if k >= len(history) - 4 * turns}
        yield history, keep, {"pairs": pairs, "answers": {**answers, len(history) - 1: answer}}
    return respond


def _answer(library: Library, text: str, pairs: list[tuple[str, str]],
            history: list[Message]) -> Answer | None:
    """The answer, or None with a friendly message put in place of "Searching…"."""
    try:
        return library.ask(text, pairs)
    except Busy:
        raise
    except AssistantError as exc:
        history[-1] = _bot(message_html(str(exc)))
    except Exception:  # the reader gets a message, never a cut-off stream or a traceback
        log.exception("answering failed")
        history[-1] = _bot(message_html(FAILED))
    return None


def _bot(content: str) -> Message:
    return {"role": "assistant", "content": content}


def _rater(library: Library) -> Callable[..., None]:
    def rate(data: gr.LikeData, session: Session) -> None:
        index = data.index if isinstance(data.index, int) else data.index[0]
        answer = (session or {}).get("answers", {}).get(index)
        if answer is not None and isinstance(data.liked, bool):
            library.rate("up" if data.liked else "down", answer)
    return rate


def _ask_api(library: Library) -> Callable[..., dict[str, Any]]:
    def ask(question: str, history: list[list[str]] | None = None) -> dict[str, Any]:
        """Ask a question; returns the answer text, its citations and the audit record.
        ``history``: the earlier turns as [question, answer] pairs, oldest first."""
        try:
            return library.ask(question, history).to_dict()  # cleaned and checked there
        except AssistantError as exc:
            raise gr.Error(str(exc)) from exc
        except Exception as exc:
            log.exception("/ask failed")
            raise gr.Error(FAILED) from exc
    return ask
