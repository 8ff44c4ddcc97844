"""Thin views over survey.channels.sms and the IVR call (.ivr); each checks Twilio's signature.

An unsigned or wrongly signed request gets 403 and changes nothing. The
signature covers the full public URL Twilio called (SURVEY_BASE_URL plus the
path and query, since behind a proxy the URL Flask sees differs) and the POST
parameters. Without TWILIO_AUTH_TOKEN nothing can be verified, so every
request is refused.
"""

from __future__ import annotations

from flask import Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from ..channels import sms
from ..channels.links import base_url
from ..extensions import db
from . import bp, ivr


def signed_by_twilio() -> bool:
    """True when X-Twilio-Signature matches the URL Twilio called and the POST parameters."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN") or ""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = base_url() + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("utf-8", "replace")
    return RequestValidator(token).validate(url, request.form, signature)


@bp.before_request
def _require_signature() -> None:
    if not signed_by_twilio():
        current_app.logger.warning("refused an unsigned Twilio webhook to %s", request.path)
        abort(403)


def _twiml(body: str) -> Response:
    return Response(body, mimetype="text/xml")


@bp.post("/status")
def status() -> tuple[str, int]:
    """Delivery report of a message we sent."""
    sid = request.form.get("MessageSid", "")
    state = request.form.get("MessageStatus", "")
    if sid and state:
        sms.record_status(sid, state, request.form.get("ErrorCode") or None)
    return "", 204


@bp.post("/inbound")
def inbound() -> Response:
    """An SMS to our number: STOP, TD, 退订... opt the sender out of everything."""
    reply = MessagingResponse()
    phone = sms.sms_number(request.form.get("From"))
    if phone is not None and sms.is_stop_word(request.form.get("Body")):
        sms.opt_out(phone)
        reply.message(sms.opt_out_reply(sms.last_signature(phone)))
    return _twiml(str(reply))


@bp.post("/voice/<code>")
def voice(code: str) -> Response:
    """The IVR card of a service point: the first question, or the next after a key press."""
    call_sid = request.form.get("CallSid", "")
    token = request.args.get("s")
    if token is None:
        twiml = ivr.start_call(code, call_sid)
    else:
        try:
            twiml = ivr.continue_call(code, token, call_sid, request.form.get("Digits"))
        except ivr.ForgedState:
            abort(403)
    db.session.commit()
    return _twiml(twiml)


@bp.post("/voice-status")
def voice_status() -> tuple[str, int]:
    """A call's status change (the number's "call status changes" URL): a hang-up ends the call.

    The caller's answers so far become a partial response when they meet the
    card's threshold (survey.responses.ivr_calls).
    """
    ivr.call_ended(request.form.get("CallSid", ""), request.form.get("CallStatus", ""))
    db.session.commit()
    return "", 204
