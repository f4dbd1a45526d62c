"""Fit the line scorer, confirm it on the check half, and ablate its parts.

    python scripts/fit_line_model.py              # fit, write assistant/answer/line_model.json
    python scripts/fit_line_model.py --ablate     # also: each feature and part left out in turn
    python scripts/fit_line_model.py --dry-run    # fit and report, write nothing
    python scripts/fit_line_model.py --cv-written # also: the written set, each fold answered
                                                  # by a model fitted without it

Training questions: the tune half of the question sets (dev, dev_more and library) and our
own written training set (``tests/data/train/written.jsonl``: 360 questions written from the
ten articles, never from the evaluation sets, each with every answering sentence labelled by
the rule of the shared relevance README). The check half is only reported.

- Two kind heads (scikit-learn logistic regressions on MiniLM vectors): which kind of answer
  a sentence gives (fitted on the labelled answers to questions of each category) and which
  kind a question asks for (fitted on the questions' own vectors, by category).
- Training rows are the candidate statements of every training question, on the shipped
  library and on the library grown by tests/data/eval/articles through the real import: a
  row is relevant when the question's label covers it (the eval's own line-precision rule);
  every candidate of an out-of-scope question is not.
- One logistic regression over the standardised features and the pair products. Its
  regularisation is chosen by 5-fold cross-validation over training questions (mean
  average precision of each question's candidates), never on the check half.
- The bar a line needs (its chance at least ``keep``, or at least ``near`` times the best
  line's) is chosen on the tune half by running the real answers,
  maximising the lesser of line precision / 0.85 and key-point coverage / 0.75, plus
  abstention accuracy, with at most 5% false abstentions. The bar the best line needs
  (``first``, below it the articles are taken not to answer) is then raised as far as it
  goes on the tune half without one more false abstention or worse answers.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answer.features import FEATURES  # noqa: E402
from assistant.answer.scorer import MODEL_FILE, KindHead, LineModel, Pair  # noqa: E402
from assistant.core import Assistant  # noqa: E402
from assistant.evaluation import EvalItem, read_items  # noqa: E402
from assistant.evaluation.judge import Judged, evaluate  # noqa: E402
from assistant.evaluation.relevance import is_relevant  # noqa: E402
from assistant.evaluation.report import metrics  # noqa: E402
from assistant.evaluation.scenario import (  # noqa: E402
    Scenario,
    article_files,
    grow_library,
    scenario,
)
from assistant.index.embedding import make_embedder  # noqa: E402
from assistant.index.store import load_index  # noqa: E402
from assistant.settings import Settings  # noqa: E402

EVAL = ROOT / "tests" / "data" / "eval"
WRITTEN = ROOT / "tests" / "data" / "train" / "written.jsonl"
SETS = ("dev", "dev_more", "library")
KEEP = [round(x, 2) for x in np.arange(0.15, 0.96, 0.05)]
NEAR = (1.0, 0.9, 0.8, 0.7)
FIRST = (0.05, 0.1, 0.15, 0.2, 0.25)
C_GRID = (0.0003, 0.001, 0.003, 0.01)
# The kind heads' regularisation: of 0.3, 1, 3, 10 and 30, 10 and 30 tied best in 5-fold
# cross-validation over the training questions (question kind 0.84, sentence kind 0.79).
HEAD_C = 10.0
FOLDS = 5
MAX_FALSE_ABSTENTION = 0.05
TARGETS = (0.85, 0.75)  # line precision, key-point coverage: the issue's aims
KIND_OF = {"causes": "causes", "treatment": "treatment", "prevention": "prevention",
           "symptoms": "symptoms", "see_doctor": "see_doctor", "red_flag": "see_doctor",
           "definition": "definition"}  # question category -> the kind its answers are


class CachedEmbedder:
    """The real embedder, remembering what it embedded (questions repeat across runs)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.cache: dict[str, np.ndarray] = {}
        self.model_id = getattr(inner, "model_id", None)

    def embed(self, texts: Sequence[str], batch_size: int = 64, **kw: Any) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if todo:
            for t, v in zip(todo, self.inner.embed(todo, batch_size=batch_size), strict=True):
                self.cache[t] = np.asarray(v, np.float32)
        return np.vstack([self.cache[t] for t in texts])

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class Rows:
    """The training rows: features, pair products, labels and each row's question."""

    x: np.ndarray
    products: np.ndarray
    y: np.ndarray
    question: np.ndarray

    def __getitem__(self, mask: np.ndarray) -> Rows:
        return Rows(self.x[mask], self.products[mask], self.y[mask], self.question[mask])


