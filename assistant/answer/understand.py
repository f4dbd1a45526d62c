"""Understanding the question: (question, history) -> one typed :class:`Query`.

Every decision about what a question asks is made here, once, and retrieval and
composition only read the result:

- the question made standalone from the chat (a follow-up names what it follows);
- misspelt words corrected to the library's words, and the library's own term bridges
  ("PAD" <-> "peripheral artery disease") added to what is searched;
- its kind (causes, symptoms, treatment, prevention, seeing a doctor, definition), from
  the question's wording, which sets the answer's shape;
- yes/no, either/or and two-part questions, and questions that want an amount;
- its subject: the words that say what it is about, weighed by their rarity in the library;
- what the person says about themselves ("I'm 30 weeks pregnant"), to be matched or named;
- specific words the library never uses ("pickle juice", "shin splints"), to be named;
- a question in another language;
- warning signs, emergencies and questions never answered (doses, personal medication).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from ..index.lexicon import Lexicon, specificity
from ..settings import Settings
from ..textutil import content_words, is_stopword, normalize, stem
from . import policy
from .context import Context, context_of
from .language import foreign
from .unknown import unknown_of

Embed = policy.Embed


class Kind(StrEnum):
    SEE_DOCTOR = "see_doctor"
    CAUSES = "causes"
    PREVENTION = "prevention"
    TREATMENT = "treatment"
    SYMPTOMS = "symptoms"
    DEFINITION = "definition"
    OTHER = "other"


@dataclass(frozen=True)
class Query:
    """Everything later stages need to know about one question."""

    asked: str  # the question as asked (cleaned and cut to the limit)
    standalone: str  # readable and standalone: a follow-up says what it follows
    search: str  # what is embedded: standalone, typos corrected, term bridges added
    keywords: str  # what keyword search scores: search plus the bridged terms
    kind: Kind = Kind.OTHER
    yes_no: bool = False
    wants_amount: bool = False
    parts: tuple[str, ...] = ()  # the halves of an either/or or two-part question
    subject: tuple[str, ...] = ()  # stems of what it is about, rarest in the library first
    context: tuple[Context, ...] = ()  # what the person says about themselves
    unknown: tuple[str, ...] = ()  # specific things it names that the library never does
    foreign: bool = False  # not in English
    warnings: tuple[policy.WarningSign, ...] = ()
    emergency: bool = False
    refusal: str | None = None
    medicine: tuple[str, ...] = ()  # "can I take X": the stems of X the articles use
    corrected: tuple[tuple[str, str], ...] = ()  # (typed, library word)
    notes: tuple[str, ...] = field(default=())

    @property
    def model_chars(self) -> int:
        """Characters the embedding model reads for it: what answering it costs grows with
        this (search and its parts are embedded together, padded to the longest)."""
        return (1 + len(self.parts)) * max(map(len, (self.search, *self.parts)))

    @property
    def strong_warning(self) -> bool:
        """Signs that make the articles' medical-help guidance the whole answer."""
        return self.emergency or any(w.strong for w in self.warnings)


def understand(question: str, history: Sequence[tuple[str, str]], lexicon: Lexicon,
               settings: Settings, notes: tuple[str, ...] = (), embed: Embed | None = None
               ) -> Query:
    """The :class:`Query` for ``question`` asked after ``history`` (question, answer) pairs.

    ``embed`` (the embedding model) tells a medicine from an activity in "can I take X";
    without it every "take X" the library does not name is refused."""
    previous = next((q for q, _ in reversed(history) if q and q.strip()), None)
    follows = previous is not None and is_follow_up(question, lexicon, settings.everyday_words)
    fixed, corrected = _correct(question, lexicon) if settings.correct_spelling \
        else (question, ())
    standalone = f"{fixed} (following on from: {previous})" if follows else fixed
    search = f"{fixed} {_topic_of(previous, question, lexicon)}" if follows and previous \
        else fixed
    bridges = lexicon.bridged(set(content_words(search))) if settings.term_bridges else []
    extra = " ".join(b.text for b in bridges)
    kind = detect_kind(question) if not follows else _follow_kind(question, previous or "")
    signs = policy.warning_signs(question)
    if any(s.strong for s in signs):
        kind = Kind.SEE_DOCTOR
    context = context_of(question)
    skip = {w for c in context for w in normalize(c.typed).split()}
    refusal, medicine = _refusal(question, lexicon, settings, embed)
    return Query(
        asked=question, standalone=standalone, search=f"{search} {extra}".strip(),
        keywords=f"{search} {extra}".strip(), kind=kind, yes_no=bool(_YES_NO.match(question)),
        wants_amount=bool(_AMOUNT_ASKED.search(question)),
        parts=_with_topic(split_parts(fixed), fixed, lexicon) if settings.question_parts else (),
        subject=subject_of(search, lexicon),
        context=context, warnings=signs, foreign=foreign(question, lexicon),
        unknown=unknown_of(question, lexicon, settings.unknown_everyday_words, skip),
        emergency=policy.emergency(question),
        refusal=refusal, medicine=medicine, corrected=corrected, notes=notes,
    )


