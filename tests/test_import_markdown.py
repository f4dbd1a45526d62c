"""Markdown articles: YAML front matter, reference markers, and an honest report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from assistant.ingest.corpus import add_articles, format_report, load_corpus, slugify
from assistant.ingest.markers import strip_markers
from assistant.settings import Settings

from .conftest import EVAL

ARTICLES = sorted((EVAL / "articles").glob("*.md"))
REPORT_LINE = re.compile(r"read ([\d,]+) chars of .*: kept ([\d,]+), removed ([\d,]+)")


def _source(path: Path) -> tuple[dict[str, str], str]:
    """The file's front matter and body, split here independently of the importer."""
    _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(front), body


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def test_shared_articles_keep_metadata_and_all_their_text(tmp_path: Path) -> None:
    results = add_articles(ARTICLES, Settings(corpus_dir=tmp_path / "corpus"))
    assert [r.status for r in results] == ["added"] * len(ARTICLES), format_report(results)
    by_file = {a.original_file: a for a in load_corpus(tmp_path / "corpus")}
    for path in ARTICLES:
        meta, body = _source(path)
        article = by_file[path.name]
        assert article.title == meta["title"] and article.publisher == meta["publisher"]
        assert article.url == meta["original_source_url"] and article.licence == meta["licence"]
        assert article.article_id == slugify(meta["title"])
        assert article.body.strip() == body.strip()  # every line kept, nothing added
        assert "source_url" not in article.body and "\n---" not in article.body


def test_report_counts_add_up_on_the_same_text(tmp_path: Path) -> None:
    results = add_articles(ARTICLES, Settings(corpus_dir=tmp_path / "corpus"))
    report = format_report(results)
    counted = [tuple(_number(g) for g in m.groups()) for m in REPORT_LINE.finditer(report)]
    assert len(counted) == len(ARTICLES)
    for (read, kept, removed), result in zip(counted, results, strict=True):
        assert read == kept + removed and kept < read
        assert removed == sum(result.removed.values())
        front = next(k for k in result.removed if k.startswith("front matter"))
        assert "title, publisher, original_source_url, licence kept" in front
        assert "note not kept" in front
    assert "Untitled" not in report and "WARNING" not in report


def _add_one(tmp_path: Path, name: str, text: str) -> tuple[list, Path]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    corpus = tmp_path / "corpus"
    return add_articles([path], Settings(corpus_dir=corpus, min_article_chars=50)), corpus


BODY = ("Cold water can bring on a calf cramp in swimmers. Warming up on land first and "
        "stretching the calves after the swim makes cramps less likely.\n")


def test_front_matter_key_variants_and_only_web_links(tmp_path: Path) -> None:
    [result], corpus = _add_one(tmp_path, "swim.md", (
        "---\ntitle: Cramps in the Pool\nsite: Swim Safe\nlicense: CC BY 4.0\n"
        "date: 2023-05-01\ncanonical_url: ftp://files.example/swim.txt\n"
        "url: https://swim.example/cramps\nauthor: [Ana Ruiz, Tom Lee]\n---\n\n" + BODY))
    assert result.status == "added", result.message
    [article] = load_corpus(corpus)
    assert (article.title, article.publisher, article.licence, article.published) == (
        "Cramps in the Pool", "Swim Safe", "CC BY 4.0", "2023-05-01")
    assert article.url == "https://swim.example/cramps" and article.author == "Ana Ruiz, Tom Lee"
    assert any("ftp://" in w and "only http/https" in w for w in result.warnings)
    assert article.article_id == "cramps-in-the-pool"
    assert article.body.startswith("# Cramps in the Pool\n")


@pytest.mark.parametrize("text,expected", [
    ("---\ntitle: Cramps\npublisher: A: B\n---\n" + BODY, "front matter line 2"),
    ("---\ntitle: Cramps\n\n" + BODY, "never closed"),
    ("---\n- a list\n- not a mapping\n---\n" + BODY, "not a mapping"),
])
def test_bad_front_matter_names_the_file_and_line(tmp_path: Path, text: str,
                                                   expected: str) -> None:
    [result], corpus = _add_one(tmp_path, "bad.md", text)
    assert result.status == "error" and "bad.md" in result.message
    assert expected in result.message
    assert list(corpus.glob("*.md")) == []


@pytest.mark.parametrize("start", ["- Stretch the calf before bed.\n- Keep it loose.\n\n",
                                   "Notes from the clinic.\n\n"])
def test_a_file_without_a_title_is_added_with_a_warning(tmp_path: Path, start: str) -> None:
    [result], corpus = _add_one(tmp_path, "night_cramps-notes.md", start + BODY)
    assert result.status == "added"
    [article] = load_corpus(corpus)
    assert article.title == "Night cramps notes" and article.article_id == "night-cramps-notes"
    report = format_report([result])
    assert "WARNING no title found" in report and "Untitled" not in report


WIKI = """---
title: Cramp
publisher: An Encyclopedia
---
# Cramp

A cramp is a sudden, involuntary muscle contraction.[1] Cramps are common in the calf[2][3]
and often occur at night,[4, 5] in pregnancy[6–8] and after exercise.[citation needed]
Quinine was once widely used[clarification needed] but is no longer advised.^9
Stretching helps relieve a cramp¹² and the NHS [says so](https://www.nhs.uk/conditions/leg-cramps/).
One patient said it "hurt [sic] like nothing else" and [the doctor] agreed.[[10]](#cite_note-10)
Fluid loss of 2 m² of skin sweating matters [^11] too.

[^11]: Smith J. Sweat and cramps. 2010.
"""


def test_reference_markers_are_removed_and_reported(tmp_path: Path) -> None:
    [result], corpus = _add_one(tmp_path, "cramp.md", WIKI)
    body = load_corpus(corpus)[0].body
    assert not re.search(r"\[\d|\[citation|\[clarification|\^\d|(?<!m)[¹²]|\[\^", body), body
    for kept in ("contraction. Cramps", "calf and often occur at night, in pregnancy and",
                 "exercise. Quinine", "no longer advised. Stretching", "[sic]",
                 "[the doctor] agreed.",
                 "[says so](https://www.nhs.uk/conditions/leg-cramps/)", "2 m² of skin"):
        assert kept in body, kept
    assert result.markers == {"citation number": 6, "editorial note": 2, "footnote marker": 3}
    report = format_report([result])
    assert "citation number (6 markers)" in report and "editorial note (2 markers)" in report
    assert "dropped [reference list] '[^11]: Smith J. Sweat and cramps. 2010.'" in report


@pytest.mark.parametrize("text,clean", [
    ("Cramps hurt.[3][4] Then", "Cramps hurt. Then"),
    ("as shown [1–3], cramps", "as shown, cramps"),
    ("Salt¹ matters", "Salt matters"),
    ("see \\[12\\] here", "see here"),
    ("Rest [dubious – discuss] now", "Rest now"),
    ("Area of 3 cm² only", "Area of 3 cm² only"),
    ("A [link](https://x.example) and [sic] stay", "A [link](https://x.example) and [sic] stay"),
    ("- [2] starts a bullet", "- starts a bullet"),
])
def test_marker_rule(text: str, clean: str) -> None:
    assert " ".join(strip_markers(text).text.split()) == clean
