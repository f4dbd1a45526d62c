"""The app in a real browser (Debian's chromium through playwright): citations people can
follow, a layout that holds at 390 px and 1280 px, accessibility checked by axe-core,
feedback reaching the gap list, and the admin's library work while others chat.

Every wait is on the app's own signals: a selector, the finished answer's class, a file.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from tests.app_server import ADMIN, ARTIFACTS, ROOT, Server

pytestmark = pytest.mark.slow
AXE = ROOT / ".browser-tools" / "node_modules" / "axe-core" / "axe.min.js"
WAIT = 180_000  # ms: generous, for a loaded machine; every wait ends on a signal
DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}
XSS_BODY = ("# Hand Cramps in Violin Players\n\nViolin players often get hand cramps after long "
            "rehearsals because the small muscles of the hand tire.\n\n"
            "<script>window.__pwned = 1</script>\n\n"
            "<img src=x onerror=\"window.__pwned = 2\">\n\n"
            "![bow hold](http://tracker.example/pixel.gif) Resting the bow arm between pieces and "
            "warming the fingers before playing helps violinists avoid hand cramps during "
            "concerts.\n")


def _page(browser: Any, size: dict[str, int] = DESKTOP, csp: bool = True) -> Any:
    """A fresh page that records every request leaving this machine."""
    context = browser.new_context(viewport=size, bypass_csp=not csp)
    context.set_default_timeout(WAIT)
    context.outside = []
    context.on("request", lambda r: context.outside.append(r.url) if not r.url.startswith(
        ("http://127.0.0.1", "data:", "blob:", "about:")) else None)
    return context.new_page()


def _outside(page: Any) -> list[str]:
    """Requests that left this machine from the page's browser context (popups included)."""
    return list(page.context.outside)


def _open(page: Any, server: Server) -> None:
    page.goto(server.url)
    page.wait_for_selector("#question textarea")


def _ask(page: Any, question: str) -> str:
    """Send a question and wait for its whole answer; returns the answer's text."""
    done = page.locator("#chat .bot .cramp-done").count()
    page.fill("#question textarea", question)
    page.click("#ask")
    return _answered(page, done)


def _answered(page: Any, done_before: int) -> str:
    page.wait_for_function("n => document.querySelectorAll('#chat .bot .cramp-done').length > n",
                           arg=done_before, timeout=WAIT)
    return str(page.locator("#chat .bot .cramp-done").last.inner_text())


