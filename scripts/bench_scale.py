"""Scale benchmark: synthetic libraries of 10k, 100k and 1M passages through the real code.

Usage: python scripts/bench_scale.py [--sizes 10000,100000,1000000] [--json FILE] [--work DIR]

Per size, each step in a fresh process (so peak RSS is that step's own):
1. generate: a corpus of synthetic articles (10 one-passage sections each; words drawn with
   Zipf frequencies from the shipped articles' vocabulary plus invented words, so the
   vocabulary grows with the library as real text does), built by the real `build_index`
   with a *synthetic embedder*: vectors are random, drawn from a Gaussian with the mean and
   covariance of the shipped library's real MiniLM vectors, then normalized. No text is
   embedded by the model here: embedding a million passages would take days on this machine.
2. serve: `Assistant.load` (load_s), then search (k=5) and ask for the dev questions, each
   round interleaved with one real single-query embedding (embed_p50_ms); peak RSS.
3. recall: recall@10 of the index's FAISS search against exact search, for the real
   embeddings of the dev questions (and an ef_search sweep when the index is HNSW).
4. add one: a real article is added to the corpus and the real build (real model, warm)
   updates the index: add_one_s, of which add_one_embed_s embedding.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
QUESTION_FILES = [ROOT / "tests/data/eval/dev.jsonl", ROOT / "tests/data/eval/dev_more.jsonl"]
NEW_ARTICLE = ROOT / "tests/data/eval/articles/nhsinform_leg_cramps.md"
SECTIONS = 10  # one passage each


def _settings(work: Path) -> object:
    from assistant.settings import Settings

    return Settings(corpus_dir=work / "corpus", index_dir=work / "index")


def _questions() -> list[str]:
    from assistant.evaluation import read_items

    return [i.question for f in QUESTION_FILES for i in read_items(f)]


class SyntheticEmbedder:
    """Random unit vectors shaped like the shipped library's real MiniLM vectors."""

    model_id = "synthetic"

    def __init__(self, seed: int = 0) -> None:
        from assistant.index.store import SENTENCE_VECTORS, VECTORS

        real = np.concatenate([np.load(ROOT / "index" / VECTORS),
                               np.load(ROOT / "index" / SENTENCE_VECTORS).astype(np.float32)])
        self.mean = real.mean(axis=0)
        values, vectors = np.linalg.eigh(np.cov(real, rowvar=False))
        self.factor = (vectors * np.sqrt(np.clip(values, 0, None))).astype(np.float32)
        self.rng = np.random.default_rng(seed)

    @property
    def dimension(self) -> int:
        return len(self.mean)

    def embed(self, texts: list[str], batch_size: int = 64,
              show_progress: bool = False) -> np.ndarray:
        z = self.rng.standard_normal((len(texts), len(self.mean)), dtype=np.float32)
        x = self.mean + z @ self.factor.T
        return x / np.linalg.norm(x, axis=1, keepdims=True)


def _vocabulary(passages: int, rng: np.random.Generator) -> list[str]:
    """The shipped articles' words, most frequent first, then invented ones: about as many
    distinct words as Heaps' law gives English text of this length."""
    from collections import Counter

    from assistant.textutil import normalize

    counts = Counter(w for p in (ROOT / "corpus").glob("*.md")
                     for w in normalize(p.read_text(encoding="utf-8")).split())
    words = [w for w, _ in counts.most_common()]
    target = int(40 * (passages * 90) ** 0.5)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lengths = rng.integers(4, 11, target)
    invented = ["".join(rng.choice(letters, n)) for n in lengths[: max(target - len(words), 0)]]
    return words + invented


