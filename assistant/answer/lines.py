"""The fixed lines of an answer: everything an answer says that is not an article's sentence.

They are product wording, written once here; the evaluation reads :data:`FIXED_LINES` and
:data:`FIXED_OPENINGS` to tell them from cited statements.
"""

from __future__ import annotations

from . import policy

NOTICE = ("_Not medical advice: this summarises the library's articles. "
          "See a doctor about anything that worries you._")
EMERGENCY = ("**⚠ Chest pain, trouble breathing or fainting can be an emergency: call your "
             "local emergency number now.** Our articles do not cover this.")
NOT_COVERED = "Our articles don't cover that."
NOT_MENTIONED = "Our articles don't mention {what}."
NOT_ENGLISH = ("The articles are in English, and I can only search them in English: please "
               "ask your question in English.")
COVERAGE = ("They cover leg and thigh cramps: causes, symptoms, treatment, prevention and "
            "when to see a doctor.")
GET_HELP = "**Get medical help promptly** — you mention {signs}. The articles say:"
DOCTOR_FIRST = "**See a doctor** — you mention {signs}. The articles advise:"
ALSO = "The articles also say:"
NOT_SPECIFIC = ("The articles don't say anything specific about {context}; this is what they "
                "say in general.")
FIXED_LINES = frozenset([NOTICE, EMERGENCY, NOT_COVERED, NOT_ENGLISH, COVERAGE, ALSO,
                         policy.DOSE, policy.PERSONAL])
FIXED_OPENINGS = ("**See a doctor**", "**Get medical help", "**⚠", "The articles don't say",
                  "Our articles don't mention")
