"""The evaluator's scorecard pages: cycles, a cycle's units, one unit's scorecard."""

from __future__ import annotations

import re
from pathlib import Path

from factories import gen_user, login
from scorecard_support import mini_cycle
from test_scoring import _fill


def _cells(html: str, table_id: str) -> list[list[str]]:
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)
        ]
        for r in rows
    ]


def test_cycle_page_lists_units_by_rank_with_totals_changes_and_grades(
    app, client, tmp_path: Path
) -> None:
    cycle, a, b = mini_cycle(app, tmp_path)
    _fill(cycle, a, b)
    login(client, gen_user("evaluator"))
    listing = client.get("/evaluate/cycles?lang=en")
    assert listing.status_code == 200 and "Mini 2024-2025" in listing.text
    page = client.get(f"/evaluate/cycle/{cycle.id}?year=2025&lang=en")
    assert page.status_code == 200
    rows = _cells(page.text, "units")[1:]
    assert [r[1] for r in rows] == ["乙单位 b", "甲单位 a"]
    # a: 7.9375 with the interval of the hand computation (test_scoring), change +1.50.
    assert rows[1][0] == "2"
    assert rows[1][2] == "7.94 (7.63–8.24)"
    assert rows[1][3].startswith("+1.50 (+1.08 – +1.92)")
    assert rows[1][4].startswith("Poor") and "Good 34%" in rows[1][4]
    assert rows[0][4] == "Good"
    assert '<svg class="chart" role="img"' in page.text
    assert client.get(f"/evaluate/cycle/{cycle.id}?year=2023").status_code == 400


def test_unit_scorecard_shows_each_item_with_its_figure_and_points(
    app, client, tmp_path: Path
) -> None:
    cycle, a, b = mini_cycle(app, tmp_path)
    _fill(cycle, a, b)
    login(client, gen_user("evaluator"))
    page = client.get(f"/evaluate/cycle/{cycle.id}/unit/{a.id}?year=2025&lang=en")
    assert page.status_code == 200
    work = {r[0].split()[-1]: r for r in _cells(page.text, "category-work")[1:]}
    assert work["work.done"][2] == "evaluators 3.5"
    assert work["work.done"][3] == "3.50" and work["work.done"][5] == "+0.50"
    assert work["work.rate"][2].startswith("90 (45 / 50)")
    people = {r[0].split()[-1]: r for r in _cells(page.text, "category-people")[1:]}
    assert people["people.self"][2] == "self 1 · evaluators 0.5"
    assert people["people.users"][2].startswith("62.5 (") and "n = 40" in people["people.users"][2]
    assert people["people.users"][3] == "0.94 (0.63–1.24)"
    plus = {r[0].split()[-1]: r for r in _cells(page.text, "category-plus")[1:]}
    assert plus["plus.prize"][3] == "1.5"
    assert "This year: 2 after the caps." in page.text
    # The rank's interval and the year chart.
    assert _cells(page.text, "summary")[2] == ["Rank", "2 (2–2)"]
    # Categories this year; over the cycle the total and each category; the one survey feed.
    assert page.text.count('<svg class="chart"') == 5


def test_only_evaluators_and_admins_see_the_scorecard(app, client, tmp_path: Path) -> None:
    cycle, a, _ = mini_cycle(app, tmp_path)
    login(client, gen_user("handler"))
    assert client.get("/evaluate/cycles").status_code == 403
    assert client.get(f"/evaluate/cycle/{cycle.id}/unit/{a.id}").status_code == 403
