"""Results pages against figures worked out by hand from a small fixture."""

from __future__ import annotations

import datetime as dt
import math
import re
import xml.etree.ElementTree as ET

import pytest
from factories import gen_campaign, gen_response, gen_unit, gen_user, login
from scipy import stats as sps

from survey.extensions import db
from survey.models import Answer, CallbackRequest, Contact

LEVELS = {
    100: "very_satisfied",
    75: "satisfied",
    50: "basically_satisfied",
    25: "dissatisfied",
    0: "very_dissatisfied",
}


@pytest.fixture
def world(app):
    a, b = gen_unit("A", "单位甲"), gen_unit("B", "单位乙")
    campaign = gen_campaign([a, b], groups={"service_user": {}, "public": {}})
    for group, scores in (
        ("service_user", [100, 75, 50, 75, 100]),
        ("public", [100, 50, 50, 75, 25]),
    ):
        for score in scores:
            gen_response(campaign, unit=a, group=group, answers={"overall": LEVELS[score]})
    for score in (100, 100, 75):  # B: three respondents, fewer than k = 5
        gen_response(campaign, unit=b, group="service_user", answers={"overall": LEVELS[score]})
    db.session.commit()
    return campaign, a, b


def _interval_by_hand() -> tuple[float, float, float]:
    # Group means 80 and 60, equal weights 1/2: index 70.
    # s^2: service users 1750/4 = 437.5; public 3250/4 = 812.5; n = 5 each, no fpc.
    v1, v2 = 0.25 * 437.5 / 5, 0.25 * 812.5 / 5
    variance = v1 + v2  # 62.5
    df = 10 - 2  # the design df n - H (R's degf)
    # survey.stats publishes the larger of that and Kish's floor: R's svyvar of the ten
    # scores about 70 (weights 1/10, squared deviations 2250 + 3750) is 600 * 10/9,
    # times sum W_h^2 / n_h = 0.1: 66.67.
    published = max(variance, 0.1 * 6000 * 10 / 9 * 0.1)
    return (70.0, *_logit_interval(70.0, math.sqrt(published), df))


def _logit_interval(index: float, se: float, df: float) -> tuple[float, float]:
    """The index's published interval: logit(u) +/- t se_u / (u (1 - u)), u = index/100."""
    u, se_u = index / 100, se / 100
    centre, half = math.log(u / (1 - u)), sps.t.ppf(0.975, df) * se_u / (u * (1 - u))
    low, high = (100 / (1 + math.exp(-(centre + k * half))) for k in (-1, 1))
    return low, high


def test_campaign_page_shows_the_hand_computed_index(client, world):
    campaign, a, _b = world
    login(client, gen_user("evaluator"))
    page = client.get(f"/evaluate/campaign/{campaign.id}?lang=en").get_data(as_text=True)
    value, low, high = _interval_by_hand()
    assert f"{value:.1f} ({low:.1f}–{high:.1f})" in page
    # share satisfied (score >= 50): service users 5/5, public 4/5 -> (1 + 0.8) / 2 = 90%
    assert "90.0% (" in page
    assert 'class="chart"' in page and "<rect" in page


def test_small_unit_is_suppressed_with_a_note_and_no_number(client, world):
    campaign, _a, b = world
    login(client, gen_user("evaluator"))
    page = client.get(f"/evaluate/campaign/{campaign.id}?lang=en").get_data(as_text=True)
    row = re.search(r'<tr data-unit="B">(.*?)</tr>', page, re.S).group(1)
    assert "fewer than 5 responses (small-cell rule)" in row
    assert '<td class="num">&lt;5</td>' in row and ">3<" not in row  # no exact n
    assert "91.7" not in row and "100.0" not in row  # B's mean is (100 + 100 + 75) / 3
    assert "fewer than 5 respondents are suppressed" in page


def _add_unit(campaign, code: str, answers: dict[str, int]) -> None:
    unit = gen_unit(code, f"单位{code}")
    campaign.units.append(unit)
    for value, count in answers.items():
        for _ in range(count):
            gen_response(campaign, unit=unit, group="service_user", answers={"overall": value})


