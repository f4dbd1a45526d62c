"""The line scorer: the chance that a candidate statement answers the question asked.

A logistic regression over :data:`~.features.FEATURES` and the question-statement pair's
vector product (a learnt weighting of the cosine: which directions of meaning matter for
"answers" rather than "is about the same thing"), fitted by ``scripts/fit_line_model.py``
(scikit-learn, at fit time only) on the relevance labels of the tune half and of our own
written training set (``tests/data/train``), and shipped as a small versioned JSON file.
Serving needs only NumPy. The file also holds two small kind heads (which kind of answer a
sentence gives, which kind of answer a question asks for) and the two bars fitted with the
model: the chance a line needs to be shown, and the chance the first line needs (below it
the articles are taken not to answer the question).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import cache
from importlib.resources import files
from pathlib import Path

import numpy as np

from ..errors import AssistantError
from .features import FEATURES

MODEL_FILE = "line_model.json"
FORMAT = "cramp-line-model/2"
REFIT = "refit it with `python scripts/fit_line_model.py`"


@dataclass(frozen=True)
class KindHead:
    """Which kind of answer a text is about (a cause, a step to take, a way to prevent, a
    symptom, when to see a doctor, what it is): a multinomial logistic regression on the
    text's vector. One head reads sentences (fitted on the labelled answers to questions of
    each kind), another reads questions (fitted on the questions, by their category)."""

    classes: tuple[str, ...]
    weights: np.ndarray  # (classes, dimension)
    bias: np.ndarray  # (classes,)

    def distribution(self, vectors: np.ndarray) -> np.ndarray:
        """(len(vectors), classes): each vector's chance of each kind."""
        z = np.asarray(vectors, np.float32) @ self.weights.T + self.bias
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return np.asarray(p / p.sum(axis=1, keepdims=True), np.float32)

    def chance(self, vectors: np.ndarray, kind: str) -> np.ndarray:
        """Per vector, the chance it is of ``kind`` (0 for a kind the head does not know)."""
        if kind not in self.classes:
            return np.zeros(len(vectors), np.float32)
        return self.distribution(vectors)[:, self.classes.index(kind)]

    def to_json(self) -> dict[str, object]:
        return {"classes": list(self.classes), "weights": self.weights.tolist(),
                "bias": self.bias.tolist()}

    @classmethod
    def parse(cls, data: dict[str, object]) -> KindHead:
        return cls(tuple(str(c) for c in data["classes"]),  # type: ignore[attr-defined]
                   np.asarray(data["weights"], np.float32), np.asarray(data["bias"], np.float32))


@dataclass(frozen=True)
class Pair:
    """The question-statement pair's part of the score: a weight per dimension of the
    element-wise product of the two unit vectors (their cosine, dimension by dimension),
    standardised as fitted. With equal weights it would be the cosine; fitted, it learns
    which directions of meaning tell an answer from a sentence that is merely on topic."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray

    def logit(self, products: np.ndarray) -> np.ndarray:
        return np.asarray(((products - self.mean) / self.scale) @ self.weights, np.float32)

    def to_json(self) -> dict[str, object]:
        return {k: getattr(self, k).tolist() for k in ("mean", "scale", "weights")}

    @classmethod
    def parse(cls, data: dict[str, object]) -> Pair:
        arrays = [np.asarray(data[k], np.float32) for k in ("mean", "scale", "weights")]
        if len({a.shape for a in arrays}) != 1 or arrays[0].ndim != 1:
            raise ValueError("pair arrays of different sizes")
        return cls(*arrays)


@dataclass(frozen=True)
class LineModel:
    version: str  # names the fit: data, features and library
    features: tuple[str, ...]
    mean: np.ndarray  # feature standardisation, as fitted
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    keep: float  # a line is shown when its chance is at least this...
    first: float  # the best line needs at least this, or nothing is shown
    kinds: KindHead | None = None  # the kind of answer a sentence gives
    asks: KindHead | None = None  # the kind of answer a question asks for
    pair: Pair | None = None
    #: ...or at least this share of the best line's chance: where many lines answer (the
    #: causes of night cramps), each is less certain, and the answer should not thin out.
    near: float = 1.0

    @classmethod
    def unfitted(cls, kinds: KindHead | None = None, asks: KindHead | None = None
                 ) -> LineModel:
        """Every line an even chance: for computing features before a model is fitted."""
        n = len(FEATURES)
        return cls("unfitted", FEATURES, np.zeros(n, np.float32), np.ones(n, np.float32),
                   np.zeros(n, np.float32), 0.0, 0.5, 0.0, kinds, asks)

    def probability(self, x: np.ndarray, products: np.ndarray | None = None) -> np.ndarray:
        """The chance of each row of features ``x`` (and of its pair ``products``)."""
        z = ((x - self.mean) / self.scale) @ self.weights + self.bias
        if self.pair is not None and products is not None and len(products):
            z = z + self.pair.logit(products)
        return np.asarray(1.0 / (1.0 + np.exp(-z)), np.float32)

    def with_bars(self, keep: float, first: float, near: float = 1.0) -> LineModel:
        return replace(self, keep=keep, first=first, near=near)

    def bar(self, best: float) -> float:
        """The chance a line needs when the likeliest line has ``best``."""
        return min(self.keep, self.near * best)

    def to_json(self) -> dict[str, object]:
        return {"format": FORMAT, "version": self.version, "features": list(self.features),
                "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "weights": self.weights.tolist(), "bias": self.bias,
                "keep": self.keep, "first": self.first, "near": self.near,
                "kinds": self.kinds.to_json() if self.kinds else None,
                "asks": self.asks.to_json() if self.asks else None,
                "pair": self.pair.to_json() if self.pair else None}

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
    kinds, asks, pair = (data.get(k) for k in ("kinds", "asks", "pair"))
    return LineModel(str(data["version"]), features, arrays["mean"], arrays["scale"],
                     arrays["weights"], float(data["bias"]),  # type: ignore[arg-type]
                     float(data["keep"]), float(data["first"]),  # type: ignore[arg-type]
                     KindHead.parse(kinds) if isinstance(kinds, dict) else None,
                     KindHead.parse(asks) if isinstance(asks, dict) else None,
                     Pair.parse(pair) if isinstance(pair, dict) else None,
                     float(data.get("near", 1.0)))  # type: ignore[arg-type]


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
