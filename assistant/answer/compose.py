"""Compose cited answers from retrieved passages, without generating any text.

Every line of an answer body is a sentence (or list item) taken from a cited passage,
lightly trimmed (list markers, a leading "Additionally,"), or a fixed line written here.
Statements that several articles make are merged into one point with several citations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..index.store import LoadedIndex
from ..settings import Settings
from ..textutil import content_words
from ..types import Answer, Citation
from .followup import rewrite
from .intent import Intent
from .policy import DOSE, PERSONAL, refusal
from .retrieval import Query, Retriever, Scored, make_query
from .safety import SafetyCheck, check
from .statements import (
    AMOUNT,
    CUES,
    HOW_MUCH,
    YES_NO,
    Unit,
    distinctive,
    negated,
    units_of,
)
from .vocabulary import article_terms

NOTICE = ("_Not medical advice: this summarises the library's articles. "
          "See a doctor about anything that worries you._")
EMERGENCY = ("**⚠ Chest pain, trouble breathing or fainting can be an emergency: call your "
             "local emergency number now.** Our articles do not cover this.")
NOT_COVERED = "Our articles don't cover that."
COVERAGE = ("They cover leg and thigh cramps: causes, symptoms, treatment, prevention and "
            "when to see a doctor.")
DOCTOR_FIRST = "**See a doctor** — you mention {signs}. The articles advise:"
LEADS = {
    Intent.CAUSES: "The articles name these causes:",
    Intent.TREATMENT: "The articles suggest:",
    Intent.PREVENTION: "To prevent cramps, the articles suggest:",
    Intent.SYMPTOMS: "The articles describe:",
    Intent.SEE_DOCTOR: "When to see a doctor, according to the articles:",
    Intent.DEFINITION: "",
    Intent.OTHER: "The articles say:",
}
# How many points each shape allows; definitions are one or two plain sentences.
MAX_POINTS = {Intent.DEFINITION: 2, Intent.OTHER: 3, Intent.SEE_DOCTOR: 4}
LIST_INTENTS = {Intent.CAUSES, Intent.TREATMENT, Intent.PREVENTION, Intent.SYMPTOMS,
                Intent.SEE_DOCTOR}
FIXED_LINES = frozenset([NOTICE, EMERGENCY, NOT_COVERED, COVERAGE, DOSE, PERSONAL,
                         *LEADS.values()])

# Residual-cosine thresholds for "the same statement": alone, with two shared distinctive
# words, with the same name in both articles.
MERGE = (0.8, 0.55, 0.35)
# How much a statement gains for each of the question's subject words it contains (two at most).
TOPIC_WEIGHT = 0.1
_CUE_REQUIRED = {Intent.CAUSES, Intent.SEE_DOCTOR}
# A statement of a cause, with nothing about what to do, does not answer "how do I treat".
_NOT_A_CAUSE = {Intent.TREATMENT, Intent.PREVENTION}
_DOCTOR_QUERY = "When should I seek medical attention or see a doctor about cramps?"


@dataclass(frozen=True)
class _Asked:
    """What a statement is scored against: the question's vector, kind, subject, amount."""

    qvec: np.ndarray
    cue: re.Pattern[str] | None
    topic: frozenset[str]
    wants_amount: bool

    @classmethod
    def of(cls, scored: Scored, retriever: Retriever) -> _Asked:
        text = scored.query.text
        # The question's subject, in its words and the articles' ("shoes" -> "footwear").
        topic = set(retriever.topic_words(text)) | set(content_words(article_terms(text)))
        return cls(scored.qvec, CUES.get(scored.query.intent), frozenset(topic),
                   bool(HOW_MUCH.search(text)))


@dataclass
class Point:
    """One line of the answer: a statement and every unit (article) that makes it."""

    units: list[Unit] = field(default_factory=list)

    @property
    def lead(self) -> Unit:
        return self.units[0]


