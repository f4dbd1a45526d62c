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
    context: tuple[str, ...] = ()  # what the person says about themselves, as typed
    warnings: tuple[policy.WarningSign, ...] = ()
    emergency: bool = False
    refusal: str | None = None
    corrected: tuple[tuple[str, str], ...] = ()  # (typed, library word)
    notes: tuple[str, ...] = field(default=())

    @property
    def strong_warning(self) -> bool:
        """Signs that make the articles' medical-help guidance the whole answer."""
        return self.emergency or any(w.strong for w in self.warnings)


def understand(question: str, history: Sequence[tuple[str, str]], lexicon: Lexicon,
               settings: Settings, notes: tuple[str, ...] = ()) -> Query:
    """The :class:`Query` for ``question`` asked after ``history`` (question, answer) pairs."""
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
    return Query(
        asked=question, standalone=standalone, search=f"{search} {extra}".strip(),
        keywords=f"{search} {extra}".strip(), kind=kind, yes_no=bool(_YES_NO.match(question)),
        wants_amount=bool(_AMOUNT_ASKED.search(question)),
        parts=_with_topic(split_parts(fixed), fixed, lexicon) if settings.question_parts else (),
        subject=subject_of(search, lexicon),
        context=context_of(question), warnings=signs,
        emergency=policy.emergency(question), refusal=_refusal(question, lexicon, settings),
        corrected=corrected, notes=notes,
    )


def _refusal(question: str, lexicon: Lexicon, settings: Settings) -> str | None:
    """Doses and medicines are never advised on; "can I take X" is answered only when the
    articles themselves speak of X (a word of it, specific in English, that they use)."""
    fixed = policy.refusal(question)
    what = policy.taken(question)
    if fixed or what is None:
        return fixed
    everyday = settings.everyday_words
    named = [w for w in subject_of(what, lexicon)
             if lexicon.knows(w) and specificity(w, everyday) > 0]
    return None if named else policy.PERSONAL


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


def _kind_words(question: str) -> set[str]:
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

_CONTINUES = re.compile(
    r"^\s*(and|but|also|so|then|what about|how about|what if|same|ok(ay)?|hang on|wait|"
    r"which|wich|is it|are they|does it|do they|can it|can they|will it|how long|how often|"
    r"how many|when can|what will)\b", re.I)
_POINTS_BACK = re.compile(r"\b(it|its|they|them|their|those|these|this|that|one|ones|there|"
                          r"then|such)\b", re.I)


def is_follow_up(question: str, lexicon: Lexicon, everyday: int) -> bool:
    """Leans on the chat: opens like a continuation, or points back ("those", "one")
    without naming more than one specific subject of its own that the library knows."""
    subject = [w for w in subject_of(question, lexicon) if lexicon.knows(w)
               and specificity(w, everyday) > 0]
    return bool(_CONTINUES.search(question)) or len(content_words(question)) <= 2 or (
        bool(_POINTS_BACK.search(question)) and len(subject) <= 1)


def _topic_of(previous: str | None, question: str, lexicon: Lexicon) -> str:
    """The earlier question's words, less its kind words when the new one asks another kind
    and less its places when the new one names a place of its own."""
    if not previous:
        return ""
    drop = set(_kind_words(previous)) if detect_kind(question) not in (
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
    kind = set(content_words(" ".join(_kind_words(text))))
    stems = [s for s in dict.fromkeys(content_words(text)) if s not in kind
             and not lexicon.is_common(s) and not s.isdigit()]
    return tuple(sorted(stems, key=lambda s: -lexicon.idf(s)))


# What a person says about themselves or whom they ask for: "my 8-year-old son", "I'm 30
# weeks pregnant", "I have type 2 diabetes", "I'm on statins". General English patterns.
_WHO = (r"(\d+[- ]?(year|yr)s?[- ]?old |little |teenage |elderly )?(son|daughter|child|"
        r"children|kid|kids|baby|toddler|teenager|teen|wife|husband|partner|mum|mom|mother|"
        r"dad|father|grandmother|grandfather|grandma|grandpa|grandson|granddaughter|friend|"
        r"colleague|co-?worker|boss|neighbou?r|patient|client)")
_CONTEXT = [re.compile(rx, re.I) for rx in (
    rf"\bmy (?P<what>{_WHO})\b",
    r"\bi(?:'?m| am) (?P<what>(\d+ (weeks?|months?) )?pregnant)\b",
    r"\bi(?:'?m| am) (?:a |an )?(?P<what>(diabetic|vegan|vegetarian|runner|cyclist|swimmer|"
    r"athlete|smoker|nurse|teacher|builder|labourer|laborer|farmer|pensioner|\w+ist))\b",
    r"\bi(?: have|'ve got|'ve been diagnosed with| was diagnosed with| suffer from| live "
    r"with)(?: had)? (?P<what>(?!to\b|been\b|a lot\b|no\b|never\b)[\w'-]+( [\w'-]+){0,2}?)"
    r"(?=[.,;?!]| and\b| but\b| which\b| that\b| so\b|$)",
    r"\bi(?:'?m| am)? (?:taking|on) (?P<what>[\w-]+( [\w-]+)?)(?= for\b|[.,;?!]| and\b|$)",
)]


def context_of(question: str) -> tuple[str, ...]:
    """The phrases in which the person describes themselves or whom they ask for."""
    out = [m.group("what").strip() for rx in _CONTEXT for m in rx.finditer(question)]
    return tuple(dict.fromkeys(o for o in out if o))


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
