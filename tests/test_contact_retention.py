"""After a campaign closes, `flask survey unlink-contacts` forgets who was asked; answers stay."""

from __future__ import annotations

import datetime as dt

from factories import gen_campaign, gen_contact, gen_followup_case, gen_invitation, gen_response
from flask.testing import FlaskCliRunner

from survey.extensions import db
from survey.models import (
    CallbackRequest,
    Contact,
    FollowUpCase,
    Invitation,
    OutboundMessage,
    Response,
    utcnow,
)


def _campaign_with_a_person(*, ended_days_ago: int | None) -> tuple[int, int, int]:
    """A campaign (ended ``ended_days_ago`` days ago, or running) with one answered invitation."""
    today = utcnow().date()
    if ended_days_ago is None:
        campaign = gen_campaign()
    else:
        end = today - dt.timedelta(days=ended_days_ago)
        campaign = gen_campaign(period_start=end - dt.timedelta(days=90), period_end=end)
    contact = gen_contact(name="王芳", phone="+8613900139000")
    invitation, _token = gen_invitation(campaign, "deputy", contact=contact)
    response = gen_response(campaign, group="deputy", answers={})
    response.invitation = invitation
    db.session.flush()
    db.session.add(CallbackRequest(response_id=response.id, phone="13900139000"))
    db.session.add(
        OutboundMessage(invitation_id=invitation.id, kind="invitation", to_phone="+8613900139000",
                        body="请填写 http://survey.test/i/x", link="http://survey.test/i/x",
                        language="zh_Hans", state="delivered")
    )
    db.session.commit()
    return campaign.id, invitation.id, contact.id


def test_a_closed_campaigns_people_are_forgotten_and_its_answers_kept(
    app, runner: FlaskCliRunner
) -> None:
    closed, closed_invitation, closed_contact = _campaign_with_a_person(ended_days_ago=3)
    _running, running_invitation, running_contact = _campaign_with_a_person(ended_days_ago=None)
    answers_before = db.session.execute(db.select(db.func.count(Response.id))).scalar_one()

    result = runner.invoke(args=["survey", "unlink-contacts"])
    assert result.exit_code == 0, result.output
    assert "invitations unlinked: 1; contacts deleted: 1; call-back numbers deleted: 1" in (
        result.output
    )
    db.session.expire_all()
    assert db.session.get(Invitation, closed_invitation).contact_id is None
    assert db.session.get(Contact, closed_contact) is None
    message = db.session.execute(
        db.select(OutboundMessage).filter_by(invitation_id=closed_invitation)
    ).scalar_one()
    assert (message.to_phone, message.body, message.link) == ("", "", None)
    # The running campaign keeps its people; no answer is lost.
    assert db.session.get(Invitation, running_invitation).contact_id == running_contact
    assert db.session.get(Contact, running_contact) is not None
    assert db.session.execute(db.select(db.func.count(CallbackRequest.id))).scalar_one() == 1
    assert db.session.execute(db.select(db.func.count(Response.id))).scalar_one() == answers_before
    again = runner.invoke(args=["survey", "unlink-contacts"])
    assert "invitations unlinked: 0; contacts deleted: 0" in again.output


def test_a_campaign_with_an_open_follow_up_case_keeps_its_numbers_until_it_closes(
    app, runner: FlaskCliRunner
) -> None:
    today = utcnow().date()
    campaign = gen_campaign(period_start=today - dt.timedelta(days=60),
                            period_end=today - dt.timedelta(days=1))
    case = gen_followup_case(campaign)
    assert runner.invoke(args=["survey", "unlink-contacts"]).output.startswith(
        "campaigns: none closed"
    )
    assert db.session.execute(db.select(db.func.count(CallbackRequest.id))).scalar_one() == 1
    db.session.get(FollowUpCase, case.id).closed_at = utcnow()
    db.session.commit()
    result = runner.invoke(args=["survey", "unlink-contacts", "--after-days", "0"])
    assert "call-back numbers deleted: 1" in result.output
    waiting = runner.invoke(args=["survey", "unlink-contacts", "--after-days", "30"])
    assert "none closed" in waiting.output
