"""The admin password check: slowed and locked out per client, and short admin sessions.

A wrong password is answered only after a pause, and a client that gets it wrong
``admin_max_failures`` times is locked out for ``admin_lockout_seconds`` (even the right
password is refused meanwhile), so guessing is slow and short. A right password can open an
admin session: a random token the browser keeps in a cookie, needed to upload files.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import AssistantError
from ..settings import Settings

log = logging.getLogger("assistant.app")
_MAX_TRACKED = 10_000  # clients or sessions remembered at once; the oldest are forgotten


class NotAllowed(AssistantError):
    """A library change was attempted without the admin password."""


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0
    locked_until: float = 0.0


class AdminGuard:
    """Checks admin passwords for one app; safe to share between its threads."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self._clock, self._sleep = clock, sleep
        self._failures: dict[str, _Failures] = {}
        self._sessions: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        secret = self.settings.admin_password
        return secret is not None and bool(secret.get_secret_value())

    def check(self, password: str | None, client: str = "local",
              refused: str = "nothing was changed") -> None:
        """Return if ``password`` is the admin password; else raise :class:`NotAllowed`,
        saying what did not happen (``refused``)."""
        if not self.enabled:
            raise NotAllowed("Library changes are disabled: set CRAMP_ADMIN_PASSWORD to enable "
                             "them, then restart the app.")
        with self._lock:
            self._refuse_if_locked(client)
        if not password:
            raise NotAllowed(f"Enter the admin password: {refused}.")
        expected = self.settings.admin_password.get_secret_value()  # type: ignore[union-attr]
        if hmac.compare_digest(password.encode(), expected.encode()):
            with self._lock:
                self._failures.pop(client, None)
            return
        message = self._fail(client, refused)
        self._sleep(self.settings.admin_failure_delay_seconds)  # slows guessing
        raise NotAllowed(message)

    def _refuse_if_locked(self, client: str) -> None:
        state = self._failures.get(client)
        now = self._clock()
        if state and state.locked_until > now:
            minutes = max(1, round((state.locked_until - now) / 60))
            raise NotAllowed(f"Too many wrong admin passwords from this connection: try again "
                             f"in {minutes} minute{'s' if minutes > 1 else ''}.")

    def _fail(self, client: str, refused: str) -> str:
        s = self.settings
        with self._lock:
            now = self._clock()
            state = self._failures.setdefault(client, _Failures())
            if now - state.last > s.admin_lockout_seconds:
                state.count = 0  # an old mistake is forgiven
            state.count += 1
            state.last = now
            left = s.admin_max_failures - state.count
            if left <= 0:
                state.locked_until = now + s.admin_lockout_seconds
            self._forget_oldest(self._failures, key=lambda f: f.last)
        log.warning("wrong admin password from %s (%d in a row)%s", client, state.count,
                    "; locked out" if left <= 0 else "")
        if left <= 0:
            minutes = max(1, round(s.admin_lockout_seconds / 60))
            return (f"Wrong admin password: {refused}. Too many wrong passwords: "
                    f"this connection is locked out for {minutes} minutes.")
        return (f"Wrong admin password: {refused} ({left} "
                f"{'try' if left == 1 else 'tries'} left before a lockout).")

    # -- sessions (uploads) -------------------------------------------------------------

    def sign_in(self, password: str | None, client: str = "local") -> str:
        """A new admin session token for the right password (checked as :meth:`check` does)."""
        self.check(password, client)
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[token] = self._clock() + self.settings.admin_session_seconds
            self._forget_oldest(self._sessions, key=lambda expiry: expiry)
        log.info("admin session %s signed in from %s", session_name(token), client)
        return token

    def session_ok(self, token: str | None) -> bool:
        if not token:
            return False
        with self._lock:
            expiry = self._sessions.get(token)
            return expiry is not None and expiry > self._clock()

    @staticmethod
    def _forget_oldest(table: dict[str, Any], key: Callable[[Any], float]) -> None:
        if len(table) > _MAX_TRACKED:
            for name in sorted(table, key=lambda k: key(table[k]))[: len(table) // 10]:
                del table[name]


def session_name(token: str) -> str:
    """A session as the logs name it: a short digest, never the token (or the page's session
    id) itself, so a log cannot be used to act as that session."""
    return hashlib.sha256(token.encode()).hexdigest()[:10]
