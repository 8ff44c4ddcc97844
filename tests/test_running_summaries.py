"""Results read running monthly summaries kept in step with what counts (issue 15).

Each submission, burst held or accepted and bad review excluded moves the
monthly sums in its own transaction; ``flask survey summaries check`` and
``rebuild`` compare and recompute them. (Every test of the suite also ends with
the check: tests/conftest.py.) Expected sums are worked out from the answers,
not read from the code under test.
"""

from __future__ import annotations

import datetime as dt

import pytest
from factories import gen_campaign, gen_response, gen_service_point, gen_unit
from respondent import point_campaign, post_card
from sqlalchemy import delete, select, text, update

from survey.extensions import db
from survey.followup.cases import exclude, open_case_if_bad
from survey.instruments.store import current_instruments
from survey.models import MonthlySummary, Response
from survey.results import satisfaction, stratum_summaries
from survey.results.running import disagreements, rebuild

IND = "satisfaction.overall"
# Campaigns of the calendar years the tests submit in (not "a year around today").
YEARS = {"period_start": dt.date(2025, 1, 1), "period_end": dt.date(2026, 12, 31)}


def _sums(indicator: str = IND) -> dict[str, tuple[int, float, float, int]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(MonthlySummary).where(MonthlySummary.indicator == indicator)
    ).scalars()
    return {r.month: (r.n, r.total, r.sum_of_squares, r.satisfied) for r in rows}


def test_a_card_submitted_through_the_qr_code_is_in_its_month_at_once(rapp, client):
    _campaign, point = point_campaign()
    page, _answers, _key = post_card(client, f"/p/{point.code}", overall="very_satisfied")
    assert page.status_code == 200
    post_card(client, f"/p/{point.code}", overall="dissatisfied")
    # very satisfied 100, dissatisfied 25: n 2, sum 125, squares 10625, one satisfied,
    # in the month of Beijing time (UTC+8) the cards were stored at
    months = {
        (r.submitted_at + dt.timedelta(hours=8)).strftime("%Y-%m")
        for r in db.session.execute(select(Response)).scalars()
    }
    sums = _sums()
    assert sum(v[0] for v in sums.values()) == 2 and set(sums) == months
    assert tuple(map(sum, zip(*sums.values(), strict=True))) == (2, 125.0, 10625.0, 1)


def test_excluding_a_bad_review_takes_it_out_and_nothing_else(app):
    campaign = gen_campaign([gen_unit()], **YEARS)
    gen_response(campaign, answers={"overall": "satisfied"}, submitted_at=dt.datetime(2026, 5, 4))
    bad = gen_response(
        campaign, answers={"overall": "very_dissatisfied"}, submitted_at=dt.datetime(2026, 5, 5)
    )
    db.session.commit()
    assert _sums() == {"2026-05": (2, 75.0, 5625.0, 1)}
    case = open_case_if_bad(bad, current_instruments()["post-service-card"])
    assert case is not None
    db.session.commit()
    exclude(case, "恶意差评", user_id=None)  # type: ignore[arg-type]
    db.session.commit()
    assert _sums() == {"2026-05": (1, 75.0, 5625.0, 1)}


def test_a_flagged_card_leaves_and_comes_back_when_accepted(app):
    campaign = gen_campaign([gen_unit()], **YEARS)
    card = gen_response(
        campaign, answers={"overall": "satisfied"}, submitted_at=dt.datetime(2026, 6, 1)
    )
    db.session.commit()
    card.flagged = True
    db.session.commit()
    assert _sums() == {}  # the month's only card held: no row left
    card.flagged = False
    db.session.commit()
    assert _sums() == {"2026-06": (1, 75.0, 5625.0, 1)}


def test_results_are_read_from_the_summaries(app):
    """A summary row altered by hand shows on the results: they are what is read."""
    campaign = gen_campaign([gen_unit()], **YEARS)
    for _ in range(6):
        gen_response(
            campaign, answers={"overall": "satisfied"}, submitted_at=dt.datetime(2026, 2, 3)
        )
    db.session.commit()
    db.session.execute(update(MonthlySummary).values(total=MonthlySummary.total - 150))
    db.session.commit()
    rows = stratum_summaries(campaign, indicator=IND, by=("unit",), period="2026-02")
    assert [(r.n, r.total) for r in rows] == [(6, 300.0)]
    # A window that cuts a month is answered from the responses themselves.
    cut = stratum_summaries(
        campaign, indicator=IND, by=("unit",), period=(dt.date(2026, 2, 2), dt.date(2026, 2, 27))
    )
    assert [(r.n, r.total) for r in cut] == [(6, 450.0)]
    assert disagreements(db.session)
    rebuild(db.session)
    db.session.commit()
    assert disagreements(db.session) == []
    assert [(r.n, r.total) for r in stratum_summaries(campaign, indicator=IND)] == [(6, 450.0)]