def test_sorting_by_index_ranks_only_reliable_figures(client, world):
    campaign, *_ = world
    _add_unit(campaign, "C", {"satisfied": 5})  # index 75 on n=5: not reliable
    # D: 20 x 100 and 20 x 75, index 87.5; E: 10 x 100, 20 x 75, 6 x 50, 4 x 25, index 72.5.
    # 40 respondents each, one group: effective n about 39, reliable.
    _add_unit(campaign, "D", {"very_satisfied": 20, "satisfied": 20})
    _add_unit(campaign, "E", {"very_satisfied": 10, "satisfied": 20, "basically_satisfied": 6,
                              "dissatisfied": 4})
    db.session.commit()
    login(client, gen_user("evaluator"))
    url = f"/evaluate/campaign/{campaign.id}"
    page = client.get(url + "?lang=en").text
    row_a = re.search(r'<tr data-unit="A">(.*?)</tr>', page, re.S).group(1)
    assert 'class="unreliable"' in row_a and "†" in row_a
    row_d = re.search(r'<tr data-unit="D">(.*?)</tr>', page, re.S).group(1)
    assert "unreliable" not in row_d and "†" not in row_d
    notes = re.search(r'<ul class="figure-notes" id="results-notes">(.*?)</ul>', page, re.S)
    assert "单位甲" in notes.group(1) and "effective sample size below 30" in notes.group(1)
    # D's share is 100%: reliable, with NCHS's footnote on the exact interval at the boundary
    assert not re.search(r"单位D</strong>: [^<]*not reliable", notes.group(1))
    assert re.search(r"单位D</strong>: at the end of the scale", notes.group(1))
    assert "never ranked" in page
    # A (70 on n=10) and C (75 on n=5) do not meet the reliability standard: they are not
    # ranked, whatever their index, but follow the ranked units in code order; B (n=3) is
    # suppressed and comes last.
    assert _order(client.get(url + "?sort=index&order=desc").text) == ["D", "E", "A", "C", "B"]
    assert _order(client.get(url + "?sort=index&order=asc").text) == ["E", "D", "A", "C", "B"]


def test_unit_page_and_a_unit_outside_the_campaign(client, world):
    campaign, a, _b = world
    other = gen_unit("Z")
    db.session.commit()
    login(client, gen_user("evaluator"))
    page = client.get(f"/evaluate/campaign/{campaign.id}/unit/{a.id}?lang=en").text
    assert "80.0 (" in page and "60.0 (" in page  # the two groups' own means
    assert client.get(f"/evaluate/campaign/{campaign.id}/unit/{other.id}").status_code == 404
    assert client.get(f"/evaluate/campaign/{campaign.id}?period=1999").status_code == 400


def test_comments_carry_no_identity(client, world):
    campaign, a, _b = world
    response = gen_response(campaign, unit=a, group="public", answers={"overall": "dissatisfied"})
    response.answers.append(Answer(question_id="comment", value="窗口太少，排队很久"))
    db.session.flush()
    db.session.add(CallbackRequest(response_id=response.id, phone="+8613811112222"))
    db.session.add(Contact(name="李四", phone="+8613811112222"))
    db.session.commit()
    login(client, gen_user("evaluator"))
    page = client.get(f"/evaluate/campaign/{campaign.id}/unit/{a.id}/comments?lang=en").text
    assert "窗口太少，排队很久" in page
    assert "13811112222" not in page and "李四" not in page
    assert f"response {response.id}" not in page
    # dated by its month in the campaign's time zone (Beijing, UTC+8), not in UTC:
    # at 16:30 UTC on 30 June the comment is July's
    month = (response.submitted_at + dt.timedelta(hours=8)).strftime("%Y-%m")
    assert month in page
    filtered = client.get(
        f"/evaluate/campaign/{campaign.id}/unit/{a.id}/comments?group=service_user"
    ).text
    assert "窗口太少" not in filtered


# --- more pages, orders, periods and guards -------------------------------------------------


def _order(page: str) -> list[str]:
    return re.findall(r'<tr data-unit="(\w)">', page)


