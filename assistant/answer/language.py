"""Is a question in English? The articles are, and so is everything that searches them.

A question is taken to be in another language when most of its words are neither English
(symspellpy's English frequency list) nor the library's own words or their misspellings,
and py3langid's language identifier agrees it is not English. Both must say so: a short
English question with typos ("crampd legs wat do") is never turned away.
"""

from __future__ import annotations

import re
from typing import Any

from ..index.lexicon import Lexicon, english_words

_LETTERS = re.compile(r"[^\W\d_]+")


def foreign(question: str, lexicon: Lexicon) -> bool:
    found = [w.lower() for w in _LETTERS.findall(question)]
    if len(found) < 2:
        return False
    english = english_words()
    known = sum(w in english or w in lexicon.words or lexicon.correct(w) is not None
                for w in found)
    if known * 2 >= len(found):
        return False
    language, _ = _classify(question)
    return str(language) != "en"


def load() -> None:
    """Load py3langid's model now (0.4 s, holding every other thread): a server does it at
    start, not on the first question that looks foreign."""
    _classify("Bonjour")


def _classify(text: str) -> Any:
    import py3langid  # its model loads on first use; only questions like this one need it

    return py3langid.classify(text)
