"""A campaign starts as a draft: tried in test mode, opened explicitly, its test answers gone."""

from __future__ import annotations

import datetime as dt
import json

from factories import (
    csrf_token,
    gen_campaign,
    gen_contact,
    gen_group,
    gen_invitation,
    gen_service_point,
    gen_ticket,
    gen_unit,
    gen_user,
    login,
)
from respondent import (
    CARD,
    STAKEHOLDER,
    form_data,
    instrument,
    open_card,
    post_card,
    post_page,
    responses,
    valid_answers,
)
from sqlalchemy import func, select

from survey.channels.sms import queue_invitation_sms
from survey.channels.test_mode import TEST_COOKIE, cookie_for
from survey.extensions import db
from survey.models import (
    Attempt,
    AuditEvent,
    CallCase,
    Campaign,
    FollowUpCase,
    Invitation,
    Ticket,
    utcnow,
)
from survey.responses.targets import resolve_point
from survey.results import satisfaction
from survey.results.fieldwork import flagged_by_service_point
from survey.setup.opening import point_overlaps


def _draft(**kw) -> tuple[Campaign, object]:  # type: ignore[no-untyped-def]
    unit = gen_unit(name="区政务服务中心")
    point = gen_service_point(unit)
    campaign = gen_campaign([unit], **kw)
    campaign.draft = True
    db.session.commit()
    return campaign, point


def _staff(app, role: str = "admin"):  # type: ignore[no-untyped-def]
    client = app.test_client()
    login(client, gen_user(role))
    return client


def _test_mode(client, campaign: Campaign, **data: str):  # type: ignore[no-untyped-def]
    url = f"/admin/campaigns/{campaign.id}"
    token = csrf_token(client, url)
    return client.post(f"{url}/test-mode", data={"csrf_token": token, **data})


def _open(client, campaign: Campaign, confirm: bool = True):  # type: ignore[no-untyped-def]
    url = f"/admin/campaigns/{campaign.id}/open"
    data = {"csrf_token": csrf_token(client, url)}
    if confirm:
        data["confirm"] = "y"
    return client.post(url, data=data)


def test_a_campaign_made_on_the_setup_page_is_a_draft(rapp):
    from test_admin_setup import _campaign_form

    units = [gen_unit("A"), gen_unit("B")]
    for code in ("deputy", "expert", "service_user"):
        gen_group(code)
    db.session.commit()
    client = _staff(rapp, "evaluator")
    done = client.post(
        "/admin/campaigns/new",
        data={"csrf_token": csrf_token(client, "/admin/campaigns/new"), **_campaign_form(units)},
    )
    assert done.status_code == 302, done.text
    campaign = db.session.execute(select(Campaign).where(Campaign.code == "2030")).scalar_one()
    assert campaign.draft and campaign.state() == "draft"
    listing = client.get("/admin/campaigns?lang=en").text
    assert "draft" in listing
    page = client.get(f"/admin/campaigns/{campaign.id}?lang=en").text
    assert 'id="draft"' in page and "Turn test mode on" in page


def test_a_respondent_reaching_a_draft_is_told_it_is_not_open_yet(rapp, client):
    campaign, point = _draft()
    for lang, words in (("zh_Hans", "尚未开始"), ("en", "has not started yet")):
        page = client.get(f"/p/{point.code}?lang={lang}")
        assert page.status_code == 410
        assert words in page.text
    ticket, token = gen_ticket(campaign, point)
    invitation, link = gen_invitation(campaign, group="deputy")
    db.session.commit()
    assert client.get(f"/t/{token}").status_code == 410
    assert client.get(f"/i/{link}").status_code == 410
    assert client.get(f"/k/{point.code}").status_code == 410


def test_test_mode_takes_test_answers_kept_out_of_everything(rapp):
    campaign, point = _draft()
    staff = _staff(rapp)
    _test_mode(staff, campaign)
    card = staff.get(f"/p/{point.code}?lang=en")
    assert card.status_code == 200 and 'id="test-answer"' in card.text
    sent, _answers, _key = post_card(staff, f"/p/{point.code}", overall="very_dissatisfied")
    assert sent.status_code == 200 and 'id="test-answer"' in sent.text
    # Five more from the same browser within a minute: a tester, not a burst.
    for _ in range(5):
        post_card(staff, f"/p/{point.code}", overall="very_dissatisfied")
    stored = responses()
    assert len(stored) == 6
    assert all(r.test and r.flagged and r.burst_id is None for r in stored)
    assert db.session.execute(select(func.count(FollowUpCase.id))).scalar_one() == 0
    assert satisfaction(campaign, units=campaign.units[0].id, k=1) == []
    assert flagged_by_service_point(campaign) == []  # no fieldwork, no burst card either
    page = staff.get(f"/admin/campaigns/{campaign.id}?lang=en").text
    assert "Test answers so far: 6." in page
    # Another browser is still told the survey has not started.
    assert rapp.test_client().get(f"/p/{point.code}").status_code == 410