def _refusal(question: str, lexicon: Lexicon, settings: Settings,
             embed: Embed | None) -> tuple[str | None, tuple[str, ...]]:
    """The refusal, if any, and for "can I take X" the words of X the answer must speak of.

    Doses and medicines are never advised on; "can I take X" about a medicine is answered
    only with what the articles themselves say of X (a word of it, specific in English, that
    they use). "Can I take a hot bath?" is not about a medicine at all."""
    fixed = policy.refusal(question, embed)
    what = policy.taken(question)
    if fixed or what is None:
        return fixed, ()
    if embed is not None and not policy.is_medicine(what, embed):
        return None, ()
    everyday = settings.everyday_words
    named = tuple(w for w in subject_of(what, lexicon)
                  if lexicon.knows(w) and specificity(w, everyday) > 0)
    return (None, named) if named else (policy.PERSONAL, ())


# -- kind -------------------------------------------------------------------------------

_KIND_RULES: list[tuple[Kind, re.Pattern[str]]] = [(k, re.compile(rx, re.I)) for k, rx in [
    (Kind.SEE_DOCTOR, r"\b(see|visit|call|consult|go to|talk to|ring|phone)\b[\w\s]{0,20}\b"
     r"(doctor|gp|physician|healthcare|professional|someone|nurse)\b|\bwhen (should|do|must) "
     r"i (seek|get|need)\b|\bmedical (help|attention|advice|care)\b|\bchecked( out)?\b|"
     r"\blooked at\b|\bsign of\b|\bserious\b|\bworr(y|ied)\b|\bemergency\b|\bdangerous\b|"
     r"\bwho (do|should) i (call|ring|see)\b|\bget help\b"),
    (Kind.CAUSES, r"\b(cause[sd]?|causing|reasons?|triggers?|lead(s)? to|responsible|"
     r"more likely|risk factors?|behind)\b"),
    (Kind.PREVENTION, r"\b(prevent\w*|avoid\w*|stop (getting|having)|reduce (the )?(risk|"
     r"chances?)|keep \w+ from|less prone)\b"),
    (Kind.TREATMENT, r"\b(treat\w*|reliev\w*|relief|stop (a|one|it|the|them)\b|get rid|ease|"
     r"what (should|can) i do|remed\w+|help(s)? (with|when)|does \w+ help|deal with)\b"),
    (Kind.SYMPTOMS, r"\b(symptoms?|feel(s)? like|how long|which (\w+ )?muscles|what muscles|"
     r"come along|accompan\w+)\b"),
    (Kind.DEFINITION, r"^\s*(what (is|are|does)|define|meaning of|what's)\b"),
    (Kind.CAUSES, r"\b(why|how come|how does .* lead)\b"),
]]
# Seeing a doctor wins whatever else is asked; among causes, prevention, treatment and
# symptoms the phrase said first is the question's main verb; "what is" and "why" come last.
_OVERRIDE = {Kind.SEE_DOCTOR}
_FALLBACK = {Kind.DEFINITION}
_YES_NO = re.compile(r"^\s*(does|do|is|are|can|could|will|would|should|did|has|have|was|"
                     r"were|am|isn'?t|aren'?t|doesn'?t|don'?t|may|might)\b", re.I)
_AMOUNT_ASKED = re.compile(r"\bhow (much|long|many|often|soon)\b|\bat what (point|age|"
                           r"temperature)\b|\bwhat (temperature|age)\b", re.I)


def detect_kind(question: str) -> Kind:
    for kind, pattern in _KIND_RULES:
        if kind in _OVERRIDE and pattern.search(question):
            return kind
    found = [(m.start(), n) for n, (kind, pattern) in enumerate(_KIND_RULES)
             if kind not in _OVERRIDE | _FALLBACK and n < len(_KIND_RULES) - 1
             and (m := pattern.search(question))]
    if found:
        return _KIND_RULES[min(found)[1]][0]
    for kind, pattern in _KIND_RULES:
        if pattern.search(question):
            return kind
    return Kind.OTHER


def kind_words(question: str) -> set[str]:
    """The words of ``question`` that carry its kind (to leave them out of its topic)."""
    found: set[str] = set()
    for _, pattern in _KIND_RULES:
        for match in pattern.finditer(question):
            found.update(normalize(match.group(0)).split())
    return found


def _follow_kind(question: str, previous: str) -> Kind:
    """A follow-up keeps the earlier question's kind unless it states its own."""
    own = detect_kind(question)
    return own if own is not Kind.OTHER else detect_kind(previous)


