"""The post-service card by telephone (IVR): one key press per question.

A caller dials the number behind a service point; Twilio asks our webhook
(/twilio/voice/<point code>) what to say. The card's five-level questions are
read one at a time (``<Gather input="dtmf" numDigits="1">``). Each answer is
stored as it is given (survey.responses.ivr_calls), so a caller who hangs up
after the overall rating leaves a partial response, and a bad one opens its
follow-up case. Keys: 1-5 answer, * repeats the question, 0 explains the keys;
no key within the timeout is told so ("we did not hear a key"), a key that is
not a choice likewise; a question is asked at most three times for those.

Between two key presses the state (question index, answers so far, tries) is
carried in the action URL, signed with SECRET_KEY (itsdangerous), so a caller
cannot forge answers, and bound to the CallSid, so one call's state cannot be
replayed in another. The response's submission key is "ivr:" + CallSid: a
repeated webhook finds the stored response instead of adding one.

The campaign must list "ivr" among its channels; the point group's instrument
is used, and only its likert5 questions (the others need a screen).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from flask import current_app
from flask_babel import force_locale, gettext
from itsdangerous import BadSignature, URLSafeSerializer
from twilio.twiml.voice_response import VoiceResponse

from ..channels.links import base_url
from ..extensions import db
from ..instruments import Question, localized
from ..instruments.store import instrument_of
from ..models import InstrumentVersion, utcnow
from ..responses.ivr_calls import close_ivr_call, ivr_questions, save_ivr_answer
from ..responses.targets import Unavailable, resolve_point

LANGUAGE = "zh_Hans"
SAY_LANGUAGE = "cmn-CN"
VOICE = "Polly.Zhiyu"
# A question is asked at most three times: once, and again after each of two wrong keys
# (or silences).
MAX_REPEATS = 2
# "Again" (*) and "help" (0) do not count as mistakes, but a caller who only presses them
# gets the question this many extra times before it counts as unanswered.
MAX_EXTRA = 4
REPEAT_KEY, HELP_KEY = "*", "0"
GATHER_TIMEOUT_SECONDS = 8
# Twilio's CallStatus values that mean the call is over.
ENDED = frozenset({"completed", "canceled", "failed", "busy", "no-answer"})
_CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")


class ForgedState(Exception):
    """The state in the action URL was not signed by us or belongs to another call."""


@dataclass(frozen=True)
class CallState:
    """Where a call stands: what it answers, the question it is on, the answers so far."""

    campaign_id: int
    point_id: int
    version_id: int
    call_sid: str
    started: int  # Unix time when the call reached us
    index: int = 0
    tries: int = 0
    answers: tuple[tuple[str, str], ...] = ()
    extra: int = 0  # repeats and help asked for on this question

    def dump(self) -> dict[str, Any]:
        return {
            "c": self.campaign_id,
            "p": self.point_id,
            "v": self.version_id,
            "sid": self.call_sid,
            "s": self.started,
            "i": self.index,
            "t": self.tries,
            "a": [list(pair) for pair in self.answers],
            "x": self.extra,
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> CallState:
        return cls(
            campaign_id=int(data["c"]),
            point_id=int(data["p"]),
            version_id=int(data["v"]),
            call_sid=str(data["sid"]),
            started=int(data["s"]),
            index=int(data["i"]),
            tries=int(data["t"]),
            answers=tuple((str(q), str(v)) for q, v in data["a"]),
            extra=int(data.get("x", 0)),
        )


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="survey.ivr")


def sign_state(state: CallState) -> str:
    return str(_serializer().dumps(state.dump()))


def read_state(token: str, call_sid: str) -> CallState:
    """The state an action URL carries; ForgedState when it is not ours or not this call's."""
    try:
        state = CallState.load(_serializer().loads(token))
    except (BadSignature, KeyError, TypeError, ValueError) as error:
        raise ForgedState(str(error)) from None
    if state.call_sid != call_sid:
        raise ForgedState("state of another call")
    return state


def valid_call_sid(call_sid: str | None) -> bool:
    return bool(call_sid and _CALL_SID.match(call_sid))


def _action_url(code: str, state: CallState) -> str:
    return f"{base_url()}/twilio/voice/{quote(code, safe='')}?s={sign_state(state)}"


def _say(node: Any, text: str) -> None:
    node.say(text, language=SAY_LANGUAGE, voice=VOICE)


def _goodbye(text: str) -> str:
    response = VoiceResponse()
    _say(response, text)
    response.hangup()
    return str(response)


def _prompts() -> dict[str, str]:
    """What the call says before a question asked again, by why it is asked again."""
    return {
        "invalid": gettext("Sorry, that key is not one of the choices."),
        "timeout": gettext("We did not hear a key."),
        "help": gettext(
            "Answer with one key: the number said after each choice. "
            "Press star to hear the question again."
        ),
    }