def test_sorting_by_n_share_and_unit(client, world):
    campaign, *_ = world
    _add_unit(campaign, "C", {"satisfied": 5})  # share 100% on n=5: not reliable
    _add_unit(campaign, "D", {"very_satisfied": 20, "satisfied": 20})  # 100% of 40
    _add_unit(campaign, "E", {"very_satisfied": 10, "satisfied": 20, "basically_satisfied": 6,
                              "dissatisfied": 4})  # 90% of 40
    db.session.commit()
    login(client, gen_user("evaluator"))
    url = f"/evaluate/campaign/{campaign.id}"
    # n: D 40, E 40, A 10, C 5, B below k (its n is not shown: it sorts as none)
    assert _order(client.get(url + "?sort=n&order=asc").text) == ["B", "C", "A", "D", "E"]
    assert _order(client.get(url + "?sort=n&order=desc").text) == ["D", "E", "A", "C", "B"]
    # share satisfied: D 100%, E 90% ranked; A (90% of 10) and C (100% of 5) not; B last
    assert _order(client.get(url + "?sort=share&order=desc").text) == ["D", "E", "A", "C", "B"]
    assert _order(client.get(url + "?sort=share&order=asc").text) == ["E", "D", "A", "C", "B"]
    assert _order(client.get(url + "?sort=unit&order=desc").text) == ["E", "D", "C", "B", "A"]
    assert _order(client.get(url).text) == ["A", "B", "C", "D", "E"]


def test_suppressed_unit_leaks_nothing_anywhere_on_the_page(client, world):
    campaign, _a, _b = world
    login(client, gen_user("evaluator"))
    page = client.get(f"/evaluate/campaign/{campaign.id}?lang=en").text
    # B: (100 + 100 + 75) / 3 = 91.67; share 3/3 = 100%
    assert "91.7" not in page and "91,7" not in page and "100.0% (" not in page
    svg = ET.fromstring(re.search(r"<svg.*?</svg>", page, re.S).group(0))
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert len(list(svg.iterfind("svg:rect", ns))) == 1  # A's bar only
    assert any(t.text == "suppressed" for t in svg.iterfind("svg:text", ns))


def test_campaign_page_shows_weighting_and_group_settings(client, app):
    a = gen_unit("A")
    campaign = gen_campaign(
        [a],
        groups={"service_user": {"weight": 0.25}, "public": {"weight": 0.75, "population": 12345}},
    )
    db.session.commit()
    login(client, gen_user("evaluator"))
    page = client.get(f"/evaluate/campaign/{campaign.id}?lang=en").text
    assert "0.25" in page and "0.75" in page and "12345" in page


def test_index_lists_campaigns_newest_first_with_response_counts(client, app):
    old = gen_campaign(
        [gen_unit()],
        groups={"service_user": {}},
        period_start=dt.date(2023, 1, 1),
        period_end=dt.date(2023, 12, 31),
    )
    new = gen_campaign(
        [gen_unit()],
        groups={"service_user": {}},
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
    )
    for _ in range(3):
        gen_response(old, answers={"overall": "satisfied"})
    for _ in range(7):
        gen_response(new, answers={"overall": "satisfied"})
    unsent = gen_response(new, answers={"overall": "satisfied"})
    unsent.submitted_at = None  # not submitted: not counted
    db.session.commit()
    login(client, gen_user("admin"))
    page = client.get("/evaluate/?lang=en").text
    rows = re.findall(
        r'campaign/(\d+)">.*?<td class="num">\d+</td><td class="num">(\d+)</td>', page, re.S
    )
    assert rows == [(str(new.id), "7"), (str(old.id), "3")]
    # An evaluator gets the campaigns without their exact totals (fieldwork counts are the
    # administrator's: a total less the published parts is the size of what is withheld).
    evaluator = app.test_client()
    login(evaluator, gen_user("evaluator"))
    page = evaluator.get("/evaluate/?lang=en").text
    assert f"campaign/{new.id}" in page and ">Responses<" not in page and ">7<" not in page


@pytest.fixture
def two_years(app):
    a = gen_unit("A", "单位甲")
    campaign = gen_campaign(
        [a],
        groups={"service_user": {}},
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2025, 12, 31),
    )
    for score in (50, 50, 75, 50, 50):  # 2024: mean 55
        gen_response(
            campaign,
            unit=a,
            answers={"overall": LEVELS[score]},
            submitted_at=dt.datetime(2024, 3, 10, 4, 0),
        )
    for score in (100, 100, 75, 100, 100):  # 2025-Q2: mean 95
        gen_response(
            campaign,
            unit=a,
            answers={"overall": LEVELS[score]},
            submitted_at=dt.datetime(2025, 5, 10, 4, 0),
        )
    db.session.commit()
    return campaign, a


