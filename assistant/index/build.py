"""Build the index from the corpus: chunk, embed what changed, write atomically, swap in.

The new index is written to a temporary folder beside ``index/``, loaded back to validate
it, then swapped in with two renames. A build that fails or is killed leaves the previous
index as it was; the one instant between the renames is repaired by :func:`recover`.
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
from ..ingest.corpus import load_corpus
from ..settings import Settings
from ..textutil import sha256_text
from .chunking import chunk_articles
from .embedding import Embedder
from .store import load_index, read_chunks, read_manifest, read_vectors, remove_tree, write_index

Progress = Callable[[str, int, int], None]


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
    with _build_lock(index_dir):
        recover(index_dir)
        articles = load_corpus(settings.corpus_dir)
        if not articles:
            raise AssistantError(f"the corpus {settings.corpus_dir} has no articles: add some "
                                 "with `cramp-assistant add FILE...`")
        chunks = chunk_articles(articles, settings.chunk_size, settings.chunk_overlap)
        cache = {} if full else _previous_vectors(index_dir, settings)
        t_embed = time.perf_counter()
        texts = [c.embed_text for c in chunks]
        sentences = [s for c in chunks for s in c.sentence_texts()]
        vectors, embedded = _embed(texts + sentences, cache, embedder, settings, progress)
        embed_seconds = time.perf_counter() - t_embed
        build_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
        tmp = index_dir.parent / f".{index_dir.name}.tmp-{build_id}"
        try:
            write_index(tmp, chunks, vectors[: len(texts)], vectors[len(texts) :], articles,
                        settings, build_id, __version__)
            load_index(tmp, settings)  # validate before it replaces anything
            _swap(tmp, index_dir, build_id)
        finally:
            remove_tree(tmp)
    return BuildReport(build_id, len(articles), len(chunks), len(texts) + len(sentences),
                       embedded, time.perf_counter() - started, embed_seconds)


def cache_key(model_id: str, text: str) -> str:
    """Embedding cache key: the model and exactly the text that was embedded."""
    return sha256_text(model_id + "\n" + text)


def _previous_vectors(index_dir: Path, settings: Settings) -> dict[str, np.ndarray]:
    """Vectors of the last build, reusable when model and chunk settings are unchanged."""
    try:
        manifest = read_manifest(index_dir)
        if (manifest["embedding"]["model"] != settings.embedding_model
                or manifest["chunking"] != settings.chunking_config()):
            return {}
        chunks = read_chunks(index_dir)
        chunk_vectors, sentence_vectors = read_vectors(index_dir)
    except (AssistantError, OSError, ValueError):
        return {}  # no usable previous build: embed everything
    texts = [c.embed_text for c in chunks] + [s for c in chunks for s in c.sentence_texts()]
    vectors = np.concatenate([chunk_vectors, sentence_vectors])
    if len(texts) != len(vectors):
        return {}
    return {cache_key(settings.embedding_model, t): v for t, v in zip(texts, vectors, strict=True)}


def _embed(texts: list[str], cache: dict[str, np.ndarray], embedder: Embedder,
           settings: Settings, progress: Progress | None) -> tuple[np.ndarray, int]:
    """Vectors for ``texts``, embedding only those the cache lacks; returns (vectors, embedded)."""
    keys = [cache_key(settings.embedding_model, t) for t in texts]
    todo = [i for i, k in enumerate(keys) if k not in cache]
    # Longest first, so each batch holds texts of similar length and pads little.
    todo.sort(key=lambda i: -len(texts[i]))
    fresh: dict[int, np.ndarray] = {}
    batch = settings.embedding_batch_size
    for done in range(0, len(todo), batch):
        ids = todo[done : done + batch]
        for i, vec in zip(ids, embedder.embed([texts[i] for i in ids], batch_size=batch),
                          strict=True):
            fresh[i] = vec
        if progress:
            progress("embedding", min(done + batch, len(todo)), len(todo))
    rows = [fresh[i] if i in fresh else cache[keys[i]] for i in range(len(texts))]
    dim = embedder.dimension
    vectors = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, dim), np.float32)
    return vectors, len(todo)


def _swap(tmp: Path, index_dir: Path, build_id: str) -> None:
    old = index_dir.parent / f".{index_dir.name}.old-{build_id}"
    if index_dir.exists():
        os.rename(index_dir, old)
    os.rename(tmp, index_dir)
    remove_tree(old)


def recover(index_dir: Path) -> None:
    """Finish or undo a swap that was interrupted, and clear leftovers of killed builds."""
    parent = index_dir.parent
    olds = sorted(parent.glob(f".{index_dir.name}.old-*"))
    if not index_dir.exists() and olds:
        os.rename(olds[-1], index_dir)  # killed between the two renames: put the old one back
        olds = olds[:-1]
    for leftover in [*olds, *parent.glob(f".{index_dir.name}.tmp-*")]:
        remove_tree(leftover)


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    lock_path = index_dir.parent / f".{index_dir.name}.lock"
    with lock_path.open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BuildLockedError(f"another build of {index_dir} is running; wait for it "
                                   "to finish") from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
