"""What the web app needs from the library, without Gradio: one shared assistant, loaded
lazily, the feedback store, and the admin operations (add, remove, rebuild) behind a
password check that slows and locks out guessing (:mod:`.guard`)."""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ..core import Assistant, History, Status, index_status
from ..database import Database
from ..errors import AssistantError
from ..index.build import BuildReport, Progress, build_index
from ..index.embedding import Embedder, make_embedder
from ..index.store import MANIFEST
from ..ingest.corpus import (
    add_articles,
    format_report,
    load_corpus,
    read_corpus_file,
    remove_article,
)
from ..ingest.importer import is_url
from ..settings import Settings
from ..types import Answer, Article, Hit, ImportResult
from .feedback import GAP_KINDS, FeedbackStore, Gap, Kind, find_gaps
from .guard import AdminGuard, NotAllowed
from .slots import FairSlots

if TYPE_CHECKING:
    from ..answer.understand import Query

_log = logging.getLogger(__name__)
_ARTICLE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,80}")
log = logging.getLogger("assistant.app")
__all__ = ["ArticleRow", "Library", "NotAllowed"]
FAILED = "Something went wrong while answering: please ask again in a moment."
STARTING = "Starting up: loading the library of articles. Your answer follows in a moment…"
T = TypeVar("T")
LIST_ONLY = "the list is shown to admins only"  # what a refused gap list did not do


@dataclass(frozen=True)
class ArticleRow:
    article_id: str
    title: str
    publisher: str
    added: str  # when it joined the library
    chunks: int
    published: str = ""  # the article's own date, as its page gives it


