"""The saved index: chunk store, vectors, keyword index, FAISS index and a manifest that
describes how it was built.

Layout of ``index/``: ``manifest.json``; ``chunks.jsonl`` with ``chunk_offsets.npy`` (byte
offset of each line); ``vectors.npy`` (float32, one row per chunk); ``sentences.npy``
(float16, one row per sentence, grouped by chunk) with ``sentence_bounds.npy`` (chunk ``i``
owns rows ``bounds[i]:bounds[i+1]``); ``faiss.index``; ``keywords/`` (BM25 posting lists).
Nothing is read whole on load (offsets, bounds and posting lists are memory-mapped, rows and
chunk lines read on demand), so loading takes the same time at any size and a question reads
only its candidates' rows. The manifest records the model and its backend, the
chunking, the tokenizer, the index type and parameters, per-article content hashes and
chunk ranges, and each file's size and checksums, so loading refuses a mismatched or damaged
index with a fix.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from ..settings import Settings
from ..textutil import TOKENIZER_ID
from ..types import Article
from . import ann
from .embedding import vectors_of
from .files import ChunkStore, Rows, file_problem
from .keywords import KeywordIndex
from .lexicon import Lexicon, LexiconData

FORMAT_VERSION = 3
MANIFEST = "manifest.json"
CHUNKS = "chunks.jsonl"
CHUNK_OFFSETS = "chunk_offsets.npy"
VECTORS = "vectors.npy"
SENTENCE_VECTORS = "sentences.npy"
SENTENCE_BOUNDS = "sentence_bounds.npy"
FAISS_FILE = "faiss.index"
KEYWORDS = "keywords"
LEXICON = "lexicon.json"
SENTENCE_DTYPE = np.float16  # half the memory of float32; dev figures unchanged (README)
REBUILD = "rebuild with `cramp-assistant build`"


@dataclass(frozen=True)
class Freshness:
    """How the corpus differs from what the index was built from."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    @property
    def fresh(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def describe(self) -> str:
        if self.fresh:
            return "fresh"
        parts = [f"{len(v)} {k}" for k, v in
                 (("added", self.added), ("removed", self.removed), ("changed", self.changed)) if v]
        return "stale (" + ", ".join(parts) + " since the build)"


@dataclass
class LoadedIndex:
    """An opened index: what search needs, read on demand, plus the manifest it was built with."""

    path: Path
    manifest: dict[str, Any]
    chunks: ChunkStore  # random access; a chunk is parsed when it is asked for
    faiss_index: Any
    vectors: Rows  # one float32 row per chunk, normalized: ``vectors[ids]`` is an array
    sentence_vectors: Rows  # float16 rows, chunk by chunk, see ``sentence_bounds``
    sentence_bounds: np.ndarray  # chunk i owns sentence rows bounds[i]:bounds[i+1]
    keywords: KeywordIndex
    lexicon: Lexicon  # the library's words, term bridges and mean sentence

    @property
    def build_id(self) -> str:
        return str(self.manifest["build_id"])

    @property
    def sentence_first(self) -> np.ndarray:
        """Row of each chunk's first sentence vector."""
        return self.sentence_bounds[:-1]

    def freshness(self, articles: list[Article]) -> Freshness:
        return compare(self.manifest, {a.article_id: a.index_hash for a in articles})

    def best_sentence(self, qvec: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Per chunk in ``ids``, the best cosine of its sentences with ``qvec`` (-inf for a
        chunk without sentences); reads only those chunks' rows."""
        ids = np.asarray(ids, dtype=np.int64)
        starts, stops = self.sentence_bounds[ids], self.sentence_bounds[ids + 1]
        counts = stops - starts
        best = np.full(len(ids), -np.inf, dtype=np.float32)
        if counts.sum() == 0:
            return best
        offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
        rows = offsets + np.arange(counts.sum())
        sims = self.sentence_vectors[rows].astype(np.float32) @ qvec
        has = counts > 0
        best[has] = np.maximum.reduceat(sims, (np.cumsum(counts) - counts)[has])
        return best


def compare(manifest: dict[str, Any], now: dict[str, str]) -> Freshness:
    """What changed between the index and ``now`` (article id -> content hash)."""
    built = {k: v["content_hash"] for k, v in manifest["articles"].items()}
    return Freshness(
        added=sorted(set(now) - set(built)), removed=sorted(set(built) - set(now)),
        changed=sorted(k for k in set(now) & set(built) if now[k] != built[k]),
    )


def read_manifest(index_dir: Path) -> dict[str, Any]:
    path = index_dir / MANIFEST
    if not path.is_file():
        raise IndexMissingError(f"no index in {index_dir}: build it with `cramp-assistant build "
                                f"--index {index_dir}` (or `make run`, which builds it first)")
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:  # a build's swap renamed the folder after the check
        raise IndexMissingError(f"no index in {index_dir} at this moment (a build may be "
                                "swapping it in): read it again") from exc
    try:
        manifest = json.loads(raw)
        if manifest.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"format version {manifest.get('format_version')!r}")
        manifest["embedding"]["model"], manifest["files"], manifest["articles"]  # noqa: B018
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexCorruptError(f"{path} is damaged or from another version ({exc}): "
                                f"{REBUILD}") from exc
    return dict(manifest)


def check_settings(manifest: dict[str, Any], settings: Settings, index_dir: Path) -> None:
    """Refuse an index built with another model, chunking or tokenizer, or by a backend that
    makes other vectors (torch and onnx make the same ones)."""
    built = manifest["embedding"]
    backend = built.get("backend")
    pairs: list[tuple[str, object, object]] = [
        ("model", built["model"], settings.embedding_model),
        ("embedding backend", backend if vectors_of(backend) != vectors_of(
            settings.embedding_backend) else settings.embedding_backend,
         settings.embedding_backend),
        ("chunking", manifest["chunking"], settings.chunking_config()),
        ("keyword tokenizer", manifest.get("tokenizer"), TOKENIZER_ID)]
    for what, was, now in pairs:
        if was != now:
            raise IndexMismatchError(
                f"index in {index_dir} was built with {what} {was!r}, this version uses "
                f"{now!r}: run `cramp-assistant build` to rebuild it")


def damage(index_dir: Path, manifest: dict[str, Any], full: bool = False) -> str | None:
    """What is wrong with the index files, or None. Cheap unless ``full`` (see files.py)."""
    for name, entry in manifest["files"].items():
        problem = file_problem(index_dir / name, entry, full)
        if problem:
            return problem
    return None


def load_index(index_dir: Path, settings: Settings, verify: bool = False) -> LoadedIndex:
    """Open the index in ``index_dir``; refuses a missing, mismatched or damaged one."""
    manifest = read_manifest(index_dir)
    check_settings(manifest, settings, index_dir)
    problem = damage(index_dir, manifest, full=verify)
    if problem:
        raise IndexCorruptError(f"index in {index_dir} is damaged ({problem}): {REBUILD}")
    try:
        index = _open(index_dir, manifest, settings)
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"index in {index_dir} cannot be read ({exc}): "
                                f"{REBUILD}") from exc
    _check_shapes(index)
    return index


