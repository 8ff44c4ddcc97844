"""Reminders: at most SURVEY_REMINDER_MAX, spaced by the interval, with the invitation's link."""

from __future__ import annotations

import datetime as dt

from factories import gen_campaign, gen_contact, gen_group
from sqlalchemy import select

from survey.channels.sms import create_sms_invitations, opt_out, queue_reminders, send_due
from survey.channels.twilio_backend import ConsoleBackend
from survey.extensions import db
from survey.models import OutboundMessage, utcnow


def _invited(app, count: int = 1):
    app.config.update(SURVEY_REMINDER_MAX=2, SURVEY_REMINDER_INTERVAL_DAYS=3)
    campaign = gen_campaign()
    contacts = [gen_contact(f"专家{i}", phone=f"+86137{i:08d}") for i in range(count)]
    created = create_sms_invitations(campaign, gen_group("expert"), campaign.units[0], contacts)
    db.session.commit()
    return campaign, created


def _messages(invitation_id: int) -> list[OutboundMessage]:
    db.session.expire_all()
    return list(
        db.session.execute(
            select(OutboundMessage)
            .where(OutboundMessage.invitation_id == invitation_id)
            .order_by(OutboundMessage.id)
        ).scalars()
    )


def test_reminders_are_spaced_and_capped(app):
    campaign, [(invitation, first)] = _invited(app)
    t0 = utcnow()
    backend = ConsoleBackend()
    send_due(backend, now=t0)

    assert queue_reminders(campaign, now=t0 + dt.timedelta(days=2, hours=23)) == []
    [reminder] = queue_reminders(campaign, now=t0 + dt.timedelta(days=3, minutes=1))
    assert reminder.kind == "reminder-1" and reminder.link == first.link
    assert first.link in reminder.body and reminder.body != first.body
    assert reminder.to_phone == first.to_phone

    # Not sent yet: no second reminder behind it, whatever the time.
    assert queue_reminders(campaign, now=t0 + dt.timedelta(days=30)) == []
    t1 = t0 + dt.timedelta(days=4)
    assert send_due(backend, now=t1).sent == 1
    # The interval runs from the last message sent, not from the invitation.
    assert queue_reminders(campaign, now=t1 + dt.timedelta(days=2)) == []
    [second] = queue_reminders(campaign, now=t1 + dt.timedelta(days=3))
    assert second.kind == "reminder-2"
    send_due(backend, now=t1 + dt.timedelta(days=3))

    assert queue_reminders(campaign, now=t1 + dt.timedelta(days=60)) == []
    kinds = [m.kind for m in _messages(invitation.id)]
    assert kinds == ["invitation", "reminder-1", "reminder-2"]
    assert [item["body"] for item in backend.sent][1:] == [reminder.body, second.body]


def test_no_reminder_for_answered_expired_or_opted_out(app):
    campaign, created = _invited(app, 4)
    t0 = utcnow()
    send_due(ConsoleBackend(), now=t0)
    (answered, _m1), (expired, _m2), (opted, m3), (waiting, _m4) = created
    answered.status = "completed"
    expired.expires_at = t0 + dt.timedelta(days=1)
    db.session.commit()
    opt_out(m3.to_phone)

    queued = queue_reminders(campaign, now=t0 + dt.timedelta(days=5))

    assert [m.invitation_id for m in queued] == [waiting.id]
    assert len(_messages(opted.id)) == 1


def test_no_reminder_after_a_failed_invitation(app):
    campaign, [(invitation, first)] = _invited(app)
    first.state = "failed"
    db.session.commit()
    assert queue_reminders(campaign, now=utcnow() + dt.timedelta(days=10)) == []
    assert len(_messages(invitation.id)) == 1


def test_remind_command(app, runner):
    campaign, [(invitation, first)] = _invited(app)
    send_due(ConsoleBackend())
    db.session.refresh(first)
    first.sent_at -= dt.timedelta(days=5)
    db.session.commit()
    result = runner.invoke(args=["survey", "remind", "--campaign", campaign.code])
    assert result.exit_code == 0, result.output
    assert "queued 1 reminders" in result.output
    again = runner.invoke(args=["survey", "remind", "--campaign", campaign.code])
    assert "queued 0 reminders" in again.output
    assert [m.kind for m in _messages(invitation.id)] == ["invitation", "reminder-1"]
