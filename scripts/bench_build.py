"""Embedding throughput of a full build, per embedding backend, and against a raw encode.

Usage: python scripts/bench_build.py [--corpus DIR] [--rounds N] [--backends onnx,torch,onnx-int8]
Each round builds from scratch into a temporary folder (no cache) with each backend in turn
(so machine drift hits them alike), and times a raw SentenceTransformer ``encode`` of exactly
the texts the build embeds; prints medians, texts/s and the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from assistant.index.build import build_index
from assistant.index.chunking import chunk_articles
from assistant.index.embedding import SentenceTransformerEmbedder, make_embedder
from assistant.ingest.corpus import load_corpus
from assistant.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backends", default="onnx,torch")
    args = parser.parse_args()
    settings = Settings(corpus_dir=args.corpus)
    variants = {b: settings.model_copy(update={"embedding_backend": b})
                for b in args.backends.split(",")}
    embedders = {b: make_embedder(s) for b, s in variants.items()}
    raw_model = SentenceTransformerEmbedder()
    for e in [*embedders.values(), raw_model]:
        e.embed(["warm up"])
    chunks = chunk_articles(load_corpus(args.corpus), settings.chunk_size, settings.chunk_overlap)
    texts = [c.embed_text for c in chunks] + [s for c in chunks for s in c.sentence_texts()]
    raw: list[float] = []
    embed: dict[str, list[float]] = {b: [] for b in variants}
    total: dict[str, list[float]] = {b: [] for b in variants}
    for _ in range(args.rounds):
        t = time.perf_counter()
        raw_model.model.encode(texts, batch_size=settings.embedding_batch_size,
                               normalize_embeddings=True, convert_to_numpy=True)
        raw.append(time.perf_counter() - t)
        for backend, variant in variants.items():
            with tempfile.TemporaryDirectory() as tmp:
                report = build_index(variant.model_copy(update={"index_dir": Path(tmp) / "i"}),
                                     embedders[backend])
            embed[backend].append(report.embed_seconds)
            total[backend].append(report.seconds)
    r = statistics.median(raw)
    first = statistics.median(next(iter(embed.values())))
    print(f"{len(chunks)} chunks, {len(texts)} texts embedded per build, {args.rounds} rounds")
    print(f"raw torch encode       median {r:6.2f} s  ({len(texts) / r:7.1f} texts/s)")
    for backend in variants:
        o = statistics.median(embed[backend])
        print(f"build embedding {backend:9} median {o:6.2f} s  ({len(texts) / o:7.1f} texts/s), "
              f"full build {statistics.median(total[backend]):6.2f} s, throughput vs "
              f"{next(iter(variants))} {first / o:.2f}x, vs raw torch {r / o:.2f}x")


if __name__ == "__main__":
    main()