def test_a_forged_or_foreign_test_cookie_opens_nothing(rapp):
    campaign, point = _draft()
    client = rapp.test_client()
    client.set_cookie(TEST_COOKIE, json.dumps([campaign.id]))
    assert client.get(f"/p/{point.code}").status_code == 410
    other, _point = _draft()
    client.set_cookie(TEST_COOKIE, cookie_for([other.id]))
    assert client.get(f"/p/{point.code}").status_code == 410
    client.set_cookie(TEST_COOKIE, cookie_for([campaign.id]))
    assert client.get(f"/p/{point.code}").status_code == 200


def test_test_mode_turns_off(rapp):
    campaign, point = _draft()
    staff = _staff(rapp)
    _test_mode(staff, campaign)
    assert staff.get(f"/p/{point.code}").status_code == 200
    _test_mode(staff, campaign, off="1")
    assert staff.get(f"/p/{point.code}").status_code == 410


def test_opening_deletes_test_answers_and_frees_tickets_and_links(rapp):
    campaign, point = _draft()
    ticket, token = gen_ticket(campaign, point)
    invitation, link = gen_invitation(campaign, group="deputy")
    db.session.commit()
    staff = _staff(rapp)
    _test_mode(staff, campaign)
    post_card(staff, f"/p/{point.code}")
    assert post_card(staff, f"/t/{token}")[0].status_code == 200
    url = f"/i/{link}"
    inst = instrument(STAKEHOLDER)
    html = staff.get(url).text
    for _ in inst.pages:
        last = _ == inst.pages[-1]
        sent, _page, _a = post_page(staff, url, html, inst, action="submit" if last else "next")
        html = staff.get(sent.headers["Location"]).text if sent.status_code == 303 else sent.text
    assert len(responses()) == 3 and all(r.test for r in responses())
    assert staff.get(f"/t/{token}").status_code == 409  # used, while it is a draft

    confirm = staff.get(f"/admin/campaigns/{campaign.id}/open?lang=en")
    assert confirm.status_code == 200 and "Its 3 test answers will be deleted" in confirm.text
    refused = _open(staff, campaign, confirm=False)
    assert refused.status_code == 422
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).draft
    assert len(responses()) == 3

    assert _open(staff, campaign).status_code == 303
    db.session.expire_all()
    assert not db.session.get(Campaign, campaign.id).draft
    assert responses() == []
    assert db.session.get(Ticket, ticket.id).used_at is None
    assert db.session.get(Invitation, invitation.id).status == "pending"
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "campaign.open")
    ).scalar_one()
    assert json.loads(event.after)["test_answers_deleted"] == 3
    # Open: the ticket and the link work for real, the card too, and nothing is a test now.
    anyone = rapp.test_client()
    assert post_card(anyone, f"/t/{token}")[0].status_code == 200
    assert anyone.get(url).status_code == 200
    assert post_card(staff, f"/p/{point.code}")[0].status_code == 200
    assert [r.test for r in responses()] == [False, False]
    # Opening twice: there is no draft to open.
    assert staff.get(f"/admin/campaigns/{campaign.id}/open").status_code == 404


def test_no_text_message_goes_to_a_contact_of_a_draft(rapp):
    campaign, _point = _draft()
    invitation, token = gen_invitation(
        campaign, group="deputy", channel="sms", contact=gen_contact(phone="+8613800138000")
    )
    db.session.flush()
    assert queue_invitation_sms(invitation, token) is None
    campaign.draft = False
    assert queue_invitation_sms(invitation, token) is not None


def _sharing(opens_first: dt.datetime, opens_second: dt.datetime) -> tuple:  # type: ignore[type-arg]
    unit = gen_unit(name="市民中心")
    point = gen_service_point(unit)
    first = gen_campaign([unit])
    second = gen_campaign([unit])
    first.opens_at, second.opens_at = opens_first, opens_second
    db.session.commit()
    return first, second, point


