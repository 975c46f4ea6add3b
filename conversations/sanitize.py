"""Helpdesk HTML comes from customers: only a safe subset is kept, once, at ingest."""

import html
import re

import nh3

ALLOWED_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
_BLOCK_END = re.compile(r"<(br\s*/?|/p|/div|/li|/tr|/h\d|/blockquote|/pre)>", re.IGNORECASE)
_WHITESPACE = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_LOOKS_LIKE_HTML = re.compile(r"<[a-zA-Z!/]")
# In nh3's output every "<" in text is escaped (&lt;) and every attribute value is in double
# quotes with its own quotes escaped: a tag is "<", then unquoted non-">" or quoted runs, then ">".
_TAG = re.compile(r'<(?:[^>"]|"[^"]*")*>')


def sanitise_html(body: str) -> str:
    """Scripts, event handlers, styles and non-http(s)/mailto links are removed."""
    if not _LOOKS_LIKE_HTML.search(body):
        # Plain text (Zendesk plain bodies, CSV imports): escape it and keep its line breaks.
        return "<br>".join(html.escape(line) for line in body.strip().splitlines())
    return nh3.clean(
        body,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def html_to_text(body: str) -> str:
    """The words of HTML that `sanitise_html` produced (well formed, so tags need no parser)."""
    with_breaks = _BLOCK_END.sub("\n", body)
    text = html.unescape(_TAG.sub("", with_breaks))
    lines = (_WHITESPACE.sub(" ", line).strip() for line in text.splitlines())
    return _BLANK_LINES.sub("\n", "\n".join(line for line in lines)).strip()


def word_count(text: str) -> int:
    return len(text.split())
