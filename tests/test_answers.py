"""Composed answers with the real model: shapes, citations, abstention, safety, follow-ups,
the question asked (parts, yes/no, context), grounding, and the quality gate."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.answer import policy
from assistant.answer.compose import EMERGENCY, NOTICE
from assistant.core import Assistant
from assistant.errors import QuestionError
from assistant.evaluation import EvalItem, evaluate_library, judge_answer, read_items
from assistant.index.build import build_index
from assistant.settings import Settings
from assistant.textutil import normalize

from .conftest import DEV_SET, EVAL

MARK = re.compile(r"\[(\d+)\]")
QUESTION_SETS = [EVAL / f"{name}.jsonl" for name in ("dev", "dev_more", "library")]


def bullets(body: str) -> list[str]:
    return [ln[2:] for ln in body.splitlines() if ln.startswith("- ")]


def library_of(tmp_path: Path, embedder, articles: dict[str, str], **settings: object  # type: ignore[no-untyped-def]
               ) -> Assistant:
    """A small library written straight into a corpus folder, built and loaded."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, body in articles.items():
        (corpus / f"{name}.md").write_text(body)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", **settings)
    build_index(settings, embedder)
    return Assistant.load(settings=settings, embedder=embedder)


def test_every_answer_is_one_list_of_cited_lines(assistant: Assistant) -> None:
    for question in ("What are the most common causes of leg cramps?", "What is a muscle cramp?",
                     "Does massage help a cramp?"):
        answer = assistant.ask(question)
        lines = [ln for ln in answer.body.splitlines() if ln.strip()]
        assert lines and all(ln.startswith("- ") and MARK.search(ln) for ln in lines), question
        assert len(lines) <= assistant.settings.answer_max_lines
    answer = assistant.ask("What are the most common causes of leg cramps?")
    assert answer.intent == "causes" and "dehydration" in answer.body.lower()


def test_definition_is_one_or_two_sentences(assistant: Assistant) -> None:
    answer = assistant.ask("What is a muscle cramp?")
    assert answer.intent == "definition"
    assert "involuntary contraction" in answer.body
    assert 1 <= len(MARK.findall(answer.body)) <= 2


def test_treatment_gives_steps(assistant: Assistant) -> None:
    answer = assistant.ask("How do I relieve a thigh cramp when it happens?")
    assert answer.intent == "treatment" and bullets(answer.body)
    assert re.search(r"stretch|massag|heat", answer.body, re.I)


