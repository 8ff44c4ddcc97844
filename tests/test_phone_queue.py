"""The call queue: order, calling hours, retry rules, claims under concurrency."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from factories import gen_campaign, gen_contact, gen_invitation, gen_user
from sqlalchemy import select

from survey.channels.phone import (
    DISPOSITIONS,
    PhoneError,
    claim_next,
    enqueue_phone_cases,
    queue_counts,
    record_attempt,
    release_claim,
    renew_claim,
    rules_for,
    set_rule,
)
from survey.extensions import db
from survey.models import Attempt, AuditEvent, CallCase, Campaign

# 10:00 in Shanghai (UTC+8) on a weekday: inside the default calling hours 09:00-20:00.
MORNING = dt.datetime(2026, 11, 24, 2, 0)


@pytest.fixture
def campaign(app) -> Campaign:
    campaign = gen_campaign()
    campaign.opens_at = MORNING - dt.timedelta(days=30)
    campaign.closes_at = MORNING + dt.timedelta(days=30)
    db.session.commit()
    return campaign


def _cases(campaign: Campaign, count: int) -> list[CallCase]:
    for i in range(count):
        gen_invitation(
            campaign,
            group="deputy",
            channel="phone",
            contact=gen_contact(name=f"代表{i}", phone=f"+861380013{i:04d}"),
        )
    db.session.commit()
    assert enqueue_phone_cases(campaign) == count
    db.session.commit()
    return list(db.session.execute(select(CallCase).order_by(CallCase.id)).scalars())


def test_enqueue_is_idempotent_and_takes_only_phone_invitations(campaign):
    gen_invitation(campaign, group="deputy", channel="link")
    _cases(campaign, 3)
    assert enqueue_phone_cases(campaign) == 0
    assert len(db.session.execute(select(CallCase)).all()) == 3


@pytest.mark.parametrize(
    "utc, allowed",
    [
        (dt.datetime(2026, 11, 24, 0, 59), False),  # 08:59 Shanghai
        (dt.datetime(2026, 11, 24, 1, 0), True),  # 09:00
        (dt.datetime(2026, 11, 24, 11, 59), True),  # 19:59
        (dt.datetime(2026, 11, 24, 12, 0), False),  # 20:00
    ],
)
def test_calling_hours_in_the_campaigns_time_zone(campaign, utc, allowed):
    _cases(campaign, 1)
    operator = gen_user("operator")
    assert (claim_next(campaign, operator, now=utc) is not None) is allowed


def test_other_time_zone(campaign):
    campaign.timezone = "Asia/Urumqi"  # UTC+6: 02:00 UTC is 08:00 there
    db.session.commit()
    _cases(campaign, 1)
    operator = gen_user("operator")
    assert claim_next(campaign, operator, now=MORNING) is None
    assert claim_next(campaign, operator, now=MORNING + dt.timedelta(hours=1)) is not None


def test_closed_campaign_offers_nothing(campaign):
    _cases(campaign, 1)
    campaign.closes_at = MORNING - dt.timedelta(days=1)
    db.session.commit()
    assert claim_next(campaign, gen_user("operator"), now=MORNING) is None


def test_order_callbacks_then_fresh_then_retries(campaign):
    first, second, third = _cases(campaign, 3)
    operator = gen_user("operator")
    # first: no answer at 09:00 -> retried in the evening slot, 18:00
    # second: call-back asked for 18:00
    evening = MORNING + dt.timedelta(hours=8)
    for row, disposition, kwargs in (
        (first, "no_answer", {}),
        (second, "callback", {"callback_at": evening}),
    ):
        claimed = claim_next(campaign, operator, now=MORNING - dt.timedelta(hours=1))
        assert claimed.id == row.id
        record_attempt(
            claimed, operator, disposition, now=MORNING - dt.timedelta(hours=1), **kwargs
        )
        db.session.commit()
    assert first.next_try_at == evening
    later = evening + dt.timedelta(minutes=1)
    order = []
    for _ in range(3):
        claimed = claim_next(campaign, operator, now=later)
        order.append(claimed.id)
        record_attempt(claimed, operator, "refusal_hard", now=later)
        db.session.commit()
    assert order == [second.id, third.id, first.id]
    assert claim_next(campaign, operator, now=later) is None


def test_retry_rules_schedule_the_case(campaign):
    """Each retry at its rule's delay at the earliest, in the slot the case was tried least."""
    rows = _cases(campaign, 1)
    operator = gen_user("operator")
    campaign.max_attempts = 99
    db.session.commit()
    shanghai = dt.timedelta(hours=8)
    # (outcome, when it is recorded and when the queue calls again, Shanghai wall clock)
    steps = [
        # Tuesday 10:00, daytime: no answer. The evening has not been tried: 18:00.
        ("no_answer", dt.datetime(2026, 11, 24, 10, 0), dt.datetime(2026, 11, 24, 18, 0)),
        # A busy line means someone is there: again in half an hour, same slot.
        ("busy", dt.datetime(2026, 11, 24, 18, 0), dt.datetime(2026, 11, 24, 18, 30)),
        # Days and evenings tried, the weekend not: Saturday at 09:00.
        ("answering_machine", dt.datetime(2026, 11, 24, 18, 30), dt.datetime(2026, 11, 28, 9, 0)),
        # A week later at the earliest. Tried: daytime once, evening twice, weekend once; of
        # the least tried the earliest window on a day not yet tried in it: Saturday 5 December.
        ("refusal_soft", dt.datetime(2026, 11, 28, 9, 0), dt.datetime(2026, 12, 5, 9, 0)),
    ]
    for disposition, local, expected in steps:
        now = local - shanghai
        claimed = claim_next(campaign, operator, now=now)
        assert claimed is not None and claimed.id == rows[0].id, disposition
        attempt = record_attempt(claimed, operator, disposition, now=now)
        db.session.commit()
        assert attempt.aapor_code == DISPOSITIONS[disposition].aapor
        assert claimed.status == "queued", disposition
        assert claimed.next_try_at == expected - shanghai, disposition
        too_early = expected - shanghai - dt.timedelta(minutes=1)
        assert claim_next(campaign, operator, now=too_early) is None