def test_a_point_serving_two_open_campaigns_serves_the_one_begun_last_and_says_so(rapp):
    now = utcnow()
    first, second, point = _sharing(now - dt.timedelta(days=3), now - dt.timedelta(days=10))
    assert resolve_point(point.code, "qr").campaign.id == first.id
    [overlap] = point_overlaps(second)
    assert overlap.other.id == first.id and overlap.winner.id == first.id
    assert [p.id for p in overlap.points] == [point.id]
    staff = _staff(rapp)
    page = staff.get(f"/admin/campaigns/{second.id}?lang=en").text
    assert 'id="point-overlaps"' in page and first.code in page
    # The same rule whatever the database: begun together, the one made last wins.
    first.opens_at = second.opens_at
    db.session.commit()
    assert resolve_point(point.code, "qr").campaign.id == second.id


def test_the_opening_page_warns_of_a_shared_point(rapp):
    now = utcnow()
    unit = gen_unit()
    point = gen_service_point(unit)
    running = gen_campaign([unit])
    running.opens_at = now - dt.timedelta(days=30)
    draft = gen_campaign([unit])
    draft.draft = True
    db.session.commit()
    assert point_overlaps(draft) == []  # a draft serves no one yet
    staff = _staff(rapp)
    # Its page says already which points it would share once opened.
    page = staff.get(f"/admin/campaigns/{draft.id}?lang=en").text
    assert 'id="point-overlaps"' in page and running.code in page
    page = staff.get(f"/admin/campaigns/{draft.id}/open?lang=en").text
    assert 'id="point-overlaps"' in page and running.code in page and point.name in page
    # A tester of the draft gets the draft's card at the point; everyone else the running one's.
    _test_mode(staff, draft)
    key = open_card(staff, f"/p/{point.code}")
    staff.post(f"/p/{point.code}", data=form_data(valid_answers(instrument(CARD)), key))
    assert [(r.campaign_id, r.test) for r in responses()] == [(draft.id, True)]
    post_card(rapp.test_client(), f"/p/{point.code}")
    assert [(r.campaign_id, r.test) for r in responses()][1] == (running.id, False)


def test_an_administrator_tries_the_phone_script_in_the_console(rapp):
    from test_operator_console import FULL, _answer

    campaign = gen_campaign(groups={"service_user": {"instrument_id": "phone-post-service"}})
    campaign.draft = True
    db.session.commit()
    evaluator = _staff(rapp, "evaluator")
    data = {"group": "service_user", "unit_id": str(campaign.units[0].id)}
    url = f"/admin/campaigns/{campaign.id}/test-call"
    assert evaluator.post(url, data=data).status_code == 403
    admin = _staff(rapp)
    page = admin.get(f"/admin/campaigns/{campaign.id}?lang=en").text
    assert 'id="test-call"' in page
    started = admin.post(url, data=data)
    assert started.status_code == 303 and "/operator/case/" in started.headers["Location"]
    case_id = int(started.headers["Location"].rsplit("/", 1)[1])
    for question, value in FULL:
        assert _answer(admin, case_id, question, value).status_code == 303
    done = admin.post(
        f"/operator/case/{case_id}/disposition", data={"q": "end", "disposition": "complete"}
    )
    assert done.status_code == 303, done.text
    [answer] = responses()
    assert answer.test and answer.flagged and answer.channel == "phone"

    assert _open(admin, campaign).status_code == 303
    assert responses() == []
    for model in (CallCase, Attempt, Invitation):
        assert db.session.execute(select(func.count()).select_from(model)).scalar_one() == 0
    # Open, there is no test call to make.
    assert admin.post(url, data=data).status_code == 404


def test_a_draft_with_test_answers_can_still_change_units_groups_and_weights(rapp):
    from test_admin_setup import _campaign_form

    units = [gen_unit("A"), gen_unit("B")]
    point = gen_service_point(units[0])
    for code in ("deputy", "expert", "service_user"):
        gen_group(code)
    db.session.commit()
    staff = _staff(rapp)
    form = _campaign_form(units, opens_at="")
    form["period_start"] = (utcnow().date() - dt.timedelta(days=5)).isoformat()
    assert staff.post("/admin/campaigns/new", data=form).status_code == 302
    campaign = db.session.execute(select(Campaign).where(Campaign.code == "2030")).scalar_one()
    _test_mode(staff, campaign)
    assert post_card(staff, f"/p/{point.code}")[0].status_code == 200
    # Unit A (which has the test answer) leaves, and the weights change: no "after fieldwork".
    edit = dict(form, unit_ids=[str(units[1].id)])
    edit[next(k for k in edit if k.endswith("-weight") and edit[k] == "2")] = "3"
    saved = staff.post(f"/admin/campaigns/{campaign.id}", data=edit)
    assert saved.status_code == 302, saved.text
    db.session.expire_all()
    assert [u.code for u in db.session.get(Campaign, campaign.id).units] == ["B"]
    events = db.session.execute(select(AuditEvent.action)).scalars().all()
    assert "campaign.weights_after_start" not in events


