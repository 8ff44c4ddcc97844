"""The results service against figures worked out by hand.

The fixture is small enough to write every step of the arithmetic in the test:
per-group means and variances, the weights, the weighted mean and its variance
sum W_h^2 (1 - f_h) s_h^2 / n_h. Nothing expected here is taken from the code
under test. Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.

The post-service card scores its five levels 100/75/50/25/0 and counts a
respondent as satisfied from 50 (basically satisfied) up.

The formulas are checked at k=1, where disclosure control withholds nothing
(this fixture's groups are spread over months one respondent at a time); what
k=5 withholds, and that what is left cannot be unpicked, is checked here for
the simple cases and by an attacker in test_disclosure_published.py.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pytest
from factories import gen_campaign, gen_response, gen_service_point, gen_unit
from scipy import stats as sps
from sqlalchemy import event

from survey.extensions import db
from survey.instruments.store import current_instruments
from survey.models import Campaign, Unit
from survey.results import (
    ResultsError,
    satisfaction,
    stratum_summaries,
    year_on_year,
)

IND = "satisfaction.overall"
CARD = "post-service-card"
LEVELS = {
    "very_satisfied": 100.0,
    "satisfied": 75.0,
    "basically_satisfied": 50.0,
    "dissatisfied": 25.0,
    "very_dissatisfied": 0.0,
}


def at(y: int, m: int, d: int, hour: int = 2) -> dt.datetime:
    """A UTC submission time (02:00 UTC is 10:00 in Beijing, the same local day)."""
    return dt.datetime(y, m, d, hour)


# Unit A, service users (policy weight 3, N=1000): (answer, submitted UTC)
A_SU = [
    ("very_satisfied", at(2024, 2, 10)),
    ("satisfied", at(2024, 5, 20)),
    ("satisfied", at(2024, 6, 30, 20)),  # 04:00 on 1 July in Beijing: July, Q3
    ("basically_satisfied", at(2025, 3, 3)),
    ("very_satisfied", at(2025, 8, 8)),
    ("dissatisfied", at(2025, 11, 11)),
]
# Unit A, general public (weight 1, N=40), answering by personal link
A_PUB = [
    ("very_satisfied", at(2024, 1, 15)),
    ("satisfied", at(2024, 4, 4)),
    ("basically_satisfied", at(2024, 9, 9)),
    ("satisfied", at(2025, 2, 2)),
    ("very_dissatisfied", at(2025, 12, 12)),
]
# Unit A, retired cadres (weight 2, N=10): a single respondent, a lonely stratum
A_RET = [("satisfied", at(2025, 6, 6))]
# Unit B, service users: three respondents in all, below k=5
B_SU = [
    ("satisfied", at(2024, 3, 1)),
    ("satisfied", at(2024, 3, 2)),
    ("very_satisfied", at(2025, 3, 3)),
]


@dataclass
class World:
    campaign: Campaign
    a: Unit
    b: Unit


@pytest.fixture
def world(app) -> World:
    assert CARD in current_instruments()
    card = current_instruments()[CARD]
    assert [card.question("overall").score_of(v) for v in LEVELS] == list(LEVELS.values())
    assert card.satisfied_at == 50
    a, b = gen_unit("A", "单位甲"), gen_unit("B", "单位乙")
    campaign = gen_campaign(
        [a, b],
        groups={
            "service_user": {"weight": 3, "population": 1000},
            "public": {"weight": 1, "population": 40},
            "retiree": {"weight": 2, "population": 10, "instrument_id": CARD},
        },
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    point = gen_service_point(a, "A-1")
    db.session.flush()
    for i, (value, when) in enumerate(A_SU):
        r = gen_response(campaign, unit=a, group="service_user", answers={"overall": value},
                         submitted_at=when)
        if i < 3:
            r.service_point_id = point.id
    for value, when in A_PUB:
        gen_response(campaign, unit=a, group="public", channel="link",
                     answers={"overall": value}, submitted_at=when)
    for value, when in A_RET:
        gen_response(campaign, unit=a, group="retiree", channel="link",
                     answers={"overall": value}, submitted_at=when)
    for value, when in B_SU:
        gen_response(campaign, unit=b, group="service_user", answers={"overall": value},
                     submitted_at=when)
    # Never counted: a flagged burst card (unless asked), an unsubmitted one, another campaign's.
    flagged = gen_response(campaign, unit=a, group="service_user",
                           answers={"overall": "very_dissatisfied"}, submitted_at=at(2024, 2, 11))
    flagged.flagged = True
    draft = gen_response(campaign, unit=a, group="public", answers={"overall": "very_dissatisfied"},
                         submitted_at=at(2024, 2, 12))
    draft.submitted_at = None
    other = gen_campaign([a], groups={"service_user": {"weight": 1}},
                         period_start=dt.date(2024, 1, 1), period_end=dt.date(2026, 12, 31))
    gen_response(other, unit=a, group="service_user", answers={"overall": "very_dissatisfied"},
                 submitted_at=at(2024, 2, 13))
    db.session.commit()
    return World(campaign, a, b)


def scores(rows) -> list[float]:
    return [LEVELS[value] for value, _ in rows]


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def var(xs: list[float]) -> float:
    m = mean(xs)
    return sum((x - m) ** 2 for x in xs) / (len(xs) - 1)


def t(df: float) -> float:
    return float(sps.t.ppf(0.975, df))


def published_variance(design: float, est: float, groups: list[tuple[float, float, list]]) -> float:
    """survey.stats publishes the larger of the design variance and Kish's floor.

    The floor is R's svyvar of all scores about the estimate (respondent weights
    W_h/n_h, times n/(n-1)) times sum W_h^2 (1 - f_h)/n_h; ``groups`` holds
    (W_h, N_h, scores) per group.
    """
    n = sum(len(v) for _, _, v in groups)
    svyvar = sum(w / len(v) * (y - est) ** 2 for w, _, v in groups for y in v) * n / (n - 1)
    return max(design, svyvar * sum(w * w * (1 - len(v) / pop) / len(v) for w, pop, v in groups))


def collapsed_by_hand(members: list[tuple[float, float, list]], est: float) -> float:
    """Wolter's collapsed-stratum variance, R's for the joined stratum g with fpc N_g.

    Each respondent's z_i = (W_h / n_h)(y_i - est); v_g = (1 - n_g/N_g) n_g/(n_g - 1)
    sum (z_i - zbar)^2 over the joined groups; ``members`` holds (W_h, N_h, scores).
    """
    z = [w / len(v) * (y - est) for w, _, v in members for y in v]
    n_g, big_n = len(z), sum(pop for _, pop, _ in members)
    zbar = sum(z) / n_g
    return (1 - n_g / big_n) * n_g / (n_g - 1) * sum((x - zbar) ** 2 for x in z)


def logit_interval(index: float, se: float, df: float) -> tuple[float, float]:
    """The index's published interval: logit(u) +/- t se_u / (u (1 - u)), u = index/100."""
    u, se_u = index / 100, se / 100
    centre, half = math.log(u / (1 - u)), t(df) * se_u / (u * (1 - u))
    low, high = (100 / (1 + math.exp(-(centre + k * half))) for k in (-1, 1))
    return low, high