class Composer:
    """Turns a question into an :class:`Answer` using one retriever."""

    def __init__(self, retriever: Retriever, settings: Settings) -> None:
        self.retriever = retriever
        self.settings = settings
        self.index = retriever.index
        self._doctor: tuple[list[Unit], np.ndarray] | None = None

    def answer(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Answer:
        question, notes = self._trim(question)
        searched_for = rewrite(question, history)
        safety = check(question)
        query = make_query(searched_for)
        scored = self.retriever.score(query)
        reason = refusal(question) or self._uncovered(question, scored)
        if reason:
            return self._abstain(question, searched_for, safety, reason, notes)
        doctor = self._doctor_points(safety, query)
        points = self._points(scored, query.intent, exclude={u.key for p in doctor
                                                             for u in p.units})
        if not points and not doctor:
            return self._abstain(question, searched_for, safety, NOT_COVERED, notes)
        return self._render(question, searched_for, safety, query.intent, doctor, points, notes)

    # -- evidence -----------------------------------------------------------------------

    def _trim(self, question: str) -> tuple[str, tuple[str, ...]]:
        question = " ".join(question.split())
        limit = self.settings.max_question_chars
        if len(question) <= limit:
            return question, ()
        return question[:limit], (f"Your question was cut to its first {limit} characters.",)

    def _uncovered(self, question: str, scored: Scored) -> str | None:
        """Why the articles cannot answer, judged from the evidence; None when they can."""
        if len(scored.scores) == 0:
            return NOT_COVERED
        best = float(scored.best_sentence.max())
        if best < self.settings.min_relevance:
            return NOT_COVERED
        topic = self.retriever.topic_words(question)
        known = sum(map(self.retriever.knows, topic)) / len(topic) if topic else 1.0
        if known < 0.5 and best < self.settings.topic_check_below:
            return NOT_COVERED
        return None

    def _units(self, scored: Scored, depth: int) -> list[Unit]:
        """The statements of the ``depth`` best passages, each scored for this question."""
        order = np.argsort(-scored.scores)[:depth]
        top = float(scored.scores[order[0]])
        asked = set(content_words(scored.query.text))
        # "Does heat help?" is answered by a sentence that repeats its words; a "what" question
        # is not answered by one that only repeats it ("some information on the causes").
        need_new = not YES_NO.match(scored.query.text)
        ask = _Asked.of(scored, self.retriever)
        units: list[Unit] = []
        seen: set[tuple[str, int]] = set()  # overlapping chunks repeat sentences
        for j in order:
            pos = int(scored.chunk_ids[j])
            chunk = self.index.chunks[pos]
            for unit in units_of(chunk, pos, int(self.index.sentence_first[pos])):
                where = (chunk.article_id, chunk.start + unit.spans[0][0])
                if where in seen or (need_new and len(distinctive(unit.text, asked)) < 2):
                    continue  # said already, or restates the question and adds nothing
                seen.add(where)
                self._score(unit, ask, float(scored.scores[j]) - top)
                units.append(unit)
        return units

    def _score(self, unit: Unit, ask: _Asked, chunk_weight: float) -> None:
        """Best-sentence cosine, less for weaker passages, more for the kind of statement,
        the subject words and (for "how much") an amount the question asks for."""
        sims = self.index.sentence_vectors[list(unit.rows)] @ ask.qvec
        unit.row = unit.rows[int(np.argmax(sims))]  # its best sentence speaks for it
        unit.similarity = float(sims.max())
        words = set(content_words(unit.text))
        unit.score = (unit.similarity + 0.5 * chunk_weight
                      + (0.08 if ask.cue and ask.cue.search(unit.text) else 0.0)
                      + min(TOPIC_WEIGHT * len(words & ask.topic), 2 * TOPIC_WEIGHT)
                      + (0.2 if ask.wants_amount and AMOUNT.search(unit.text) else 0.0))

    def _points(self, scored: Scored, intent: Intent,
                exclude: set[tuple[int, int]]) -> list[Point]:
        if intent in _CUE_REQUIRED:  # e.g. only statements of causes answer "what causes"
            units = [u for u in self._units(scored, depth=8)
                     if u.key not in exclude and CUES[intent].search(u.text)]
            if intent is Intent.SEE_DOCTOR:  # and every medical-help statement is a candidate
                seen = {u.key for u in units}
                units += [u for u in self._doctor_advice()[0] if u.key not in seen]
        else:
            units = [u for u in self._units(scored, depth=6) if u.key not in exclude]
            if intent in _NOT_A_CAUSE:
                units = [u for u in units if CUES[intent].search(u.text)
                         or not CUES[Intent.CAUSES].search(u.text)]
        if not units:
            return []
        units.sort(key=lambda u: -u.score)
        # List answers gather more points than one-line ones; all must stay relevant.
        margin = 0.3 if intent in LIST_INTENTS else 0.1
        keep = [u for u in units if u.score >= units[0].score - margin
                and u.similarity >= self.settings.point_min_similarity]
        points = self._merge(keep, set(content_words(scored.query.text)), scored.qvec)
        points.sort(key=lambda p: -(p.lead.score + 0.03 * (len(_articles(p, self.index)) - 1)))
        return self._budget(points, MAX_POINTS.get(intent, 6))

    def _merge(self, units: list[Unit], asked: set[str], qvec: np.ndarray) -> list[Point]:
        """Greedy clustering: a unit that says what a point already says joins it.

        Similarity is measured after removing the question's direction from both vectors:
        two sentences about "what causes inner thigh cramps" are alike in that respect
        whatever they say, so only what they say beyond the question counts. Statements the
        articles name alike ("Dehydration: ...", "1. Dehydration") also join.
        """
        points: list[Point] = []
        rows = [u.row for u in units]
        vectors = self.index.sentence_vectors[rows]
        residual = vectors - np.outer(vectors @ qvec, qvec)
        residual /= np.maximum(np.linalg.norm(residual, axis=1, keepdims=True), 1e-9)
        lead_of: list[int] = []  # index into units of each point's lead
        for k, unit in enumerate(units):
            mine = distinctive(unit.text, asked)
            for point, lead_k in zip(points, lead_of, strict=True):
                lead = point.lead
                beyond = float(residual[k] @ residual[lead_k])
                common = len(mine & distinctive(lead.text, asked))
                same_topic = bool(unit.topic and lead.topic) and (
                    unit.topic <= lead.topic or lead.topic <= unit.topic)
                if negated(unit.text) != negated(lead.text):
                    continue  # "X helps" and "X does not help": both sides stay, each cited
                if beyond >= MERGE[0] or (beyond >= MERGE[1] and common >= 2) or \
                        (beyond >= MERGE[2] and same_topic):
                    if self.index.chunks[unit.chunk_pos].article_id not in \
                            _articles(point, self.index):
                        point.units.append(unit)  # one more article says it
                    break
            else:
                points.append(Point([unit]))
                lead_of.append(k)
        return points

    def _budget(self, points: list[Point], max_points: int) -> list[Point]:
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

    def _doctor_points(self, safety: SafetyCheck, query: Query) -> list[Point]:
        """The articles' own 'when to see a doctor' lines, for questions with warning signs."""
        if not safety.warnings or query.intent is Intent.SEE_DOCTOR:
            return []
        units, qvec = self._doctor_advice()
        return self._merge(units[:4], set(), qvec)[:2]

    def _doctor_advice(self) -> tuple[list[Unit], np.ndarray]:
        """The library's statements on when to see a doctor, best first, with the vector of
        the fixed query that found them: the same for every question, so found once."""
        if self._doctor is None:
            scored = self.retriever.score(make_query(_DOCTOR_QUERY))
            units = [u for u in self._units(scored, depth=10)
                     if CUES[Intent.SEE_DOCTOR].search(u.text)]
            self._doctor = (sorted(units, key=lambda u: -u.score), scored.qvec)
        return self._doctor

    # -- rendering ----------------------------------------------------------------------

    def _render(self, question: str, searched_for: str, safety: SafetyCheck, intent: Intent,
                doctor: list[Point], points: list[Point], notes: tuple[str, ...]) -> Answer:
        numbering: dict[int, int] = {}
        used: dict[int, list[Unit]] = {}
        lines: list[str] = [EMERGENCY, ""] if safety.emergency else []
        if doctor:
            signs = ", ".join(safety.warnings)
            lines += [DOCTOR_FIRST.format(signs=signs), ""]
            lines += [f"- {self._cite(p, numbering, used)}" for p in doctor] + [""]
        lead = LEADS[intent]
        if intent in LIST_INTENTS:
            lines += ([lead] if lead else []) + [f"- {self._cite(p, numbering, used)}"
                                                 for p in points]
        else:
            lines += ([lead] if lead else []) + [" ".join(self._cite(p, numbering, used)
                                                          for p in points)]
        citations = self._citations(numbering, used)
        body = "\n".join(lines).strip()
        text = "\n".join([body, "", "**Sources**", *map(_source_line, citations), "", NOTICE])
        return Answer(question=question, text=text, body=body,
                      citations=tuple(citations), abstained=False, searched_for=searched_for,
                      warnings=safety.warnings, intent=intent.value, notes=notes,
                      build_id=self.index.build_id)

    def _cite(self, point: Point, numbering: dict[int, int], used: dict[int, list[Unit]]) -> str:
        marks = []
        for unit in point.units:
            n = numbering.setdefault(unit.chunk_pos, len(numbering) + 1)
            used.setdefault(unit.chunk_pos, []).append(unit)
            marks.append(f"[{n}]")
        support = len(_articles(point, self.index))
        total = self.index.manifest["counts"]["articles"]
        extra = f" — {support} of the {total} articles say this" if support >= 3 else ""
        return f"{point.lead.text} {''.join(dict.fromkeys(marks))}{extra}"

    def _citations(self, numbering: dict[int, int], used: dict[int, list[Unit]]) -> list[Citation]:
        out = []
        for pos, n in sorted(numbering.items(), key=lambda kv: kv[1]):
            chunk = self.index.chunks[pos]
            spans = sorted({s for u in used[pos] for s in u.spans})
            base = chunk.start
            out.append(Citation(
                n=n, title=chunk.title, source=chunk.source, section=chunk.section,
                chunk_id=chunk.chunk_id, passage=chunk.text,
                quote=" ".join(chunk.text[s:e] for s, e in spans),
                start=base + spans[0][0], end=base + spans[-1][1],
                spans=tuple((base + s, base + e) for s, e in spans), passage_start=base,
                score=max(u.score for u in used[pos]), publisher=chunk.publisher,
                url=chunk.url, published=chunk.published,
            ))
        return out

    def _abstain(self, question: str, searched_for: str, safety: SafetyCheck, reason: str,
                 notes: tuple[str, ...]) -> Answer:
        lines = [EMERGENCY, ""] if safety.emergency else []
        lines += [reason, COVERAGE]
        body = "\n".join(lines)
        return Answer(question=question, text=f"{body}\n\n{NOTICE}", body=body, citations=(),
                      abstained=True,
                      searched_for=searched_for, warnings=safety.warnings, notes=notes,
                      build_id=self.index.build_id)


def _articles(point: Point, index: LoadedIndex) -> set[str]:
    return {index.chunks[u.chunk_pos].article_id for u in point.units}


def _source_line(c: Citation) -> str:
    where = " — ".join(x for x in (c.publisher, c.section) if x)
    return f"[{c.n}] {c.title}" + (f" ({where})" if where else "")
