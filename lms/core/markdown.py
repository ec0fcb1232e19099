"""The one Markdown renderer for anything a user typed: Python-Markdown, then nh3's allow-list.

Nothing rendered here can run script: tags and attributes outside the lists below are dropped,
links may only be http, https or mailto, and tables keep only a ``text-align`` style.
"""

from __future__ import annotations

import re

import markdown as md
import nh3
from markupsafe import Markup

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "td": {"style"},
    "th": {"style"},
}
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["extra", "sane_lists", "nl2br"]
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
    html = md.markdown(text, extensions=EXTENSIONS, output_format="html")
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