def _axe(page: Any, name: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing ({AXE}): run `make browser` to install it")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
        .violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                               where: v.nodes.slice(0, 3).map(n => n.target.join(' ')
                                 + ': ' + (n.failureSummary || '').slice(0, 300))}))""")
    bad = [v for v in found if v["impact"] in ("serious", "critical")]
    print(f"\n[figure] axe-core on {name}: {len(bad)} serious/critical, "
          f"{len(found) - len(bad)} minor/moderate ({', '.join(v['id'] for v in found) or '-'})")
    return bad


# -- citations ----------------------------------------------------------------------------

def test_a_clicked_citation_opens_its_passage(server: Server, browser: Any) -> None:
    page = _page(browser)
    _open(page, server)
    done = page.locator("#chat .bot .cramp-done").count()
    page.get_by_role("button", name="How do I stop a thigh cramp when it happens?").click()
    text = _answered(page, done)  # an example is asked in one tap
    assert "[1]" in text and "Not medical advice" in text and "**Sources**" not in text
    answer = page.locator("#chat .bot .cramp-done").last
    panel = answer.locator("details.cramp-sources")
    assert panel.count() == 1  # one source list
    panel.locator("summary").click()
    entries = panel.locator("li.cramp-source")
    quotes = [" ".join(e.locator("mark").all_inner_texts()) for e in entries.all()]
    assert all(quotes) and len(set(quotes)) == len(quotes), quotes  # one number per passage
    assert "Original at health.example.org" in panel.inner_text()
    page.screenshot(path=str(ARTIFACTS / "answer.png"), full_page=True)

    first = answer.locator("a.cramp-cite").first
    n = int(first.inner_text().strip("[]"))
    with page.expect_popup() as popup:
        first.click()
    article = popup.value
    article.wait_for_selector("body[data-scrolled]")
    cited = article.locator("mark#cited")
    box = cited.bounding_box()
    assert cited.inner_text().strip() in quotes[n - 1]
    line, heading_top = article.evaluate("""() => { const m = document.getElementById('cited');
        const hs = [...document.querySelectorAll('main h1, main h2, main h3, main h4')]
          .filter(h => h.compareDocumentPosition(m) & Node.DOCUMENT_POSITION_FOLLOWING);
        return [parseFloat(getComputedStyle(m.parentElement).lineHeight),
                hs[hs.length - 1].getBoundingClientRect().top]; }""")
    assert box and line <= box["y"] < DESKTOP["height"] - box["height"]  # a line above it
    # Its section heading is in view too, unless the passage lies far down the section.
    assert heading_top >= 0 or box["y"] - heading_top > 0.6 * DESKTOP["height"]
    header = article.locator("header")
    assert header.get_by_role("link", name="← Back to the chat").get_attribute("href") == "/"
    original = header.locator("a", has_text="Original at health.example.org")
    assert original.get_attribute("rel") == "noopener noreferrer"
    assert original.get_attribute("target") == "_blank"
    assert "Example Health Library" in header.inner_text()
    article.screenshot(path=str(ARTIFACTS / "article.png"))
    assert not _outside(page), _outside(page)


# -- layout -------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_layout_holds_on_desktop_and_phone(server: Server, browser: Any,
                                           size: dict[str, int]) -> None:
    page = _page(browser, size)
    _open(page, server)
    assert page.evaluate("() => scrollY") == 0  # nothing takes focus and scrolls the page
    for part in ("#intro h1", "#intro em", "#examples"):
        box = page.locator(part).first.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= size["height"], part
    done = page.locator("#chat .bot .cramp-done").count()
    page.locator(".cramp-example").first.click()
    _answered(page, done)
    page.evaluate("() => scrollTo(0, 0)")
    boxes = {p: page.locator(p).bounding_box() for p in ("#intro", "#examples", "#chat",
                                                         "#ask-row")}
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not _overlap(boxes[a], boxes[b]), (a, b, boxes[a], boxes[b])
    page.get_by_role("tab", name="Library").click()
    page.wait_for_selector("#articles table td")
    cells = page.evaluate("""() => [...document.querySelectorAll('#articles td, #articles th')]
        .filter(c => (c.closest('thead') || c).getBoundingClientRect().width > 2)  // shown
        .map(c => [c.getBoundingClientRect().width, parseFloat(getComputedStyle(c).fontSize),
                   c.innerText])""")
    assert cells and all(w >= 4 * font for w, font, _ in cells), cells  # no stacked letters
    wide = page.evaluate("() => { const t = document.querySelector('#articles table'); "
                         "return [t.scrollWidth, t.parentElement.clientWidth]; }")
    assert wide[0] <= wide[1] + 1, wide  # no column cut off
    page.screenshot(path=str(ARTIFACTS / f"library-{size['width']}.png"), full_page=True)


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (a["x"] < b["x"] + b["width"] - 1 and b["x"] < a["x"] + a["width"] - 1
            and a["y"] < b["y"] + b["height"] - 1 and b["y"] < a["y"] + a["height"] - 1)


# -- accessibility ------------------------------------------------------------------------

def test_axe_finds_no_serious_violations(server: Server, browser: Any) -> None:
    page = _page(browser)
    _open(page, server)
    assert _axe(page, "the chat") == []
    _ask(page, "What causes inner thigh cramps?")
    page.locator("#chat .bot .cramp-done").last.locator("summary").click()
    assert _axe(page, "an answer with its sources open") == []
    page.get_by_role("tab", name="Library").click()
    page.wait_for_selector("#articles table td")
    assert _axe(page, "the Library tab") == []
    article = _page(browser, csp=False)  # the page's own policy would refuse axe's script
    article.goto(page.locator("#chat a.cramp-cite").first.get_attribute("href")
                 .replace("/", server.url + "/", 1))
    article.wait_for_selector("body[data-scrolled]")
    assert _axe(article, "an article page") == []


# -- feedback -----------------------------------------------------------------------------

def test_thumbs_down_lands_in_sqlite_and_in_the_gap_list(server: Server, browser: Any,
                                                         tmp_path: Path) -> None:
    question = "Can a magnesium bath soak stop my calf cramps at night?"
    page = _page(browser)
    _open(page, server)
    _ask(page, question)
    page.locator("#chat button[aria-label='Dislike']").last.click()
    row = _wait_for_row(server.feedback, "down", question)
    assert row["build_id"] and json.loads(row["citations"]) is not None
    _ask(page, "How do I change a car tyre?")  # abstains: kept without any click

    page.get_by_role("tab", name="Library").click()
    page.fill("#password input", ADMIN)
    page.click("#show-gaps")
    page.wait_for_selector(f"#gaps td:has-text('{question}')", timeout=WAIT)
    assert "How do I change a car tyre?" in page.locator("#gaps").inner_text()
    with page.expect_download() as download:
        page.click("#gaps-csv")
    csv_text = Path(download.value.path()).read_text(encoding="utf-8")
    assert csv_text.startswith("question,times_asked") and question in csv_text
    page.screenshot(path=str(ARTIFACTS / "gaps.png"), full_page=True)


def _wait_for_row(db_path: Path, kind: str, question: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT / 1000
    while time.monotonic() < deadline:
        if db_path.is_file():
            with sqlite3.connect(db_path) as db:
                db.row_factory = sqlite3.Row
                try:
                    row = db.execute("SELECT * FROM feedback WHERE kind = ? AND question = ?",
                                     (kind, question)).fetchone()
                except sqlite3.OperationalError:  # the file is there, its table not yet
                    row = None
            if row:
                return dict(row)
        time.sleep(0.2)
    raise AssertionError(f"no {kind!r} row for {question!r} in {db_path}")


# -- bad input ----------------------------------------------------------------------------

def test_bad_questions_get_friendly_answers(server: Server, browser: Any) -> None:
    page = _page(browser)
    _open(page, server)
    page.click("#ask")
    page.wait_for_selector("#chat :text('Please type a question')")
    text = _ask(page, '<img src=x onerror="window.__pwned = 1">what causes cramps?')
    user = page.locator("#chat .user").last.inner_text()
    assert '<img src=x onerror="window.__pwned = 1">' in user and "Not medical advice" in text
    assert page.evaluate("() => window.__pwned") is None
    tyre = _ask(page, "How do I change a car tyre?")
    assert re.search(r"don't (cover that|mention “tyre”)", tyre), tyre


# -- the library --------------------------------------------------------------------------

def _library(page: Any) -> None:
    page.get_by_role("tab", name="Library").click()
    page.wait_for_selector("#password input")


def _report(page: Any, contains: str) -> str:
    page.wait_for_function(
        "s => { const t = document.querySelector('#log textarea'); return t && "
        "t.value.includes(s); }", arg=contains, timeout=WAIT)
    return str(page.locator("#log textarea").input_value())


def _build_id(server: Server) -> str:
    return str(json.loads((server.index / "manifest.json").read_text())["build_id"])


def test_library_changes_refused_and_confirmed(server: Server, browser: Any) -> None:
    before = sorted(p.name for p in server.corpus.glob("*.md"))
    build = _build_id(server)
    page = _page(browser)
    _open(page, server)
    _library(page)
    page.fill("#url textarea", "https://health.example.org/new-article")
    page.click("#add-url")
    assert "Enter the admin password" in _report(page, "admin password")
    page.fill("#password input", "not-the-password")
    page.check("#full input")
    page.click("#rebuild")
    assert "Wrong admin password" in _report(page, "Wrong admin password")
    page.locator("#remove-choice input").click()
    page.get_by_role("option").first.click()
    page.click("#remove")
    confirm = page.locator("#confirm-remove")
    confirm.wait_for(state="visible")
    assert "Remove “" in confirm.inner_text()
    page.click("#remove-no")
    confirm.wait_for(state="hidden")
    assert sorted(p.name for p in server.corpus.glob("*.md")) == before
    assert _build_id(server) == build


def _swimming_article(path: Path) -> None:
    """An article on a topic the shipped corpus lacks, long enough that rebuilding takes a while."""
    facts = ["Cold water makes the calf muscles of swimmers contract hard, so cramps are common "
             "in open water below fifteen degrees.",
             "A swimmer with a calf cramp should float on the back and pull the toes toward the "
             "shin until the muscle lets go."]
    filler = [f"Open-water swimmer note {i}: lap {i % 7} in lake {i % 5} took {40 + i} strokes "
              f"and the water was {10 + i % 9} degrees." for i in range(500)]
    sections = [f"## Swim log part {k}\n\n" + "\n\n".join(filler[k * 25:(k + 1) * 25])
                for k in range(20)]
    path.write_text("# Cramps in Cold-Water Swimmers\n\n" + "\n\n".join(facts) + "\n\n"
                    + "\n\n".join(sections) + "\n")


# Progress is shown in the report box while the rebuild runs; record what it shows (a text
# box's value is no DOM change an observer would see, so the page samples it).
WATCH_PROGRESS = """setInterval(() => {
  const box = document.querySelector('#log textarea');
  const m = box && box.value.match(/^Rebuilding from \\d+ articles — .+: [\\d,]+ of .*/);
  if (m) window.__progress = m[0];
}, 20);"""


def test_admin_upload_rebuild_while_chatting(server: Server, browser: Any,
                                             tmp_path: Path) -> None:
    """Runs last: it adds two articles to the shared server's library."""
    chat = _page(browser)
    _open(chat, server)
    question = "What should a swimmer do about a calf cramp in cold open water?"
    assert "Cramps in Cold-Water Swimmers" not in _ask(chat, question)

    admin = _page(browser)
    admin.add_init_script(WATCH_PROGRESS)
    _open(admin, server)
    _library(admin)
    swim, violin = tmp_path / "swimmers.md", tmp_path / "violin.md"
    _swimming_article(swim)
    violin.write_text(XSS_BODY)
    admin.fill("#password input", ADMIN)
    admin.click("#sign-in")
    admin.wait_for_selector("#signed-in :text('Signed in')", timeout=WAIT)
    admin.set_input_files("#upload input[type=file]", [str(swim), str(violin)])
    admin.wait_for_selector("#upload td.filename[aria-label='violin.md']")
    admin.click("#add")
    report = _report(admin, "added")
    assert "2 added" in report, report
    admin.wait_for_selector("#upload td.filename", state="detached")  # the list is cleared

    started = time.monotonic()
    admin.click("#rebuild")
    answered = 0
    while "Index rebuilt" not in admin.locator("#log textarea").input_value():
        assert "[1]" in _ask(chat, "What causes leg cramps?")  # chats go on meanwhile
        answered += 1
    report = _report(admin, "Index rebuilt")
    print(f"\n[figure] rebuild with 2 new articles took {time.monotonic() - started:.1f}s; "
          f"{answered} chats answered meanwhile")
    assert answered >= 1 and "7 articles" in report and "vectors" not in report
    assert re.match(r"Rebuilding from \d+ articles — .+: [\d,]+ of [\d,]+ done",
                    admin.evaluate("() => window.__progress || ''")), "no progress in words"

    assert "Cramps in Cold-Water Swimmers" in _panel_titles(chat, question)
    assert "Hand Cramps in Violin Players" in _panel_titles(
        chat, "What causes hand cramps in violin players?")
    with chat.expect_popup() as popup:
        chat.locator("#chat .bot .cramp-done").last.locator("a.cramp-cite").first.click()
    page = popup.value
    page.wait_for_selector("main")
    assert "<script>window.__pwned = 1</script>" in page.locator("main").inner_text()
    assert "[image: bow hold]" in page.locator("main").inner_text()
    assert page.evaluate("() => window.__pwned") is None
    assert chat.evaluate("() => window.__pwned") is None
    assert not _outside(chat), _outside(chat)
    log = server.log()  # the admin's actions, by session; nothing a reader asked
    assert re.search(r"admin add files by admin session [0-9a-f]{10}: 2 added", log), log
    assert re.search(r"admin rebuild by admin session [0-9a-f]{10}: build ", log), log
    assert question not in log


def _panel_titles(page: Any, question: str) -> str:
    _ask(page, question)
    answer = page.locator("#chat .bot .cramp-done").last
    answer.locator("summary").click()
    return str(answer.locator("details.cramp-sources").inner_text())