def load_settled(index_dir: Path, settings: Settings, tries: int = 40,
                 pause: float = 0.05) -> LoadedIndex:
    """:func:`load_index`, read again when a build swapped a new index in while it was being
    opened (files of two builds, or none for a moment); the index returned is whole and its
    manifest was still the current one after every file was opened."""
    for attempt in range(tries):
        try:
            index = load_index(index_dir, settings)
            if _current_id(index_dir) == index.build_id:
                return index
        except (IndexMissingError, IndexCorruptError):
            if attempt + 1 == tries or not _swapping(index_dir):
                raise
        time.sleep(pause)  # a swap is two renames: it is over in far less than this
    raise IndexCorruptError(f"index in {index_dir} kept changing while it was opened "
                            f"({tries} tries): are builds running back to back?")


def _current_id(index_dir: Path) -> str | None:
    try:
        return str(read_manifest(index_dir)["build_id"])
    except (IndexMissingError, IndexCorruptError):
        return None


def _swapping(index_dir: Path) -> bool:
    """Whether a build's swap is under way beside ``index_dir`` (its old folder is there)."""
    return not index_dir.is_dir() or any(index_dir.parent.glob(f".{index_dir.name}.old-*"))


def manifest_signature(index_dir: Path) -> tuple[int, int, int] | None:
    """What identifies the build on disk without reading it: the manifest's inode, time and
    size (a swap renames a new folder in, so every build has a new inode); None while a swap
    is under way."""
    try:
        st = os.stat(index_dir / MANIFEST)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _open(index_dir: Path, manifest: dict[str, Any], settings: Settings) -> LoadedIndex:
    def array(name: str) -> np.ndarray:
        return np.load(index_dir / name, mmap_mode="r", allow_pickle=False)

    return LoadedIndex(
        path=index_dir, manifest=manifest,
        chunks=ChunkStore(index_dir / CHUNKS, index_dir / CHUNK_OFFSETS),
        faiss_index=ann.read(index_dir / FAISS_FILE, settings), vectors=Rows(index_dir / VECTORS),
        sentence_vectors=Rows(index_dir / SENTENCE_VECTORS),
        sentence_bounds=array(SENTENCE_BOUNDS),
        keywords=(keywords := KeywordIndex.load(index_dir / KEYWORDS)),
        lexicon=Lexicon(LexiconData.load(index_dir / LEXICON), keywords.doc_freq,
                        keywords.size, int(manifest["embedding"]["dimension"])))


def _check_shapes(index: LoadedIndex) -> None:
    n, dim = index.manifest["counts"]["chunks"], index.manifest["embedding"]["dimension"]
    sentences = index.manifest["counts"]["sentences"]
    shapes = [(len(index.chunks), n), (index.faiss_index.ntotal, n), (index.faiss_index.d, dim),
              (index.vectors.shape, (n, dim)), (index.sentence_vectors.shape, (sentences, dim)),
              (len(index.sentence_bounds), n + 1), (index.keywords.size, n)]
    for found, expected in shapes:
        if found != expected:
            raise IndexCorruptError(f"index in {index.path} does not match its manifest "
                                    f"({found} where {expected} was expected): {REBUILD}")


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
