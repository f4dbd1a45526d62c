"""The web app: a chat with cited, streamed answers and a library tab for admins.

A thin layer over :class:`assistant.library.Library`; nothing here loads a model or an
index at import time. Per-user state travels in the chat history, never in globals.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
from fastapi import FastAPI, HTTPException  # noqa: E402
from fastapi.responses import HTMLResponse  # noqa: E402

from ..answer.compose import NOTICE  # noqa: E402
from ..errors import AssistantError, QuestionError  # noqa: E402
from ..types import Answer  # noqa: E402
from .library import Library  # noqa: E402
from .render import article_html, sources_html  # noqa: E402

EXAMPLES = [
    "What causes inner thigh cramps?",
    "How do I stop a thigh cramp when it happens?",
    "When should I see a doctor about leg cramps?",
    "What foods help prevent leg cramps?",
]
SEARCHING = "_Searching the articles…_"
EMPTY = "Please type a question about leg or thigh cramps — for example, what causes them."
# System fonts only: the page renders offline, with nothing fetched from outside.
THEME = gr.themes.Base(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
CSS = ".cramp-source blockquote{margin:.4em 0;padding-left:.8em;border-left:3px solid #ccc}" \
      ".cramp-source{margin-bottom:.8em} mark{background:#ffe58a}"


def build_demo(library: Library) -> gr.Blocks:
    """The whole page. ``library`` is used only when events run, never while building."""
    with gr.Blocks(title="Cramp assistant") as demo:
        gr.Markdown("# Leg & thigh cramp assistant\nAnswers come only from our library of "
                    "articles, with a numbered source for every statement.\n\n" + NOTICE)
        with gr.Tabs():
            with gr.Tab("Chat"):
                _chat_tab(library)
            with gr.Tab("Library"):
                _library_tab(library, demo)
        gr.api(_ask_api(library), api_name="ask")
    return demo


def _chat_tab(library: Library) -> None:
    chatbot = gr.Chatbot(label="Chat", height=540, elem_id="chat", buttons=["copy", "copy_all"],
                         layout="panel",
                         placeholder="Ask about causes, symptoms, treatment, prevention or "
                                     "when to see a doctor.")
    with gr.Row():
        box = gr.Textbox(show_label=False, scale=6, elem_id="question", autofocus=True,
                         placeholder="Ask a question about leg or thigh cramps")
        ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
        clear = gr.Button("Clear", scale=1, elem_id="clear")
    gr.Examples(EXAMPLES, inputs=box, label="Try asking")
    respond = _responder(library)
    for trigger in (box.submit, ask.click):
        trigger(respond, [box, chatbot], [chatbot, box], api_visibility="private",
                concurrency_limit=8)
    clear.click(lambda: ([], ""), None, [chatbot, box], api_visibility="private")


def _responder(library: Library) -> Any:
    def respond(message: str, history: list[dict[str, Any]]) -> Iterator[tuple[list, str]]:
        history = list(history or [])
        if not (message or "").strip():
            yield history + [_assistant(EMPTY)], ""
            return
        history += [{"role": "user", "content": html.escape(message, quote=False)},
                    _assistant(SEARCHING)]
        yield history, ""
        try:
            answer = library.assistant().ask(message, _pairs(history[:-2]))
        except (QuestionError, AssistantError) as exc:
            history[-1] = _assistant(html.escape(str(exc), quote=False))
            yield history, ""
            return
        lines = _display(answer).split("\n")
        for i in range(1, len(lines) + 1):  # stream the answer in, line by line
            history[-1] = _assistant("\n".join(lines[:i]))
            yield history, ""
        if answer.citations:
            history.append({"role": "assistant", "content": sources_html(answer.citations),
                            "metadata": {"title": f"Sources ({len(answer.citations)})",
                                         "status": "done"}})
            yield history, ""
    return respond


def _assistant(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


def _display(answer: Answer) -> str:
    """The answer as shown: article text escaped, so HTML in an article stays text."""
    head = [f"_{html.escape(line, quote=False)}_" for line in answer.preface()]
    body = html.escape(answer.text, quote=False)
    return "\n\n".join([*head, body]) if head else body


def _pairs(history: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(question, answer) pairs from the chat, for follow-up questions."""
    pairs: list[tuple[str, str]] = []
    for msg in history:
        if msg.get("metadata") and msg["metadata"].get("title"):
            continue  # a sources panel, not part of the conversation
        text = html.unescape(_text(msg.get("content")))
        if msg.get("role") == "user":
            pairs.append((text, ""))
        elif pairs and not pairs[-1][1]:
            pairs[-1] = (pairs[-1][0], text)
    return pairs


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_text(c) for c in content)
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    return ""


def _ask_api(library: Library) -> Any:
    def ask(question: str, history: list[list[str]] | None = None) -> dict[str, Any]:
        """Ask a question; returns the answer text, its citations and the audit record."""
        pairs = [(str(p[0]), str(p[1])) for p in (history or []) if len(p) == 2]
        try:
            return library.assistant().ask(question, pairs).to_dict()
        except AssistantError as exc:
            raise gr.Error(str(exc)) from exc
    return ask


