"""Regenerate the README's screenshots, desktop (1280 px) and phone (390 px): a cited answer
with its sources open, the Library tab, and the list of questions the library could not
answer. Starts its own app on a copy of the shipped corpus and index (127.0.0.1 only).

Usage: python scripts/screenshot.py     -> docs/{answer,library,gaps}-{desktop,phone}.png
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from appserver import ADMIN, ROOT, running_app
from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
DOCS = ROOT / "docs"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
QUESTION = "How do I stop a thigh cramp when it happens?"
UNANSWERED = ["How do I change a car tyre?", "How do you change a tire on a car?",
              "What causes migraines?"]
WAIT = 180_000
PUT_ON_TOP = """phone => {
  // desktop: the question at the top of the chat; phone (a short chat): the open sources.
  const target = phone ? [...document.querySelectorAll('#chat .cramp-sources')].pop()
                       : [...document.querySelectorAll('#chat .user')].pop();
  const chat = document.querySelector('#chat');
  const placed = Math.abs(target.getBoundingClientRect().top
                          - chat.getBoundingClientRect().top) < 40;
  target.scrollIntoView({block: 'start'});
  scrollTo(0, 0);
  return placed;
}"""


# The app's own answer to opening Sources: they are scrolled to the top of the chat box.
SOURCES_SHOWN = """() => {
  const sources = [...document.querySelectorAll('#chat details.cramp-sources')].pop();
  const chat = document.querySelector('#chat');
  return sources && sources.open && Math.abs(sources.getBoundingClientRect().top
                                             - chat.getBoundingClientRect().top) < 40;
}"""


def ask(page: Any, question: str) -> Any:
    """Ask and wait for the whole answer (the app marks it done); returns that message."""
    done = page.locator("#chat .bot .cramp-done").count()
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function("n => document.querySelectorAll('#chat .bot .cramp-done').length > n",
                           arg=done, timeout=WAIT)
    return page.locator("#chat .bot .cramp-done").last


def seed_feedback(page: Any) -> None:
    """Unanswered questions (logged by the app) and a thumbs down, for the gap list."""
    for question in UNANSWERED:
        ask(page, question)
    ask(page, "Does drinking pickle juice stop cramps?")
    page.locator("#chat button[aria-label='Dislike']").last.click()


def shoot(page: Any, name: str, size: str, full: bool = False) -> None:
    page.evaluate("() => document.fonts.ready")
    page.screenshot(path=str(DOCS / f"{name}-{size}.png"), full_page=full,
                    animations="disabled")


def capture(browser: Any, url: str, size: str) -> None:
    page = browser.new_page(viewport=SIZES[size])
    page.set_default_timeout(WAIT)
    page.goto(url)
    page.wait_for_selector("#question textarea")
    answer = ask(page, QUESTION)
    answer.locator("summary").click()
    page.wait_for_function(SOURCES_SHOWN, polling=250)  # then the view is placed for the shot
    page.wait_for_function(PUT_ON_TOP, arg=size == "phone", polling=250)  # until it stays
    shoot(page, "answer", size)
    page.get_by_role("tab", name="Library").click()
    page.wait_for_selector("#articles table td")
    page.evaluate("() => scrollTo(0, 0)")
    shoot(page, "library", size)
    page.fill("#password input", ADMIN)
    page.click("#show-gaps")
    page.wait_for_selector("#gaps table td")
    page.locator("#gaps").evaluate("e => e.scrollIntoView()")
    shoot(page, "gaps", size)
    page.close()


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp)) as url, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        seeding = browser.new_page()
        seeding.set_default_timeout(WAIT)
        seeding.goto(url)
        seeding.wait_for_selector("#question textarea")
        seed_feedback(seeding)
        for size in SIZES:
            capture(browser, url, size)
        browser.close()
    print("wrote", ", ".join(f"docs/{n}-{s}.png" for n in ("answer", "library", "gaps")
                            for s in SIZES))


if __name__ == "__main__":
    main()
