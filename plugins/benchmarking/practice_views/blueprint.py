"""The one blueprint of the practice views; each section module of this package adds its routes to it."""

from __future__ import annotations

import os

from flask import Blueprint

# The templates are the plugin's (plugins/benchmarking/templates), one level above this package.
bp = Blueprint(
    "benchmarking_practices",
    __name__,
    url_prefix="/benchmarking",
    template_folder=os.path.join(os.path.dirname(os.path.dirname(__file__)), "templates"),
)
