"""The line scorer: the chance that a candidate statement answers the question asked.

A logistic regression over :data:`~.features.FEATURES`, fitted on the tune half of the
question sets' relevance labels by ``scripts/fit_line_model.py`` (scikit-learn, at fit time
only) and shipped as a small versioned JSON file. Serving needs only NumPy. The file also
holds the two bars fitted with it: the chance a line needs to be shown, and the chance the
first line needs (below it the articles are taken not to answer the question).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

import numpy as np

from ..errors import AssistantError
from .features import FEATURES

MODEL_FILE = "line_model.json"
FORMAT = "cramp-line-model/1"
REFIT = "refit it with `python scripts/fit_line_model.py`"


@dataclass(frozen=True)
class KindHead:
    """Which kind of question a sentence answers (a cause, a step to take, a way to
    prevent, a symptom, when to see a doctor, what it is): a multinomial logistic regression
    on the sentence's vector, fitted on the tune half's labelled answers to questions of
    each kind."""

    classes: tuple[str, ...]
    weights: np.ndarray  # (classes, dimension)
    bias: np.ndarray  # (classes,)

    def chance(self, vectors: np.ndarray, kind: str) -> np.ndarray:
        """Per sentence vector, the chance it answers a question of ``kind`` (0 for a kind
        the head does not know)."""
        if kind not in self.classes:
            return np.zeros(len(vectors), np.float32)
        z = vectors @ self.weights.T + self.bias
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return np.asarray(p[:, self.classes.index(kind)] / p.sum(axis=1), np.float32)

    def to_json(self) -> dict[str, object]:
        return {"classes": list(self.classes), "weights": self.weights.tolist(),
                "bias": self.bias.tolist()}

    @classmethod
    def parse(cls, data: dict[str, object]) -> KindHead:
        return cls(tuple(str(c) for c in data["classes"]),  # type: ignore[attr-defined]
                   np.asarray(data["weights"], np.float32), np.asarray(data["bias"], np.float32))


@dataclass(frozen=True)
class LineModel:
    version: str  # names the fit: data, features and library
    features: tuple[str, ...]
    mean: np.ndarray  # feature standardisation, as fitted
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    keep: float  # a line is shown when its chance is at least this
    first: float  # the best line needs at least this, or nothing is shown
    kinds: KindHead | None = None

    @classmethod
    def unfitted(cls, kinds: KindHead | None = None) -> LineModel:
        """Every line an even chance: for computing features before a model is fitted."""
        n = len(FEATURES)
        return cls("unfitted", FEATURES, np.zeros(n, np.float32), np.ones(n, np.float32),
                   np.zeros(n, np.float32), 0.0, 0.5, 0.0, kinds)

    def probability(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.weights + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-z)), np.float32)

    def to_json(self) -> dict[str, object]:
        return {"format": FORMAT, "version": self.version, "features": list(self.features),
                "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "weights": self.weights.tolist(), "bias": self.bias,
                "keep": self.keep, "first": self.first,
                "kinds": self.kinds.to_json() if self.kinds else None}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")


def parse(data: dict[str, object], where: str) -> LineModel:
    """A model from its JSON form; refused when it was fitted for other features."""
    if data.get("format") != FORMAT:
        raise AssistantError(f"{where} is not a {FORMAT} file: {REFIT}")
    features = tuple(str(f) for f in data["features"])  # type: ignore[attr-defined]
    if features != FEATURES:
        raise AssistantError(f"the line model in {where} was fitted for the features "
                             f"{list(features)}, this version computes {list(FEATURES)}: "
                             f"{REFIT}")
    arrays = {k: np.asarray(data[k], np.float32) for k in ("mean", "scale", "weights")}
    if any(a.shape != (len(FEATURES),) for a in arrays.values()):
        raise AssistantError(f"{where} is damaged (wrong sizes): {REFIT}")
    kinds = data.get("kinds")
    return LineModel(str(data["version"]), features, arrays["mean"], arrays["scale"],
                     arrays["weights"], float(data["bias"]),  # type: ignore[arg-type]
                     float(data["keep"]), float(data["first"]),  # type: ignore[arg-type]
                     KindHead.parse(kinds) if isinstance(kinds, dict) else None)


def load_model(path: Path | None = None) -> LineModel:
    """The model in ``path``, or the one shipped with the package."""
    if path is None:
        return _shipped()
    try:
        return parse(json.loads(path.read_text(encoding="utf-8")), str(path))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AssistantError(f"cannot read the line model {path} ({exc}): {REFIT}") from exc


@cache
def _shipped() -> LineModel:
    text = (files("assistant.answer") / MODEL_FILE).read_text(encoding="utf-8")
    return parse(json.loads(text), f"assistant/answer/{MODEL_FILE}")
