"""YAML front matter: the metadata block between ``---`` lines at the top of a Markdown file.

The same parser reads articles being imported and the corpus's own files, so both accept
the same forms (a BOM, CRLF line ends, ``...`` as the closing line).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import yaml

from ..errors import ImportFailed

_OPEN = re.compile(r"\A\ufeff?---[ \t]*\r?\n")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.M)

# Article field <- front-matter keys that may hold it, most trusted first. A copy's own
# address (``source_url``) loses to the original's (``original_source_url``).
KEYS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "publisher": ("publisher", "site", "site_name", "sitename"),
    "author": ("author", "authors", "byline"),
    "url": ("original_source_url", "source_url", "url", "canonical_url"),
    "published": ("published", "date", "date_published"),
    "licence": ("licence", "license"),
}


@dataclass(frozen=True)
class FrontMatter:
    """A file split into its metadata and its body; ``block`` is the raw metadata text."""

    meta: dict[str, Any]
    body: str
    block: str = ""


@dataclass(frozen=True)
class SourceMeta:
    """What a source says about itself, normalised to plain strings."""

    title: str | None = None
    publisher: str | None = None
    author: str | None = None
    url: str | None = None
    published: str | None = None
    licence: str | None = None
    used: tuple[str, ...] = ()  # the keys that were read
    warnings: list[str] = field(default_factory=list)


def split_front_matter(text: str, name: str) -> FrontMatter:
    """Split ``text``; raise :class:`ImportFailed` naming ``name`` and the line on bad YAML."""
    opening = _OPEN.match(text)
    if not opening:
        return FrontMatter({}, text)
    closing = _CLOSE.search(text, opening.end())
    if not closing:
        raise ImportFailed(f"{name}: front matter opened by '---' on line 1 is never closed; "
                           "add a '---' line after the metadata")
    try:
        meta = yaml.safe_load(text[opening.end():closing.start()])
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ImportFailed(f"{name}: front matter line {line} (file line {line + 1}): "
                           f"{exc.problem}; fix the YAML (quote values that contain ': ' "
                           "or start with a quote)") from exc
    except yaml.YAMLError as exc:
        raise ImportFailed(f"{name}: front matter is not valid YAML ({exc})") from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ImportFailed(f"{name}: front matter is a YAML {type(meta).__name__}, not a "
                           "mapping of 'key: value' lines; fix it or remove the '---' lines")
    return FrontMatter(meta, text[closing.end():], text[: closing.end()])


def source_meta(meta: Mapping[str, Any]) -> SourceMeta:
    """Pick the article fields out of front matter (see ``KEYS``); only http(s) URLs count."""
    values: dict[str, str | None] = {}
    used: list[str] = []
    warnings: list[str] = []
    for name, keys in KEYS.items():
        values[name] = None
        for key in keys:
            value = as_text(meta.get(key))
            if value is None:
                continue
            if name == "url" and not is_web_url(value):
                warnings.append(f"front matter {key}: {value!r} ignored: only http/https "
                                "links are kept")
                continue
            if values[name] is None:
                values[name] = value
                used.append(key)
    return SourceMeta(**values, used=tuple(used), warnings=warnings)


def as_text(value: Any) -> str | None:
    """A metadata value as one line of plain text (dates in ISO form, lists joined)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value if v is not None)
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def is_web_url(value: str | None) -> bool:
    """True for an absolute http or https address with a host."""
    if not value:
        return False
    parts = urlsplit(value.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def dump_front_matter(meta: Mapping[str, object]) -> str:
    """The corpus file's front matter: the given fields that have a value, in order."""
    clean = {k: v for k, v in meta.items() if v is not None}
    return "---\n" + yaml.safe_dump(clean, sort_keys=False, allow_unicode=True) + "---\n"
