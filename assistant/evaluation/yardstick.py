"""The evaluation's own word matcher, frozen so figures stay comparable across rounds.

Key-point coverage and the grounding check compare words after this light stemming and
this stop-word list. They are the yardstick, not the product: the product's tokenizer
(``textutil.content_words``) may change without moving the measurements. The code is
kept as it was when the first figures were published.
"""

from __future__ import annotations

from ..textutil import normalize

STOPWORDS = frozenset(
    """a about after again all also am an and any are as at be because been before being
    but by can could did do does doing don down during each even few for from further get
    gets getting had has have having he her here hers him his how i if in into is it its
    just let me more most my no nor not now of off on once one only or other our out over
    own really same she should so some such than that the their them then there these they
    this those through to too under until up very was we were what when where which while
    who whom why will with would you your yours s t ve ll re d m""".split()
)


def stem(word: str) -> str:
    """A light suffix stripper: enough to match cramp/cramps/cramping, stretch/stretching."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("edly", ""), ("ed", ""), ("es", ""),
                         ("s", ""), ("ly", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                return word
            if suffix == "es" and not word.endswith(("ches", "shes", "sses", "xes")):
                word = word[:-1]  # "electrolytes" -> "electrolyte", then the e-rule below
                break
            word = word[: len(word) - len(suffix)] + keep
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]  # "stopp" (from stopping) -> "stop"
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]  # "muscle"/"muscles" and "hydrate"/"hydrated" meet
    return word


def content_words(text: str) -> list[str]:
    """Stemmed words of a text, without stop words: the unit of keyword matching."""
    return [stem(w) for w in normalize(text).split() if w not in STOPWORDS]
