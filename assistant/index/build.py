"""Build the index from the corpus: chunk and embed what changed, write atomically, swap in.

The new index is written to a temporary folder beside ``index/`` (named after the build and
the process that owns it), checked, then swapped in with two renames. A build that fails or
is killed leaves the previous index as it was. Everything that tidies up after a killed build
(:func:`recover`) runs under the build lock, so nothing that only reads the index (status,
health checks, loading) can delete the folder of a build in progress.
"""

from __future__ import annotations

import fcntl
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import AssistantError, BuildLockedError
from ..settings import Settings
from ..textutil import sha256_text
from .chunking import chunk_articles
from .embedding import Embedder, vectors_of
from .snapshot import scan_corpus
from .store import LoadedIndex, load_index, remove_tree
from .writer import IndexWriter, Plan, plan_build

Progress = Callable[[str, int, int], None]
_WINDOW = 2048  # texts embedded per call: sorted by length inside it, so batches pad little
_PROGRESS_BATCHES = 4  # progress is reported after this many batches (a rebuild of a few
#                        articles is one window: reported only per window, it shows nothing)


@dataclass(frozen=True)
class BuildReport:
    build_id: str
    articles: int
    chunks: int
    texts: int  # chunks plus their sentences: everything that has a vector
    embedded: int
    seconds: float
    embed_seconds: float

    @property
    def reused(self) -> int:
        return self.texts - self.embedded

    def summary(self) -> str:
        return (f"built index {self.build_id}: {self.articles} articles, {self.chunks} chunks "
                f"({self.texts} vectors: {self.embedded} embedded, {self.reused} reused from the "
                f"last build) "
                f"in {self.seconds:.1f}s")


def build_index(settings: Settings, embedder: Embedder, progress: Progress | None = None,
                full: bool = False) -> BuildReport:
    """Build ``settings.index_dir`` from ``settings.corpus_dir``; see the module docstring.

    ``full`` re-embeds everything instead of reusing the last build's vectors.
    """
    started = time.perf_counter()
    index_dir = settings.index_dir.resolve()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(index_dir, database_url=settings.database_url,
                    timeout=settings.database_timeout_seconds):
        recover(index_dir)
        previous = None if full else _previous(index_dir, settings)
        articles = scan_corpus(settings.corpus_dir,
                               previous.manifest["articles"] if previous else None)
        if not articles.entries:
            raise AssistantError(f"the corpus {settings.corpus_dir} has no articles: add some "
                                 "with `cramp-assistant add FILE...`")
        plan = plan_build(articles, previous)
        chunks = chunk_articles(plan.fresh, settings.chunk_size, settings.chunk_overlap)
        build_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
        tmp = index_dir.parent / f".{index_dir.name}.tmp-{build_id}-{os.getpid()}"
        try:
            dimension = previous.vectors.shape[1] if previous else embedder.dimension
            writer = IndexWriter(tmp, plan, chunks, previous, dimension)
            writer.copy_kept()
            t_embed = time.perf_counter()
            embedded = _embed_into(writer, _cache(previous, plan, settings), embedder, settings,
                                   progress)
            embed_seconds = time.perf_counter() - t_embed
            counts = writer.finish(articles, settings, build_id, __version__)["counts"]
            del writer, previous  # close the maps of the old index before it is removed
            load_index(tmp, settings)  # validate before it replaces anything
            _swap(tmp, index_dir, build_id)
        finally:
            remove_tree(tmp)
    return BuildReport(build_id, counts["articles"], counts["chunks"],
                       counts["chunks"] + counts["sentences"], embedded,
                       time.perf_counter() - started, embed_seconds)


def cache_key(embedding: str, text: str) -> str:
    """Embedding cache key: the model (and the vectors its backend makes) and exactly the text
    that was embedded."""
    return sha256_text(embedding + "\n" + text)


def _embedding_id(settings: Settings) -> str:
    return f"{settings.embedding_model}@{vectors_of(settings.embedding_backend)}"


def _previous(index_dir: Path, settings: Settings) -> LoadedIndex | None:
    """The last build, when its rows can be reused: same model, backend, chunking and
    tokenizer, and not damaged (otherwise everything is embedded again)."""
    try:
        return load_index(index_dir, settings)
    except (AssistantError, OSError, ValueError):
        return None


def _cache(previous: LoadedIndex | None, plan: Plan, settings: Settings) -> dict[str, np.ndarray]:
    """Vectors of the changed articles' old chunks and sentences, by text: an edit re-embeds
    only the passages and sentences it touched."""
    if previous is None or not plan.changed:
        return {}
    key = _embedding_id(settings)
    cache: dict[str, np.ndarray] = {}
    for article_id in plan.changed:
        entry = previous.manifest["articles"][article_id]
        for pos in range(entry["first"], entry["first"] + entry["chunks"]):
            chunk = previous.chunks[pos]
            cache[cache_key(key, chunk.embed_text)] = np.asarray(previous.vectors[pos])
            rows = range(int(previous.sentence_bounds[pos]), int(previous.sentence_bounds[pos + 1]))
            for text, row in zip(chunk.sentence_texts(), rows, strict=True):
                cache[cache_key(key, text)] = previous.sentence_vectors[row].astype(np.float32)
    return cache


