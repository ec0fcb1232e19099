"""Access rules are the app's own: each package's rules.py contributes them through the
``lms_access_rules`` hook, so a plugin that is switched off leaves none behind (lms.core.access)."""

from __future__ import annotations

import pytest

from lms.core.access import Rule, RuleBook, anonymous_rules, rule_names


def test_an_app_with_the_plugin_off_has_none_of_its_rules(app_factory):
    on = app_factory(PLUGINS=["benchmarking"])
    off = app_factory(PLUGINS=[])
    assert "benchmarking.hosts.view" in rule_names(on)
    assert not {name for name in rule_names(off) if name.startswith("benchmarking.")}
    # Built after the app with the plugin, the app without it still has every core rule.
    assert {"cohort.view", "submission.grade", "rubric.edit", "results.view", "ops.metrics"} <= rule_names(off)
    assert "ops.metrics" in anonymous_rules(off) and "cohort.view" not in anonymous_rules(off)


def test_a_rule_name_given_twice_is_a_start_up_error():
    with pytest.raises(RuntimeError, match="registered twice"):
        RuleBook([Rule("x.view", lambda u, o: True), Rule("x.view", lambda u, o: False)])


def test_a_view_with_an_unknown_rule_fails_at_start_up(app_factory):
    from flask import Blueprint

    from lms.core import access

    app = app_factory(PLUGINS=[])
    bp = Blueprint("typo", __name__)
    bp.add_url_rule("/typo", "page", access.require("cohort.veiw")(lambda: "x"))
    app.register_blueprint(bp)
    with pytest.raises(LookupError, match="cohort.veiw"):
        access.check_endpoints(app)
