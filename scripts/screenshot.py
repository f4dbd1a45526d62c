"""Regenerate docs/screenshot.png: a cited answer with its sources panel open.

Usage: python scripts/screenshot.py URL   (an app started with `make run`)
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshot.png"


def main(url: str) -> None:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = chromium.new_page(viewport={"width": 1100, "height": 1400})
        page.goto(url)
        page.fill("#question textarea", "What causes inner thigh cramps?")
        page.click("#ask")
        page.wait_for_selector("#chat :text('Sources (')")
        page.wait_for_timeout(1500)  # let the stream's last render land before opening it
        page.click("#chat :text('Sources (')")
        page.wait_for_timeout(800)  # the panel opens with a transition
        page.locator("#chat mark").first.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        OUT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(OUT), animations="disabled")
        chromium.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:7860")
