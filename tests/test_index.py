"""Chunking, building, loading and searching the index, with the real model and FAISS."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.core import Assistant
from assistant.errors import (
    BuildLockedError,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    IndexStaleError,
)
from assistant.index.build import build_index
from assistant.index.chunking import chunk_articles
from assistant.index.embedding import Embedder
from assistant.index.files import describe_file
from assistant.index.store import FAISS_FILE, MANIFEST
from assistant.ingest.corpus import load_corpus
from assistant.settings import Settings


def test_chunks_are_exact_short_stable_and_keep_headings(seed_corpus: Path) -> None:
    articles = load_corpus(seed_corpus)
    first = chunk_articles(articles, 700, 80)
    again = chunk_articles(load_corpus(seed_corpus), 700, 80)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert len({c.chunk_id for c in first}) == len(first)
    bodies = {a.article_id: a.body for a in articles}
    for c in first:
        assert bodies[c.article_id][c.start : c.end] == c.text
        assert len(c.text) <= 700
        assert c.sentences and all(c.text[s:e].strip() for s, e in c.sentences)
    sections = {c.section for c in first}
    assert "Key Factors Leading to Inner Thigh Cramps › 1. Dehydration" in sections
    assert all(c.title in c.embed_text and c.section in c.embed_text for c in first)


def test_search_finds_the_dehydration_passage(assistant: Assistant) -> None:
    hits = assistant.search("why do I get cramps when I don't drink enough water", k=5)
    assert len(hits) == 5 and [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert "dehydration" in hits[0].text.lower()
    assert hits[0].score >= hits[-1].score
    top = hits[0]
    assert top.source.endswith(".md") and top.chunk_id and top.end > top.start


def test_exact_terms_count(assistant: Assistant) -> None:
    hits = assistant.search("lead or mercury", k=3)
    assert any("mercury" in h.text for h in hits[:1])


def test_incremental_build_reembeds_only_the_edited_article(
    workspace: Settings, embedder: Embedder,
) -> None:
    unchanged = build_index(workspace, embedder)
    assert unchanged.embedded == 0 and unchanged.reused == unchanged.texts

    target = next(workspace.corpus_dir.glob("understanding-leg-cramps*.md"))
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("Leg cramps can be a painful and frustrating experience.",
                                   "Leg cramps can be a sore and frustrating experience."),
                      encoding="utf-8")
    edited_id = target.stem
    before = {c.chunk_id for c in Assistant.load(settings=workspace, embedder=embedder,
                                                 allow_stale=True).index.chunks}
    report = build_index(workspace, embedder)
    after = Assistant.load(settings=workspace, embedder=embedder).index.chunks
    new_chunks = [c for c in after if c.chunk_id not in before]
    # The edited sentence changes one chunk: its text and that one sentence are embedded.
    assert {c.article_id for c in new_chunks} == {edited_id}
    assert report.embedded == len(new_chunks) + 1, report
    assert report.texts == unchanged.texts


def test_model_or_chunking_change_rebuilds_everything(
    workspace: Settings, embedder: Embedder,
) -> None:
    changed = workspace.model_copy(update={"chunk_size": 500})
    report = build_index(changed, embedder)
    assert report.embedded > 0
    assert report.reused == 0  # nothing of an index made with other settings is reused


def test_missing_index(tmp_path: Path, embedder: Embedder) -> None:
    with pytest.raises(IndexMissingError, match="cramp-assistant build"):
        Assistant.load(tmp_path / "nowhere", embedder=embedder)


def test_stale_index(workspace: Settings, embedder: Embedder) -> None:
    next(workspace.corpus_dir.glob("*.md")).unlink()
    with pytest.raises(IndexStaleError, match="1 removed"):
        Assistant.load(settings=workspace, embedder=embedder)
    loaded = Assistant.load(settings=workspace, embedder=embedder, allow_stale=True)
    assert loaded.status().freshness is not None and not loaded.status().freshness.fresh


def test_mismatched_index(workspace: Settings, embedder: Embedder) -> None:
    with pytest.raises(IndexMismatchError, match="chunking"):
        Assistant.load(settings=workspace.model_copy(update={"chunk_overlap": 10}),
                       embedder=embedder)
    with pytest.raises(IndexMismatchError, match="model"):
        Assistant.load(settings=workspace.model_copy(update={"embedding_model": "/some/model"}),
                       embedder=embedder)


@pytest.mark.parametrize("damage", ["truncate_faiss", "garbage_faiss", "bad_manifest",
                                    "missing_chunks"])
def test_corrupt_index(workspace: Settings, embedder: Embedder,
                       damage: str) -> None:
    index = workspace.index_dir
    faiss_path = index / FAISS_FILE
    if damage == "truncate_faiss":
        faiss_path.write_bytes(faiss_path.read_bytes()[:100])
    elif damage == "garbage_faiss":  # checksum updated too, so FAISS itself must refuse it
        faiss_path.write_bytes(b"not a faiss index at all" * 10)
        manifest = json.loads((index / MANIFEST).read_text())
        manifest["files"][FAISS_FILE] = describe_file(faiss_path)
        (index / MANIFEST).write_text(json.dumps(manifest))
    elif damage == "bad_manifest":
        (index / MANIFEST).write_text("{ not json")
    else:
        (index / "chunks.jsonl").unlink()
    with pytest.raises(IndexCorruptError, match="rebuild"):
        Assistant.load(settings=workspace, embedder=embedder)


def test_interrupted_swap_is_recovered(workspace: Settings,
                                       embedder: Embedder) -> None:
    index = workspace.index_dir
    os.rename(index, index.parent / ".index.old-20260101-000000-abcdef")
    (index.parent / ".index.tmp-20260101-000001-abcdef").mkdir()
    hits = Assistant.load(settings=workspace, embedder=embedder).search("cramp", k=1)
    assert hits and index.is_dir()
    assert not list(index.parent.glob(".index.*-*"))


def test_concurrent_build_is_refused(workspace: Settings,
                                     embedder: Embedder) -> None:
    import fcntl

    with (workspace.index_dir.parent / ".index.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(BuildLockedError, match="another build"):
            build_index(workspace, embedder)


@pytest.mark.slow
def test_build_killed_midway_leaves_old_index(workspace: Settings,
                                              embedder: Embedder) -> None:
    # Enough new text that embedding takes a while, so the kill lands mid-build.
    for n in range(40):
        (workspace.corpus_dir / f"extra-{n}.md").write_text(
            f"# Extra {n}\n\n" + " ".join(f"Sentence {n}-{i} about calf muscles and cramps."
                                         for i in range(120)), encoding="utf-8")
    env = {**os.environ, "CRAMP_CORPUS_DIR": str(workspace.corpus_dir),
           "CRAMP_INDEX_DIR": str(workspace.index_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "build"], env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    line = ""
    while "embedding:" not in line and time.monotonic() < deadline:
        line = proc.stderr.readline() or line
        if proc.poll() is not None:
            break
    assert proc.poll() is None, "build finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    old = Assistant.load(settings=workspace, embedder=embedder, allow_stale=True)
    assert old.index.manifest["counts"]["articles"] == 5
    assert "dehydration" in old.search("not drinking enough water", k=1)[0].text.lower()
    for n in range(5, 40):  # fewer to embed: the next build only has to complete
        (workspace.corpus_dir / f"extra-{n}.md").unlink()
    report = build_index(workspace, embedder)  # the next build completes and cleans up
    assert report.articles == 10
    assert not list(workspace.index_dir.parent.glob(".index.*-*"))
