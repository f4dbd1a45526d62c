"""Index files on disk: checksums that can be checked cheaply or in full, and the chunk store.

Every file of an index is recorded in the manifest with its size, an xxh3 hash of its
whole content, and an xxh3 hash of its first and last 64 KiB. The cheap check (every load,
``status``, ``build --if-needed``) compares sizes, hashes small files whole and samples the
ends of large ones, so it costs the same at any library size; ``--verify`` reads everything.
xxh3 rather than SHA-256: it guards against damage, not tampering, and reads a
multi-gigabyte index in about a second where SHA-256 takes ten.
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any, overload

import numpy as np
import xxhash

from ..types import Chunk

SMALL = 1 << 20  # files up to this size are hashed whole even by the cheap check
_END = 1 << 16


def describe_file(path: Path) -> dict[str, Any]:
    """What the manifest records about one file."""
    return {"bytes": path.stat().st_size, "xxh3": _hash_whole(path), "ends": _hash_ends(path)}


def file_problem(path: Path, entry: dict[str, Any], full: bool = False) -> str | None:
    """Why ``path`` does not match its manifest ``entry``, or None when it does."""
    if not path.is_file():
        return f"{path.name} is missing"
    size = path.stat().st_size
    if size != entry["bytes"]:
        return f"{path.name} has {size:,} bytes, the manifest says {entry['bytes']:,}"
    if full or size <= SMALL:
        if _hash_whole(path) != entry["xxh3"]:
            return f"{path.name} differs from its checksum"
    elif _hash_ends(path) != entry["ends"]:
        return f"{path.name} differs from its checksum (at its start or end)"
    return None


def _hash_whole(path: Path) -> str:
    digest = xxhash.xxh3_128()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _hash_ends(path: Path) -> str:
    digest = xxhash.xxh3_128()
    with path.open("rb") as fh:
        digest.update(fh.read(_END))
        fh.seek(max(path.stat().st_size - _END, 0))
        digest.update(fh.read(_END))
    return digest.hexdigest()


def chunk_line(chunk: Chunk) -> bytes:
    """One chunk as a line of the chunk store."""
    return (json.dumps(asdict(chunk), ensure_ascii=False) + "\n").encode("utf-8")


def parse_chunk(line: bytes) -> Chunk:
    row = json.loads(line)
    return Chunk(**{**row, "sentences": tuple(tuple(s) for s in row["sentences"])})


class ChunkStore(Sequence[Chunk]):
    """The chunks of an index, read on demand: a JSON-lines file and the byte offset of each
    line, both memory-mapped, so opening costs nothing and ``store[i]`` parses one line."""

    def __init__(self, lines: Path, offsets: Path) -> None:
        self.offsets = np.load(offsets, mmap_mode="r", allow_pickle=False)
        with lines.open("rb") as fh:
            size = lines.stat().st_size
            self._data: Any = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size \
                else b""
        self._chunk = lru_cache(maxsize=4096)(self._read)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def _read(self, i: int) -> Chunk:
        return parse_chunk(self._data[int(self.offsets[i]):int(self.offsets[i + 1])])

    def lines(self, start: int, stop: int) -> memoryview:
        """The stored lines of chunks ``start..stop-1``, uncopied (for the next build)."""
        return memoryview(self._data)[int(self.offsets[start]):int(self.offsets[stop])]

    @overload
    def __getitem__(self, i: int) -> Chunk: ...

    @overload
    def __getitem__(self, i: slice) -> list[Chunk]: ...

    def __getitem__(self, i: int | slice) -> Chunk | list[Chunk]:
        if isinstance(i, slice):
            return [self._chunk(j) for j in range(*i.indices(len(self)))]
        n = len(self)
        j = int(i) + n if int(i) < 0 else int(i)
        if not 0 <= j < n:
            raise IndexError(f"chunk {i} of {n}")
        return self._chunk(j)

    def __iter__(self) -> Iterator[Chunk]:
        return (self._read(j) for j in range(len(self)))