# ---------------------------------------------------------------------------


def test_summaries_by_unit_are_the_sums_of_submitted_own_unflagged_responses(world):
    rows = stratum_summaries(world.campaign, indicator=IND, by=("unit",))
    got = {(r.cell.unit_code, r.group): (r.n, r.total, r.sum_of_squares, r.satisfied)
           for r in rows}
    # service users in A: 100+75+75+50+100+25 = 425; squares 10000+5625+5625+2500+10000+625
    # = 34375; satisfied (>= 50): all but the 25 -> 5
    assert got[("A", "service_user")] == (6, 425.0, 34375.0, 5)
    # public in A: 100+75+50+75+0 = 300; squares 10000+5625+2500+5625+0 = 23750; 4 satisfied
    assert got[("A", "public")] == (5, 300.0, 23750.0, 4)
    assert got[("A", "retiree")] == (1, 75.0, 5625.0, 1)
    # B: 75+75+100 = 250; 5625+5625+10000 = 21250
    assert got[("B", "service_user")] == (3, 250.0, 21250.0, 3)
    assert len(got) == 4
    cell = next(r.cell for r in rows if r.cell.unit_code == "A")
    assert (cell.unit_id, cell.unit_name, cell.indicator) == (world.a.id, "单位甲", IND)


def test_flagged_responses_count_only_when_asked(world):
    rows = stratum_summaries(world.campaign, indicator=IND, by=("unit",), include_flagged=True)
    su_a = next(r for r in rows if r.cell.unit_code == "A" and r.group == "service_user")
    # the flagged card is very_dissatisfied (0): n 6 -> 7, total unchanged, satisfied unchanged
    assert (su_a.n, su_a.total, su_a.satisfied) == (7, 425.0, 5)


