"""Questions the assistant never answers beyond the articles: doses and personal decisions."""

from __future__ import annotations

import re

DOSE = ("The articles don't give doses of any medicine or supplement, so I can't answer that. "
        "A doctor or pharmacist can tell you what is right for you.")
PERSONAL = ("The articles don't cover decisions about your own medicines, such as what is "
            "safe to combine. Please ask a doctor or pharmacist.")

_DOSE = re.compile(
    r"\b(doses?|dosage|dosing|\d+\s?(mg|milligrams?|mcg|iu)|how (much|many) (\w+ ){0,3}"
    r"(should|can|do|must) (i|you|we) take|how (much|many) (\w+ ){0,2}(pills?|tablets?|"
    r"capsules?|mg))\b", re.I)
_PERSONAL = re.compile(
    r"\b(is it safe (for me )?to (take|use|combine|mix)|safe to take|interact\w*|"
    r"(if|while|when) (i'?m|i am) (on|taking)|together with my|with my (medication|"
    r"medicine|pills|tablets|prescription)|should i stop taking|can i (mix|combine))\b", re.I)


def refusal(question: str) -> str | None:
    """The fixed reply for a dose or personal-medication question; None for others."""
    if _DOSE.search(question):
        return DOSE
    if _PERSONAL.search(question):
        return PERSONAL
    return None
