"""The saved index: FAISS vectors, chunk store and a manifest that describes how it was built.

Layout of ``index/``: ``manifest.json``, ``chunks.jsonl``, ``vectors.npy``, ``faiss.index``.
The manifest records the model, dimension, chunk settings, per-article content hashes and a
SHA-256 of every other file, so loading refuses a mismatched or damaged index with a fix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from ..settings import Settings
from ..types import Article, Chunk

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNKS = "chunks.jsonl"
VECTORS = "vectors.npy"
SENTENCE_VECTORS = "sentences.npy"
FAISS_FILE = "faiss.index"


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
    """An index in memory: what search needs, plus the manifest it was built with."""

    path: Path
    manifest: dict[str, Any]
    chunks: list[Chunk]
    faiss_index: Any
    vectors: np.ndarray  # one row per chunk, normalized
    #: One row per sentence of every chunk, in chunk order; ``sentence_owner`` maps row -> chunk.
    sentence_vectors: np.ndarray
    sentence_owner: np.ndarray
    sentence_first: np.ndarray  # row of each chunk's first sentence

    @property
    def build_id(self) -> str:
        return str(self.manifest["build_id"])

    def freshness(self, articles: list[Article]) -> Freshness:
        return compare(self.manifest, articles)


def compare(manifest: dict[str, Any], articles: list[Article]) -> Freshness:
    built = {k: v["content_hash"] for k, v in manifest["articles"].items()}
    now = {a.article_id: a.content_hash for a in articles}
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
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if manifest.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"format version {manifest.get('format_version')!r}")
        manifest["embedding"]["model"], manifest["files"], manifest["articles"]  # noqa: B018
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexCorruptError(f"{path} is damaged or from another version ({exc}): "
                                "rebuild with `cramp-assistant build`") from exc
    return dict(manifest)


def check_settings(manifest: dict[str, Any], settings: Settings, index_dir: Path) -> None:
    """Refuse an index built with another model or other chunk settings than ``settings``."""
    built_model = manifest["embedding"]["model"]
    if built_model != settings.embedding_model:
        raise IndexMismatchError(
            f"index in {index_dir} was built with model {built_model!r}, settings say "
            f"{settings.embedding_model!r}: run `cramp-assistant build` to rebuild it")
    if manifest["chunking"] != settings.chunking_config():
        raise IndexMismatchError(
            f"index in {index_dir} was built with chunking {manifest['chunking']}, settings say "
            f"{settings.chunking_config()}: run `cramp-assistant build` to rebuild it")


def load_index(index_dir: Path, settings: Settings) -> LoadedIndex:
    manifest = read_manifest(index_dir)
    check_settings(manifest, settings, index_dir)
    _verify_files(index_dir, manifest)
    chunks = read_chunks(index_dir)
    faiss_index = _read_faiss(index_dir / FAISS_FILE)
    if faiss_index.ntotal != len(chunks) or len(chunks) != manifest["counts"]["chunks"]:
        raise IndexCorruptError(f"{index_dir}: {faiss_index.ntotal} vectors for {len(chunks)} "
                                "chunks; rebuild with `cramp-assistant build`")
    if faiss_index.d != manifest["embedding"]["dimension"]:
        raise IndexCorruptError(f"{index_dir}: vector size {faiss_index.d} differs from the "
                                "manifest; rebuild with `cramp-assistant build`")
    vectors, sentence_vectors = read_vectors(index_dir)
    counts = [len(c.sentences) for c in chunks]
    if vectors.shape != (len(chunks), faiss_index.d) or \
            sentence_vectors.shape != (sum(counts), faiss_index.d):
        raise IndexCorruptError(f"{index_dir}: stored vectors do not match the chunks; "
                                "rebuild with `cramp-assistant build`")
    owner = np.repeat(np.arange(len(chunks)), counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int) if counts else owner
    return LoadedIndex(path=index_dir, manifest=manifest, chunks=chunks, faiss_index=faiss_index,
                       vectors=vectors, sentence_vectors=sentence_vectors, sentence_owner=owner,
                       sentence_first=first)


def _read_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"{path} cannot be read ({exc}): rebuild with "
                                "`cramp-assistant build`") from exc


def _verify_files(index_dir: Path, manifest: dict[str, Any]) -> None:
    for name, digest in manifest["files"].items():
        path = index_dir / name
        if not path.is_file():
            raise IndexCorruptError(f"{path} is missing: rebuild with `cramp-assistant build`")
        if file_sha256(path) != digest:
            raise IndexCorruptError(f"{path} is damaged (checksum differs from the manifest): "
                                    "rebuild with `cramp-assistant build`")


def _read_faiss(path: Path) -> Any:
    import faiss

    try:
        return faiss.read_index(str(path))
    except RuntimeError as exc:  # FAISS reports every read problem as RuntimeError
        raise IndexCorruptError(f"{path} cannot be read by FAISS: rebuild with "
                                "`cramp-assistant build`") from exc


def read_chunks(index_dir: Path) -> list[Chunk]:
    path = index_dir / CHUNKS
    try:
        with path.open(encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
        return [Chunk(**{**row, "sentences": tuple(tuple(s) for s in row["sentences"])})
                for row in rows]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise IndexCorruptError(f"{path} is damaged ({exc}): rebuild with "
                                "`cramp-assistant build`") from exc


def read_vectors(index_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """Chunk vectors and sentence vectors of a built index."""
    return _read_npy(index_dir / VECTORS), _read_npy(index_dir / SENTENCE_VECTORS)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def make_faiss(vectors: np.ndarray, index_type: str) -> Any:
    """Exact inner product on normalized vectors is cosine similarity; HNSW approximates it."""
    import faiss

    dim = vectors.shape[1]
    index: Any = (faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
                  if index_type == "hnsw" else faiss.IndexFlatIP(dim))
    if len(vectors):
        index.add(vectors)
    return index


def write_index(
    target: Path, chunks: list[Chunk], vectors: np.ndarray, sentence_vectors: np.ndarray,
    articles: list[Article], settings: Settings, build_id: str, package_version: str,
) -> dict[str, Any]:
    """Write every file of an index into the empty folder ``target``; returns the manifest."""
    import faiss

    target.mkdir(parents=True)
    with (target / CHUNKS).open("w", encoding="utf-8") as fh:
        for chunk in chunks:
            fh.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")
    np.save(target / VECTORS, vectors, allow_pickle=False)
    np.save(target / SENTENCE_VECTORS, sentence_vectors, allow_pickle=False)
    faiss.write_index(make_faiss(vectors, settings.index_type), str(target / FAISS_FILE))
    counts = Counter(c.article_id for c in chunks)
    per_article = {a.article_id: {"content_hash": a.content_hash, "title": a.title,
                                  "source": a.source, "chunks": counts[a.article_id]}
                   for a in articles}
    manifest = {
        "format_version": FORMAT_VERSION, "build_id": build_id,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "package_version": package_version,
        "embedding": {"model": settings.embedding_model, "dimension": int(vectors.shape[1]),
                      "normalized": True},
        "chunking": settings.chunking_config(), "index_type": settings.index_type,
        "counts": {"articles": len(articles), "chunks": len(chunks)},
        "articles": per_article,
        "files": {name: file_sha256(target / name)
                  for name in (CHUNKS, VECTORS, SENTENCE_VECTORS, FAISS_FILE)},
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
