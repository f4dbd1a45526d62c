"""Saved or fetched web pages: trafilatura finds the article and its metadata; this module
accounts for what it left out, by kind, for the import report.

trafilatura does not say what it removed, so the report compares the page's visible text
with what trafilatura kept: every visible text fragment that is not in the kept text is
put down to the nearest enclosing piece of page furniture (a ``<nav>``, an element whose
class or id says "cookie", "comments", "related"...), or to "other page text" when no such
element encloses it. An approximation, but every character is counted once.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import urljoin

import lxml.html

from ..errors import ImportFailed
from ..textutil import normalize
from .frontmatter import SourceMeta, as_text, is_web_url
from .readers import RawArticle
from .report import visible_chars

# (kind, what a tag, role, class or id says) — first match wins, so the specific kinds
# (a cookie banner inside a footer) come before the general ones.
_KINDS = [
    ("cookie banner", re.compile(r"cookie|consent|gdpr", re.I)),
    ("comments", re.compile(r"comment|disqus|respond|reply", re.I)),
    ("share buttons", re.compile(r"share|social", re.I)),
    ("related links", re.compile(r"related|recommend|read-?next|more-?stories|also-?like",
                                 re.I)),
    ("calls to sign up, adverts", re.compile(r"newsletter|subscribe|signup|sign-up|advert|"
                                             r"sponsor|promo|(?:^|[\s_-])ads?(?:$|[\s_-])",
                                             re.I)),
    ("menus, navigation, search", re.compile(r"^nav$|navigation|menu|breadcrumb|search|"
                                             r"skip|nav(?:bar|-)", re.I)),
    ("sidebar", re.compile(r"^aside$|sidebar|widget|complementary", re.I)),
    ("footer", re.compile(r"^footer$|footer|contentinfo|copyright", re.I)),
    ("page header", re.compile(r"^header$|masthead|site-header|^banner$", re.I)),
]
_INVISIBLE = {"script", "style", "noscript", "template", "svg", "head", "title"}
_CITATION_SUP = re.compile(r"^\s*\[?\s*\d{1,3}(?:\s*[,–—-]\s*\d{1,3})*\s*\]?\s*$")
OTHER = "other page text (dates, labels, captions)"


def read_html(name: str, html: str, url: str | None = None) -> RawArticle:
    """Main-content extraction with trafilatura, keeping the page's metadata."""
    import trafilatura

    tree = _parse(name, html)
    page = lxml.html.tostring(tree, encoding="unicode")
    options: dict[str, Any] = {"include_comments": False, "include_tables": True,
                               "include_images": False, "include_links": False,
                               "favor_precision": True}
    doc: Any = trafilatura.bare_extraction(
        page, url=url, with_metadata=True, output_format="python", date_extraction_params={
            "extensive_search": False, "original_date": True}, **options)
    if doc is None or not getattr(doc, "text", None):
        raise ImportFailed(f"{name}: no article text found in the HTML")
    text = trafilatura.extract(page, output_format="markdown", include_formatting=True,
                               **options) or doc.text
    read, removed = _furniture(tree, text)
    canonical = urljoin(url or "", doc.url or "")  # a relative canonical link, made whole
    canonical = canonical if is_web_url(canonical) else None
    meta = SourceMeta(title=as_text(doc.title), publisher=as_text(doc.sitename),
                      author=as_text(doc.author), published=as_text(doc.date),
                      url=canonical or (url if is_web_url(url) else None),
                      licence=as_text(doc.license))
    return RawArticle(text=text, meta=meta, markdown=True, read_chars=read,
                      measured_on="the page's visible text", removed=removed)


def _parse(name: str, html: str) -> Any:
    try:
        tree = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise ImportFailed(f"{name}: is not readable HTML ({exc})") from exc
    for sup in tree.iter("sup"):
        # A numeric superscript is a footnote marker; mark it so that cleaning sees it as
        # one ("^3") instead of a number glued to the word before it.
        if sup.text and _CITATION_SUP.match(sup.text_content()) and len(sup) == 0:
            sup.text = "^" + sup.text.strip().strip("[]")
    return tree


def _furniture(tree: Any, kept: str) -> tuple[int, dict[str, int]]:
    """The page's visible characters, and those trafilatura left out, per kind."""
    kept_words = f" {normalize(kept)} "
    read = 0
    removed: Counter[str] = Counter()
    body = tree.find("body") if tree.find("body") is not None else tree
    for text, kind in _fragments(body, None):
        chars = visible_chars(text)
        read += chars
        words = normalize(text)
        if kind and words and f" {words} " not in kept_words:
            removed[kind] += chars
    # What the page lost and no furniture explains (a caption, or a menu word that also
    # occurs in the article, so it looked kept) is "other"; never more than was lost.
    lost = max(read - visible_chars(kept), 0)
    removed[OTHER] = lost - sum(removed.values())
    while removed[OTHER] < 0:
        kind, chars = removed.most_common(1)[0]
        cut = min(chars, -removed[OTHER])
        removed[kind] -= cut
        removed[OTHER] += cut
    return read, {k: v for k, v in removed.most_common() if v > 0}


def _fragments(el: Any, kind: str | None) -> Any:
    """(text, furniture kind) of each visible text fragment under ``el``, in order."""
    if not isinstance(el.tag, str) or el.tag in _INVISIBLE:
        return
    kind = _kind(el) or kind  # the innermost furniture: a menu inside a page header
    if el.text:
        yield el.text, kind
    for child in el:
        yield from _fragments(child, kind)
        if child.tail:
            yield child.tail, kind


def _kind(el: Any) -> str | None:
    labels = [el.tag, el.get("role") or "", el.get("class") or "", el.get("id") or ""]
    for kind, pattern in _KINDS:
        if any(pattern.search(label) for label in labels if label):
            return kind
    return None
