"""A campaign's AAPOR rates from its call cases: each case once, by its latest outcome."""

from __future__ import annotations

import datetime as dt

import pytest
from factories import gen_campaign, gen_contact, gen_invitation, gen_user

from survey.channels.phone import claim_next, enqueue_phone_cases, record_attempt
from survey.extensions import db
from survey.results.response_rates import disposition_counts, phone_response_rates

MORNING = dt.datetime(2026, 11, 24, 2, 0)


def test_counts_and_rates_by_group_and_operator(app):
    campaign = gen_campaign()
    campaign.opens_at = MORNING - dt.timedelta(days=1)
    campaign.closes_at = MORNING + dt.timedelta(days=30)
    for i, group in enumerate(["deputy"] * 4 + ["retiree"] * 2):
        gen_invitation(
            campaign, group=group, channel="phone", contact=gen_contact(phone=f"+86139001{i:05d}")
        )
    db.session.commit()
    enqueue_phone_cases(campaign)
    db.session.commit()
    first, second = gen_user("operator"), gen_user("operator")
    # deputies: complete, refusal, no answer (first operator), wrong number (second);
    # retirees: not eligible (second), then the one never called before, complete (second).
    plan = [
        (first, "complete"),
        (first, "refusal_hard"),
        (first, "no_answer"),
        (second, "wrong_number"),
        (second, "ineligible"),
    ]
    now = MORNING
    for operator, disposition in plan:
        case = claim_next(campaign, operator, now=now)
        record_attempt(case, operator, disposition, now=now)
        db.session.commit()
    retry_time = now + dt.timedelta(hours=4)  # 14:00, after the lunch break
    case = claim_next(campaign, second, now=retry_time)
    assert case.attempts == 0, "people never called come before retries"
    record_attempt(case, second, "complete", now=retry_time)
    db.session.commit()

    whole = disposition_counts(campaign)[None]
    # The no-answer case is left: unknown eligibility (UH).
    assert (whole.I, whole.R, whole.UH, whole.UO, whole.NE) == (2, 1, 1, 1, 1)
    rates = phone_response_rates(campaign)[None]
    # e = eligible known / known = 3 / 4; RR3 = 2 / (3 + 0.75 * 2).
    assert rates.e == pytest.approx(3 / 4)
    assert rates.rr1 == pytest.approx(2 / 5)
    assert rates.rr3 == pytest.approx(2 / (3 + 0.75 * 2))
    by_group = phone_response_rates(campaign, by="group")
    assert by_group["retiree"].rr1 == 1.0  # one complete, one not eligible
    assert by_group["deputy"].rr1 == pytest.approx(1 / 4)
    assert by_group["retiree"].e == pytest.approx(3 / 4)
    by_operator = disposition_counts(campaign, by="operator")
    assert by_operator[first.id].I == 1 and by_operator[first.id].R == 1
    assert by_operator[second.id].I == 1 and by_operator[second.id].NE == 1
    with pytest.raises(ValueError):
        disposition_counts(campaign, by="colour")


def test_a_later_non_contact_does_not_undo_what_an_earlier_call_established(app):
    """Each case counts under its most informative outcome, not its latest one."""
    campaign = gen_campaign()
    campaign.opens_at = MORNING - dt.timedelta(days=1)
    campaign.closes_at = MORNING + dt.timedelta(days=30)
    for i in range(3):
        gen_invitation(
            campaign,
            group="deputy",
            channel="phone",
            contact=gen_contact(phone=f"+86139002{i:05d}"),
        )
    db.session.commit()
    enqueue_phone_cases(campaign)
    db.session.commit()
    first, second = gen_user("operator"), gen_user("operator")
    # Case 1: a soft refusal (first operator), then no answer on the retry a week later (second).
    # Case 2: a call-back asked for (an eligible person, not interviewed: NC), then busy.
    # Case 3: no answer, then an interview.  Case 4 (added at the end): never called.
    refused = claim_next(campaign, first, now=MORNING)
    record_attempt(refused, first, "refusal_soft", now=MORNING)
    appointment = claim_next(campaign, first, now=MORNING)
    record_attempt(
        appointment,
        first,
        "callback",
        now=MORNING,
        callback_at=MORNING + dt.timedelta(hours=1),
    )
    interviewed = claim_next(campaign, first, now=MORNING)
    record_attempt(interviewed, first, "no_answer", now=MORNING)
    db.session.commit()

    # A week later, in the evening slot (the daytime was tried): every retry is due.
    later = MORNING + dt.timedelta(days=7, hours=8, minutes=1)
    by_id = {}
    for _ in range(3):
        case = claim_next(campaign, second, now=later)
        by_id[case.id] = case
        outcome = {refused.id: "no_answer", appointment.id: "busy"}.get(case.id, "complete")
        record_attempt(case, second, outcome, now=later)
        db.session.commit()
    assert set(by_id) == {refused.id, appointment.id, interviewed.id}
    assert refused.last_disposition == "no_answer"  # what the old count went by
    gen_invitation(
        campaign, group="deputy", channel="phone", contact=gen_contact(phone="+8613900299999")
    )
    db.session.commit()
    enqueue_phone_cases(campaign)
    db.session.commit()

    whole = disposition_counts(campaign)[None]
    # The refusal stays a refusal; the appointment a non-contact; case 4 never called: UH.
    assert (whole.I, whole.R, whole.NC, whole.UH, whole.UO, whole.NE) == (1, 1, 1, 1, 0, 0)
    by_operator = disposition_counts(campaign, by="operator")
    # The refusal and the appointment were the first operator's calls, the interview the second's.
    assert (by_operator[first.id].R, by_operator[first.id].NC) == (1, 1)
    assert by_operator[first.id].total == 2
    assert (by_operator[second.id].I, by_operator[second.id].total) == (1, 1)
    assert disposition_counts(campaign, by="group")["deputy"] == whole
