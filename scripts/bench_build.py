"""Embedding throughput of a full build against raw SentenceTransformer.encode on the same texts.

Usage: python scripts/bench_build.py [--corpus DIR] [--rounds N]
Each round builds from scratch into a temporary folder (no cache), and times a raw
``encode`` of exactly the texts the build embeds; prints medians and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from assistant.index.build import build_index
from assistant.index.chunking import chunk_articles
from assistant.index.embedding import SentenceTransformerEmbedder
from assistant.ingest.corpus import load_corpus
from assistant.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    embedder = SentenceTransformerEmbedder()
    embedder.embed(["warm up"])
    settings = Settings(corpus_dir=args.corpus)
    chunks = chunk_articles(load_corpus(args.corpus), settings.chunk_size, settings.chunk_overlap)
    texts = [c.embed_text for c in chunks] + [s for c in chunks for s in c.sentence_texts()]
    raw, ours, total = [], [], []
    for _ in range(args.rounds):
        t = time.perf_counter()
        embedder.model.encode(texts, batch_size=settings.embedding_batch_size,
                              normalize_embeddings=True, convert_to_numpy=True)
        raw.append(time.perf_counter() - t)
        with tempfile.TemporaryDirectory() as tmp:
            report = build_index(settings.model_copy(update={"index_dir": Path(tmp) / "i"}),
                                 embedder)
        ours.append(report.embed_seconds)
        total.append(report.seconds)
    r, o = statistics.median(raw), statistics.median(ours)
    print(f"{len(chunks)} chunks, {len(texts)} texts embedded per build, {args.rounds} rounds")
    print(f"raw encode        median {r:6.2f} s  ({len(texts) / r:7.1f} texts/s)")
    print(f"build embedding   median {o:6.2f} s  ({len(texts) / o:7.1f} texts/s)")
    print(f"full build        median {statistics.median(total):6.2f} s")
    print(f"throughput ratio (build / raw): {r / o:.2f}")


if __name__ == "__main__":
    main()