def test_a_bad_review_excluded_in_the_follow_up_no_longer_counts(world):
    from survey.models import FollowUpCase, Response

    # B's service users: 75, 75, 100. Exclude one 75 (as if shown to be mistaken).
    response = db.session.execute(
        db.select(Response).where(Response.unit_id == world.b.id).order_by(Response.id)
    ).scalars().first()
    case = FollowUpCase(response_id=response.id, campaign_id=world.campaign.id,
                        unit_id=world.b.id, due_at=at(2025, 7, 1), status="excluded",
                        excluded_reason="the respondent meant another office")
    db.session.add(case)
    db.session.commit()
    rows = stratum_summaries(world.campaign, indicator=IND, by=("unit",))
    b = next(r for r in rows if r.cell.unit_code == "B")
    assert (b.n, b.total) == (2, 250.0 - 75.0)
    case.status = "open"  # an open case is still counted
    db.session.commit()
    rows = stratum_summaries(world.campaign, indicator=IND, by=("unit",))
    assert next(r for r in rows if r.cell.unit_code == "B").n == 3


def test_summaries_are_one_query(world, app):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    world.campaign.period_start  # noqa: B018 - load the row before counting
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        stratum_summaries(world.campaign, indicator=IND, by=("unit", "group", "quarter"),
                          period="2024", channels=["qr", "link"])
        assert len(statements) == 1
        assert "GROUP BY" in statements[0]
        statements.clear()
        satisfaction(world.campaign, by=("unit",), indicator=IND)
        # the campaign's group settings, the summaries with the fingerprints of the
        # tables disclosure control protects and, the first time, their counts per atom
        assert sum("GROUP BY" in s for s in statements) == 1
        assert len(statements) == 3
        statements.clear()
        satisfaction(world.campaign, by=("unit",), indicator=IND)
        # the tables' protection is kept: their counts are not read again
        assert len(statements) == 2
        statements.clear()
        satisfaction(world.campaign, by=("unit",), indicator=IND, period="2024")
        # a year is no whole table, but the same scan gives its sums and the whole
        # tables' fingerprints (the year's rows in the sums, every month's in the prints)
        assert sum("GROUP BY" in s for s in statements) == 1
        assert len(statements) == 2
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_periods_are_buckets_of_local_time(world):
    by_month = stratum_summaries(world.campaign, indicator=IND, by=("month",), units=world.a.id)
    months = {(r.cell.month, r.group): (r.n, r.total) for r in by_month}
    # 2024-06-30 20:00 UTC is 1 July in Beijing
    assert months[("2024-07", "service_user")] == (1, 75.0)
    assert ("2024-06", "service_user") not in months
    assert months[("2024-05", "service_user")] == (1, 75.0)

    by_quarter = stratum_summaries(world.campaign, indicator=IND, by=("quarter",),
                                   units=[world.a.id])
    quarters = {(r.cell.quarter, r.group): (r.n, r.total) for r in by_quarter}
    # Q3 2024: the 1-July service-user card (75); the public card of 9 September (50)
    assert quarters[("2024-Q3", "service_user")] == (1, 75.0)
    assert quarters[("2024-Q3", "public")] == (1, 50.0)
    # Q2 2024: service user 20 May (75); public 4 April (75)
    assert quarters[("2024-Q2", "service_user")] == (1, 75.0)

    by_year = stratum_summaries(world.campaign, indicator=IND, by=("year",), units=[world.a.id])
    years = {(r.cell.year, r.group): (r.n, r.total) for r in by_year}
    assert years[("2024", "service_user")] == (3, 100 + 75 + 75)
    assert years[("2025", "service_user")] == (3, 50 + 100 + 25)
    assert years[("2024", "public")] == (3, 100 + 75 + 50)
    assert years[("2025", "public")] == (2, 75 + 0)
    assert years[("2025", "retiree")] == (1, 75)


def test_period_filter_uses_local_days(world):
    june = stratum_summaries(world.campaign, indicator=IND, by=("unit",), period="2024-06")
    assert june == []
    july = stratum_summaries(world.campaign, indicator=IND, by=("unit",), period="2024-07")
    assert [(r.cell.unit_code, r.group, r.n) for r in july] == [("A", "service_user", 1)]
    q1 = stratum_summaries(world.campaign, indicator=IND, by=(), period="2025-Q1")
    # 2025-03-03 (A su 50), 2025-02-02 (A public 75), 2025-03-03 (B su 100)
    assert {r.group: (r.n, r.total) for r in q1} == {"service_user": (2, 150.0),
                                                      "public": (1, 75.0)}
    days = stratum_summaries(world.campaign, indicator=IND, by=(),
                             period=(dt.date(2024, 3, 1), dt.date(2024, 3, 1)))
    assert [(r.group, r.n) for r in days] == [("service_user", 1)]


