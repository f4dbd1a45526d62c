"""Word tables derived from installed packages (English word ranks by stem, words that are
never nouns), computed once and kept as JSON in the cache folder.

Computing them takes a few tenths of a second (82,000 English words stemmed and looked up),
which a server pays once but a one-question process (``cramp-assistant ask``) would pay on
every run. A table's file is named after the versions of the packages it comes from, so an
upgrade makes a new one; a cache that cannot be written only means computing it each time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from .export import default_cache_dir

log = logging.getLogger(__name__)
TABLES_VERSION = 2  # change when a table's meaning changes: older files are not reused


def cached(name: str, packages: Sequence[str], build: Callable[[], Any]) -> Any:
    """The table ``name`` (JSON-able), from the cache when it was made from these versions
    of ``packages``, else built and saved."""
    path = table_path(name, packages)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    table = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False,
                                         encoding="utf-8", suffix=".tmp") as out:
            json.dump(table, out)
        os.replace(out.name, path)  # readers see the old file or the whole new one
    except OSError as exc:
        log.debug("word table %s not cached (%s): computed each time", name, exc)
    return table


def table_path(name: str, packages: Sequence[str]) -> Path:
    digest = hashlib.sha256(f"tables {TABLES_VERSION}\n".encode())
    for package in packages:
        digest.update(f"{package} {_version(package)}\n".encode())
    return default_cache_dir() / "tables" / f"{name}-{digest.hexdigest()[:16]}.json"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "none"
