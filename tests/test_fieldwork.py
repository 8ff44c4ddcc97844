"""The fieldwork monitor against counts made by hand from a small fixture.

Campaign "main" (open now), units A and B, groups service_user (target 4 per
unit) and public (no target):

- A / service_user: 3 QR cards at point A-1 and 1 flagged QR card there, 1 ticket
  -> counted 4, flagged 1
- A / public: 1 by link, and a draft (never submitted, not counted)
- B / service_user: 1 QR card at point B-1 and 2 flagged ones -> counted 1, flagged 2
- invitations, public: link 3 (completed, started, pending), sms 2 (completed,
  withdrawn)
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from factories import (
    gen_campaign,
    gen_invitation,
    gen_response,
    gen_service_point,
    gen_unit,
    gen_user,
    login,
)

from survey.extensions import db
from survey.models import utcnow
from survey.results import fieldwork


@pytest.fixture
def main(app):
    today = utcnow().date()
    a, b = gen_unit("A", "单位甲"), gen_unit("B", "单位乙")
    groups = {"service_user": {"target": 4}, "public": {}}
    # An older open campaign, a newer one not yet open, a closed one: none is the default.
    gen_campaign([a], groups={"service_user": {}}, period_start=today - dt.timedelta(days=900))
    gen_campaign([a], groups={"service_user": {}}, period_start=today + dt.timedelta(days=30),
                 period_end=today + dt.timedelta(days=400))
    gen_campaign([a], groups={"service_user": {}}, period_start=today - dt.timedelta(days=20),
                 period_end=today - dt.timedelta(days=2))
    campaign = gen_campaign([a, b], groups=groups, period_start=today - dt.timedelta(days=30))
    campaign.code = "main"
    pa, pb = gen_service_point(a, "A-1"), gen_service_point(b, "B-1")
    db.session.flush()

    def card(unit, point, flagged=False, channel="qr", group="service_user"):
        r = gen_response(campaign, unit=unit, group=group, channel=channel,
                         answers={"overall": "satisfied"})
        r.service_point_id = point.id if point else None
        r.flagged = flagged
        return r

    for _ in range(3):
        card(a, pa)
    card(a, pa, flagged=True)
    card(a, pa, channel="ticket")
    card(a, None, channel="link", group="public")
    card(a, None, channel="link", group="public").submitted_at = None
    card(b, pb)
    card(b, pb, flagged=True)
    card(b, pb, flagged=True)
    for channel, statuses in (("link", ["completed", "started", "pending"]),
                              ("sms", ["completed", "withdrawn"])):
        for status in statuses:
            invitation, _ = gen_invitation(campaign, "public", a, channel=channel)
            invitation.status = status
    db.session.commit()
    return campaign


def test_default_is_the_newest_open_campaign(main):
    assert fieldwork.default_campaign() is main


def test_responses_per_unit_and_group_against_the_per_unit_target(main):
    got = {(r.unit_code, r.group): (r.counted, r.flagged, r.target)
           for r in fieldwork.unit_group_progress(main)}
    assert got == {
        ("A", "service_user"): (4, 1, 4),
        ("A", "public"): (1, 0, None),
        ("B", "service_user"): (1, 2, 4),
        ("B", "public"): (0, 0, None),  # zero rows are shown, not left out
    }
    groups = {g.group: (g.counted, g.flagged, g.target) for g in fieldwork.group_progress(main)}
    assert groups == {"service_user": (5, 3, 8), "public": (1, 0, None)}
    su = next(g for g in fieldwork.group_progress(main) if g.group == "service_user")
    assert su.progress == 5 / 8


def test_responses_per_channel(main):
    got = {(c.group, c.channel): c.counted for c in fieldwork.responses_by_channel(main)}
    assert got == {("service_user", "qr"): 4, ("service_user", "ticket"): 1,
                   ("public", "link"): 1}


def test_invitations_sent_started_completed(main):
    got = {(i.group, i.channel): (i.sent, i.started, i.completed, i.completion_rate)
           for i in fieldwork.invitation_progress(main)}
    assert got == {("public", "link"): (3, 2, 1, 1 / 3), ("public", "sms"): (1, 1, 1, 1.0)}


def test_flagged_share_of_the_public_channels(main):
    points = {f.service_point_code: (f.submitted, f.flagged)
              for f in fieldwork.flagged_by_service_point(main)}
    assert points == {"A-1": (5, 1), "B-1": (3, 2)}  # the ticket is a public card too
    units = {f.unit_code: f.share for f in fieldwork.flagged_by_unit(main)}
    assert units == {"A": 1 / 5, "B": 2 / 3}


def cell_texts(page: str, table_id: str, attrs: str) -> list[str]:
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', page, re.S).group(1)
    row = re.search(rf"<tr {attrs}>(.*?)</tr>", table, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>",
                                                                   row, re.S)]


def test_page_shows_the_counts_and_updates_on_reload(client, main):
    login(client, gen_user("admin"))
    page = client.get("/evaluate/fieldwork?lang=en")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.text
    assert f'<option value="{main.id}" selected>' in html
    assert cell_texts(html, "units", 'data-unit="B" data-group="service_user"')[2:] == [
        "1", "4", "25%", "2"]
    # 5 of 8 is 62.5%, shown without decimals (Babel rounds half to even)
    assert cell_texts(html, "groups", 'data-group="service_user"')[1:] == [
        "5", "8 (4 per unit × 2)", "62%", "3"]
    assert cell_texts(html, "invitations", 'data-group="public" data-channel="link"')[2:] == [
        "3", "2", "1", "33%"]
    assert cell_texts(html, "flagged-points", 'data-point="B-1"')[1:] == ["3", "2", "67%"]
    # groups and channels by name, not by code
    assert cell_texts(html, "groups", 'data-group="service_user"')[0] == "Service users"
    assert cell_texts(html, "invitations", 'data-group="public" data-channel="link"')[1] != "link"

    gen_response(main, unit=main.units[1], group="service_user", answers={"overall": "satisfied"})
    db.session.commit()
    html = client.get("/evaluate/fieldwork").text
    assert cell_texts(html, "units", 'data-unit="B" data-group="service_user"')[2] == "2"


def test_a_chosen_campaign_and_an_unknown_one(client, main):
    login(client, gen_user("admin"))
    other = fieldwork.campaigns_newest_first()[-1]
    html = client.get(f"/evaluate/fieldwork?campaign={other.id}&lang=en").text
    assert f'<option value="{other.id}" selected>' in html
    assert client.get("/evaluate/fieldwork?campaign=987654").status_code == 404
    assert client.get("/evaluate/fieldwork?campaign=abc").status_code == 404


def test_without_any_campaign_the_page_says_so(client, app):
    login(client, gen_user("admin"))
    page = client.get("/evaluate/fieldwork?lang=en")
    assert page.status_code == 200
    assert "There is no campaign yet." in page.text


@pytest.mark.parametrize("role", ["operator", "handler", "evaluator"])
def test_only_administrators_see_the_fieldwork(client, main, role):
    """Exact counts per unit, group, channel and point are the administrator's (they would
    give the size of a withheld cell beside the published figures)."""
    login(client, gen_user(role))
    assert client.get("/evaluate/fieldwork").status_code == 403


def test_phone_response_rates_are_shown_without_operators(client, main):
    from factories import gen_contact

    from survey.channels.phone import calling_hours, claim_next, enqueue_phone_cases, record_attempt
    from survey.models import utcnow

    main.call_from, main.call_until = "00:00", "24:00"
    for i in range(4):
        gen_invitation(main, "public", main.units[0], channel="phone",
                       contact=gen_contact(phone=f"+8613700000{i:03d}"))
    db.session.commit()
    enqueue_phone_cases(main)
    db.session.commit()
    operator = gen_user("operator", username="caller-seven")
    allowed = calling_hours(main).next_call(utcnow(), spread=False)  # not at lunch, no holiday
    for disposition in ("complete", "refusal_hard", "not_in_service"):
        case = claim_next(main, operator, now=allowed)
        record_attempt(case, operator, disposition, now=allowed)
        db.session.commit()
    login(client, gen_user("admin"))
    page = client.get(f"/evaluate/fieldwork?campaign={main.id}&lang=en").get_data(as_text=True)
    assert "RR1" in page and "RR4" in page and "COOP1" in page
    # I=1, R=1, a dead number (UO=1: a named person's eligibility is unknown) and one never
    # called (UH=1): RR1 = 1 / (1 + 1 + 1 + 1) = 25.0%
    assert "25.0%" in page
    assert "caller-seven" not in page


def test_an_excluded_bad_review_is_not_counted(main):
    # The results leave out a bad review excluded as malicious or mistaken; the monitor,
    # which says it counts the same responses, must too.
    from survey.models import FollowUpCase

    unit = main.units[1]  # B: one counted card
    bad = gen_response(main, unit=unit, group="service_user", channel="qr",
                       answers={"overall": "very_dissatisfied"})
    db.session.flush()
    db.session.add(FollowUpCase(response_id=bad.id, campaign_id=main.id, unit_id=unit.id,
                                opened_at=utcnow(), due_at=utcnow(), status="excluded"))
    db.session.commit()
    got = {(r.unit_code, r.group): r.counted for r in fieldwork.unit_group_progress(main)}
    assert got[("B", "service_user")] == 1
    by_channel = {(c.group, c.channel): c.counted for c in fieldwork.responses_by_channel(main)}
    assert by_channel[("service_user", "qr")] == 4