def test_period_selector_narrows_the_figures(client, two_years):
    campaign, a = two_years
    login(client, gen_user("evaluator"))
    url = f"/evaluate/campaign/{campaign.id}"
    whole = client.get(url + "?lang=en").text
    assert '<option value="2024-Q1">' in whole and '<option value="2025-Q4">' in whole
    assert "75.0 (" in whole  # (5 * 55 + 5 * 95) / 10, one group
    assert "55.0 (" in client.get(url + "?period=2024").text
    assert "95.0 (" in client.get(url + "?period=2025-Q2").text
    assert "No responses yet" in client.get(url + "?period=2025-Q3&lang=en").text


def test_unit_page_trend_with_its_verdict_and_monthly_line(client, two_years):
    campaign, a = two_years
    login(client, gen_user("evaluator"))
    page = client.get(f"/evaluate/campaign/{campaign.id}/unit/{a.id}?lang=en").text
    changes = re.search(r'<ul id="changes">(.*?)</ul>', page, re.S).group(1)
    assert "2024 to 2025: index higher." in changes and "+40.0" in changes
    assert 'class="marked"' in changes
    assert "2024-03" in page and "2025-05" in page  # months of the line chart and table
    assert "<polyline" in page  # the yearly trend has two points, so a line
    assert f"/evaluate/campaign/{campaign.id}/unit/{a.id}/report" in page
    assert "<title>service_point</title>" not in page  # chart titles are words, not keys


def test_unit_page_with_a_suppressed_group_shows_no_number_for_it(client, app):
    a = gen_unit("A")
    campaign = gen_campaign([a], groups={"service_user": {}, "public": {}})
    for _ in range(5):
        gen_response(campaign, unit=a, group="service_user", answers={"overall": "satisfied"})
    for score in (0, 25):  # public: two respondents, mean 12.5
        gen_response(campaign, unit=a, group="public", answers={"overall": LEVELS[score]})
    db.session.commit()
    login(client, gen_user("evaluator"))
    page = client.get(f"/evaluate/campaign/{campaign.id}/unit/{a.id}?lang=en").text
    table = re.search(r'<table id="by-group">(.*?)</table>', page, re.S).group(1)
    # With the public in it, the unit's own figure (equal weights: 0.5 * 75 + 0.5 * 12.5 =
    # 43.75) and the service users' 75.0 would give the public's 12.5 by subtraction; so
    # the unit's figure is built from the groups shown: the service users alone.
    assert "fewer than 5 responses (small-cell rule)" in table and "&lt;5" in table
    assert "75.0 (" in table
    assert "43.8" not in page and "12.5" not in page
    assert "fewer than 5 respondents are suppressed" in page
    assert "built from the groups shown beside it" in page


def test_a_small_channel_cannot_be_worked_out_from_the_unit(client, app):
    # One group: 20 QR cards (all satisfied, 75) and 2 SMS answers (both 0). Unit 68.2 at
    # n = 22 beside QR 75.0 at n = 20 would give SMS = (22 * 68.18 - 20 * 75) / 2 = 0.
    a = gen_unit("A")
    campaign = gen_campaign([a], groups={"service_user": {}})
    for _ in range(20):
        gen_response(campaign, unit=a, answers={"overall": "satisfied"})
    for _ in range(2):
        gen_response(campaign, unit=a, channel="sms", answers={"overall": LEVELS[0]})
    db.session.commit()
    login(client, gen_user("evaluator"))
    page = client.get(f"/evaluate/campaign/{campaign.id}/unit/{a.id}?lang=en").text
    table = re.search(r'<table id="by-channel">(.*?)</table>', page, re.S).group(1)
    assert "fewer than 5 responses (small-cell rule)" in table
    assert "withheld so that a smaller suppressed figure cannot be worked out" in table
    assert "75.0" not in table and ">20<" not in table and ">2<" not in table


def test_unit_page_says_what_is_wrong_with_the_weights(client, app):
    a = gen_unit("A")
    campaign = gen_campaign([a], groups={"service_user": {"weight": 1.0}, "public": {}})
    for _ in range(5):
        gen_response(campaign, unit=a, answers={"overall": "satisfied"})
    db.session.commit()
    login(client, gen_user("evaluator"))
    response = client.get(f"/evaluate/campaign/{campaign.id}/unit/{a.id}?lang=en")
    assert response.status_code == 200
    assert "has no policy weight" in response.text


