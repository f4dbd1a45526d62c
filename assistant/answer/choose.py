"""Choosing statements for an answer: score each for the question, keep the best, merge
those that several articles make into one point.

A statement's score is how closely its best sentence matches the question (cosine), less
how close that sentence is to everything in the library (generic sentences), plus how
strong its passage was in search, plus, when the question asks "how long/much/often",
whether it gives an amount. Nothing here knows what a cause or a
remedy is: the question's kind shapes the answer elsewhere, not the choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..settings import Settings
from ..textutil import content_words
from .retrieval import Retriever, Scored
from .statements import AMOUNT, Unit, distinctive, negated, units_of

# Residual-cosine thresholds for "the same statement": alone, with two shared distinctive
# words, with the same name in both articles.
MERGE = (0.8, 0.55, 0.35)


@dataclass
class Point:
    """One line of the answer: a statement and every unit (article) that makes it."""

    units: list[Unit] = field(default_factory=list)

    @property
    def lead(self) -> Unit:
        return self.units[0]


@dataclass
class Candidate:
    """A scored statement, with how well it answers each part of the question."""

    unit: Unit
    parts: np.ndarray  # best cosine with each part of the question


class Chooser:
    """Scores, selects and merges statements from one index."""

    def __init__(self, retriever: Retriever, settings: Settings) -> None:
        self.index = retriever.index
        self.retriever = retriever
        self.lexicon = retriever.lexicon
        self.settings = settings

    def candidates(self, scored: Scored, depth: int) -> list[Candidate]:
        """The statements of the ``depth`` best passages, each scored for this question."""
        order = scored.order()[:depth]
        if not len(order):
            return []
        top = float(scored.scores[order[0]])
        query = scored.query
        asked = set(content_words(query.search))
        # "Does heat help?" is answered by a sentence that repeats its words; a "what" question
        # is not answered by one that only repeats it ("some information on the causes").
        need_new = not query.yes_no
        vecs = np.vstack([scored.qvec[None, :], scored.part_vecs]) if len(scored.part_vecs) \
            else scored.qvec[None, :]
        out: list[Candidate] = []
        seen: set[tuple[str, int]] = set()  # overlapping chunks repeat sentences
        for j in order:
            pos = int(scored.chunk_ids[j])
            chunk = self.index.chunks[pos]
            for unit in units_of(chunk, pos, int(self.index.sentence_first[pos])):
                where = (chunk.article_id, chunk.start + unit.spans[0][0])
                if where in seen or (need_new and
                                     len(self._beyond(unit.text, asked)) < 2):
                    continue  # said already, or restates the question and adds nothing
                seen.add(where)
                out.append(self._score(unit, vecs, scored, float(scored.scores[j]) - top))
        return out

    def _score(self, unit: Unit, vecs: np.ndarray, scored: Scored,
               behind: float) -> Candidate:
        sims = self.retriever.sentence_cosines(list(unit.rows), vecs)
        unit.row = unit.rows[int(np.argmax(sims[:, 0]))]  # its best sentence speaks for it
        unit.similarity = float(sims[:, 0].max())
        s = self.settings
        query = scored.query
        hub = self.retriever.hubness(unit.row) if s.hub_weight else 0.0
        unit.score = (unit.similarity - s.hub_weight * hub + s.statement_passage_weight * behind
                      + (s.statement_amount_weight
                         if query.wants_amount and AMOUNT.search(unit.text) else 0.0))
        return Candidate(unit, sims[:, 1:].max(axis=0) if sims.shape[1] > 1 else np.zeros(0))

    def choose(self, candidates: list[Candidate], max_points: int, qvec: np.ndarray,
               asked: set[str], best_passage: int | None = None) -> list[Point]:
        """The best statements, merged into points, within budget. Each part of the question
        gets its best answer first, then the best statement of the passage search ranked
        first (a new article that search puts first is heard), then the rest by score."""
        if not candidates:
            return []
        ranked = sorted(candidates, key=lambda c: -c.unit.score)
        floor = self.settings.point_min_similarity
        first: list[Unit] = []
        for p in range(max(len(c.parts) for c in ranked)):
            answers = [c for c in ranked if len(c.parts) > p]
            top = max(answers, key=lambda c: c.parts[p] + c.unit.score - c.unit.similarity)
            if top.parts[p] >= floor and top.unit not in first:
                first.append(top.unit)
        own = [c.unit for c in ranked if c.unit.chunk_pos == best_passage
               and c.unit.similarity >= floor]
        if own and not any(u.chunk_pos == best_passage for u in first):
            first.append(own[0])
        rest = [c.unit for c in ranked if c.unit.similarity >= floor and c.unit not in first]
        points = self.merge(first + rest, asked, qvec)
        order = {id(u): k for k, u in enumerate(first)}
        points.sort(key=lambda p: (min(order.get(id(u), len(first)) for u in p.units),
                                   -(p.lead.score + 0.03 * (len(self.articles(p)) - 1))))
        return self.budget(points, max_points)

    def merge(self, units: list[Unit], asked: set[str], qvec: np.ndarray) -> list[Point]:
        """Greedy clustering: a unit that says what a point already says joins it.

        Similarity is measured after removing the question's direction from both vectors:
        two sentences about "what causes inner thigh cramps" are alike in that respect
        whatever they say, so only what they say beyond the question counts. Statements the
        articles name alike ("Dehydration: ...", "1. Dehydration") also join. Statements
        with opposite negation never join: both sides of a disagreement stay, each cited.
        """
        points: list[Point] = []
        if not units:
            return points
        vectors = np.asarray(self.index.sentence_vectors[[u.row for u in units]],
                             dtype=np.float32)
        residual = vectors - np.outer(vectors @ qvec, qvec)
        residual /= np.maximum(np.linalg.norm(residual, axis=1, keepdims=True), 1e-9)
        beyond = [self._beyond(u.text, asked) for u in units]  # each unit's own words, once
        lead_of: list[int] = []
        for k, unit in enumerate(units):
            for point, lead_k in zip(points, lead_of, strict=True):
                if self._same(unit, point.lead, float(residual[k] @ residual[lead_k]),
                              len(beyond[k] & beyond[lead_k])):
                    if self.index.chunks[unit.chunk_pos].article_id not in self.articles(point):
                        point.units.append(unit)  # one more article says it
                    break
            else:
                points.append(Point([unit]))
                lead_of.append(k)
        return points

    def _beyond(self, text: str, asked: set[str]) -> set[str]:
        return distinctive(text, asked, self.lexicon.is_common)

    def _same(self, unit: Unit, lead: Unit, beyond: float, common_words: int) -> bool:
        if negated(unit.text) != negated(lead.text):
            return False
        mine = {w for w in unit.topic if not self.lexicon.is_common(w)}
        theirs = {w for w in lead.topic if not self.lexicon.is_common(w)}
        same_name = bool(mine and theirs) and (mine <= theirs or theirs <= mine)
        return beyond >= MERGE[0] or (beyond >= MERGE[1] and common_words >= 2) or \
            (beyond >= MERGE[2] and same_name)

    def budget(self, points: list[Point], max_points: int) -> list[Point]:
        """The best points that fit the word budget; a long one is skipped, not a stop."""
        chosen: list[Point] = []
        words = 0
        for point in points:
            size = len(point.lead.text.split())
            if chosen and words + size > self.settings.answer_max_words:
                continue
            chosen.append(point)
            words += size
            if len(chosen) == max_points:
                break
        return chosen

    def articles(self, point: Point) -> set[str]:
        return {self.index.chunks[u.chunk_pos].article_id for u in point.units}
