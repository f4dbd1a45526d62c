"""The ONNX embedding backend: the torch model's vectors without torch, an export made once
from the installed weights, and serving commands that import neither torch nor Gradio."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.core import Assistant, index_status
from assistant.index.build import build_index
from assistant.index.chunking import chunk_articles
from assistant.index.embedding import Embedder, SentenceTransformerEmbedder, resolve_model_path
from assistant.index.export import MIN_COSINE, export_path, exported_model
from assistant.index.onnx import OnnxEmbedder
from assistant.index.store import read_manifest
from assistant.ingest.corpus import load_corpus
from assistant.settings import DEFAULT_MODEL, Settings

from .conftest import DEV_SET

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "transformers", "sklearn", "sentence_transformers")
QUESTIONS = ["What causes inner thigh cramps?", "How do I stop a thigh cramp?",
             "Can dehydration cause leg cramps?", "How do I change a car tyre?"]


def test_onnx_vectors_match_torch_on_every_shipped_passage(
        embedder: Embedder, torch_embedder: SentenceTransformerEmbedder) -> None:
    settings = Settings()
    chunks = chunk_articles(load_corpus(ROOT / "corpus"), settings.chunk_size,
                            settings.chunk_overlap)
    texts = [c.embed_text for c in chunks] + [s for c in chunks for s in c.sentence_texts()]
    ours, theirs = embedder.embed(texts), torch_embedder.embed(texts)
    assert isinstance(embedder, OnnxEmbedder) and ours.dtype == np.float32
    assert ours.shape == theirs.shape == (len(texts), 384) and len(chunks) > 50
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.min() >= MIN_COSINE, (cosines.min(), texts[int(cosines.argmin())])


def test_an_index_built_either_way_serves_with_the_other(
        workspace: Settings, embedder: Embedder,
        torch_embedder: SentenceTransformerEmbedder) -> None:
    with_torch = workspace.model_copy(update={"embedding_backend": "torch"})
    build_index(with_torch, torch_embedder, full=True)
    assert read_manifest(workspace.index_dir)["embedding"]["backend"] == "torch"
    assert index_status(workspace).usable  # served by onnx: no mismatch, nothing to rebuild
    by_onnx = Assistant.load(settings=workspace, embedder=embedder)
    by_torch = Assistant.load(settings=with_torch, embedder=torch_embedder)
    for question in QUESTIONS:
        ours, theirs = by_onnx.ask(question).to_dict(), by_torch.ask(question).to_dict()
        # The same answer, line for line and citation for citation; the line scorer's
        # chances may differ in the fourth decimal (the vectors agree to 1e-4).
        scores = [[c.pop("score") for c in d["citations"]] for d in (ours, theirs)]  # type: ignore[attr-defined]
        assert ours == theirs, question
        assert np.allclose(scores[0], scores[1], atol=2e-3), (question, scores)
    assert build_index(workspace, embedder).embedded == 0  # every torch vector is reused
    build_index(workspace, embedder, full=True)
    assert read_manifest(workspace.index_dir)["embedding"]["backend"] == "onnx"
    assert Assistant.load(settings=with_torch, embedder=torch_embedder).ask(QUESTIONS[0]).citations


SERVE_CLI = """
import json, sys
from assistant.cli import cli
for args in ({commands}):
    try:
        cli.main(args, standalone_mode=False)
    except SystemExit as exc:
        assert not exc.code, (args, exc.code)
print("MODULES", json.dumps(sorted({{m.split(".")[0] for m in sys.modules}})))
"""


def test_ask_search_and_status_import_neither_torch_nor_gradio(built: Settings) -> None:
    """A real `ask` (then `search` and `status`) in a fresh interpreter: what it imported."""
    commands = [["ask", "What causes inner thigh cramps?", "--json"],
                ["ask", "How do I stop one?", "--history", "What causes thigh cramps?"],
                ["search", "night cramps", "-k", "2"], ["status"]]
    env = {**os.environ, "CRAMP_CORPUS_DIR": str(built.corpus_dir),
           "CRAMP_INDEX_DIR": str(built.index_dir)}
    done = subprocess.run([sys.executable, "-c", SERVE_CLI.format(commands=commands)],
                          capture_output=True, text=True, env=env, timeout=300, check=True)
    answer, _ = json.JSONDecoder().raw_decode(done.stdout)  # `ask --json` printed first
    assert answer["citations"] and not answer["abstained"]
    modules = set(json.loads(done.stdout.rsplit("MODULES ", 1)[1]))
    assert "onnxruntime" in modules and "faiss" in modules  # it really searched
    assert not modules & {*HEAVY, "gradio", "scipy"}, modules & {*HEAVY, "gradio", "scipy"}


@pytest.mark.slow
def test_the_export_is_made_once_from_the_installed_weights(tmp_path: Path,
                                                            embedder: Embedder) -> None:
    """A machine with no export yet (an empty cache): made in a child process, checked, then
    found again without one; another version of the weights gets another file."""
    model_dir = resolve_model_path(DEFAULT_MODEL)
    made = exported_model(model_dir, tmp_path / "cache")
    assert made.is_file() and made == export_path(model_dir, tmp_path / "cache")
    assert made.stat().st_size > 80_000_000  # float32 weights, not int8
    stamp = made.stat().st_mtime_ns
    assert exported_model(model_dir, tmp_path / "cache").stat().st_mtime_ns == stamp
    texts = [item["question"] for item in map(json.loads, DEV_SET.read_text().splitlines())]
    fresh = OnnxEmbedder.for_folder(model_dir, made).embed(texts[:20])
    assert np.allclose(fresh, embedder.embed(texts[:20]), atol=1e-6)

    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    (copy / "config.json").write_text((copy / "config.json").read_text() + "\n")
    assert export_path(copy, tmp_path / "cache") != made  # new weights, new export
