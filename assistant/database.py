"""Shared state in one database: feedback and the gap list, admin sessions and lockouts,
and (on PostgreSQL) the build lock.

SQLite by default (one file, for the processes of one machine); PostgreSQL when
``CRAMP_DATABASE_URL`` names one, shared by every replica of the app. Both go through
SQLAlchemy Core with the same tables and the same statements (psycopg 3 is the PostgreSQL
driver). The schema carries a version number and is created, or brought up to date, by
whichever process uses the database first.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    exc,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateIndex, CreateTable

from .errors import AssistantError, BuildLockedError, DatabaseUnavailable
from .settings import Settings

log = logging.getLogger("assistant.database")
T = TypeVar("T")
#: 1 was the feedback table alone, before the version table; 2 added the admin tables.
SCHEMA_VERSION = 2
_SCHEMA_LOCK = "cramp-assistant schema"
#: One library per database: every replica's build takes this lock.
BUILD_LOCK = "cramp-assistant index build"

metadata = MetaData()
schema_version = Table(
    "schema_version", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1: one row
    Column("version", Integer, nullable=False))
feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", Text, nullable=False),  # UTC time, to the second
    Column("kind", Text, nullable=False),  # 'up', 'down' or 'abstained'
    Column("question", Text, nullable=False),
    Column("searched_for", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("citations", Text, nullable=False),  # JSON: n, title, publisher, url, quote...
    Column("build_id", Text, nullable=False))
feedback_kind = Index("feedback_kind", feedback.c.kind, feedback.c.id)
admin_failures = Table(
    "admin_failures", metadata,
    Column("key", String(300), primary_key=True),  # "address <ip>" or "account admin"
    Column("count", Integer, nullable=False),
    Column("last", Float, nullable=False),  # seconds since the epoch: shared by machines
    Column("locked_until", Float, nullable=False))
admin_sessions = Table(
    "admin_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256: no usable token stored
    Column("expires", Float, nullable=False))


def sqlite_path(settings: Settings) -> Path:
    """The SQLite file: ``CRAMP_FEEDBACK_PATH``, else feedback.sqlite3 beside the index
    (unused when ``CRAMP_DATABASE_URL`` is set)."""
    return settings.feedback_path or settings.index_dir.resolve().parent / "feedback.sqlite3"


def database_url(settings: Settings) -> str:
    """``CRAMP_DATABASE_URL``, else the SQLite file of :func:`sqlite_path`."""
    return settings.database_url or f"sqlite:///{sqlite_path(settings)}"


class Database:
    """One database for one process, connected on first use; safe to share between threads."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        parsed = make_url(url)
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not psycopg2
        elif not parsed.drivername.startswith(("postgresql+psycopg", "sqlite")):
            raise AssistantError(f"CRAMP_DATABASE_URL {parsed.render_as_string()!r} is not a "
                                 "postgresql:// or sqlite:/// URL")
        self.url, self.timeout = parsed, timeout
        self.path = Path(parsed.database) if self.sqlite and parsed.database else None
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(database_url(settings), settings.database_timeout_seconds)

    @property
    def sqlite(self) -> bool:
        return self.url.drivername.startswith("sqlite")

    @property
    def where(self) -> str:
        """The database for messages and logs, without its password."""
        return str(self.path) if self.path else self.url.render_as_string(hide_password=True)

    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                engine = self._create_engine()
                try:
                    try:
                        self._attempt(lambda: _ensure_schema(engine))
                    except exc.IntegrityError:  # another process recorded the version first
                        self._attempt(lambda: _ensure_schema(engine))
                except BaseException:
                    engine.dispose()
                    raise
                self._engine = engine
            return self._engine

    def _create_engine(self) -> Engine:
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return create_engine(self.url, connect_args={"timeout": self.timeout})
        # pre_ping: a connection left from before a restart is replaced, not used.
        return create_engine(self.url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                             pool_timeout=self.timeout,
                             connect_args={"connect_timeout": max(1, round(self.timeout))})

    def run(self, work: Callable[[Connection], T]) -> T:
        """``work`` in one transaction; a connection dropped on the way (a restart) is tried
        once more on a fresh one. Raises :class:`DatabaseUnavailable` with a fix."""
        engine = self.engine()

        def once() -> T:
            with engine.begin() as conn:
                return work(conn)

        return self._attempt(once, tries=2)

    def _attempt(self, work: Callable[[], T], tries: int = 1) -> T:
        for attempt in range(tries):
            try:
                return work()
            except (exc.OperationalError, exc.InterfaceError) as error:
                if attempt + 1 < tries:
                    continue
                raise DatabaseUnavailable(
                    f"the database {self.where} is not answering ({_first_line(error)}): check "
                    "that it is running and reachable and that CRAMP_DATABASE_URL is right; "
                    "the app keeps answering meanwhile") from error
        raise AssertionError("unreachable")

    @contextmanager
    def build_lock(self, wait: bool = False) -> Iterator[None]:
        """Hold the library's build lock across every replica: a PostgreSQL advisory lock on
        a connection of its own, released when the block ends or the process dies (the
        server ends its session). SQLite has none: the index folder's file lock serves."""
        if self.sqlite:
            yield
            return
        key = _lock_key(BUILD_LOCK)
        with self._locked(key, wait):
            yield

    @contextmanager
    def _locked(self, key: int, wait: bool) -> Iterator[None]:
        conn = self._attempt(self.engine().connect)
        try:
            how = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
            got = self._attempt(lambda: conn.execute(text(f"SELECT {how}(:k)"), {"k": key}))
            if not wait and not got.scalar():
                raise BuildLockedError("another replica is building this library's index (the "
                                       f"build lock in {self.where} is held); wait for it")
            conn.commit()
            yield
        finally:
            conn.invalidate()  # closes the session: the lock cannot outlive the block
            conn.close()

    def dispose(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None


def _ensure_schema(engine: Engine) -> None:
    """Create the tables that are missing and record the schema version, once, even when
    several processes start together (PostgreSQL: under an advisory lock)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(_SCHEMA_LOCK)})
        for table in metadata.sorted_tables:
            conn.execute(CreateTable(table, if_not_exists=True))
        conn.execute(CreateIndex(feedback_kind, if_not_exists=True))
        found = conn.execute(select(schema_version.c.version)).scalar()
        if found is None:
            conn.execute(insert(schema_version).values(id=1, version=SCHEMA_VERSION))
        elif found > SCHEMA_VERSION:
            raise AssistantError(f"the database has schema version {found}, newer than this "
                                 f"app's {SCHEMA_VERSION}: upgrade the app (or point "
                                 "CRAMP_DATABASE_URL at another database)")
        elif found < SCHEMA_VERSION:  # every older version's tables were created above
            conn.execute(update(schema_version).values(version=SCHEMA_VERSION))


def _lock_key(name: str) -> int:
    """A signed 64-bit advisory lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _first_line(error: Exception) -> str:
    cause = getattr(error, "orig", None) or error
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0][:300]
