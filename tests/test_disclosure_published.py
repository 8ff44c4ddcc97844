"""Everything the API and the exports publish, read back and attacked by linear algebra.

A campaign with several tiny groups across quarters and months, two units,
points and channels. The test reads every figure the indicator API and the
CSV export publish, for every period (the campaign, each year, quarter and
month) and both breakdowns (by unit, by unit and group), with and without the
unit filter, and hands the counts to the exact attacker of
tests/stats/disclosure_attacker.py (rational Gaussian elimination, written
apart from survey.stats.disclosure). It must find neither a withheld cell nor
any pool of fewer than k respondents, for each indicator's counts. It also
checks what the attack needs to be sound: every published n is exactly the
count of the respondents it says it covers (a unit's figure covers the groups
shown beside it, no more), and a unit's index is the weighted mean of those
groups' published indexes.

The truth (who answered when, where) is the fixture's own table below, not
anything the code under test computed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import pytest
from factories import gen_campaign, gen_response, gen_service_point, gen_unit, gen_user, login

from survey.access.accounts import issue_api_token
from survey.extensions import db
from tests.stats.disclosure_attacker import Attacker, in_period

K = 5
CARD = "post-service-card"
INDICATORS = ("satisfaction.overall", "satisfaction.attitude")
WEIGHTS = {"service_user": 4, "public": 2, "deputy": 1, "expert": 1}
# (unit, group, channel, point) -> respondents per month
TABLE: dict[tuple[str, str, str, str | None], dict[str, int]] = {
    ("A", "service_user", "qr", "A-1"): {"2025-01": 6, "2025-02": 7, "2025-04": 1, "2025-05": 8,
                                        "2025-07": 9, "2025-10": 2, "2026-01": 7, "2026-04": 6},
    ("A", "service_user", "phone", None): {"2025-02": 1, "2025-08": 2, "2026-05": 1},
    ("A", "deputy", "link", None): {"2025-05": 1, "2025-06": 2, "2025-11": 3, "2026-02": 1},
    ("A", "expert", "link", None): {"2026-05": 1},
    ("A", "public", "link", None): {"2025-03": 3, "2025-08": 4, "2026-01": 2},
    ("B", "service_user", "qr", "B-1"): {"2025-04": 6, "2025-05": 2, "2025-12": 5, "2026-03": 4},
    ("B", "deputy", "sms", None): {"2025-05": 5},
    ("B", "public", "link", None): {"2025-09": 1},
}
MONTHS = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13) if (y, m) <= (2026, 6)]
PERIODS = ["all", "2025", "2026", *(f"{y}-Q{q}" for y in (2025, 2026) for q in range(1, 5)
                                    if (y, q) <= (2026, 2)), *MONTHS]
LEVELS = ["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied",
          "very_dissatisfied"]

AtomKey = tuple[str, str, str, str | None, str]  # unit, group, channel, point, month


@dataclass
class Published:
    """One published figure: what it says it covers, its n (None: withheld) and index."""

    source: str
    indicator: str
    unit: str
    group: str | None
    period: str
    n: int | None
    index: float | None
    # by=unit,channel or by=unit,point (the whole campaign): ("channel", "qr"), ("point", None)
    part: tuple[str, str | None] | None = None


@pytest.fixture
def world(app):  # type: ignore[no-untyped-def]
    rng = random.Random(10)
    units = {code: gen_unit(code) for code in ("A", "B")}
    campaign = gen_campaign(
        list(units.values()),
        groups={g: {"weight": w, "instrument_id": CARD} for g, w in WEIGHTS.items()},
        period_start=dt.date(2025, 1, 1), period_end=dt.date(2026, 6, 30))
    campaign.code = "tiny"
    points = {"A-1": gen_service_point(units["A"], "A-1"),
              "B-1": gen_service_point(units["B"], "B-1")}
    db.session.flush()
    counts: dict[str, dict[AtomKey, int]] = {i: {} for i in INDICATORS}
    for (unit, group, channel, point), months in TABLE.items():
        for month, n in months.items():
            for _ in range(n):
                answers = {"overall": rng.choice(LEVELS)}
                if rng.random() < 0.6:  # an optional question: its own, smaller counts
                    answers["attitude"] = rng.choice(LEVELS)
                response = gen_response(
                    campaign, unit=units[unit], group=group, channel=channel, answers=answers,
                    submitted_at=dt.datetime(int(month[:4]), int(month[5:]), 10, 2))
                if point is not None:
                    response.service_point_id = points[point].id
                key = (unit, group, channel, point, month)
                for indicator, question in zip(INDICATORS, ("overall", "attitude"),
                                               strict=True):
                    if question in answers:
                        counts[indicator][key] = counts[indicator].get(key, 0) + 1
    db.session.commit()
    return campaign, counts


def _api(client, headers) -> Iterator[Published]:  # type: ignore[no-untyped-def]
    for period in PERIODS:
        breakdowns = ["unit", "unit,group"]
        if period == "all":  # channels and points: the whole campaign only
            breakdowns += ["unit,channel", "unit,point"]
        for by in breakdowns:
            for unit in (None, "A", "B"):
                query = f"period={period if period != 'all' else ''}&by={by}"
                if unit:
                    query += f"&unit={unit}"
                response = client.get(f"/api/v1/campaigns/tiny/indicators?{query}",
                                      headers=headers)
                assert response.status_code == 200, response.get_json()
                for row in response.get_json()["results"]:
                    index = row["index"]
                    assert (row["n"] is None) == index["suppressed"] == (index["n"] is None)
                    part = (("channel", row["channel"]) if by == "unit,channel" else
                            ("point", row["service_point_code"]) if by == "unit,point" else None)
                    yield Published("api", row["indicator"], row["unit_code"], row["group"],
                                    period, row["n"], index["estimate"], part)


def _csv(client, campaign_id: int) -> Iterator[Published]:  # type: ignore[no-untyped-def]
    for period in PERIODS:
        for by in ("unit", "unit,group"):
            query = f"by={by}" + (f"&period={period}" if period != "all" else "")
            body = client.get(f"/evaluate/campaign/{campaign_id}/export.csv?{query}").data
            for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig"))):
                assert (row["n"] == "") == (row["suppressed"] == "true")
                yield Published("csv", INDICATORS[0], row["unit_code"], row.get("group") or None,
                                period, int(row["n"]) if row["n"] else None,
                                float(row["index_estimate"]) if row["index_estimate"] else None)


def _everything(app, client, campaign) -> list[Published]:  # type: ignore[no-untyped-def]
    _row, token = issue_api_token("attacker")
    db.session.commit()
    found = list(_api(client, {"Authorization": f"Bearer {token}"}))
    login(client, gen_user("evaluator"))
    found += list(_csv(client, campaign.id))
    return found


def _covers(figure: Published, shown: dict[tuple[str, str, str], set[str]]
            ) -> set[tuple[str, str]]:
    """(unit, group) tables a figure covers: its group, or a unit's shown groups."""
    if figure.group is not None:
        return {(figure.unit, figure.group)}
    return {(figure.unit, g) for g in shown.get((figure.indicator, figure.unit, figure.period),
                                                 set())}


