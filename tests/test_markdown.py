"""No usual XSS payload survives the one Markdown renderer as something executable."""

from html.parser import HTMLParser

import pytest

from lms.core.markdown import render

ALLOWED_SCHEMES = ("http://", "https://", "mailto:")


class Inspect(HTMLParser):
    """Collects what a browser would treat as live: tags, attributes, link targets."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs = set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.extend((tag, name, value or "") for name, value in attrs)

PAYLOADS = [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "![a](x\" onerror=\"alert(1))",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "![d](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<object data=x></object><embed src=x>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<div style=\"position:fixed;top:0\">x</div>",
    "<form action=x><button>go</button></form>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_inert(payload):
    html = str(render(payload))
    seen = Inspect()
    seen.feed(html)
    assert not seen.tags & {"script", "iframe", "svg", "object", "embed", "form", "math", "body", "details", "button"}, html
    for _tag, name, value in seen.attrs:
        assert not name.startswith("on"), html
        assert name != "style" or value.replace(" ", "").startswith("text-align:"), html
        if name in {"href", "src"}:
            target = "".join(value.split()).lower()
            assert target.startswith(ALLOWED_SCHEMES) or ":" not in target.split("/", 1)[0], html


def test_ordinary_markdown_and_tables_survive():
    html = str(render("**tebal** *miring*\n\n- satu\n- dua\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n[situs](https://pontianak.go.id)"))
    assert "<strong>tebal</strong>" in html and "<em>miring</em>" in html and "<li>satu</li>" in html
    assert 'style="text-align: left;"' in html or 'style="text-align:left"' in html
    assert 'href="https://pontianak.go.id"' in html and 'rel="noopener noreferrer nofollow"' in html


def test_the_jinja_filter_uses_the_renderer(app):
    with app.test_request_context():
        template = app.jinja_env.from_string("{{ text|markdown }}")
        assert "<script" not in template.render(text="<script>alert(1)</script>**ok**")
        assert "<strong>ok</strong>" in template.render(text="**ok**")
