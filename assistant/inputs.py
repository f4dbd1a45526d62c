"""Text from outside (questions, chat history) made safe to work on: valid, bounded, one shape.

Everything a caller sends goes through here before it is embedded or searched, whether it
came from the chat, the ``/ask`` API, the command line or Python. Bad text is cleaned where
that keeps the meaning (lone surrogates, control characters) and refused with a message that
says what was expected where it does not (a history that is not a list of pairs).
"""

from __future__ import annotations

import re
import unicodedata

from .errors import QuestionError

# Lone surrogates (not text at all: the tokenizer cannot encode them), C0/C1 control
# characters other than tab and newline, and Unicode non-characters.
_INVALID = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
                      "\ufffe\uffff]")
EMPTY = "Please type a question about leg or thigh cramps."
HISTORY_SHAPE = ('history must be a list of [question, answer] pairs of text, oldest first, '
                 'for example [["What causes leg cramps?", "The articles name these causes: …"]] '
                 '(or [] for a first question)')


def clean_text(text: str) -> str:
    """``text`` in NFC with line ends unified and unreadable characters removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _INVALID.sub("", text))


def clean_question(text: str, limit: int) -> tuple[str, tuple[str, ...]]:
    """The question cleaned, on one line and at most ``limit`` characters, with notes for
    the reader about what was changed. An empty question is refused."""
    if not isinstance(text, str):
        raise QuestionError(f"The question must be text, not {_kind(text)}: for example "
                            '"What causes leg cramps?".')
    notes: list[str] = []
    cleaned = clean_text(text)
    if _INVALID.search(text):
        notes.append("Characters that are not readable text were removed from your question.")
    question = " ".join(cleaned.split())
    if not question:
        raise QuestionError(EMPTY)
    if len(question) > limit:
        question = question[:limit]
        notes.append(f"Your question was cut to its first {limit} characters.")
    return question, tuple(notes)


def clean_history(history: object, max_turns: int, limit: int) -> list[tuple[str, str]]:
    """The last ``max_turns`` (question, answer) turns, each text cleaned and cut to ``limit``.

    ``None`` is an empty history. Anything that is not a list of [question, answer] pairs
    of text is refused with :class:`QuestionError` saying which item is wrong and why.
    """
    if history is None:
        return []
    if not isinstance(history, list | tuple):
        raise QuestionError(f"{HISTORY_SHAPE}; got {_kind(history)}")
    for i, turn in enumerate(history, start=1):
        if not (isinstance(turn, list | tuple) and len(turn) == 2
                and all(isinstance(t, str) for t in turn)):
            raise QuestionError(f"{HISTORY_SHAPE}; item {i} is {_kind(turn)}")
    kept = history[-max_turns:] if max_turns else []
    return [(_cut(q, limit), _cut(a, limit)) for q, a in kept]


def _cut(text: str, limit: int) -> str:
    return " ".join(clean_text(text[: 4 * limit]).split())[:limit]


def _kind(value: object) -> str:
    """How a value is described to whoever sent it (they think in JSON, not Python)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        shown = ", ".join(_kind(v) for v in value[:3]) + (", …" if len(value) > 3 else "")
        return f"a list of {len(value)} ({shown})"
    return type(value).__name__
