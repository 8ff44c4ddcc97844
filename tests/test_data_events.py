"""The evaluators' form for data values and bonus/deduction events.

The mini framework's data item is a ratio (A of B, in percent, 0 to 100) and
its events have levels (a prize) or none (a pilot). A form is saved whole or
not at all; a refusal says why in the reader's language.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from factories import gen_user, login
from flask_babel import refresh
from scorecard_support import mini_cycle
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import DataValue, ScoreEvent


@pytest.fixture
def world(app, client, tmp_path: Path):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    cycle, a, b = mini_cycle(app, tmp_path / "frameworks")
    refresh()
    login(client, gen_user("evaluator"))
    return cycle, a, b


def _alert(html: str) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', html, re.S)
    return unescape(found.group(1)).strip() if found else ""


def _count(model: type) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_ratio_is_entered_as_its_two_counts(client, world) -> None:
    cycle, a, _b = world
    url = f"/evaluate/cycle/{cycle.id}/unit/{a.id}/data/2025"
    page = client.get(url + "?lang=en").text
    assert 'name="numerator-work.rate"' in page and 'name="denominator-work.rate"' in page
    half = client.post(url + "?lang=en", data={"numerator-work.rate": "45"})
    assert half.status_code == 400 and "enter both counts" in _alert(half.text)
    over = client.post(
        url + "?lang=en", data={"numerator-work.rate": "60", "denominator-work.rate": "50"}
    )
    assert over.status_code == 400 and "outside its range" in _alert(over.text)
    zh = client.post(url + "?lang=zh_Hans", data={"numerator-work.rate": "甲"})
    assert zh.status_code == 400 and "数字" in _alert(zh.text)
    assert _count(DataValue) == 0
    saved = client.post(
        url,
        data={
            "numerator-work.rate": "４５",
            "denominator-work.rate": "50",
            "note-work.rate": "台账",
        },
    )
    assert saved.status_code == 302
    row = db.session.execute(select(DataValue)).scalar_one()
    assert (row.value, row.numerator, row.denominator, row.note) == (90.0, 45.0, 50.0, "台账")


def test_events_are_recorded_with_their_level_and_reason_and_removed(client, world) -> None:
    cycle, a, b = world
    url = f"/evaluate/cycle/{cycle.id}/unit/{a.id}/events/2025"
    no_level = client.post(url + "?lang=en", data={"item": "plus.prize", "reason": "获奖"})
    assert no_level.status_code == 400 and "choose the event's level" in _alert(no_level.text)
    no_reason = client.post(url + "?lang=en", data={"item": "minus.breach", "reason": " "})
    assert no_reason.status_code == 400 and "reason" in _alert(no_reason.text)
    assert _count(ScoreEvent) == 0
    done = client.post(url, data={"item": "plus.prize", "level": "national", "reason": "获国家奖"})
    assert done.status_code == 302
    event = db.session.execute(select(ScoreEvent)).scalar_one()
    assert (event.item_id, event.level, event.reason) == ("plus.prize", "national", "获国家奖")
    page = client.get(f"/evaluate/cycle/{cycle.id}/unit/{a.id}/data/2025?lang=en").text
    assert "获国家奖" in page and "National" in page
    # Another unit's address cannot remove it.
    other = f"/evaluate/cycle/{cycle.id}/unit/{b.id}/events/2025/{event.id}/delete?lang=en"
    assert client.post(other).status_code == 400 and _count(ScoreEvent) == 1
    assert client.post(f"{url}/{event.id}/delete").status_code == 302
    assert _count(ScoreEvent) == 0


def test_a_liaison_cannot_enter_data_or_events(app, world) -> None:
    cycle, a, _b = world
    liaison = app.test_client()
    login(liaison, gen_user("liaison", unit_id=a.id))
    assert liaison.get(f"/evaluate/cycle/{cycle.id}/unit/{a.id}/data/2025").status_code == 403
    posted = liaison.post(
        f"/evaluate/cycle/{cycle.id}/unit/{a.id}/events/2025",
        data={"item": "plus.pilot", "reason": "x"},
    )
    assert posted.status_code == 403 and _count(ScoreEvent) == 0