def _comment(campaign, unit, group, text, when, question="comment"):  # type: ignore[no-untyped-def]
    response = gen_response(campaign, unit=unit, group=group, submitted_at=when)
    response.answers.append(Answer(question_id=question, value=text))
    return response


def test_comments_newest_first_paginated_and_filtered_by_question(client, app):
    a = gen_unit("A")
    campaign = gen_campaign([a], groups={"service_user": {}, "staff": {}})
    start = dt.datetime(2025, 1, 1, 4, 0)
    for i in range(51):
        _comment(campaign, a, "service_user", f"意见{i:02d}号", start + dt.timedelta(days=i))
    for i in range(5):  # k = 5 staff: fewer and their comments would not be shown
        _comment(campaign, a, "staff", f"内部建议{i}", start, question="suggestions")
    draft = _comment(campaign, a, "service_user", "未提交的草稿", start)
    draft.submitted_at = None
    db.session.commit()
    login(client, gen_user("evaluator"))
    url = f"/evaluate/campaign/{campaign.id}/unit/{a.id}/comments"
    first = client.get(url + "?lang=en").text
    shown = re.findall(r"意见(\d\d)号", first)
    assert len(shown) == 50 and shown[0] == "50" and shown == sorted(shown, reverse=True)
    assert "56 comments" in first and "未提交的草稿" not in first
    second = client.get(url + "?page=2").text
    assert re.findall(r"意见(\d\d)号", second) == ["00"] and "内部建议" in second
    only = client.get(url + "?question=suggestions").text
    assert "内部建议" in only and "意见" not in only
    assert client.get(url + "?question=nope").status_code == 400


def test_guards(client, world):
    campaign, a, _b = world
    base = f"/evaluate/campaign/{campaign.id}"
    pages = ["/evaluate/", base, f"{base}/unit/{a.id}", f"{base}/unit/{a.id}/comments"]
    assert all(client.get(p).status_code == 302 for p in pages)  # to the login page
    login(client, gen_user("operator"))
    assert all(client.get(p).status_code == 403 for p in pages)


def test_admin_may_read_results(client, world):
    campaign, a, _b = world
    login(client, gen_user("admin"))
    base = f"/evaluate/campaign/{campaign.id}"
    pages = ["/evaluate/", base, f"{base}/unit/{a.id}", f"{base}/unit/{a.id}/comments"]
    assert [client.get(p).status_code for p in pages] == [200] * 4


def test_404s(client, world):
    campaign, a, _b = world
    outsider = gen_unit("Z")
    db.session.commit()
    base = f"/evaluate/campaign/{campaign.id}"
    login(client, gen_user("evaluator"))
    assert client.get(f"{base}/unit/{outsider.id}/comments").status_code == 404
    assert client.get("/evaluate/campaign/999999").status_code == 404
    assert client.get(f"/evaluate/campaign/999999/unit/{a.id}").status_code == 404
    assert client.get(f"/evaluate/campaign/999999/unit/{a.id}/comments").status_code == 404


def test_comments_of_an_excluded_bad_review_are_left_out(client, world):
    from survey.models import FollowUpCase

    campaign, a, _b = world
    response = gen_response(campaign, unit=a, group="public", answers={"overall": "dissatisfied"})
    response.answers.append(Answer(question_id="comment", value="恶意刷差评"))
    db.session.flush()
    db.session.add(
        FollowUpCase(
            response_id=response.id,
            campaign_id=campaign.id,
            unit_id=a.id,
            due_at=response.submitted_at,
            status="excluded",
            excluded_reason="同一设备连续提交",
        )
    )
    db.session.commit()
    login(client, gen_user("evaluator"))
    page = client.get(f"/evaluate/campaign/{campaign.id}/unit/{a.id}/comments").text
    assert "恶意刷差评" not in page


