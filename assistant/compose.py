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

from .followup import rewrite
from .intent import Intent
from .policy import DOSE, PERSONAL, refusal
from .retrieval import Query, Retriever, Scored, make_query
from .safety import SafetyCheck, check
from .settings import Settings
from .store import LoadedIndex
from .textutil import content_words
from .types import Answer, Chunk, Citation
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

_SIGNPOST = re.compile(r"\b(this (article|post|guide)|we('|’)?ll|we will|let('|’)s explore|"
                       r"read on|here are some|the following|provided here|understanding (the|"
                       r"these|this)|it('|’)?s (essential|important|crucial) to address|there "
                       r"are (several|various|many) (factors|theories|ways)|when it comes to)\b",
                       re.I)
# A sentence that leans on the one before it is cited together with it.
_LEANS_BACK = re.compile(r"^((this|these|that|those|such|it|they|eventually|complete this|"
                         r"conditions like|the aforementioned)\b|([\w’']+,? ){1,3}(it|they|this|"
                         r"these)\b(?! (is|are) (essential|important|crucial|vital)))", re.I)
_LEADING_LINK = re.compile(r"^(additionally|also|however|therefore|furthermore|moreover|"
                           r"in addition|alternatively|for instance|for example),\s+", re.I)
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_LABEL = re.compile(r"^([A-Z][\w ,’'/()-]{1,40}):\s+(?=\S)")
# Statements about when to get medical help (not every sentence that names a doctor).
_SEEK_HELP = (r"\b(seek\w*|consult\w*|medical (attention|assistance|advice|help|evaluation)|"
              r"see (a|your) (doctor|gp|physician)|symptom of|sign of|underlying (health )?"
              r"condition|serious)\b")
_DOCTOR = re.compile(_SEEK_HELP, re.I)
# Words that mark a statement as the kind of answer an intent wants.
_CUES = {intent: re.compile(rx, re.I) for intent, rx in {
    Intent.CAUSES: r"\b(caus\w*|lead\w* to|result\w* in|trigger\w*|contribut\w*|due to|"
                   r"because|factor\w*|deficienc\w*|can impair|explain\w*|why|reduc\w* "
                   r"(blood|circulation)|deplete\w*|build up)\b",
    Intent.TREATMENT: r"\b(stretch\w*|massag\w*|appl(y|ying)|heat|ice|relie\w*|relax\w*|"
                      r"treat\w*|prescribe|rub|drink|hydrat\w*|physical therapy|medication)\b",
    Intent.PREVENTION: r"\b(prevent\w*|avoid\w*|reduce|stay hydrated|drink|maintain|ensure|"
                       r"make sure|include|incorporate|wear\w*|regular\w*|balanced)\b",
    Intent.SYMPTOMS: r"\b(pain|ache|feel\w*|symptom\w*|stiff\w*|last\w*|tighten\w*|"
                     r"affect\w*|sudden)\b",
    Intent.SEE_DOCTOR: _SEEK_HELP,
}.items()}
# Residual-cosine thresholds for "the same statement": alone, with two shared distinctive
# words, with the same name in both articles.
MERGE = (0.8, 0.55, 0.35)
_YES_NO = re.compile(r"^\s*(does|do|is|are|can|could|will|would|should|did|has|have)\b", re.I)
# "How much/long/many/often" wants the statement that gives an amount.
_HOW_MUCH = re.compile(r"\bhow (much|long|many|often)\b", re.I)
_AMOUNT = re.compile(r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|"
                     r"few|several)\s+(\w+\s+)?(glass(es)?|cups?|lit(re|er)s?|seconds?|"
                     r"minutes?|hours?|days?|times?|weeks?|servings?)\b", re.I)
# How much a statement gains for each of the question's subject words it contains (two at most).
TOPIC_WEIGHT = 0.1
_CUE_REQUIRED = {Intent.CAUSES, Intent.SEE_DOCTOR}
# A statement of a cause, with nothing about what to do, does not answer "how do I treat".
_NOT_A_CAUSE = {Intent.TREATMENT, Intent.PREVENTION}
_DOCTOR_QUERY = "When should I seek medical attention or see a doctor about cramps?"


