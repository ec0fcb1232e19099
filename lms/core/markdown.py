"""The one Markdown renderer for anything a user typed: cmark-gfm, then nh3's allow-list.

Nothing rendered here can run script: tags and attributes outside the lists below are dropped,
links may only be http, https or mailto, and tables keep only a ``text-align`` style.

cmark-gfm (GitHub's CommonMark parser, in C) replaced Python-Markdown because Python-Markdown's
regex inline patterns are super-linear on hostile input: ``"[" * n + "x" + "](" * n`` took 36 s at
n = 4,000 and a 150 KB body over 9 minutes. cmark-gfm is linear by design (it bounds delimiter and
bracket look-back) and renders any input up to the 200,000-character cap in a fraction of a second.
"""

from __future__ import annotations

import re

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options
from markupsafe import Markup

TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "td": {"style"},
    "th": {"style"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Raw HTML passes the parser (UNSAFE) because nh3 below is the one place that decides what survives;
# single newlines are line breaks as people who type in a text box expect; tables align by style.
OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_HARDBREAKS | Options.CMARK_OPT_TABLE_PREFER_STYLE_ATTRIBUTES
# Quotes and lists nest one level per marker (``>>>>``, ``- - - -``); the sanitiser's HTML tree builder
# is quadratic in nesting depth (">" * 40,000 took 9 s), so markers past this depth on one line are
# escaped and read as text. No real text nests 32 quotes or lists deep.
MAX_BLOCK_DEPTH = 32
_MARKER = r"(?:>|[-+*](?=[ \t])|\d{1,9}[.)](?=[ \t]))"
_TOO_DEEP = re.compile(rf"^([ \t]*(?:{_MARKER}[ \t]*){{{MAX_BLOCK_DEPTH}}})(?={_MARKER})", re.MULTILINE)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)


def _safe_url(tag: str, attribute: str, value: str) -> str | None:
    """Drop a link whose target, read as a browser would (whitespace and controls removed), has a
    scheme outside the allow-list: ``java script:`` must not become ``javascript:`` anywhere."""
    if attribute not in {"href", "src"}:
        return value
    squeezed = re.sub(r"[\x00-\x20\x7f]+", "", value)
    match = _SCHEME.match(squeezed)
    if match and match.group(1).lower() not in URL_SCHEMES:
        return None
    return value


def render(text: str | None) -> Markup:
    """Safe HTML for ``text``; empty for None."""
    if not text:
        return Markup("")
    text = _TOO_DEEP.sub(lambda m: m.group(1) + "\\", text)
    html = cmarkgfm.github_flavored_markdown_to_html(text, options=OPTIONS)
    clean = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        filter_style_properties={"text-align"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        attribute_filter=_safe_url,
    )
    return Markup(clean)  # noqa: S704 - cleaned by nh3 just above