def test_an_index_interval_stays_within_the_scale_on_pages_and_in_the_csv(client, app):
    # Five service users: 100, 100, 100, 100, 75. Mean 95, s = sqrt(500/4) = 11.18,
    # se = 5, t(0.975, 4) = 2.7764: the t-interval would be 81.12 to 108.88. The
    # published interval is the logit one: logit(0.95) +/- 2.7764 * 0.05 / (0.95 * 0.05),
    # back-transformed: 50.5 to 99.7, inside the scale on every face.
    a = gen_unit("A")
    campaign = gen_campaign([a], groups={"service_user": {}})
    for score in (100, 100, 100, 100, 75):
        gen_response(campaign, unit=a, group="service_user", answers={"overall": LEVELS[score]})
    db.session.commit()
    login(client, gen_user("evaluator"))
    t_high = 95 + sps.t.ppf(0.975, 4) * 5
    low, high = _logit_interval(95, 5, 4)
    assert t_high > 100 and high < 100
    for url in (
        f"/evaluate/campaign/{campaign.id}",
        f"/evaluate/campaign/{campaign.id}/unit/{a.id}",
    ):
        page = client.get(url + "?lang=en").text
        assert f"95.0 ({low:.1f}–{high:.1f})" in page, url
        assert f"{t_high:.1f}" not in page
    csv = client.get(f"/evaluate/campaign/{campaign.id}/export.csv").data.decode("utf-8-sig")
    assert f"{high:.4f}"[:6] in csv and f"{t_high:.4f}"[:6] not in csv


def test_the_weighting_names_the_groups_in_the_readers_language(client, world):
    campaign, _a, _b = world
    login(client, gen_user("evaluator"))
    english = client.get(f"/evaluate/campaign/{campaign.id}?lang=en").text
    assert re.search(r"Service users [0-9.]+ \(", english)
    assert not re.search(r"service_user [0-9.]+ \(", english)
    chinese = client.get(f"/evaluate/campaign/{campaign.id}?lang=zh_Hans").text
    assert re.search(r"服务对象 [0-9.]+ \(", chinese)


def test_unit_page_names_a_collapsed_lonely_group_beside_the_figure(client, app):
    # Under disclosure control a unit's figure is built from the groups shown beside it, so
    # a group of one enters a published figure only where k allows single respondents.
    app.config["SURVEY_SMALL_CELL_K"] = 1
    unit = gen_unit("L", "单位丁")
    campaign = gen_campaign([unit], groups={"service_user": {}, "public": {}})
    for score in (100, 75, 75, 50, 100, 75):
        gen_response(campaign, unit=unit, group="service_user", answers={"overall": LEVELS[score]})
    gen_response(campaign, unit=unit, group="public", answers={"overall": LEVELS[25]})
    db.session.commit()
    login(client, gen_user("evaluator"))
    page = client.get(f"/evaluate/campaign/{campaign.id}/unit/{unit.id}?lang=en").text
    notes = re.search(r'<ul class="figure-notes" id="by-indicator-notes">(.*?)</ul>', page, re.S)
    assert notes, "the indicator table has its notes"
    text = notes.group(1)
    # R's default ("adjust") would take the lone member's variance from one deviation;
    # the published figure collapses it with the nearest group, and says so by name.
    assert ("General public has one respondent: its variance is estimated together with "
            "Service users (collapsed groups)") in text
    assert "Index not reliable: effective sample size below 30" in text
    page = client.get(f"/evaluate/campaign/{campaign.id}/unit/{unit.id}?lang=zh_Hant").text
    assert "社會公眾僅1人作答：其變異數與服務對象合併估計（合併層）" in page


def test_methods_page_in_three_languages(client, app):
    login(client, gen_user("evaluator"))
    en = client.get("/evaluate/methods?lang=en").text
    for phrase in ("very satisfied 100, satisfied 75, basically satisfied 50, dissatisfied 25",
                   "A 95% confidence interval is a range",
                   "fewer than 5 respondents is withheld",
                   "its weight in this figure",
                   "NCHS Data Presentation Standards for Proportions"):
        assert phrase in en.replace("&#34;", '"').replace("&#39;", "'"), phrase
    hans = client.get("/evaluate/methods?lang=zh_Hans").text
    assert "非常满意100、满意75、基本满意50、不满意25、非常不满意0" in hans
    assert "95%置信区间" in hans
    hant = client.get("/evaluate/methods?lang=zh_Hant").text
    assert "95%信賴區間" in hant and "可靠性標準" in hant
    campaign_page_link = 'href="/evaluate/methods"'
    unit = gen_unit("M")
    campaign = gen_campaign([unit], groups={"service_user": {}})
    db.session.commit()
    assert campaign_page_link in client.get(f"/evaluate/campaign/{campaign.id}").text


