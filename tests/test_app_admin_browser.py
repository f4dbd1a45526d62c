"""The admin's side in a real browser: the upload area opens once the server has seen the
sign-in (so no file is sent only to be refused), the password field is one a password
manager recognises, and a gap list asked for without the password says what did not happen.
The rebuild's progress in words: test_app_browser.py::test_admin_upload_rebuild_while_chatting.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.app_server import ADMIN, Server
from tests.test_app_browser import _library, _open, _page

pytestmark = pytest.mark.slow
TOASTS = ".toast-body"


def _library_tab(browser: Any, server: Server) -> Any:
    page = _page(browser)
    _open(page, server)
    _library(page)
    return page


def test_upload_opens_after_sign_in_without_refused_uploads(server: Server,
                                                            browser: Any) -> None:
    page = _library_tab(browser, server)
    page.wait_for_selector("#signed-in :text('Sign in to upload files')")
    assert page.locator("#upload input[type=file]").count() == 0  # nothing to send yet
    page.fill("#password input", ADMIN)
    page.click("#sign-in")
    page.wait_for_selector("#signed-in :text('Signed in')")
    page.wait_for_selector("#upload input[type=file]", state="attached")
    label = page.locator("#upload [data-testid=block-label]")
    assert label.inner_text().strip() == "Articles to add (.txt, .md, .html, .pdf)"
    assert page.locator(TOASTS).count() == 0
    again = _page(browser)  # the same browser later: the server still knows the sign-in
    again.context.add_cookies(page.context.cookies())
    _open(again, server)
    _library(again)
    again.wait_for_selector("#upload input[type=file]", state="attached")


def test_the_password_field_is_in_a_form_with_a_username(server: Server, browser: Any) -> None:
    page = _library_tab(browser, server)
    page.wait_for_function("() => document.querySelector('#password input').form !== null")
    form = page.evaluate("""() => { const f = document.querySelector('#password input');
        return {autocomplete: f.autocomplete, type: f.type, name: f.name,
                fields: [...f.form.elements].map(e => [e.type, e.autocomplete])}; }""")
    assert form["type"] == "password" and form["autocomplete"] == "current-password"
    assert ["text", "username"] in form["fields"] and ["password", "current-password"] in \
        form["fields"]


def test_a_gap_list_without_the_password_does_not_speak_of_changes(server: Server,
                                                                     browser: Any) -> None:
    page = _library_tab(browser, server)
    page.click("#show-gaps")
    page.wait_for_selector("#gaps :text('Enter the admin password')")
    text = page.locator("#gaps").inner_text()
    assert "the list is shown to admins only" in text and "nothing was changed" not in text
