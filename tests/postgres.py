"""A real PostgreSQL for the tests: Debian's server binaries, a cluster in a temporary folder
owned by an unprivileged user, listening on 127.0.0.1 only, started and stopped here.

Where the server is not installed the tests that need it fail, saying how to install it
(CI's .ci/run does): they never skip.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

USER = "cramp"  # the cluster's superuser (a database role, not a system account)
SYSTEM_USER = "postgres"  # Debian's package creates it; made here if it is missing


def server_bin() -> Path:
    """The newest installed PostgreSQL server's bin folder (Debian: /usr/lib/postgresql/N)."""
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    if not found and shutil.which("initdb"):
        found = [Path(str(shutil.which("initdb"))).parent]
    if not found:
        pytest.fail("PostgreSQL's server is not installed: `apt-get install postgresql` "
                    "(Debian; .ci/run installs it for CI)")
    return max(found, key=lambda p: [int(n) for n in re.findall(r"\d+", str(p))] or [0])


def _system_user() -> str | None:
    """Who runs the server: the postgres system user when we are root (PostgreSQL refuses to
    run as root), else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        SYSTEM_USER], check=True)
    return SYSTEM_USER


@dataclass
class Postgres:
    bin: Path
    root: Path
    port: int
    password: str
    user: str | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-w", "-t", "120", *args)

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run([str(self.bin / program), *args], user=self.user,
                              capture_output=True, text=True, cwd=self.root)
        if done.returncode:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr}"
                               f"{done.stdout}\n{self.log()}")

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.is_file() else ""

    def start(self) -> None:
        """Start and wait until it accepts connections (pg_ctl -w waits for the server's
        own ready signal)."""
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                   f"-c unix_socket_directories={self.root}")
        self._ctl("-o", options, "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    def restart(self) -> None:
        """Stop (dropping every connection) and start again; returns once it is ready."""
        self._ctl("-m", "fast", "restart")

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def new_cluster() -> Postgres:
    """A new cluster in a temporary folder, started; ``remove`` stops it and deletes it."""
    user = _system_user()
    root = Path(tempfile.mkdtemp(prefix="cramp-pg-"))
    password = secrets.token_urlsafe(16)
    (root / "pw").write_text(password)
    for path in (root, root / "pw") if user else ():
        shutil.chown(path, user)
    server = Postgres(server_bin(), root, _free_port(), password, user)
    try:
        server._run("initdb", "-D", str(server.data), "-U", USER, "--pwfile", str(root / "pw"),
                    "--auth=scram-sha-256", "-E", "UTF8", "--locale=C")
        server.start()
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One cluster for the session; each test takes a database of its own."""
    server = new_cluster()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture()
def database_url(postgres: Postgres, request: pytest.FixtureRequest) -> str:
    """A fresh, empty database for one test."""
    name = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:50] + "_" + \
        secrets.token_hex(3)
    return postgres.create_database(name)
