"""What the web app needs from the library, without Gradio: one shared assistant, loaded
lazily, and the admin operations (add, remove, rebuild) behind a password check."""

from __future__ import annotations

import hmac
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..core import Assistant, Status, index_status
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
from ..settings import Settings
from ..types import Article

_log = logging.getLogger(__name__)
_ARTICLE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,80}")


class NotAllowed(AssistantError):
    """A library change was attempted without the admin password."""


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

    # -- answering ----------------------------------------------------------------------

    def assistant(self) -> Assistant:
        """The shared assistant; the first call builds a missing index and loads the model."""
        with self._lock:
            if self._assistant is None:
                if not (self.settings.index_dir / MANIFEST).is_file():
                    build_index(self.settings, self.embedder)
                self._assistant = Assistant.load(settings=self.settings, embedder=self.embedder,
                                                 allow_stale=True)
                self._assistant.warm_up()
            return self._assistant

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
        return index_status(self.settings)

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
        return self.settings.admin_password is not None and bool(
            self.settings.admin_password.get_secret_value())

    def check_admin(self, password: str | None) -> None:
        if not self.admin_enabled:
            raise NotAllowed("Library changes are disabled: set CRAMP_ADMIN_PASSWORD to enable "
                             "them, then restart the app.")
        expected = self.settings.admin_password.get_secret_value()  # type: ignore[union-attr]
        if not hmac.compare_digest((password or "").encode(), expected.encode()):
            raise NotAllowed("Wrong admin password: nothing was changed.")

    def add(self, paths: Sequence[Path], password: str | None) -> str:
        """Import uploaded files (size-checked) through the same path as `cramp-assistant add`."""
        self.check_admin(password)
        too_big = [p for p in paths if p.stat().st_size > self.settings.max_upload_bytes]
        if too_big:
            names = ", ".join(p.name for p in too_big)
            raise AssistantError(f"{names}: over the {self.settings.max_upload_bytes:,}-byte "
                                 "upload limit; nothing was added")
        report = format_report(add_articles(paths, self.settings))
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