def test_periods_from_the_summaries_equal_those_from_the_responses(app):
    campaign = gen_campaign([gen_unit()], **YEARS)
    answers = ["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied"]
    for month in range(1, 13):
        for i in range(month % 4 + 1):
            gen_response(
                campaign,
                answers={"overall": answers[(month + i) % 4]},
                submitted_at=dt.datetime(2025, month, 10 + i, 3),
            )
    db.session.commit()
    for by in (("quarter",), ("year", "unit"), ("month", "channel")):
        kept = stratum_summaries(campaign, indicator=IND, by=by)
        raw = stratum_summaries(campaign, indicator=IND, by=by, include_flagged=True)
        assert kept == raw and len(kept) > 0


@pytest.mark.summaries_may_differ
def test_the_check_command_finds_a_difference_and_rebuild_mends_it(app, runner):
    campaign = gen_campaign([gen_unit()], **YEARS)
    gen_response(campaign, answers={"overall": "satisfied"}, submitted_at=dt.datetime(2026, 7, 7))
    db.session.commit()
    assert runner.invoke(args=["survey", "summaries", "check"]).exit_code == 0
    db.session.execute(update(MonthlySummary).values(n=MonthlySummary.n + 1))
    db.session.execute(update(Response).values(summarised=True))
    db.session.commit()
    broken = runner.invoke(args=["survey", "summaries", "check"])
    assert broken.exit_code == 1 and "2026-07" in broken.output
    fixed = runner.invoke(args=["survey", "summaries", "rebuild", "--campaign", campaign.code])
    assert fixed.exit_code == 0, fixed.output
    assert runner.invoke(args=["survey", "summaries", "check"]).exit_code == 0
    assert satisfaction(campaign, by=("unit",), indicator=IND)


def test_a_new_time_zone_moves_the_cards_into_its_months(app):
    campaign = gen_campaign([gen_unit()], **YEARS)
    # 20:00 UTC on 31 May: 04:00 on 1 June in Beijing, still 31 May in Lisbon (periods use
    # the offset of 1 January, UTC+0 there).
    gen_response(
        campaign, answers={"overall": "satisfied"}, submitted_at=dt.datetime(2026, 5, 31, 20)
    )
    db.session.commit()
    assert set(_sums()) == {"2026-06"}
    campaign.timezone = "Europe/Lisbon"
    db.session.commit()
    assert set(_sums()) == {"2026-05"}


def test_a_card_moved_by_hand_to_another_point_moves_in_the_sums(app):
    campaign = gen_campaign([gen_unit()], **YEARS)
    point = gen_service_point(campaign.units[0])
    card = gen_response(
        campaign, answers={"overall": "satisfied"}, submitted_at=dt.datetime(2026, 3, 3)
    )
    db.session.commit()
    card.service_point_id = point.id
    card.submitted_at = dt.datetime(2026, 4, 4)
    db.session.commit()
    rows = db.session.execute(select(MonthlySummary)).scalars().all()
    assert {(r.service_point_id, r.month, r.n) for r in rows if r.indicator == IND} == {
        (point.id, "2026-04", 1)
    }


def _stored() -> dict[str, tuple[object, ...]]:
    db.session.expire_all()
    return {
        r.cell_key: (
            r.campaign_id,
            r.unit_id,
            r.service_point_id,
            r.group_id,
            r.channel,
            r.indicator,
            r.month,
            r.n,
            r.total,
            r.sum_of_squares,
            r.satisfied,
        )
        for r in db.session.execute(select(MonthlySummary)).scalars()
    }


