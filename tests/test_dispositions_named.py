"""Dispositions of a list of named people: every outcome and sequence against hand-computed rates.

The expected counts and rates below are worked out by hand from AAPOR's
Standard Definitions (10th edition) and the mapping the fieldwork page
documents, not taken from the code: each sequence names the category it must
end in and why.
"""

from __future__ import annotations

import datetime as dt

import pytest
from factories import gen_campaign, gen_contact, gen_invitation, gen_user, login

from survey.channels.phone import DISPOSITIONS, PhoneError, enqueue_phone_cases, record_attempt
from survey.extensions import db
from survey.models import CallCase
from survey.results.response_rates import disposition_counts, phone_response_rates
from survey.stats.aapor import PRECEDENCE

MORNING = dt.datetime(2026, 11, 24, 2, 0)  # 10:00 in Shanghai, a Tuesday

# Each case's attempts in the order made, and the final category a methodologist assigns.
SEQUENCES: list[tuple[tuple[str, ...], str]] = [
    (("complete",), "I"),  # 1.1
    (("no_answer", "partial"), "P"),  # 1.2 after an unknown-eligibility attempt
    (("refusal_soft", "no_answer"), "R"),  # a later no-answer does not undo contact
    (("refusal_soft", "ineligible"), "NE"),  # proof of ineligibility wins over a refusal
    (("callback_respondent",), "R"),  # booked by the person, never kept: implicit refusal 2.112
    (("callback_respondent", "ineligible"), "NE"),  # ineligibility wins over a call-back
    (("callback", "busy"), "NC"),  # someone else asked for it: 2.21, the person never reached
    (("voicemail_named", "no_answer"), "NC"),  # a greeting naming the person: 2.222
    (("voicemail_message",), "NC"),  # the same with a message left: 2.221
    (("answering_machine", "no_answer"), "UH"),  # a machine not naming anyone: 3.14
    (("busy",), "UH"),  # 3.12
    (("not_in_service",), "UO"),  # a dead number says nothing of the person (RDD's 4.31)
    (("no_answer", "not_in_service"), "UO"),  # a bad number is more than no answer
    (("wrong_number",), "UO"),  # 3.90
    (("language_barrier",), "O"),  # 2.332
    (("break_off",), "R"),  # 2.12
    (("refusal_hard",), "R"),  # 2.11
    (("ineligible",), "NE"),  # 4.70
    ((), "UH"),  # never called: 3.11
    (("callback", "not_in_service"), "NC"),  # the person was confirmed before the number died
    (("voicemail_named", "ineligible"), "NE"),
]


def _campaign_with_cases(count: int):  # type: ignore[no-untyped-def]
    campaign = gen_campaign()
    campaign.opens_at = MORNING - dt.timedelta(days=1)
    campaign.closes_at = MORNING + dt.timedelta(days=60)
    campaign.max_attempts = 6
    for i in range(count):
        contact = gen_contact(phone=f"+86139007{i:05d}")
        gen_invitation(campaign, group="deputy", channel="phone", contact=contact)
    db.session.commit()
    enqueue_phone_cases(campaign)
    db.session.commit()
    cases = db.session.execute(
        db.select(CallCase).where(CallCase.campaign_id == campaign.id).order_by(CallCase.id)
    ).scalars()
    return campaign, list(cases)


def _call(case, operator, disposition, now):  # type: ignore[no-untyped-def]
    """One attempt on this very case (the queue's order is not what is tested here)."""
    case.status, case.claimed_by_id, case.claimed_at = "claimed", operator.id, now
    callback_at = now + dt.timedelta(days=1) if DISPOSITIONS[disposition].callback else None
    record_attempt(case, operator, disposition, now=now, callback_at=callback_at)
    db.session.commit()


def test_every_disposition_is_in_a_sequence():
    used = {code for attempts, _ in SEQUENCES for code in attempts}
    assert used == set(DISPOSITIONS)