def generate(work: Path, passages: int) -> dict[str, float]:
    """Write the synthetic corpus and build its index with the real build."""
    from assistant.index.build import build_index

    rng = np.random.default_rng(passages)
    words = _vocabulary(passages, rng)
    cdf = np.cumsum(1.0 / np.arange(1, len(words) + 1) ** 1.07)
    cdf /= cdf[-1]
    corpus = work / "corpus"
    corpus.mkdir(parents=True)
    t = time.perf_counter()
    for a in range(passages // SECTIONS):
        draws = np.searchsorted(cdf, rng.random(2000)).tolist()
        lengths = rng.integers(8, 22, 100).tolist()
        parts = [f"---\ntitle: Synthetic article {a}\n---\n# Synthetic article {a}\n"]
        for s in range(SECTIONS):
            text = ""
            while len(text) < 450:  # sentences until the passage is 450-650 characters
                n = lengths.pop()
                sentence = " ".join(words[draws.pop()] for _ in range(n))
                if len(text) + len(sentence) > 650:
                    break
                text += sentence[0].upper() + sentence[1:] + ". "
            parts.append(f"## Section {s} {words[draws.pop()]}\n\n{text.strip()}\n")
        (corpus / f"synthetic-{a:07d}.md").write_text("\n".join(parts), encoding="utf-8")
    written = time.perf_counter() - t
    report = build_index(_settings(work), SyntheticEmbedder())  # type: ignore[arg-type]
    return {"write_corpus_s": written, "build_s": report.seconds, "chunks": report.chunks}


def serve(work: Path, rounds: int) -> dict[str, float]:
    from assistant.core import Assistant
    from assistant.index.embedding import make_embedder

    settings = _settings(work)
    embedder = make_embedder(settings)  # type: ignore[arg-type]
    embedder.embed(["load the model first: load_s is the index alone"])
    t = time.perf_counter()
    a = Assistant.load(settings=settings, embedder=embedder, allow_stale=True)  # type: ignore[arg-type]
    load_s = time.perf_counter() - t
    questions = _questions()
    for q in questions[:5]:
        a.ask(q)
    times: dict[str, list[float]] = {"embed": [], "search": [], "ask": []}
    calls = {"embed": lambda q: embedder.embed([q]), "search": lambda q: a.search(q, k=5),
             "ask": a.ask}
    for _ in range(rounds):  # call types take turns, so machine drift hits them alike
        for q in questions:
            for name, fn in calls.items():
                t = time.perf_counter()
                fn(q)
                times[name].append((time.perf_counter() - t) * 1000)
    out = {"load_s": load_s, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
           / 1024, "index_type": a.index.manifest["index"]["type"]}
    for name, values in times.items():
        out[f"{name}_p50_ms"] = statistics.median(values)
        out[f"{name}_p95_ms"] = sorted(values)[int(0.95 * (len(values) - 1))]
    return out


def recall(work: Path) -> dict[str, object]:
    from assistant.index.embedding import make_embedder
    from assistant.index.store import load_index

    settings = _settings(work)
    index = load_index(settings.index_dir, settings)  # type: ignore[attr-defined]
    queries = make_embedder(settings).embed(_questions())  # type: ignore[arg-type]
    sims = np.full((len(queries), 10), -np.inf, np.float32)
    exact = np.zeros((len(queries), 10), np.int64)
    for start in range(0, len(index.vectors), 200_000):  # exact top 10, a block at a time
        block = np.asarray(index.vectors[start : start + 200_000]) @ queries.T
        both_s = np.concatenate([sims, block.T], axis=1)
        both_i = np.concatenate([exact, start + np.arange(len(block))[None, :].repeat(
            len(queries), 0)], axis=1)
        best = np.argsort(-both_s, axis=1)[:, :10]
        sims, exact = np.take_along_axis(both_s, best, 1), np.take_along_axis(both_i, best, 1)
    faiss_index = index.faiss_index
    sweep = {}
    for ef in ([64, 128, 256, 512] if hasattr(faiss_index, "hnsw") else [0]):
        if ef:
            faiss_index.hnsw.efSearch = ef
        t = time.perf_counter()
        found = np.stack([faiss_index.search(q[None, :], 10)[1][0] for q in queries])
        ms = (time.perf_counter() - t) * 1000 / len(queries)
        hits = [len(set(f) & set(e)) / 10 for f, e in zip(found, exact, strict=True)]
        sweep[ef] = (float(np.mean(hits)), ms)
    ef = settings.hnsw_ef_search if hasattr(faiss_index, "hnsw") else 0  # type: ignore[attr-defined]
    return {"recall_at_10": sweep[ef][0], "ef_sweep": {str(k): v for k, v in sweep.items()}}


def add_one(work: Path) -> dict[str, float]:
    from assistant.index.build import build_index
    from assistant.index.embedding import make_embedder

    settings = _settings(work)
    embedder = make_embedder(settings)  # type: ignore[arg-type]
    embedder.embed(["warm: the app's model is loaded when an admin rebuilds"])
    # A new name each time, so a reused library gets a new article too.
    target = settings.corpus_dir / f"added-{time.time_ns()}.md"  # type: ignore[attr-defined]
    shutil.copy(NEW_ARTICLE, target)
    report = build_index(settings, embedder)  # type: ignore[arg-type]
    return {"add_one_s": report.seconds, "add_one_embed_s": report.embed_seconds,
            "add_one_embedded": report.embedded}


def _step(step: str, work: Path, *extra: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, __file__, "--step", step, "--work", str(work), *extra],
                         check=True, stdout=subprocess.PIPE, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--work", type=Path, default=Path("/tmp/cramp-bench-scale"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated libraries")
    parser.add_argument("--reuse", action="store_true",
                        help="measure a library kept by an earlier --keep run instead of "
                             "generating it again (its build_s is then not reported)")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        steps = {"generate": lambda: generate(args.work, args.size),
                 "serve": lambda: serve(args.work, args.rounds),
                 "recall": lambda: recall(args.work), "add": lambda: add_one(args.work)}
        print(json.dumps(steps[args.step]()))
        return
    print("Synthetic libraries: real build, load, keyword index, search and ask; passage and "
          "sentence vectors are random (Gaussian shaped like the shipped library's MiniLM "
          "vectors), not embeddings of the text. Query embeddings are real. "
          f"Machine: {os.cpu_count()} cores, shared.", flush=True)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        work = args.work / str(size)
        reuse = args.reuse and (work / "index" / "manifest.json").is_file()
        if not reuse:
            shutil.rmtree(work, ignore_errors=True)
        row: dict[str, object] = {"passages": size, "reused_library": reuse, "build_s": None}
        steps = [("serve", ["--rounds", str(args.rounds)]), ("recall", []), ("add", [])]
        for step, extra in ([] if reuse else [("generate", ["--size", str(size)])]) + steps:
            row.update(_step(step, work, *extra))
            print(f"  {size}: {step} done {json.dumps(row)}", flush=True)
        rows.append(row)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    _table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


def _table(rows: list[dict[str, object]]) -> None:
    cols = ["passages", "index_type", "load_s", "peak_rss_mb", "search_p50_ms", "search_p95_ms",
            "ask_p50_ms", "ask_p95_ms", "embed_p50_ms", "recall_at_10", "add_one_s",
            "add_one_embed_s", "build_s"]
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for row in rows:
        cells = [f"{row.get(c):.3g}" if isinstance(row.get(c), float) else str(row.get(c))
                 for c in cols]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
