"""Hostile or broken input: a batch always finishes with every source's outcome reported
(decompression bombs, reader crashes, failed writes), and articles that are mostly
repetition are refused before they can reach the index."""

from __future__ import annotations

import errno
import time
import zlib
from pathlib import Path
from typing import Any

import pytest

from assistant.ingest import corpus as corpus_module
from assistant.ingest.corpus import add_articles, format_report, load_corpus
from assistant.ingest.importer import repeated_share
from assistant.settings import Settings

from .conftest import EVAL, SEEDS
from .test_import import _text_pdf

ARTICLES = sorted((EVAL / "articles").glob("*.md"))


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF from numbered object bodies (object 1 is the catalog)."""
    out, offsets = b"%PDF-1.4\n", []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)


def _metadata_bomb() -> bytes:
    """A one-page PDF whose XMP metadata stream inflates from ~80 kB to 80 MB, past pypdf's
    decompression limit."""
    bomb = zlib.compress(b" " * 80_000_000, 9)
    text = b"BT /F1 11 Tf 50 780 Td (Night cramps are common in older adults.) Tj ET"
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 6 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Metadata /Subtype /XML /Filter /FlateDecode /Length %d >>\nstream\n%s\n"
        b"endstream" % (len(bomb), bomb),
    ])


def _oversized_xref() -> bytes:
    """A PDF whose cross-reference table claims 90 million entries."""
    data = _text_pdf(["Cramps in Cyclists", "", "Cyclists often cramp on long climbs."])
    start = data.index(b"xref\n0 ")
    return data[:start] + b"xref\n0 90000000" + data[data.index(b"\n", start + 5):]


@pytest.mark.parametrize("make,reason", [
    (_metadata_bomb, "decompression bomb"),
    (_oversized_xref, "safety limit"),
])
def test_a_pdf_bomb_is_one_files_error_and_the_batch_goes_on(
        tmp_path: Path, make: Any, reason: str) -> None:
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(make())
    results = add_articles([ARTICLES[0], bomb, ARTICLES[1]],
                           Settings(corpus_dir=tmp_path / "corpus"))
    assert [r.status for r in results] == ["added", "error", "added"]
    assert "bomb.pdf" in results[1].message and reason in results[1].message
    assert len(load_corpus(tmp_path / "corpus")) == 2
    report = format_report(results)
    assert "2 added, 1 not added" in report and "ERROR     bomb.pdf" in report


def test_any_reader_crash_is_one_files_error(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import trafilatura

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(trafilatura, "bare_extraction", crash)
    page = tmp_path / "deep.html"
    page.write_text("<html><body><p>Cramps.</p></body></html>", encoding="utf-8")
    results = add_articles([page, ARTICLES[2]], Settings(corpus_dir=tmp_path / "corpus"))
    assert [r.status for r in results] == ["error", "added"]
    assert "deep.html: could not be read (RecursionError" in results[0].message


def test_a_failed_write_is_reported_and_leaves_no_partial_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = corpus_module._write_atomic
    calls: list[Path] = []

    def disk_full_on_second(target: Path, text: str) -> None:
        calls.append(target)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(target, text)

    monkeypatch.setattr(corpus_module, "_write_atomic", disk_full_on_second)
    corpus = tmp_path / "corpus"
    results = add_articles(ARTICLES[:3], Settings(corpus_dir=corpus))
    assert [r.status for r in results] == ["added", "error", "added"]
    assert "No space left on device" in results[1].message
    assert sorted(p.name for p in corpus.iterdir()) == sorted(
        Path(r.article_path or "").name for r in results if r.status == "added")


# -- repetition -----------------------------------------------------------------------------

SENTENCES = ["Calf cramps often strike at night.", "Stretching the calf before bed helps.",
             "Drinking enough water during the day may also help."]


def test_a_mostly_repeated_article_is_refused_before_indexing(tmp_path: Path) -> None:
    spam = tmp_path / "spam.txt"
    spam.write_text("Night Cramp Relief\n\n" + " ".join(SENTENCES * 30_000) + "\n",
                    encoding="utf-8")  # about 3 MB, like the 1.9 MB article of the audit
    corpus = tmp_path / "corpus"
    started = time.perf_counter()
    [result] = add_articles([spam], Settings(corpus_dir=corpus))
    elapsed = time.perf_counter() - started
    assert result.status == "error" and "mostly repetition" in result.message
    assert "CRAMP_MAX_REPEATED_SHARE" in result.message
    assert list(corpus.glob("*.md")) == []
    assert elapsed < 60  # bounded work: refused without embedding anything


def test_padding_past_the_limit_is_refused_and_short_of_it_is_not(tmp_path: Path) -> None:
    text = ARTICLES[0].read_text(encoding="utf-8")
    paragraph = text.split("\n\n")[2]  # the first paragraph of the body
    assert len(paragraph) > 200
    padded, lightly = tmp_path / "padded.md", tmp_path / "lightly.md"
    padded.write_text(text + "\n\n".join([paragraph] * 16), encoding="utf-8")
    lightly.write_text(text.replace("Heat Cramps", "Heat Cramps Again", 1) + paragraph,
                       encoding="utf-8")
    results = add_articles([padded, lightly], Settings(corpus_dir=tmp_path / "corpus"))
    assert results[0].status == "error" and "repeat earlier ones" in results[0].message
    assert results[1].status == "added", results[1].message
    assert 0.05 < repeated_share(lightly.read_text(encoding="utf-8")) < 0.3 \
        < Settings().max_repeated_share


@pytest.mark.parametrize("path", SEEDS + ARTICLES, ids=lambda p: p.name)
def test_real_articles_are_far_below_the_repetition_limit(path: Path) -> None:
    assert repeated_share(path.read_text(encoding="utf-8")) < Settings().max_repeated_share / 4
