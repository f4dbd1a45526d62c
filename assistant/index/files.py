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
import os
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, overload

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


class Rows:
    """The rows of a saved ``.npy`` matrix, read on demand with ``os.pread``.

    Not a memory map on purpose: a question reads a few hundred scattered rows, and a mapped
    file pulls the cached pages around each one into the process (fault-around), so after a
    few thousand questions a 4 GB file looks resident in it. Reading rows costs the same and
    leaves the pages to the OS's cache. ``rows[i]``, ``rows[ids]`` and ``rows[a:b]`` give
    arrays; ``np.asarray(rows)`` reads everything.
    """

    def __init__(self, path: Path) -> None:
        with path.open("rb") as fh:
            fmt = np.lib.format
            read = fmt.read_array_header_1_0 if fmt.read_magic(fh) == (1, 0) else \
                fmt.read_array_header_2_0
            shape, fortran, dtype = read(fh)
            self._start = fh.tell()
        if fortran or len(shape) != 2:
            raise ValueError(f"{path.name} is not a row-major matrix")
        self.shape: tuple[int, int] = (int(shape[0]), int(shape[1]))
        self.dtype = np.dtype(dtype)
        self._row = self.shape[1] * self.dtype.itemsize
        self._fd = os.open(path, os.O_RDONLY)
        self._close = weakref.finalize(self, os.close, self._fd)

    def __len__(self) -> int:
        return self.shape[0]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self[0 : len(self)]
        return out if dtype is None else out.astype(dtype)

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if step == 1:
                return self._read(start, max(stop - start, 0))
            key = np.arange(start, stop, step)
        ids = np.asarray(key, dtype=np.int64)
        if ids.ndim == 0:
            return self[int(ids) : int(ids) + 1][0]
        ids = np.where(ids < 0, ids + len(self), ids)
        if len(ids) and (ids.min() < 0 or ids.max() >= len(self)):
            raise IndexError(f"row out of range 0..{len(self) - 1}")
        out = np.empty((len(ids), self.shape[1]), self.dtype)
        # Neighbouring rows (a chunk's sentences) are read in one call.
        edges = [0, *(np.flatnonzero(np.diff(ids) != 1) + 1).tolist(), len(ids)]
        for first, stop in zip(edges[:-1], edges[1:], strict=True):
            if stop > first:
                out[first:stop] = self._read(int(ids[first]), stop - first)
        return out

    def copy_to(self, target: Path, row: int, start: int, stop: int) -> None:
        """Copy rows ``start..stop-1`` into the ``.npy`` file ``target`` (same row size) from
        its row ``row`` on, inside the kernel."""
        with target.open("r+b") as fh:
            fmt = np.lib.format
            read = fmt.read_array_header_1_0 if fmt.read_magic(fh) == (1, 0) else \
                fmt.read_array_header_2_0
            read(fh)
            src, dst = self._start + start * self._row, fh.tell() + row * self._row
            left = (stop - start) * self._row
            while left > 0:
                done = os.copy_file_range(self._fd, fh.fileno(), left, src, dst)
                if done <= 0:
                    raise OSError(f"copying rows into {target.name} stopped short")
                src, dst, left = src + done, dst + done, left - done

    def _read(self, start: int, count: int) -> np.ndarray:
        data = os.pread(self._fd, count * self._row, self._start + start * self._row)
        if len(data) != count * self._row:
            raise ValueError("the file is shorter than its header says")
        return np.frombuffer(data, self.dtype).reshape(count, self.shape[1]).copy()


def chunk_line(chunk: Chunk) -> bytes:
    """One chunk as a line of the chunk store."""
    return (json.dumps(asdict(chunk), ensure_ascii=False) + "\n").encode("utf-8")


def parse_chunk(line: bytes) -> Chunk:
    row = json.loads(line)
    return Chunk(**{**row, "sentences": tuple(tuple(s) for s in row["sentences"])})


class ChunkStore(Sequence[Chunk]):
    """The chunks of an index, read on demand: a JSON-lines file and the byte offset of each
    line, so opening costs nothing and ``store[i]`` reads and parses one line (with
    ``os.pread``, for the reason given under :class:`Rows`)."""

    def __init__(self, lines: Path, offsets: Path) -> None:
        self.offsets = np.load(offsets, mmap_mode="r", allow_pickle=False)
        self._fd = os.open(lines, os.O_RDONLY)
        self._close = weakref.finalize(self, os.close, self._fd)
        self._chunk = lru_cache(maxsize=4096)(self._read)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def _bytes(self, start: int, stop: int) -> bytes:
        begin, end = int(self.offsets[start]), int(self.offsets[stop])
        data = os.pread(self._fd, end - begin, begin)
        if len(data) != end - begin:
            raise ValueError("the chunk store is shorter than its offsets say")
        return data

    def _read(self, i: int) -> Chunk:
        return parse_chunk(self._bytes(i, i + 1))

    def copy_lines(self, start: int, stop: int, out: BinaryIO) -> None:
        """Write the stored lines of chunks ``start..stop-1`` to ``out`` (for the next build)."""
        for a in range(start, stop, 16384):
            out.write(self._bytes(a, min(a + 16384, stop)))

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
