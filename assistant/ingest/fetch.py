"""Download one article by URL, within limits: http/https only (also after every redirect),
a bounded number of redirects, one deadline for the whole fetch, a size limit enforced
while reading, and only the content types the readers handle.

httpx (already installed with Gradio) rather than urllib: it lets each redirect be
followed by hand, so every hop's scheme and host are checked before it is requested,
and it streams the body so an oversized page is cut off instead of read into memory.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

import httpx

from ..errors import ImportFailed
from ..settings import Settings
from .frontmatter import is_web_url
from .readers import SUPPORTED

#: Content type -> the reader (file suffix) that handles it.
KINDS = {"text/html": ".html", "application/xhtml+xml": ".html", "text/plain": ".txt",
         "text/markdown": ".md", "text/x-markdown": ".md", "application/pdf": ".pdf"}
_HEADERS = {"User-Agent": "cramp-assistant/0.1 (article import)",
            "Accept": "text/html, text/markdown, text/plain, application/pdf;q=0.9, */*;q=0.1"}


@dataclass(frozen=True)
class Fetched:
    url: str  # where the article was found, after redirects
    kind: str  # the reader to use: ".html", ".txt", ".md" or ".pdf"
    data: bytes


def fetch_url(url: str, settings: Settings) -> Fetched:
    """Fetch ``url``; raise :class:`ImportFailed` naming the URL and the reason."""
    deadline = time.monotonic() + settings.url_timeout_seconds
    current = url
    try:
        with httpx.Client(headers=_HEADERS, follow_redirects=False) as client:
            for _ in range(settings.url_max_redirects + 1):
                _check_address(url, current, settings.url_allow_private_hosts)
                timeout = max(deadline - time.monotonic(), 0.001)
                with client.stream("GET", current, timeout=timeout) as response:
                    if response.is_redirect and "location" in response.headers:
                        current = urljoin(current, response.headers["location"])
                        continue
                    return _read(url, response, settings.max_article_bytes, deadline)
    except httpx.TimeoutException as exc:
        raise ImportFailed(f"{url}: no complete answer within {settings.url_timeout_seconds:g} s "
                           "(CRAMP_URL_TIMEOUT_SECONDS); nothing added") from exc
    except httpx.HTTPError as exc:
        raise ImportFailed(f"{url}: could not be fetched ({type(exc).__name__}: {exc}); "
                           "check the address and that the site is reachable") from exc
    raise ImportFailed(f"{url}: more than {settings.url_max_redirects} redirects "
                       "(CRAMP_URL_MAX_REDIRECTS); nothing added")


def _check_address(url: str, current: str, allow_private: bool) -> None:
    """Only http(s), and (unless allowed) no host on this machine's own networks.

    The host is resolved here and again by httpx, so a DNS answer that changes in between
    is not caught; the check keeps ordinary mistakes and simple probes out.
    """
    if not is_web_url(current):
        where = "" if current == url else f" (redirected to {current})"
        raise ImportFailed(f"{url}{where}: only http and https addresses can be added")
    if allow_private:
        return
    host = urlsplit(current).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError as exc:
        raise ImportFailed(f"{url}: the host {host!r} cannot be found ({exc})") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            raise ImportFailed(f"{url}: {host} is a local or private address ({address}); "
                               "set CRAMP_URL_ALLOW_PRIVATE_HOSTS=true to allow it")


def _read(url: str, response: httpx.Response, max_bytes: int, deadline: float) -> Fetched:
    if response.status_code != 200:
        raise ImportFailed(f"{url}: the server answered HTTP {response.status_code} "
                           f"{response.reason_phrase}; nothing added")
    kind = _kind(response)
    if kind is None:
        given = response.headers.get("content-type") or "no content type"
        raise ImportFailed(f"{url}: the server sent {given}, not a web page, text, Markdown "
                           "or PDF; nothing added")
    declared = int(response.headers.get("content-length") or 0)
    if declared > max_bytes:
        raise _too_big(url, max_bytes)
    data = bytearray()
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) > max_bytes:
            raise _too_big(url, max_bytes)
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("deadline passed", request=response.request)
    return Fetched(str(response.url), kind, _as_utf8(bytes(data), kind, response))


def _kind(response: httpx.Response) -> str | None:
    media = (response.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media in KINDS:
        return KINDS[media]
    suffix = PurePosixPath(response.url.path).suffix.lower()
    if media in ("", "application/octet-stream") and suffix in SUPPORTED:
        return suffix  # a server that does not know the type of a .md or .pdf file
    return None


def _as_utf8(data: bytes, kind: str, response: httpx.Response) -> bytes:
    """Text in a declared non-UTF-8 charset is re-encoded, as the readers expect UTF-8."""
    charset = response.charset_encoding
    if kind == ".pdf" or not charset or charset.lower().replace("_", "-") in ("utf-8", "utf8"):
        return data
    try:
        return data.decode(charset, errors="replace").encode("utf-8")
    except LookupError:
        return data


def _too_big(url: str, max_bytes: int) -> ImportFailed:
    return ImportFailed(f"{url}: larger than the {max_bytes:,}-byte limit "
                        "(CRAMP_MAX_ARTICLE_BYTES); nothing added")