def _embed_into(writer: IndexWriter, cache: dict[str, np.ndarray], embedder: Embedder,
                settings: Settings, progress: Progress | None) -> int:
    """Fill the new chunks' vector rows, embedding what the cache lacks; returns how many
    texts were embedded."""
    total = len(writer.chunks) + int(writer.bounds[-1]) - writer.kept_sentences
    embedded = done = 0
    key = _embedding_id(settings)
    for texts, rows in _windows(writer):
        vectors = np.zeros((len(texts), writer.vectors.shape[1]), np.float32)
        todo = []
        for i, text in enumerate(texts):
            hit = cache.get(cache_key(key, text)) if cache else None
            if hit is None:
                todo.append(i)
            else:
                vectors[i] = hit
        todo.sort(key=lambda i: -len(texts[i]))  # similar lengths per batch: less padding
        cached, step = len(texts) - len(todo), _PROGRESS_BATCHES * settings.embedding_batch_size
        for start in range(0, len(todo), step):  # progress every few batches, not per window
            part = todo[start:start + step]
            vectors[part] = embedder.embed([texts[i] for i in part],
                                           batch_size=settings.embedding_batch_size)
            if progress:
                progress("embedding", done + cached + start + len(part), total)
        sentence = rows < 0  # sentence rows are stored as -1 - row
        writer.vectors[rows[~sentence]] = vectors[~sentence]
        writer.sentence_vectors[-1 - rows[sentence]] = vectors[sentence]
        embedded += len(todo)
        done += len(texts)
        if progress and not todo:
            progress("embedding", done, total)
    return embedded


def _windows(writer: IndexWriter) -> Iterator[tuple[list[str], np.ndarray]]:
    """The new chunks' texts, about ``_WINDOW`` at a time, with their rows: a passage's row
    in ``vectors``, or ``-1 - row`` for a sentence's row in ``sentence_vectors``."""
    row, sentence_row = writer.kept_chunks, writer.kept_sentences
    texts: list[str] = []
    rows: list[int] = []
    for chunk in writer.chunks:
        texts.append(chunk.embed_text)
        rows.append(row)
        row += 1
        for text in chunk.sentence_texts():
            texts.append(text)
            rows.append(-1 - sentence_row)
            sentence_row += 1
        if len(texts) >= _WINDOW:
            yield texts, np.asarray(rows, np.int64)
            texts, rows = [], []
    if texts:
        yield texts, np.asarray(rows, np.int64)


def _swap(tmp: Path, index_dir: Path, build_id: str) -> None:
    old = index_dir.parent / f".{index_dir.name}.old-{build_id}"
    if index_dir.exists():
        os.rename(index_dir, old)
    os.rename(tmp, index_dir)
    remove_tree(old)


def recover(index_dir: Path) -> None:
    """Finish or undo a swap that was interrupted, and clear what killed builds left behind.

    Call it only while holding :func:`build_lock`, so no build of this process or another is
    running; a build's folder is removed only when the process named in its name is gone (or
    is this one, whose builds are over).
    """
    parent = index_dir.parent
    olds = sorted(parent.glob(f".{index_dir.name}.old-*"))
    if not index_dir.exists() and olds:
        os.rename(olds[-1], index_dir)  # killed between the two renames: put the old one back
        olds = olds[:-1]
    for old in olds:
        remove_tree(old)
    for leftover in parent.glob(f".{index_dir.name}.tmp-*"):
        if not _owner_alive(leftover):
            remove_tree(leftover)


def _owner_alive(folder: Path) -> bool:
    """Whether another live process owns ``folder`` (its name ends in the owner's pid)."""
    pid = folder.name.rsplit("-", 1)[-1]
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def build_lock(index_dir: Path, wait: bool = False, database_url: str | None = None,
               timeout: float = 5.0) -> Iterator[None]:
    """Hold the build lock of ``index_dir``; raises BuildLockedError if a build holds it
    (or waits for it, with ``wait``).

    The lock is a file lock beside the index (the processes of one machine) and, with a
    PostgreSQL ``database_url``, an advisory lock there too (replicas on other machines
    sharing the folder, where file locks cannot be trusted)."""
    lock_path = index_dir.parent / f".{index_dir.name}.lock"
    with lock_path.open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            raise BuildLockedError(f"another build of {index_dir} is running; wait for it "
                                   "to finish") from exc
        try:
            with _shared_lock(database_url, wait, timeout):
                yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextmanager
def _shared_lock(database_url: str | None, wait: bool, timeout: float) -> Iterator[None]:
    if not database_url:
        yield
        return
    from ..database import Database  # SQLAlchemy is imported only when a database is set

    database = Database(database_url, timeout)
    try:
        with database.build_lock(wait):
            yield
    finally:
        database.dispose()


def recover_if_idle(index_dir: Path, database_url: str | None = None) -> None:
    """Recover after a killed build if no build is running now (at load time)."""
    if not index_dir.parent.is_dir():
        return
    try:
        with build_lock(index_dir, database_url=database_url):
            recover(index_dir)
    except (AssistantError, OSError):
        # a build is running (its folders are not leftovers), the folder is read-only, or
        # the database that holds the replicas' lock is not answering: recover next time
        pass
