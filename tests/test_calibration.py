"""The two cosine bars set on labelled sets of our own wording (not the question sets), with
the real model: a line speaks to what the person says about themselves, and a question is
about something the library never mentions. Each bar must still sort its set."""

from __future__ import annotations

import json

import numpy as np

from assistant.core import Assistant
from assistant.settings import Settings

from .conftest import DATA


def _rows(name: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line]


def test_context_bar_tells_lines_that_speak_to_the_person(embedder) -> None:  # type: ignore[no-untyped-def]
    rows = _rows("context_pairs.jsonl")
    bar = Settings().context_similarity
    right = 0
    for row in rows:
        vecs = embedder.embed([str(row["context"]), str(row["line"])])
        right += (float(vecs[0] @ vecs[1]) >= bar) == row["speaks_to_it"]
    assert right / len(rows) >= 0.9, right


def test_unknown_subject_bar_tells_questions_about_it(assistant: Assistant) -> None:
    """Over our own questions: most that are about something the library never mentions
    are told so, and almost none that merely mention a circumstance ("after hiking")."""
    rows = _rows("unknown_subjects.jsonl")
    bar = Settings().unknown_centrality
    said = []
    for row in rows:
        query = assistant.understand(str(row["question"]))
        central = 0.0
        if query.unknown:
            vecs = assistant.embedder.embed([query.search, *query.unknown])
            central = float(np.max(vecs[1:] @ vecs[0]))
        said.append((central >= bar, bool(row["about_unknown"])))
    right = sum(s == truth for s, truth in said) / len(said)
    wrongly = sum(s and not truth for s, truth in said) / sum(not t for _, t in said)
    assert right >= 0.65 and wrongly <= 0.1, (right, wrongly)
