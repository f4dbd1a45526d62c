"""Compose cited answers from retrieved passages, without generating any text.

Every line of an answer body is a statement taken from a cited passage (lightly trimmed:
list markers, a leading "Additionally,", reference markers) or a fixed line written here.
The flow: refuse what policy refuses; abstain when the evidence does not cover the
question; put the articles' medical-help guidance first when the question describes
warning signs; choose statements (:mod:`.choose`); name the person's context when the
articles say nothing about it; number the citations and render.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from ..index.lexicon import specificity
from ..settings import Settings
from ..textutil import content_words, stem, words
from ..types import Answer, Citation, Hit
from . import policy
from .choose import Candidate, Chooser, Point
from .retrieval import Retriever, Scored
from .statements import Unit
from .understand import Kind, Query, subject_of

NOTICE = ("_Not medical advice: this summarises the library's articles. "
          "See a doctor about anything that worries you._")
EMERGENCY = ("**⚠ Chest pain, trouble breathing or fainting can be an emergency: call your "
             "local emergency number now.** Our articles do not cover this.")
NOT_COVERED = "Our articles don't cover that."
COVERAGE = ("They cover leg and thigh cramps: causes, symptoms, treatment, prevention and "
            "when to see a doctor.")
GET_HELP = "**Get medical help promptly** — you mention {signs}. The articles say:"
DOCTOR_FIRST = "**See a doctor** — you mention {signs}. The articles advise:"
NOT_SPECIFIC = ("The articles don't say anything specific about {context}; this is what they "
                "say in general.")
# Statements are chosen for what they say about the question's subject, not sorted by kind,
# so the lead says no more than that; only medical-help answers are filtered to their kind.
SAYS = "The articles say:"
LEADS = {kind: SAYS for kind in Kind} | {
    Kind.SEE_DOCTOR: "When to see a doctor, according to the articles:",
    Kind.DEFINITION: "",
}
# A definition is one or two plain sentences.
DEFINITION_POINTS = 2
LIST_KINDS = {Kind.CAUSES, Kind.TREATMENT, Kind.PREVENTION, Kind.SYMPTOMS, Kind.SEE_DOCTOR}
FIXED_LINES = frozenset([NOTICE, EMERGENCY, NOT_COVERED, COVERAGE, policy.DOSE, policy.PERSONAL,
                         *LEADS.values()])
FIXED_OPENINGS = ("**See a doctor**", "**Get medical help", "**⚠", "The articles don't say")
_MEDICAL_HELP = "When should I get medical help or see a doctor about cramps?"


@dataclass(frozen=True)
class Evidence:
    """What the best passages say to a question."""

    dense: float  # best cosine of any sentence of the candidate passages with the question

    def covers(self, settings: Settings) -> bool:
        """A sentence close enough to the question. (Lexical evidence, a best passage
        holding the question's rare word, and a check for specific words the library never
        uses were tried and measured; neither helped on the check half, so neither stays:
        see scripts/ablate.py.)"""
        return self.dense >= settings.min_relevance


class Composer:
    """Turns an understood question into an :class:`Answer` using one retriever."""

    def __init__(self, retriever: Retriever, settings: Settings) -> None:
        self.retriever = retriever
        self.settings = settings
        self.index = retriever.index
        self.chooser = Chooser(retriever, settings)
        self._help: dict[str, Scored] = {}
        self._help_lock = threading.Lock()

    def answer(self, query: Query) -> Answer:
        if query.refusal:
            return self._abstain(query, query.refusal)
        found = self.retriever.score(query)
        if not self.evidence(found).covers(self.settings):
            return self._abstain(query, NOT_COVERED)
        ranked, candidates = self.rank(found)
        doctor = self._doctor_points(query)
        taken = {self._where(u) for p in doctor for u in p.units}
        points = [p for p in self._points(found, ranked, candidates)
                  if self._where(p.lead) not in taken]
        if not points and not doctor:
            return self._abstain(query, NOT_COVERED)
        return self._render(query, doctor, points)

    def search(self, query: Query, k: int) -> list[Hit]:
        """The ``k`` best passages found for the question."""
        scored = self.retriever.score(query)
        return [Hit(chunk=self.index.chunks[int(scored.chunk_ids[j])],
                    score=float(scored.scores[j]), similarity=float(scored.similarity[j]),
                    rank=r + 1) for r, j in enumerate(scored.order()[:k])]

    def rank(self, scored: Scored) -> tuple[Scored, list[Candidate]]:
        """The best passages ranked again by the best statement each holds (a passage is as
        good as what it can say to the question), and those statements. Answers use the
        first of this ranking; search keeps its own order, where this did not hold up."""
        depth, weight = self.settings.rerank_depth, self.settings.rerank_weight
        candidates = self.chooser.candidates(scored, depth)
        if not (weight and candidates):
            return scored, candidates
        best: dict[int, float] = {}
        for c in candidates:
            best[c.unit.chunk_pos] = max(best.get(c.unit.chunk_pos, 0.0), c.unit.score)
        scores = scored.scores.copy()
        for j in scored.order()[:depth]:
            scores[j] += weight * best.get(int(scored.chunk_ids[j]), 0.0)
        return replace(scored, scores=scores), candidates

    # -- evidence -----------------------------------------------------------------------

    def evidence(self, scored: Scored) -> Evidence:
        """The evidence the best passages give for the question."""
        return Evidence(float(scored.best_sentence.max()) if len(scored.scores) else -1.0)

    def _points(self, found: Scored, ranked: Scored, statements: list[Candidate]) -> list[Point]:
        """Statements of the passages search found best, and of the one ranked first."""
        query = found.query
        top = ranked.order()[:1]
        best = int(ranked.chunk_ids[top[0]]) if len(top) else None
        used = {int(found.chunk_ids[j]) for j in found.order()[: self.settings.answer_passages]}
        candidates = [c for c in statements if c.unit.chunk_pos in used | {best}]
        if query.kind is Kind.SEE_DOCTOR:  # answered by the articles' medical-help guidance
            candidates = [c for c in candidates if policy.SEEK_HELP.search(c.unit.text)]
            seen = {self._where(c.unit) for c in candidates}
            extra = self.chooser.candidates(self._help_scored(_MEDICAL_HELP), 10)
            candidates += [c for c in extra if policy.SEEK_HELP.search(c.unit.text)
                           and self._where(c.unit) not in seen]
        return self.chooser.choose(candidates, self._max_points(query.kind), found.qvec, set(),
                                   best)

    def _max_points(self, kind: Kind) -> int:
        if kind is Kind.DEFINITION:
            return DEFINITION_POINTS
        return self.settings.list_points if kind in LIST_KINDS else self.settings.line_points

    def _doctor_points(self, query: Query) -> list[Point]:
        """The articles' most specific medical-help guidance for the signs described."""
        if not query.warnings:
            return []
        scored = self._help_scored(query.warnings[0].concern)  # the most specific sign
        units = [c.unit for c in self.chooser.candidates(scored, 10)
                 if policy.SEEK_HELP.search(c.unit.text)]
        units.sort(key=lambda u: -u.score)
        return self.chooser.merge(units[:4], set(), scored.qvec)[:2]

    def _help_scored(self, text: str) -> Scored:
        """Search results for a fixed medical-help query; the same for every question with
        the same signs, so searched once per index."""
        with self._help_lock:
            if text not in self._help:
                query = Query(asked=text, standalone=text, search=text, keywords=text,
                              subject=subject_of(text, self.retriever.lexicon))
                self._help[text] = self.retriever.score(query)
            return self._help[text]

    def _where(self, unit: Unit) -> tuple[str, int]:
        """Which sentence of which article a statement starts at, whatever chunk holds it."""
        chunk = self.index.chunks[unit.chunk_pos]
        return chunk.article_id, chunk.start + unit.spans[0][0]

    # -- rendering ----------------------------------------------------------------------

    def _render(self, query: Query, doctor: list[Point], points: list[Point]) -> Answer:
        cite = _Citer(self)
        lines: list[str] = [EMERGENCY, ""] if query.emergency else []
        lines += self._context_note(query, doctor + points)
        if doctor:
            signs = ", ".join(w.label for w in query.warnings)
            head = GET_HELP if query.strong_warning else DOCTOR_FIRST
            lines += [head.format(signs=signs), ""]
            lines += [f"- {cite(p)}" for p in doctor] + [""]
        lead = LEADS[query.kind]
        if query.kind in LIST_KINDS:
            lines += ([lead] if lead else []) + [f"- {cite(p)}" for p in points]
        elif points:
            lines += ([lead] if lead else []) + [" ".join(cite(p) for p in points)]
        citations = cite.citations()
        body = "\n".join(lines).strip()
        text = "\n".join([body, "", "**Sources**", *map(_source_line, citations), "", NOTICE])
        return Answer(question=query.asked, text=text, body=body, citations=tuple(citations),
                      abstained=False, searched_for=query.standalone,
                      warnings=tuple(w.label for w in query.warnings), intent=query.kind.value,
                      notes=query.notes, build_id=self.index.build_id)

    def _context_note(self, query: Query, points: list[Point]) -> list[str]:
        """Name what the person said about themselves when no chosen statement speaks to it."""
        said = set(content_words(" ".join(u.text for p in points for u in p.units)))
        lexicon = self.retriever.lexicon
        missing = []
        for phrase in query.context:
            names = {stem(v) for w in words(phrase) if specificity(stem(w)) >= 0.5
                     for v in [w, *lexicon.variants(w)]}
            if names and not names & said:
                missing.append(phrase)
        return [NOT_SPECIFIC.format(context="; ".join(missing)), ""] if missing else []

    def _abstain(self, query: Query, reason: str) -> Answer:
        lines = [EMERGENCY, ""] if query.emergency else []
        lines += [reason, COVERAGE]
        body = "\n".join(lines)
        return Answer(question=query.asked, text=f"{body}\n\n{NOTICE}", body=body, citations=(),
                      abstained=True, searched_for=query.standalone,
                      warnings=tuple(w.label for w in query.warnings), intent=query.kind.value,
                      notes=query.notes, build_id=self.index.build_id)