def test_channel_and_service_point_breakdowns(world):
    link = stratum_summaries(world.campaign, indicator=IND, by=("unit",), channels="link")
    assert {r.group for r in link} == {"public", "retiree"}
    by_point = stratum_summaries(world.campaign, indicator=IND, by=("service_point",),
                                 units=[world.a.id])
    points = {(r.cell.service_point_code, r.group): (r.n, r.total) for r in by_point}
    assert points[("A-1", "service_user")] == (3, 100 + 75 + 75)
    assert points[(None, "service_user")] == (3, 50 + 100 + 25)
    by_channel = stratum_summaries(world.campaign, indicator=IND, by=("channel",))
    assert {(r.cell.channel, r.group): r.n for r in by_channel} == {
        ("qr", "service_user"): 9,
        ("link", "public"): 5,
        ("link", "retiree"): 1,
    }


def test_unit_index_with_policy_weights_by_hand(world):
    rows = satisfaction(world.campaign, by=("unit",), indicator=IND, k=1)
    row_a = next(r for r in rows if r.unit_code == "A")
    su, pub, ret = scores(A_SU), scores(A_PUB), scores(A_RET)
    # means: 425/6 = 70.833..., 300/5 = 60, 75; variances (n-1): 854.1666..., 1437.5
    m_su, m_pub, m_ret = mean(su), mean(pub), mean(ret)
    assert (m_su, m_pub) == pytest.approx((425 / 6, 60.0))
    v_su, v_pub = var(su), var(pub)
    assert (v_su, v_pub) == pytest.approx(((34375 - 425**2 / 6) / 5, (23750 - 300**2 / 5) / 4))
    # policy weights 3 : 1 : 2 renormalised -> 1/2, 1/6, 1/3
    w_su, w_pub, w_ret = 3 / 6, 1 / 6, 2 / 6
    est = w_su * m_su + w_pub * m_pub + w_ret * m_ret  # 35.4167 + 10 + 25 = 70.4167
    # The lonely retiree (n=1) is collapsed for the variance with its nearest group in
    # the campaign's group order (retiree, service_user, public): the service users.
    # Their joined stratum (n=7, N=1010) carries Wolter's collapsed variance; the public
    # keep W_h^2 (1 - f_h) s_h^2 / n_h.
    c_col = collapsed_by_hand([(w_su, 1000, su), (w_ret, 10, ret)], est)
    c_pub = w_pub**2 * (1 - 5 / 40) * v_pub / 5
    # The lonely retiree carries a third of the weight: Kish's floor is far above.
    groups = [(w_su, 1000, su), (w_pub, 40, pub), (w_ret, 10, ret)]
    se = math.sqrt(published_variance(c_col + c_pub, est, groups))
    assert se > 1.4 * math.sqrt(c_col + c_pub)
    dof = 12 - 2  # the design df n - H, H counting the variance strata after collapsing
    assert row_a.index.estimate == pytest.approx(est, rel=1e-12)
    assert row_a.index.se == pytest.approx(se, rel=1e-12)
    assert row_a.index.df == dof
    low, high = logit_interval(est, se, dof)
    assert row_a.index.low == pytest.approx(low, rel=1e-10)
    assert row_a.index.high == pytest.approx(high, rel=1e-10)
    assert row_a.n == 12 and not row_a.suppressed
    assert "lonely" in row_a.index.note and "retiree" in row_a.index.note
    assert row_a.index.collapsed == (("retiree", ("service_user",)),)
    assert row_a.index.kish_floor
    assert dict(row_a.weights) == pytest.approx({"service_user": 0.5, "public": 1 / 6,
                                                 "retiree": 1 / 3})
    assert "policy" in row_a.weighting and "public" in row_a.weighting

    # share satisfied: 5/6, 4/5, 1/1; variance p(1-p) n/(n-1) per stratum
    p_su, p_pub, p_ret = 5 / 6, 4 / 5, 1.0
    share = w_su * p_su + w_pub * p_pub + w_ret * p_ret
    s2_pub = p_pub * (1 - p_pub) * 5 / 4
    yes = [[1.0] * 5 + [0.0], [1.0] * 4 + [0.0], [1.0]]
    share_var = (collapsed_by_hand([(w_su, 1000, yes[0]), (w_ret, 10, yes[2])], share)
                 + w_pub**2 * (1 - 5 / 40) * s2_pub / 5)
    share_var = published_variance(
        share_var, share, [(w, pop, v) for (w, pop, _), v in zip(groups, yes, strict=True)]
    )
    assert row_a.share_satisfied.estimate == pytest.approx(share, rel=1e-12)
    assert row_a.share_satisfied.se == pytest.approx(math.sqrt(share_var), rel=1e-12)
    assert row_a.share_satisfied.low < share < row_a.share_satisfied.high <= 1

    groups = {g.group: g for g in row_a.groups}
    assert list(groups) == ["retiree", "service_user", "public"]  # display order of groups
    # service users alone: mean 70.83, se sqrt((1 - 6/1000) s^2 / 6), t with 5 df
    g = groups["service_user"]
    assert g.index.estimate == pytest.approx(m_su)
    assert g.index.se == pytest.approx(math.sqrt((1 - 6 / 1000) * v_su / 6))
    assert g.index.df == 5
    assert g.share_satisfied.estimate == pytest.approx(5 / 6)
    assert g.weight == pytest.approx(0.5) and g.policy_weight == 3 and g.population == 1000


