"""Lay words people type, mapped to the clinical words articles use.

Consumer health search has always needed this bridge ("blood clot" is "thrombosis" in the
article, "water pills" are "diuretics"); the small embedding model blurs such pairs, so
the keyword side of retrieval gets the article's words added to the question's.
"""

from __future__ import annotations

import re

_LAY_TO_ARTICLE: list[tuple[str, str]] = [
    (r"blood clots?|clotting", "thrombosis deep vein thrombosis dvt"),
    (r"pinched nerves?|trapped nerves?", "nerve compression compress nerves sciatica"),
    (r"slipped discs?|bulging discs?", "herniated disc"),
    (r"blood pressure (medication|medicine|pills?|tablets?|meds|drugs?)|water pills?",
     "hypertension diuretics drugs medications"),
    (r"high blood pressure", "hypertension"),
    (r"low (on )?(potassium)", "hypokalemia potassium deficiency"),
    (r"low (on )?(calcium)", "hypocalcemia calcium deficiency"),
    (r"low on|lacking|not enough|short of|running low", "deficiency deficiencies lack"),
    (r"desk|office job|sitting all day|sit all day|sedentary", "sitting one position sedentary"),
    (r"shoes?|trainers|sneakers|boots", "footwear"),
    (r"at night|in bed|while sleeping|asleep|wake me|waking", "sleep night"),
    (r"pins and needles|tingl\w*", "numbness nerve"),
    (r"charley horses?", "cramp spasm"),
    (r"front of (my|the) thigh", "quadriceps quad"),
    (r"back of (my|the) thigh", "hamstrings"),
    (r"swollen|swelling", "swelling"),
    (r"\bred\b|redness", "redness"),
    (r"warm|hot to the touch", "warmth"),
    (r"tired|exhausted|worn out", "fatigue"),
    (r"salt|salty", "sodium electrolytes"),
    (r"sweat\w*", "sweating fluid loss"),
    (r"painkillers?|pain relievers?", "pain medication over-the-counter"),
    (r"sports? drinks?|electrolyte drinks?", "electrolytes replenish"),
    (r"lead|mercury|heavy metals?", "toxins"),
    (r"older|elderly|old age|aging|ageing", "older age tendons"),
    (r"marathon|running|runner|cycling|training|workouts?", "exercise athletes overuse"),
    (r"hot (weather|day|out)|heat wave|summer", "hot weather heat"),
    (r"pee|urine|kidneys?", "kidney"),
    (r"doctor|gp|physician", "healthcare professional medical"),
    (r"drink\w* (enough )?water|hydrat\w*", "hydration dehydration water"),
    (r"pulled muscle|strain", "strain overuse"),
]
_COMPILED = [(re.compile(rf"\b(?:{lay})\b", re.I), words) for lay, words in _LAY_TO_ARTICLE]


def article_terms(question: str) -> str:
    """Article words for the lay phrases found in ``question`` (empty when none)."""
    return " ".join(words for pattern, words in _COMPILED if pattern.search(question))