def _library_tab(library: Library, demo: gr.Blocks) -> None:
    status = gr.Markdown(elem_id="index-status")
    table = gr.Dataframe(headers=["id", "title", "publisher", "added", "chunks"],
                         interactive=False, elem_id="articles", wrap=True)
    if not library.admin_enabled:
        gr.Markdown("**Library changes are disabled.** Set the `CRAMP_ADMIN_PASSWORD` "
                    "environment variable and restart the app to enable them.")
    password = gr.Textbox(label="Admin password", type="password", elem_id="password")
    files = gr.File(label="Add articles (.txt, .md, .html, .pdf)", file_count="multiple",
                    file_types=[".txt", ".md", ".markdown", ".html", ".htm", ".pdf"],
                    elem_id="upload")
    with gr.Row():
        add = gr.Button("Add articles", elem_id="add")
        rebuild = gr.Button("Rebuild index", variant="primary", elem_id="rebuild")
        full = gr.Checkbox(label="Full rebuild (embed every passage again)", value=False,
                           elem_id="full")
    with gr.Row():
        chosen = gr.Dropdown(label="Article to remove", choices=[], elem_id="remove-choice")
        remove = gr.Button("Remove article", elem_id="remove")
    log = gr.Textbox(label="Report", lines=12, interactive=False, elem_id="log")

    refresh, do_add, do_remove, do_rebuild = _library_actions(library)
    outputs = [status, table, chosen]
    private: dict[str, Any] = {"api_visibility": "private"}
    demo.load(refresh, None, outputs, **private)
    add.click(do_add, [files, password], log, **private).then(refresh, None, outputs, **private)
    remove.click(do_remove, [chosen, password], log, **private).then(refresh, None, outputs,
                                                                     **private)
    rebuild.click(do_rebuild, [password, full], log, **private).then(refresh, None, outputs,
                                                                     **private)


def _library_actions(library: Library) -> tuple[Any, Any, Any, Any]:
    """The Library tab's event handlers: refresh, add, remove, rebuild."""
    def refresh() -> tuple[str, list[list[Any]], Any]:
        rows = library.articles()
        return (_status_markdown(library),
                [[r.article_id, r.title, r.publisher, r.added, r.chunks] for r in rows],
                gr.Dropdown(choices=[r.article_id for r in rows], value=None))

    def do_add(paths: list[str] | None, pw: str) -> str:
        if not paths:
            return "Choose one or more files first."
        return _guarded(lambda: library.add([Path(p) for p in paths], pw))

    def do_remove(article_id: str | None, pw: str) -> str:
        if not article_id:
            return "Choose an article first."
        return _guarded(lambda: library.remove(article_id, pw))

    def do_rebuild(pw: str, everything: bool,
                   progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008
        def report(stage: str, done: int, total: int) -> None:
            progress(done / total if total else 1.0, desc=f"{stage} {done}/{total}")
        return _guarded(lambda: library.rebuild(pw, report, full=everything).summary())

    return refresh, do_add, do_remove, do_rebuild


def _guarded(action: Any) -> str:
    try:
        return str(action())
    except AssistantError as exc:
        return str(exc)


def _status_markdown(library: Library) -> str:
    s = library.status()
    if not s.built:
        return f"**Index:** none yet — {s.corpus_articles} articles in the library."
    return (f"**Index:** {s.chunks} passages from {s.indexed_articles} articles · model "
            f"`{s.model}` · built {s.built_at} · **{s.state}**")


def create_app(library: Library, demo: gr.Blocks) -> FastAPI:
    """The served application: the Gradio page at / and the article viewer beside it."""
    app = FastAPI()

    @app.get("/article/{article_id}", response_class=HTMLResponse)
    def article(article_id: str, spans: str = "") -> HTMLResponse:
        try:
            doc = library.article(article_id)
        except AssistantError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc
        return HTMLResponse(article_html(doc.title, doc.body, _parse_spans(spans)))

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True, "articles": library.status().corpus_articles}

    return gr.mount_gradio_app(app, demo, path="/", theme=THEME, css=CSS,
                               max_file_size=library.settings.max_upload_bytes)


def _parse_spans(spans: str) -> list[tuple[int, int]]:
    out = []
    for part in spans.split(","):
        start, _, end = part.partition("-")
        if start.isdigit() and end.isdigit() and int(start) < int(end):
            out.append((int(start), int(end)))
    return out


def serve(library: Library, demo: gr.Blocks) -> None:
    """Bring the index up to date and load the assistant, then serve on the configured host."""
    import uvicorn

    built = library.prepare()
    if built:
        print(built, flush=True)
    settings = library.settings
    print(f"Cramp assistant on http://{settings.host}:{settings.port}", flush=True)
    uvicorn.run(create_app(library, demo), host=settings.host, port=settings.port,
                log_level="warning")
