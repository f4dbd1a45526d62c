"""What readers thought of the answers, and the questions the library could not answer.

Kept in the shared database (:mod:`assistant.database`: SQLite beside the index by default,
PostgreSQL for several replicas). Each row is a thumbs up, a thumbs down or an answer that
abstained, with the question, the answer, its citations and the index build it came from.
Nothing about the reader is stored: no address, no session, no account — only what was
asked and answered, and when. Records are written in the background and wait in memory while
the database is unavailable, so a reader never waits for it and a restart loses nothing.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from sqlalchemy import insert, select

from ..database import Database, feedback
from ..errors import DatabaseUnavailable
from ..index.embedding import Embedder
from ..settings import Settings
from ..types import Answer

log = logging.getLogger("assistant.app")
Kind = Literal["up", "down", "abstained"]
GAP_KINDS = ("down", "abstained")
#: The gap list looks at this many of the latest unanswered or disliked questions.
GAP_WINDOW = 2000
_BATCH = 200  # records written per transaction by the background writer


@dataclass(frozen=True)
class Gap:
    """Questions that mean the same thing and went unanswered (or were disliked)."""

    question: str  # the wording asked most often
    count: int
    abstained: int
    thumbs_down: int
    last_asked: str
    wordings: tuple[str, ...]  # the other wordings, most frequent first


def feedback_row(kind: Kind, answer: Answer) -> dict[str, Any]:
    citations = [{k: c.to_dict()[k] for k in ("n", "title", "publisher", "url", "article_id",
                                               "section", "quote")}
                 for c in answer.citations]
    return {"at": datetime.now(UTC).isoformat(timespec="seconds"), "kind": kind,
            "question": answer.question, "searched_for": answer.searched_for,
            "answer": answer.text, "citations": json.dumps(citations, ensure_ascii=False),
            "build_id": answer.build_id}


class FeedbackStore:
    """Append-only feedback records; safe to share between the app's threads."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self._retry, self._limit = settings.feedback_retry_seconds, settings.feedback_queue_size
        self._waiting: deque[dict[str, Any]] = deque()
        self._writing = 0  # records taken by the writer and not yet stored
        self._changed = threading.Condition()
        self._writer: threading.Thread | None = None
        self._closed = False
        self._stop = threading.Event()

    @property
    def path(self) -> Path | None:
        """The SQLite file, when the database is one."""
        return self.database.path

    def record(self, kind: Kind, answer: Answer) -> None:
        """Store one record now; raises :class:`DatabaseUnavailable`."""
        row = feedback_row(kind, answer)
        self.database.run(lambda db: db.execute(insert(feedback), [row]))

    def submit(self, kind: Kind, answer: Answer) -> None:
        """Queue one record for the background writer; returns at once."""
        with self._changed:
            if len(self._waiting) >= self._limit:
                self._waiting.popleft()
                log.warning("feedback queue full (%d records waiting for %s): the oldest "
                            "was dropped", self._limit, self.database.where)
            self._waiting.append(feedback_row(kind, answer))
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_loop, daemon=True,
                                                name="feedback-writer")
                self._writer.start()
            self._changed.notify_all()

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until every submitted record is stored."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._waiting and not self._writing,
                                          timeout)

    def close(self, timeout: float = 5.0) -> None:
        self.flush(timeout)
        with self._changed:
            self._closed = True
            self._stop.set()
            self._changed.notify_all()

    def _write_loop(self) -> None:
        failing = False
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._waiting or self._closed)
                if self._closed:
                    return
                batch = [self._waiting.popleft() for _ in range(min(_BATCH, len(self._waiting)))]
                self._writing = len(batch)
            try:
                self._store(batch)
            except DatabaseUnavailable as exc:
                failing = self._requeue(batch, exc, failing)
                continue
            except Exception:  # noqa: BLE001 - a bad record must not stop the writer
                log.exception("feedback records could not be stored and were dropped")
            if failing:
                log.warning("feedback database %s answers again: stored what waited",
                            self.database.where)
                failing = False
            with self._changed:
                self._writing = 0
                self._changed.notify_all()

    def _store(self, rows: list[dict[str, Any]]) -> None:
        self.database.run(lambda db: db.execute(insert(feedback), rows))

    def _requeue(self, batch: list[dict[str, Any]], exc: Exception, failing: bool) -> bool:
        with self._changed:
            self._waiting.extendleft(reversed(batch))
            self._writing = 0
            if not failing:
                log.warning("feedback not stored yet, %d records waiting (retried every "
                            "%.1fs): %s", len(self._waiting), self._retry, exc)
            self._changed.notify_all()
        self._stop.wait(self._retry)  # cut short only by close()
        return True

    def rows(self, kinds: Sequence[str] = ("up", "down", "abstained"),
             limit: int = GAP_WINDOW) -> list[tuple[str, str, str]]:
        """(at, kind, question) of the latest ``limit`` records of ``kinds``, newest first."""
        query = (select(feedback.c.at, feedback.c.kind, feedback.c.question)
                 .where(feedback.c.kind.in_(list(kinds))).order_by(feedback.c.id.desc())
                 .limit(limit))
        return self.database.run(lambda db: [tuple(r) for r in db.execute(query)])


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