def test_agreeing_articles_become_one_point(embedder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    answer = library_of(tmp_path, embedder, {
        name: f"# Calf cramps, from the {name} clinic\n\n## Causes\n\n{claim} Runners who "
              f"train in the {name} season should plan for it.\n"
        for name, claim in (
            ("spring", "Losing fluid through heavy sweating is a common cause of calf cramps."),
            ("autumn", "Heavy sweating that leaves the body short of fluid commonly causes "
                       "calf cramps."))
    }).ask("What causes calf cramps?")
    merged = [p for p in bullets(answer.body) if len(set(MARK.findall(p))) >= 2]
    assert merged, answer.body
    by_n = {c.n: c for c in answer.citations}
    for point in merged:
        sources = {by_n[int(n)].source for n in MARK.findall(point)}
        assert len(sources) >= 2, point  # several articles, not one passage twice
    texts = [normalize(MARK.sub("", p)) for p in bullets(answer.body)]
    assert len(texts) == len(set(texts))


def test_citations_numbered_in_order_one_number_per_passage(assistant: Assistant) -> None:
    answer = assistant.ask("How can I prevent thigh cramps?")
    order = list(dict.fromkeys(int(n) for n in MARK.findall(answer.body)))
    assert order == list(range(1, len(order) + 1))
    assert [c.n for c in answer.citations] == order
    assert len({c.chunk_id for c in answer.citations}) == len(answer.citations)
    spans = [(c.source, s) for c in answer.citations for s in c.spans]
    assert len(spans) == len(set(spans))  # no sentence is quoted under two numbers
    sources = answer.text.split("**Sources**")[1]
    assert all(f"[{c.n}] {c.title}" in sources for c in answer.citations)
    assert "**Sources**" not in answer.body and answer.text.rstrip().endswith(NOTICE)


@pytest.mark.parametrize("question,says", [
    ("How do I change a car tyre?", "Our articles don't"),
    ("What causes migraines?", "don't mention “migraines”"),
    ("How do I treat plantar fasciitis?", "don't mention “plantar fasciitis”"),
    ("What is the capital of France?", "don't cover"),
    ("Warum bekomme ich nachts Wadenkrämpfe?", "in English"),
    ("What dose of quinine should I take?", "doses"),
    ("How many units of vitamin D should I take a day to stop cramps?", "doses"),
    ("Is it safe to take magnesium supplements if I'm on warfarin?", "combining medicines"),
    ("Can I take quinine for my cramps?", "combining medicines"),
])
def test_abstains_without_citations(assistant: Assistant, question: str, says: str) -> None:
    answer = assistant.ask(question)
    assert answer.abstained and not answer.citations
    assert says in answer.text and "They cover leg and thigh cramps" in answer.text
    assert not MARK.search(answer.text)


def test_can_i_take_is_answered_from_what_the_articles_say_of_it(assistant: Assistant) -> None:
    answer = assistant.ask("Can I take magnesium for my cramps?")
    assert not answer.abstained and "magnesium" in answer.body.lower()


def test_signs_of_a_clot_lead_with_the_articles_dvt_sentence(assistant: Assistant) -> None:
    answer = assistant.ask("My calf is swollen, red and warm after a long flight. What should "
                           "I do?")
    assert answer.body.startswith("**Get medical help promptly**"), answer.body
    assert "signs of a blood clot" in answer.warnings
    assert "thrombosis" in bullets(answer.body)[0], answer.body


def test_red_flags_lead_with_medical_help(assistant: Assistant) -> None:
    answer = assistant.ask("My calf has been cramping for days and now it's swollen, red and "
                           "warm to the touch. What should I do?")
    assert {"swelling", "redness", "warmth"} <= set(answer.warnings)
    assert re.search(r"medical attention|seek|doctor|healthcare", bullets(answer.body)[0], re.I)


def test_milder_warning_sign_puts_doctor_guidance_first(assistant: Assistant) -> None:
    answer = assistant.ask("What can I do about cramps that keep waking me up every night?")
    assert answer.body.startswith("**See a doctor**"), answer.body
    assert re.search(r"doctor|medical|seek", bullets(answer.body)[0], re.I), answer.body


def test_being_woken_by_a_cramp_is_not_a_warning_sign(assistant: Assistant) -> None:
    answer = assistant.ask("How do I stop a cramp when it wakes me up at night?")
    assert answer.warnings == () and not answer.body.startswith("**See a doctor**"), answer.body


def test_a_warning_sign_leads_with_advice_to_get_help(assistant: Assistant) -> None:
    answer = assistant.ask("My cramps keep coming back every night, what causes that?")
    assert answer.body.startswith("**See a doctor**"), answer.body
    assert all(policy.ADVISE_HELP.search(line) for line in bullets(answer.body)[:1]), answer.body


def test_emergency_gets_the_fixed_safety_line_first(assistant: Assistant) -> None:
    assert assistant.ask("I have chest pain and my leg cramps").text.startswith(EMERGENCY)
    assert assistant.ask("My friend collapsed after a cramp").text.startswith(EMERGENCY)


def test_follow_up_is_made_standalone_and_says_so(assistant: Assistant) -> None:
    history = [("What causes inner thigh cramps?", "...")]
    answer = assistant.ask("How do I stop one when it happens?", history=history)
    assert answer.searched_for == ("How do I stop one when it happens? (following on from: "
                                   "What causes inner thigh cramps?)")
    assert answer.intent == "treatment" and answer.citations
    standalone = assistant.ask("What causes inner thigh cramps?", history=history)
    assert standalone.searched_for == "What causes inner thigh cramps?"


def test_misspelt_words_are_searched_as_the_library_spells_them(assistant: Assistant) -> None:
    query = assistant.understand("how do i strech my thigh after a crampd run")
    assert dict(query.corrected) == {"strech": "stretch", "crampd": "cramps"}
    assert "stretch" in assistant.ask("how do i strech my thigh").body.lower()


def test_an_abbreviation_finds_what_the_article_says_it_stands_for(assistant: Assistant) -> None:
    query = assistant.understand("what exactly is PAD")
    assert "peripheral artery disease" in query.search.lower()
    assert "narrowed arteries" in assistant.ask("what exactly is PAD").body


def test_context_not_covered_is_named_in_plain_english(assistant: Assistant) -> None:
    answer = assistant.ask("My 8 year old son gets leg cramps at night, what can we do?")
    assert answer.body.startswith("The articles don't say anything specific about your "
                                  "son"), answer.body
    assert answer.citations  # and the general guidance still follows


def test_no_context_note_when_a_line_speaks_to_it(embedder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    answer = library_of(tmp_path, embedder, {
        "kids": "# Cramps in children\n\n## At night\n\nChildren often get leg cramps at "
                "night during growth spurts; gentle calf stretches before bed help them.\n",
        "adults": "# Cramps in adults\n\n## At night\n\nAdults who sit all day get night "
                  "cramps more often; a short walk in the evening helps.\n",
    }, line_first=0.0).ask("My 8 year old son gets leg cramps at night, what can we do?")
    assert "children" in answer.body.lower(), answer.body
    assert "anything specific" not in answer.body, answer.body


def test_context_the_articles_speak_to_is_matched(assistant: Assistant) -> None:
    answer = assistant.ask("I have diabetes, could that be why my legs cramp?")
    assert "diabetes" in answer.body.lower() and "anything specific" not in answer.body


def test_both_halves_of_an_either_or_question_are_answered(embedder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    answer = library_of(tmp_path, embedder, {
        "warmth": "# Warmth for calf cramps\n\n## Relief\n\nA heating pad relaxes a cramped calf "
                  "muscle within minutes. Warm baths loosen tight calves before bed.\n",
        "cold": "# Cold for calf cramps\n\n## Relief\n\nAn ice pack numbs the pain of a calf "
                "cramp and calms the swelling afterwards. Wrap the ice in a towel first.\n",
        "water": "# Water and cramps\n\n## Prevention\n\nDrinking enough water through the day "
                 "keeps calf muscles from cramping during long walks.\n",
    }).ask("Should I use a heating pad on a calf cramp, or is an ice pack better?")
    assert "heating pad" in answer.body and "ice pack" in answer.body, answer.body


def test_a_yes_no_answer_opens_with_the_statement_that_answers_it(embedder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    answer = library_of(tmp_path, embedder, {
        "remedies": "# Calf cramp remedies\n\n## At home\n\nStretching the calf eases most "
                    "cramps. Drinking pickle juice can stop a calf cramp within a minute in "
                    "some runners. Massage helps the muscle relax.\n",
        "causes": "# Why calves cramp\n\n## Causes\n\nDehydration and tired muscles are the "
                  "usual causes of calf cramps in runners.\n",
    }).ask("Does drinking pickle juice stop a calf cramp?")
    first = answer.body.splitlines()[0].removeprefix("- ")
    assert first.startswith("Drinking pickle juice"), answer.body


def test_article_reference_markers_never_reach_an_answer(embedder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    answer = library_of(tmp_path, embedder, {
        "wiki": "# Calf cramp\n\n## Treatment\n\nStretching the calf muscle relieves a cramp "
                "within a minute.[3] Massage also helps the muscle relax.[12][13] Quinine is "
                "no longer advised for cramps.[citation needed]\n",
    }).ask("How do I relieve a calf cramp?")
    cited = {c.n for c in answer.citations}
    assert {int(n) for n in MARK.findall(answer.body)} <= cited, answer.body
    assert "citation needed" not in answer.body


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


def test_every_answer_sentence_is_in_the_passage_it_cites(assistant: Assistant) -> None:
    items = [i for path in QUESTION_SETS for i in read_items(path)]
    for item in items:
        answer = assistant.ask(item.question, history=[(q, "") for q in item.history])
        judged = judge_answer(item, answer, 0.0)
        assert judged.grounded == judged.sentences and not judged.dangling, answer.body
        for c in answer.citations:
            for start, end in c.spans:  # each quoted span lies inside its passage
                local = c.passage[start - c.passage_start : end - c.passage_start]
                assert local and local in c.passage and local in c.quote, c


def test_a_made_up_sentence_is_caught_as_ungrounded(assistant: Assistant) -> None:
    answer = assistant.ask("What causes leg cramps?")
    forged = answer.body.replace("\n- ", "\n- Quinine cures every cramp instantly. ", 1)
    item = EvalItem("x", "q", "causes", [], [], [], False)
    real = judge_answer(item, answer, 0.0)
    fake = judge_answer(item, type(answer)(**{**answer.__dict__, "body": forged}), 0.0)
    assert real.grounded == real.sentences and fake.grounded == fake.sentences - 1


def test_quality_floors_on_the_check_half_and_the_grown_library(built: Settings,
                                                                  embedder) -> None:  # type: ignore[no-untyped-def]
    """The CI quality gate: the check half (never tuned on), on the shipped library and on
    a copy grown by five more articles through the real import."""
    items = [i for path in QUESTION_SETS for i in read_items(path) if i.half == "check"]
    report = evaluate_library(built, items, embedder, grow_with=[EVAL / "articles"])
    figures = {name: halves["check"] for name, halves in report.table().items()}
    assert len(figures) == 2, figures
    for name, m in figures.items():
        assert m["grounded_rate"] == 1.0 and m["dangling_markers"] == 0, name
        # Floors about one question under the check half's figures (line precision 0.78
        # shipped / 0.72-0.73 grown, key points 0.64 / 0.57-0.59 with the shipped scorer;
        # one question can flip between runs, onnxruntime's threads summing in varying order).
        assert m["abstention_accuracy"] >= 0.90 and m["false_abstention"] <= 0.05, (name, m)
        assert m["line_precision"] >= 0.68 and m["lines_per_answer"] <= 3, (name, m)
        assert m["key_point_coverage"] >= 0.53 and m["hit@5"] >= 0.82, (name, m)
        assert m["hit@1"] >= 0.55, (name, m)


def test_disagreeing_articles_are_both_shown(embedder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    answer = library_of(tmp_path, embedder, {
        name: f"# Calf cramp care from the {name} clinic\n\n## Relief\n\n{claim} Cramps in the "
              "calf are common in runners and usually pass within minutes.\n"
        for name, claim in (("warm", "Applying heat to the cramped calf helps the muscle "
                                     "relax."),
                            ("cold", "Applying heat to the cramped calf does not help the "
                                     "muscle relax."))
    }).ask("Does applying heat help relieve a calf cramp?")
    helps = [ln for ln in answer.body.split("[") if "helps the muscle relax" in ln]
    denies = [ln for ln in answer.body.split("[") if "does not help" in ln]
    assert helps and denies, answer.body  # both sides, each with its own citation


def test_dev_set_is_read_with_its_halves() -> None:
    items = read_items(DEV_SET)
    halves = {i.half for i in items}
    assert halves == {"tune", "check"}
    for category in {i.category for i in items}:
        group = [i.half for i in items if i.category == category]
        assert abs(group.count("tune") - group.count("check")) <= 1, category
