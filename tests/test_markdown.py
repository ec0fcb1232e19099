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
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '![a](x" onerror="alert(1))',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "![d](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<iframe src="https://evil.example"></iframe>',
    "<object data=x></object><embed src=x>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<div style="position:fixed;top:0">x</div>',
    "<form action=x><button>go</button></form>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_inert(payload):
    html = str(render(payload))
    seen = Inspect()
    seen.feed(html)
    assert not seen.tags & {
        "script",
        "iframe",
        "svg",
        "object",
        "embed",
        "form",
        "math",
        "body",
        "details",
        "button",
    }, html
    for _tag, name, value in seen.attrs:
        assert not name.startswith("on"), html
        assert name != "style" or value.replace(" ", "").startswith("text-align:"), html
        if name in {"href", "src"}:
            target = "".join(value.split()).lower()
            assert target.startswith(ALLOWED_SCHEMES) or ":" not in target.split("/", 1)[0], html


def test_ordinary_markdown_and_tables_survive():
    html = str(
        render(
            "**tebal** *miring*\n\n- satu\n- dua\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n[situs](https://pontianak.go.id)"
        )
    )
    assert "<strong>tebal</strong>" in html and "<em>miring</em>" in html and "<li>satu</li>" in html
    assert 'style="text-align: left;"' in html or 'style="text-align:left"' in html
    assert 'href="https://pontianak.go.id"' in html and 'rel="noopener noreferrer nofollow"' in html


def test_the_jinja_filter_uses_the_renderer(app):
    with app.test_request_context():
        template = app.jinja_env.from_string("{{ text|markdown }}")
        assert "<script" not in template.render(text="<script>alert(1)</script>**ok**")
        assert "<strong>ok</strong>" in template.render(text="**ok**")


# -- hostile shapes: rendering stays linear up to the 200,000-character cap -------------------------

CAP = 200_000


def _mixed_body(size):
    parts = [
        "# Judul\n\n",
        "Paragraf **tebal** _miring_ `kode` [tautan](https://a.example/c) ![g](https://a.example/g.png)\n\n",
        "> kutipan\n> lagi\n\n",
        "- satu\n- dua\n  - tiga\n\n",
        "| a | b |\n|:--|--:|\n| 1 | 2 |\n\n",
        "```\nkode\n```\n\n",
        "<b>html</b> &amp; ~~coret~~ <script>x</script>\n\n",
    ]
    body = "".join(parts)
    return (body * (size // len(body) + 1))[:size]


SHAPES = {
    "brackets-4000": "[" * 4000 + "x" + "](" * 4000,
    "brackets-cap": "[" * (CAP // 3) + "x" + "](" * (CAP // 3),
    "open-brackets": "[" * CAP,
    "open-links": "[x](" * (CAP // 4),
    "open-images": "![" * (CAP // 2),
    "unclosed-parens": "[x](" + "(" * (CAP - 10),
    "stars": "*" * CAP,
    "underscores": "_" * CAP,
    "alternating-stars": "*a" * (CAP // 2),
    "star-underscore": "*a_" * (CAP // 3),
    "nested-emphasis": "*_" * (CAP // 4 - 1) + "x" + "_*" * (CAP // 4 - 1),
    "nested-strong": "**" * (CAP // 4 - 1) + "x" + "**" * (CAP // 4 - 1),
    "less-than": "<" * CAP,
    "autolink-starts": "<a:" * (CAP // 3),
    "backticks": "`" * CAP,
    "backtick-runs": "".join("`" * i + "a" for i in range(1, 600))[:CAP],
    "alternating-backticks": "`a" * (CAP // 2),
    "blockquotes": ">" * CAP,
    "nested-blockquotes": "".join("> " * i + "x\n" for i in range(600))[:CAP],
    "nested-lists": "".join("  " * i + "- x\n" for i in range(450))[:CAP],
    "list-markers": "- " * (CAP // 2),
    "entities": "&#" * (CAP // 2),
    "backslashes": "\\" * CAP,
    "reference-links": "[a]" * (CAP // 3),
    "strikethrough": "~~a" * (CAP // 3),
    "wide-table": "|a" * 500 + "|\n" + "|-" * 500 + "|\n" + ("|x" * 500 + "|\n") * 150,
    "mixed-200k": _mixed_body(CAP),
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_hostile_shapes_render_fast(name):
    import time

    text = SHAPES[name]
    assert len(text) <= CAP
    assert name != "mixed-200k" or len(text) == CAP
    started = time.process_time()
    html = str(render(text))
    elapsed = time.process_time() - started
    assert elapsed < 1.0, f"{name}: {len(text)} characters took {elapsed:.2f} s"
    assert "<script" not in html


def test_a_body_at_the_cap_keeps_its_formatting():
    html = str(render(_mixed_body(CAP)))
    for tag in (
        "<h1>",
        "<strong>tebal</strong>",
        "<em>miring</em>",
        "<blockquote>",
        "<table>",
        "<pre><code>",
        "<del>coret</del>",
    ):
        assert tag in html
    assert "<script" not in html


def test_line_breaks_and_raw_html_follow_the_allow_list():
    html = str(render("baris satu\nbaris dua\n\n<kbd>Ctrl</kbd> <sub>2</sub> <span onclick=x>teks</span>"))
    assert "<br>" in html and "<kbd>Ctrl</kbd>" in html and "<sub>2</sub>" in html
    assert "onclick" not in html and "teks" in html


def test_nesting_is_kept_to_the_bound_and_the_rest_is_text():
    from lms.core.markdown import MAX_BLOCK_DEPTH

    html = str(render("> " * MAX_BLOCK_DEPTH + "x"))
    assert html.count("<blockquote>") == MAX_BLOCK_DEPTH
    html = str(render("> " * (MAX_BLOCK_DEPTH + 50) + "x"))
    assert html.count("<blockquote>") == MAX_BLOCK_DEPTH and "&gt; x" in html
    html = str(render("- " * 200 + "x\n\n----------------------------------------"))
    assert html.count("<ul>") == MAX_BLOCK_DEPTH and "<hr>" in html
