"""Specific things a question names that the library never mentions.

A question about pickle juice, shin splints or restless legs is not answered by general
lines about cramps: the answer says the articles don't mention it. Everything here is
learnt from the library's own words and English word frequencies.
"""

from __future__ import annotations

import re

from ..index.lexicon import Lexicon, specificity
from ..textutil import is_stopword, stem

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’]*")


def unknown_of(question: str, lexicon: Lexicon, everyday: int,
               skip: frozenset[str] | set[str] = frozenset()) -> tuple[str, ...]:
    """Specific things a question names that the library never mentions ("pickle juice",
    "shin splints"), as the question words them.

    A word counts when it is not an everyday English word, not the library's (nor a
    misspelling or family of one of its words), not a name (capitalised inside a
    sentence), and not part of what the person says about themselves (``skip``). A single
    word is shown with the next when the library uses that one rarely ("pickle juice")."""
    tokens = list(_TOKEN.finditer(question))
    flags = [_is_unknown(t, question, lexicon, everyday, skip) for t in tokens] + [False] * 2
    phrases: list[str] = []
    k = 0
    while k < len(tokens):
        if not flags[k]:
            k += 1
            continue
        first = last = k
        while flags[last + 1] or (flags[last + 2] and not _is_stop(tokens[last + 1])):
            last += 1 if flags[last + 1] else 2  # "restless legs syndrome": one word between
        if first == last and last + 1 < len(tokens) and _rare(tokens[last + 1].group(), lexicon):
            last += 1  # "pickle" -> "pickle juice": a single word names a thing with the next
        phrases.append(question[tokens[first].start():tokens[last].end()].lower())
        k = last + 1
    return tuple(dict.fromkeys(phrases))


def _is_unknown(token: re.Match[str], question: str, lexicon: Lexicon, everyday: int,
                skip: frozenset[str] | set[str]) -> bool:
    word = token.group().lower().replace("’", "'")
    if len(word) < 3 or is_stopword(word) or word in skip or "'" in word:
        return False
    before = question[:token.start()].rstrip()
    if token.group()[:1].isupper() and not token.group().isupper() and before and \
            before[-1] not in ".?!¿¡":
        return False  # a name: a place, a person, a brand

    def known(form: str) -> bool:
        s = stem(form)
        return specificity(s, everyday) == 0 or lexicon.knows(s)

    # The word, then its dictionary forms (lemminflect, only when needed): "quickest" is as
    # everyday as "quick", "calves" is "calf".
    if known(word) or lexicon.variants(word) or any(known(w) for w in _forms(word)):
        return False
    return not lexicon.near(word)  # a misspelling of a library or stop word is known


def _is_stop(token: re.Match[str]) -> bool:
    """A phrase never runs across a stop word: "ropinirole for restless legs" names two."""
    return is_stopword(token.group().lower())


def load() -> None:
    """Read lemminflect's tables now (0.4 s of pure Python, holding every other thread):
    a server does it at start, not on the first question that names a rare word."""
    _forms("calves")


def _forms(word: str) -> set[str]:
    """The word and its dictionary forms ("calves": calf, calve), from lemminflect."""
    from lemminflect import getAllLemmas

    return {word, *(w for forms in getAllLemmas(word).values() for w in forms)}


def _rare(token: str, lexicon: Lexicon) -> bool:
    """A word the library knows but uses in few passages (it names a thing: "juice")."""
    word = token.lower()
    s = stem(word)
    return not is_stopword(word) and lexicon.knows(s) and lexicon.rare(s)


