"""The chat as a reader meets it in a real browser, on a phone (390×844) and a desktop: a new
answer opens at its start with nothing over it, the question box and its buttons stay on
screen, Sources open at the top of the box, thumbs only under answers, and the article page
leads back to the same chat.

Every wait is on the app's own signals (the finished answer's class, a selector, an event).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.app_server import ARTIFACTS, Server
from tests.test_app_browser import DESKTOP, PHONE, _answered, _ask, _open, _page

pytestmark = pytest.mark.slow
SIZES = pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])

ON_TOP = """() => {
  const log = document.querySelector('#chat [role=log]'), box = log.getBoundingClientRect();
  const asked = [...document.querySelectorAll('#chat .user-row')].pop().getBoundingClientRect();
  const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 2;  // a short answer
  return Math.abs(asked.top - box.top) < 10 || (atEnd && asked.top >= box.top - 5);
}"""
# Points across the visible part of the newest answer that show something other than that
# answer (or its own buttons): whatever covers it.
COVERED = """() => {
  const box = document.querySelector('#chat [role=log]').getBoundingClientRect();
  const answer = [...document.querySelectorAll('#chat .bot-row')].pop();
  const r = answer.getBoundingClientRect();
  const top = Math.max(r.top, box.top) + 2, bottom = Math.min(r.bottom, box.bottom) - 2;
  const hits = [];
  for (let y = top; y < bottom; y += 17) for (const f of [0.1, 0.3, 0.5, 0.7, 0.9]) {
    const x = r.left + f * r.width, el = document.elementFromPoint(x, y);
    if (!el || !answer.contains(el)) hits.push([Math.round(x), Math.round(y),
      el ? el.tagName + '.' + el.className : 'nothing']);
  }
  return hits;
}"""


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).last.bounding_box()
    assert box, f"{selector} is not shown"
    return dict(box)


# The page's script has fitted the conversation box to the question row as it is now.
FITTED = """() => {
  const row = document.getElementById('ask-row').getBoundingClientRect();
  return document.body.dataset.chatFitted === String(Math.round(row.height));
}"""


def _on_screen(page: Any, selector: str, size: dict[str, int]) -> None:
    page.wait_for_function(FITTED)
    b = _box(page, selector)
    assert b["x"] >= 0 and b["y"] >= 0, (selector, b)
    assert b["x"] + b["width"] <= size["width"] and b["y"] + b["height"] <= size["height"], (
        selector, b, size)


@SIZES
def test_a_new_answer_opens_at_its_start_with_the_question_box_on_screen(
        server: Server, browser: Any, size: dict[str, int]) -> None:
    page = _page(browser, size)
    _open(page, server)
    for part in ("#question textarea", "#ask", "#clear"):
        _on_screen(page, part, size)
    _ask(page, "What causes inner thigh cramps?")
    _ask(page, "When should I see a doctor about leg cramps?")  # starts below the first

    # The page's script puts the new question on top (or as high as a short answer lets it).
    page.wait_for_function(ON_TOP)
    assert page.evaluate("() => scrollY") == 0  # nothing to scroll: all of it is on screen
    chat = _box(page, "#chat [role=log]")
    first = page.locator("#chat .bot-row").last.locator(".cramp-answer > *").first
    line = page.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)",
                         first.element_handle())
    start = _box(page, "#chat .bot-row >> nth=-1")
    assert chat["y"] <= start["y"] and start["y"] + 3 * line <= chat["y"] + chat["height"], (
        "the start of the new answer is not in view", start, chat)
    question = page.locator("#chat .user-row").last.bounding_box()
    assert question and question["y"] >= chat["y"] - 5  # its question above it, in view
    assert page.evaluate(COVERED) == []
    for part in ("#question textarea", "#ask", "#clear"):
        _on_screen(page, part, size)
    page.screenshot(path=str(ARTIFACTS / f"chat-{size['width']}.png"))

    page.locator("#chat .bot-row").last.locator("summary").click()  # Sources open on top
    page.wait_for_function("""() => {
        const s = [...document.querySelectorAll('#chat details.cramp-sources')].pop();
        const box = document.querySelector('#chat [role=log]').getBoundingClientRect();
        return s.open && Math.abs(s.getBoundingClientRect().top - box.top) < 10; }""")
    entry = _box(page, "#chat .bot-row >> nth=-1 >> li.cramp-source >> nth=0")
    assert entry["y"] + 2 * line <= chat["y"] + chat["height"], (entry, chat)


def test_thumbs_only_under_answers(server: Server, browser: Any) -> None:
    page = _page(browser, PHONE)
    _open(page, server)
    _ask(page, "What causes inner thigh cramps?")
    done = page.locator("#chat .bot .cramp-done").count()
    page.click("#ask")  # an empty question: a prompt, not an answer
    _answered(page, done)
    assert "Please type a question" in page.locator("#chat [data-testid=bot]").last.inner_text()
    thumbs = page.locator("#chat :is(button[aria-label=Like], button[aria-label=Dislike])"
                          ":visible")
    assert thumbs.count() == 2  # the answer's pair, none under the prompt


def test_back_to_the_chat_returns_to_the_same_conversation(server: Server,
                                                           browser: Any) -> None:
    page = _page(browser, PHONE)
    _open(page, server)
    text = _ask(page, "What causes inner thigh cramps?")
    with page.expect_popup() as popup:
        page.locator("#chat a.cramp-cite").first.click()
    article = popup.value
    article.wait_for_selector("body[data-scrolled]")
    with article.expect_event("close"):
        article.get_by_role("link", name="← Back to the chat").click()
    assert page.locator("#chat .bot .cramp-done").last.inner_text() == text


def test_the_next_question_typed_while_an_answer_streams_is_kept(server: Server,
                                                                 browser: Any) -> None:
    page = _page(browser, PHONE)
    _open(page, server)
    done = page.locator("#chat .bot .cramp-done").count()
    page.fill("#question textarea", "And how do I")  # typed before an example is tapped
    page.locator(".cramp-example").first.click()
    page.locator("#question textarea").press_sequentially(" stop one?")  # and while answered
    _answered(page, done)
    assert page.locator("#question textarea").input_value() == "And how do I stop one?"


def test_a_long_question_keeps_the_question_box_and_buttons_on_screen(server: Server,
                                                                      browser: Any) -> None:
    page = _page(browser, PHONE)
    _open(page, server)
    box = page.locator("#question textarea")
    before = _box(page, "#question textarea")["height"]
    box.fill("I get cramps in my calves and the back of my thighs most nights after long "
             "walks, and sometimes in my feet too; what could be causing them, and what "
             "can I do?")
    page.wait_for_function("h => document.querySelector('#question textarea')"
                           ".getBoundingClientRect().height > h + 10", arg=before)
    for part in ("#question textarea", "#ask", "#clear"):  # the box grew; the chat made room
        _on_screen(page, part, PHONE)
