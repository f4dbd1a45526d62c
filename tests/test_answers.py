"""Composed answers: shapes, merging, numbering, abstention, safety, follow-ups, grounding."""

from __future__ import annotations

import json
import re

import pytest

from assistant.answer.compose import EMERGENCY, FIXED_LINES, NOTICE
from assistant.core import Assistant
from assistant.errors import QuestionError
from assistant.evaluation import EvalItem, evaluate, judge_answer, read_items
from assistant.textutil import normalize

from .conftest import DEV_SET

MARK = re.compile(r"\[(\d+)\]")


def body(text: str) -> str:
    return text.split("**Sources**")[0]


def bullets(text: str) -> list[str]:
    return [ln[2:] for ln in body(text).splitlines() if ln.startswith("- ")]


def test_causes_are_a_list_of_cited_points(assistant: Assistant) -> None:
    answer = assistant.ask("What are the most common causes of leg cramps?")
    assert answer.intent == "causes" and not answer.abstained
    assert "The articles name these causes:" in answer.text
    points = bullets(answer.text)
    assert len(points) >= 3 and all(MARK.search(p) for p in points)
    assert any("dehydration" in p.lower() for p in points)
    assert len(body(answer.text).split()) <= 220  # short: the passages are one click away


def test_definition_is_one_or_two_sentences(assistant: Assistant) -> None:
    answer = assistant.ask("What is a muscle cramp?")
    assert answer.intent == "definition" and not bullets(answer.text)
    assert "involuntary contraction" in answer.text
    assert 1 <= len(MARK.findall(body(answer.text))) <= 2


def test_treatment_gives_steps(assistant: Assistant) -> None:
    answer = assistant.ask("How do I relieve a thigh cramp when it happens?")
    assert answer.intent == "treatment" and len(bullets(answer.text)) >= 2
    assert re.search(r"stretch|massag", body(answer.text), re.I)


def test_agreeing_articles_become_one_point(assistant: Assistant) -> None:
    answer = assistant.ask("What are the most common causes of leg cramps?")
    by_n = {c.n: c for c in answer.citations}
    merged = [p for p in bullets(answer.text) if len(set(MARK.findall(p))) >= 2]
    assert merged, answer.text
    for point in merged:
        sources = {by_n[int(n)].source for n in MARK.findall(point)}
        assert len(sources) >= 2, point  # several articles, not one passage twice
    texts = [normalize(MARK.sub("", p)) for p in bullets(answer.text)]
    assert len(texts) == len(set(texts))


def test_citations_are_numbered_in_order_and_all_used(assistant: Assistant) -> None:
    answer = assistant.ask("How can I prevent thigh cramps?")
    order = list(dict.fromkeys(int(n) for n in MARK.findall(body(answer.text))))
    assert order == list(range(1, len(order) + 1))
    assert [c.n for c in answer.citations] == order
    assert len({c.chunk_id for c in answer.citations}) == len(answer.citations)
    sources = answer.text.split("**Sources**")[1]
    assert all(f"[{c.n}] {c.title}" in sources for c in answer.citations)
    assert answer.text.rstrip().endswith(NOTICE)


@pytest.mark.parametrize("question,says", [
    ("How do I change a car tyre?", "don't cover"),
    ("What causes migraines?", "don't cover"),
    ("What dose of quinine should I take?", "doses"),
    ("How many mg of magnesium should I take for cramps?", "doses"),
    ("Is it safe to take magnesium supplements if I'm on warfarin?", "your own medicines"),
])
def test_abstains_without_citations(assistant: Assistant, question: str, says: str) -> None:
    answer = assistant.ask(question)
    assert answer.abstained and not answer.citations
    assert says in answer.text and "They cover leg and thigh cramps" in answer.text
    assert not MARK.search(answer.text)


def test_red_flags_lead_with_seeing_a_doctor(assistant: Assistant) -> None:
    answer = assistant.ask("My calf has been cramping for days and now it's swollen, red and "
                           "warm to the touch. What should I do?")
    assert {"swelling", "redness", "warmth"} <= set(answer.warnings)
    first = bullets(answer.text)[0]
    assert re.search(r"medical attention|seek|doctor|healthcare", first, re.I), answer.text


def test_milder_warning_sign_puts_doctor_guidance_first(assistant: Assistant) -> None:
    answer = assistant.ask("What can I do about cramps that keep waking me up every night?")
    text = body(answer.text)
    assert text.startswith("**See a doctor**"), text
    assert text.index("**See a doctor**") < text.index("The articles suggest")


