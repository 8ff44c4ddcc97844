"""Public respondent pages: QR codes, tickets, personal links, kiosk."""

from flask import Blueprint

bp = Blueprint("respond", __name__)

from . import routes  # noqa: E402,F401
