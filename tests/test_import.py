"""Importing articles: cleaning, metadata, duplicates and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest.corpus import add_articles, format_report, load_corpus
from assistant.settings import Settings

from .conftest import SEEDS

BOILERPLATE = [
    "Leave a Reply", "Your email address will not be published", "Deja una respuesta",
    "Publicaciones Similares", "Related Posts", "Home Blockchain News", "Tap to Read",
    "sports nutrition blog", "close up of a mature man", "woman runner hold her",
    "MAGNAK", "Order your hydration powder", "Leave a comment below", "by liuqiyue",
]
KEPT = [
    "Abnormal nerve activity during sleep can lead to muscle cramping.",
    "## Symptoms of Inner Thigh Muscle Cramp", "- A sharp pain", "### 1. Dehydration",
    "Cramps generally last for a few seconds.",
    "If inner thigh cramps are severe, persistent, or accompanied by swelling, redness, or "
    "warmth in the affected area, it is advisable to seek medical attention.",
    "Conditions such as spinal stenosis, herniated discs, or sciatica",
]


def _snapshot(corpus: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(corpus.glob("*"))}


def test_seed_import_keeps_articles_and_drops_boilerplate(seed_corpus: Path) -> None:
    articles = load_corpus(seed_corpus)
    text = "\n".join(a.body for a in articles)
    assert len(articles) == len(SEEDS)
    for phrase in BOILERPLATE:
        assert phrase.lower() not in text.lower(), phrase
    for phrase in KEPT:
        assert phrase in text, phrase


def test_front_matter_records_origin(seed_corpus: Path) -> None:
    by_file = {a.original_file: a for a in load_corpus(seed_corpus)}
    upper = by_file["002_880cbb887ec02122.txt"]
    assert upper.title == "Understanding the Underlying Causes of Intense Upper Thigh Cramps"
    assert upper.author == "liuqiyue"
    assert by_file["004_fade32608fe5e2a1.txt"].author == "Chandramita Bora"
    assert all(a.added and a.body.startswith(f"# {a.title}\n") for a in by_file.values())


def test_rules_generalise_to_a_new_article(tmp_path: Path) -> None:
    raw = tmp_path / "calf.txt"
    raw.write_text(
        "Home Health Fitness Calf Cramps After Swimming\n\nCalf Cramps After Swimming\n\n"
        "by Jane Doe\n\nswimmer holding her calf by the pool\n\n"
        "Calf cramps after swimming are common in cold water. Cold makes muscles tighten.\n\n"
        "Warm Up First\n\nA slow warm-up on land reduces the chance of a cramp in the pool. "
        "Gentle ankle circles help the calf prepare.\n\n"
        "Buy Our Recovery Gel\n\nShop now and save: buy CRAMPEX gel today!\n\n"
        "Leave a Reply\n\nYour email address will not be published.\n\nRelated Articles\n",
        encoding="utf-8")
    [result] = add_articles([raw], Settings(corpus_dir=tmp_path / "corpus", min_article_chars=50))
    body = load_corpus(tmp_path / "corpus")[0].body
    assert result.status == "added"
    assert "## Warm Up First" in body and "Gentle ankle circles" in body
    for junk in ("Home Health", "swimmer holding", "CRAMPEX", "Leave a Reply", "Related"):
        assert junk not in body, junk
    assert {why.split(" (")[0] for why, _ in result.dropped} >= {
        "navigation", "image caption", "advert / call to buy", "comment form", "byline"}


def test_html_goes_through_main_content_extraction(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("""<html><head><title>Night Cramps Explained</title>
<meta name="author" content="Sam Lee"><meta property="og:site_name" content="Leg Health Weekly">
</head><body><nav><a href="/">Home</a> <a href="/shop">Shop</a> Menu items here</nav>
<article><h1>Night Cramps Explained</h1>
<p>Night cramps wake many people in the small hours. They usually strike the calf and pass
within minutes, though the muscle can stay sore the next day.</p>
<h2>Why they happen</h2><p>Muscle fatigue and long periods of sitting are often blamed for
night cramps. Tight calf muscles that are rarely stretched may cramp more easily at rest.</p>
<ul><li>Stretch the calf before bed.</li><li>Keep the bedding loose over the feet.</li></ul>
</article><footer>Copyright 2026 Leg Health Weekly. All rights reserved. Privacy policy.</footer>
</body></html>""", encoding="utf-8")
    [result] = add_articles([page], Settings(corpus_dir=tmp_path / "corpus", min_article_chars=50))
    assert result.status == "added", result.message
    article = load_corpus(tmp_path / "corpus")[0]
    assert article.title == "Night Cramps Explained"
    assert article.publisher == "Leg Health Weekly"
    assert "Why they happen" in article.body and "- Stretch the calf before bed." in article.body
    assert "Copyright" not in article.body and "Menu items" not in article.body


def _text_pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF with a real text layer (Helvetica)."""
    ops = "BT /F1 11 Tf 50 780 Td 14 TL " + " ".join(
        "(" + ln.replace("(", r"\(").replace(")", r"\)") + ") '" for ln in lines) + " ET"
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(ops)} >>\nstream\n{ops}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = "%PDF-1.4\n", []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n"
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out.encode("latin-1")


