"""What readers thought of the answers, and the questions the library could not answer.

One SQLite file (standard ``sqlite3``) beside the index. Each row is a thumbs up, a thumbs
down or an answer that abstained, with the question, the answer, its citations and the
index build it came from. Nothing about the reader is stored: no address, no session, no
account — only what was asked and answered, and when.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np

from ..index.embedding import Embedder
from ..settings import Settings
from ..types import Answer

Kind = Literal["up", "down", "abstained"]
GAP_KINDS = ("down", "abstained")
#: The gap list looks at this many of the latest unanswered or disliked questions.
GAP_WINDOW = 2000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,            -- UTC time, to the second
    kind TEXT NOT NULL,          -- 'up', 'down' or 'abstained'
    question TEXT NOT NULL,
    searched_for TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,     -- JSON: n, title, publisher, url, article_id, section, quote
    build_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_kind ON feedback (kind, id);
"""


def feedback_path(settings: Settings) -> Path:
    """The feedback file: ``CRAMP_FEEDBACK_PATH``, else feedback.sqlite3 beside the index."""
    return settings.feedback_path or settings.index_dir.resolve().parent / "feedback.sqlite3"


@dataclass(frozen=True)
class Gap:
    """Questions that mean the same thing and went unanswered (or were disliked)."""

    question: str  # the wording asked most often
    count: int
    abstained: int
    thumbs_down: int
    last_asked: str
    wordings: tuple[str, ...]  # the other wordings, most frequent first


class FeedbackStore:
    """Append-only feedback records; safe to share between the app's threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False
        self._lock = threading.Lock()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with closing(sqlite3.connect(self.path)) as db:
                    db.executescript(_SCHEMA)
                self._ready = True
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            yield db

    def record(self, kind: Kind, answer: Answer) -> None:
        citations = [{k: c.to_dict()[k] for k in ("n", "title", "publisher", "url", "article_id",
                                                   "section", "quote")}
                     for c in answer.citations]
        at = datetime.now(UTC).isoformat(timespec="seconds")
        with self._connect() as db:
            db.execute("INSERT INTO feedback (at, kind, question, searched_for, answer, "
                       "citations, build_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (at, kind, answer.question, answer.searched_for, answer.text,
                        json.dumps(citations, ensure_ascii=False), answer.build_id))

    def rows(self, kinds: Sequence[str] = ("up", "down", "abstained"),
             limit: int = GAP_WINDOW) -> list[tuple[str, str, str]]:
        """(at, kind, question) of the latest ``limit`` records of ``kinds``, newest first."""
        if not self.path.is_file():
            return []
        marks = ",".join("?" * len(kinds))
        with self._connect() as db:
            return list(db.execute(f"SELECT at, kind, question FROM feedback WHERE kind IN "
                                   f"({marks}) ORDER BY id DESC LIMIT ?", (*kinds, limit)))


def find_gaps(rows: Sequence[tuple[str, str, str]], embedder: Embedder,
              threshold: float) -> list[Gap]:
    """Group unanswered questions by meaning (cosine of their embeddings), biggest first.

    Wordings are taken most frequent first; each joins the first group whose leading
    wording it is at least ``threshold`` similar to, or starts a new one.
    """
    stats: dict[str, _Tally] = {}
    for at, kind, question in rows:
        stats.setdefault(" ".join(question.split()), _Tally()).add(at, kind)
    wordings = sorted((w for w in stats if w), key=lambda w: -stats[w].count)
    if not wordings:
        return []
    vectors = embedder.embed(wordings)
    leads: list[int] = []
    members: dict[int, list[str]] = {}
    for i, wording in enumerate(wordings):
        sims = vectors[leads] @ vectors[i] if leads else np.zeros(0)
        best = int(np.argmax(sims)) if len(sims) else -1
        if best >= 0 and sims[best] >= threshold:
            members[leads[best]].append(wording)
        else:
            leads.append(i)
            members[i] = [wording]
    gaps = [_gap(members[i], stats) for i in leads]
    return sorted(gaps, key=lambda g: (g.count, g.last_asked), reverse=True)


@dataclass
class _Tally:
    count: int = 0
    abstained: int = 0
    thumbs_down: int = 0
    last_asked: str = ""

    def add(self, at: str, kind: str) -> None:
        self.count += 1
        self.abstained += kind == "abstained"
        self.thumbs_down += kind == "down"
        self.last_asked = max(self.last_asked, at)


def _gap(wordings: list[str], stats: dict[str, _Tally]) -> Gap:
    tallies = [stats[w] for w in wordings]
    return Gap(question=wordings[0], count=sum(t.count for t in tallies),
               abstained=sum(t.abstained for t in tallies),
               thumbs_down=sum(t.thumbs_down for t in tallies),
               last_asked=max(t.last_asked for t in tallies), wordings=tuple(wordings[1:]))


def gaps_csv(gaps: Sequence[Gap]) -> str:
    """The gap list as CSV, for whoever chooses the next articles."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["question", "times_asked", "not_answered", "thumbs_down", "last_asked",
                     "other_wordings"])
    for g in gaps:
        writer.writerow([_cell(g.question), g.count, g.abstained, g.thumbs_down, g.last_asked,
                         _cell(" | ".join(g.wordings))])
    return out.getvalue()


def _cell(text: str) -> str:
    """A reader's text as a CSV cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