def test_a_group_below_k_is_left_out_of_its_units_figure(world):
    # The lone retiree (n=1) is withheld; beside the unit's figure and the weights it would
    # be given away by subtraction if it still counted there, so the unit's figure is
    # built from the shown groups alone: service users and public, weights 3 : 1.
    row_a = next(r for r in satisfaction(world.campaign, by=("unit",), indicator=IND, k=5)
                 if r.unit_code == "A")
    groups = {g.group: g for g in row_a.groups}
    retiree = groups["retiree"]
    assert retiree.suppressed and retiree.index.estimate is None
    assert retiree.share_satisfied.low is None and "suppressed" in retiree.index.note
    assert retiree.n == 0 and retiree.index.n == 0  # no exact n of a withheld part
    assert not retiree.index.complementary  # fewer than k, not withheld beside one
    assert not groups["public"].suppressed and not groups["service_user"].suppressed
    assert row_a.index.estimate == pytest.approx(0.75 * mean(scores(A_SU))
                                                 + 0.25 * mean(scores(A_PUB)))
    assert row_a.n == 11 and dict(row_a.weights) == pytest.approx(
        {"service_user": 0.75, "public": 0.25})


def test_small_cell_is_suppressed_whole(world):
    rows = satisfaction(world.campaign, by=("unit",), indicator=IND, k=5)
    row_b = next(r for r in rows if r.unit_code == "B")
    assert row_b.suppressed and row_b.n == 0 and row_b.index.n == 0  # "fewer than k", no n
    assert not row_b.index.complementary
    assert row_b.index.estimate is None and row_b.index.se is None
    assert row_b.share_satisfied.estimate is None
    assert all(g.suppressed and g.index.estimate is None for g in row_b.groups)
    # with k=3 it is shown: three service users, mean 250/3
    shown = next(r for r in satisfaction(world.campaign, indicator=IND, k=3)
                 if r.unit_code == "B")
    assert not shown.suppressed
    assert shown.index.estimate == pytest.approx(250 / 3)


def test_default_k_comes_from_config(world, app):
    app.config["SURVEY_SMALL_CELL_K"] = 6
    rows = satisfaction(world.campaign, by=("unit",), indicator=IND)
    groups = {g.group: g for g in next(r for r in rows if r.unit_code == "A").groups}
    assert groups["public"].suppressed  # n=5 < 6
    assert not groups["service_user"].suppressed  # n=6


def test_population_weighting_by_hand(world):
    rows = satisfaction(world.campaign, by=("unit",), indicator=IND, weighting="population",
                        k=1)
    row_a = next(r for r in rows if r.unit_code == "A")
    # population shares 1000 : 40 : 10 of 1050
    w_su, w_pub, w_ret = 1000 / 1050, 40 / 1050, 10 / 1050
    su, pub = scores(A_SU), scores(A_PUB)
    est = w_su * mean(su) + w_pub * mean(pub) + w_ret * 75.0
    # the lonely retiree collapsed with the service users, as above
    variance = (collapsed_by_hand([(w_su, 1000, su), (w_ret, 10, [75.0])], est)
                + w_pub**2 * (1 - 5 / 40) * var(pub) / 5)
    variance = published_variance(
        variance, est, [(w_su, 1000, su), (w_pub, 40, pub), (w_ret, 10, [75.0])]
    )
    assert row_a.index.estimate == pytest.approx(est, rel=1e-12)
    assert row_a.index.se == pytest.approx(math.sqrt(variance), rel=1e-12)
    assert row_a.index.df == 12 - 2
    assert "population" in row_a.weighting
    assert dict(row_a.weights)["service_user"] == pytest.approx(1000 / 1050)


