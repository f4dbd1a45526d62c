"""Ablation tables: each answer mechanism switched off in turn, on both halves of the
question sets, on the shipped library and on a copy grown by more articles.

    python scripts/ablate.py                      # every mechanism, check half and tune half
    python scripts/ablate.py --only subject_lines,line_bar

A mechanism is kept only if switching it off makes the check half or the grown library
worse. The line scorer's own features are ablated by ``scripts/fit_line_model.py
--ablate`` (each left out and the model refitted). Tried, measured and removed: the share of
the subject a statement names in its score, lexical abstention evidence, the statement
re-ranking of passages and the generic-statement penalty (both now features of the line
scorer), word families,
muted signposts, an amount check in abstention, centred vectors.

Figures are retrieval hit@1 / MRR@10 and answer line precision, lines per answer, key-point
coverage, abstention accuracy and false abstention; one run, one machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.core import Assistant  # noqa: E402
from assistant.evaluation import read_items  # noqa: E402
from assistant.evaluation.judge import evaluate  # noqa: E402
from assistant.evaluation.report import metrics  # noqa: E402
from assistant.evaluation.scenario import article_files, grow_library, scenario  # noqa: E402
from assistant.index.embedding import make_embedder  # noqa: E402
from assistant.index.store import load_index  # noqa: E402
from assistant.settings import Settings  # noqa: E402

EVAL = ROOT / "tests" / "data" / "eval"
# mechanism -> the setting that switches it off
OFF: dict[str, dict[str, object]] = {
    "correct_spelling": {"correct_spelling": False},
    "term_bridges": {"term_bridges": False},
    "question_parts": {"question_parts": False},
    "subject_in_search": {"subject_weight": 0.0},
    "line_bar": {"line_keep": 0.0, "line_first": 0.0},  # every line up to the most lines
    "near_bar": {"line_near": 1.0},  # only lines at the fixed bar (or the best alone)
    "first_line_bar": {"line_first": 0.0},  # answer whenever a sentence is close enough
    "subject_lines": {"subject_lines": False},
    "subject_lines_share": {"subject_lines_share": 0.0},  # any line naming the subject wins
    "part_share": {"part_share": 0.0},  # each part's closest line, however unlikely
    "unknown_subjects": {"unknown_centrality": 1.0},  # never "our articles don't mention X"
}
# mechanisms tried and left off by default: "with" switches them on
ON: dict[str, dict[str, object]] = {}
SHOWN = ("hit@1", "mrr@10", "line_precision", "lines_per_answer", "key_point_coverage",
         "abstention_accuracy", "false_abstention")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated mechanisms (default: all)")
    parser.add_argument("--halves", default="check,tune")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else [*OFF, *ON]
    items = [i for f in ("dev", "dev_more", "library") for i in read_items(EVAL / f"{f}.jsonl")]
    base = Settings()
    embedder = make_embedder(base)
    with tempfile.TemporaryDirectory(prefix="cramp-ablate-") as tmp:
        grown = grow_library(base, article_files([EVAL / "articles"]), Path(tmp), embedder)
        scenarios = [scenario("shipped", base), scenario("grown", grown)]
        indexes = {sc.name: load_index(sc.settings.index_dir, sc.settings) for sc in scenarios}

        def figures(update: dict[str, object], half: str) -> list[str]:
            cells = []
            for sc in scenarios:
                assistant = Assistant(sc.settings.model_copy(update=update), embedder,
                                      indexes[sc.name])
                chosen = [i for i in items if i.half == half and sc.applies(i)]
                m = metrics(evaluate(assistant, chosen))
                cells += [f"{m.get(k, float('nan')):.3f}" for k in SHOWN]
            return cells

        for half in args.halves.split(","):
            print(f"\n## {half} half — columns: " + ", ".join(SHOWN)
                  + " (shipped library, then grown library)")
            print("| mechanism | " + " | ".join([f"{s[:6]} {k}" for s in ("ship", "grown")
                                                for k in SHOWN]) + " |")
            print("|---" * (1 + 2 * len(SHOWN)) + "|")
            print("| all on (default) | " + " | ".join(figures({}, half)) + " |")
            for name in names:
                if name in OFF:
                    print(f"| without {name} | " + " | ".join(figures(OFF[name], half)) + " |")
                else:
                    print(f"| with {name} | " + " | ".join(figures(ON[name], half)) + " |")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