# -- follow-ups -------------------------------------------------------------------------

# Openings that continue the chat whatever follows, and openings that ask on about something
# named before ("which one...", "is it...") unless the question names its own topic.
_CONTINUES = re.compile(r"^\s*(and|but|also|so|then|what about|how about|what if|same|"
                        r"ok(ay)?|hang on|wait)\b", re.I)
_ASKS_ON = re.compile(r"^\s*(which|wich|is it|are they|does it|do they|can it|can they|will "
                      r"it|how long|how often|how many|when can|what will)\b", re.I)
_POINTS_BACK = re.compile(r"\b(it|its|they|them|their|those|these|this|that|one|ones|there|"
                          r"then|such)\b", re.I)


def is_follow_up(question: str, lexicon: Lexicon, everyday: int) -> bool:
    """Leans on the chat: opens as a continuation ("and...", "what about..."), or cannot
    stand alone: it points back or asks on ("is it...", "which one...") without naming a
    topic of its own, a word of the library's topic ("cramp", "calf") or a specific word
    the library knows ("PAD", "magnesium")."""
    if _CONTINUES.search(question):
        return True
    if names_topic(question, lexicon, everyday):
        return False
    return bool(_POINTS_BACK.search(question) or _ASKS_ON.search(question)) or \
        len(content_words(question)) <= 2


def names_topic(question: str, lexicon: Lexicon, everyday: int) -> bool:
    return any(lexicon.knows(w) and (lexicon.is_common(w) or specificity(w, everyday) > 0)
               for w in content_words(question))


def _topic_of(previous: str | None, question: str, lexicon: Lexicon) -> str:
    """The earlier question's words, less its kind words when the new one asks another kind
    and less its places when the new one names a place of its own."""
    if not previous:
        return ""
    drop = set(kind_words(previous)) if detect_kind(question) not in (
        Kind.OTHER, detect_kind(previous)) else set()
    fixed, _ = _correct(previous, lexicon)
    return " ".join(w for w in normalize(fixed).split() if w not in drop and not is_stopword(w))


# -- words: typos, subject, context -----------------------------------------------------

def _correct(text: str, lexicon: Lexicon) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``text`` with misspelt words replaced by the library's words."""
    fixes: list[tuple[str, str]] = []

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        right = lexicon.correct(word.lower())
        if right is None:
            return word
        fixes.append((word, right))
        return right

    return re.sub(r"[A-Za-z]+", fix, text), tuple(fixes)


def subject_of(text: str, lexicon: Lexicon) -> tuple[str, ...]:
    """Stems that say what ``text`` is about: not its kind words, not the words nearly every
    passage of this library uses ("cramp" in a cramp library); rarest first."""
    kind = set(content_words(" ".join(kind_words(text))))
    stems = [s for s in dict.fromkeys(content_words(text)) if s not in kind
             and not lexicon.is_common(s) and not s.isdigit()]
    return tuple(sorted(stems, key=lambda s: -lexicon.idf(s)))


# -- parts ------------------------------------------------------------------------------

def _with_topic(parts: tuple[str, ...], question: str, lexicon: Lexicon) -> tuple[str, ...]:
    """Each part with the question's topic words it lacks ("...can they hit at night too"
    is about "leg cramps"): words nearly every passage of the library uses."""
    topic = [w for w in normalize(question).split() if not is_stopword(w)
             and lexicon.is_common(stem(w))]
    out = []
    for part in parts:
        have = set(normalize(part).split())
        missing = [w for w in dict.fromkeys(topic) if w not in have]
        out.append(f"{part} ({' '.join(missing)})" if missing else part)
    return tuple(out)


_TWO_QUESTIONS = re.compile(r"(?<=[.?!])\s+(?=[A-Za-z])|,?\s+and (?=(how|what|why|when|where|"
                            r"which|should|can|do|does|is|are)\b)", re.I)


def split_parts(question: str) -> tuple[str, ...]:
    """The sentences of a question that has several (a situation, then what is asked), the
    halves of "X or Y?" and of two questions in one; () when there is one question."""
    pieces = [p.strip(" ,.?!") for p in _TWO_QUESTIONS.split(question) if p]
    pieces = [p for p in pieces if p and len(content_words(p)) >= 2]
    if len(pieces) >= 2:  # what is asked first, then the situation it is asked in
        asks = [p for p in pieces if f"{p}?" in question]
        return tuple([*asks, *(p for p in pieces if p not in asks)][:3])
    halves = re.split(r",?\s+or\s+(?!so\b|not\b|more\b|less\b|two\b|three\b)", question,
                      maxsplit=1, flags=re.I)
    if len(halves) == 2 and len(content_words(halves[1])) >= 1 and \
            len(content_words(halves[0])) >= 2:
        return (halves[0].strip(" ,?"), halves[1].strip(" ,?"))
    return ()
