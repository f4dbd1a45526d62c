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
# A sentence that leans on the one before it: "This helps...", "In most cases, they...". One
# that opens with a subordinate clause ("Whether it happens..., leg cramps...") names its
# subject later and leans on nothing.
_LEANS_BACK = re.compile(r"^((this|these|that|those|such|it|they|eventually|complete this|"
                         r"conditions like|the aforementioned)\b|(?!(whether|if|when|while|"
                         r"although|though|because|as|once|unless|until|before|after)\b)"
                         r"([\w’']+,? ){1,3}(it|they|this|these)\b(?! (is|are) (essential|"
                         r"important|crucial|vital)))", re.I)
# Inside a sentence, a determiner that points back at something said before ("a balanced
# diet that includes these nutrients", "such cramps", "this type of stimulation"); "such as"
# points forward.
_REFERS_BACK = re.compile(r"\b((these|those|such|the aforementioned|the above)\s+(?!as\b)"
                          r"[a-z]|this (type|kind|form|sort) of)", re.I)


def leans_back(sentence: str) -> bool:
    """The sentence cannot be read without the one before it."""
    bare = _ITEM.sub("", sentence).strip()
    return bool(_LEANS_BACK.match(bare) or _REFERS_BACK.search(bare))


# Lead-ins that only point at what follows.
_POINTER = re.compile(r"^(for (example|instance)|here (are|is)|such as|including|as follows|"
                      r"examples? (include|are))\b", re.I)
_LEADING_LINK = re.compile(r"^(additionally|also|however|therefore|furthermore|moreover|"
                           r"in addition|alternatively|for instance|for example),\s+", re.I)
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_LABEL = re.compile(r"^([A-Z][\w ,’'/()-]{1,40}):\s+(?=\S)")
# "How much/long/many/often" wants the statement that gives an amount.
AMOUNT = re.compile(r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|"
                    r"few|several|a couple of)\s+(\w+\s+)?(glass(es)?|cups?|lit(re|er)s?|"
                    r"seconds?|minutes?|hours?|days?|weeks?|months?|years?|servings?|times?|"
                    r"degrees?|°[cf]?)\b|\b\d+\s?(°|%|ml|l)\b", re.I)


@dataclass(frozen=True)
class Unit:
    """A citable statement of one passage: a sentence (with those that lean on it), or a
    lead-in with its list items. The same for every question; what a question makes of it
    is a :class:`~.choose.Candidate`."""

    chunk_pos: int  # index into the index's chunk list
    spans: tuple[tuple[int, int], ...]  # offsets inside the chunk text
    text: str  # as shown: markers and leading connectives trimmed
    rows: tuple[int, ...]  # sentence-vector rows of its sentences
    anchor: int  # offset in the chunk of the sentence it stands for
    topic: frozenset[str] = frozenset()  # what the article names it: label or sub-heading
    words: frozenset[str] = frozenset()  # its content stems

    @property
    def key(self) -> tuple[int, int]:
        """Which statement this is: passage and anchor offset."""
        return self.chunk_pos, self.anchor


@dataclass(frozen=True)
class _Cut:
    """One chunk being cut into statements."""

    chunk: Chunk
    pos: int
    first_row: int
    spans: list[tuple[int, int]]

    def sentence(self, i: int) -> str:
        return self.chunk.text[self.spans[i][0]:self.spans[i][1]]

    def is_item(self, i: int) -> bool:
        return _is_item(self.chunk.text, self.spans[i])

    def line(self, i: int) -> list[list[int]]:
        """The sentences on the line that starts at ``i`` (one list item), in groups: each
        sentence with those after it that lean on it ("..., this can cause cramps")."""
        groups = [[i]]
        k = i + 1
        while k < len(self.spans) and "\n" not in \
                self.chunk.text[self.spans[k - 1][1]:self.spans[k][0]]:
            if leans_back(self.sentence(k)) and not _SIGNPOST.search(self.sentence(k)):
                groups[-1].append(k)
            else:
                groups.append([k])
            k += 1
        return groups

    def text_of(self, idx: list[int]) -> str:
        return " ".join(_REFERENCE.sub("", self.sentence(k)) for k in idx)

    def plain(self, i: int) -> bool:
        """A sentence of running text: not a list item, not a lead-in."""
        return 0 <= i < len(self.spans) and not self.is_item(i) and \
            not self.sentence(i).endswith(":")

    def unit(self, idx: list[int], shown: str, anchor: int | None = None,
             topic: str | None = None) -> Unit:
        return Unit(self.pos, tuple(self.spans[k] for k in idx), shown,
                    tuple(self.first_row + k for k in idx),
                    self.spans[idx[0] if anchor is None else anchor][0],
                    topic=_topic(self.chunk, topic) if topic is not None else frozenset(),
                    words=frozenset(content_words(shown)))


def units_of(chunk: Chunk, pos: int, first_row: int) -> list[Unit]:
    """Split a chunk into statements, each of which can be read on its own.

    A sentence that leans on the one before it ("This helps...") is shown with it, or not
    at all when that sentence is not in the passage. A lead-in ending in ':' keeps its short
    list items as one statement; a longer item is its own statement, after its lead-in
    ("See a GP if: you're having frequent leg cramps"), since an item read alone can say the
    opposite of what the article means. A lead-in that says nothing itself ("These
    include:", "For example:") is replaced by the sentence it leans on, and a long item
    that is a sentence is shown alone, and the sentence it leans on, the list's topic
    sentence, is not a statement of its own. An item whose lead-in is in another passage is
    kept only if it is a sentence itself.
    """
    cut = _Cut(chunk, pos, first_row, list(chunk.sentences))
    units: list[Unit] = []
    i = 0
    while i < len(cut.spans):
        if cut.sentence(i).endswith(":"):
            i = _list_units(cut, i, units)
        elif cut.is_item(i):
            item = cut.line(i)
            units += _orphan_item(cut, item[0]) + _rest_of_line(cut, item[1:])
            i = item[-1][-1] + 1
        else:
            i = _sentence_unit(cut, i, units)
    return units


