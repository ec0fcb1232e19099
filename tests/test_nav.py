"""The menu: one name per thing, one current entry."""

import re

import pytest

from tests.support import login


def menu(html: str) -> list[tuple[str, bool, bool]]:
    """(label, marked active, carries aria-current) per entry of the main menu."""
    block = html[html.index('id="mainnav"') : html.index("</ul>", html.index('id="mainnav"'))]
    return [
        (label.strip(), " active" in classes, "aria-current" in attrs)
        for classes, attrs, label in re.findall(r'<a class="nav-link([^"]*)"([^>]*)>([^<]+)</a>', block)
    ]


def test_each_entry_has_its_own_name_and_one_is_current(client, make_cohort, make_user):
    cohort = make_cohort(participants=1)
    admin = make_user(is_admin=True, is_manager=True)
    login(client, admin)
    pages = [("/", "Beranda"), ("/rubrics/", "Pustaka rubrik")]
    if "benchmarking" in client.application.config["PLUGINS_ENABLED"]:
        pages.append(("/benchmarking/catalogue", "Katalog praktik"))
    for url, current in pages:
        entries = menu(client.get(url).get_data(as_text=True))
        labels = [label for label, _a, _c in entries]
        assert len(labels) == len(set(labels)), labels
        assert [label for label, active, _c in entries if active] == [current], (url, entries)
        assert [label for label, _a, aria in entries if aria] == [current], (url, entries)
    # A page under a section marks the section, without claiming to be its page.
    entries = menu(client.get(f"/cohorts/{cohort.id}").get_data(as_text=True))
    assert [label for label, active, _c in entries if active] == ["Program"]
    assert not [label for label, _a, aria in entries if aria]


def test_participant_menu_separates_follow_up_from_the_catalogue(client, make_cohort):
    if "benchmarking" not in client.application.config["PLUGINS_ENABLED"]:
        pytest.skip("the benchmarking plugin is switched off (LMS_PLUGINS)")
    cohort = make_cohort(participants=1)
    login(client, cohort.people["participants"][0])
    entries = menu(client.get("/benchmarking/followups").get_data(as_text=True))
    assert [label for label, active, _c in entries if active] == ["Tindak lanjut"]


def test_menu_labels_kept_per_language_stay_bounded_when_a_plugin_makes_new_ones(app):
    """A plugin may build its entries (and their lazy labels) anew on every call: the texts kept
    with the catalogue start again past their limit instead of growing with every page."""
    from flask_babel import lazy_gettext

    from lms.core import i18n, nav

    with app.test_request_context("/"):
        for _ in range(3 * i18n.KEPT_LIMIT):
            label = lazy_gettext("Dashboard")
            assert nav._label(label, i18n.kept_with(i18n.translations(), nav._LABELS)) == str(label)
        assert len(i18n.kept_with(i18n.translations(), nav._LABELS)) <= i18n.KEPT_LIMIT + 1
