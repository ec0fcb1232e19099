"""The translation catalogues: complete, faithful to the source strings, compiled, and in use.

Bahasa Indonesia is the interface's first language and English its second; every string the code
marks for translation must have both. When one of these tests fails after you added or changed a
string, the fix is always the same:

1. ``make translations`` (extracts the strings into messages.pot and merges them into the .po files);
2. translate every empty ``msgstr`` in ``lms/translations/id/LC_MESSAGES/messages.po`` (in the
   domain's words: peserta, widyaiswara, penyelenggara, angkatan, instansi...) and copy each new
   msgid into its msgstr in ``lms/translations/en/LC_MESSAGES/messages.po``;
3. ``make translations`` again, which compiles the .mo files the app reads.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "lms" / "translations"
POT = TRANSLATIONS / "messages.pot"
PLURAL_FORMS = {"id": "nplurals=1; plural=0;", "en": "nplurals=2; plural=(n != 1);"}
LOCALES = sorted(PLURAL_FORMS)

FIX = (
    "run `make translations`, translate every empty msgstr in lms/translations/id/LC_MESSAGES/messages.po "
    "(and copy the msgid into the msgstr in lms/translations/en/LC_MESSAGES/messages.po), then run "
    "`make translations` again to compile the .mo files"
)

# A %-format conversion: %(name)s, %(n)d, %s, or the escaped %%.
_FORMAT = re.compile(r"%(?:\((?P<name>\w+)\))?[#0 +\-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
# Jinja marks translations as safe HTML, and several sit in attributes (placeholder, data-confirm).
_MARKUP = '<>&"'


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def load_po(locale: str) -> Catalog:
    with po_path(locale).open("rb") as fh:
        return read_po(fh, locale=locale)


def entries(catalog: Catalog) -> list[Message]:
    """Every message but the header."""
    return [m for m in catalog if m.id]


def forms(message: Message) -> tuple[str, ...]:
    """The msgstr, as a tuple of plural forms (one element for an ordinary message)."""
    if isinstance(message.string, tuple | list):
        return tuple(s or "" for s in message.string)
    return (message.string or "",)


def sources(message: Message) -> tuple[str, ...]:
    """msgid, plus msgid_plural for a plural message."""
    return tuple(message.id) if isinstance(message.id, tuple | list) else (message.id,)


def key(message: Message) -> tuple[Any, str | None]:
    """msgid (a tuple for plurals: read_mo gives lists) and context."""
    ident = tuple(message.id) if isinstance(message.id, tuple | list) else message.id
    return (ident, message.context)


def placeholders(text: str) -> set[str]:
    return {m.group(0) for m in _FORMAT.finditer(text) if m.group(0) != "%%"}


def stray_percent(text: str) -> bool:
    """A % that is not part of a conversion breaks the %-formatting the app applies."""
    return "%" in _FORMAT.sub("", text)


def show(items: list[Any], limit: int = 30) -> str:
    lines = [f"  {item!r}" for item in items[:limit]]
    if len(items) > limit:
        lines.append(f"  … and {len(items) - limit} more")
    return "\n".join(lines)


# -- the .po files -------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_has_a_proper_header(locale):
    """pybabel compile skips a catalogue without a header (it reads it as fuzzy): no .mo at all."""
    text = po_path(locale).read_text(encoding="utf-8")
    assert 'msgid ""\nmsgstr ""\n' in text, (
        f"{po_path(locale)} has lost its header, so `pybabel compile` skips it as fuzzy. "
        "`pybabel update` must not be given --omit-header (only `pybabel extract` may)."
    )
    assert f'"Language: {locale}\\n"' in text
    assert f'"Plural-Forms: {PLURAL_FORMS[locale]}\\n"' in text
    assert '"Content-Type: text/plain; charset=utf-8\\n"' in text
    assert not load_po(locale).fuzzy, f"the header of {po_path(locale)} is marked fuzzy; pybabel compile would skip it"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated_and_none_is_fuzzy(locale):
    catalog = load_po(locale)
    untranslated = [m.id for m in entries(catalog) if not all(forms(m))]
    fuzzy = [m.id for m in entries(catalog) if m.fuzzy]
    wrong_plurals = [m.id for m in entries(catalog) if m.pluralizable and len(forms(m)) != catalog.num_plurals]
    assert not untranslated, (
        f"{len(untranslated)} untranslated message(s) in {po_path(locale)}:\n{show(untranslated)}\n{FIX}"
    )
    assert not fuzzy, (
        f"fuzzy message(s) in {po_path(locale)} (check the translation, then remove the fuzzy flag):\n{show(fuzzy)}"
    )
    assert not wrong_plurals, (
        f"plural message(s) without exactly {catalog.num_plurals} msgstr forms:\n{show(wrong_plurals)}"
    )


def test_english_catalogue_repeats_the_source_strings():
    """The source strings are English: the en catalogue is complete by copying them."""
    different = [m.id for m in entries(load_po("en")) if forms(m) != sources(m)]
    assert not different, f"en msgstr differs from its msgid (fix the source string instead):\n{show(different)}"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders(locale):
    """Each msgstr (each plural form) has exactly the %(name)s placeholders of its msgid."""
    problems = []
    for message in entries(load_po(locale)):
        allowed = [placeholders(s) for s in sources(message)]
        for n, text in enumerate(forms(message)):
            if not text:
                continue  # reported by the completeness test
            if placeholders(text) not in allowed:
                problems.append((message.id, n, sorted(placeholders(text)), [sorted(a) for a in allowed]))
            if stray_percent(text):
                problems.append((message.id, n, "a lone % (write %% for a literal percent sign)"))
    assert not problems, f"placeholders differ in {po_path(locale)}:\n{show(problems)}"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_add_no_markup(locale):
    """Translations are trusted as HTML in templates: they may not bring in < > & or double quotes."""
    problems = [
        (m.id, ch)
        for m in entries(load_po(locale))
        for ch in _MARKUP
        if any(ch in text for text in forms(m)) and not any(ch in s for s in sources(m))
    ]
    assert not problems, f"translations add HTML-significant characters in {po_path(locale)}:\n{show(problems)}"


# -- the compiled .mo files ----------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_mo_files_are_compiled_from_the_po_files(locale):
    po = {key(m): forms(m) for m in entries(load_po(locale)) if all(forms(m)) and not m.fuzzy}
    mo_path = po_path(locale).with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: {FIX}"
    with mo_path.open("rb") as fh:
        mo_catalog = read_mo(fh)
    mo = {key(m): forms(m) for m in entries(mo_catalog)}
    stale = sorted(
        {k[0] for k in po.keys() ^ mo.keys()} | {k[0] for k in po.keys() & mo.keys() if po[k] != mo[k]}, key=str
    )
    assert not stale, f"{mo_path} does not match {po_path(locale)} for:\n{show(stale)}\n{FIX}"
    assert mo_catalog.plural_forms == PLURAL_FORMS[locale]


# -- the catalogues against the source -----------------------------------------------------------


def _extract_command(output: Path) -> list[str]:
    """The Makefile's own `pybabel extract` line (same babel.cfg and keywords), writing to ``output``."""
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        if "pybabel extract" in line:
            words = shlex.split(line.strip())
            args = words[words.index("extract") + 1 :]
            break
    else:
        pytest.fail("the Makefile's `translations` target has no `pybabel extract` line")
    assert "-o" in args, "the Makefile's `pybabel extract` line should write its template with -o"
    args[args.index("-o") + 1] = str(output)
    return [sys.executable, "-m", "babel.messages.frontend", "--quiet", "extract", *args]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[Any, str | None]]:
    """The messages the source marks for translation today, extracted afresh."""
    output = tmp_path_factory.mktemp("babel") / "messages.pot"
    result = subprocess.run(_extract_command(output), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"pybabel extract failed:\n{result.stdout}\n{result.stderr}"
    with output.open("rb") as fh:
        return {key(m) for m in entries(read_po(fh))}


@pytest.mark.parametrize("catalogue", ["messages.pot", *LOCALES])
def test_catalogues_have_exactly_the_source_strings(extracted, catalogue):
    if catalogue == "messages.pot":
        path = POT
        with POT.open("rb") as fh:
            have = {key(m) for m in entries(read_po(fh))}
    else:
        path = po_path(catalogue)
        have = {key(m) for m in entries(load_po(catalogue))}
    new = sorted((k[0] for k in extracted - have), key=str)
    gone = sorted((k[0] for k in have - extracted), key=str)
    assert not new and not gone, (
        f"{path} is out of date with the source.\n"
        f"New strings ({len(new)}):\n{show(new)}\nStrings no longer in the source ({len(gone)}):\n{show(gone)}\n{FIX}"
    )


# -- the app uses them ---------------------------------------------------------------------------


def test_pages_are_indonesian_by_default_and_english_on_request(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="id"' in page
    assert "Masuk ke Tolok" in page  # "Log in to Tolok", from a template
    assert "Kata sandi" in page  # "Password", a lazy form label
    assert "Log in to Tolok" not in page

    response = client.post("/language", data={"locale": "en", "next": "/login"})
    assert response.status_code == 302

    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Log in to Tolok" in page
    assert "Password" in page
    assert "Masuk ke Tolok" not in page


def test_plural_forms_come_from_the_compiled_catalogues(ctx):
    """ngettext through Flask-Babel: one form in Indonesian, two in English."""
    from flask_babel import force_locale, ngettext

    plural = next((m for m in entries(load_po("id")) if m.pluralizable), None)
    if plural is None:
        pytest.skip("no plural message in the catalogue")
    singular, plural_id = plural.id
    names = {m.group("name") for s in plural.id for m in _FORMAT.finditer(s) if m.group("name")}
    values = {name: f"<{name}>" for name in names - {"num"}}
    (indonesian,) = forms(plural)
    for n in (1, 3):
        with force_locale("id"):
            assert ngettext(singular, plural_id, n, **values) == indonesian % {**values, "num": n}
        with force_locale("en"):
            expected = singular if n == 1 else plural_id
            assert ngettext(singular, plural_id, n, **values) == expected % {**values, "num": n}


def test_templates_follow_a_locale_forced_within_the_request(app):
    """Templates keep the request's catalogue between calls, but never across a change of locale:
    an e-mail rendered for a recipient in English inside an Indonesian page, then the page again."""
    from flask import render_template_string
    from flask_babel import force_locale

    template = (
        '{{ _("Log in to Tolok") }}|'
        '{{ ngettext("%(num)s submission is waiting to be graded.", "%(num)s submissions are waiting to be graded.", 2) }}'
    )
    with app.test_request_context("/"):
        page = render_template_string(template)
        assert page.startswith("Masuk ke Tolok|2 ") and "submissions" not in page
        with force_locale("en"):
            assert render_template_string(template) == "Log in to Tolok|2 submissions are waiting to be graded."
        assert render_template_string(template) == page