def _list_units(cut: _Cut, lead: int, units: list[Unit]) -> int:
    """The statements of the list introduced at ``lead``; returns the index after it."""
    items = _items(cut, lead + 1)
    empty = _says_nothing(cut.sentence(lead))
    before = [lead - 1] if empty and cut.plain(lead - 1) and \
        not leans_back(cut.sentence(lead - 1)) else []
    head = _clean(cut.sentence(lead))
    if empty:
        head = " ".join([*(_clean(cut.sentence(k)) for k in before), head]) if before else ""
    if before and units and units[-1].spans == (cut.spans[before[0]],):
        units.pop()  # the list's topic sentence ("Taking proactive steps can help..."):
        # what it promises is in the items, and it is read with them when they are short
    n = 0
    while n < len(items):
        if _short(cut, items[n]):
            run = [items[n][0]]
            while n + len(run) < len(items) and _short(cut, items[n + len(run)]):
                run.append(items[n + len(run)][0])
            if head:
                shown = "; ".join(_clean(cut.text_of(item)).rstrip(".") for item in run)
                idx = [*before, lead, *(k for item in run for k in item)]
                units.append(cut.unit(idx, f"{head} {shown}.", anchor=lead))
            n += len(run)
            continue
        units += _long_item(cut, [] if empty else [lead], head, items[n][0])
        units += _rest_of_line(cut, items[n][1:])
        n += 1
    return items[-1][-1][-1] + 1 if items else lead + 1


def _items(cut: _Cut, i: int) -> list[list[list[int]]]:
    """The list items from ``i`` on, each as the sentence groups on its line."""
    items: list[list[list[int]]] = []
    while i < len(cut.spans) and cut.is_item(i):
        items.append(cut.line(i))
        i = items[-1][-1][-1] + 1
    return items


def _rest_of_line(cut: _Cut, groups: list[list[int]]) -> list[Unit]:
    """The sentences after an item's first on its line, each a statement if it can be read
    alone ("Also, take a hot bath...")."""
    out = []
    for group in groups:
        sentence = cut.sentence(group[0])
        if _worth_citing(sentence) and not leans_back(sentence):
            out.append(cut.unit(group, _clean(cut.text_of(group).strip()), topic=sentence))
    return out


def _long_item(cut: _Cut, lead: list[int], head: str, item: list[int]) -> list[Unit]:
    body = _clean(cut.text_of(item))
    if not lead:  # an empty lead-in: the item alone, if it is a sentence
        return _orphan_item(cut, item)
    return [cut.unit([*lead, *item], f"{head} {body[:1].lower() + body[1:]}", anchor=item[0],
                     topic=cut.sentence(item[0]))]


def _orphan_item(cut: _Cut, item: list[int]) -> list[Unit]:
    """An item shown without its lead-in: only a complete sentence."""
    bare = _ITEM.sub("", cut.sentence(item[0])).strip()
    if len(bare.split()) < 3 or not bare[:1].isupper() or not bare.endswith((".", "!")) \
            or _SIGNPOST.search(bare) or leans_back(bare):
        return []
    return [cut.unit(item, _clean(cut.text_of(item)), topic=cut.sentence(item[0]))]


def _short(cut: _Cut, item: list[list[int]]) -> bool:
    """A fragment ("A sharp pain", "you're having frequent cramps"), read with its lead-in."""
    bare = _ITEM.sub("", cut.sentence(item[0][0])).strip()
    return len(item) == 1 and len(item[0]) == 1 and (
        len(bare.split()) < 4 or not bare[:1].isupper() or not bare.endswith((".", "!")))


def _says_nothing(lead_in: str) -> bool:
    """A lead-in that only points at what follows or back ("These include:", "For
    example:", "Here are some recommendations:")."""
    bare = _ITEM.sub("", lead_in).strip()
    return bool(_LEANS_BACK.match(bare) or _POINTER.match(bare)) and \
        len(content_words(bare)) <= 2


def _sentence_unit(cut: _Cut, i: int, units: list[Unit]) -> int:
    """A sentence, with the sentences that lean on it; returns the next index."""
    group = [i]
    while _leans_on(cut, group[-1] + 1):
        group.append(group[-1] + 1)
    sentence = cut.sentence(i)
    if _worth_citing(sentence) and not leans_back(sentence):
        shown = " ".join([_clean(sentence), *(_REFERENCE.sub("", cut.sentence(k))
                                              for k in group[1:])])
        units.append(cut.unit(group, shown, topic=sentence))
    return group[-1] + 1


def _leans_on(cut: _Cut, i: int) -> bool:
    """Sentence ``i`` continues the one before it: running text that leans back and says
    something itself."""
    if not cut.plain(i):
        return False
    sentence = cut.sentence(i)
    return leans_back(sentence) and not _SIGNPOST.search(sentence)


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


def distinctive(words: frozenset[str], asked: set[str], common: Callable[[str], bool]) -> set[str]:
    """Stems of a statement beyond the question's and the library's everyday ones."""
    return {w for w in words if w not in asked and not common(w)}


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