def test_by_group_combines_units(world):
    rows = satisfaction(world.campaign, by=("group",), indicator=IND, k=1)
    by_group = {r.group: r for r in rows}
    # service users of A and B together: 425 + 250 over 9 respondents
    su = scores(A_SU) + scores(B_SU)
    assert by_group["service_user"].n == 9
    assert by_group["service_user"].index.estimate == pytest.approx(675 / 9)
    assert by_group["service_user"].index.se == pytest.approx(
        math.sqrt((1 - 9 / 1000) * var(su) / 9)
    )
    assert by_group["service_user"].index.df == 8
    # At k=5 unit B's three service users are withheld, and left out of the combined
    # figure (with them in, it and unit A's would give B's away); the lone retiree too.
    by_group = {r.group: r for r in satisfaction(world.campaign, by=("group",), indicator=IND,
                                                 k=5)}
    assert by_group["service_user"].n == 6
    assert by_group["service_user"].index.estimate == pytest.approx(mean(scores(A_SU)))
    assert by_group["retiree"].suppressed and by_group["retiree"].n == 0


def test_policy_weights_drop_out_for_absent_groups(world):
    # In 2024 unit A has service users and public only: weights 3 : 1 -> 3/4, 1/4
    rows = satisfaction(world.campaign, by=("unit", "year"), indicator=IND, units=world.a.id,
                        k=1)
    y2024 = next(r for r in rows if r.year == "2024")
    est = 0.75 * mean([100, 75, 75]) + 0.25 * mean([100, 75, 50])  # 62.5 + 18.75
    assert y2024.index.estimate == pytest.approx(est)
    assert dict(y2024.weights) == pytest.approx({"service_user": 0.75, "public": 0.25})


def test_year_on_year_by_hand(world):
    yoy = year_on_year(world.campaign, world.a, IND, k=1)
    assert [y.year for y in yoy.years] == ["2024", "2025", "2026"]
    y24, y25, y26 = yoy.years
    # 2024: su 100, 75, 75 and public 100, 75, 50; weights 3/4, 1/4
    su24, pub24 = [100.0, 75.0, 75.0], [100.0, 75.0, 50.0]
    e24 = 0.75 * mean(su24) + 0.25 * mean(pub24)  # 81.25
    v24 = 0.75**2 * (1 - 3 / 1000) * var(su24) / 3 + 0.25**2 * (1 - 3 / 40) * var(pub24) / 3
    # 2025: su 50, 100, 25; public 75, 0; retiree 75 (lonely); weights 1/2, 1/6, 1/3
    su25, pub25 = [50.0, 100.0, 25.0], [75.0, 0.0]
    e25 = mean(su25) / 2 + mean(pub25) / 6 + 75.0 / 3  # 29.1667 + 6.25 + 25
    # the lonely retiree collapsed with the service users (nearest in the group order)
    v25 = (collapsed_by_hand([(0.5, 1000, su25), (1 / 3, 10, [75.0])], e25)
           + (1 / 36) * (1 - 2 / 40) * var(pub25) / 2)
    # Published: the larger of each year's design variance and Kish's floor.
    p24 = published_variance(v24, e24, [(0.75, 1000, su24), (0.25, 40, pub24)])
    p25 = published_variance(
        v25, e25, [(0.5, 1000, su25), (1 / 6, 40, pub25), (1 / 3, 10, [75.0])]
    )
    assert y24.index.estimate == pytest.approx(e24) and y25.index.estimate == pytest.approx(e25)
    assert y24.index.se == pytest.approx(math.sqrt(p24))
    assert y25.index.se == pytest.approx(math.sqrt(p25))
    change = yoy.changes[0]
    assert (change.previous, change.year) == ("2024", "2025")
    # The retirees answered in 2025 only: the change is worked out on the groups present
    # in both years (service users and public) with the same weights 3 : 1 for both, so
    # that a change of who answered is not read as a change of opinion.
    assert change.left_out == ("retiree",)
    s25 = 0.75 * mean(su25) + 0.25 * mean(pub25)  # 29.17 * 1.5 ... = 43.75 + 9.375
    v25s = 0.75**2 * (1 - 3 / 1000) * var(su25) / 3 + 0.25**2 * (1 - 2 / 40) * var(pub25) / 2
    q24 = p24  # 2024 had exactly these groups and weights
    q25 = published_variance(v25s, s25, [(0.75, 1000, su25), (0.25, 40, pub25)])
    diff = s25 - e24
    se = math.sqrt(q24 + q25)
    # Welch-Satterthwaite df from each year's own design df n - H: 6 - 2 and 5 - 2
    dof = (q24 + q25) ** 2 / (q24**2 / 4 + q25**2 / 3)
    assert change.index_change.estimate == pytest.approx(diff)
    assert change.index_change.se == pytest.approx(se)
    low, high = diff - t(dof) * se, diff + t(dof) * se
    assert change.index_change.low == pytest.approx(low)
    assert change.index_change.high == pytest.approx(high)
    assert "group mix changed" in change.index_change.note
    expected = "higher" if low > 0 else "lower" if high < 0 else "no_clear_change"
    assert change.index_verdict == expected
    assert change.index_verdict_text  # a label for display
    # 2026 has no responses: suppressed, and so is the change into it
    assert y26.n == 0 and y26.suppressed
    assert yoy.changes[1].index_verdict == "not_available"
    assert yoy.changes[1].index_change.estimate is None


