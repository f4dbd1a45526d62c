"""The vector index (FAISS): exact for a small library, HNSW above a size threshold.

Inner product on normalized vectors is cosine similarity. A flat index is exact and, up
to some tens of thousands of passages, as fast as a single query embedding; past
``settings.approximate_above`` passages HNSW keeps a search to about a millisecond at
the recall measured by ``scripts/bench_scale.py``. Both take new vectors without being
re-created, so a build that only adds articles extends the last index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexCorruptError
from ..settings import Settings


def index_config(settings: Settings, passages: int) -> dict[str, Any]:
    """Which index a library of ``passages`` gets, with the parameters that shape it."""
    kind = settings.index_type
    if kind == "auto":
        kind = "hnsw" if passages > settings.approximate_above else "flat"
    if kind == "flat":
        return {"type": "flat"}
    return {"type": "hnsw", "m": settings.hnsw_m, "ef_construction": settings.hnsw_ef_construction}


def make_index(config: dict[str, Any], dimension: int) -> Any:
    import faiss

    if config["type"] == "flat":
        return faiss.IndexFlatIP(dimension)
    index = faiss.IndexHNSWFlat(dimension, config["m"], faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = config["ef_construction"]
    return index


def add_vectors(index: Any, vectors: np.ndarray, block: int = 65536) -> None:
    """Add rows to ``index`` a block at a time (``vectors`` may be a memory map)."""
    for start in range(0, len(vectors), block):
        index.add(np.ascontiguousarray(vectors[start : start + block], dtype=np.float32))


def write(index: Any, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def read(path: Path, settings: Settings, writable: bool = False) -> Any:
    """Open a saved index; the stored vectors are memory-mapped unless ``writable``."""
    import faiss

    try:
        index = faiss.read_index(str(path), 0 if writable else faiss.IO_FLAG_MMAP_IFC)
    except RuntimeError as exc:  # FAISS reports every read problem as RuntimeError
        raise IndexCorruptError(f"{path} cannot be read by FAISS: rebuild with "
                                "`cramp-assistant build`") from exc
    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = settings.hnsw_ef_search
    return index
