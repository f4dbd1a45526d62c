"""Library scenarios: the shipped library as it is, and the same library grown by articles
added through the real import and a rebuild — the way an admin grows it."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import AssistantError
from ..settings import Settings
from .items import EvalItem
from .judge import Judged, evaluate
from .report import EvalReport


@dataclass(frozen=True)
class Scenario:
    """A library to evaluate on, and the original files its articles were imported from."""

    name: str
    settings: Settings
    originals: frozenset[str]

    def applies(self, item: EvalItem) -> bool:
        """Out-of-scope questions apply everywhere; others where their evidence was imported."""
        return (item.should_abstain or not self.originals
                or all(doc in self.originals for doc in item.docs))


def scenario(name: str, settings: Settings) -> Scenario:
    from ..ingest.corpus import load_corpus

    articles = load_corpus(settings.corpus_dir)
    originals = frozenset(a.original_file for a in articles if a.original_file)
    return Scenario(f"{name} ({len(articles)} articles)", settings, originals)


def grow_library(settings: Settings, articles: Sequence[Path], workdir: Path,
                 embedder: Any) -> Settings:
    """A copy of the library in ``workdir`` with ``articles`` imported and the index rebuilt.

    The index is copied too, so only the new articles' passages are embedded.
    """
    from ..index.build import build_index
    from ..ingest.corpus import add_articles, format_report

    grown = settings.model_copy(update={"corpus_dir": workdir / "corpus",
                                        "index_dir": workdir / "index"})
    shutil.copytree(settings.corpus_dir, grown.corpus_dir)
    if settings.index_dir.is_dir():
        shutil.copytree(settings.index_dir, grown.index_dir)
    results = add_articles(articles, grown)
    if any(r.status != "added" for r in results):
        raise AssistantError("the library scenario could not import every article:\n"
                             + format_report(results))
    build_index(grown, embedder)
    return grown


def article_files(paths: Sequence[Path]) -> list[Path]:
    """Files named directly, and the importable files inside named folders."""
    from ..ingest.readers import SUPPORTED

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix.lower() in SUPPORTED)
        else:
            files.append(path)
    return files


def run_scenarios(scenarios: Sequence[Scenario], items: Sequence[EvalItem], embedder: Any,
                  answers: bool = True) -> dict[str, Judged]:
    """Judge every item that applies to each scenario, with one shared embedder."""
    from ..core import Assistant

    out = {}
    for sc in scenarios:
        assistant = Assistant.load(settings=sc.settings, embedder=embedder)
        out[sc.name] = evaluate(assistant, [i for i in items if sc.applies(i)], answers)
    return out


def evaluate_library(settings: Settings, items: Sequence[EvalItem], embedder: Any,
                     grow_with: Sequence[Path] = (), answers: bool = True) -> EvalReport:
    """Judge ``items`` on the library in ``settings`` and, when ``grow_with`` names articles,
    on a temporary copy grown by them (the copy is deleted afterwards)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cramp-eval-") as tmp:
        scenarios = [scenario("shipped library", settings)]
        if grow_with:
            grown = grow_library(settings, article_files(grow_with), Path(tmp), embedder)
            scenarios.append(scenario("grown library", grown))
        return EvalReport(run_scenarios(scenarios, items, embedder, answers))
