"""The one Markdown renderer for anything a user typed: Python-Markdown, then nh3's allow-list.

Nothing rendered here can run script: tags and attributes outside the lists below are dropped,
links may only be http, https or mailto, and tables keep only a ``text-align`` style.
"""

from __future__ import annotations

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
    )
    return Markup(clean)  # noqa: S704 - cleaned by nh3 just above