def test_the_evaluators_pickers_offer_no_draft_and_the_setup_pages_do(app):
    """A draft has only test answers (no figure, no follow-up case): nothing to read from it."""
    opened = gen_campaign(period_start=dt.date(2030, 1, 1), period_end=dt.date(2030, 12, 31))
    opened.name = "已开始的测评"
    draft, _point = _draft(period_start=dt.date(2031, 1, 1), period_end=dt.date(2031, 12, 31))
    draft.name = "尚未开始的测评"
    db.session.commit()
    for role in ("evaluator", "admin"):
        client = _staff(app, role)
        results = client.get("/evaluate/").text
        assert opened.name in results and draft.name not in results
        # The follow-up's chooser, and its default: the newest campaign that is not a draft.
        followup = client.get("/evaluate/follow-up").text
        chooser = followup.split('<select id="campaign"', 1)[1].split("</select>", 1)[0]
        assert f'value="{opened.id}" selected' in chooser and draft.name not in chooser
    setup = _staff(app, "admin").get("/admin/campaigns").text
    assert opened.name in setup and draft.name in setup


def _reading_pages(campaign: Campaign) -> list[tuple[str, str, tuple[str, ...]]]:
    """Every page that reads a campaign's answers: (method, url, roles that may open it)."""
    unit = campaign.units[0].id
    both, admin = ("evaluator", "admin"), ("admin",)
    base = f"/evaluate/campaign/{campaign.id}"
    return [
        ("GET", base, both),
        ("GET", f"{base}/unit/{unit}", both),
        ("GET", f"{base}/unit/{unit}/comments", both),
        ("POST", f"{base}/unit/{unit}/comments/1/report", both),
        ("GET", f"{base}/unit/{unit}/report", both),
        ("GET", f"{base}/unit/{unit}/report.pdf", both),
        ("GET", f"{base}/export.csv", both),
        ("GET", f"{base}/export.xlsx", both),
        ("GET", f"{base}/bursts", both),
        ("POST", f"{base}/bursts", both),
        ("GET", f"/evaluate/follow-up?campaign={campaign.id}", both),
        ("GET", f"{base}/anomalies", admin),
        ("GET", f"/evaluate/fieldwork?campaign={campaign.id}", admin),
    ]


def test_a_draft_has_no_page_of_results_even_by_direct_link(rapp):
    """A draft is as unknown on every page that reads answers (as in the API): 404.

    Its only answers are test answers, which count in no figure, export, report or
    case, so a page of them would show an empty campaign as if it were running. The
    set-up pages (the campaign's page, its opening) keep working with it.
    """
    draft, _point = _draft()
    clients = {role: _staff(rapp, role) for role in ("evaluator", "admin")}
    for method, url, roles in _reading_pages(draft):
        for role in roles:
            answer = clients[role].open(url, method=method, data={"reason": "a good reason"})
            assert answer.status_code == 404, (role, method, url, answer.status_code)
    admin = clients["admin"]
    assert admin.get(f"/admin/campaigns/{draft.id}").status_code == 200
    assert admin.get(f"/admin/campaigns/{draft.id}/open").status_code == 200
    # Opened, the same pages answer (the 404 was the draft's, not the address's).
    assert _open(admin, draft).status_code == 303
    for method, url, roles in _reading_pages(draft):
        if method == "GET":
            for role in roles:
                answer = clients[role].get(url)
                assert answer.status_code == 200, (role, url, answer.status_code)


def test_the_fieldwork_page_neither_offers_nor_defaults_to_a_draft(rapp):
    opened = gen_campaign(period_start=dt.date(2030, 1, 1), period_end=dt.date(2030, 12, 31))
    opened.name = "已开始的测评"
    draft, _point = _draft(period_start=dt.date(2031, 1, 1), period_end=dt.date(2031, 12, 31))
    draft.name = "尚未开始的测评"
    db.session.commit()
    page = _staff(rapp).get("/evaluate/fieldwork").text
    assert opened.name in page and draft.name not in page
