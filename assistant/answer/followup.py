"""Make a follow-up question standalone, using the chat's earlier turns."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..textutil import STOPWORDS, normalize
from .intent import Intent, detect_intent, intent_words

_FOLLOW_UP_START = re.compile(
    r"^\s*(and|but|also|so|then|what about|how about|and what|which|wich|what if|is it|are "
    r"they|does it|do they|can it|how long|how many|how often|same)\b", re.I)
_PRONOUN = re.compile(r"\b(it|its|they|them|those|these|this|that|one|ones|there)\b", re.I)
_LOCATION = {"inner", "upper", "outer", "lower", "front", "back", "calf", "calves", "thigh",
             "thighs", "foot", "feet", "leg", "legs", "hamstring", "hamstrings", "quad", "quads",
             "groin"}


def is_follow_up(question: str) -> bool:
    """Short, or leaning on something said before ("and at night?", "how do I stop one?")."""
    words = [w for w in normalize(question).split() if w not in STOPWORDS]
    return bool(_FOLLOW_UP_START.search(question)) or len(words) <= 2 or (
        bool(_PRONOUN.search(question)) and len(words) <= 5 and "cramp" not in question.lower())


def rewrite(question: str, history: Sequence[tuple[str, str]]) -> str:
    """The standalone search query for ``question``; unchanged when it needs no context."""
    previous = next((user for user, _ in reversed(history) if user and user.strip()), None)
    if previous is None or not is_follow_up(question):
        return question
    return f"{question.strip()} ({topic_of(previous, question)})"


def topic_of(previous: str, question: str) -> str:
    """The earlier question's subject, minus what the new question replaces.

    A new question with its own intent ("how do I stop one?") drops the old one's intent
    words ("causes"); one that names another place ("what about the upper thigh?") drops
    the old place words.
    """
    drop = set(STOPWORDS)
    new_intent = detect_intent(question)
    if new_intent not in (Intent.OTHER, detect_intent(previous)):
        drop |= intent_words(previous)
    asked = set(normalize(question).split())
    if asked & _LOCATION:
        drop |= _LOCATION - asked
    words = [w for w in normalize(previous).split() if w not in drop]
    return " ".join(words)