def _vector(atoms: list[AtomKey], tables: set[tuple[str, str]], period: str) -> list[int]:
    return [int((a[0], a[1]) in tables and in_period(a[4], period)) for a in atoms]


def test_nothing_published_gives_away_a_withheld_cell_or_a_pool_below_k(app, client, world):
    campaign, counts = world
    published = _everything(app, client, campaign)
    groups = [p for p in published if p.group is not None]
    # which groups a unit's figure is built from: those its by-group breakdown shows
    shown: dict[tuple[str, str, str], set[str]] = {}
    for p in groups:
        if p.n is not None:
            shown.setdefault((p.indicator, p.unit, p.period), set()).add(p.group or "")
    by_group_index = {(p.indicator, p.unit, p.group, p.period): (p.n, p.index) for p in groups}
    withheld_seen = parts_seen = 0
    for indicator in INDICATORS:
        truth = counts[indicator]
        atoms = sorted(truth, key=lambda a: (a[0], a[1], a[2], a[3] or "", a[4]))
        respondents = [truth[a] for a in atoms]
        attacker = _attacker(atoms)
        secrets = []
        for p in (p for p in published if p.indicator == indicator):
            if p.part is not None:
                if p.n is None:
                    secrets.append((p, _part_vector(atoms, p, set(WEIGHTS))))
                    continue
                vector = _part_equation(atoms, respondents, p)
                if vector is not None:
                    parts_seen += 1
                    attacker._add([*map(Fraction, vector), Fraction(p.n)])
                continue
            vector = _vector(atoms, _covers(p, shown), p.period)
            if p.n is None:
                secrets.append((p, _vector(atoms, {(p.unit, p.group)} if p.group else
                                           {(p.unit, g) for g in WEIGHTS}, p.period)))
                continue
            # sound: the n printed is the count of what the figure says it covers
            assert p.n == sum(n for n, x in zip(respondents, vector, strict=True) if x), p
            attacker._add([*map(Fraction, vector), Fraction(p.n)])
            if p.group is None and p.index is not None:
                _assert_built_from_shown_groups(p, shown, by_group_index)
        for p, vector in secrets:
            if sum(n for n, x in zip(respondents, vector, strict=True) if x) == 0:
                continue
            withheld_seen += 1
            assert attacker.recover(vector) is None, f"{p} can be worked out"
        assert attacker.lightest_pool(respondents, K) is None
    assert withheld_seen > 20  # the fixture does put the attacker to work
    assert parts_seen > 4  # and channels and points are among what it reads


