"""Input cleaning (assistant.inputs): what callers send is made valid and bounded, or refused
with a message that says what was expected. No model needed."""

from __future__ import annotations

import pytest

from assistant.errors import QuestionError
from assistant.inputs import clean_history, clean_question, clean_text

SHAPE = r"list of \[question, answer\] pairs"


def test_unreadable_characters_are_removed() -> None:
    assert clean_text("cramps\ud800 at\x00 night\x1b\r\nand\u0007 day\ufffe") == \
        "cramps at night\nand day"
    assert clean_text("cafe\u0301") == "café"  # one form of each letter (NFC)
    assert clean_text("tab\tand\nline") == "tab\tand\nline"


def test_questions_are_cleaned_cut_and_noted() -> None:
    assert clean_question("  What causes\n cramps?  ", 100) == ("What causes cramps?", ())
    text, notes = clean_question("Why \ud83d cramps?", 100)
    assert text == "Why cramps?" and "removed" in notes[0]
    text, notes = clean_question("word " * 500, 50)
    assert len(text) == 50 and notes == ("Your question was cut to its first 50 characters.",)
    for empty in ("", "   ", "\x00\ud800"):
        with pytest.raises(QuestionError, match="Please type a question"):
            clean_question(empty, 100)
    with pytest.raises(QuestionError, match="must be text, not a number"):
        clean_question(42, 100)  # type: ignore[arg-type]


@pytest.mark.parametrize(("history", "says"), [
    (5, "got a number"), ("What causes cramps?", "got text"), ({"q": "a"}, "got an object"),
    ([None], "item 1 is null"), ([{"role": "user", "content": "hi"}], "item 1 is an object"),
    ([["q", "a"], ["only one"]], r"item 2 is a list of 1 \(text\)"),
    ([["q", None]], r"item 1 is a list of 2 \(text, null\)"), ([[1, 2]], "item 1"),
])
def test_malformed_history_is_refused_with_the_expected_shape(history: object,
                                                              says: str) -> None:
    with pytest.raises(QuestionError, match=SHAPE) as refused:
        clean_history(history, 10, 100)
    assert refused.match(says)


def test_history_turns_are_cut_and_their_number_bounded() -> None:
    assert clean_history(None, 10, 100) == []
    huge = [("q" * 2_000_000, "a\ud800" * 1_000_000)]
    [(question, answer)] = clean_history(huge, 10, 100)
    assert question == "q" * 100 and answer == "a" * 100
    many = [(f"question {i}", f"answer {i}") for i in range(50)]
    kept = clean_history(many, 3, 100)
    assert kept == [("question 47", "answer 47"), ("question 48", "answer 48"),
                    ("question 49", "answer 49")]
    assert clean_history(many, 0, 100) == []
    assert clean_history([["q", "a"]], 3, 100) == [("q", "a")]  # JSON lists are pairs too
