"""Choosing the lines of an answer: every candidate statement gets the line scorer's chance
that it answers the question (:mod:`.features`, :mod:`.scorer`); the answer takes the lines
that clear the fitted bar, best first, and stops when none is left. There is no budget to
fill: one line is the answer when one line is all the articles say. Statements several
articles make become one point with several citations; disagreeing ones never merge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..settings import Settings
from ..textutil import content_words
from .features import Sample, Vectors, feature_matrix
from .retrieval import Retriever, Scored
from .scorer import LineModel
from .statements import Unit, distinctive, negated, units_of

# Residual-cosine thresholds for "the same statement": alone, with two shared distinctive
# words, with the same name in both articles.
MERGE = (0.8, 0.55, 0.35)
# Candidates, likeliest first, that form the answer's points.
MERGE_DEPTH = 40
# Cosine at which two statements of opposite negation say the same thing, one denying it.
OPPOSED = 0.85


@dataclass(frozen=True)
class Candidate:
    """A statement as one question sees it."""

    unit: Unit
    article_id: str
    row: int  # the sentence that speaks for it
    similarity: float  # that sentence's cosine with the question
    probability: float  # the line scorer's chance that it answers the question
    parts: tuple[float, ...] = ()  # best cosine with each part of the question


@dataclass
class Point:
    """One line of the answer: a statement and every article's candidate that makes it."""

    members: list[Candidate] = field(default_factory=list)
    #: Points that say the opposite (the same statement, negated), from other articles.
    against: list[Point] = field(default_factory=list)

    @property
    def lead(self) -> Candidate:
        return self.members[0]

    @property
    def articles(self) -> set[str]:
        return {c.article_id for c in self.members}