def _part_vector(atoms: list[AtomKey], p: Published, groups: set[str]) -> list[int]:
    """The atoms of a unit's channel or point figure over ``groups`` (the whole campaign)."""
    assert p.part is not None
    kind, value = p.part
    return [int(a[0] == p.unit and a[1] in groups and a[2 if kind == "channel" else 3] == value)
            for a in atoms]


def _part_equation(atoms: list[AtomKey], respondents: list[int], p: Published
                   ) -> list[int] | None:
    """The atoms a shown channel or point figure covers: the groups whose count is its n.

    The API does not say which groups a unit's channel figure is built from (the shown ones,
    as a unit's figure); the attacker takes the one set of groups whose respondents there
    number n, and passes over a figure that several sets would fit. Sound: some set fits.
    """
    from itertools import combinations

    fits = []
    for size in range(1, len(WEIGHTS) + 1):
        for groups in combinations(WEIGHTS, size):
            vector = _part_vector(atoms, p, set(groups))
            if any(vector) and sum(n for n, x in zip(respondents, vector, strict=True)
                                   if x) == p.n:
                fits.append(vector)
    assert fits, p
    distinct = {tuple(v) for v in fits}
    return fits[0] if len(distinct) == 1 else None


def _attacker(atoms: list[AtomKey]) -> Attacker:
    """The exact attacker over these atoms, with one measure (n) and nothing published yet."""
    attacker = Attacker.__new__(Attacker)
    attacker.atoms, attacker.width, attacker.measures, attacker.pivots = (
        list(atoms), len(atoms), 1, [])
    return attacker


def _assert_built_from_shown_groups(p: Published, shown, by_group_index) -> None:  # type: ignore[no-untyped-def]
    parts = {g: by_group_index[(p.indicator, p.unit, g, p.period)]
             for g in shown.get((p.indicator, p.unit, p.period), set())}
    total = sum(WEIGHTS[g] for g in parts)
    expected = sum(WEIGHTS[g] / total * index for g, (_n, index) in parts.items())
    assert p.index == pytest.approx(expected, rel=1e-9), p


def test_the_attacks_of_the_issue_fail(app, client, world):
    campaign, counts = world
    published = [p for p in _everything(app, client, campaign) if p.source == "api"
                 and p.indicator == INDICATORS[0] and p.part is None]
    figure = {(p.unit, p.group, p.period): p.n for p in published}
    # A year against its quarters: for every withheld quarter of a group, the year or
    # another quarter is withheld too (their n is not published).
    for (unit, group, period), n in figure.items():
        if n is None and group is not None and "Q" in period:
            year = period[:4]
            others = [f"{year}-Q{q}" for q in range(1, 5) if f"{year}-Q{q}" != period]
            terms = [figure.get((unit, group, year))] + [
                figure.get((unit, group, q), 0) for q in others]
            assert None in terms, (unit, group, period)
    # by=unit against by=unit,group: a unit's n is the sum of its shown groups' n, so
    # the difference is 0 and says nothing of the withheld ones.
    for (unit, group, period), n in figure.items():
        if group is None and n is not None:
            parts = [m for (u, g, q), m in figure.items()
                     if u == unit and g is not None and q == period and m is not None]
            assert n == sum(parts)
    # The attacker has teeth: had each unit's n counted every group, withheld ones too, as
    # before, subtraction would give withheld cells away (the two deputies of A, 2025-06).
    truth = counts[INDICATORS[0]]
    atoms = sorted(truth, key=lambda a: (a[0], a[1], a[2], a[3] or "", a[4]))
    respondents = [truth[a] for a in atoms]
    attacker = _attacker(atoms)
    for (unit, group, period), n in figure.items():
        if n is not None and group is not None:
            attacker._add([*map(Fraction, _vector(atoms, {(unit, group)}, period)),
                           Fraction(n)])
    for unit in ("A", "B"):
        for period in PERIODS:
            vector = _vector(atoms, {(unit, g) for g in WEIGHTS}, period)
            whole = sum(n for n, x in zip(respondents, vector, strict=True) if x)
            attacker._add([*map(Fraction, vector), Fraction(whole)])
    recovered = {(unit, group, period) for (unit, group, period), n in figure.items()
                 if n is None and group is not None
                 and attacker.recover(_vector(atoms, {(unit, group)}, period)) is not None}
    assert ("A", "deputy", "2025-06") in recovered


