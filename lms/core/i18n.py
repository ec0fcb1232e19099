"""Translations looked up once per request, for Python code and templates alike.

Flask-Babel finds the request's catalogue again on every ``gettext``: the request context, its
locale (itself a few context look-ups), a cache keyed by locale and domain. A page translates some
sixty strings, and the menu's lazy labels each go the same way. :class:`RequestDomain` keeps the
catalogue on the request's Flask-Babel state (``g._flask_babel``) instead, next to the locale it
belongs to: ``babel_locale`` is a new object whenever the locale changes (``force_locale`` for a
recipient's e-mail, ``refresh()`` after a switch), and a new locale is looked up again.

In templates, Jinja's i18n extension calls ``_()`` through three context calls (the ``_`` alias,
the new-style wrapper, the callable) before it formats the string; :func:`install_jinja` gives
``_``, ``gettext`` and ``ngettext`` one, with the same meaning (the translation is trusted markup
when autoescaping, and is always a format string: ``%%`` is a percent sign, variables are escaped).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from flask_babel import Domain
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup


class RequestDomain(Domain):
    """Flask-Babel's message domain, with each request's catalogue looked up once per locale."""

    def get_translations(self) -> Any:
        try:
            context = g._get_current_object()  # one proxy look-up, then plain attributes
        except RuntimeError:  # no app context: Flask-Babel's null translations
            return super().get_translations()
        state = getattr(context, "_flask_babel", None)
        if state is not None:
            kept = getattr(state, "lms_translations", None)
            if kept is not None and kept[0] is getattr(state, "babel_locale", None) and kept[0] is not None:
                return kept[1]
        found = super().get_translations()
        state = getattr(context, "_flask_babel", None)
        if state is not None:
            state.lms_translations = (getattr(state, "babel_locale", None), found)
        return found


DOMAIN = RequestDomain()
# A catalogue's attribute: its fixed texts as the templates' markup ({"Log out": Markup("Keluar")}).
_PLAIN = "_lms_plain_markup"
# Most entries a kept dict holds before it starts again: the texts kept are the templates' and the
# menu's fixed ones, a few hundred; a caller that passes new objects each time cannot grow it forever.
KEPT_LIMIT = 1024


def kept_with(catalogue: Any, name: str) -> dict[Any, Any]:
    """A dict kept on ``catalogue`` (texts already translated into its language), emptied when it
    passes :data:`KEPT_LIMIT` entries."""
    kept = catalogue.__dict__.get(name)
    if kept is None or len(kept) > KEPT_LIMIT:
        kept = catalogue.__dict__[name] = {}
    return kept


def translations() -> Any:
    """The current request's catalogue (Babel ``Translations``; null outside a request)."""
    return DOMAIN.get_translations()


def install(app: Flask, babel: Any) -> None:
    """Use :data:`DOMAIN` for Flask-Babel's ``gettext`` family and the templates' ``_()``."""
    babel.domain_instance = DOMAIN  # Flask-Babel reads its domain from this (cached) attribute
    env = app.jinja_env
    # pgettext, npgettext and {% trans %} blocks go through the extension's callables.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @pass_context
    def gettext(__context: Context, __string: str, **variables: Any) -> str:
        catalogue = translations()
        if not variables and __context.eval_ctx.autoescape:
            # Most calls translate a fixed text: kept with its catalogue, as the markup it becomes.
            kept = kept_with(catalogue, _PLAIN)
            found = kept.get(__string)
            if found is None:
                found = kept[__string] = Markup(catalogue.ugettext(__string)) % {}
            return found
        text = catalogue.ugettext(__string)
        if __context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    @pass_context
    def ngettext(__context: Context, __singular: str, __plural: str, __num: int, **variables: Any) -> str:
        variables.setdefault("num", __num)
        text = translations().ungettext(__singular, __plural, __num)
        if __context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext)
