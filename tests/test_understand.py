"""Understanding a question (no model): kinds, parts, context, policy, and what the library's
own words teach (typos, term bridges, word families)."""

from __future__ import annotations

import pytest

from assistant.answer import policy
from assistant.answer.context import Context, context_of
from assistant.answer.understand import Kind, detect_kind, is_follow_up, split_parts, understand
from assistant.answer.unknown import unknown_of
from assistant.index.lexicon import Lexicon, find_bridges
from assistant.settings import Settings
from assistant.textutil import split_sentences

TEXTS = [
    "Peripheral artery disease (PAD) narrows the arteries of the legs.",
    "Statins (medicines that help lower cholesterol levels) can cause leg cramps.",
    "Leg cramps can occur for no apparent reason, known as idiopathic leg cramps.",
    "Pregnancy is a common cause of leg cramps at night.",
    "Stretch the calf muscles and drink plenty of water.",
    "Pins and needles and numbness are signs of nerve trouble.",
] + ["Leg cramps are common and usually harmless."] * 6


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.from_texts(TEXTS)


def test_bridges_are_found_where_an_article_explains_its_term() -> None:
    found = {b.text for t in TEXTS for b in find_bridges(t)}
    assert "PAD (Peripheral artery disease)" in found
    assert "Statins (medicines that help lower cholesterol levels)" in found
    assert "idiopathic leg cramps (can occur for no apparent reason)" in found


def test_a_question_in_lay_words_is_searched_with_the_articles_term(lexicon: Lexicon) -> None:
    query = understand("Do cholesterol pills give you cramps?", [], lexicon, Settings())
    assert "Statins" in query.search
    query = understand("what is PAD", [], lexicon, Settings())
    assert "Peripheral artery disease" in query.search


def test_typos_are_corrected_only_to_the_librarys_words(lexicon: Lexicon) -> None:
    assert lexicon.correct("needels") == "needles"
    assert lexicon.correct("strech") == "stretch"
    assert lexicon.correct("migraines") is None  # an English word the library lacks
    assert lexicon.correct("nite") is None  # too short to tell


def test_word_families_reach_the_librarys_form(lexicon: Lexicon) -> None:
    assert lexicon.variants("pregnant") == ["pregnancy"]
    assert lexicon.variants("stretch") == []  # the library uses it already


@pytest.mark.parametrize("question,kind", [
    ("What causes leg cramps?", Kind.CAUSES),
    ("How do I stop a cramp when it happens?", Kind.TREATMENT),
    ("How can I prevent thigh cramps?", Kind.PREVENTION),
    ("When should I see a doctor about cramps?", Kind.SEE_DOCTOR),
    ("How are cramps treated when they're caused by a pinched nerve?", Kind.TREATMENT),
    ("What is a muscle cramp?", Kind.DEFINITION),
    ("cramps at night why", Kind.CAUSES),
])
def test_kind_comes_from_the_wording(question: str, kind: Kind) -> None:
    assert detect_kind(question) is kind


def test_either_or_and_two_part_questions_are_split() -> None:
    assert split_parts("Is heat better for a cramp, or ice?") == (
        "Is heat better for a cramp", "ice")
    assert split_parts("I'm pregnant and my calves cramp. Is the pregnancy causing it?") == (
        "Is the pregnancy causing it", "I'm pregnant and my calves cramp")
    assert split_parts("What causes cramps?") == ()


def test_context_is_what_the_person_says_about_themselves_named_in_plain_english() -> None:
    assert context_of("My 8 year old son gets cramps at night") == (
        Context("8 year old son", "your son"),)
    assert context_of("I'm 30 weeks pregnant, why do my calves cramp?") == (
        Context("30 weeks pregnant", "being pregnant"),)
    assert context_of("I have type 2 diabetes and my legs cramp") == (
        Context("type 2 diabetes", "type 2 diabetes"),)
    assert context_of("I'm a cyclist and my quads cramp") == (
        Context("cyclist", "being a cyclist"),)
    assert context_of("What causes leg cramps?") == ()
    # A relation is a group of people only with an age: a child, a grandparent, or an age said.
    assert context_of("What does a cramp feel like? My husband yells when he gets one") == ()
    assert context_of("My 80 year old husband gets cramps") == (
        Context("80 year old husband", "your husband"),)


def test_follow_ups_name_what_they_follow(lexicon: Lexicon) -> None:
    query = understand("and how do I stop them?", [("What causes leg cramps at night?", "")],
                       lexicon, Settings())
    assert query.standalone == ("and how do I stop them? (following on from: What causes "
                                "leg cramps at night?)")
    assert "night" in query.search and query.kind is Kind.TREATMENT
    alone = understand("What causes leg cramps?", [("What is PAD?", "")], lexicon, Settings())
    assert alone.standalone == "What causes leg cramps?"


