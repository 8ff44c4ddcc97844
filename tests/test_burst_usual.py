"""A source's usual is kept per worker for a minute (survey.responses.usual_cache, #15).

Working the usual out for every card read four weeks of a busy point's cards per
card. Kept, it must still follow what this process changes at once, and what
another process changes (here a bulk UPDATE the ORM does not see, as another
worker's would be) within SURVEY_BURST_USUAL_SECONDS of the submission clock.
"""

from __future__ import annotations

import datetime as dt

import time_machine
from respondent import point_campaign
from sqlalchemy import update
from test_bursts import _at, _bursts, _history, _post

from survey.extensions import db
from survey.models import Response, utcnow


def _busy_point(app):  # type: ignore[no-untyped-def]
    """A point of 20 counted cards an hour: 14 allowed in a window, 6 with no usual."""
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["SURVEY_BURST_MIN_CARDS"] = 6
    campaign, point = point_campaign()
    _history(campaign, point, "qr", per_day=160, days=7)
    return point


def _forget_history_elsewhere() -> None:
    """Another worker's change: every earlier card flagged, unseen by this process's ORM."""
    db.session.execute(
        update(Response)
        .where(Response.submitted_at < utcnow() - dt.timedelta(hours=1))
        .values(flagged=True, summarised=False)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(db.text("DELETE FROM monthly_summary"))
    db.session.commit()


def test_a_kept_usual_serves_a_minute_then_is_worked_out_again(app, client):
    point = _busy_point(app)
    with time_machine.travel(_at(utcnow()), tick=False) as clock:
        _post(client, f"/p/{point.code}", overall="satisfied", addr="10.0.3.1")
        _forget_history_elsewhere()  # the true usual is now none: 6 cards allowed
        for n in range(6):  # 7 cards in the window: within the kept usual's 14
            clock.shift(dt.timedelta(seconds=5))
            _post(client, f"/p/{point.code}", overall="satisfied", addr=f"10.0.3.{n + 2}")
        assert _bursts() == []
        clock.shift(dt.timedelta(seconds=31))  # the window has moved on 61 s: worked out again
        _post(client, f"/p/{point.code}", overall="satisfied", addr="10.0.3.99")
    [burst] = _bursts()
    assert burst.usual_per_hour == 0.0 and burst.allowance == 6 and burst.cards == 8
    _rebuild_for_the_check()


def test_with_no_seconds_the_usual_is_worked_out_for_every_card(app, client):
    point = _busy_point(app)
    app.config["SURVEY_BURST_USUAL_SECONDS"] = 0
    with time_machine.travel(_at(utcnow()), tick=False) as clock:
        _post(client, f"/p/{point.code}", overall="satisfied", addr="10.0.4.1")
        _forget_history_elsewhere()
        for n in range(6):
            clock.shift(dt.timedelta(seconds=5))
            _post(client, f"/p/{point.code}", overall="satisfied", addr=f"10.0.4.{n + 2}")
    [burst] = _bursts()
    assert burst.allowance == 6 and burst.cards == 7
    _rebuild_for_the_check()


def test_earlier_cards_stored_in_this_process_drop_the_kept_usual_at_once(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["SURVEY_BURST_MIN_CARDS"] = 6
    campaign, point = point_campaign()
    with time_machine.travel(_at(utcnow()), tick=False) as clock:
        _post(client, f"/p/{point.code}", overall="satisfied", addr="10.0.5.1")  # usual: none
        _history(campaign, point, "qr", per_day=160, days=7)  # entered late: 20 an hour
        for n in range(13):  # 14 in the window: the new usual's allowance
            clock.shift(dt.timedelta(seconds=5))
            _post(client, f"/p/{point.code}", overall="satisfied", addr=f"10.0.5.{n + 2}")
    assert _bursts() == []


def _rebuild_for_the_check() -> None:
    """The bulk UPDATE above bypassed the sums on purpose; rebuilt for the suite's check."""
    from survey.results.running import rebuild

    rebuild(db.session)
    db.session.commit()
