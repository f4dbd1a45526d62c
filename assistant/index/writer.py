"""Writing an index folder: what the last build already holds is copied, new rows appended.

A build keeps the articles that did not change where they were (their chunk lines, passage
and sentence vectors are copied as runs of rows, never re-chunked or re-embedded) and puts
new and changed articles after them. When nothing was removed or changed the old index is
a prefix of the new one, and the FAISS index is extended instead of re-created.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..settings import Settings
from ..textutil import TOKENIZER_ID
from ..types import Article, Chunk
from . import ann
from .files import Rows, chunk_line, describe_file
from .keywords import KeywordIndex
from .lexicon import LexiconData
from .snapshot import Snapshot
from .store import (
    CHUNK_OFFSETS,
    CHUNKS,
    FAISS_FILE,
    FORMAT_VERSION,
    KEYWORDS,
    LEXICON,
    MANIFEST,
    SENTENCE_BOUNDS,
    SENTENCE_DTYPE,
    SENTENCE_VECTORS,
    VECTORS,
    LoadedIndex,
)


@dataclass(frozen=True)
class Plan:
    """Which articles a build keeps from the last index and which it chunks anew."""

    kept: list[tuple[str, int, int]]  # (article id, first chunk in the old index, chunks)
    fresh: list[Article]  # added or changed: chunked and embedded (or found in the cache)
    changed: list[str]
    append_only: bool  # the old index, unchanged and in order, is the start of the new one


def plan_build(snapshot: Snapshot, previous: LoadedIndex | None) -> Plan:
    old = previous.manifest["articles"] if previous else {}
    now = snapshot.hashes()
    same = {k for k, h in now.items() if k in old and old[k]["content_hash"] == h}
    kept = sorted(((k, int(old[k]["first"]), int(old[k]["chunks"])) for k in same),
                  key=lambda r: r[1])
    n_old = len(previous.chunks) if previous else 0
    return Plan(kept=kept, fresh=[snapshot.read[k] for k in now if k not in same],
                changed=[k for k in now if k in old and k not in same],
                append_only=sum(r[2] for r in kept) == n_old)


def _runs(ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """(start, stop) ranges with neighbours merged, so they copy as few slices."""
    out: list[tuple[int, int]] = []
    for start, stop in ranges:
        if out and out[-1][1] == start:
            out[-1] = (out[-1][0], stop)
        elif stop > start:
            out.append((start, stop))
    return out


class IndexWriter:
    """Fills a new index folder: the kept rows of ``previous`` (``copy_kept``), then ``chunks``,
    whose vector rows the caller fills through ``vectors`` and ``sentence_vectors`` from row
    ``kept_chunks`` and ``kept_sentences`` on; then ``finish``."""

    def __init__(self, target: Path, plan: Plan, chunks: Sequence[Chunk],
                 previous: LoadedIndex | None, dimension: int) -> None:
        target.mkdir(parents=True)
        self.target, self.plan, self.chunks, self.previous = target, plan, chunks, previous
        self.chunk_runs = _runs([(first, first + count) for _, first, count in plan.kept])
        self.kept = np.concatenate([np.arange(a, b) for a, b in self.chunk_runs]
                                   or [np.zeros(0, np.int64)])
        old_counts = np.diff(previous.sentence_bounds)[self.kept] if previous else []
        counts = np.concatenate([old_counts, [len(c.sentences) for c in chunks]])
        self.bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.kept_chunks = len(self.kept)
        self.kept_sentences = int(self.bounds[self.kept_chunks])
        open_ = np.lib.format.open_memmap
        self.vectors = open_(target / VECTORS, "w+", np.float32,
                             (self.kept_chunks + len(chunks), dimension))
        self.sentence_vectors = open_(target / SENTENCE_VECTORS, "w+", SENTENCE_DTYPE,
                                      (int(self.bounds[-1]), dimension))

    def copy_kept(self) -> None:
        """Write the chunk store (kept lines copied, new ones added) and copy kept vectors."""
        prev = self.previous
        if prev is not None:
            self.vectors.flush()
            self.sentence_vectors.flush()
            _copy_rows(self.target / VECTORS, prev.vectors, self.chunk_runs)
            bounds = prev.sentence_bounds
            _copy_rows(self.target / SENTENCE_VECTORS, prev.sentence_vectors,
                       _runs([(int(bounds[a]), int(bounds[b])) for a, b in self.chunk_runs]))
        offsets = [np.zeros(1, np.int64)]
        size = 0
        with (self.target / CHUNKS).open("wb") as fh:
            for start, stop in self.chunk_runs if prev is not None else []:
                old = prev.chunks.offsets  # type: ignore[union-attr]
                prev.chunks.copy_lines(start, stop, fh)  # type: ignore[union-attr]
                offsets.append(old[start + 1 : stop + 1] - old[start] + size)
                size += int(old[stop] - old[start])
            fresh = []
            for chunk in self.chunks:
                fh.write(line := chunk_line(chunk))
                size += len(line)
                fresh.append(size)
        offsets.append(np.asarray(fresh, np.int64))
        np.save(self.target / CHUNK_OFFSETS, np.concatenate(offsets), allow_pickle=False)

    def finish(self, articles: Snapshot, settings: Settings, build_id: str,
               package_version: str) -> dict[str, Any]:
        """Write the keyword and FAISS indexes and the manifest; returns the manifest."""
        self.vectors.flush()
        self.sentence_vectors.flush()
        np.save(self.target / SENTENCE_BOUNDS, self.bounds, allow_pickle=False)
        keep = None if self.plan.append_only else self.kept
        keywords = KeywordIndex.build((c.embed_text for c in self.chunks),
                                      self.previous.keywords if self.previous else None, keep)
        names = [f"{KEYWORDS}/{n}" for n in keywords.save(self.target / KEYWORDS)]
        self._lexicon().save(self.target / LEXICON)
        config = ann.index_config(settings, len(self.vectors))
        self._write_faiss(config, settings)
        manifest = self._manifest(articles, settings, build_id, package_version, config)
        manifest["files"] = {name: describe_file(self.target / name) for name in
                             [CHUNKS, CHUNK_OFFSETS, VECTORS, SENTENCE_VECTORS, SENTENCE_BOUNDS,
                              FAISS_FILE, LEXICON, *names]}
        # Compact: the articles section of a large library is tens of megabytes.
        (self.target / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        return manifest

    def _lexicon(self) -> LexiconData:
        """The last build's lexicon less the passages not kept, plus the new passages."""
        prev = self.previous
        data = LexiconData.load(prev.path / LEXICON) if prev is not None else LexiconData()
        if prev is not None and not self.plan.append_only:
            gone = np.setdiff1d(np.arange(len(prev.chunks)), self.kept)
            data.add((prev.chunks[int(i)] for i in gone), sign=-1)
            data.drop_articles({prev.chunks[int(i)].article_id for i in gone})
            bounds = prev.sentence_bounds
            for a, b in _runs([(int(i), int(i) + 1) for i in gone]):
                data.add_vectors(prev.sentence_vectors[int(bounds[a]):int(bounds[b])], sign=-1)
        data.add(self.chunks)
        data.add_vectors(self.sentence_vectors[self.kept_sentences:])
        return data

    def _write_faiss(self, config: dict[str, Any], settings: Settings) -> None:
        prev = self.previous
        if prev is not None and self.plan.append_only and prev.manifest["index"] == config:
            index = ann.read(prev.path / FAISS_FILE, settings, writable=True)
            ann.add_vectors(index, self.vectors[self.kept_chunks :])
        else:
            index = ann.make_index(config, self.vectors.shape[1])
            ann.add_vectors(index, self.vectors)
        ann.write(index, self.target / FAISS_FILE)

    def _manifest(self, articles: Snapshot, settings: Settings, build_id: str,
                  package_version: str, config: dict[str, Any]) -> dict[str, Any]:
        first: dict[str, int] = {}
        pos = 0
        for article_id, _, count in self.plan.kept:
            first[article_id], pos = pos, pos + count
        counts = Counter(c.article_id for c in self.chunks)
        for chunk in self.chunks:
            first.setdefault(chunk.article_id, pos)
            pos += 1
        sizes = {k: c for k, _, c in self.plan.kept} | counts
        return {
            "format_version": FORMAT_VERSION, "build_id": build_id,
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "package_version": package_version,
            "embedding": {"model": settings.embedding_model, "backend": settings.embedding_backend,
                          "dimension": int(self.vectors.shape[1]), "normalized": True},
            "chunking": settings.chunking_config(), "tokenizer": TOKENIZER_ID, "index": config,
            "sentence_dtype": np.dtype(SENTENCE_DTYPE).name,
            "counts": {"articles": len(articles.entries), "chunks": len(self.vectors),
                       "sentences": len(self.sentence_vectors)},
            "articles": {k: {**v, "first": first.get(k, 0), "chunks": sizes.get(k, 0)}
                         for k, v in articles.entries.items()},
        }


def _copy_rows(target: Path, source: Rows, runs: Sequence[tuple[int, int]]) -> None:
    """Copy the rows of ``runs`` from ``source`` to the top of the ``.npy`` file ``target``."""
    row = 0
    for start, stop in runs:
        source.copy_to(target, row, start, stop)
        row += stop - start