def test_every_sequence_ends_in_the_category_a_methodologist_assigns(app):
    campaign, cases = _campaign_with_cases(len(SEQUENCES))
    operator = gen_user("operator")
    for case, (attempts, _expected) in zip(cases, SEQUENCES, strict=True):
        for day, disposition in enumerate(attempts):
            _call(case, operator, disposition, MORNING + dt.timedelta(days=day))
    whole = disposition_counts(campaign)[None]
    # Tally of the expected column above: I 1, P 1, R 4, NE 4, NC 4, UH 3, UO 3, O 1 (21 cases).
    assert (whole.I, whole.P, whole.R, whole.NE, whole.NC, whole.UH, whole.UO, whole.O) == (
        1, 1, 4, 4, 4, 3, 3, 1,
    )
    rates = phone_response_rates(campaign)[None]
    assert rates is not None
    # Eligible known: I+P+R+NC+O = 1+1+4+4+1 = 11; unknown UH+UO = 6; not eligible 4.
    # e = 11 / (11 + 4) = 11/15 = 0.7333...
    assert rates.e == pytest.approx(11 / 15)
    # RR1 = 1 / (11 + 6) = 1/17 = 5.88%; RR2 = 2/17 = 11.76%.
    assert rates.rr1 == pytest.approx(1 / 17)
    assert rates.rr2 == pytest.approx(2 / 17)
    # RR3 = 1 / (11 + 11/15 * 6) = 1 / 15.4 = 6.49%; RR4 = 2 / 15.4 = 12.99%.
    assert rates.rr3 == pytest.approx(1 / 15.4)
    assert rates.rr4 == pytest.approx(2 / 15.4)
    # COOP1 = I / (I+P+R+O) = 1 / 7; REF1 = R / 17 = 4/17.
    assert rates.coop1 == pytest.approx(1 / 7)
    assert rates.ref1 == pytest.approx(4 / 17)
    # CON1 = (I+P+R+O) / (I+P+R+O + NC + UH+UO) = 7 / (7 + 4 + 6) = 7/17: the call-back the
    # person booked counts as contact, the voicemail greetings do not.
    assert rates.con1 == pytest.approx(7 / 17)


@pytest.mark.parametrize(("attempts", "expected"), SEQUENCES)
def test_each_sequence_alone(app, attempts, expected):
    campaign, (case,) = _campaign_with_cases(1)
    operator = gen_user("operator")
    for day, disposition in enumerate(attempts):
        _call(case, operator, disposition, MORNING + dt.timedelta(days=day))
    counts = disposition_counts(campaign)[None]
    assert getattr(counts, expected) == 1 and counts.total == 1
    if not attempts:
        assert phone_response_rates(campaign)[None] is None  # "no attempts yet", not 0%


def test_ineligibility_is_the_first_proof_after_the_interviews():
    assert PRECEDENCE[:3] == ("I", "P", "NE")
    assert PRECEDENCE.index("NE") < PRECEDENCE.index("R") < PRECEDENCE.index("NC")


def test_codes_for_a_named_list():
    assert (DISPOSITIONS["not_in_service"].aapor, DISPOSITIONS["not_in_service"].category) == (
        "3.90",
        "UO",
    )
    assert (DISPOSITIONS["voicemail_named"].aapor, DISPOSITIONS["voicemail_named"].category) == (
        "2.222",
        "NC",
    )
    assert DISPOSITIONS["callback_respondent"].category == "R"


def test_a_call_back_booked_by_the_person_needs_its_time(app):
    campaign, (case,) = _campaign_with_cases(1)
    operator = gen_user("operator")
    case.status, case.claimed_by_id = "claimed", operator.id
    with pytest.raises(PhoneError, match="call-back needs the time"):
        record_attempt(case, operator, "callback_respondent", now=MORNING)
    tomorrow = MORNING + dt.timedelta(days=1)
    record_attempt(case, operator, "callback_respondent", now=MORNING, callback_at=tomorrow)
    assert (case.status, case.next_try_at, case.is_callback) == ("queued", tomorrow, True)


def test_the_fieldwork_page_documents_the_mapping_and_waits_for_attempts(app, client):
    campaign, cases = _campaign_with_cases(3)
    login(client, gen_user("admin"))
    page = client.get(f"/evaluate/fieldwork?campaign={campaign.id}&lang=en").text
    # Nobody called yet: no 0.0% and no e = 1.00, but the plain fact.
    assert "no attempts yet" in page and "0.0%" not in page
    assert "How each call outcome counts" in page
    for code in ("3.90", "2.112", "2.221", "2.222", "4.70", "3.11"):
        assert code in page
    # The partial-interview thresholds of the campaign's questionnaires, beside the rates.
    assert "a break-off (2.12)" in page
    assert "at least 50% of the questions asked" in page  # the stakeholder evaluation's
    operator = gen_user("operator")
    _call(cases[0], operator, "refusal_soft", MORNING)
    _call(cases[0], operator, "ineligible", MORNING + dt.timedelta(days=7))
    _call(cases[1], operator, "complete", MORNING)
    page = client.get(f"/evaluate/fieldwork?campaign={campaign.id}&lang=en").text
    # I 1, NE 1, UH 1 (never called): RR1 = 1 / (1 + 1) = 50.0%; e = 1 / (1 + 1) = 0.50.
    assert "50.0%" in page and "0.50" in page