class _Citer:
    """Numbers citations by first use: one number per passage, and a sentence already cited
    under one passage keeps that number when an overlapping passage holds it too."""

    def __init__(self, composer: Composer) -> None:
        self.composer = composer
        self.number: dict[int, int] = {}  # chunk position -> n
        self.used: dict[int, list[Unit]] = {}
        self.sentence: dict[tuple[str, int], int] = {}  # (article, offset) -> n

    def __call__(self, point: Point) -> str:
        marks = []
        for unit in point.units:
            where = self.composer._where(unit)
            n = self.sentence.get(where) or self.number.setdefault(unit.chunk_pos,
                                                                    len(self.number) + 1)
            self.sentence.setdefault(where, n)
            if n == self.number.get(unit.chunk_pos):
                self.used.setdefault(unit.chunk_pos, []).append(unit)
            marks.append(f"[{n}]")
        support = len(self.composer.chooser.articles(point))
        total = self.composer.index.manifest["counts"]["articles"]
        extra = f" — {support} of the {total} articles say this" if support >= 3 else ""
        return f"{point.lead.text} {''.join(dict.fromkeys(marks))}{extra}"

    def citations(self) -> list[Citation]:
        index = self.composer.index
        out = []
        for pos, n in sorted(self.number.items(), key=lambda kv: kv[1]):
            chunk = index.chunks[pos]
            spans = sorted({s for u in self.used[pos] for s in u.spans})
            base = chunk.start
            out.append(Citation(
                n=n, title=chunk.title, source=chunk.source, section=chunk.section,
                chunk_id=chunk.chunk_id, passage=chunk.text,
                quote=" ".join(chunk.text[s:e] for s, e in spans),
                start=base + spans[0][0], end=base + spans[-1][1],
                spans=tuple((base + s, base + e) for s, e in spans), passage_start=base,
                score=max(u.score for u in self.used[pos]), publisher=chunk.publisher,
                url=chunk.url, published=chunk.published,
            ))
        return out


def _source_line(c: Citation) -> str:
    where = " — ".join(x for x in (c.publisher, c.section) if x)
    return f"[{c.n}] {c.title}" + (f" ({where})" if where else "")