@pytest.fixture
def falling(app) -> tuple[Campaign, Unit]:
    unit = gen_unit("F")
    campaign = gen_campaign([unit], groups={"service_user": {"weight": 1}},
                            period_start=dt.date(2024, 1, 1), period_end=dt.date(2025, 12, 31))
    for i, value in enumerate(["very_satisfied", "very_satisfied", "satisfied",
                               "very_satisfied", "satisfied", "very_satisfied"]):
        gen_response(campaign, unit=unit, answers={"overall": value},
                     submitted_at=at(2024, 3, 1 + i))
    for i, value in enumerate(["dissatisfied", "very_dissatisfied", "dissatisfied",
                               "basically_satisfied", "dissatisfied", "very_dissatisfied"]):
        gen_response(campaign, unit=unit, answers={"overall": value},
                     submitted_at=at(2025, 3, 1 + i))
    db.session.commit()
    return campaign, unit


def test_year_on_year_lower(falling):
    campaign, unit = falling
    yoy = year_on_year(campaign, unit.id, IND)
    a, b = [100.0, 100, 75, 100, 75, 100], [25.0, 0, 25, 50, 25, 0]
    diff = mean(b) - mean(a)  # 20.83 - 91.67 = -70.83
    se = math.sqrt(var(a) / 6 + var(b) / 6)
    dof = (var(a) / 6 + var(b) / 6) ** 2 / ((var(a) / 6) ** 2 / 5 + (var(b) / 6) ** 2 / 5)
    assert yoy.changes[0].index_change.estimate == pytest.approx(diff)
    assert yoy.changes[0].index_change.high == pytest.approx(diff + t(dof) * se)
    assert diff + t(dof) * se < 0
    assert yoy.changes[0].index_verdict == "lower"


# ---------------------------------------------------------------------------
# Errors


def test_unknown_by_key(world):
    with pytest.raises(ResultsError, match="district"):
        satisfaction(world.campaign, by=("unit", "district"), indicator=IND)
    with pytest.raises(ResultsError, match="district"):
        stratum_summaries(world.campaign, indicator=IND, by="district")


def test_unknown_indicator(world):
    with pytest.raises(ResultsError, match="satisfaction.overal'.*Known indicators"):
        satisfaction(world.campaign, indicator="satisfaction.overal")


@pytest.mark.parametrize("period", ["2023", "2027-Q1", "2023-12", (dt.date(2020, 1, 1),
                                                                   dt.date(2023, 12, 31))])
def test_period_outside_campaign(world, period):
    with pytest.raises(ResultsError, match="outside the campaign"):
        satisfaction(world.campaign, indicator=IND, period=period)


@pytest.mark.parametrize("period", ["2025-13", "last year", "2025-Q5"])
def test_period_not_understood(world, period):
    with pytest.raises(ResultsError, match="is not a period"):
        stratum_summaries(world.campaign, indicator=IND, period=period)


def test_negative_policy_weight(world):
    with pytest.raises(ResultsError, match="public.*-1.*zero or positive"):
        satisfaction(world.campaign, indicator=IND,
                     weights={"service_user": 1, "public": -1, "retiree": 1})


def test_zero_weight_for_every_present_group(world):
    # unit B has service users only; their weight 0 leaves nothing to combine there
    with pytest.raises(ResultsError, match="B.*policy weight 0"):
        satisfaction(world.campaign, indicator=IND,
                     weights={"service_user": 0, "public": 1, "retiree": 1})


def test_zero_weight_leaves_a_group_out(world):
    rows = satisfaction(world.campaign, indicator=IND, k=1,
                        weights={"service_user": 1, "public": 0, "retiree": 0})
    row_a = next(r for r in rows if r.unit_code == "A")
    assert row_a.index.estimate == pytest.approx(425 / 6)
    assert row_a.index.n == 6  # only the weighted group counts in the estimate
    assert row_a.n == 12  # but the cell has twelve respondents


