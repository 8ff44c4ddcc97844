"""A service point's settings are kept per worker, and dropped when they change.

survey.responses.point_cache: a card's GET selects nothing once its point is
kept; a change committed in this process is seen by the next card, a change of
another process once it touched the stamp, and any change after
SURVEY_SETTINGS_CACHE_SECONDS.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from respondent import open_card, point_campaign

from survey.extensions import db
from survey.models import utcnow


@pytest.fixture
def kapp(rapp: Flask, tmp_path: Path) -> Flask:
    """The app with a stamp of its own: another test's change (another xdist worker) stamps
    the shared instance folder, which would drop this test's kept points at any moment."""
    from survey.responses import point_cache

    rapp.config["SURVEY_SETTINGS_STAMP"] = str(tmp_path / "settings-changed")
    point_cache.install(rapp)
    return rapp


def _statements_of_get(client, url: str) -> int:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def _close_behind_the_sessions_back(campaign_id: int) -> None:
    """A change the app's session never sees: as another worker's or host's would be."""
    with db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE campaign SET closes_at = :past WHERE id = :id"),
            {"past": utcnow() - dt.timedelta(days=1), "id": campaign_id},
        )


def test_a_kept_point_costs_its_get_no_statement(kapp: Flask) -> None:
    _campaign, point = point_campaign()
    db.session.commit()
    client = kapp.test_client()
    url = f"/p/{point.code}"
    open_card(client, url)  # reads the point, and stores the instrument version
    open_card(client, url)  # keeps the stored version
    assert _statements_of_get(client, url) == 0


def test_a_change_committed_here_is_seen_by_the_next_card(kapp: Flask) -> None:
    campaign, point = point_campaign()
    db.session.commit()
    client = kapp.test_client()
    url = f"/p/{point.code}"
    open_card(client, url)
    campaign.closes_at = utcnow() - dt.timedelta(days=1)
    db.session.commit()
    assert client.get(url).status_code == 410
    point.name = "窗口 9"
    campaign.closes_at = None
    db.session.commit()
    assert "窗口 9" in client.get(url).get_data(as_text=True)


def test_another_process_change_is_seen_once_it_touches_the_stamp(kapp: Flask) -> None:
    campaign, point = point_campaign()
    db.session.commit()
    client = kapp.test_client()
    url = f"/p/{point.code}"
    open_card(client, url)
    _close_behind_the_sessions_back(campaign.id)
    assert client.get(url).status_code == 200  # still kept: nobody said it changed
    stamp = Path(kapp.config["SURVEY_SETTINGS_STAMP"])
    stamp.touch()
    later = time.time_ns() + 1_000_000
    os.utime(stamp, ns=(later, later))
    assert client.get(url).status_code == 410


def test_any_change_is_seen_after_the_keeping_time(kapp: Flask) -> None:
    kapp.config["SURVEY_SETTINGS_CACHE_SECONDS"] = 0.0
    from survey.responses import point_cache

    point_cache.install(kapp)  # as at start-up with this setting
    campaign, point = point_campaign()
    db.session.commit()
    client = kapp.test_client()
    url = f"/p/{point.code}"
    open_card(client, url)
    _close_behind_the_sessions_back(campaign.id)
    assert client.get(url).status_code == 410


def test_an_unknown_code_is_kept_too_and_found_once_made(kapp: Flask) -> None:
    from factories import gen_service_point

    campaign, _point = point_campaign()
    db.session.commit()
    client = kapp.test_client()
    assert client.get("/p/not-yet").status_code == 404
    gen_service_point(campaign.units[0], code="not-yet")
    db.session.commit()
    assert client.get("/p/not-yet").status_code == 200


def test_a_bad_review_leaves_the_kept_point_in_place_and_opens_its_case(kapp: Flask) -> None:
    """Storing a card (a bad review opens a case naming the unit) changes no setting."""
    from respondent import CARD, form_data, instrument, scrape, valid_answers

    from survey.models import FollowUpCase

    _campaign, point = point_campaign()
    db.session.commit()
    client = kapp.test_client()
    url = f"/p/{point.code}"
    open_card(client, url)
    open_card(client, url)  # the point and the stored instrument version are kept
    html = client.get(url).get_data(as_text=True)
    answers = valid_answers(instrument(CARD), overall="very_dissatisfied")
    done = client.post(url, data=form_data(answers, scrape(html, "submission_key")))
    assert done.status_code == 200, done.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count(FollowUpCase.id))).scalar_one() == 1
    # As between two requests of a worker (the test client shares this test's session).
    db.session.commit()
    db.session.expunge_all()
    assert _statements_of_get(client, url) == 0
