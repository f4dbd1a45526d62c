"""The Library tab: the articles, the index, admin changes, and the questions the library
could not answer. Every change needs the admin password (checked per client, slowed and
locked out after a few wrong tries); uploading files needs an admin sign-in first, and the
upload area opens only once the server has seen that sign-in."""

from __future__ import annotations

import html
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from ..errors import AssistantError
from .feedback import gaps_csv
from .guard import session_name
from .library import Library
from .views import (
    articles_html,
    gaps_html,
    progress_text,
    rebuild_started,
    rebuild_text,
    status_text,
)

# The sign-in runs in the browser so that the server's answer can set the session cookie
# that uploads need (a Gradio event cannot set cookies).
SIGN_IN_JS = """async (password) => {
  const r = await fetch("admin/login", {method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify({password})});
  let body = {};
  try { body = await r.json(); } catch (e) {}
  if (r.ok) document.getElementById("cramp-admin-form")?.requestSubmit();  // password managers
  return body.message || ("Sign-in failed (" + r.status + ").");
}"""
PRIVATE: dict[str, Any] = {"api_visibility": "private"}
FILE_TYPES = ".txt, .md, .html, .pdf"
PROGRESS_EVERY_SECONDS = 0.3  # the rebuild's progress line is shown at most this often


def library_tab(library: Library, demo: gr.Blocks) -> None:
    h = _Handlers(library)
    status = gr.Markdown(elem_id="index-status")
    table = gr.HTML(elem_id="articles")
    if not library.admin_enabled:
        gr.Markdown("**Library changes are disabled.** Set the `CRAMP_ADMIN_PASSWORD` "
                    "environment variable and restart the app to enable them.")
    gr.Markdown("## Change the library")
    with gr.Row(equal_height=True, elem_classes="cramp-stack"):
        password = gr.Textbox(label="Admin password", type="password", elem_id="password",
                              scale=3)
        sign_in = gr.Button("Sign in", elem_id="sign-in", scale=1, min_width=90)
    signed = gr.Markdown("Sign in to upload files (the upload area opens then); every change "
                         "asks for the password.", elem_id="signed-in")
    chosen, changes, upload = _changes(h, password)
    for trigger in (sign_in.click, password.submit):  # then the server says if it saw it
        trigger(None, [password], [signed], js=SIGN_IN_JS, **PRIVATE).then(
            h.upload_area, None, upload, **PRIVATE)
    outputs = [status, table, chosen, upload]
    demo.load(h.refresh, None, outputs, **PRIVATE)
    for change in changes:  # the table and the choice of articles follow every change
        change.then(h.refresh, None, outputs, **PRIVATE)
    _gap_list(h, password)


def _changes(h: _Handlers, password: gr.Textbox) -> tuple[gr.Dropdown, list[Any], gr.Column]:
    """Add (files or a web address), remove (confirmed) and rebuild, with one report box.
    Returns the article choice, the events after which the tab must be refreshed, and the
    upload area (hidden until the server has seen an admin sign-in)."""
    with gr.Column(visible=False, elem_id="upload-area") as upload:
        files = gr.File(label=f"Articles to add ({FILE_TYPES})", file_count="multiple",
                        elem_id="upload",
                        file_types=[".txt", ".md", ".markdown", ".html", ".htm", ".pdf"])
        add = gr.Button("Add articles", elem_id="add")
    with gr.Row(equal_height=True, elem_classes="cramp-stack"):
        url = gr.Textbox(label="Or add an article by its web address", elem_id="url",
                         placeholder="https://…", scale=3)
        add_url = gr.Button("Add from the web", elem_id="add-url", scale=1, min_width=90)
    with gr.Row(equal_height=True, elem_classes="cramp-stack"):
        chosen = gr.Dropdown(label="Article to remove", choices=[], elem_id="remove-choice",
                             scale=3)
        remove = gr.Button("Remove article…", elem_id="remove", scale=1, min_width=90)
    with gr.Row(visible=False, elem_id="confirm-remove") as confirm:
        question = gr.Markdown()
        yes = gr.Button("Yes, remove it", variant="stop", elem_id="remove-yes")
        no = gr.Button("Keep it", elem_id="remove-no")
    with gr.Row(equal_height=True, elem_classes="cramp-stack"):
        rebuild = gr.Button("Rebuild index", variant="primary", elem_id="rebuild")
        full = gr.Checkbox(label="Full rebuild (read every passage again)", value=False,
                           elem_id="full")
    log = gr.Textbox(label="Report", lines=10, interactive=False, elem_id="log")
    remove.click(h.confirm, [chosen], [confirm, question, log], **PRIVATE)
    no.click(lambda: gr.Row(visible=False), None, confirm, **PRIVATE)
    return chosen, [add.click(h.add, [files, password], [log, files], **PRIVATE),
                    add_url.click(h.add_url, [url, password], [log, url], **PRIVATE),
                    yes.click(h.remove, [chosen, password], [log, confirm], **PRIVATE),
                    rebuild.click(h.rebuild, [password, full], log, show_progress="minimal",
                                  **PRIVATE)], upload


def _gap_list(h: _Handlers, password: gr.Textbox) -> None:
    gr.Markdown("## Questions the library could not answer\nQuestions the articles did not "
                "cover and answers readers marked with a thumbs down, grouped by meaning, most "
                "frequent first: the articles to add next. Shown to admins only.")
    show = gr.Button("Show the questions", elem_id="show-gaps")
    gaps = gr.HTML(elem_id="gaps")
    download = gr.DownloadButton("Download as CSV", visible=False, elem_id="gaps-csv")
    show.click(h.gaps, [password], [gaps, download], **PRIVATE)


