"""Who may do what: the engine that asks the rules; the rules live with the packages that own them.

Every view declares its rule with :func:`require`; a test walks ``app.url_map`` and fails for any
endpoint without one. A rule is a small function ``(user, obj) -> bool`` with a name. Each package
collects its rules in ``<package>/rules.py`` (a :class:`Rules`) and contributes them through the
``lms_access_rules`` hook; :func:`init_app` puts the rules of the packages and *enabled* plugins of
one app into ``app.extensions["lms.access"]``, so a plugin that is switched off has no rules there.
A rule that needs another package's decision asks it by name: ``can(user, "cohort.teach", cohort)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app
from flask_login import current_user

from lms import db
from lms.extensions import login_manager

RuleFn = Callable[[Any, Any], bool]
F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"


@dataclass(frozen=True)
class Rule:
    """A named decision. ``anonymous=True`` asks it for visitors who are not logged in too (machines
    with a token, probes) instead of sending them to the login page."""

    name: str
    check: RuleFn
    anonymous: bool = False


class Rules:
    """The rules of one package, in its ``rules.py``; its ``lms_access_rules`` hook returns them."""

    def __init__(self) -> None:
        self._rules: list[Rule] = []

    def rule(self, name: str, *, anonymous: bool = False) -> Callable[[RuleFn], RuleFn]:
        def deco(fn: RuleFn) -> RuleFn:
            self._rules.append(Rule(name, fn, anonymous))
            return fn

        return deco

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules)


class RuleBook:
    """The rules of one app, by name."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules: dict[str, Rule] = {}
        for rule in rules:
            if rule.name in self.rules and self.rules[rule.name].check is not rule.check:
                raise RuntimeError(f"access rule {rule.name!r} is registered twice")
            self.rules[rule.name] = rule


# The core's own rules: nothing about any domain.
core_rules = Rules()


@core_rules.rule(PUBLIC, anonymous=True)
def _public(user: Any, obj: Any) -> bool:
    return True


@core_rules.rule("authenticated")
def _authenticated(user: Any, obj: Any) -> bool:
    return True


@core_rules.rule("admin")
def _admin(user: Any, obj: Any) -> bool:
    return bool(user.is_admin)


def init_app(app: Flask, contributed: Iterable[Iterable[Rule]]) -> RuleBook:
    """Gather the rules every registered package and plugin returned from ``lms_access_rules``."""
    book = RuleBook([*core_rules, *(rule for rules in contributed for rule in rules or [])])
    app.extensions["lms.access"] = book
    return book


def check_endpoints(app: Flask) -> None:
    """Fail at start-up for a view whose declared rule this app does not know (a typo, or a rule of
    a plugin that is switched off)."""
    known = rule_names(app)
    for endpoint, view in app.view_functions.items():
        declared = declared_rule(view)
        if declared is not None and declared not in known:
            raise LookupError(f"endpoint {endpoint!r} declares the unknown access rule {declared!r}")


def _book(app: Flask | None = None) -> RuleBook:
    return (app or current_app).extensions["lms.access"]


def rule_names(app: Flask | None = None) -> set[str]:
    return set(_book(app).rules)


def anonymous_rules(app: Flask | None = None) -> set[str]:
    """The rules asked for visitors who are not logged in (every other rule sends them to log in)."""
    return {name for name, rule in _book(app).rules.items() if rule.anonymous}


def _lookup(rule: str) -> Rule:
    try:
        return _book().rules[rule]
    except KeyError:
        raise LookupError(f"unknown access rule {rule!r}") from None


def can(user: Any, rule: str, obj: Any = None) -> bool:
    """May ``user`` (possibly anonymous) do ``rule`` to ``obj``?"""
    found = _lookup(rule)
    if not found.anonymous and not getattr(user, "is_authenticated", False):
        return False
    return bool(found.check(user, obj))


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def require(rule: str, load: type | None = None, arg: str | None = None) -> Callable[[F], F]:
    """Declare and enforce a view's rule.

    With ``load=Model`` the view argument ``<model>_id`` (or ``arg``, e.g. ``visit_id``) is replaced
    by the loaded object, passed as ``<model>`` (or ``arg`` without ``_id``): unknown ids give 404 before the rule is asked, a refusal 403,
    an anonymous visitor is sent to the login page. The rule's name is checked when the app is built.
    """
    # Both are read only when ``load`` is given.
    param = arg or (f"{snake(load.__name__)}_id" if load else "")
    target = (param[:-3] if param.endswith("_id") else snake(load.__name__)) if load else ""

    def deco(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            found = _lookup(rule)
            if not found.anonymous and not current_user.is_authenticated:
                return login_manager.unauthorized()
            obj = None
            if load is not None:
                obj = db.session.get(load, kwargs.pop(param))
                if obj is None:
                    abort(404)
                kwargs[target] = obj
            if not can(current_user, rule, obj):
                abort(403)
            return view(*args, **kwargs)

        wrapper.access_rule = rule  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return deco


def declared_rule(view: Callable[..., Any]) -> str | None:
    return getattr(view, "access_rule", None)
