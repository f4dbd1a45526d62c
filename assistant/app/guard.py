"""The admin password check: slowed and locked out per client address and per account, and
short admin sessions, all kept in the shared database so every replica sees them.

A wrong password is answered only after a pause. A client address that gets it wrong
``admin_max_failures`` times is locked out for ``admin_lockout_seconds`` (even the right
password is refused meanwhile). The admin account counts wrong passwords from every address
too: after ``admin_account_max_failures`` it pauses for ``admin_account_lockout_seconds``,
which bounds guessing spread over many addresses, and then the real admin signs in from any
address that is not locked out. Behind a reverse proxy the address is the one it forwards
(``CRAMP_TRUSTED_PROXIES``, see :mod:`.server`). A right password can open an admin session:
a random token the browser keeps in a cookie (only its SHA-256 is stored), needed to upload.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, case, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from ..database import Database, admin_failures, admin_sessions
from ..errors import AssistantError, DatabaseUnavailable
from ..settings import Settings

log = logging.getLogger("assistant.app")
ACCOUNT = "account admin"  # the one admin account: the password is its only credential


class NotAllowed(AssistantError):
    """A library change was attempted without the admin password."""


class AdminGuard:
    """Checks admin passwords for one app; safe to share between its threads."""

    def __init__(self, settings: Settings, database: Database | None = None,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.database = database or Database.from_settings(settings)
        self._clock, self._sleep = clock, sleep  # wall-clock time: shared across machines

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
        self._refuse_if_locked(client)
        if not password:
            raise NotAllowed(f"Enter the admin password: {refused}.")
        expected = self.settings.admin_password.get_secret_value()  # type: ignore[union-attr]
        if hmac.compare_digest(password.encode(), expected.encode()):
            # This address is forgiven; the account's count is not, or each sign-in of the
            # real admin would give a guesser elsewhere a fresh allowance.
            self.database.run(lambda db: db.execute(
                delete(admin_failures).where(admin_failures.c.key == _address(client))))
            return
        message = self._fail(client, refused)
        self._sleep(self.settings.admin_failure_delay_seconds)  # slows guessing
        raise NotAllowed(message)

    def _refuse_if_locked(self, client: str) -> None:
        now = self._clock()
        query = select(admin_failures.c.key, admin_failures.c.locked_until).where(
            admin_failures.c.key.in_([_address(client), ACCOUNT]),
            admin_failures.c.locked_until > now)
        locked = dict(self.database.run(lambda db: list(db.execute(query))))
        if _address(client) in locked:
            raise NotAllowed(f"Too many wrong admin passwords from this connection: try again "
                             f"in {_minutes(locked[_address(client)] - now)}.")
        if ACCOUNT in locked:
            raise NotAllowed(f"Too many wrong admin passwords from several connections: "
                             f"admin sign-in is paused; try again in "
                             f"{_minutes(locked[ACCOUNT] - now)}.")

    def _fail(self, client: str, refused: str) -> str:
        s = self.settings
        now = self._clock()

        def count(db: Connection) -> int:
            db.execute(delete(admin_failures).where(  # forget what no longer matters
                admin_failures.c.last < now - max(s.admin_lockout_seconds,
                                                  s.admin_account_lockout_seconds),
                admin_failures.c.locked_until < now))
            _count(db, ACCOUNT, now, s.admin_account_max_failures,
                   s.admin_account_lockout_seconds, s.admin_lockout_seconds)
            return _count(db, _address(client), now, s.admin_max_failures,
                          s.admin_lockout_seconds, s.admin_lockout_seconds)

        failures = self.database.run(count)
        left = s.admin_max_failures - failures
        log.warning("wrong admin password from %s (%d in a row)%s", client, failures,
                    "; locked out" if left <= 0 else "")
        if left <= 0:
            return (f"Wrong admin password: {refused}. Too many wrong passwords: "
                    f"this connection is locked out for {_minutes(s.admin_lockout_seconds)}.")
        return (f"Wrong admin password: {refused} ({left} "
                f"{'try' if left == 1 else 'tries'} left before a lockout).")

    # -- sessions (uploads) -------------------------------------------------------------

    def sign_in(self, password: str | None, client: str = "local") -> str:
        """A new admin session token for the right password (checked as :meth:`check` does)."""
        self.check(password, client)
        token = secrets.token_urlsafe(32)
        now = self._clock()

        def store(db: Connection) -> None:
            db.execute(delete(admin_sessions).where(admin_sessions.c.expires < now))
            db.execute(insert(admin_sessions).values(
                token_hash=_digest(token), expires=now + self.settings.admin_session_seconds))

        self.database.run(store)
        log.info("admin session %s signed in from %s", session_name(token), client)
        return token

    def session_ok(self, token: str | None) -> bool:
        """Whether ``token`` is a live admin session (of this replica or another)."""
        if not token:
            return False
        query = select(admin_sessions.c.expires).where(
            admin_sessions.c.token_hash == _digest(token))
        try:
            expiry = self.database.run(lambda db: db.execute(query).scalar())
        except DatabaseUnavailable as exc:
            log.warning("admin session not checked: %s", exc)
            return False
        return expiry is not None and expiry > self._clock()


def _count(db: Connection, key: str, now: float, most: int, lockout: float,
           forgive: float) -> int:
    """Count one more wrong password against ``key`` in one statement (so replicas counting
    at once lose nothing) and lock it for ``lockout`` seconds at ``most``; a count idle for
    ``forgive`` seconds starts again. Returns the count."""
    t = admin_failures.c
    dialect: Any = postgresql if db.dialect.name == "postgresql" else sqlite
    new_count = case((t.last < now - forgive, 1), else_=t.count + 1)
    statement = dialect.insert(admin_failures).values(
        key=key, count=1, last=now, locked_until=now + lockout if most <= 1 else 0.0)
    statement = statement.on_conflict_do_update(
        index_elements=[t.key],
        set_={"count": new_count, "last": now,
              "locked_until": case((new_count >= most, now + lockout), else_=t.locked_until)},
    ).returning(t.count)
    return int(db.execute(statement).scalar_one())


def _address(client: str) -> str:
    return f"address {client}"[:300]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _minutes(seconds: float) -> str:
    if seconds < 90:
        whole = max(1, round(seconds))
        return f"{whole} second{'s' if whole > 1 else ''}" if seconds < 60 else "1 minute"
    minutes = round(seconds / 60)
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


def session_name(token: str) -> str:
    """A session as the logs name it: a short digest, never the token (or the page's session
    id) itself, so a log cannot be used to act as that session."""
    return hashlib.sha256(token.encode()).hexdigest()[:10]