def test_emergency_gets_the_fixed_safety_line_first(assistant: Assistant) -> None:
    answer = assistant.ask("I have chest pain and my leg cramps")
    assert answer.text.startswith(EMERGENCY)


def test_follow_up_is_rewritten_from_history(assistant: Assistant) -> None:
    history = [("What causes inner thigh cramps?", "...")]
    answer = assistant.ask("How do I stop one when it happens?", history=history)
    assert "inner thigh cramps" in answer.searched_for
    assert answer.searched_for != "How do I stop one when it happens?"
    assert re.search(r"stretch|massag|heat", body(answer.text), re.I)
    standalone = assistant.ask("What causes inner thigh cramps?", history=history)
    assert standalone.searched_for == "What causes inner thigh cramps?"


def test_empty_and_long_questions(assistant: Assistant) -> None:
    with pytest.raises(QuestionError):
        assistant.ask("   \n ")
    answer = assistant.ask("What causes leg cramps? " + "please " * 400)
    assert answer.notes and "cut" in answer.notes[0]
    assert len(answer.question) <= assistant.settings.max_question_chars


def test_to_dict_round_trips_through_json(assistant: Assistant) -> None:
    answer = assistant.ask("Which minerals help prevent cramps?")
    data = json.loads(json.dumps(answer.to_dict()))
    assert data["text"] == answer.text and data["build_id"] == assistant.index.build_id
    assert [c["n"] for c in data["citations"]] == [c.n for c in answer.citations]
    assert all(isinstance(c["score"], float) for c in data["citations"])


def test_every_dev_answer_sentence_is_in_the_passage_it_cites(assistant: Assistant) -> None:
    for item in read_items(DEV_SET):
        answer = assistant.ask(item.question, history=[(q, "") for q in item.history])
        judged = judge_answer(item, answer, 0.0, FIXED_LINES)
        assert judged.grounded == judged.sentences and not judged.dangling, answer.text
        articles = {c.source for c in answer.citations}
        for c in answer.citations:
            for start, end in c.spans:  # each quoted span lies inside its passage
                local = c.passage[start - c.passage_start : end - c.passage_start]
                assert local and local in c.passage and local in c.quote, c
        assert len(articles) <= len(answer.citations)


def test_a_made_up_sentence_is_caught_as_ungrounded(assistant: Assistant) -> None:
    answer = assistant.ask("What causes leg cramps?")
    forged = answer.body.replace("\n- ", "\n- Quinine cures every cramp instantly. ", 1)
    item = EvalItem("x", "q", "causes", [], [], [], False)
    real = judge_answer(item, answer, 0.0, FIXED_LINES)
    fake = judge_answer(item, type(answer)(**{**answer.__dict__, "body": forged}), 0.0,
                        FIXED_LINES)
    assert real.grounded == real.sentences and fake.grounded == fake.sentences - 1


def test_dev_set_quality_floors(assistant: Assistant) -> None:
    """The CI quality gate: fails when answers or retrieval fall below these floors."""
    report = evaluate(assistant, read_items(DEV_SET)).to_dict()
    answers, retrieval = report["answers"]["overall"], report["retrieval"]["overall"]
    assert answers["abstention_accuracy"] >= 0.95, report["answers"]["failures"]
    assert answers["false_abstention"] <= 0.05
    assert answers["grounded_rate"] == 1.0 and answers["dangling_markers"] == 0
    assert answers["key_point_coverage"] >= 0.83, report["answers"]["failures"]
    assert retrieval["hit@1"] >= 0.72 and retrieval["hit@5"] >= 0.94


def test_disagreeing_articles_are_both_shown(embedder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from assistant.index.build import build_index
    from assistant.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, claim in (("warm", "Applying heat to the cramped calf helps the muscle relax."),
                        ("cold", "Applying heat to the cramped calf does not help the muscle "
                                 "relax.")):
        (corpus / f"{name}.md").write_text(
            f"# Calf cramp care from the {name} clinic\n\n## Relief\n\n{claim} "
            "Cramps in the calf are common in runners and usually pass within minutes.\n")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(settings, embedder)
    answer = Assistant.load(settings=settings, embedder=embedder).ask(
        "Does applying heat help relieve a calf cramp?")
    lines = bullets(answer.text)
    helps = [ln for ln in lines if "helps the muscle relax" in ln]
    denies = [ln for ln in lines if "does not help" in ln]
    assert helps and denies, answer.text  # both sides, each on its own line
    assert MARK.findall(helps[0]) != MARK.findall(denies[0])