def _fieldwork_counts(page: str) -> Iterator[tuple[set[tuple[str, str]], str | None, int]]:
    """The administrator's fieldwork counts as (unit, group) tables, channel, n."""
    import re

    def cells(row: str) -> list[str]:
        return [re.sub(r"<[^>]+>", "", c).strip()
                for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]

    units = re.search(r'<table id="units">(.*?)</table>', page, re.S).group(1)
    for unit, group, row in re.findall(r'<tr data-unit="(\w+)" data-group="(\w+)">(.*?)</tr>',
                                       units, re.S):
        yield {(unit, group)}, None, int(cells(row)[2])
    channels = re.search(r'<table id="channels">(.*?)</table>', page, re.S).group(1)
    for group, row in re.findall(r'<tr data-group="(\w+)">(.*?)</tr>', channels, re.S):
        for channel, n in re.findall(r'data-channel="(\w+)">([\d,]+)<', row):
            yield {(u, group) for u in ("A", "B")}, channel, int(n.replace(",", ""))


def test_fieldwork_counts_stay_with_the_administrator_for_they_give_cells_away(
        app, client, world):
    """The fieldwork's exact counts (per unit and group, per group and channel), the anomalies
    and the campaigns' response totals are not on any evaluator or API surface; beside what the
    API and the exports publish they would give withheld cells away, as the attacker shows."""
    campaign, counts = world
    published = [p for p in _everything(app, client, campaign)  # the evaluator signs in
                 if p.indicator == INDICATORS[0] and p.part is None]
    for address in ("/evaluate/fieldwork", f"/evaluate/fieldwork?campaign={campaign.id}",
                    f"/evaluate/campaign/{campaign.id}/anomalies"):
        assert client.get(address).status_code == 403, address
    for address in ("/evaluate/?lang=en", f"/evaluate/campaign/{campaign.id}?lang=en",
                    f"/evaluate/campaign/{campaign.id}/bursts?lang=en"):
        page = client.get(address).text
        assert "/evaluate/fieldwork" not in page and "/anomalies" not in page, address
    assert ">Responses<" not in client.get("/evaluate/?lang=en").text
    assert client.get("/api/v1/campaigns/tiny/fieldwork").status_code == 404

    # What the administrator sees, added to what the evaluator and the API reader have.
    admin = app.test_client()
    login(admin, gen_user("admin"))
    page = admin.get(f"/evaluate/fieldwork?campaign={campaign.id}&lang=en").text
    truth = counts[INDICATORS[0]]  # every card answers it: its counts are the cards'
    atoms = sorted(truth, key=lambda a: (a[0], a[1], a[2], a[3] or "", a[4]))
    respondents = [truth[a] for a in atoms]
    shown: dict[tuple[str, str, str], set[str]] = {}
    for p in published:
        if p.group is not None and p.n is not None:
            shown.setdefault((p.indicator, p.unit, p.period), set()).add(p.group)
    attacker = _attacker(atoms)
    for p in published:
        if p.n is not None:
            attacker._add([*map(Fraction, _vector(atoms, _covers(p, shown), p.period)),
                           Fraction(p.n)])
    assert attacker.lightest_pool(respondents, K) is None  # the published alone: safe
    fieldwork = list(_fieldwork_counts(page))
    assert len(fieldwork) > 10
    for tables, channel, n in fieldwork:
        vector = [int((a[0], a[1]) in tables and (channel is None or a[2] == channel))
                  for a in atoms]
        assert n == sum(m for m, x in zip(respondents, vector, strict=True) if x)
        attacker._add([*map(Fraction, vector), Fraction(n)])
    withheld = [p for p in published if p.n is None and p.group is not None]
    recovered = [p for p in withheld
                 if attacker.recover(_vector(atoms, {(p.unit, p.group)}, p.period))]
    assert recovered and attacker.lightest_pool(respondents, K) is not None
