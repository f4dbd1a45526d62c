"""Shared fixtures: the real model, the seed articles imported once, one built index."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.core import Assistant  # noqa: E402
from assistant.index.build import build_index  # noqa: E402
from assistant.index.embedding import (  # noqa: E402
    Embedder,
    SentenceTransformerEmbedder,
    make_embedder,
)
from assistant.ingest.corpus import add_articles  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from tests.app_server import browser, server  # noqa: E402, F401  (app tests' fixtures)
from tests.postgres import database_url, postgres  # noqa: E402, F401  (a real PostgreSQL)

DATA = Path(__file__).parent / "data"
SEEDS = sorted((DATA / "seeds").glob("*.txt"))
EVAL = DATA / "eval"
DEV_SET = EVAL / "dev.jsonl"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The default embedder, as the app and the CLI run it (the ONNX export)."""
    return make_embedder(Settings())


@pytest.fixture(scope="session")
def torch_embedder() -> SentenceTransformerEmbedder:
    """The same model on PyTorch, to check the ONNX one against."""
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def seed_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five seed articles imported by the real import command, once per session."""
    corpus = tmp_path_factory.mktemp("seed") / "corpus"
    results = add_articles(SEEDS, Settings(corpus_dir=corpus))
    assert [r.status for r in results] == ["added"] * len(SEEDS), results
    return corpus


@pytest.fixture(scope="session")
def built(seed_corpus: Path, embedder: Embedder,
          tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings pointing at a corpus and an index built from it (read-only for tests)."""
    settings = Settings(corpus_dir=seed_corpus, index_dir=seed_corpus.parent / "index")
    build_index(settings, embedder)
    return settings


@pytest.fixture(scope="session")
def assistant(built: Settings, embedder: Embedder) -> Assistant:
    return Assistant.load(settings=built, embedder=embedder)


@pytest.fixture()
def workspace(built: Settings, tmp_path: Path) -> Settings:
    """A private copy of the seed corpus and its index, for tests that change them."""
    shutil.copytree(built.corpus_dir, tmp_path / "corpus")
    shutil.copytree(built.index_dir, tmp_path / "index")
    return built.model_copy(update={"corpus_dir": tmp_path / "corpus",
                                    "index_dir": tmp_path / "index"})