@pytest.mark.parametrize("question,reply", [
    ("How much magnesium should I take for cramps?", policy.DOSE),
    ("Is 400 mg of magnesium too much?", policy.DOSE),
    ("Is it safe to take ibuprofen while pregnant?", policy.PERSONAL),
    ("Can I combine quinine with my blood pressure pills?", policy.PERSONAL),
    ("What causes leg cramps?", None),
    ("Should I use a heating pad on a cramp?", None),
])
def test_doses_and_personal_medication_are_refused(question: str, reply: str | None) -> None:
    assert policy.refusal(question) == reply


# Follow-ups, both ways, in wordings written for these tests.
@pytest.mark.parametrize("question", [
    "and what about during the day?", "Is it serious?", "how long do they last?",
    "which one matters most?", "what about my other leg", "but why?", "Does that help?",
    "hang on, what are those minerals called again?",
])
def test_a_question_that_cannot_stand_alone_follows_on(lexicon: Lexicon, question: str) -> None:
    assert is_follow_up(question, lexicon, Settings().everyday_words), question


@pytest.mark.parametrize("question", [
    "My calf is swollen after a long flight, is that a cramp?",
    "How long do leg cramps usually last?", "Is it normal to get cramps when pregnant?",
    "What is PAD?", "Why do statins cause cramps?", "Does stretching the calf help?",
])
def test_a_question_that_names_its_topic_stands_alone(lexicon: Lexicon, question: str) -> None:
    assert not is_follow_up(question, lexicon, Settings().everyday_words), question
    query = understand(question, [("Should I drink more water then?", "")], lexicon,
                       Settings())
    assert query.standalone == question


def test_sentences_keep_abbreviations_decimals_and_closing_quotes() -> None:
    text = ('Ask Dr. Patel about minerals, e.g. potassium. Rest for approx. 10 minutes.\n'
            '- Drink 1.5 l of water (e.g. with meals).\nHe said "stop." Then it eased.')
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Ask Dr. Patel about minerals, e.g. potassium.", "Rest for approx. 10 minutes.",
        "- Drink 1.5 l of water (e.g. with meals).", 'He said "stop."', "Then it eased."]


def test_things_the_library_never_mentions_are_named(lexicon: Lexicon) -> None:
    everyday = Settings().everyday_words
    assert unknown_of("Is acupuncture good for leg cramps?", lexicon, everyday) == (
        "acupuncture",)
    assert unknown_of("What causes plantar fasciitis?", lexicon, everyday) == (
        "plantar fasciitis",)
    assert unknown_of("Why do my calves cramp at night?", lexicon, everyday) == ()  # calf
    assert unknown_of("My legs cramp in Lisbon every summer", lexicon, everyday) == ()  # name
    assert unknown_of("how do i strech my calfs", lexicon, everyday) == ()  # typos of its words
    assert unknown_of("I'm a dentist and my legs cramp", lexicon, everyday,
                      {"dentist"}) == ()  # what the person says of themselves
    # An inflected everyday word is everyday ("quickest": quick), and a phrase never runs
    # across a stop word: two things, each named as the question words it.
    assert unknown_of("What is the quickest way to stop a cramp?", lexicon, everyday) \
        == ()
    assert unknown_of("Can ropinirole for restless legs help?", lexicon, everyday) == (
        "ropinirole", "restless")


def test_can_i_take_is_refused_unless_the_articles_speak_of_it(lexicon: Lexicon) -> None:
    refused = understand("Can I take quinine for my cramps?", [], lexicon, Settings())
    assert refused.refusal == policy.PERSONAL
    asked = understand("Can I take statins for my cramps?", [], lexicon, Settings())
    assert asked.refusal is None  # the library speaks of statins: its words are the answer


def test_warning_signs_most_specific_first() -> None:
    signs = policy.warning_signs("My calf is swollen and red after a long flight")
    assert [s.label for s in signs][:2] == ["signs of a blood clot", "swelling"]
    assert all(s.strong for s in signs[:2])
    assert policy.emergency("I have chest pain") and policy.emergency("she collapsed")
    assert not policy.warning_signs("What causes cramps?")
    for still in ("since our 10 hour bus journey", "after hip surgery"):  # a word may name it
        signs = policy.warning_signs(f"My calf has been swollen {still}")
        assert signs[0].label == "signs of a blood clot", still


def test_a_sentence_pointing_back_is_never_a_statement_alone() -> None:
    from assistant.answer.statements import leans_back

    assert leans_back("This helps the muscle relax.")
    assert leans_back("Ensuring a balanced diet that includes these nutrients can help.")
    assert leans_back("Regular stretching can prevent such cramps.")
    assert leans_back("Sitting for long periods can lead to this type of muscle stimulation.")
    assert not leans_back("Minerals such as potassium and calcium help muscles work.")
    assert not leans_back("Whether it happens at night or during exercise, cramps hurt.")