def _pager_links(page: str) -> dict[str, str]:
    """rel -> href of the pager's previous and next links (HTML-unescaped)."""
    nav = re.search(r'<nav class="pager"[^>]*>(.*?)</nav>', page, re.S)
    if nav is None:
        return {}
    found = re.findall(r'<a rel="(prev|next)" href="([^"]+)"', nav.group(1))
    return {rel: href.replace("&amp;", "&") for rel, href in found}


def test_units_are_paged_in_the_order_of_the_whole_campaign(client, world, monkeypatch):
    """Ranks span pages: page 2 goes on where page 1 stopped, sort and period kept."""
    from survey.evaluate import results_views

    campaign, *_ = world
    _add_unit(campaign, "C", {"satisfied": 5})
    _add_unit(campaign, "D", {"very_satisfied": 20, "satisfied": 20})
    _add_unit(campaign, "E", {"very_satisfied": 10, "satisfied": 20, "basically_satisfied": 6,
                              "dissatisfied": 4})
    db.session.commit()
    monkeypatch.setattr(results_views, "UNITS_PER_PAGE", 2)
    login(client, gen_user("evaluator"))
    url = f"/evaluate/campaign/{campaign.id}?sort=index&order=desc&lang=en"
    first = client.get(url).text
    assert _order(first) == ["D", "E"]
    assert "Page 1 of 3" in first and "Units 1 to 2 of 5" in first
    links = _pager_links(first)
    assert "prev" not in links and "page=2" in links["next"]
    assert "sort=index" in links["next"] and "order=desc" in links["next"]
    second = client.get(links["next"]).text
    assert _order(second) == ["A", "C"]
    links = _pager_links(second)
    assert "page=1" in links["prev"] and "page=3" in links["next"]
    third = client.get(links["next"]).text
    assert _order(third) == ["B"] and "next" not in _pager_links(third)
    # A sort link starts again at page 1; every order is the whole campaign's.
    assert _order(client.get(url.replace("order=desc", "order=asc") + "&page=1").text) == [
        "E",
        "D",
    ]
    assert _order(client.get(
        f"/evaluate/campaign/{campaign.id}?sort=unit&order=desc&page=2").text) == ["C", "B"]
    # Past the end (units taken out since the link was made): the last page, same sort.
    past = client.get(f"/evaluate/campaign/{campaign.id}?sort=index&order=desc&page=9")
    assert past.status_code == 302 and "page=3" in past.headers["Location"]
    assert "sort=index" in past.headers["Location"]


def test_a_campaign_of_many_units_shows_fifty_a_page(client, app):
    units = [gen_unit(f"U{i:03d}", f"单位{i:03d}") for i in range(60)]
    campaign = gen_campaign(units, groups={"service_user": {}})
    for unit in units:
        gen_response(campaign, unit=unit, group="service_user", answers={"overall": "satisfied"})
    db.session.commit()
    login(client, gen_user("evaluator"))
    url = f"/evaluate/campaign/{campaign.id}"
    first = client.get(url)
    assert first.status_code == 200
    rows = re.findall(r'<tr data-unit="(\w+)">', first.text)
    assert rows == [f"U{i:03d}" for i in range(50)]
    second = client.get(url + "?page=2").text
    assert re.findall(r'<tr data-unit="(\w+)">', second) == [f"U{i:03d}" for i in range(50, 60)]
    assert "page=2" in _pager_links(first.text)["next"]
    assert len(first.data) < 100_000  # a page of 50 units, whatever the campaign's size


@pytest.mark.parametrize(
    ("query", "english", "chinese"),
    [
        ("sort=bogus", "bogus is not a column to sort by", "bogus 不是可排序的列"),
        ("sort=index&order=sideways", "sideways is not a sort order", "sideways 不是排序方向"),
        ("page=0", "0 is not a page number", "0 不是页码"),
        ("page=two", "two is not a page number", "two 不是页码"),
    ],
)
def test_bad_sort_order_or_page_is_a_400_that_says_why(client, world, query, english, chinese):
    campaign, *_ = world
    login(client, gen_user("evaluator"))
    url = f"/evaluate/campaign/{campaign.id}?{query}"
    page = client.get(url + "&lang=en")
    assert page.status_code == 400 and english in page.text
    page = client.get(url + "&lang=zh_Hans")
    assert page.status_code == 400 and chinese in page.text
