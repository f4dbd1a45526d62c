"""Question sets (``tests/data/eval/*.jsonl``) and their fixed split into tune and check halves.

The split rule, written once and never chosen by looking at questions: within each question
file and category, items are ordered by the SHA-256 of their id and dealt alternately to
``tune`` (1st, 3rd, ...) and ``check`` (2nd, 4th, ...). Weights, thresholds and mechanisms
are chosen on the tune half; the check half says whether they hold.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..errors import AssistantError
from .relevance import read_labels

HALVES = ("tune", "check")


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    category: str
    history: list[str]
    quotes: list[str]
    key_points: list[str]
    should_abstain: bool
    docs: tuple[str, ...] = ()  # the original file names the evidence comes from
    half: str = "tune"
    set_name: str = ""
    relevant: tuple[str, ...] | None = None  # every article sentence that answers it (labels)


def read_items(path: Path) -> list[EvalItem]:
    """The items of one question file, each with its half of the split."""
    items = []
    labels = read_labels(path)
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            evidence = d.get("evidence") or []
            items.append(EvalItem(
                id=str(d["id"]), question=d["question"], category=d.get("category", "other"),
                history=list(d.get("history") or []),
                quotes=[e["quote"] for e in evidence],
                key_points=list(d.get("key_points") or []),
                should_abstain=bool(d.get("should_abstain", False)),
                docs=tuple(dict.fromkeys(str(e.get("doc", "")) for e in evidence)),
                set_name=path.stem, relevant=labels.get(str(d["id"])) if labels else None,
            ))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise AssistantError(f"{path}:{n}: not a question record ({exc}); see "
                                 "tests/data/eval/README.md for the expected fields") from exc
    halves = half_of(items)
    return [EvalItem(**{**item.__dict__, "half": halves[item.id]}) for item in items]


def half_of(items: list[EvalItem]) -> dict[str, str]:
    """id -> "tune" or "check", by the rule in the module docstring."""
    groups: dict[str, list[str]] = defaultdict(list)
    for item in items:
        groups[item.category].append(item.id)
    halves = {}
    for ids in groups.values():
        for i, item_id in enumerate(sorted(ids, key=_digest)):
            halves[item_id] = HALVES[i % 2]
    return halves


def _digest(item_id: str) -> str:
    return hashlib.sha256(item_id.encode("utf-8")).hexdigest()