def _ask(
    code: str,
    state: CallState,
    question: Question,
    *,
    intro: str | None = None,
    prompt: str | None = None,
    keys_hint: bool = False,
) -> str:
    """TwiML that reads one question and its keys, and comes back with the key pressed.

    ``prompt`` says why the question comes again ("invalid", "timeout",
    "help"); ``keys_hint`` adds how to hear it again and get help (said on
    the first question and after help). # is not the end of input here
    (``finishOnKey`` empty), so it arrives as a key like any other.
    """
    response = VoiceResponse()
    url = _action_url(code, state)
    gather = response.gather(
        input="dtmf",
        num_digits=1,
        action=url,
        method="POST",
        timeout=GATHER_TIMEOUT_SECONDS,
        action_on_empty_result=True,
        finish_on_key="",
    )
    with force_locale(LANGUAGE):
        if prompt:
            _say(gather, _prompts()[prompt])
        if intro:
            _say(gather, intro)
        _say(gather, localized(question.read_aloud or question.text, LANGUAGE))
        for digit, option in enumerate(question.options, start=1):
            _say(
                gather,
                gettext(
                    "For %(option)s, press %(digit)s.",
                    option=localized(option.text, LANGUAGE),
                    digit=digit,
                ),
            )
        if keys_hint:
            _say(gather, gettext("To hear the question again, press star. For help, press 0."))
    # No key at all: Twilio goes on after <Gather>; come back as an empty answer.
    response.redirect(url, method="POST")
    return str(response)


def _not_available() -> str:
    with force_locale(LANGUAGE):
        return _goodbye(
            gettext("This survey is not available at the moment. Thank you for calling. Goodbye.")
        )


def start_call(code: str, call_sid: str) -> str:
    """The first TwiML of a call to a service point's number: the intro and question one."""
    if not valid_call_sid(call_sid):
        return _not_available()
    try:
        target = resolve_point(code, "ivr")
    except Unavailable:
        return _not_available()
    questions = ivr_questions(target.instrument)
    if not questions:
        return _not_available()
    assert target.point is not None
    state = CallState(
        campaign_id=target.campaign.id,
        point_id=target.point.id,
        version_id=target.version.id,
        call_sid=call_sid,
        started=int(utcnow().replace(tzinfo=dt.UTC).timestamp()),
    )
    intro = localized(target.instrument.intro, LANGUAGE) if target.instrument.intro else None
    return _ask(code, state, questions[0], intro=intro, keys_hint=True)


def continue_call(code: str, token: str, call_sid: str, digits: str | None) -> str:
    """TwiML after a key press (or none): the next question, a repeat, help, or goodbye.

    Each answer is stored as it is given; the last one submits the response.
    Raises ForgedState for a state we did not sign or that belongs to another call.
    """
    state = read_state(token, call_sid)
    version = db.session.get(InstrumentVersion, state.version_id)
    if version is None:
        return _not_available()
    instrument = instrument_of(version)
    questions = ivr_questions(instrument)
    if state.index >= len(questions):
        return finish_call(state)
    question = questions[state.index]
    key = (digits or "").strip()
    if key in (REPEAT_KEY, HELP_KEY) and state.extra < MAX_EXTRA:
        again = replace(state, extra=state.extra + 1)
        if key == HELP_KEY:
            return _ask(code, again, question, prompt="help", keys_hint=True)
        return _ask(code, again, question)
    option = None
    if key.isdigit() and 1 <= int(key) <= len(question.options):
        option = question.options[int(key) - 1]
    if option is None:
        if state.tries < MAX_REPEATS:
            retry = replace(state, tries=state.tries + 1)
            return _ask(code, retry, question, prompt="timeout" if not key else "invalid")
        if question.required:
            close_ivr_call(state.call_sid, complete=False)
            with force_locale(LANGUAGE):
                return _goodbye(
                    gettext("We could not record your answer. Thank you for calling. Goodbye.")
                )
        answers = state.answers  # skip an optional question after the last repeat
    else:
        answers = (*state.answers, (question.id, option.value))
        save_ivr_answer(
            state.call_sid,
            campaign_id=state.campaign_id,
            point_id=state.point_id,
            version_id=state.version_id,
            started_at=dt.datetime.fromtimestamp(state.started, dt.UTC).replace(tzinfo=None),
            question=question,
            value=option.value,
            language=LANGUAGE,
        )
    following = replace(state, index=state.index + 1, tries=0, extra=0, answers=answers)
    if following.index >= len(questions):
        return finish_call(following)
    return _ask(code, following, questions[following.index])


def finish_call(state: CallState) -> str:
    """Submit the call's response once (keyed by CallSid) and say goodbye."""
    close_ivr_call(state.call_sid, complete=True)
    with force_locale(LANGUAGE):
        return _goodbye(gettext("Thank you for your rating. Goodbye."))


def call_ended(call_sid: str, status: str) -> None:
    """Twilio's call-status report: a call that ended keeps its answers as a partial response.

    Statuses other than the end of the call (ringing, in progress) change
    nothing; a call already submitted stays as it is.
    """
    if valid_call_sid(call_sid) and status in ENDED:
        close_ivr_call(call_sid, complete=False)
