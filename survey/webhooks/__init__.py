"""Twilio's webhooks: delivery reports, inbound SMS (opt-outs) and the IVR card.

Twilio signs each request (X-Twilio-Signature) instead of carrying a CSRF
token, so the blueprint is exempt from CSRF and every route checks the
signature first.
"""

from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("webhooks", __name__, url_prefix="/twilio")
csrf.exempt(bp)

from . import routes  # noqa: E402,F401 - the routes attach themselves to bp
