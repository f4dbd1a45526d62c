"""What the assistant never answers, and the warning signs it never lets pass.

These are product policy, not tuning: a health assistant that only repeats its articles
must not give doses or personal-medication advice, and must put getting medical help
first when a question describes signs that need it. The wording patterns are general
English; :mod:`.understand` applies them, and nothing else looks at them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

DOSE = ("The articles don't give doses of any medicine or supplement, so I can't answer that. "
        "A doctor or pharmacist can tell you what is right for you.")
PERSONAL = ("The articles don't give advice about taking or combining medicines, so I can't "
            "answer that for you. Please ask a doctor or pharmacist.")

# What a question asks to take, use or be on: "... take magnesium for my cramps?"
_OBJECT = (r"(?P<what>[^?.!,]{2,60}?)(?=\s+(for|to|when|if|while|because|during|and|or|after|"
           r"before|with|at|every|each|a day|daily)\b|[?.!,]|$)")
# Always a dose question, whatever is named.
_DOSE = re.compile(
    r"\b(doses?|dosage|dosing|overdos\w*|\d+\s?(mg|milligrams?|mcg|micrograms?|iu)|how "
    r"(much|many) (mg|milligrams?|iu|pills?|tablets?|capsules?|drops?))\b", re.I)
# A dose question when what it asks how much of is a medicine ("how much water should I
# have" is not).
_HOW_MUCH = re.compile(r"\bhow (much|many) (?P<what>[^?.!]{1,50}?) (should|can|could|do|must|"
                       r"may) (i|you|we|he|she|they|my \w+) (take|give|have|use)\b", re.I)
# Combining medicines, or stopping one's own: never answered.
_COMBINE = re.compile(
    r"\b(interact\w*|(can|could|should) (i|we) (combine|mix)|with my (medication|medicine|"
    r"pills|tablets|prescription)|(can|could|should) (i|we) stop taking)\b", re.I)
# Is it safe for me to take X, I'm on X: personal medication advice when X is a medicine.
_SAFE_TO = re.compile(rf"\b((is it|it'?s|is that|is) )?(safe|ok|okay|fine|alright|dangerous) "
                      rf"(for (me|him|her|them|my \w+) )?to (take|use|combine|mix) {_OBJECT}",
                      re.I)
_WHILE_ON = re.compile(rf"\b(if|while|when|as) (i'?m|i am|she'?s|he'?s|they'?re) (on|"
                       rf"taking) {_OBJECT}", re.I)
# "Can I take X?": answered only with what the articles themselves say about X.
_TAKE = re.compile(rf"\b(can|could|should|may|must|do) (i|we|he|she|they|my \w+) take {_OBJECT}",
                   re.I)

Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class WarningSign:
    """A sign in a question that calls for medical help before anything else."""

    label: str  # shown to the user
    pattern: re.Pattern[str]
    strong: bool  # the articles' medical-help guidance becomes the whole answer
    concern: str  # what the articles may call it: searched for their most specific guidance


def _sign(label: str, rx: str, strong: bool, concern: str) -> WarningSign:
    return WarningSign(label, re.compile(rx, re.I), strong, concern)


# Long still spells: a long (coach) trip, (knee) surgery, bed rest, a cast. A word may name
# the kind of trip or operation.
_IMMOBILE = (r"((long|\d+[- ]?hours?)[- ]?(haul |[a-z]+ )?(flight|journey|trip|drive|ride)|"
             r"after (an |my |the |a )?([a-z]+ )?(surgery|operation|flight)|bed ?rest|"
             r"immobil\w*|plaster cast|been sitting for hours)")
_SWOLLEN = r"(swollen|swelling|swell(s|ing)?|puffy|red|redness|reddish|warm|hot to (the )?touch)"
WARNING_SIGNS = [
    _sign("signs of a blood clot", rf"\b(blood clots?|dvt|thrombosis)\b|\b{_SWOLLEN}\b.*\b"
          rf"{_IMMOBILE}\b|\b{_IMMOBILE}\b.*\b{_SWOLLEN}\b", True,
          "blood clot deep vein thrombosis (DVT) swelling"),
    _sign("swelling", r"\b(swollen|swelling|swell(s|ing)?|puffy)\b", True, "swelling"),
    _sign("redness", r"\b(red|redness|reddish)\b", True, "redness"),
    _sign("warmth", r"\b(warm|hot) to (the )?touch\b|\bwarmth\b|\bfeels? (warm|hot)\b", True,
          "warmth"),
    _sign("severe pain", r"\b(severe|excruciating|unbearable|agonising|agonizing|sudden(ly)? "
          r"(severe|sharp|intense)|worst)\b", True, "severe pain"),
    _sign("cramps that keep coming back", r"\b(keeps? (coming back|happening|returning)|"
          r"recurr\w+|persist\w*|won'?t go away|every (day|night)|all the time|constant\w*|"
          r"frequent\w*|on and off|for (a few |several |many )?(days|weeks|months)|for ages)\b",
          False, "cramps that keep coming back or last a long time"),
    # Being woken by a cramp is what a night cramp is; losing sleep to them again and again
    # is a reason the articles give to see a doctor.
    _sign("cramps that disturb sleep", r"\b(keeps? (me (up|awake)|waking me)|can'?t (get to )?"
          r"sleep|(disturb|interrupt|ruin)\w* (my )?sleep|losing sleep)\b", False,
          "cramps that disturb sleep"),
    _sign("numbness or weakness", r"\b(numb\w*|weak(ness)?|tingl\w*|pins and needles|"
          r"paralys\w*)\b", False, "numbness, tingling or weakness"),
]
_EMERGENCY = re.compile(
    r"\b(chest pain|chest tightness|(trouble|difficulty|hard|short(ness)? of) breath\w*|"
    r"can'?t breathe|coughing (up )?blood|faint\w*|passed out|collaps\w*|unconscious|confus\w*|"
    r"slurred speech|face droop\w*)\b", re.I)
# Statements that tell the reader to get medical help: what a warning sign is answered with.
ADVISE_HELP = re.compile(
    r"\b(seek\w*|consult\w*|medical (attention|assistance|advice|help|evaluation|care)|"
    r"(see|speak to|talk to|visit) (a|your) (doctor|gp|physician|healthcare)|(call|phone|"
    r"contact) (your|a|an|the|999|111|911)|emergency)\b", re.I)
# Those, and statements that a cramp may be the sign of an illness: what "when should I see a
# doctor" is answered with.
SEEK_HELP = re.compile(
    rf"{ADVISE_HELP.pattern}|\b(symptom of|sign of|underlying (health )?condition|serious)\b",
    re.I)


def refusal(question: str, embed: Embed | None = None) -> str | None:
    """The fixed reply for a dose or personal-medication question; None for others.

    A verb alone is never enough: "how much water should I have", "is it ok to take a
    walk" and "while I'm on holiday" name no medicine (told by ``embed``, the embedding
    model; without it anything named counts as one)."""
    if _DOSE.search(question) or _names_medicine(_HOW_MUCH, question, embed):
        return DOSE
    if _COMBINE.search(question) or _names_medicine(_SAFE_TO, question, embed) or \
            _names_medicine(_WHILE_ON, question, embed):
        return PERSONAL
    return None


def _names_medicine(pattern: re.Pattern[str], question: str, embed: Embed | None) -> bool:
    match = pattern.search(question)
    if match is None:
        return False
    return embed is None or is_medicine(match.group("what"), embed)


# "Can I take X?" is a medicine question only when X is a medicine: "take a hot bath", "take
# my son to the GP" and "take a walk" are not. X is a medicine when the embedding model puts
# it nearer the first description than the second.
MEDICINE = "a medicine, drug, pill or supplement"
NOT_MEDICINE = "an activity, a break, a bath, a trip or a person"


def is_medicine(what: str, embed: Embed) -> bool:
    """Whether ``what`` (the X of "take X") names a medicine or supplement."""
    vecs = np.asarray(embed([what, MEDICINE, NOT_MEDICINE]), dtype=np.float32)
    return float(vecs[0] @ vecs[1]) > float(vecs[0] @ vecs[2])


def taken(question: str) -> str | None:
    """What a "can I take X" question asks about taking (X), or None."""
    match = _TAKE.search(question)
    return match.group("what") if match else None


def warning_signs(question: str) -> tuple[WarningSign, ...]:
    """The warning signs a question describes, most specific first."""
    return tuple(sign for sign in WARNING_SIGNS if sign.pattern.search(question))


def emergency(question: str) -> bool:
    return bool(_EMERGENCY.search(question))
