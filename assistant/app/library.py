"""What the web app needs from the library, without Gradio: one shared assistant, loaded
lazily, the feedback store, and the admin operations (add, remove, rebuild) behind a
password check that slows and locks out guessing (:mod:`.guard`)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

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
from ..types import Answer, Article, Hit
from .feedback import GAP_KINDS, FeedbackStore, Gap, Kind, find_gaps
from .guard import AdminGuard, NotAllowed
from .slots import FairSlots

_log = logging.getLogger(__name__)
_ARTICLE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,80}")
log = logging.getLogger("assistant.app")
__all__ = ["ArticleRow", "Library", "NotAllowed"]
BUSY = "The assistant is busy right now: please try again in a few seconds."
FAILED = "Something went wrong while answering: please ask again in a moment."
STARTING = "Starting up: loading the library of articles. Your answer follows in a moment…"


@dataclass(frozen=True)
class ArticleRow:
    article_id: str
    title: str
    publisher: str
    added: str
    chunks: int


class Library:
    """One per app: the corpus, the index and the assistant that answers from it."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(settings)
        self._assistant: Assistant | None = None
        self._lock = threading.Lock()
        self._starting: threading.Thread | None = None
        # One bound for every door (chat, Gradio's /ask, the JSON API): answers computed at once.
        self._answering = FairSlots(settings.max_concurrent_answers)
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
        with self._answering.held():
            answer = assistant.ask(question, history)
        if answer.abstained:
            self.rate("abstained", answer)
        return answer

    def search(self, question: str, k: int | None = None) -> list[Hit]:
        """The best passages from the shared assistant, under the same bound as answers."""
        assistant = self.assistant()
        with self._answering.held():
            return assistant.search(question, k)

    def rate(self, kind: Kind, answer: Answer) -> None:
        """Store a reader's thumbs up/down (or an abstention) in the background: while the
        database is unavailable records wait and are retried (logged), never shown to the
        reader."""
        if self.feedback is not None:
            self.feedback.submit(kind, answer)  # never waits for the database

    def gaps(self, password: str | None, client: str = "local") -> list[Gap]:
        """Unanswered and disliked questions grouped by meaning, most frequent first (admin)."""
        self.check_admin(password, client)
        if self.feedback is None:
            return []
        self.feedback.flush(self.settings.database_timeout_seconds)  # this app's own first
        rows = self.feedback.rows(GAP_KINDS)
        return find_gaps(rows, self.embedder, self.settings.gap_similarity)

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
                           counts.get(a.article_id, 0))
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

    def add(self, paths: Sequence[Path], password: str | None) -> str:
        """Import uploaded files (size-checked) through the same path as `cramp-assistant add`."""
        self.check_admin(password)
        too_big = [p for p in paths if p.stat().st_size > self.settings.max_upload_bytes]
        if too_big:
            names = ", ".join(p.name for p in too_big)
            raise AssistantError(f"{names}: over the {self.settings.max_upload_bytes:,}-byte "
                                 "upload limit; nothing was added")
        return self._import(list(paths))

    def add_url(self, url: str, password: str | None) -> str:
        """Fetch one article by http(s) URL and import it like an uploaded file (the upload
        size limit applies to the download too)."""
        self.check_admin(password)
        url = url.strip()
        if not is_url(url):
            raise AssistantError(f"{url[:200]!r} is not an http:// or https:// address; "
                                 "nothing was added")
        limit = min(self.settings.max_article_bytes, self.settings.max_upload_bytes)
        return self._import([url], self.settings.model_copy(update={"max_article_bytes": limit}))

    def _import(self, sources: list[Path | str], settings: Settings | None = None) -> str:
        report = format_report(add_articles(sources, settings or self.settings))
        return report + "\nRebuild the index to answer from the new articles."

    def remove(self, article_id: str, password: str | None) -> str:
        self.check_admin(password)
        path = remove_article(article_id, self.settings.corpus_dir)
        return f"Removed {path.name}. Rebuild the index to stop answering from it."

    def rebuild(self, password: str | None, progress: Progress | None = None,
                full: bool = False) -> BuildReport:
        """Rebuild and switch over; questions keep being answered from the old index meanwhile."""
        self.check_admin(password)
        return self.assistant().rebuild(progress, full=full)
