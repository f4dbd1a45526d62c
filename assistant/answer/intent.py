"""What kind of answer a question wants, from its wording (no model needed)."""

from __future__ import annotations

import re
from enum import StrEnum


class Intent(StrEnum):
    SEE_DOCTOR = "see_doctor"
    CAUSES = "causes"
    PREVENTION = "prevention"
    TREATMENT = "treatment"
    SYMPTOMS = "symptoms"
    DEFINITION = "definition"
    OTHER = "other"


# Checked in order: the first that matches wins.
_RULES: list[tuple[Intent, re.Pattern[str]]] = [(intent, re.compile(rx, re.I)) for intent, rx in [
    (Intent.SEE_DOCTOR, r"\b(see|visit|call|consult|go to|talk to)\b[\w\s]{0,20}\b(doctor|gp|"
     r"physician|healthcare|professional)\b|\bwhen (should|do) i (seek|get|need)\b|\bmedical "
     r"(help|attention|advice)\b|\bchecked out\b|\bget (it )?checked\b|\bsign of\b|\bserious\b|"
     r"\bworr(y|ied)\b|\bemergency\b|\bdangerous\b"),
    (Intent.CAUSES, r"\b(cause[sd]?|causing|reasons?|triggers?|lead(s)? to|responsible|"
     r"more likely|risk factors?)\b"),
    (Intent.PREVENTION, r"\b(prevent\w*|avoid\w*|stop (getting|having)|reduce (the )?(risk|"
     r"chances?)|keep \w+ from)\b"),
    (Intent.TREATMENT, r"\b(treat\w*|reliev\w*|relief|stop (a|one|it|the|them)\b|get rid|ease|"
     r"what (should|can) i do|remed\w+|massag\w*|stretch\w*|heat|ice|prescri\w+|"
     r"help(s)? (with|when)|hold it|does \w+ help)\b"),
    (Intent.SYMPTOMS, r"\b(symptoms?|feel(s)? like|last|which (leg )?muscles|what "
     r"muscles|come along|accompan\w+)\b"),
    (Intent.DEFINITION, r"^\s*(what (is|are)|define|meaning of)\b"),
    (Intent.CAUSES, r"\b(why|how come|how does .* lead)\b"),
]]


# A question about seeing a doctor is that, whatever else it asks; among causes, prevention,
# treatment and symptoms the phrase said first is the question's main verb ("How are cramps
# treated when they're caused by..." is about treatment); "what is" and "why" come last.
_OVERRIDE = {Intent.SEE_DOCTOR}
_FALLBACK = {Intent.DEFINITION}


def detect_intent(question: str) -> Intent:
    for intent, pattern in _RULES:
        if intent in _OVERRIDE and pattern.search(question):
            return intent
    found = [(m.start(), n) for n, (intent, pattern) in enumerate(_RULES)
             if intent not in _OVERRIDE | _FALLBACK and n < len(_RULES) - 1
             and (m := pattern.search(question))]
    if found:
        return _RULES[min(found)[1]][0]
    for intent, pattern in _RULES:
        if pattern.search(question):
            return intent
    return Intent.OTHER


def intent_words(question: str) -> set[str]:
    """The words of ``question`` that carry its intent (to drop them when reusing its topic)."""
    found: set[str] = set()
    for _, pattern in _RULES:
        for match in pattern.finditer(question):
            found.update(match.group(0).lower().split())
    return found
