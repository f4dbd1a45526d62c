"""Turn raw article text (web copy, PDF text, Markdown) into clean Markdown.

Web text arrives one paragraph a line, with the page's furniture mixed in: breadcrumbs,
bylines, image captions, comment forms, "related posts", adverts and author bios.
The rules here recognise those kinds of block by their shape and wording, so they
work on new articles of the same kind, and report every block they drop and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Whole lines that belong to the page, not the article (English and Spanish blogs).
# (reason, pattern, most words a matching line may have)
_FURNITURE = [
    ("comment form", r"^(leave a (reply|comment)|deja una respuesta|post a comment|"
     r"add a comment|\d+ comments?|comments?)\b", 8),
    ("comment form", r"your email address will not be published|required fields are marked|"
     r"tu direcci[oó]n de correo|los campos obligatorios", 30),
    ("related links", r"^(related posts?|related articles?|publicaciones similares|"
     r"entradas relacionadas|you may also like|read (more|next)|see also|more from)\b", 6),
    ("navigation", r"^(tap to read|skip to (main )?content|share this|click here|"
     r"back to top|menu|search|subscribe)\b", 5),
    ("disclaimer", r"^disclaimer\b", 80),
]
_FURNITURE_RE = [(why, re.compile(rx, re.I), most) for why, rx, most in _FURNITURE]
# Markers after which the rest of a page is comments and links, not article.
_TAIL_REASONS = {"comment form", "related links"}

_CALL_TO_BUY = re.compile(
    r"\b(order|buy|shop|purchase|grab)\b[^.!?]{0,40}\b(today|now)\b|"
    r"\buse (the )?(promo )?code\b|\b\d+% off\b|\bfree shipping\b|\bdiscount code\b",
    re.I,
)
# A product name in capitals pushed at the reader: "add MAGNAK to your training".
_BRAND_PUSH = re.compile(r"\b[Aa]dd [A-Z]{3,}\b[^.!?]{0,30}\bto your\b")
_SOLICIT = re.compile(r"^(leave a comment|check out our|let us know in the comments|"
                      r"follow us|sign up for our)\b", re.I)
# A name with a credential after it ("Jane Doe, MD"): capitalised words, then a comma or
# space, then the credential as a word of its own (not the end of "forward" or "return").
_CREDENTIALS = re.compile(r"^(?:[Dd]r\.?\s+)?[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){1,3}"
                          r"(?:\s*,\s*|\s+)(?:MD|PhD|DO|RN|RD|MSc|MS|DPT|PT|MPH)\b")
_BYLINE = re.compile(r"^(by|written by|author:)\s+(?P<name>[\w .'’-]{2,60})$", re.I)
_NAME_LINE = re.compile(r"^[A-Z][a-z'’-]+(\s+[A-Z][a-z'’-]+){1,3}$")
_BULLET = re.compile(r"^\s*(?:[•●▪◦‣∙·–—➻➤►✓✔✅*+-]|\d+[.)])\s*")
_NUMBERED = re.compile(r"^(\d+)[.)]\s+(\S.*)$")
_LEADING_SYMBOLS = re.compile(r"^[\s✅✔✓➤➻►•●▪◦‣∙·]+")
# A stray '>' or '<' glued to a word before punctuation is leftover markup ("cramping>.").
_STRAY_MARKUP = re.compile(r"(\w)[<>](?=[.,;:!?](\s|$))")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*#*$")
_MD_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?:(?P<number>\d+)[.)]|[-*+])\s+(?P<text>\S.*)$")


@dataclass
class Cleaned:
    """Clean Markdown plus what was learned and dropped on the way."""

    markdown: str
    title: str
    author: str | None = None
    dropped: list[tuple[str, str]] = field(default_factory=list)
    title_from: str = "text"  # "text" (its first line), "hint" (metadata) or "fallback"


def clean_text(raw: str, title_hint: str | None = None, author_hint: str | None = None,
               markdown: bool = False, fallback_title: str = "Untitled article") -> Cleaned:
    """Clean one article's raw text into Markdown with a ``# Title`` first line.

    ``markdown``: the text marks its own headings and lists (a Markdown file, extracted
    HTML), so they are taken as written and nothing else is promoted to a heading.
    """
    lines = [ln.rstrip() for ln in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    dropped: list[tuple[str, str]] = []
    lines = _drop_tail(_join_wrapped(lines) if markdown else lines, dropped)
    blocks = _to_blocks(lines, dropped, markdown)
    title, author, blocks, in_text = _take_header(blocks, dropped, title_hint, author_hint,
                                                  markdown)
    blocks, bio_author = _drop_bios(blocks, dropped)
    blocks = _drop_promotions(blocks, dropped)
    title_from = "text" if in_text else "hint" if title else "fallback"
    title = title or fallback_title
    return Cleaned(markdown=_render(title, blocks), title=title, author=author or bio_author,
                   dropped=dropped, title_from=title_from)


def _drop_tail(lines: list[str], dropped: list[tuple[str, str]]) -> list[str]:
    """Cut comment forms and link lists that close a page, and what follows them."""
    content = [i for i, ln in enumerate(lines) if ln.strip()]
    if not content:
        return lines
    cutoff = content[int(len(content) * 0.6)]
    for i in content:
        if i < cutoff:
            continue
        why = _furniture_reason(lines[i].strip())
        if why in _TAIL_REASONS:
            rest = " / ".join(ln.strip() for ln in lines[i:] if ln.strip())
            dropped.append((f"{why} (end of article)", rest))
            return lines[:i]
    return lines


def _furniture_reason(line: str) -> str | None:
    text = _LEADING_SYMBOLS.sub("", line).strip()
    for why, rx, most_words in _FURNITURE_RE:
        if rx.search(text) and len(text.split()) <= most_words:
            return why
    return None


@dataclass
class _Block:
    kind: str  # "heading", "para", "item"
    text: str
    level: int = 2
    number: str | None = None
    explicit: bool = False  # marked up by the source itself (a Markdown heading)
    indent: int = 0  # nesting of a list item


def _join_wrapped(lines: list[str]) -> list[str]:
    """Markdown paragraphs and list items may be wrapped over several lines: join them,
    so that no sentence is cut in two (headings, tables and quotes are never joined)."""
    out: list[str] = []
    for line in lines:
        prev = out[-1].strip() if out else ""
        if prev and line.strip() and _is_plain(line) and (_is_plain(prev) or _MD_ITEM.match(prev)):
            out[-1] = f"{out[-1]} {line.strip()}"
        else:
            out.append(line)
    return out


def _is_plain(line: str) -> bool:
    text = line.strip()
    return not (_MD_HEADING.match(text) or _MD_ITEM.match(line) or text[:1] in "|>`")


def _to_blocks(lines: list[str], dropped: list[tuple[str, str]], markdown: bool) -> list[_Block]:
    """Classify each line as heading, paragraph or list item, dropping page furniture."""
    blocks: list[_Block] = []
    for i, line in enumerate(lines):
        text = line.strip()
        if not text:
            continue
        why = _furniture_reason(text)
        if why is None and _SOLICIT.search(text):
            why = "comment solicitation"
        if why is None and _is_caption(text, lines, i):
            why = "image caption"
        if why is not None:
            dropped.append((why, text))
            continue
        if markdown:
            blocks.append(_classify_markdown(_STRAY_MARKUP.sub(r"\1", line)))
        else:
            blocks.append(_classify(_STRAY_MARKUP.sub(r"\1", text), lines, i))
    return blocks


def _classify_markdown(line: str) -> _Block:
    """A line of Markdown as its own markup says: heading, list item (nesting kept) or text."""
    heading = _MD_HEADING.match(line.strip())
    if heading:
        return _Block("heading", heading.group(2).strip(), len(heading.group(1)), explicit=True)
    item = _MD_ITEM.match(line)
    if item:
        indent = len(item.group("indent").expandtabs(4)) // 2
        return _Block("item", item.group("text").strip(), number=item.group("number"),
                      indent=min(indent, 3))
    return _Block("para", line.strip())


def _classify(text: str, lines: list[str], i: int) -> _Block:
    md = _MD_HEADING.match(text)
    if md:
        return _Block("heading", md.group(2).strip(), level=len(md.group(1)), explicit=True)
    numbered = _NUMBERED.match(text)
    if numbered and _looks_like_heading(numbered.group(2), lines, i):
        return _Block("heading", text, level=3)
    if _BULLET.match(text) and not numbered:
        return _Block("item", _BULLET.sub("", text, count=1).strip())
    if numbered:
        return _Block("item", numbered.group(2), number=numbered.group(1))
    text = _LEADING_SYMBOLS.sub("", text)
    if _looks_like_heading(text, lines, i):
        return _Block("heading", text, level=2)
    return _Block("para", text)


def _looks_like_heading(text: str, lines: list[str], i: int) -> bool:
    """Short, unpunctuated (or a question), capitalised, and followed by more text."""
    words = text.split()
    if not words or len(words) > 14 or len(text) > 100:
        return False
    if text[-1] in ".,;:!" or not (text[0].isupper() or text[0].isdigit()):
        return False
    return any(ln.strip() for ln in lines[i + 1 :])


def _is_caption(text: str, lines: list[str], i: int) -> bool:
    """Image alt text left in web copy: a short lower-case line with no sentence end."""
    if _BULLET.match(text) or _BYLINE.match(text) or text[-1] in ".!?:;," \
            or not text[0].islower():
        return False
    if len(text.split()) > 14:
        return False
    prev_blank = i == 0 or not lines[i - 1].strip()
    next_blank = i + 1 >= len(lines) or not lines[i + 1].strip()
    next_line = next((ln.strip() for ln in lines[i + 1 :] if ln.strip()), "")
    return (prev_blank and next_blank) or bool(_CREDENTIALS.match(next_line))


def _take_header(
    blocks: list[_Block], dropped: list[tuple[str, str]],
    title_hint: str | None, author_hint: str | None, markdown: bool,
) -> tuple[str, str | None, list[_Block], bool]:
    """Find the title (dropping a breadcrumb that repeats it) and a byline under it.
    In Markdown only a heading can be the title; in plain text, a short first line."""
    author = author_hint
    if blocks and blocks[0].kind != "item" and len(blocks) > 1:
        first, second = blocks[0].text, blocks[1].text
        if first.lower().startswith("home ") and first.endswith(second):
            dropped.append(("navigation (breadcrumb)", first))
            blocks = blocks[1:]
    title = title_hint or ""
    first_is_title = bool(blocks) and blocks[0].kind == "heading" if markdown else \
        bool(blocks) and blocks[0].kind != "item" and len(blocks[0].text) <= 150
    in_text = first_is_title and (not title or _same(blocks[0].text, title))
    if in_text:
        title = blocks[0].text
        blocks = blocks[1:]
    for j, block in enumerate(blocks[:2]):
        byline = _BYLINE.match(block.text)
        is_name = block.kind != "item" and not block.explicit and _NAME_LINE.match(block.text) \
            and j < len(blocks) - 1 and blocks[j + 1].kind == "para"
        if byline or is_name:
            author = author or (byline.group("name").strip() if byline else block.text)
            dropped.append(("byline", block.text))
            blocks = blocks[:j] + blocks[j + 1 :]
            break
    return title, author, blocks, in_text


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).lower() == " ".join(b.split()).lower()


def _sections(blocks: list[_Block]) -> list[tuple[int, int]]:
    """(start, end) block ranges, each starting at a heading (or the document start)."""
    starts = [0] + [i for i, b in enumerate(blocks) if b.kind == "heading" and i > 0]
    return [(s, e) for s, e in zip(starts, starts[1:] + [len(blocks)], strict=True)]


def _drop_promotions(blocks: list[_Block], dropped: list[tuple[str, str]]) -> list[_Block]:
    """Adverts: a section with a call to buy goes whole, heading included."""
    keep: list[_Block] = []
    for start, end in _sections(blocks):
        section = blocks[start:end]
        if any(_CALL_TO_BUY.search(b.text) or _BRAND_PUSH.search(b.text) for b in section):
            dropped.append(("advert / call to buy", " / ".join(b.text for b in section)))
            continue
        keep.extend(section)
    return keep


def _drop_bios(
    blocks: list[_Block], dropped: list[tuple[str, str]],
) -> tuple[list[_Block], str | None]:
    """An author bio near the end: a name with credentials, then a paragraph about them."""
    tail_from = int(len(blocks) * 0.7)
    for i in range(tail_from, len(blocks)):
        match = _CREDENTIALS.match(blocks[i].text)
        if match:
            name = re.sub(r",.*$", "", blocks[i].text).strip()
            dropped.append(("author bio", " / ".join(b.text for b in blocks[i:])))
            return blocks[:i], re.sub(r"^dr\.?\s+", "", name, flags=re.I)
        if blocks[i].kind == "heading" and re.match(r"^about (the )?author", blocks[i].text, re.I):
            dropped.append(("author bio", " / ".join(b.text for b in blocks[i:])))
            return blocks[:i], None
    return blocks, None


def _render(title: str, blocks: list[_Block]) -> str:
    out: list[str] = [f"# {title}"]
    prev_kind = "heading"
    for block in blocks:
        if block.kind == "heading":
            out.append("\n" + "#" * max(block.level, 2) + " " + block.text)
        elif block.kind == "item":
            marker = f"{block.number}." if block.number else "-"
            out.append(("" if prev_kind == "item" else "\n") + "  " * block.indent
                       + f"{marker} {block.text}")
        else:
            out.append("\n" + block.text)
        prev_kind = block.kind
    return "\n".join(out).strip() + "\n"

