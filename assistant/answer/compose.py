"""Compose cited answers from retrieved passages, without generating any text.

Every line of an answer body is a statement taken from a cited passage (lightly trimmed:
list markers, a leading "Additionally,", reference markers) or a fixed line
(:mod:`.lines`). The flow: refuse what policy refuses; say so when the question is not in
English or names something the articles never mention; abstain when the evidence does not
cover the question; put the articles' medical-help guidance first when the question
describes warning signs; choose the lines that clear the line scorer's bar
(:mod:`.choose`); name the person's context when no line speaks to it; number the
citations and render one bulleted list.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ..index.lexicon import specificity
from ..settings import Settings
from ..textutil import content_words
from ..types import Answer, Citation, Hit
from . import policy
from .choose import Candidate, Chooser, Point
from .context import ContextCheck, names_of
from .lines import (
    ALSO,
    COVERAGE,
    DOCTOR_FIRST,
    EMERGENCY,
    FIXED_LINES,
    FIXED_OPENINGS,
    GET_HELP,
    NOT_COVERED,
    NOT_ENGLISH,
    NOT_MENTIONED,
    NOT_SPECIFIC,
    NOTICE,
)
from .retrieval import Retriever, Scored
from .scorer import load_model
from .understand import Kind, Query, subject_of

__all__ = ["FIXED_LINES", "FIXED_OPENINGS", "NOTICE", "EMERGENCY", "Composer"]

# A definition is one or two plain sentences.
DEFINITION_POINTS = 2
_MEDICAL_HELP = "When should I get medical help or see a doctor about cramps?"


@dataclass(frozen=True)
class Evidence:
    """What the best passages say to a question."""

    dense: float  # best cosine of any sentence of the candidate passages with the question

    def covers(self, settings: Settings) -> bool:
        """A sentence close enough to the question. (Lexical evidence, a best passage
        holding the question's rare word, was tried and measured; it did not help on the
        check half, so it does not stay.)"""
        return self.dense >= settings.min_relevance


class Composer:
    """Turns an understood question into an :class:`Answer` using one retriever."""

    def __init__(self, retriever: Retriever, settings: Settings) -> None:
        self.retriever = retriever
        self.settings = settings
        self.index = retriever.index
        self.chooser = Chooser(retriever, settings, load_model(settings.line_model_path))
        self.context = ContextCheck(retriever.embedder, settings)
        self._help: dict[str, list[Candidate]] = {}
        self._help_lock = threading.Lock()

    def answer(self, query: Query) -> Answer:
        if query.refusal:
            return self._abstain(query, [query.refusal, COVERAGE])
        if query.foreign:
            return self._abstain(query, [NOT_ENGLISH, COVERAGE])
        found = self.retriever.score(query)
        if not self.evidence(found).covers(self.settings):
            return self._not_covered(query)
        candidates = self.chooser.candidates(found, self.settings.statement_passages)
        if self._about_unknown(query, candidates):
            return self._not_covered(query)
        doctor = self._doctor_points(query)
        taken = {self._where(c) for p in doctor for c in p.members}
        points = [p for p in self._points(found, candidates)
                  if self._where(p.lead) not in taken]
        if not points and not doctor:
            return self._not_covered(query)
        return self._render(query, doctor, points)

    def _about_unknown(self, query: Query, candidates: list[Candidate]) -> bool:
        """The question is about something the library never mentions: one of its unknown
        phrases is close in meaning to the whole question ("Does pickle juice help?"), not a
        circumstance of it ("After hiking my calves cramp"), and no line is as likely to
        answer it as a shown line must be ("my thigh just locked up doing squats, what do I
        do?" is answered). Warning signs are always answered."""
        if not query.unknown or query.warnings or query.emergency or \
                max((c.probability for c in candidates), default=0.0) >= self.chooser.keep:
            return False
        vecs = self.retriever.embedder.embed([query.search, *query.unknown])
        return float((vecs[1:] @ vecs[0]).max()) >= self.settings.unknown_centrality

    def _not_covered(self, query: Query) -> Answer:
        """Nothing in the articles answers it: name what they never mention, if anything."""
        if query.unknown:
            what = " or ".join(f"“{u}”" for u in query.unknown)
            return self._abstain(query, [NOT_MENTIONED.format(what=what), COVERAGE])
        return self._abstain(query, [NOT_COVERED, COVERAGE])

    def search(self, query: Query, k: int) -> list[Hit]:
        """The ``k`` best passages found for the question."""
        scored = self.retriever.score(query)
        return [Hit(chunk=self.index.chunks[int(scored.chunk_ids[j])],
                    score=float(scored.scores[j]), similarity=float(scored.similarity[j]),
                    rank=r + 1) for r, j in enumerate(scored.order()[:k])]

    def evidence(self, scored: Scored) -> Evidence:
        """The evidence the best passages give for the question."""
        return Evidence(float(scored.best_sentence.max()) if len(scored.scores) else -1.0)

    def _points(self, found: Scored, candidates: list[Candidate]) -> list[Point]:
        """The lines that answer the question; for "when should I see a doctor", only the
        articles' medical-help guidance."""
        query = found.query
        if query.medicine:  # "can I take X": only what the articles say of X
            candidates = [c for c in candidates if set(query.medicine) & c.unit.words]
        elif self.settings.subject_lines:
            candidates = self._on_subject(query, candidates)
        if query.kind is Kind.SEE_DOCTOR:
            candidates = [c for c in candidates if policy.SEEK_HELP.search(c.unit.text)]
            seen = {self._where(c) for c in candidates}
            candidates += [c for c in self._help_candidates(_MEDICAL_HELP)
                           if self._where(c) not in seen]
        limit = DEFINITION_POINTS if query.kind is Kind.DEFINITION else \
            self.settings.answer_max_lines
        named = [set(names_of(c, self.index)) for c in query.context]
        return self.chooser.choose(candidates, limit, found.qvec, [n for n in named if n])

    def _on_subject(self, query: Query, candidates: list[Candidate]) -> list[Candidate]:
        """Lines that name what the question is about, when some do and one of them is
        likely enough: a question about bananas is answered with what the articles say of
        bananas. What it is about are its specific words (not everyday English) that the
        library names in few passages (as its term bridges count them). A line that only
        names the subject ("At times, the hamstrings could get affected") is no answer to
        "why does my hamstring cramp?", so the subject's lines are the answer only when the
        likeliest of them has at least ``subject_lines_share`` (0.7) of the chance of the
        likeliest line of all (chosen on the tune half and the cross-fitted written set)."""
        lexicon, everyday = self.retriever.lexicon, self.settings.everyday_words
        named = {w for w in query.subject if lexicon.knows(w) and lexicon.rare(w)
                 and specificity(w, everyday) > 0}
        if not named or not candidates:
            return candidates
        on = [c for c in candidates if named & c.unit.words and
              c.probability >= self.chooser.first]
        best = max(c.probability for c in candidates)
        if not on or max(c.probability for c in on) < self.settings.subject_lines_share * best:
            return candidates
        return on

    def _doctor_points(self, query: Query) -> list[Point]:
        """The articles' most specific medical-help guidance for the signs described: lines
        that tell the reader to get help, or that name the illness the sign may mean ("deep
        vein thrombosis"), not any line saying a cramp may mean some illness; those naming
        most of the sign's own specific words first, then the likeliest."""
        if not query.warnings:
            return []
        concern = query.warnings[0].concern  # the most specific sign
        lexicon = self.retriever.lexicon
        named = {w for w in content_words(concern) if lexicon.knows(w) and lexicon.rare(w)}
        ranked = sorted((c for c in self._help_candidates(concern)
                         if policy.ADVISE_HELP.search(c.unit.text) or named & c.unit.words),
                        key=lambda c: (-len(named & c.unit.words), -c.probability))
        return self.chooser.merge(ranked[:4], self._help_scored(concern).qvec)[:2]

    def _help_candidates(self, text: str) -> list[Candidate]:
        """The medical-help statements found for a fixed query (the same for every question
        with the same signs, so searched once per index)."""
        with self._help_lock:
            if text not in self._help:
                scored = self._help_scored(text)
                self._help[text] = [c for c in self.chooser.candidates(scored, 10)
                                    if policy.SEEK_HELP.search(c.unit.text)]
            return self._help[text]

    def _help_scored(self, text: str) -> Scored:
        query = Query(asked=text, standalone=text, search=text, keywords=text,
                      kind=Kind.SEE_DOCTOR, subject=subject_of(text, self.retriever.lexicon))
        return self.retriever.score(query)

    def _where(self, cand: Candidate) -> tuple[str, int]:
        """Which sentence of which article a statement stands for, whatever chunk holds it."""
        return cand.article_id, self.index.chunks[cand.unit.chunk_pos].start + cand.unit.anchor

    # -- rendering ----------------------------------------------------------------------

    def _render(self, query: Query, doctor: list[Point], points: list[Point]) -> Answer:
        cite = _Citer(self)
        lines: list[str] = [EMERGENCY, ""] if query.emergency else []
        missing = self.context.missing(query.context, [p.lead for p in doctor + points],
                                       self.index)
        if missing:
            lines += [NOT_SPECIFIC.format(context="; ".join(missing)), ""]
        if doctor:
            signs = ", ".join(w.label for w in query.warnings)
            head = GET_HELP if query.strong_warning else DOCTOR_FIRST
            lines += [head.format(signs=signs), ""] + [f"- {cite(p)}" for p in doctor]
            if points:
                lines += ["", ALSO]
        lines += [f"- {cite(p)}" for p in points]
        citations = cite.citations()
        body = "\n".join(lines).strip()
        text = "\n".join([body, "", "**Sources**", *map(_source_line, citations), "", NOTICE])
        return Answer(question=query.asked, text=text, body=body, citations=tuple(citations),
                      abstained=False, searched_for=query.standalone,
                      warnings=tuple(w.label for w in query.warnings), intent=query.kind.value,
                      notes=query.notes, build_id=self.index.build_id)

    def _abstain(self, query: Query, reason: list[str]) -> Answer:
        lines = [EMERGENCY, ""] if query.emergency else []
        body = "\n".join(lines + reason)
        return Answer(question=query.asked, text=f"{body}\n\n{NOTICE}", body=body, citations=(),
                      abstained=True, searched_for=query.standalone,
                      warnings=tuple(w.label for w in query.warnings), intent=query.kind.value,
                      notes=query.notes, build_id=self.index.build_id)


class _Citer:
    """Numbers citations by first use: one number per passage, and a sentence already cited
    under one passage keeps that number when an overlapping passage holds it too. Within a
    line the numbers are in order, so they read in order of first appearance."""

    def __init__(self, composer: Composer) -> None:
        self.composer = composer
        self.number: dict[int, int] = {}  # chunk position -> n
        self.used: dict[int, list[Candidate]] = {}
        self.sentence: dict[tuple[str, int], int] = {}  # (article, offset) -> n

    def __call__(self, point: Point) -> str:
        marks = []
        for cand in point.members:
            pos = cand.unit.chunk_pos
            where = self.composer._where(cand)
            n = self.sentence.get(where) or self.number.setdefault(pos, len(self.number) + 1)
            self.sentence.setdefault(where, n)
            if n == self.number.get(pos):
                self.used.setdefault(pos, []).append(cand)
            marks.append(n)
        support = len(point.articles)
        total = self.composer.index.manifest["counts"]["articles"]
        extra = f" — {support} of the {total} articles say this" if support >= 3 else ""
        cited = "".join(f"[{n}]" for n in sorted(set(marks)))
        return f"{point.lead.unit.text} {cited}{extra}"

    def citations(self) -> list[Citation]:
        index = self.composer.index
        out = []
        for pos, n in sorted(self.number.items(), key=lambda kv: kv[1]):
            chunk = index.chunks[pos]
            spans = sorted({s for c in self.used[pos] for s in c.unit.spans})
            base = chunk.start
            out.append(Citation(
                n=n, title=chunk.title, source=chunk.source, section=chunk.section,
                chunk_id=chunk.chunk_id, passage=chunk.text,
                quote=" ".join(chunk.text[s:e] for s, e in spans),
                start=base + spans[0][0], end=base + spans[-1][1],
                spans=tuple((base + s, base + e) for s, e in spans), passage_start=base,
                score=max(c.probability for c in self.used[pos]), publisher=chunk.publisher,
                url=chunk.url, published=chunk.published,
            ))
        return out


def _source_line(c: Citation) -> str:
    where = " — ".join(x for x in (c.publisher, c.section) if x)
    return f"[{c.n}] {c.title}" + (f" ({where})" if where else "")
