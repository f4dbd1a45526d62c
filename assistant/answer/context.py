"""What a person says about themselves or whom they ask for ("my 8 year old son", "I'm 30
weeks pregnant", "I have type 2 diabetes"), and whether an answer speaks to it.

Found with general English patterns; shown back in plain English ("your son", "being
pregnant"). An answer speaks to a context when one of its lines names it (the library's own
word families count: "pregnant" is spoken to by "pregnancy") or is close to it in meaning
(the embedding model: "your son" is spoken to by a line about children).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..index.embedding import Embedder
from ..index.lexicon import specificity
from ..settings import Settings
from ..textutil import stem, words

if TYPE_CHECKING:
    from ..index.store import LoadedIndex
    from .choose import Candidate


@dataclass(frozen=True)
class Context:
    """One thing the person says about themselves."""

    typed: str  # as the question says it: "8 year old son"
    shown: str  # as the answer names it: "your son"


# Whom a person asks for. A relation is a group of people the articles might speak of (or
# not) when it tells an age: a child, a grandparent; "my husband" or "my friend" says
# nothing about the person's age or health, unless an age comes with it ("my 80 year old
# husband").
_AGE = r"(\d+[- ]?(year|yr|month)s?[- ]?old |little |teenage |elderly )"
_AGED = (r"son|daughter|child|children|kid|kids|baby|toddler|teenager|teen|grandmother|"
         r"grandfather|grandma|grandpa|grandson|granddaughter")
_OTHERS = (r"wife|husband|partner|mum|mom|mother|dad|father|friend|colleague|co-?worker|boss|"
           r"neighbou?r|patient|client")
_WHO = rf"({_AGE}?(?P<who>{_AGED})|{_AGE}(?P<who2>{_OTHERS}))"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [(re.compile(rx, re.I), shown) for rx, shown in (
    (rf"\bmy (?P<what>{_WHO})\b", "your {who}"),
    (r"\bi(?:'?m| am) (?P<what>(\d+ (weeks?|months?) )?pregnant)\b", "being pregnant"),
    (r"\bi(?:'?m| am) (?P<art>a |an )?(?P<what>(diabetic|vegan|vegetarian|runner|cyclist|"
     r"swimmer|athlete|smoker|nurse|teacher|builder|labourer|laborer|farmer|pensioner|"
     r"\w+ist))\b", "being {art} {what}"),
    (r"\bi(?: have|'ve got|'ve been diagnosed with| was diagnosed with| suffer from| live "
     r"with)(?: had)? (?P<what>(?!to\b|been\b|a lot\b|no\b|never\b)[\w'-]+( [\w'-]+){0,2}?)"
     r"(?=[.,;?!]| and\b| but\b| which\b| that\b| so\b|$)", "{what}"),
    (r"\bi(?:'?m| am)? (?:taking|on) (?P<what>[\w-]+( [\w-]+)?)(?= for\b|[.,;?!]| and\b|$)",
     "taking {what}"),
)]


def context_of(question: str) -> tuple[Context, ...]:
    """The phrases in which the person describes themselves or whom they ask for."""
    out: dict[str, Context] = {}
    for pattern, shown in _PATTERNS:
        for match in pattern.finditer(question):
            typed = match.group("what").strip()
            groups = {k: (v or "").strip() for k, v in match.groupdict().items()}
            groups["who"] = groups.get("who") or groups.get("who2", "")
            name = " ".join(shown.format(**groups).split())
            out.setdefault(typed.lower(), Context(typed, name))
    return tuple(out.values())


def names_of(context: Context, index: LoadedIndex) -> set[str]:
    """The stems that name a context in the library's words ("pregnant": pregnancy)."""
    return {stem(v) for w in words(context.typed) if w.isalpha() and specificity(stem(w)) >= 0.5
            for v in [w, *index.lexicon.variants(w)]}


class ContextCheck:
    """Which contexts of a question no line of an answer speaks to."""

    def __init__(self, embedder: Embedder, settings: Settings) -> None:
        self.embedder = embedder
        self.settings = settings

    def missing(self, contexts: Sequence[Context], lines: Sequence[Candidate],
                index: LoadedIndex) -> list[str]:
        if not contexts or not lines:
            return []
        said = set().union(*(c.unit.words for c in lines))
        rows = [r for c in lines for r in c.unit.rows]
        vectors = np.asarray(index.sentence_vectors[rows], dtype=np.float32)
        out = []
        for context in contexts:
            if self._named(context, said, index) or self._close(context, vectors):
                continue
            out.append(context.shown)
        return out

    def _named(self, context: Context, said: set[str], index: LoadedIndex) -> bool:
        return bool(names_of(context, index) & said)

    def _close(self, context: Context, vectors: np.ndarray) -> bool:
        vec = self.embedder.embed([context.shown])[0]  # a question has one or two
        return bool(len(vectors)) and float((vectors @ vec).max()) >= \
            self.settings.context_similarity