@dataclass
class Unit:
    """A citable statement: one sentence, or a lead-in with its short list items."""

    chunk_pos: int  # index into the index's chunk list
    spans: list[tuple[int, int]]  # offsets inside the chunk text
    text: str  # as shown: markers and leading connectives trimmed
    row: int  # sentence-vector row that represents it
    similarity: float
    score: float = 0.0
    topic: frozenset[str] = frozenset()  # what the article names it: label or sub-heading


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
        self._doctor: Scored | None = None

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
        points = self._points(scored, query.intent, exclude={u.row for p in doctor
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
        best = float(np.max(self._sentence_sims(scored)))
        if best < self.settings.min_relevance:
            return NOT_COVERED
        topic = self.retriever.topic_words(question)
        known = sum(map(self.retriever.knows, topic)) / len(topic) if topic else 1.0
        if known < 0.5 and best < self.settings.topic_check_below:
            return NOT_COVERED
        return None

    def _sentence_sims(self, scored: Scored) -> np.ndarray:
        rows = np.flatnonzero(np.isin(self.index.sentence_owner, scored.chunk_ids))
        return self.index.sentence_vectors[rows] @ scored.qvec if len(rows) else np.zeros(1)

    def _units(self, scored: Scored, depth: int) -> list[Unit]:
        order = np.argsort(-scored.scores)[:depth]
        top = float(scored.scores[order[0]])
        asked = set(content_words(scored.query.text))
        # The question's subject, in its words and the articles' ("shoes" -> "footwear").
        topic = set(self.retriever.topic_words(scored.query.text)) | set(
            content_words(article_terms(scored.query.text)))
        cue = _CUES.get(scored.query.intent)
        wants_amount = bool(_HOW_MUCH.search(scored.query.text))
        # "Does heat help?" is answered by a sentence that repeats its words; a "what" question
        # is not answered by one that only repeats it ("some information on the causes").
        need_new = not _YES_NO.match(scored.query.text)
        units: list[Unit] = []
        seen: set[tuple[str, int]] = set()  # overlapping chunks repeat sentences
        for j in order:
            pos = int(scored.chunk_ids[j])
            chunk_weight = float(scored.scores[j]) - top  # <= 0: weaker passages count less
            for unit in units_of(self.index.chunks[pos], pos,
                                 int(self.index.sentence_first[pos])):
                chunk = self.index.chunks[pos]
                where = (chunk.article_id, chunk.start + unit.spans[0][0])
                if where in seen or (need_new and len(_distinctive(unit.text, asked)) < 2):
                    continue  # said already, or restates the question and adds nothing
                seen.add(where)
                words = set(content_words(unit.text))
                unit.similarity = float(self.index.sentence_vectors[unit.row] @ scored.qvec)
                unit.score = (unit.similarity + 0.5 * chunk_weight
                              + (0.08 if cue and cue.search(unit.text) else 0.0)
                              + min(TOPIC_WEIGHT * len(words & topic), 2 * TOPIC_WEIGHT)
                              + (0.2 if wants_amount and _AMOUNT.search(unit.text) else 0.0))
                units.append(unit)
        return units

    def _points(self, scored: Scored, intent: Intent, exclude: set[int]) -> list[Point]:
        if intent in _CUE_REQUIRED:  # e.g. only statements of causes answer "what causes"
            units = [u for u in self._units(scored, depth=8)
                     if u.row not in exclude and _CUES[intent].search(u.text)]
            if intent is Intent.SEE_DOCTOR:  # and every medical-help statement is a candidate
                seen = {u.row for u in units}
                units += [u for u in self._units(self._doctor_scored(), depth=10)
                          if u.row not in seen and _CUES[intent].search(u.text)]
        else:
            units = [u for u in self._units(scored, depth=6) if u.row not in exclude]
            if intent in _NOT_A_CAUSE:
                units = [u for u in units if _CUES[intent].search(u.text)
                         or not _CUES[Intent.CAUSES].search(u.text)]
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
            mine = _distinctive(unit.text, asked)
            for point, lead_k in zip(points, lead_of, strict=True):
                lead = point.lead
                beyond = float(residual[k] @ residual[lead_k])
                common = len(mine & _distinctive(lead.text, asked))
                same_topic = bool(unit.topic and lead.topic) and (
                    unit.topic <= lead.topic or lead.topic <= unit.topic)
                if _negated(unit.text) != _negated(lead.text):
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
        units = [u for u in self._units(self._doctor_scored(), depth=10)
                 if _DOCTOR.search(u.text)]
        units.sort(key=lambda u: -u.score)
        doctor = self._doctor_scored()
        return self._merge(units[:4], set(), doctor.qvec)[:2]

    def _doctor_scored(self) -> Scored:
        """The library's passages about seeing a doctor: one fixed query, scored once."""
        if self._doctor is None:
            self._doctor = self.retriever.score(make_query(_DOCTOR_QUERY))
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
        lines += ["", "**Sources**"] + [_source_line(c) for c in citations] + ["", NOTICE]
        return Answer(question=question, text="\n".join(lines).strip(),
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
        extra = f" ({support} of {total} articles)" if support >= 3 else ""
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
            ))
        return out

    def _abstain(self, question: str, searched_for: str, safety: SafetyCheck, reason: str,
                 notes: tuple[str, ...]) -> Answer:
        lines = [EMERGENCY, ""] if safety.emergency else []
        lines += [reason, COVERAGE, "", NOTICE]
        return Answer(question=question, text="\n".join(lines), citations=(), abstained=True,
                      searched_for=searched_for, warnings=safety.warnings, notes=notes,
                      build_id=self.index.build_id)


def units_of(chunk: Chunk, pos: int, first_row: int) -> list[Unit]:
    """Split a chunk into statements; a lead-in ending in ':' keeps its short list items."""
    text, spans = chunk.text, list(chunk.sentences)
    units, i = [], 0
    while i < len(spans):
        s, e = spans[i]
        items = []
        if text[s:e].endswith(":"):
            j = i + 1
            while j < len(spans) and _is_item(text, spans[j]) and \
                    len(text[spans[j][0]:spans[j][1]].split()) <= 9:
                items.append(j)
                j += 1
        if items:
            parts = [_clean(text[s:e])] + [_clean(text[a:b]).rstrip(".") for a, b in
                                           (spans[k] for k in items)]
            shown = parts[0] + " " + "; ".join(parts[1:]) + "."
            units.append(Unit(pos, [spans[k] for k in [i, *items]], shown, first_row + i, 0.0))
            i = items[-1] + 1
            continue
        span_list = [(s, e)]
        while i + 1 < len(spans) and \
                _same_line(text, span_list[-1], spans[i + 1]) and \
                _LEANS_BACK.match(text[spans[i + 1][0]:spans[i + 1][1]]) and \
                not text[spans[i + 1][0]:spans[i + 1][1]].endswith(":"):
            i += 1
            span_list.append(spans[i])
        sentence = text[s:e]
        leans_back = i > 0 and _same_line(text, spans[i - 1], (s, e)) and \
            bool(_LEANS_BACK.match(sentence)) and len(span_list) == 1
        if _worth_citing(sentence) and not leans_back:  # a lone "This..." means nothing
            shown = " ".join([_clean(sentence)] + [text[a:b] for a, b in span_list[1:]])
            units.append(Unit(pos, span_list, shown, first_row + i - len(span_list) + 1, 0.0,
                              topic=_topic(chunk, sentence)))
        i += 1
    return units


def _same_line(text: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    return "\n" not in text[a[1] : b[0]]


_GENERIC_WORDS = set(content_words("cramp cramps muscle leg legs thigh inner upper information "
                                   "article provided common help can"))


def _topic(chunk: Chunk, sentence: str) -> frozenset[str]:
    """The name an article gives a statement: its 'Label:' or its numbered sub-heading."""
    label = _LABEL.match(_ITEM.sub("", sentence).strip())
    heading = chunk.section.split(" › ")[-1]
    numbered = re.match(r"^\d+[.)]\s*(.+)$", heading)
    name = label.group(1) if label else numbered.group(1) if numbered else ""
    return frozenset(set(content_words(name)) - _GENERIC_WORDS - _FRAME_WORDS)


_FRAME_WORDS = set(content_words("cause causes symptoms treatment prevention remedies solutions "
                                 "factors measures tips what why how"))


_NEGATION = re.compile(r"\b(not|no|never|none|neither|nor|cannot|without)\b|n[’']t\b", re.I)


def _negated(text: str) -> bool:
    return bool(_NEGATION.search(text))


def _distinctive(text: str, asked: set[str]) -> set[str]:
    return set(content_words(text)) - asked - _GENERIC_WORDS


def _is_item(text: str, span: tuple[int, int]) -> bool:
    line_start = text.rfind("\n", 0, span[0]) + 1
    return bool(_ITEM.match(text[line_start : span[1]]))


def _worth_citing(sentence: str) -> bool:
    """Questions, signposts ("in this article we will...") and lead-ins say nothing."""
    bare = _ITEM.sub("", sentence).strip()
    return (len(bare.split()) >= 4 and not bare.endswith(("?", ":"))
            and not _SIGNPOST.search(bare))


def _clean(sentence: str) -> str:
    """Trim list markers and leading connectives; bold a short 'Label:' the article gives."""
    bare = _LEADING_LINK.sub("", _ITEM.sub("", sentence).strip())
    bare = bare[:1].upper() + bare[1:]
    label = _LABEL.match(bare)
    if label and len(label.group(1).split()) <= 5:
        bare = f"**{label.group(1)}:** {bare[label.end():]}"
    return bare


def _articles(point: Point, index: LoadedIndex) -> set[str]:
    return {index.chunks[u.chunk_pos].article_id for u in point.units}


def _source_line(c: Citation) -> str:
    where = " — ".join(x for x in (c.publisher, c.section) if x)
    return f"[{c.n}] {c.title}" + (f" ({where})" if where else "")


def content_overlap(text: str, passage: str) -> float:
    """Share of ``text``'s content words found in ``passage`` (1.0 when all are)."""
    words = set(content_words(text))
    return len(words & set(content_words(passage))) / len(words) if words else 1.0