def test_rebuild_in_sql_writes_the_rows_the_running_path_wrote(app, is_postgres):
    """One INSERT ... SELECT per campaign: the same cells, keys and sums as the increments.

    16:30 UTC on 30 June 2025 is 00:30 on 1 July in Beijing (UTC+8): July's, by
    the running path and by the rebuild alike; 15:30 UTC is still June. Cards
    with and without a service point, a flagged one, an excluded one and one in
    another campaign whose zone is UTC (Europe/Lisbon in January) are among them.
    """
    campaign = gen_campaign([gen_unit()], **YEARS)
    unit = campaign.units[0]
    point = gen_service_point(unit)
    db.session.flush()
    july = gen_response(
        campaign,
        answers={"overall": "very_satisfied"},
        submitted_at=dt.datetime(2025, 6, 30, 16, 30),
    )
    july.service_point_id = point.id
    gen_response(
        campaign, answers={"overall": "satisfied"}, submitted_at=dt.datetime(2025, 6, 30, 15, 30)
    )
    gen_response(
        campaign,
        answers={"overall": "dissatisfied"},
        channel="link",
        submitted_at=dt.datetime(2025, 6, 30, 16, 30),
    )
    held = gen_response(
        campaign, answers={"overall": "satisfied"}, submitted_at=dt.datetime(2025, 7, 2)
    )
    bad = gen_response(
        campaign, answers={"overall": "very_dissatisfied"}, submitted_at=dt.datetime(2025, 7, 3)
    )
    lisbon = gen_campaign([gen_unit()], **YEARS)
    lisbon.timezone = "Europe/Lisbon"
    gen_response(
        lisbon, answers={"overall": "satisfied"}, submitted_at=dt.datetime(2025, 6, 30, 16, 30)
    )
    db.session.commit()
    held.flagged = True
    case = open_case_if_bad(bad, current_instruments()["post-service-card"])
    assert case is not None
    db.session.commit()
    exclude(case, "恶意差评", user_id=None)  # type: ignore[arg-type]
    db.session.commit()
    running_rows = _stored()
    by_month = {
        (row[0], row[2], row[4], row[6]): row[7:] for row in running_rows.values() if row[5] == IND
    }
    assert by_month == {
        (campaign.id, point.id, "qr", "2025-07"): (1, 100.0, 10000.0, 1),
        (campaign.id, None, "qr", "2025-06"): (1, 75.0, 5625.0, 1),
        (campaign.id, None, "link", "2025-07"): (1, 25.0, 625.0, 0),
        (lisbon.id, None, "qr", "2025-06"): (1, 75.0, 5625.0, 1),
    }
    # As after a bulk load: no summary rows, no response marked as summed.
    db.session.execute(delete(MonthlySummary))
    db.session.execute(update(Response).values(summarised=False))
    db.session.commit()
    assert disagreements(db.session)
    if is_postgres:
        before = db.session.execute(text("SHOW work_mem")).scalar_one()
    assert rebuild(db.session) == len(running_rows)
    if is_postgres:  # the planner settings of the INSERT ... SELECT are put back after it
        assert db.session.execute(text("SHOW enable_sort")).scalar_one() == "on"
        assert db.session.execute(text("SHOW work_mem")).scalar_one() == before
    db.session.commit()
    assert _stored() == running_rows
    summarised = dict(db.session.execute(select(Response.id, Response.summarised)).all())
    assert summarised[held.id] is False and summarised[bad.id] is False
    assert sum(summarised.values()) == 4
    # Rebuilding one campaign leaves the other's rows alone.
    assert rebuild(db.session, [lisbon.id]) == 1
    db.session.commit()
    assert _stored() == running_rows


def test_a_card_stored_as_counting_is_added_without_being_flipped_or_read_back(rapp, client):
    """A QR card is inserted ``summarised`` with its scores noted: no UPDATE, no SELECT back."""
    _campaign, point = point_campaign()
    post_card(client, f"/p/{point.code}", overall="satisfied")  # the instrument version stored
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()).upper())

    from sqlalchemy import event

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        post_card(client, f"/p/{point.code}", overall="very_satisfied")
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert not [s for s in seen if s.startswith("UPDATE RESPONSE ")]
    assert not [s for s in seen if "FROM RESPONSE JOIN RESPONSE_SCORE" in s]
    assert all(r.summarised for r in db.session.execute(select(Response)).scalars())
    # satisfied 75 and very satisfied 100
    assert tuple(map(sum, zip(*_sums().values(), strict=True))) == (2, 175.0, 15625.0, 2)


def test_a_response_stored_as_counting_but_flagged_is_taken_away_at_once(app):
    """Inserted ``summarised`` yet flagged (say a burst's card): added, then taken away."""
    campaign = gen_campaign([gen_unit()], **YEARS)
    gen_response(campaign, answers={"overall": "satisfied"}, submitted_at=dt.datetime(2026, 5, 4))
    odd = gen_response(
        campaign, answers={"overall": "very_satisfied"}, submitted_at=dt.datetime(2026, 5, 5)
    )
    odd.summarised, odd.flagged = True, True
    db.session.commit()
    assert _sums() == {"2026-05": (1, 75.0, 5625.0, 1)}
    db.session.refresh(odd)
    assert odd.summarised is False


def test_a_response_stored_as_counting_without_noted_scores_has_them_read(app):
    """Code other than the card's that inserts ``summarised``: its scores are selected."""
    campaign = gen_campaign([gen_unit()], **YEARS)
    card = gen_response(
        campaign, answers={"overall": "dissatisfied"}, submitted_at=dt.datetime(2026, 7, 1)
    )
    card.summarised = True
    db.session.commit()
    assert _sums() == {"2026-07": (1, 25.0, 625.0, 0)}


def test_a_new_card_and_a_new_time_zone_in_one_transaction(app):
    """The born card's increment is applied, then its campaign rebuilt in its new months."""
    campaign = gen_campaign([gen_unit()], **YEARS)
    gen_response(
        campaign, answers={"overall": "satisfied"}, submitted_at=dt.datetime(2026, 5, 31, 20)
    )
    db.session.commit()
    born = gen_response(
        campaign, answers={"overall": "very_satisfied"}, submitted_at=dt.datetime(2026, 5, 31, 21)
    )
    born.summarised = True
    campaign.timezone = "Europe/Lisbon"
    db.session.commit()
    assert _sums() == {"2026-05": (2, 175.0, 15625.0, 2)}
