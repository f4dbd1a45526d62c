"""Statements: the citable units of an answer, cut from passages.

A statement is one sentence, a sentence with the one that leans on it ("This is
especially true..."), or a lead-in with its short list ("...can be described as: A sharp
pain; A dull ache."). The patterns here are general English discourse: signposts that say
nothing ("in this article we will..."), sentences that lean back ("This...", "They..."),
list markers and "Label:" names, and amounts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..textutil import content_words
from ..types import Chunk

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
# "How much/long/many/often" wants the statement that gives an amount.
AMOUNT = re.compile(r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|"
                    r"few|several|a couple of)\s+(\w+\s+)?(glass(es)?|cups?|lit(re|er)s?|"
                    r"seconds?|minutes?|hours?|days?|weeks?|months?|years?|servings?|times?|"
                    r"degrees?|°[cf]?)\b|\b\d+\s?(°|%|ml|l)\b", re.I)


@dataclass
class Unit:
    """A citable statement: one sentence, or a lead-in with its short list items."""

    chunk_pos: int  # index into the index's chunk list
    spans: list[tuple[int, int]]  # offsets inside the chunk text
    text: str  # as shown: markers and leading connectives trimmed
    row: int  # sentence-vector row that represents it (its best-matching sentence, once scored)
    similarity: float
    score: float = 0.0
    topic: frozenset[str] = frozenset()  # what the article names it: label or sub-heading
    rows: tuple[int, ...] = ()  # sentence-vector rows of all its sentences

    @property
    def key(self) -> tuple[int, int]:
        """Which statement this is, whatever question scored it: passage and first offset."""
        return self.chunk_pos, self.spans[0][0]


def units_of(chunk: Chunk, pos: int, first_row: int) -> list[Unit]:
    """Split a chunk into statements.

    A lead-in ending in ':' keeps its short list items as one statement; a longer item is
    its own statement, shown after its lead-in ("See a GP if: you're having frequent leg
    cramps"), since an item read alone can say the opposite of what the article means.
    An item whose lead-in is in another passage is kept only if it is a sentence itself.
    """
    text, spans = chunk.text, list(chunk.sentences)
    units: list[Unit] = []
    lead: int | None = None  # the lead-in of the list being read
    i = 0
    while i < len(spans):
        sentence = text[spans[i][0]:spans[i][1]]
        if sentence.endswith(":"):
            items = _short_items(text, spans, i + 1)
            if items:
                units.append(_list_unit(text, spans, pos, first_row, i, items))
                i = items[-1] + 1
            else:
                i += 1
            lead = i - 1 if not items else None
            continue
        if _is_item(text, spans[i]):
            unit = _item_unit(chunk, spans, pos, first_row, lead, i)
            if unit:
                units.append(unit)
            i += 1
            continue
        lead = None
        i = _sentence_unit(chunk, spans, pos, first_row, i, units)
    return units


def _short_items(text: str, spans: list[tuple[int, int]], j: int) -> list[int]:
    items = []
    while j < len(spans) and _is_item(text, spans[j]) and \
            len(text[spans[j][0]:spans[j][1]].split()) <= 9:
        items.append(j)
        j += 1
    return items


def _list_unit(text: str, spans: list[tuple[int, int]], pos: int, first_row: int, i: int,
               items: list[int]) -> Unit:
    s, e = spans[i]
    parts = [_clean(text[s:e])] + [_clean(text[a:b]).rstrip(".") for a, b in
                                   (spans[k] for k in items)]
    shown = parts[0] + " " + "; ".join(parts[1:]) + "."
    return Unit(pos, [spans[k] for k in [i, *items]], shown, first_row + i, 0.0,
                rows=tuple(first_row + k for k in [i, *items]))


def _item_unit(chunk: Chunk, spans: list[tuple[int, int]], pos: int, first_row: int,
               lead: int | None, i: int) -> Unit | None:
    text = chunk.text
    item = text[spans[i][0]:spans[i][1]]
    if lead is not None:
        head = _clean(text[spans[lead][0]:spans[lead][1]])
        body = _clean(item)
        shown = f"{head} {body[:1].lower() + body[1:]}"
        return Unit(pos, [spans[lead], spans[i]], shown, first_row + i, 0.0,
                    topic=_topic(chunk, item), rows=(first_row + lead, first_row + i))
    bare = _ITEM.sub("", item).strip()
    if len(bare.split()) < 3 or not bare[:1].isupper() or not bare.endswith((".", "!")) \
            or _SIGNPOST.search(bare):
        return None  # a fragment of a list whose lead-in is elsewhere
    return Unit(pos, [spans[i]], _clean(item), first_row + i, 0.0, topic=_topic(chunk, item),
                rows=(first_row + i,))


def _sentence_unit(chunk: Chunk, spans: list[tuple[int, int]], pos: int, first_row: int,
                   i: int, units: list[Unit]) -> int:
    """A sentence, with the sentences that lean on it; returns the next index."""
    text = chunk.text
    s, e = spans[i]
    span_list = [(s, e)]
    while i + 1 < len(spans) and _leans_on(text, span_list[-1], spans[i + 1]):
        i += 1
        span_list.append(spans[i])
    sentence = text[s:e]
    leans_back = i > 0 and _same_line(text, spans[i - 1], (s, e)) and \
        bool(_LEANS_BACK.match(sentence)) and len(span_list) == 1
    follow_ons = [_REFERENCE.sub("", text[a:b]) for a, b in span_list[1:]]
    if _worth_citing(sentence) and not leans_back:  # a lone "This..." says nothing
        first = first_row + i - len(span_list) + 1
        units.append(Unit(pos, span_list, " ".join([_clean(sentence), *follow_ons]), first,
                          0.0, topic=_topic(chunk, sentence),
                          rows=tuple(range(first, first + len(span_list)))))
    return i + 1


def _leans_on(text: str, before: tuple[int, int], after: tuple[int, int]) -> bool:
    """``after`` continues ``before``: same line, leans back, and says something itself."""
    sentence = text[after[0]:after[1]]
    return _same_line(text, before, after) and bool(_LEANS_BACK.match(sentence)) and \
        not sentence.endswith(":") and not _SIGNPOST.search(sentence)


def _same_line(text: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    return "\n" not in text[a[1] : b[0]]


def _topic(chunk: Chunk, sentence: str) -> frozenset[str]:
    """The name an article gives a statement: its 'Label:' or its numbered sub-heading."""
    label = _LABEL.match(_ITEM.sub("", sentence).strip())
    heading = chunk.section.split(" › ")[-1]
    numbered = re.match(r"^\d+[.)]\s*(.+)$", heading)
    name = label.group(1) if label else numbered.group(1) if numbered else ""
    return frozenset(content_words(name))


_NEGATION = re.compile(r"\b(not|no|never|none|neither|nor|cannot|without)\b|n[’']t\b", re.I)


def negated(text: str) -> bool:
    return bool(_NEGATION.search(text))


def distinctive(text: str, asked: set[str], common: Callable[[str], bool]) -> set[str]:
    """Words of a statement beyond the question's and the library's everyday ones."""
    return {w for w in content_words(text) if w not in asked and not common(w)}


def _is_item(text: str, span: tuple[int, int]) -> bool:
    line_start = text.rfind("\n", 0, span[0]) + 1
    return bool(_ITEM.match(text[line_start : span[1]]))


def _worth_citing(sentence: str) -> bool:
    """Questions, signposts ("in this article we will...") and lead-ins say nothing."""
    bare = _ITEM.sub("", sentence).strip()
    return (len(bare.split()) >= 4 and not bare.endswith(("?", ":"))
            and not _SIGNPOST.search(bare))


# An article's own citation markers ("[3]", "[1, 2]", "[citation needed]"): an answer's
# [n] must only ever mean its own sources.
_REFERENCE = re.compile(r"\s*\[(\d+(\s*[,–-]\s*\d+)*|[a-z][a-z ]{2,30} needed)\]")


def _clean(sentence: str) -> str:
    """Trim list markers, leading connectives and reference markers; bold a short 'Label:'."""
    bare = _LEADING_LINK.sub("", _ITEM.sub("", _REFERENCE.sub("", sentence)).strip())
    bare = bare[:1].upper() + bare[1:]
    label = _LABEL.match(bare)
    if label and len(label.group(1).split()) <= 5:
        bare = f"**{label.group(1)}:** {bare[label.end():]}"
    return bare