def _key(item: EvalItem) -> str:
    return f"{item.set_name}/{item.id}"


def fold_of(key: str) -> int:
    """A question's cross-validation fold, from its key alone."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % FOLDS


def rows(assistant: Assistant, sc: Scenario, items: list[EvalItem]) -> Rows:
    """Every candidate of ``items`` in one library, as training rows."""
    chooser = assistant._composer.chooser
    xs, ps, ys, ids = [], [], [], []
    for item in items:
        if not sc.applies(item):
            continue
        query = assistant.understand(item.question, [(q, "") for q in item.history])
        found = assistant._composer.retriever.score(query)
        units, _, x, products = chooser.features(found, assistant.settings.statement_passages)
        labels = item.relevant or ()
        ys += [0 if item.should_abstain else int(is_relevant(u.text, labels)) for u in units]
        xs.append(x)
        ps.append(products)
        ids += [_key(item)] * len(units)
    return Rows(np.vstack(xs), np.vstack(ps), np.array(ys), np.array(ids))


def head(texts: list[str], kinds: list[str], embedder: Any) -> KindHead:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=HEAD_C, max_iter=5000).fit(embedder.embed(texts), kinds)
    return KindHead(tuple(str(c) for c in model.classes_),
                    model.coef_.astype(np.float32), model.intercept_.astype(np.float32))


def fit_heads(items: list[EvalItem], assistant: Assistant) -> tuple[KindHead, KindHead]:
    """Which kind of answer a sentence gives (the labelled answers to questions of each
    category), and which kind a question asks for (the questions as they are searched)."""
    answers, answer_kinds, questions, question_kinds = [], [], [], []
    for item in items:
        if item.category in KIND_OF and item.relevant:
            answers += list(item.relevant)
            answer_kinds += [KIND_OF[item.category]] * len(item.relevant)
            questions.append(assistant.understand(item.question, []).search)
            question_kinds.append(KIND_OF[item.category])
    embedder = assistant.embedder
    print(f"kind heads: {len(answers)} labelled answers, {len(questions)} questions")
    return head(answers, answer_kinds, embedder), head(questions, question_kinds, embedder)


def fit(data: Rows, keep_features: Sequence[str], base: LineModel, c: float,
        pair: bool = True) -> LineModel:
    """One logistic regression over the standardised features (and pair products)."""
    from sklearn.linear_model import LogisticRegression

    mask = np.array([f in keep_features for f in FEATURES])
    mean, scale = _standardise(data.x)
    z = ((data.x - mean) / scale)[:, mask]
    if pair:
        pmean, pscale = _standardise(data.products)
        z = np.hstack([z, (data.products - pmean) / pscale])
    model = LogisticRegression(C=c, max_iter=5000).fit(z, data.y)
    weights = np.zeros(len(FEATURES))
    weights[mask] = model.coef_[0][:mask.sum()]
    return dataclasses.replace(
        base, mean=mean, scale=scale, weights=weights.astype(np.float32),
        bias=float(model.intercept_[0]),
        pair=Pair(pmean, pscale, model.coef_[0][mask.sum():].astype(np.float32)) if pair
        else None)


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    return mean.astype(np.float32), scale.astype(np.float32)


def cross_validated_c(data: Rows, keep_features: Sequence[str], base: LineModel,
                      pair: bool = True) -> float:
    """The regularisation with the best mean average precision per held-out question."""
    folds = np.array([fold_of(q) for q in data.question])

    def score(c: float) -> float:
        aps = []
        for f in range(FOLDS):
            held = data[folds == f]
            model = fit(data[folds != f], keep_features, base, c, pair)
            aps += question_aps(held, model.probability(held.x, held.products))
        return float(np.mean(aps))

    scores = {c: score(c) for c in C_GRID}
    print("cross-validated mean AP by C:", {c: round(s, 4) for c, s in scores.items()})
    return max(scores, key=scores.__getitem__)


def question_aps(rows: Rows, chance: np.ndarray) -> list[float]:
    """Each question's average precision of its candidates by ``chance`` (questions with a
    relevant candidate): how well the scorer ranks, whatever the bars."""
    from sklearn.metrics import average_precision_score

    return [float(average_precision_score(rows.y[at], chance[at]))
            for at in (rows.question == q for q in np.unique(rows.question)) if rows.y[at].any()]


def figures(model: LineModel, scenarios: list[Scenario], indexes: dict[str, Any],
            embedder: Any, items: list[EvalItem], tmp: Path) -> dict[str, dict[str, float]]:
    """Eval metrics of the real answers with ``model``, per library, on ``items``."""
    path = tmp / "model.json"
    model.save(path)
    out = {}
    for sc in scenarios:
        settings = sc.settings.model_copy(update={"line_model_path": path})
        assistant = Assistant(settings, embedder, indexes[sc.name])
        out[sc.name] = metrics(evaluate(assistant, [i for i in items if sc.applies(i)]))
    return out


def objective(m: dict[str, dict[str, float]]) -> float:
    """How far the answers get towards both targets at once (line precision 0.85, key
    points 0.75: the lesser share counts), plus abstention accuracy; at most 5% false
    abstentions."""
    if any(v["false_abstention"] > MAX_FALSE_ABSTENTION for v in m.values()):
        return -1.0
    return float(np.mean([min(v["line_precision"] / TARGETS[0], v["key_point_coverage"]
                              / TARGETS[1]) + v["abstention_accuracy"] for v in m.values()]))


Run = Callable[[LineModel], dict[str, dict[str, float]]]


def choose_bars(model: LineModel, run: Run) -> LineModel:
    """``keep`` and ``near`` on the tune half, then the highest ``first`` that makes no more
    false abstentions there than none does (abstaining wrongly is worse than answering a
    question the articles do not cover with loosely related lines) and no worse answers."""
    keep, near = max(((k, n) for k in KEEP for n in NEAR),
                     key=lambda b: objective(run(model.with_bars(b[0], 0.0, b[1]))))
    chosen = model.with_bars(keep, 0.0, near)
    figures = run(chosen)
    for first in FIRST:
        trial = model.with_bars(keep, first, near)
        m = run(trial)
        if any(m[k]["false_abstention"] > figures[k]["false_abstention"] for k in m) or \
                objective(m) < objective(figures):
            break
        chosen = trial
    return chosen


def table(m: dict[str, dict[str, float]]) -> str:
    keys = ("line_precision", "key_point_coverage", "lines_per_answer", "abstention_accuracy",
            "false_abstention")
    return " | ".join(f"{name.split(' (')[0]}: " + " / ".join(f"{v[k]:.3f}" for k in keys)
                      for name, v in m.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ablate", action="store_true", help="also leave out each part")
    parser.add_argument("--dry-run", action="store_true", help="write no model file")
    parser.add_argument("--cv-written", action="store_true", help="also report the written "
                        "set, each fold answered by a model fitted without it")
    args = parser.parse_args()
    items = [i for name in SETS for i in read_items(EVAL / f"{name}.jsonl")]
    tune = [i for i in items if i.half == "tune"]
    check = [i for i in items if i.half == "check"]
    written = read_items(WRITTEN)
    base = Settings()
    embedder = CachedEmbedder(make_embedder(base))
    with tempfile.TemporaryDirectory(prefix="cramp-fit-") as tmp_name:
        tmp = Path(tmp_name)
        grown = grow_library(base, article_files([EVAL / "articles"]), tmp / "grown", embedder)
        scenarios = [scenario("shipped", base), scenario("grown", grown)]
        indexes = {sc.name: load_index(sc.settings.index_dir, sc.settings) for sc in scenarios}

        def assistant_with(model: LineModel, sc: Scenario) -> Assistant:
            model.save(tmp / "features.json")
            settings = sc.settings.model_copy(update={"line_model_path": tmp / "features.json"})
            return Assistant(settings, embedder, indexes[sc.name])

        def training(train: list[EvalItem]) -> tuple[LineModel, Rows]:
            """The heads fitted on ``train``; its rows, each fold's kind features computed by
            heads fitted without that fold (cross-fitting: a head's answers on the questions
            it was fitted on would look better than they will on new ones)."""
            plain = assistant_with(LineModel.unfitted(), scenarios[0])
            parts = []
            for f in range(FOLDS):
                inside = [i for i in train if fold_of(_key(i)) == f]
                heads = fit_heads([i for i in train if fold_of(_key(i)) != f], plain)
                parts += [rows(assistant_with(LineModel.unfitted(*heads), sc), sc, inside)
                          for sc in scenarios]
            unfitted = LineModel.unfitted(*fit_heads(train, plain))
            data = Rows(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                          ("x", "products", "y", "question")))
            print(f"training rows: {len(data.y)} ({int(data.y.sum())} relevant) from "
                  f"{len(train)} questions, features: {len(FEATURES)} and the pair products")
            return unfitted, data

        def run_on(subset: list[EvalItem]) -> Run:
            return lambda m: figures(m, scenarios, indexes, embedder, subset, tmp)

        chosen: dict[str, float] = {}

        def fitted(base_model: LineModel, data: Rows, features: Sequence[str] = FEATURES,
                   pair: bool = True) -> LineModel:
            c = cross_validated_c(data, features, base_model, pair)
            chosen["c"] = c
            return choose_bars(fit(data, features, base_model, c, pair), run_on(tune))

        unfitted, data = training(tune + written)
        model = fitted(unfitted, data)
        digest = hashlib.sha256(data.x.tobytes() + data.y.tobytes()).hexdigest()[:12]
        model = dataclasses.replace(model, version=f"train-{digest}")
        print(f"bars: keep {model.keep}, near {model.near}, first {model.first}")
        print("weights (standardised):", json.dumps(
            {f: round(float(w), 3) for f, w in zip(FEATURES, model.weights, strict=True)}))
        print("columns: line precision / key points / lines per answer / abstention / false "
              "abstention")
        print("tune: ", table(run_on(tune)(model)))
        print("check:", table(run_on(check)(model)))
        if not args.dry_run:
            model.save(ROOT / "assistant" / "answer" / MODEL_FILE)
            print(f"wrote assistant/answer/{MODEL_FILE} ({model.version})")
        if args.cv_written:
            print("written (cross-fitted):", table(written_cv(
                model, chosen["c"], data, written, scenarios, indexes, embedder, tmp)))
        if args.ablate:
            def ranking(m: LineModel) -> str:
                aps = []
                for sc in scenarios:
                    r = rows(assistant_with(m, sc), sc, check)
                    aps.append(np.mean(question_aps(r, m.probability(r.x, r.products))))
                return " / ".join(f"{a:.3f}" for a in aps)

            ablate(model, chosen["c"], unfitted, data, training, fitted, run_on(check),
                   run_on(tune), tune, ranking)


def written_cv(model: LineModel, c: float, data: Rows, written: list[EvalItem],
               scenarios: list[Scenario], indexes: dict[str, Any], embedder: Any, tmp: Path
               ) -> dict[str, dict[str, float]]:
    """The written set's figures, each fold's questions answered by a model fitted (same
    regularisation and bars) without that fold: a larger measure than the check half, of
    questions written the way the training set was, never seen by the model answering."""
    judged: dict[str, Judged] = {sc.name: Judged() for sc in scenarios}
    folds = np.array([fold_of(q) for q in data.question])
    for f in range(FOLDS):
        held = fit(data[folds != f], FEATURES, model, c).with_bars(model.keep, model.first,
                                                                   model.near)
        held.save(tmp / "held.json")
        for sc in scenarios:
            settings = sc.settings.model_copy(update={"line_model_path": tmp / "held.json"})
            assistant = Assistant(settings, embedder, indexes[sc.name])
            part = evaluate(assistant, [i for i in written if fold_of(_key(i)) == f
                                        and sc.applies(i)])
            judged[sc.name].retrieval += part.retrieval
            judged[sc.name].answers += part.answers
    return {name: metrics(j) for name, j in judged.items()}


def ablate(model: LineModel, c: float, unfitted: LineModel, data: Rows,
           training: Callable[[list[EvalItem]], tuple[LineModel, Rows]],
           fitted: Callable[..., LineModel], run: Run, run_tune: Run,
           tune: list[EvalItem], ranking: Callable[[LineModel], str]) -> None:
    """Each part left out in turn and the model refitted, its ``keep`` bar rechosen on the
    tune half (the regularisation and the other bars as fitted with everything: a full
    refit of every row would take hours); check-half figures, then the check half's mean
    average precision of the candidates (how well the scorer ranks, whatever the bar: the
    bar chosen on 44 + 59 tune questions moves the other figures as much as a feature)."""
    def row(name: str, m: LineModel) -> None:
        print(f"| {name} | {table(run(m))} | {ranking(m)} |", flush=True)

    def refit(features: Sequence[str], pair: bool = True) -> LineModel:
        bare = fit(data, features, unfitted, c, pair)
        keep = max(KEEP, key=lambda k: objective(run_tune(bare.with_bars(k, model.first,
                                                                          model.near))))
        return bare.with_bars(keep, model.first, model.near)

    print("\n| left out | check: line precision / key points / lines / abstention / false "
          "abstention | check mean AP, shipped / grown |")
    row("nothing", model)
    base, tune_data = training(tune)
    row("written training set", fitted(base, tune_data))
    row("pair products", refit(FEATURES, pair=False))
    for f in FEATURES:
        row(f, refit([g for g in FEATURES if g != f]))


if __name__ == "__main__":
    main()
