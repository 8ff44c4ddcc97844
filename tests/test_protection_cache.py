"""Disclosure control kept between requests: looked up by fingerprint, never served stale.

The protection of a (unit, group, indicator) table is worked out once and kept
by the app (survey.results.protection); each request reads every table's
fingerprint from the monthly summaries and uses a kept protection only while
its fingerprint is the table's now. These tests check that the fingerprint the
database computes is the one Python computes from the same counts, that a
change of the counts (even one that keeps n) changes it, and that a new card or
a flag shows or withholds a figure on the very next request.
"""

from __future__ import annotations

import datetime as dt

import pytest
from factories import gen_campaign, gen_response, gen_service_point, gen_unit

from survey.extensions import db
from survey.results import satisfaction
from survey.results.summaries import stratum_summaries, summaries_and_fingerprints
from survey.results.table_counts import (
    fingerprint,
    summary_counts,
    table_fingerprints,
)
from survey.stats.disclosure import Atom

IND = "satisfaction.overall"


def at(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, 2, 0)


@pytest.fixture
def campaign(app):
    a, b = gen_unit("A", "单位甲"), gen_unit("B", "单位乙")
    campaign = gen_campaign(
        [a, b],
        groups={"service_user": {"weight": 3, "population": 1000},
                "public": {"weight": 1, "population": 40}},
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    point = gen_service_point(a, "A-1")
    db.session.flush()
    for i in range(12):
        r = gen_response(campaign, unit=a, answers={"overall": "satisfied"},
                         channel="qr" if i % 3 else "kiosk", submitted_at=at(2024, 1 + i % 4, 3))
        if i % 2:
            r.service_point_id = point.id
    for i in range(7):
        gen_response(campaign, unit=b, group="public", channel="link",
                     answers={"overall": "dissatisfied"}, submitted_at=at(2025, 6 + i % 2, 9))
    db.session.commit()
    return campaign


def test_the_database_and_python_compute_the_same_fingerprints(campaign):
    prints = table_fingerprints(campaign, indicators=[IND])
    counts = {key: table.atoms()
              for key, table in summary_counts(campaign, indicators=[IND]).items()}
    assert set(prints) == set(counts) == {
        (campaign.units[0].id, "service_user", IND), (campaign.units[1].id, "public", IND)}
    for key, table in counts.items():
        assert prints[key] == fingerprint(table)
    # and the stored hashes of the rows read, added up as the GROUP BY adds them
    read = summary_counts(campaign, indicators=[IND])
    assert {key: table.fingerprint for key, table in read.items()} == prints
    a = campaign.units[0].id
    assert prints[(a, "service_user", IND)][:2] == (
        len(counts[(a, "service_user", IND)]), 12)  # atoms, respondents


@pytest.mark.parametrize("by", [("unit",), ("unit", "month"), ("unit", "channel", "service_point")])
def test_a_read_of_whole_tables_gives_their_fingerprints_on_the_way(campaign, by):
    _, prints = summaries_and_fingerprints(campaign, indicator=IND, by=by, with_fingerprints=True)
    assert prints == table_fingerprints(campaign, indicators=[IND])
    a = campaign.units[0].id
    _, prints = summaries_and_fingerprints(campaign, indicator=IND, by=by, units=[a],
                                           with_fingerprints=True)
    assert prints == table_fingerprints(campaign, indicators=[IND], units=[a])


@pytest.mark.parametrize("period", ["2024", "2024-Q1", "2024-02", "2025-Q3", "2026"])
@pytest.mark.parametrize("by", [("unit",), ("unit", "group"), ("unit", "quarter"),
                                ("unit", "channel", "service_point")])
def test_a_period_of_whole_months_gives_its_sums_and_whole_tables_fingerprints(campaign, by,
                                                                              period):
    # One scan for a year's page: the period's sums exactly as a read of the period alone
    # gives them, and every whole table's fingerprint exactly as a read of the tables does.
    late = gen_response(campaign, unit=campaign.units[1], group="public", channel="link",
                        answers={"overall": "satisfied"}, submitted_at=at(2024, 2, 20))
    db.session.commit()
    late.flagged = True  # its summary row stays, with n = 0: still no atom
    db.session.commit()
    for units in (None, [campaign.units[0].id]):
        summaries, prints = summaries_and_fingerprints(
            campaign, indicator=IND, by=by, period=period, units=units, with_fingerprints=True)
        assert summaries == stratum_summaries(campaign, indicator=IND, by=by, period=period,
                                              units=units)
        assert prints == table_fingerprints(campaign, indicators=[IND], units=units)


@pytest.mark.parametrize("cut", [{"period": (dt.date(2024, 1, 1), dt.date(2024, 2, 10))},
                                 {"channels": ["qr"]}, {"include_flagged": True},
                                 {"by": ("month",)}])
def test_a_read_of_part_of_a_table_gives_no_fingerprints(campaign, cut):
    asked = {"by": ("unit",), **cut}
    _, prints = summaries_and_fingerprints(campaign, indicator=IND, with_fingerprints=True,
                                           **asked)
    assert prints is None


def test_a_move_that_keeps_every_total_changes_the_fingerprint():
    # two months by two channels: +1 -1 / -1 +1 keeps every month's and channel's total
    before = {Atom("qr", None, "2025-01"): 3, Atom("link", None, "2025-01"): 3,
              Atom("qr", None, "2025-02"): 3, Atom("link", None, "2025-02"): 3}
    after = {Atom("qr", None, "2025-01"): 4, Atom("link", None, "2025-01"): 2,
             Atom("qr", None, "2025-02"): 2, Atom("link", None, "2025-02"): 4}
    assert fingerprint(before)[:2] == fingerprint(after)[:2]
    assert fingerprint(before) != fingerprint(after)
    moved = {Atom("qr", 7, "2025-01"): 3, Atom("link", None, "2025-01"): 3,
             Atom("qr", None, "2025-02"): 3, Atom("link", None, "2025-02"): 3}
    assert fingerprint(moved) != fingerprint(before)  # the same n at another service point
    assert fingerprint({**before, Atom("sms", None, "2025-03"): 0}) == fingerprint(before)


def _public_at_b(campaign):
    rows = satisfaction(campaign, by=("unit",), indicator=IND, k=8)
    b = next(r for r in rows if r.unit_id == campaign.units[1].id)
    return next(g for g in b.groups if g.group == "public")


def test_a_new_card_or_a_flag_changes_what_is_shown_on_the_next_request(campaign):
    public = _public_at_b(campaign)
    assert public.suppressed  # 7 respondents, k = 8
    late = gen_response(campaign, unit=campaign.units[1], group="public", channel="link",
                        answers={"overall": "satisfied"}, submitted_at=at(2025, 7, 20))
    db.session.commit()
    public = _public_at_b(campaign)
    assert not public.suppressed and public.n == 8
    late.flagged = True  # a burst held for review: out of every figure again
    db.session.commit()
    assert _public_at_b(campaign).suppressed
    late.flagged = False
    db.session.commit()
    assert _public_at_b(campaign).n == 8


def test_kept_protection_gives_what_a_fresh_one_gives(app, campaign):
    kept = satisfaction(campaign, by=("unit", "month"), indicator=IND, k=3)
    gen_response(campaign, unit=campaign.units[0], answers={"overall": "very_satisfied"},
                 channel="kiosk", submitted_at=at(2024, 2, 3))
    db.session.commit()
    kept = satisfaction(campaign, by=("unit", "month"), indicator=IND, k=3)
    app.extensions.pop("survey.protected_tables")
    fresh = satisfaction(campaign, by=("unit", "month"), indicator=IND, k=3)
    assert kept == fresh


def test_tables_with_the_same_counts_share_one_protection(app, campaign):
    a = campaign.units[0]
    for day in (4, 5):  # the same cards answer two questions: two tables, the same counts
        gen_response(campaign, unit=a, group="public", channel="link",
                     answers={"overall": "satisfied", "attitude": "dissatisfied"},
                     submitted_at=at(2025, 2, day))
    db.session.commit()
    app.extensions.pop("survey.protected_tables", None)
    both = ["satisfaction.overall", "satisfaction.attitude"]
    rows = satisfaction(campaign, by=("unit",), indicator=both, k=3)
    kept = app.extensions["survey.protected_tables"].tables
    prints = table_fingerprints(campaign, indicators=both)
    assert prints[(a.id, "public", IND)] == prints[(a.id, "public", "satisfaction.attitude")]
    assert len(kept) == len(set(prints.values())) < len(prints)
    public = {r.indicator: next(g for g in r.groups if g.group == "public")
              for r in rows if r.unit_id == a.id}
    assert public[IND].suppressed and public["satisfaction.attitude"].suppressed  # 2 < k = 3