def test_population_smaller_than_sample(world):
    world.campaign.groups[1].population = 3  # public: 5 respondents in unit A
    assert world.campaign.groups[1].group.code == "public"
    db.session.commit()
    with pytest.raises(ResultsError, match="public.*5 respondents.*population is only 3"):
        satisfaction(world.campaign, indicator=IND)


def test_population_weighting_needs_populations(world):
    world.campaign.groups[2].population = None
    assert world.campaign.groups[2].group.code == "retiree"
    db.session.commit()
    with pytest.raises(ResultsError, match="retiree has none"):
        satisfaction(world.campaign, indicator=IND, weighting="population")


def test_unknown_channel_weighting_and_unit(world):
    with pytest.raises(ResultsError, match="carrier pigeon"):
        stratum_summaries(world.campaign, indicator=IND, channels="carrier pigeon")
    with pytest.raises(ResultsError, match="Weighting"):
        satisfaction(world.campaign, indicator=IND, weighting="equal")
    other = gen_unit("Z")
    db.session.commit()
    with pytest.raises(ResultsError, match="not evaluated"):
        year_on_year(world.campaign, other, IND)


def test_errors_are_value_errors():
    assert issubclass(ResultsError, ValueError)


def test_period_partly_inside_is_clipped(world):
    # December 2023 to January 2024: only January is campaign time
    rows = stratum_summaries(world.campaign, indicator=IND, by=(),
                             period=(dt.date(2023, 12, 1), dt.date(2024, 1, 31)))
    assert [(r.group, r.n, r.total) for r in rows] == [("public", 1, 100.0)]


def test_messages_in_a_request_use_the_readers_language(app, world):
    with app.test_request_context("/?lang=en"):
        try:
            satisfaction(world.campaign, by="district", indicator=IND)
        except ResultsError as error:
            assert error.message() == str(error)
            assert "'district'" in error.message()
        else:
            pytest.fail("an unknown break-down key must be refused")
        row = satisfaction(world.campaign, indicator=IND)[0]
        assert row.weighting.startswith("policy weights renormalised")


def _monthly(app, sizes: dict[str, int]):  # type: ignore[no-untyped-def]
    unit = gen_unit("M")
    campaign = gen_campaign([unit], groups={"service_user": {}},
                            period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31))
    for month, n in sizes.items():
        year, number = map(int, month.split("-"))
        for _ in range(n):
            gen_response(campaign, unit=unit, answers={"overall": "satisfied"},
                         submitted_at=dt.datetime(year, number, 15, 4))
    db.session.commit()
    rows = satisfaction(campaign, by=("unit", "month"), indicator=IND, k=5)
    return {r.month: r for r in rows}


def test_a_small_month_is_withheld_with_the_cheapest_month_of_its_quarter(app):
    # February (2) is below k. The first quarter (12) minus January would give it, so one
    # of the two goes: January (10 respondents) costs less than the quarter, the year and
    # the campaign above February, which would all have to go without a partner month.
    rows = _monthly(app, {"2025-01": 10, "2025-02": 2, "2025-07": 30, "2025-08": 30})
    assert rows["2025-02"].suppressed and not rows["2025-02"].index.complementary
    assert rows["2025-01"].suppressed and rows["2025-01"].index.complementary
    assert rows["2025-01"].index.estimate is None and rows["2025-01"].n == 0
    assert not rows["2025-07"].suppressed and not rows["2025-08"].suppressed


def test_two_small_months_of_two_quarters_each_take_one_partner(app):
    # Feb (2) pairs with January inside the first quarter, April (6) is shown: January and
    # February together (12) are known from the quarter, which is no secret of anyone.
    rows = _monthly(app, {"2025-01": 10, "2025-02": 2, "2025-04": 6, "2025-05": 40})
    assert [m for m in sorted(rows) if rows[m].suppressed] == ["2025-01", "2025-02"]
    assert rows["2025-01"].index.complementary and not rows["2025-02"].index.complementary


def test_the_units_of_a_campaign_are_not_withheld_for_each_other(app):
    # No total of all units is shown, so a small unit takes no other with it.
    a, b = gen_unit("A"), gen_unit("B")
    campaign = gen_campaign([a, b], groups={"service_user": {}})
    for _ in range(6):
        gen_response(campaign, unit=a, answers={"overall": "satisfied"})
    gen_response(campaign, unit=b, answers={"overall": "satisfied"})
    db.session.commit()
    rows = {r.unit_code: r for r in satisfaction(campaign, by=("unit",), indicator=IND, k=5)}
    assert rows["B"].suppressed and not rows["A"].suppressed
