"""By phone, a person asked about several units is interviewed about each in the same call."""

from __future__ import annotations

from factories import gen_contact, gen_invitation, gen_unit
from sqlalchemy import select
from test_operator_console import (  # noqa: F401 (_tuesday_morning: the clock, autouse)
    FULL,
    PHONE,
    _answer,
    _campaign,
    _claim,
    _fresh,
    _sign_in,
    _token,
    _tuesday_morning,
)

from survey.channels.links import add_unit_to_link
from survey.channels.phone import enqueue_phone_cases
from survey.extensions import db
from survey.models import Attempt, Response


def _interview(client, case_id: int):  # type: ignore[no-untyped-def]
    for question, value in FULL:
        assert _answer(client, case_id, question, value).status_code == 303
    form = {"csrf_token": _token(client, f"/operator/case/{case_id}?q=end"), "q": "end"}
    form["disposition"] = "complete"
    return client.post(f"/operator/case/{case_id}/disposition", data=form)


def test_the_operator_goes_on_to_the_next_unit_in_the_same_call(app, client):  # type: ignore[no-untyped-def]
    zwfw, rmyy = gen_unit("zwfw", "省政务服务中心"), gen_unit("rmyy", "市人民医院")
    campaign = _campaign()
    campaign.units = [zwfw, rmyy]
    lead, _token_ = gen_invitation(
        campaign, "service_user", zwfw, contact=gen_contact("李四", PHONE), channel="phone"
    )
    add_unit_to_link(lead, rmyy)
    db.session.commit()
    assert enqueue_phone_cases(campaign) == 2
    db.session.commit()
    operator = _sign_in(client)

    first = _claim(client, campaign)
    assert _fresh(first).invitation.unit.code == "zwfw"
    page = client.get(f"/operator/case/{first}").text
    assert 'id="unit-of"' in page and "this is unit 1, 省政务服务中心" in page

    done = _interview(client, first)
    assert done.status_code == 303, done.text
    second = int(done.headers["Location"].rsplit("/", 1)[1])
    assert second != first
    case = _fresh(second)
    assert (case.invitation.unit.code, case.status, case.claimed_by_id) == (
        "rmyy",
        "claimed",
        operator.id,
    )
    page = client.get(done.headers["Location"]).text
    assert "also asked about 市人民医院" in page and "this is unit 2, 市人民医院" in page

    finished = _interview(client, second)
    assert finished.headers["Location"].endswith("/operator/")  # no unit left: the queue
    rows = db.session.execute(select(Response).order_by(Response.id)).scalars().all()
    assert [(r.unit.code, r.channel, r.operator_id) for r in rows] == [
        ("zwfw", "phone", operator.id),
        ("rmyy", "phone", operator.id),
    ]
    attempts = db.session.execute(select(Attempt).order_by(Attempt.id)).scalars().all()
    assert [(a.case_id, a.disposition) for a in attempts] == [
        (first, "complete"),
        (second, "complete"),
    ]
