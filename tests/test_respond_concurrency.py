"""Two devices answer the same ticket at the same moment: exactly one response is stored.

Each thread has its own app context (so its own database session and
connection) and its own test client; a barrier releases both POSTs together.
Runs on SQLite (WAL, busy timeout) and on PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import pytest
from factories import gen_campaign, gen_invitation, gen_ticket
from respondent import (
    CARD,
    STAKEHOLDER,
    counts,
    form_data,
    instrument,
    open_card,
    point_campaign,
    race,
    scrape,
    valid_answers,
)

from survey.extensions import db


@pytest.mark.parametrize("same_key", [False, True], ids=["two-devices", "double-tap"])
def test_same_ticket_at_the_same_moment(rapp, client, same_key):  # noqa: F811
    campaign = gen_campaign()
    _ticket, token = gen_ticket(campaign)
    db.session.commit()
    url = f"/t/{token}"
    answers = valid_answers(instrument(CARD))
    first_key = open_card(client, url)
    second_key = first_key if same_key else open_card(rapp.test_client(), url)
    results = race(
        rapp, [(url, form_data(answers, first_key)), (url, form_data(answers, second_key))]
    )
    statuses = sorted(status for status, _body in results)
    db.session.expire_all()
    assert counts()["response"] == 1
    assert counts()["used_tickets"] == 1
    if same_key:
        assert statuses == [200, 200]
    else:
        # One thank-you; the other a thank-you too (it lost the race to its own twin)
        # or the polite "already answered".
        assert statuses in ([200, 200], [200, 409])
    assert all("submission_key" not in body for _status, body in results)


def test_same_point_card_posted_twice_at_once(rapp, client):  # noqa: F811
    _campaign, point = point_campaign()
    url = f"/p/{point.code}"
    key = open_card(client, url)
    data = form_data(valid_answers(instrument(CARD)), key)
    results = race(rapp, [(url, data), (url, data)])
    assert [status for status, _ in results] == [200, 200]
    db.session.expire_all()
    assert counts()["response"] == 1


def test_invitation_first_page_saved_twice_at_once(rapp, client):  # noqa: F811
    campaign = gen_campaign()
    _invitation, token = gen_invitation(campaign, group="deputy")
    db.session.commit()
    inst = instrument(STAKEHOLDER)
    url = f"/i/{token}"
    html = client.get(url).get_data(as_text=True)
    page = inst.pages[0]
    data = form_data(
        valid_answers(inst, list(page.questions)),
        scrape(html, "submission_key"),
        page=page.id,
        action="next",
    )
    results = race(rapp, [(url, data), (url, data)])
    assert [status for status, _ in results] == [303, 303]
    db.session.expire_all()
    assert counts()["response"] == 1
