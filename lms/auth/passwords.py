"""The one password rule: long enough and not on the list of common passwords."""

from __future__ import annotations

import functools
import os

from flask_babel import gettext as _

LIST_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "common_passwords.txt")


@functools.cache
def common_passwords() -> frozenset[str]:
    with open(LIST_FILE, encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip() and not line.startswith("#"))


def password_problem(password: str, min_length: int, *, email: str = "", name: str = "") -> str | None:
    """Why ``password`` may not be chosen, in the user's language, or None when it may."""
    if len(password) < min_length:
        return _("Use at least %(n)s characters.", n=min_length)
    low = password.strip().lower()
    if low in common_passwords() or len(set(low)) < 3:
        return _("This password is among the most common ones and is guessed first. Choose another.")
    local = email.split("@", 1)[0].lower()
    if (local and low == local) or (email and low == email.lower()) or (name and low == name.strip().lower()):
        return _("Do not use your e-mail address or name as your password.")
    return None