@pytest.mark.parametrize(
    "disposition", ["refusal_hard", "wrong_number", "not_in_service", "ineligible", "complete"]
)
def test_final_dispositions_close_the_case(campaign, disposition):
    _cases(campaign, 1)
    operator = gen_user("operator")
    claimed = claim_next(campaign, operator, now=MORNING)
    record_attempt(claimed, operator, disposition, now=MORNING)
    db.session.commit()
    assert claimed.status == "closed"
    assert claim_next(campaign, operator, now=MORNING + dt.timedelta(days=20)) is None


def test_campaign_override_of_a_rule_is_audited(campaign):
    _cases(campaign, 1)
    set_rule(campaign, "no_answer", retry=True, delay_minutes=60)
    set_rule(campaign, "wrong_number", retry=True, delay_minutes=1440)
    db.session.commit()
    assert rules_for(campaign)["no_answer"].delay == dt.timedelta(hours=1)
    operator = gen_user("operator")
    claimed = claim_next(campaign, operator, now=MORNING)
    record_attempt(claimed, operator, "no_answer", now=MORNING)
    db.session.commit()
    # An hour at least; the daytime was tried, so the evening (18:00 in Shanghai).
    assert claimed.next_try_at == MORNING + dt.timedelta(hours=8)
    events = db.session.execute(select(AuditEvent)).scalars().all()
    assert {e.action for e in events} == {"phone.rule"}
    assert all(e.campaign_id == campaign.id for e in events)
    with pytest.raises(PhoneError):
        set_rule(campaign, "complete", retry=True, delay_minutes=10)


def test_max_attempts_closes_the_case(campaign):
    campaign.max_attempts = 2
    db.session.commit()
    _cases(campaign, 1)
    operator = gen_user("operator")
    now = MORNING
    for _ in range(2):
        claimed = claim_next(campaign, operator, now=now)
        record_attempt(claimed, operator, "busy", now=now)
        db.session.commit()
        now += dt.timedelta(hours=1)
    assert claimed.status == "closed" and claimed.attempts == 2
    assert claim_next(campaign, operator, now=now) is None
    assert queue_counts(campaign, now=now)["closed"] == 1


def test_a_callback_booked_on_the_last_attempt_is_made_once(campaign):
    campaign.max_attempts = 2
    db.session.commit()
    _cases(campaign, 1)
    operator = gen_user("operator")
    claimed = claim_next(campaign, operator, now=MORNING)
    record_attempt(claimed, operator, "no_answer", now=MORNING)
    db.session.commit()
    retry = MORNING + dt.timedelta(hours=8)  # the evening slot
    claimed = claim_next(campaign, operator, now=retry)
    appointment = MORNING + dt.timedelta(days=1)
    # The last allowed attempt: the person asks to be called tomorrow.
    record_attempt(claimed, operator, "callback", now=retry, callback_at=appointment)
    db.session.commit()
    assert (claimed.status, claimed.attempts) == ("queued", 2)
    assert queue_counts(campaign, now=retry) == {
        "due": 0,
        "callbacks": 0,
        "later": 1,
        "claimed": 0,
        "closed": 0,
    }
    assert queue_counts(campaign, now=appointment)["callbacks"] == 1
    assert queue_counts(campaign, now=appointment)["due"] == 1

    called_back = claim_next(campaign, operator, now=appointment)
    assert called_back is not None and called_back.id == claimed.id
    # That call may not book yet another call-back: the case would never end.
    with pytest.raises(PhoneError, match="no further call-back"):
        record_attempt(
            called_back,
            operator,
            "callback",
            now=appointment,
            callback_at=appointment + dt.timedelta(days=1),
        )
    record_attempt(called_back, operator, "no_answer", now=appointment)
    db.session.commit()
    assert (called_back.status, called_back.attempts) == ("closed", 3)
    assert claim_next(campaign, operator, now=appointment + dt.timedelta(days=2)) is None
    assert queue_counts(campaign, now=appointment)["closed"] == 1


