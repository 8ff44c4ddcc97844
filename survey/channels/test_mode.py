"""Test mode: one browser may answer a draft campaign, through every channel, as a test.

A campaign is tried before anyone real answers it: the QR card and the kiosk
card at a service point, a receipt ticket, a personal link, the phone script.
Staff turn test mode on for a draft campaign in their browser (the campaign's
set-up page); the browser then carries a cookie signed with the app's key that
names the draft campaigns it tests and expires after TEST_MODE_HOURS. The
respondent pages read it: a draft campaign named there opens its questionnaire,
and what is sent is a test answer (survey.responses: marked test and flagged,
so no figure counts it; no follow-up case; deleted when the campaign opens).

A cookie rather than the staff session, because the respondent pages do not
sign anyone in, a phone scanning the poster may be a different browser from the
one signed in, and a kiosk clears its session after every card. The cookie
gives no power but this: it never makes an opened campaign take test answers,
and any other browser reaching a draft gets "not open yet".
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

TEST_COOKIE = "survey_test"
TEST_MODE_HOURS = 12
# More campaigns than this in one cookie is no test any person is running.
MAX_TESTED = 20


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="campaign-test-mode")


def tested_campaigns(cookie: str | None) -> frozenset[int]:
    """The campaign ids a browser's test-mode cookie names; none for a bad or old cookie."""
    if not cookie:
        return frozenset()
    try:
        ids = _serializer().loads(cookie, max_age=TEST_MODE_HOURS * 3600)
    except BadSignature:  # also SignatureExpired, its subclass
        return frozenset()
    if not isinstance(ids, list):
        return frozenset()
    return frozenset(i for i in ids if isinstance(i, int))


def cookie_for(campaign_ids: Iterable[int]) -> str:
    """The signed cookie value naming these campaigns (the newest MAX_TESTED)."""
    return str(_serializer().dumps(sorted(set(campaign_ids))[-MAX_TESTED:]))