class Library:
    """One per app: the corpus, the index and the assistant that answers from it."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(settings)
        self._assistant: Assistant | None = None
        self._lock = threading.Lock()
        self._starting: threading.Thread | None = None
        # One bound for every door (chat, Gradio's /ask, the JSON API): answers computed at
        # once; long questions wait for the one long-question lane too (see _in_turn).
        self._answering = FairSlots(settings.max_concurrent_answers)
        self._long = FairSlots(1)
        self._closed = threading.Event()
        self.database = Database.from_settings(settings)  # connected on first use
        self.guard = AdminGuard(settings, self.database)
        self.feedback = FeedbackStore(self.database, settings) if settings.feedback_enabled \
            else None

    # -- answering ----------------------------------------------------------------------

    def start(self) -> None:
        """Prepare (:meth:`prepare`) in the background, once: the page and the health check
        answer meanwhile, and questions asked before it is done wait for it."""
        with self._lock:
            if self._starting is None:
                self._starting = threading.Thread(target=self._start, name="cramp-start",
                                                  daemon=True)
                self._starting.start()

    def _start(self) -> None:
        try:
            built = self.prepare()
        except Exception:  # the first question tries again and shows what is wrong
            log.exception("the library could not be prepared at start")
            return
        log.info("ready%s", f": {built}" if built else "")

    @property
    def ready(self) -> bool:
        """The index and the model are loaded: a question is answered without waiting."""
        return self._assistant is not None

    def assistant(self) -> Assistant:
        """The shared assistant; the first call builds a missing index and loads the model
        (or waits for :meth:`start` to have done so)."""
        starting = self._starting
        if starting is not None and starting is not threading.current_thread():
            starting.join()
        with self._lock:
            if self._assistant is None:
                if not (self.settings.index_dir / MANIFEST).is_file():
                    build_index(self.settings, self.embedder)
                self._assistant = Assistant.load(settings=self.settings, embedder=self.embedder,
                                                 allow_stale=True)
                self._assistant.warm_up()
                self._start_following(self._assistant)
            return self._assistant

    def _start_following(self, assistant: Assistant) -> None:
        """Look for new builds on disk in the background, so even the first question after
        one is answered from it without waiting for the switch (see Assistant.follow)."""
        interval = self.settings.follow_interval_seconds
        if interval <= 0:
            return

        def follow() -> None:
            while not self._closed.wait(interval):
                try:
                    assistant.follow()
                except Exception:  # noqa: BLE001 - the follower must outlive any one failure
                    log.exception("looking for a new index build failed; looking again")

        threading.Thread(target=follow, name="index-follower", daemon=True).start()

    def close(self) -> None:
        """Stop following the index and write the feedback still waiting (tests, shutdown)."""
        self._closed.set()
        if self.feedback is not None:
            self.feedback.close()
        self.database.dispose()

    def ask(self, question: str, history: History | None = None) -> Answer:
        """An answer from the shared assistant, from the newest build on disk; one that
        abstains is kept as a library gap."""
        assistant = self.assistant()
        assistant.follow()
        answer = self._in_turn(assistant, question, history, assistant.answer)
        if answer.abstained:
            self.rate("abstained", answer)
        return answer

    def search(self, question: str, k: int | None = None) -> list[Hit]:
        """The best passages from the shared assistant, under the same bound as answers."""
        assistant = self.assistant()
        return self._in_turn(assistant, question, None, lambda q: assistant.passages(q, k))

    def _in_turn(self, assistant: Assistant, question: str, history: History | None,
                 work: Callable[[Query], T]) -> T:
        """``work`` on the question once understood, all in an answer slot. A long question
        (``long_question_chars``) costs the model several short ones' work: once understood
        it gives its slot back and waits in the long-question lane, where long ones go one
        at a time, at most ``max_concurrent_answers`` of them waiting (one more is told
        busy), so a crowd sending them shares one slot and the others stay free."""
        with self._answering.held():
            query = assistant.understand(question, history)
            if query.model_chars <= self.settings.long_question_chars:
                return work(query)
        with self._long.held(most_waiting=self.settings.max_concurrent_answers), \
                self._answering.held():
            return work(query)

    def rate(self, kind: Kind, answer: Answer) -> None:
        """Store a reader's thumbs up/down (or an abstention) in the background: while the
        database is unavailable records wait and are retried (logged), never shown to the
        reader."""
        if self.feedback is not None:
            self.feedback.submit(kind, answer)  # never waits for the database

    def gaps(self, password: str | None, client: str = "local", who: str = "local") -> list[Gap]:
        """Unanswered and disliked questions grouped by meaning, most frequent first (admin)."""
        def find() -> list[Gap]:
            self.guard.check(password, client, refused=LIST_ONLY)
            if self.feedback is None:
                return []
            self.feedback.flush(self.settings.database_timeout_seconds)  # this app's own first
            rows = self.feedback.rows(GAP_KINDS)
            return find_gaps(rows, self.embedder, self.settings.gap_similarity)
        return _logged("gap list", who, find, lambda gaps: f"{len(gaps)} questions shown")

    def prepare(self) -> str | None:
        """At launch: bring a missing, damaged, stale or differently-built index up to date
        (only changed passages are embedded), then load. Returns what was built, if anything."""
        state = self.status()
        built = None
        if not state.usable:
            if state.damage:  # a damaged index is rebuilt from scratch, never reused
                _log.warning("index in %s is %s: rebuilding it", self.settings.index_dir,
                             state.state)
            built = build_index(self.settings, self.embedder, full=bool(state.damage)).summary()
        self.assistant()
        return built

    # -- reading ------------------------------------------------------------------------

    def status(self) -> Status:
        """The index on disk, once this app answers from it: a newer build is switched to
        first, so the status, /healthz and the answers name the same build."""
        assistant = self._assistant
        status = index_status(self.settings)
        for _ in range(3):  # a build landing between the switch and the read: look again
            if assistant is None or status.build_id == assistant.index.build_id:
                break
            assistant.follow()
            status = index_status(self.settings)
        return status

    def articles(self) -> list[ArticleRow]:
        counts: dict[str, int] = {}
        if (self.settings.index_dir / MANIFEST).is_file():
            from ..index.store import read_manifest

            manifest = read_manifest(self.settings.index_dir)
            counts = {k: int(v.get("chunks", 0)) for k, v in manifest["articles"].items()}
        return [ArticleRow(a.article_id, a.title, a.publisher or "", a.added or "",
                           counts.get(a.article_id, 0), a.published or "")
                for a in load_corpus(self.settings.corpus_dir)]

    def article(self, article_id: str) -> Article:
        """One article by id; the id can only name a file directly inside the corpus."""
        if not _ARTICLE_ID.fullmatch(article_id):
            raise AssistantError(f"{article_id!r} is not an article id")
        path = self.settings.corpus_dir / f"{article_id}.md"
        if not path.is_file():
            raise AssistantError(f"no article {article_id!r} in the library")
        return read_corpus_file(path)

    # -- changing (admin only) ----------------------------------------------------------

    @property
    def admin_enabled(self) -> bool:
        return self.guard.enabled

    def check_admin(self, password: str | None, client: str = "local") -> None:
        """Raise :class:`NotAllowed` unless ``password`` is right (see :class:`AdminGuard`)."""
        self.guard.check(password, client)

    # Every change is logged: who (a session, see app/guard.py), what, and the result.

    def add(self, paths: Sequence[Path], password: str | None, who: str = "local") -> str:
        """Import uploaded files (size-checked) through the same path as `cramp-assistant add`."""
        def add_files() -> list[ImportResult]:
            self.check_admin(password)
            limit = self.settings.max_upload_bytes
            too_big = [p for p in paths if p.stat().st_size > limit]
            if too_big:
                names = ", ".join(p.name for p in too_big)
                raise AssistantError(f"{names}: over the {limit:,}-byte upload limit; nothing "
                                     "was added")
            return add_articles(list(paths), self.settings)
        return _report(_logged("add files", who, add_files, _outcomes))

    def add_url(self, url: str, password: str | None, who: str = "local") -> str:
        """Fetch one article by http(s) URL and import it like an uploaded file (the upload
        size limit applies to the download too)."""
        def add_page() -> list[ImportResult]:
            self.check_admin(password)
            if not is_url(url.strip()):
                raise AssistantError(f"{url.strip()[:200]!r} is not an http:// or https:// "
                                     "address; nothing was added")
            limit = min(self.settings.max_article_bytes, self.settings.max_upload_bytes)
            return add_articles([url.strip()], self.settings.model_copy(
                update={"max_article_bytes": limit}))
        return _report(_logged("add from the web", who, add_page, _outcomes))

    def remove(self, article_id: str, password: str | None, who: str = "local") -> str:
        def remove_one() -> Path:
            self.check_admin(password)
            return remove_article(article_id, self.settings.corpus_dir)
        path = _logged("remove", who, remove_one, lambda p: f"removed {p.name}")
        return f"Removed {path.name}. Rebuild the index to stop answering from it."

    def rebuild(self, password: str | None, progress: Progress | None = None,
                full: bool = False, who: str = "local") -> BuildReport:
        """Rebuild and switch over; questions keep being answered from the old index meanwhile."""
        def build() -> BuildReport:
            self.check_admin(password)
            return self.assistant().rebuild(progress, full=full)
        return _logged("full rebuild" if full else "rebuild", who, build,
                       lambda r: f"build {r.build_id}, {r.articles} articles, {r.chunks} passages")


def _logged(what: str, who: str, action: Callable[[], T], outcome: Callable[[T], str]) -> T:
    """Run an admin action and log it: who, what, and the result or the refusal."""
    try:
        result = action()
    except AssistantError as exc:
        log.info("admin %s by %s: refused: %s", what, who, exc)
        raise
    log.info("admin %s by %s: %s", what, who, outcome(result))
    return result


def _outcomes(results: list[ImportResult]) -> str:
    counts = Counter(r.status for r in results)
    added = [r.article_path for r in results if r.status == "added" and r.article_path]
    return ", ".join(f"{n} {status}" for status, n in counts.items()) + (
        f" ({', '.join(added)})" if added else "")


def _report(results: list[ImportResult]) -> str:
    return format_report(results) + "\nRebuild the index to answer from the new articles."