def test_callback_needs_a_future_time_and_nothing_changes_otherwise(campaign):
    _cases(campaign, 1)
    operator = gen_user("operator")
    claimed = claim_next(campaign, operator, now=MORNING)
    for kwargs in ({}, {"callback_at": MORNING - dt.timedelta(minutes=1)}):
        with pytest.raises(PhoneError):
            record_attempt(claimed, operator, "callback", now=MORNING, **kwargs)
    with pytest.raises(PhoneError):
        record_attempt(claimed, operator, "no_answer", now=MORNING, callback_at=MORNING)
    with pytest.raises(PhoneError):
        record_attempt(claimed, operator, "no_such_thing", now=MORNING)
    db.session.commit()
    assert claimed.attempts == 0 and claimed.status == "claimed"
    assert db.session.execute(select(Attempt)).first() is None


def test_only_the_claimant_records_and_releases(campaign):
    _cases(campaign, 1)
    first, second = gen_user("operator"), gen_user("operator")
    claimed = claim_next(campaign, first, now=MORNING)
    assert claim_next(campaign, second, now=MORNING) is None
    with pytest.raises(PhoneError):
        record_attempt(claimed, second, "no_answer", now=MORNING)
    with pytest.raises(PhoneError):
        release_claim(claimed, second)
    # The holder gets the same case back instead of a second one.
    assert claim_next(campaign, first, now=MORNING).id == claimed.id
    release_claim(claimed, first)
    assert claim_next(campaign, second, now=MORNING).id == claimed.id


def test_a_stale_claim_can_be_taken(campaign):
    _cases(campaign, 1)
    first, second = gen_user("operator"), gen_user("operator")
    claimed = claim_next(campaign, first, now=MORNING)
    assert claim_next(campaign, second, now=MORNING + dt.timedelta(minutes=29)) is None
    taken = claim_next(campaign, second, now=MORNING + dt.timedelta(minutes=31))
    assert taken is not None and taken.id == claimed.id and taken.claimed_by_id == second.id


def test_a_renewed_claim_stays_with_its_holder(campaign):
    _cases(campaign, 1)
    first, second = gen_user("operator"), gen_user("operator")
    claimed = claim_next(campaign, first, now=MORNING)
    # Someone who does not hold the case cannot keep it alive.
    assert renew_claim(claimed, second, now=MORNING + dt.timedelta(minutes=25)) is False
    assert renew_claim(claimed, first, now=MORNING + dt.timedelta(minutes=25)) is True
    # 40 minutes after the claim, 15 after the renewal: still the holder's.
    assert claim_next(campaign, second, now=MORNING + dt.timedelta(minutes=40)) is None
    taken = claim_next(campaign, second, now=MORNING + dt.timedelta(minutes=56))
    assert taken is not None and taken.claimed_by_id == second.id
    # The first holder's late renewal does not take the case back.
    assert renew_claim(taken, first, now=MORNING + dt.timedelta(minutes=57)) is False
    db.session.refresh(taken)
    assert taken.claimed_by_id == second.id


def test_queue_counts(campaign):
    rows = _cases(campaign, 4)
    operator = gen_user("operator")
    claimed = claim_next(campaign, operator, now=MORNING)
    record_attempt(
        claimed, operator, "callback", now=MORNING, callback_at=MORNING + dt.timedelta(hours=1)
    )
    db.session.commit()
    claim_next(campaign, operator, now=MORNING)
    counts = queue_counts(campaign, now=MORNING)
    assert counts == {"due": 2, "callbacks": 0, "later": 1, "claimed": 1, "closed": 0}
    assert queue_counts(campaign, now=MORNING + dt.timedelta(hours=1))["callbacks"] == 1
    assert len(rows) == 4


def _claimer(app, campaign_id, operator_id, results, index, barrier):
    from survey.models import User

    with app.app_context():
        try:
            campaign = db.session.get(Campaign, campaign_id)
            operator = db.session.get(User, operator_id)
            barrier.wait(timeout=30)
            got = claim_next(campaign, operator, now=MORNING)
            results[index] = got.id if got is not None else None
        except Exception as error:  # noqa: BLE001 - reported by the test
            results[index] = error
        finally:
            db.session.remove()


def test_concurrent_claims_never_share_a_case(app, campaign):
    operators = [gen_user("operator") for _ in range(8)]
    _cases(campaign, 5)
    results: list = [None] * len(operators)
    barrier = threading.Barrier(len(operators))
    threads = [
        threading.Thread(target=_claimer, args=(app, campaign.id, op.id, results, i, barrier))
        for i, op in enumerate(operators)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    won = [r for r in results if r is not None]
    assert len(won) == len(set(won)), f"a case was given twice: {results}"
    assert len(won) == 5
    db.session.expire_all()
    holders = {c.id: c.claimed_by_id for c in db.session.execute(select(CallCase)).scalars()}
    assert len(set(holders.values())) == 5
