"""Saved web pages, PDFs with metadata, and articles added by URL from a local server."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from assistant.app.library import Library, NotAllowed
from assistant.cli import cli
from assistant.errors import AssistantError
from assistant.ingest.corpus import add_articles, format_report, load_corpus
from assistant.settings import Settings

from .conftest import DATA
from .test_import import _text_pdf

PAGE = DATA / "pages" / "calf-cramps-runners.html"
FURNITURE = ["cookies", "Accept all", "Cycling", "Share on", "Related articles", "marathonmike",
             "Pickle juice", "Leave a reply", "All rights reserved", "newsletter", "Tags:",
             "6 min read", "Home"]
FURNITURE_KINDS = ["cookie banner", "comments", "related links", "share buttons", "footer",
                   "menus, navigation, search", "calls to sign up, adverts"]
PLAIN_PAGE = (b"<html><head><title>Thigh Cramps at Night</title></head><body><article>"
              b"<h1>Thigh Cramps at Night</h1><p>Thigh cramps at night often follow a long day "
              b"on your feet. Stretching the front of the thigh before bed and keeping warm "
              b"under the covers can make them less likely.</p><p>If cramps keep waking you, "
              b"talk to a doctor about what might be causing them.</p></article></body></html>")


def _snapshot(corpus: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(corpus.glob("*"))} if corpus.is_dir() else {}


def _counts(report: str) -> tuple[int, int, int]:
    found = re.search(r"read ([\d,]+) chars of .*: kept ([\d,]+), removed ([\d,]+)", report)
    assert found, report
    read, kept, removed = (int(g.replace(",", "")) for g in found.groups())
    return read, kept, removed


def test_saved_page_keeps_metadata_and_reports_its_furniture(tmp_path: Path) -> None:
    [result] = add_articles([PAGE], Settings(corpus_dir=tmp_path / "corpus"))
    assert result.status == "added", result.message
    [article] = load_corpus(tmp_path / "corpus")
    assert article.title == "Calf Cramps in Runners: Why They Happen and What Helps"
    assert (article.publisher, article.author, article.published) == (
        "Stride Health", "Priya Natarajan", "2024-03-18")
    assert article.url == "https://stride-health.example/running/calf-cramps-in-runners"
    assert "## How to stop a cramp mid-run" in article.body
    assert "- hot and humid weather, when you sweat heavily" in article.body
    for junk in FURNITURE:
        assert junk not in article.body, junk
    report = format_report([result])
    read, kept, removed = _counts(report)
    assert read == kept + removed and "the page's visible text" in report
    for kind in FURNITURE_KINDS:
        assert re.search(rf"removed \d+: {re.escape(kind)}\n", report + "\n"), kind
    assert sum(result.removed.values()) == removed


def _pdf_with_metadata() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(_text_pdf([
        "Cramps in Cyclists", "", "Cyclists often cramp in the quadriceps during long climbs",
        "when they have not eaten or drunk enough on the ride.", "",
        "Easing off the pace and stretching the thigh usually stops the cramp.[2]"]))))
    writer.add_metadata({"/Title": "Cramps in Cyclists", "/Author": "Lena Fischer",
                         "/CreationDate": "D:20230215093000+01'00'"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_metadata_is_kept(tmp_path: Path) -> None:
    pdf = tmp_path / "leaflet.pdf"
    pdf.write_bytes(_pdf_with_metadata())
    [result] = add_articles([pdf], Settings(corpus_dir=tmp_path / "corpus", min_article_chars=50))
    assert result.status == "added", result.message
    [article] = load_corpus(tmp_path / "corpus")
    assert (article.title, article.author, article.published) == (
        "Cramps in Cyclists", "Lena Fischer", "2023-02-15")
    assert article.body.startswith("# Cramps in Cyclists\n") and "[2]" not in article.body
    assert "the PDF's text layer" in format_report([result])


# -- a local web server -------------------------------------------------------------------

@dataclass
class Route:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    drip: bool = False  # send the body one byte at a time, slowly, until the test ends
    length: bool = True  # send a Content-Length header


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        route = self.server.routes.get(self.path, Route(404, body=b"not here"))
        self.send_response(route.status)
        for key, value in route.headers.items():
            self.send_header(key, value)
        if route.length and not route.drip:
            self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        if route.drip:
            while not self.server.done.wait(0.2):
                self.wfile.write(b" ")
                self.wfile.flush()
            return
        self.wfile.write(route.body)

    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Site:
    base: str
    routes: dict[str, Route]

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture()
def site() -> Iterator[Site]:
    """A web server on 127.0.0.1 in a thread, serving the routes a test sets."""
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.routes, server.done = {}, threading.Event()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield Site(f"http://127.0.0.1:{server.server_port}", server.routes)
    server.done.set()
    server.shutdown()
    server.server_close()
    thread.join()


HTML = {"Content-Type": "text/html; charset=utf-8"}


def _local(tmp_path: Path, **update: Any) -> Settings:
    return Settings(corpus_dir=tmp_path / "corpus", url_allow_private_hosts=True,
                    min_article_chars=50, **update)


def test_url_import_follows_redirects_and_records_the_address(site: Site,
                                                              tmp_path: Path) -> None:
    site.routes["/go"] = Route(302, {"Location": "/articles/calf"})
    site.routes["/articles/calf"] = Route(200, HTML, PAGE.read_bytes())
    site.routes["/night"] = Route(301, {"Location": site.url("/thigh-cramps-at-night")})
    site.routes["/thigh-cramps-at-night"] = Route(200, HTML, PLAIN_PAGE)
    site.routes["/notes.md"] = Route(200, {"Content-Type": "text/markdown"}, (
        b"---\ntitle: Cramp Notes\npublisher: Local Notes\n---\n# Cramp Notes\n\nCalf cramps "
        b"often strike at night.[4] A gentle stretch usually eases them within minutes.\n"
    ))
    site.routes["/leaflet"] = Route(200, {"Content-Type": "application/pdf"},
                                    _pdf_with_metadata())
    urls = [site.url(p) for p in ("/go", "/night", "/notes.md", "/leaflet")]
    results = add_articles(urls, _local(tmp_path))
    assert [r.status for r in results] == ["added"] * 4, format_report(results)
    by_title = {a.title: a for a in load_corpus(tmp_path / "corpus")}
    # The page's canonical address wins; without one, the address after redirects.
    assert by_title["Calf Cramps in Runners: Why They Happen and What Helps"].url == \
        "https://stride-health.example/running/calf-cramps-in-runners"
    assert by_title["Thigh Cramps at Night"].url == site.url("/thigh-cramps-at-night")
    notes = by_title["Cramp Notes"]
    assert notes.url == site.url("/notes.md") and "[4]" not in notes.body
    assert by_title["Cramps in Cyclists"].author == "Lena Fischer"
    assert all(a.original_file is None for a in by_title.values())
    assert site.url("/go") in format_report(results)


FAILURES = {
    "/missing": (Route(404, body=b"gone"), "HTTP 404"),
    "/loop": (Route(302, {"Location": "/loop"}), "more than 5 redirects"),
    "/to-ftp": (Route(302, {"Location": "ftp://files.example/a.txt"}), "only http and https"),
    "/picture": (Route(200, {"Content-Type": "image/png"}, b"\x89PNG...."), "image/png"),
    "/huge": (Route(200, HTML, b"<p>" + b"cramp " * 5000 + b"</p>"), "larger than"),
    "/huge-unannounced": (Route(200, HTML, b"<p>" + b"cramp " * 5000 + b"</p>", length=False),
                          "larger than"),
    "/slow": (Route(200, HTML, drip=True), "no complete answer within 1 s"),
}


@pytest.mark.parametrize("path", FAILURES)
def test_a_failing_url_names_the_url_and_the_reason(site: Site, tmp_path: Path,
                                                    path: str) -> None:
    route, reason = FAILURES[path]
    site.routes[path] = route
    settings = _local(tmp_path, max_article_bytes=10_000, url_timeout_seconds=1)
    add_articles([PAGE], settings)
    before = _snapshot(settings.corpus_dir)
    [result] = add_articles([site.url(path)], settings)
    assert result.status == "error"
    assert site.url(path) in result.message and reason in result.message, result.message
    assert _snapshot(settings.corpus_dir) == before


def test_local_addresses_are_refused_unless_allowed(site: Site, tmp_path: Path) -> None:
    site.routes["/night"] = Route(200, HTML, PLAIN_PAGE)
    settings = Settings(corpus_dir=tmp_path / "corpus", min_article_chars=50)
    [refused] = add_articles([site.url("/night")], settings)
    assert refused.status == "error" and "local or private address" in refused.message
    assert "CRAMP_URL_ALLOW_PRIVATE_HOSTS" in refused.message
    [closed] = add_articles(["http://127.0.0.1:9/x"], _local(tmp_path))
    assert closed.status == "error" and "could not be fetched" in closed.message


def test_cli_adds_files_and_urls_together(site: Site, tmp_path: Path) -> None:
    site.routes["/night"] = Route(200, HTML, PLAIN_PAGE)
    corpus = tmp_path / "corpus"
    added = CliRunner().invoke(
        cli, ["add", str(PAGE), site.url("/night"), site.url("/nowhere"), "--corpus",
              str(corpus)], env={"CRAMP_URL_ALLOW_PRIVATE_HOSTS": "true",
                                 "CRAMP_MIN_ARTICLE_CHARS": "50"})
    assert added.exit_code == 1, added.output  # one source failed
    assert "2 added, 1 not added" in added.output
    assert f"ERROR     {site.url('/nowhere')}: the server answered HTTP 404" in added.output
    assert len(load_corpus(corpus)) == 2


def test_library_add_url_is_admin_only(site: Site, tmp_path: Path, embedder: Any) -> None:
    site.routes["/night"] = Route(200, HTML, PLAIN_PAGE)
    library = Library(_local(tmp_path, admin_password=SecretStr("s3cret-admin")),
                      embedder=embedder)
    with pytest.raises(NotAllowed):
        library.add_url(site.url("/night"), "guess")
    with pytest.raises(AssistantError, match="not an http"):
        library.add_url("file:///etc/passwd", "s3cret-admin")
    report = library.add_url(f"  {site.url('/night')} ", "s3cret-admin")
    assert "1 added" in report and "Rebuild the index" in report
    assert [a.title for a in load_corpus(tmp_path / "corpus")] == ["Thigh Cramps at Night"]
