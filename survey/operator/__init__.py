"""The phone-survey console: call queue, script, answers from the keyboard, dispositions."""

from flask import Blueprint

bp = Blueprint("operator", __name__, url_prefix="/operator")

from . import routes  # noqa: E402,F401
