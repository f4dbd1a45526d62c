"""Warning signs and emergencies in a question, recognised from its wording."""

from __future__ import annotations

import re
from dataclasses import dataclass

# (label shown to the user, pattern). A question with any of these is answered with the
# articles' "when to see a doctor" guidance first.
_WARNING_SIGNS: list[tuple[str, str]] = [
    ("swelling", r"\b(swollen|swelling|swell(s|ing)?|puffy)\b"),
    ("redness", r"\b(red|redness|reddish)\b"),
    ("warmth", r"\b(warm|hot) to (the )?touch\b|\bwarmth\b|\bfeels? (warm|hot)\b"),
    ("severe pain", r"\b(severe|excruciating|unbearable|agonising|agonizing|sudden(ly)? "
     r"(severe|sharp|intense)|worst)\b"),
    ("cramps that keep coming back", r"\b(keeps? (coming back|happening|returning)|recurr\w+|"
     r"persist\w*|won'?t go away|every (day|night)|all the time|constant\w*|frequent\w*|"
     r"on and off|for (a few |several |many )?(days|weeks|months))\b"),
    ("cramps that disturb sleep", r"\b(wak(e|es|ing) me|keep(s)? me (up|awake)|can'?t sleep|"
     r"disturb\w* (my )?sleep|interrupt\w* (my )?sleep)\b"),
    ("numbness or weakness", r"\b(numb\w*|weak(ness)?|tingl\w*|pins and needles|paralys\w*)\b"),
    ("after surgery or a long journey", r"\b(after (an |my |the )?(surgery|operation)|long "
     r"(flight|journey|trip|drive|car ride)|bed ?rest|immobil\w*)\b"),
    ("possible blood clot", r"\b(blood clots?|dvt|thrombosis)\b"),
]
_STRONG = {"swelling", "redness", "warmth", "severe pain", "possible blood clot"}
_EMERGENCY = re.compile(
    r"\b(chest pain|chest tightness|(trouble|difficulty|hard|short(ness)? of) breath\w*|"
    r"can'?t breathe|coughing (up )?blood|faint\w*|passed out|unconscious|confus\w*|"
    r"slurred speech|face droop\w*)\b", re.I)
_COMPILED = [(label, re.compile(rx, re.I)) for label, rx in _WARNING_SIGNS]


@dataclass(frozen=True)
class SafetyCheck:
    warnings: tuple[str, ...]
    emergency: bool

    @property
    def strong(self) -> bool:
        """Signs that make the doctor's guidance the main answer, not just a preface."""
        return self.emergency or any(w in _STRONG for w in self.warnings)


def check(question: str) -> SafetyCheck:
    found = tuple(label for label, rx in _COMPILED if rx.search(question))
    return SafetyCheck(warnings=found, emergency=bool(_EMERGENCY.search(question)))
