"""The public face of the library: load an index, search it, ask it, rebuild it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import (
    AssistantError,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    IndexStaleError,
)
from .index.build import BuildReport, Progress, build_index, recover_if_idle
from .index.embedding import Embedder, make_embedder
from .index.snapshot import scan_corpus
from .index.store import (
    Freshness,
    LoadedIndex,
    check_settings,
    compare,
    damage,
    load_settled,
    manifest_signature,
    read_manifest,
)
from .inputs import clean_history, clean_question
from .settings import Settings
from .types import Answer, Hit

if TYPE_CHECKING:
    from .answer.compose import Composer
    from .answer.understand import Query

History = Sequence[Sequence[str]]  # [question, answer] turns, oldest first; checked when cleaned
log = logging.getLogger("assistant")


@dataclass(frozen=True)
class Status:
    """What ``cramp-assistant status`` shows; built from files only, no model needed."""

    index_dir: Path
    corpus_articles: int
    built: bool
    model: str | None = None
    built_at: str | None = None
    build_id: str | None = None
    chunks: int = 0
    indexed_articles: int = 0
    freshness: Freshness | None = None
    mismatch: str | None = None  # why the index does not fit the current settings
    damage: str | None = None  # what is wrong with its files, if anything

    @property
    def matches(self) -> bool:
        return self.mismatch is None

    @property
    def usable(self) -> bool:
        """Built, undamaged, made with the current settings and up to date."""
        return bool(self.built and self.matches and not self.damage and self.freshness
                    and self.freshness.fresh)

    @property
    def state(self) -> str:
        """'fresh', 'stale (...)' with what changed since the build, or 'damaged: rebuild'."""
        if self.damage:
            return f"damaged: rebuild ({self.damage})"
        return self.freshness.describe() if self.freshness else "unknown"

    def summary(self) -> str:
        if not self.built:
            return (f"index:    none in {self.index_dir} (run `cramp-assistant build`)\n"
                    f"articles: {self.corpus_articles} in the corpus")
        lines = [f"index:    {self.index_dir} (build {self.build_id})",
                 f"articles: {self.corpus_articles} in the corpus, {self.indexed_articles} "
                 "indexed", f"chunks:   {self.chunks}", f"model:    {self.model}",
                 f"built at: {self.built_at}", f"state:    {self.state}"]
        if self.mismatch:
            lines.append(f"mismatch: {self.mismatch}")
        if not self.usable:  # one line each: what is wrong above, what to do here
            lines.append("fix:      run `cramp-assistant build` to bring it up to date")
        return "\n".join(lines)


# A build swaps its index in with two renames; a status read that overlaps them sees files
# vanish. It is read again, this many times, while a swap is visibly under way.
_SWAP_READS = 20
_SWAP_PAUSE_S = 0.05


def index_status(settings: Settings, verify: bool = False) -> Status:
    """The index as it is on disk. Only reads (it runs on every page load and health check,
    possibly while a build writes beside the index); ``verify`` checksums every byte.

    A read that overlaps a build's swap (an ``.index.old-*`` folder beside the index, or the
    build id changed under it) is read again, so a healthy index is never reported missing
    or damaged because it was being replaced at that moment."""
    status = _read_status(settings, verify)
    for _ in range(_SWAP_READS):
        if status.usable or not _swapping(settings.index_dir, status):
            break
        time.sleep(_SWAP_PAUSE_S)
        status = _read_status(settings, verify)
    return status


def _swapping(index_dir: Path, status: Status) -> bool:
    if any(index_dir.parent.glob(f".{index_dir.name}.old-*")):
        return True
    try:
        return read_manifest(index_dir).get("build_id") != status.build_id
    except (IndexMissingError, IndexCorruptError):
        return False


def _read_status(settings: Settings, verify: bool) -> Status:
    corpus = settings.corpus_dir
    articles = len(list(corpus.glob("*.md"))) if corpus.is_dir() else 0
    try:
        manifest = read_manifest(settings.index_dir)
    except IndexMissingError:
        return Status(settings.index_dir, articles, built=False)
    except IndexCorruptError as exc:
        return Status(settings.index_dir, articles, built=True, damage=str(exc))
    now = scan_corpus(corpus, manifest["articles"]).hashes() if corpus.is_dir() else {}
    try:
        check_settings(manifest, settings, settings.index_dir)
        mismatch = None
    except IndexMismatchError as exc:
        mismatch = str(exc)
    return Status(
        settings.index_dir, articles, built=True, model=manifest["embedding"]["model"],
        built_at=manifest["built_at"], build_id=manifest["build_id"],
        chunks=manifest["counts"]["chunks"], indexed_articles=manifest["counts"]["articles"],
        freshness=compare(manifest, now), mismatch=mismatch,
        damage=_damage(settings.index_dir, manifest, verify),
    )


def _damage(index_dir: Path, manifest: dict[str, Any], verify: bool) -> str | None:
    try:
        return damage(index_dir, manifest, full=verify)
    except OSError as exc:  # a file went away while it was read: a swap, or real damage
        return f"cannot read {Path(exc.filename or index_dir).name} ({exc.strerror})"


def _signature_if_current(index: LoadedIndex) -> tuple[int, int, int] | None:
    """The manifest signature on disk if it is still ``index``'s build; else None, so the
    next :meth:`Assistant.follow` looks at the disk again."""
    seen = manifest_signature(index.path)
    try:
        return seen if read_manifest(index.path)["build_id"] == index.build_id else None
    except AssistantError:
        return None


def _limit_matrix_threads(threads: int | None) -> None:
    """Cap NumPy's BLAS threads for the process (threadpoolctl; onnxruntime and FAISS keep
    their own threads)."""
    if threads is None:
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads, user_api="blas")


class Assistant:
    """Answers questions from the articles in one index.

    >>> a = Assistant.load()                     # ./index, settings from CRAMP_* env
    >>> hits = a.search("why do my thighs cramp at night", k=5)
    """

    def __init__(self, settings: Settings, embedder: Embedder, index: LoadedIndex) -> None:
        self.settings = settings
        self.embedder = embedder
        _limit_matrix_threads(settings.matrix_threads)
        # One reference to everything that answers from one index: reload replaces it whole,
        # so a question in flight finishes on the index it started with.
        self._composer = self._compose(index)
        self._reloading = threading.Lock()
        self._seen = _signature_if_current(index)  # the build on disk, as last seen

    def _compose(self, index: LoadedIndex) -> Composer:
        from .answer.compose import Composer
        from .answer.retrieval import Retriever

        return Composer(Retriever(index, self.embedder, self.settings), self.settings)

    @classmethod
    def load(cls, index_dir: str | Path | None = None, *, settings: Settings | None = None,
             embedder: Embedder | None = None, allow_stale: bool = False) -> Assistant:
        """Load the index; missing, mismatched, corrupt or (unless allowed) stale ones raise."""
        settings = settings or Settings()
        if index_dir is not None:
            settings = settings.model_copy(update={"index_dir": Path(index_dir)})
        recover_if_idle(settings.index_dir.resolve(), settings.database_url)
        index = load_settled(settings.index_dir, settings)
        if not allow_stale and settings.corpus_dir.is_dir():
            now = scan_corpus(settings.corpus_dir, index.manifest["articles"]).hashes()
            fresh = compare(index.manifest, now)
            if not fresh.fresh:
                raise IndexStaleError(
                    f"index in {settings.index_dir} is {fresh.describe()}: run "
                    "`cramp-assistant build` to bring it up to date")
        return cls(settings, embedder or make_embedder(settings), index)

    @property
    def index(self) -> LoadedIndex:
        return self._composer.index

    def understand(self, question: str, history: History | None = None) -> Query:
        """What ``question`` asks, made standalone from ``history`` (question, answer) pairs.

        The question and history are cleaned and bounded first (:mod:`assistant.inputs`);
        what cannot be used raises :class:`QuestionError` saying what was expected.
        """
        from .answer.understand import understand

        limit = self.settings.max_question_chars
        question, notes = clean_question(question, limit)
        turns = clean_history(history, self.settings.max_history_turns, limit)
        return understand(question, turns, self._composer.retriever.lexicon, self.settings,
                          notes, embed=self.embedder.embed)

    def search(self, question: str, k: int | None = None,
               history: History | None = None) -> list[Hit]:
        """The ``k`` passages (default ``settings.top_k``) that best answer ``question``;
        a follow-up is made standalone from ``history`` first."""
        return self.passages(self.understand(question, history), k)

    def passages(self, query: Query, k: int | None = None) -> list[Hit]:
        """:meth:`search` for a question already understood."""
        return self._composer.search(query, k or self.settings.top_k)

    def ask(self, question: str, history: History | None = None) -> Answer:
        """A cited answer composed from the articles, or an honest "not covered"."""
        return self.answer(self.understand(question, history))

    def answer(self, query: Query) -> Answer:
        """:meth:`ask` for a question already understood."""
        return self._composer.answer(query)

    def status(self) -> Status:
        return index_status(self.settings)

    def rebuild(self, progress: Progress | None = None, full: bool = False) -> BuildReport:
        """Rebuild the index from the corpus and switch to it; searches keep running meanwhile."""
        report = build_index(self.settings, self.embedder, progress, full=full)
        self.reload()
        return report

    def reload(self) -> None:
        """Swap in the index on disk; in-flight searches finish on the one they started with."""
        with self._reloading:
            seen = manifest_signature(self.settings.index_dir)
            self._composer = self._compose(load_settled(self.settings.index_dir, self.settings))
            self._seen = seen

    def follow(self) -> bool:
        """Switch to a newer build on disk, however it was made (``cramp-assistant build``,
        another process, a deploy); True if it switched. Costs one ``stat`` when nothing
        changed. A question already being answered finishes on the index it started with.
        A new build that cannot be loaded is logged and the current one kept until the next."""
        seen = manifest_signature(self.settings.index_dir)
        if seen is None or seen == self._seen:  # None: mid-swap; the next look sees it
            return False
        with self._reloading:
            if seen != self._seen:  # another thread may have switched meanwhile
                was = self.index.build_id
                try:
                    self._composer = self._compose(load_settled(self.settings.index_dir,
                                                                self.settings))
                except AssistantError as exc:
                    log.warning("new index build in %s not loaded, still answering from %s: %s",
                                self.settings.index_dir, was, exc)
                    self._seen = seen
                    return False
                self._seen = seen
                log.info("switched from index build %s to %s", was, self.index.build_id)
        return True

    def warm_up(self) -> None:
        """Load the model, and what answering reads on first use (English word ranks,
        spelling lists, lemminflect's tables, the language identifier), now rather than on
        the first question that needs them."""
        from .answer import language, unknown

        self.ask("What causes leg cramps?")
        self.index.lexicon.weight("cramp")
        unknown.load()
        language.load()