def _client(request: gr.Request | None) -> str:
    """Who is asking, for the password lockout: the connection's address."""
    client = getattr(request, "client", None)
    return str(getattr(client, "host", None) or "unknown")


def _cookie(request: gr.Request | None) -> str | None:
    """The admin session cookie the sign-in set (server.py), if the browser sent one."""
    from .server import COOKIE  # here: the page must not need the server module to load

    cookies = getattr(request, "cookies", None)
    return cookies.get(COOKIE) if cookies is not None else None


class _Handlers:
    """The tab's event handlers; each admin action checks the password for its client."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self._csv_dir: Path | None = None

    def refresh(self, request: gr.Request) -> tuple[str, str, Any, Any]:
        rows = self.library.articles()
        return (status_text(self.library.status()), articles_html(rows),
                gr.Dropdown(choices=[(f"{r.title} ({r.article_id})", r.article_id)
                                     for r in rows], value=None), self.upload_area(request))

    def upload_area(self, request: gr.Request) -> Any:
        """The upload area, shown only to a browser whose admin sign-in the server has seen
        (so no file is ever sent only to be refused)."""
        return gr.Column(visible=self.library.admin_enabled and self._signed_in(request))

    def _signed_in(self, request: gr.Request | None) -> bool:
        return self.library.guard.session_ok(_cookie(request))

    def _who(self, request: gr.Request | None) -> str:
        """Who did it, for the admin log: the admin session, else the page's session."""
        token = _cookie(request)
        if token and self.library.guard.session_ok(token):
            return f"admin session {session_name(token)}"
        page = getattr(request, "session_hash", None)
        return f"page session {session_name(page)}" if page else "an unknown session"

    def add(self, paths: list[str] | None, pw: str, request: gr.Request) -> tuple[str, Any]:
        if not paths:
            return "Choose one or more files first (sign in before choosing them).", gr.skip()
        try:
            who = self._who(request)
            report = self._admin(pw, request, lambda: self.library.add(
                [Path(p) for p in paths], pw, who=who))
        finally:
            for p in paths:  # the uploaded copies are not needed after the import
                Path(p).unlink(missing_ok=True)
        return report, None  # clear the list, so the next Add does not send them again

    def add_url(self, url: str, pw: str, request: gr.Request) -> tuple[str, Any]:
        if not (url or "").strip():
            return "Type the web address of an article first.", gr.skip()
        who = self._who(request)
        report = self._admin(pw, request, lambda: self.library.add_url(url.strip(), pw, who))
        return report, ""

    def confirm(self, article_id: str | None) -> tuple[Any, str, str]:
        if not article_id:
            return gr.Row(visible=False), "", "Choose an article to remove first."
        rows = {r.article_id: r.title for r in self.library.articles()}
        title = rows.get(article_id, article_id)
        return (gr.Row(visible=True), f"**Remove “{title}”?** Its file is deleted from the "
                "library; rebuild the index afterwards.", "")

    def remove(self, article_id: str | None, pw: str, request: gr.Request) -> tuple[str, Any]:
        if not article_id:
            return "Choose an article to remove first.", gr.Row(visible=False)
        who = self._who(request)
        return (self._admin(pw, request, lambda: self.library.remove(article_id, pw, who)),
                gr.Row(visible=False))

    def rebuild(self, pw: str, everything: bool, request: gr.Request) -> Iterator[str]:
        """The rebuild, with its progress in words in the report box while it runs."""
        articles, who = self.library.status().corpus_articles, self._who(request)
        lines: queue.Queue[str | None] = queue.Queue()

        def work() -> None:
            try:
                lines.put(self._admin(pw, request, lambda: rebuild_text(self.library.rebuild(
                    pw, lambda stage, done, total: lines.put(
                        progress_text(stage, done, total, articles)),
                    full=everything, who=who))))
            finally:
                lines.put(None)
        threading.Thread(target=work, name="rebuild", daemon=True).start()
        yield rebuild_started(articles)
        yield from _latest(lines)

    def gaps(self, pw: str, request: gr.Request) -> tuple[str, Any]:
        try:
            found = self.library.gaps(pw, _client(request), self._who(request))
        except AssistantError as exc:
            return f"<p>{html.escape(str(exc))}</p>", gr.DownloadButton(visible=False)
        if self._csv_dir is None:
            self._csv_dir = Path(tempfile.mkdtemp(prefix="cramp-gaps-"))
        path = self._csv_dir / "questions-the-library-could-not-answer.csv"
        path.write_text(gaps_csv(found), encoding="utf-8")
        return gaps_html(found), gr.DownloadButton(value=str(path), visible=bool(found))

    def _admin(self, pw: str, request: gr.Request | None, action: Callable[[], Any]) -> str:
        """Run an admin action after the password check with this client's lockout; its
        result or its error as text for the report."""
        try:
            self.library.check_admin(pw, _client(request))
            return str(action())
        except AssistantError as exc:
            return str(exc)


def _latest(lines: queue.Queue[str | None]) -> Iterator[str]:
    """The lines put on ``lines`` until None: each at once when none was shown for
    PROGRESS_EVERY_SECONDS, else the newest when that time is up; the last one always."""
    shown: float | None = None
    held: str | None = None  # a line that came too soon after the last one shown
    while True:
        wait = None if held is None or shown is None else max(
            0.0, PROGRESS_EVERY_SECONDS - (time.monotonic() - shown))
        try:
            line = lines.get(timeout=wait)
        except queue.Empty:  # time is up for the held line
            if held is not None:
                yield held
            held, shown = None, time.monotonic()
            continue
        if line is None:
            if held is not None:
                yield held
            return
        if shown is None or time.monotonic() - shown >= PROGRESS_EVERY_SECONDS:
            held, shown = None, time.monotonic()
            yield line
        else:
            held = line
