"""A minimal plugin the suite loads through the same entry-point path as real plugins."""

from flask import Blueprint

from lms.core.access import require
from lms.plugins import hookimpl
from lms.plugins.types import NavItem

bp = Blueprint("tiny", __name__, url_prefix="/tiny")


@bp.route("/")
@require("authenticated")
def index():
    return "tiny plugin page"


@hookimpl
def lms_blueprints():
    return [bp]


@hookimpl
def lms_nav_items(user):
    return [NavItem(label="Tiny", endpoint="tiny.index", order=99)]
