"""The index on disk at any size: memory-mapped loading, compact sentence vectors read by
slices, the persisted keyword index, and the approximate index with incremental adds."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from assistant.core import Assistant
from assistant.errors import IndexMismatchError
from assistant.index import writer
from assistant.index.build import build_index
from assistant.index.chunking import chunk_articles
from assistant.index.embedding import Embedder, SentenceTransformerEmbedder, make_embedder
from assistant.index.files import Rows
from assistant.index.keywords import KeywordIndex
from assistant.index.store import MANIFEST, load_index
from assistant.ingest.corpus import load_corpus
from assistant.settings import Settings
from assistant.textutil import content_words

from .conftest import EVAL


def test_load_reads_nothing_whole(built: Settings) -> None:
    index = load_index(built.index_dir, built)
    for array in (index.sentence_bounds, index.keywords.docs, index.keywords.weights):
        assert isinstance(array, np.memmap), type(array)
    for rows in (index.vectors, index.sentence_vectors):  # read row by row, on demand
        assert isinstance(rows, Rows), type(rows)
    assert index.sentence_vectors.dtype == np.float16
    assert np.array_equal(index.vectors[[4, 2]], np.load(built.index_dir / "vectors.npy")[[4, 2]])
    expected = chunk_articles(load_corpus(built.corpus_dir), built.chunk_size,
                              built.chunk_overlap)
    assert len(index.chunks) == len(expected)
    assert {c.chunk_id for c in expected} == {c.chunk_id for c in index.chunks}
    assert index.chunks[-1] == list(index.chunks)[-1]
    # A chunk's sentences are one slice of rows, in the chunk's own order.
    pos = len(index.chunks) // 2
    chunk = index.chunks[pos]
    rows = slice(int(index.sentence_first[pos]), int(index.sentence_first[pos]) +
                 len(chunk.sentences))
    embedder = SentenceTransformerEmbedder()
    again = embedder.embed(chunk.sentence_texts())
    stored = index.sentence_vectors[rows].astype(np.float32)
    assert np.allclose(np.sum(again * stored, axis=1), 1, atol=2e-3)


def test_best_sentence_reads_slices_and_matches_a_full_scan(built: Settings) -> None:
    index = load_index(built.index_dir, built)
    rng = np.random.default_rng(0)
    qvec = index.vectors[3].astype(np.float32)
    ids = np.unique(rng.choice(len(index.chunks), 12, replace=False))
    full = np.asarray(index.sentence_vectors, np.float32) @ qvec
    bounds = index.sentence_bounds
    expected = [full[bounds[i]:bounds[i + 1]].max() if bounds[i + 1] > bounds[i] else -np.inf
                for i in ids]
    assert np.allclose(index.best_sentence(qvec, ids), expected, atol=1e-6)


def test_keyword_index_scores_as_bm25s_does(built: Settings) -> None:
    import bm25s

    index = load_index(built.index_dir, built)
    texts = [c.embed_text for c in index.chunks]
    reference = bm25s.BM25()
    reference.index([content_words(t) for t in texts], show_progress=False)
    keywords = index.keywords
    for query in ("why do my calves cramp at night", "quinine tonic water",
                  "lead mercury poisoning cramps cramps"):
        words = [w for w in content_words(query) if w in reference.vocab_dict]
        expected = reference.get_scores(words)
        assert np.allclose(keywords.scores(query), expected, atol=1e-5)
        ids, scores = keywords.top(query, 5)
        assert np.allclose(scores, np.sort(expected)[::-1][:5], atol=1e-5)
        some = np.array([0, 7, len(texts) - 1])
        assert np.allclose(keywords.scores_for(query, some), expected[some], atol=1e-5)
    assert keywords.doc_freq("cramp") == sum("cramp" in content_words(t) for t in texts)
    assert keywords.doc_freq("nonexistentword") == 0


def test_keyword_index_built_incrementally_equals_one_built_at_once(built: Settings) -> None:
    texts = [c.embed_text for c in load_index(built.index_dir, built).chunks]
    whole = KeywordIndex.build(texts[5:])
    first = KeywordIndex.build(texts[:30])
    grown = KeywordIndex.build(texts[30:], base=first, keep=np.arange(5, 30))
    appended = KeywordIndex.build(texts[30:], base=KeywordIndex.build(texts[5:30]))
    for query in ("dehydration water", "stretch calf", "potassium magnesium"):
        assert np.allclose(grown.scores(query), whole.scores(query), atol=1e-6)
        assert np.allclose(appended.scores(query), whole.scores(query), atol=1e-6)


def test_tokenizer_or_backend_change_is_refused(workspace: Settings,
                                                embedder: Embedder) -> None:
    manifest_path = workspace.index_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["tokenizer"] = "some-other-stemmer"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="tokenizer.*cramp-assistant build"):
        Assistant.load(settings=workspace, embedder=embedder)
    build_index(workspace, embedder)  # a mismatched index is rebuilt, not reused
    onnx = workspace.model_copy(update={"embedding_backend": "onnx-int8"})
    with pytest.raises(IndexMismatchError, match="backend.*cramp-assistant build"):
        Assistant.load(settings=onnx, embedder=embedder)


def _add_article(settings: Settings, name: str) -> None:
    shutil.copy(EVAL / "articles" / name, settings.corpus_dir / name)


def test_approximate_index_above_threshold_is_extended_by_an_added_article(
    workspace: Settings, embedder: Embedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = workspace.model_copy(update={"approximate_above": 10})
    build_index(settings, embedder, full=True)
    before = Assistant.load(settings=settings, embedder=embedder).index
    assert before.manifest["index"]["type"] == "hnsw" and hasattr(before.faiss_index, "hnsw")
    old_ids = [c.chunk_id for c in before.chunks]

    _add_article(settings, "nhsinform_leg_cramps.md")

    def no_new_index(*args: object) -> None:
        raise AssertionError("an append-only build re-created the FAISS index")

    monkeypatch.setattr(writer.ann, "make_index", no_new_index)
    report = build_index(settings, embedder)
    after = Assistant.load(settings=settings, embedder=embedder)
    index = after.index
    assert [c.chunk_id for c in index.chunks][: len(old_ids)] == old_ids
    assert index.faiss_index.ntotal == len(index.chunks) > len(old_ids)
    assert report.embedded == len(index.chunks) - len(old_ids) + \
        int(index.sentence_bounds[-1] - before.sentence_bounds[-1])
    hits = after.search("How long can a leg cramp last, and which muscle cramps last longest?", k=5)
    assert any(h.source.endswith("nhsinform_leg_cramps.md") for h in hits)
    monkeypatch.undo()

    # Removing an article cannot be done to an HNSW index in place: it is made again.
    (settings.corpus_dir / "nhsinform_leg_cramps.md").unlink()
    build_index(settings, embedder)
    index = Assistant.load(settings=settings, embedder=embedder).index
    assert [c.chunk_id for c in index.chunks] == old_ids
    assert index.faiss_index.ntotal == len(old_ids)


def test_small_library_gets_an_exact_index(built: Settings) -> None:
    index = load_index(built.index_dir, built)
    assert index.manifest["index"] == {"type": "flat"}
    assert not hasattr(index.faiss_index, "hnsw")


def test_a_changed_article_keeps_the_others_rows(workspace: Settings,
                                                 embedder: Embedder) -> None:
    before = load_index(workspace.index_dir, workspace)
    vectors = {c.chunk_id: np.array(before.vectors[i]) for i, c in enumerate(before.chunks)}
    target = sorted(workspace.corpus_dir.glob("*.md"))[1]
    target.write_text(target.read_text(encoding="utf-8") + "\n\nOne more closing sentence.\n",
                      encoding="utf-8")
    build_index(workspace, embedder)
    after = load_index(workspace.index_dir, workspace)
    for i, chunk in enumerate(after.chunks):
        if chunk.chunk_id in vectors:
            assert np.array_equal(after.vectors[i], vectors[chunk.chunk_id])
        assert after.manifest["articles"][chunk.article_id]["first"] <= i
    moved = after.manifest["articles"][target.stem]
    assert moved["first"] + moved["chunks"] == len(after.chunks)  # re-chunked: at the end


def test_onnx_int8_backend_gives_nearly_the_torch_vectors(
    torch_embedder: SentenceTransformerEmbedder,
) -> None:
    onnx = make_embedder(Settings(embedding_backend="onnx-int8"))
    texts = ["Why do my calves cramp at night?", "Drink water during hot weather.", "x"]
    vectors = onnx.embed(texts, batch_size=2)
    assert vectors.shape == (3, onnx.dimension) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    cosines = np.sum(vectors * torch_embedder.embed(texts), axis=1)
    assert cosines.min() > 0.98, cosines  # int8 weights: close, not equal