def test_pdf_text_is_imported(tmp_path: Path) -> None:
    pdf = tmp_path / "leaflet.pdf"
    pdf.write_bytes(_text_pdf([
        "Cramps in Cyclists", "", "Cyclists often cramp in the quadriceps during long climbs",
        "when they have not eaten or drunk enough on the ride.", "",
        "Easing off the pace and stretching the thigh usually stops the cramp.",
    ]))
    [result] = add_articles([pdf], Settings(corpus_dir=tmp_path / "corpus", min_article_chars=50))
    assert result.status == "added", result.message
    body = load_corpus(tmp_path / "corpus")[0].body
    assert "Cyclists often cramp in the quadriceps during long climbs when they have" in body


@pytest.mark.parametrize("name,content,expected", [
    ("binary.txt", b"\x00\x01\x02\x03" * 100, "binary"),
    ("empty.md", b"   \n\n", "empty"),
    ("latin1.txt", "Cr\u00e8me br\u00fbl\u00e9e and cramps ".encode("latin-1") * 20, "UTF-8"),
    ("notes.docx", b"PK\x03\x04 something", "unsupported"),
    ("tiny.txt", b"Cramps hurt.", "characters of article text"),
    ("scan.pdf", None, "no text layer"),
    ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
])
def test_bad_input_is_reported_and_corpus_unchanged(
    seed_corpus: Path, tmp_path: Path, name: str, content: bytes | None, expected: str,
) -> None:
    path = tmp_path / name
    if content is None:
        from pypdf import PdfWriter
        writer = PdfWriter()
        writer.add_blank_page(width=612, height=792)
        with path.open("wb") as fh:
            writer.write(fh)
    else:
        path.write_bytes(content)
    before = _snapshot(seed_corpus)
    [result] = add_articles([path], Settings(corpus_dir=seed_corpus))
    assert result.status == "error"
    assert name in result.message and expected.lower() in result.message.lower()
    assert _snapshot(seed_corpus) == before


def test_duplicates_and_near_duplicates_are_refused(seed_corpus: Path, tmp_path: Path) -> None:
    near = tmp_path / "copy.txt"
    near.write_text(SEEDS[3].read_text(encoding="utf-8").replace("painful", "very painful", 1),
                    encoding="utf-8")
    before = _snapshot(seed_corpus)
    results = add_articles([SEEDS[0], near], Settings(corpus_dir=seed_corpus))
    assert [r.status for r in results] == ["duplicate", "duplicate"]
    assert "already in the corpus" in results[0].message
    assert "near-duplicate" in results[1].message
    assert _snapshot(seed_corpus) == before
    assert "DUPLICATE" in format_report(results)


def test_same_file_twice_in_one_call_is_added_once(tmp_path: Path) -> None:
    results = add_articles([SEEDS[2], SEEDS[2]], Settings(corpus_dir=tmp_path / "c"))
    assert [r.status for r in results] == ["added", "duplicate"]