class Chooser:
    """Scores, selects and merges statements from one index."""

    def __init__(self, retriever: Retriever, settings: Settings, model: LineModel) -> None:
        self.index = retriever.index
        self.retriever = retriever
        self.lexicon = retriever.lexicon
        self.settings = settings
        self.vectors = Vectors(retriever.embedder)
        self.model = model.with_bars(
            model.keep if settings.line_keep is None else settings.line_keep,
            model.first if settings.line_first is None else settings.line_first,
            model.near if settings.line_near is None else settings.line_near)
        self.keep, self.first = self.model.keep, self.model.first
        self._units = lru_cache(maxsize=4096)(self._cut)
        self._heading_words = lru_cache(maxsize=4096)(self._headings)

    def _cut(self, pos: int) -> tuple[Unit, ...]:
        return tuple(units_of(self.index.chunks[pos], pos, int(self.index.sentence_first[pos])))

    def candidates(self, scored: Scored, depth: int) -> list[Candidate]:
        """The statements of the ``depth`` best passages, each scored for this question."""
        picked, samples, features, products = self.features(scored, depth)
        chance = self.model.probability(features, products)
        return [Candidate(unit, s.article_id, s.row, s.cosine, float(p), s.parts)
                for unit, s, p in zip(picked, samples, chance, strict=True)]

    def features(self, scored: Scored, depth: int
                 ) -> tuple[list[Unit], list[Sample], np.ndarray, np.ndarray]:
        """The candidate statements of the ``depth`` best passages, their features and their
        pair products with the question."""
        picked = self._picked(scored, depth)
        samples = self._samples(picked, scored)
        x, products = feature_matrix(samples, scored, self.retriever, self.vectors, self.model)
        return [u for u, _, _ in picked], samples, x, products

    def _picked(self, scored: Scored, depth: int) -> list[tuple[Unit, int, str]]:
        query = scored.query
        asked = set(content_words(query.search))
        # "Does heat help?" is answered by a sentence that repeats its words; a "what" question
        # is not answered by one that only repeats it ("some information on the causes").
        need_new = not query.yes_no
        picked: list[tuple[Unit, int, str]] = []
        seen: set[tuple[str, int]] = set()  # overlapping chunks repeat sentences
        for slot in scored.order()[:depth]:
            pos = int(scored.chunk_ids[slot])
            chunk = self.index.chunks[pos]
            for unit in self._units(pos):
                where = (chunk.article_id, chunk.start + unit.anchor)
                if where in seen or (need_new and len(unit.words - asked) < 2):
                    continue  # said already, or restates the question and adds nothing
                seen.add(where)
                picked.append((unit, int(slot), chunk.article_id))
        return picked

    def _samples(self, picked: list[tuple[Unit, int, str]], scored: Scored) -> list[Sample]:
        if not picked:
            return []
        vecs = np.vstack([scored.qvec[None, :], scored.part_vecs]) if len(scored.part_vecs) \
            else scored.qvec[None, :]
        rows = [r for unit, _, _ in picked for r in unit.rows]
        sims = self.retriever.sentence_cosines(rows, vecs)
        samples, at = [], 0
        for unit, slot, article in picked:
            mine = sims[at:at + len(unit.rows)]
            at += len(unit.rows)
            best = int(np.argmax(mine[:, 0]))
            chunk = self.index.chunks[unit.chunk_pos]
            samples.append(Sample(
                unit.rows, unit.rows[best], slot, article, unit.text, unit.words,
                self._heading_words(unit.chunk_pos), chunk.section or chunk.title,
                not chunk.section, float(mine[best, 0]),
                float(mine[:, 1:].max()) if mine.shape[1] > 1 else float(mine[best, 0]),
                tuple(float(x) for x in mine[:, 1:].max(axis=0))))
        return samples

    def _headings(self, pos: int) -> frozenset[str]:
        chunk = self.index.chunks[pos]
        return frozenset(content_words(f"{chunk.title} {chunk.section}"))

    def choose(self, candidates: list[Candidate], max_points: int, qvec: np.ndarray,
               contexts: Sequence[set[str]] = ()) -> list[Point]:
        """The lines that clear the bar, best first, merged into points; none when even the
        best does not reach the first-line bar. Each part of an either/or or two-part
        question gets its best statement when one is close enough to it (the abstention
        cosine) and likely enough (``part_share`` of the best line's chance: the situation
        a question describes, "I have liver problems.", is a part too, and the line closest
        to it can be an article's generic opening), what the person says about themselves
        ("I have diabetes") gets the best statement that names it, and a statement another
        article contradicts is shown with the contradiction."""
        ranked = sorted(candidates, key=lambda c: -c.probability)
        if not ranked or ranked[0].probability < self.first:
            return []
        # Weaker statements join a point as more citations; the likeliest few are enough.
        points = self.merge(ranked[:MERGE_DEPTH], qvec)
        bar = self.model.bar(ranked[0].probability)
        kept = [p for p in points if p.lead.probability >= bar] or points[:1]
        for k in range(min(len(c.parts) for c in ranked)):
            best = max(points, key=lambda p: p.lead.parts[k])
            if best not in kept and best.lead.parts[k] >= self.settings.min_relevance and \
                    best.lead.probability >= self.settings.part_share * ranked[0].probability:
                kept.append(best)
        for names in contexts:
            if not any(names & c.unit.words for p in kept for c in p.members):
                kept[1:1] = self._naming(names, points, ranked[:MERGE_DEPTH])
        kept += [q for p in list(kept) for q in p.against
                 if q not in kept and q.lead.probability >= self.first]
        return self.budget(kept, max_points)

    @staticmethod
    def _naming(names: set[str], points: list[Point], ranked: list[Candidate]) -> list[Point]:
        """The likeliest statement that names a context, as its point (or alone, when merging
        folded it into a point of its own article that does not name it)."""
        cand = next((c for c in ranked if names & c.unit.words), None)
        if cand is None:
            return []
        return [next((p for p in points if cand in p.members), Point([cand]))]

    def merge(self, ranked: list[Candidate], qvec: np.ndarray) -> list[Point]:
        """Greedy clustering: a statement that says what a point already says joins it.

        Similarity is measured after removing the question's direction from both vectors:
        two sentences about "what causes inner thigh cramps" are alike in that respect
        whatever they say, so only what they say beyond the question counts. Statements the
        articles name alike ("Dehydration: ...", "1. Dehydration") also join. Statements
        with opposite negation never join: both sides of a disagreement stay, each cited.
        """
        points: list[Point] = []
        if not ranked:
            return points
        vectors = np.asarray(self.index.sentence_vectors[[c.row for c in ranked]],
                             dtype=np.float32)
        raw = vectors @ vectors.T
        residual = vectors - np.outer(vectors @ qvec, qvec)
        residual /= np.maximum(np.linalg.norm(residual, axis=1, keepdims=True), 1e-9)
        beyond_sim = residual @ residual.T
        # Each candidate's own words, name and negation, once.
        beyond = [distinctive(c.unit.words, set(), self.lexicon.is_common) for c in ranked]
        names = [frozenset(w for w in c.unit.topic if not self.lexicon.is_common(w))
                 for c in ranked]
        denies = [negated(c.unit.text) for c in ranked]
        lead_of: list[int] = []
        for k, cand in enumerate(ranked):
            opposed = []
            for point, j in zip(points, lead_of, strict=True):
                alike = _alike(float(beyond_sim[k, j]), len(beyond[k] & beyond[j]),
                               names[k], names[j])
                if denies[k] != denies[j]:
                    if alike or raw[k, j] >= OPPOSED:
                        opposed.append(point)  # the same statement, one side negated
                elif alike:
                    if cand.article_id not in point.articles:
                        point.members.append(cand)  # one more article says it
                    break
            else:
                points.append(Point([cand], against=opposed))
                lead_of.append(k)
                for point in opposed:
                    point.against.append(points[-1])
        return points

    def budget(self, points: list[Point], max_points: int) -> list[Point]:
        """The best points that fit the word budget; a long one is skipped, not a stop."""
        chosen: list[Point] = []
        words = 0
        for point in points:
            size = len(point.lead.unit.text.split())
            if chosen and words + size > self.settings.answer_max_words:
                continue
            chosen.append(point)
            words += size
            if len(chosen) == max_points:
                break
        return chosen


def _alike(beyond: float, common_words: int, mine: frozenset[str],
           theirs: frozenset[str]) -> bool:
    """Two statements say the same thing, negation aside: close once the question's
    direction is removed, or less close with two distinctive words or the same name."""
    same_name = bool(mine and theirs) and (mine <= theirs or theirs <= mine)
    return beyond >= MERGE[0] or (beyond >= MERGE[1] and common_words >= 2) or \
        (beyond >= MERGE[2] and same_name)
