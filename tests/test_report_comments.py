"""Comments: small groups' are not shown, and evaluators choose the comments of a unit's report."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pypdf
from factories import csrf_token, gen_campaign, gen_response, gen_unit, gen_user, login
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Answer, AuditEvent, FollowUpCase, ReportComment

WHEN = dt.datetime(2026, 3, 10, 4, 0)


def _comment(campaign, unit, group, text, overall="satisfied"):  # type: ignore[no-untyped-def]
    response = gen_response(
        campaign, unit=unit, group=group, submitted_at=WHEN, answers={"overall": overall}
    )
    response.answers.append(Answer(question_id="comment", value=text))
    db.session.flush()
    return response


def _world():  # type: ignore[no-untyped-def]
    a, b = gen_unit("A", "单位甲"), gen_unit("B", "单位乙")
    campaign = gen_campaign([a, b], groups={"service_user": {}, "deputy": {}})
    for i in range(5):  # five service users: k = 5 is reached
        _comment(campaign, a, "service_user", f"服务意见{i}")
    _comment(campaign, a, "deputy", "代表的意见")  # one deputy: fewer than k
    _comment(campaign, b, "service_user", "乙单位的意见")
    db.session.commit()
    return campaign, a, b


def _answer_id(text: str) -> int:
    return db.session.execute(select(Answer.id).where(Answer.value == text)).scalar_one()


def _select(client, campaign, unit, answer_id, selected, token=True):  # type: ignore[no-untyped-def]
    page = f"/evaluate/campaign/{campaign.id}/unit/{unit.id}/comments"
    data = {"selected": "1" if selected else "0"}
    if token:
        data["csrf_token"] = csrf_token(client, page)
    return client.post(f"{page}/{answer_id}/report", data=data)


def test_a_small_groups_comments_are_not_shown(client, app):
    # Unlabelled, the lone deputy's comment would still be "the one without a group".
    campaign, a, _b = _world()
    login(client, gen_user("evaluator"))
    url = f"/evaluate/campaign/{campaign.id}/unit/{a.id}/comments"
    page = client.get(url + "?lang=en").text
    assert "代表的意见" not in page and 'id="comments-withheld"' in page
    assert "5 comments" in page
    user = re.search(r"<p>服务意见0</p>\s*<p class=\"muted\">(.*?)</p>", page, re.S)
    assert user and "Service users" in user.group(1)
    # The small group cannot be picked as a filter, and asking for it finds nothing.
    assert 'value="deputy"' not in page and 'value="service_user"' in page
    assert "代表的意见" not in client.get(url + "?group=deputy&lang=en").text
    assert "代表的意见" not in client.get(url + "?question=comment&lang=en").text
    # Nor can it be put in the report.
    assert _select(client, campaign, a, _answer_id("代表的意见"), True).status_code == 404


def test_a_burst_of_cards_does_not_lift_a_group_over_k(client, app):
    # Four flagged deputies' cards beside the one real one: the results count one deputy
    # (suppressed), so the comments must too.
    campaign, a, _b = _world()
    for i in range(4):
        _comment(campaign, a, "deputy", f"刷的意见{i}").flagged = True
    db.session.commit()
    login(client, gen_user("evaluator"))
    page = client.get(f"/evaluate/campaign/{campaign.id}/unit/{a.id}/comments?lang=en").text
    assert "代表的意见" not in page and "刷的意见" not in page
    assert 'value="deputy"' not in page


def test_a_flagged_card_adds_no_comment(client, app):
    campaign, a, _b = _world()
    _comment(campaign, a, "service_user", "刷屏的意见").flagged = True
    db.session.commit()
    login(client, gen_user("evaluator"))
    page = client.get(f"/evaluate/campaign/{campaign.id}/unit/{a.id}/comments?lang=en").text
    assert "服务意见0" in page and "刷屏的意见" not in page


def test_an_evaluator_puts_a_comment_in_the_report_and_takes_it_out(client, app):
    campaign, a, _b = _world()
    evaluator = gen_user("evaluator")
    db.session.commit()
    login(client, evaluator)
    chosen, other = _answer_id("服务意见3"), _answer_id("服务意见4")
    assert _select(client, campaign, a, chosen, True).status_code == 302
    assert _select(client, campaign, a, other, True).status_code == 302
    assert db.session.execute(select(func.count(ReportComment.id))).scalar_one() == 2
    event = (
        db.session.execute(select(AuditEvent).where(AuditEvent.action == "report.comment_select"))
        .scalars()
        .first()
    )
    assert event.actor == evaluator.username and event.campaign_id == campaign.id
    assert json.loads(event.after) == {"unit_id": a.id, "selected": True}

    comments = client.get(f"/evaluate/campaign/{campaign.id}/unit/{a.id}/comments?lang=en").text
    assert comments.count("In the report") == 2
    report = client.get(f"/evaluate/campaign/{campaign.id}/unit/{a.id}/report?lang=en").text
    assert "Selected comments" in report
    assert "服务意见3" in report and "服务意见1" not in report
    assert "服务意见4" in report and "2026-03" in report and "Service users" in report
    pdf = client.get(f"/evaluate/campaign/{campaign.id}/unit/{a.id}/report.pdf?lang=en")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert "服务意见3" in text and "服务意见4" in text and "服务意见1" not in text

    # Selecting twice changes nothing; taking it out removes it from the report.
    _select(client, campaign, a, chosen, True)
    assert db.session.execute(select(func.count(ReportComment.id))).scalar_one() == 2
    _select(client, campaign, a, chosen, False)
    report = client.get(f"/evaluate/campaign/{campaign.id}/unit/{a.id}/report?lang=en").text
    assert "服务意见3" not in report and "服务意见4" in report
    actions = db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert actions == ["report.comment_select"] * 2 + ["report.comment_unselect"]


def test_a_comment_of_another_unit_or_without_a_token_is_refused(client, app):
    campaign, a, _b = _world()
    login(client, gen_user("evaluator"))
    elsewhere = _answer_id("乙单位的意见")
    assert _select(client, campaign, a, elsewhere, True).status_code == 404
    not_a_comment = (
        db.session.execute(select(Answer.id).where(Answer.question_id == "overall"))
        .scalars()
        .first()
    )
    assert _select(client, campaign, a, not_a_comment, True).status_code == 404
    _select(client, campaign, a, _answer_id("服务意见0"), True, token=False)
    assert db.session.execute(select(func.count(ReportComment.id))).scalar_one() == 0
    assert db.session.execute(select(func.count(AuditEvent.id))).scalar_one() == 0


def test_an_operator_cannot_choose_report_comments(client, app):
    campaign, a, _b = _world()
    login(client, gen_user("operator"))
    url = f"/evaluate/campaign/{campaign.id}/unit/{a.id}/comments/{_answer_id('服务意见0')}/report"
    token = csrf_token(client, "/operator/")  # a valid token: the role alone must refuse
    assert client.post(url, data={"selected": "1", "csrf_token": token}).status_code == 403
    assert db.session.execute(select(func.count(ReportComment.id))).scalar_one() == 0


def test_an_excluded_bad_review_leaves_the_report(client, app):
    a = gen_unit("A")
    campaign = gen_campaign([a], groups={"service_user": {}})
    for i in range(5):  # k = 5 service users, with or without the bad review
        _comment(campaign, a, "service_user", f"服务意见{i}")
    bad = _comment(campaign, a, "service_user", "恶意差评", overall="very_dissatisfied")
    db.session.commit()
    login(client, gen_user("evaluator"))
    _select(client, campaign, a, _answer_id("恶意差评"), True)
    url = f"/evaluate/campaign/{campaign.id}/unit/{a.id}/report"
    assert "恶意差评" in client.get(url).text
    case = db.session.execute(
        select(FollowUpCase).where(FollowUpCase.response_id == bad.id)
    ).scalar_one_or_none()
    if case is None:  # gen_response bypasses submission; open the case as submission would
        case = FollowUpCase(
            response_id=bad.id,
            campaign_id=campaign.id,
            unit_id=a.id,
            opened_at=WHEN,
            due_at=WHEN,
            status="open",
        )
        db.session.add(case)
    case.status = "excluded"
    db.session.commit()
    assert "恶意差评" not in client.get(url).text


def test_comments_filtered_by_how_their_authors_rated_an_indicator(client, app):
    a = gen_unit("A")
    campaign = gen_campaign([a], groups={"service_user": {}})
    for i, overall in enumerate(
        ["very_satisfied", "satisfied", "dissatisfied", "very_dissatisfied"]
    ):
        _comment(campaign, a, "service_user", f"评价{i}", overall=overall)
    plain = gen_response(campaign, unit=a, group="service_user", submitted_at=WHEN)
    plain.answers.append(Answer(question_id="comment", value="没有打分的意见"))
    for _ in range(4):  # enough respondents that the group is named
        gen_response(campaign, unit=a, group="service_user", answers={"overall": "satisfied"})
    db.session.commit()
    login(client, gen_user("evaluator"))
    url = f"/evaluate/campaign/{campaign.id}/unit/{a.id}/comments?lang=en"

    def shown(query: str) -> list[str]:
        page = client.get(url + query)
        assert page.status_code == 200
        return sorted(re.findall(r"<p>(评价\d|没有打分的意见)</p>", page.text))

    assert shown("") == ["没有打分的意见", "评价0", "评价1", "评价2", "评价3"]
    overall = "&indicator=satisfaction.overall"
    assert shown(overall) == ["评价0", "评价1", "评价2", "评价3"]
    assert shown(overall + "&verdict=dissatisfied") == ["评价2", "评价3"]
    assert shown(overall + "&verdict=satisfied") == ["评价0", "评价1"]
    assert client.get(url + "&indicator=no.such").status_code == 400
    assert client.get(url + overall + "&verdict=maybe").status_code == 400


def test_a_nonsense_page_number_shows_the_first_page(client, app):
    campaign, a, _b = _world()
    login(client, gen_user("evaluator"))
    url = f"/evaluate/campaign/{campaign.id}/unit/{a.id}/comments"
    for page in ("9" * 40, "²", "-3", "x"):
        response = client.get(f"{url}?page={page}")
        assert response.status_code == 200, page
    assert "服务意见0" in client.get(f"{url}?page=²").text


def _deputy(campaign, unit, when, text=None, overall="satisfied"):  # type: ignore[no-untyped-def]
    response = gen_response(campaign, unit=unit, group="deputy", submitted_at=when,
                            answers={"overall": overall})
    if text:
        response.answers.append(Answer(question_id="comment", value=text))
    return response


def _deputies(later: int = 0):  # type: ignore[no-untyped-def]
    """Deputies at unit A: one in May 2024 (commenting), four in April, six in October.

    ``later`` more in March 2025.
    """
    a = gen_unit("A")
    campaign = gen_campaign([a], groups={"deputy": {"instrument_id": "post-service-card"}},
                            period_start=dt.date(2024, 1, 1), period_end=dt.date(2025, 12, 31))
    _deputy(campaign, a, dt.datetime(2024, 5, 20, 4), "唯一的五月代表")
    for i in range(4):
        _deputy(campaign, a, dt.datetime(2024, 4, 3 + i, 4), "四月代表" if i == 0 else None,
                overall="dissatisfied")
    for i in range(6):
        _deputy(campaign, a, dt.datetime(2024, 10, 3 + i, 4), "十月代表" if i == 0 else None)
    for i in range(later):
        _deputy(campaign, a, dt.datetime(2025, 3, 3 + i, 4), "次年代表" if i == 0 else None)
    db.session.commit()
    return campaign, a


def _labels(page: str) -> dict[str, str]:
    found = re.findall(r"<p>([^<]*代表)</p>\s*<p class=\"muted\">[^<]*· ([^<·]*)</p>", page)
    return {text: label.strip() for text, label in found}


def test_a_comment_is_labelled_with_a_period_of_k_or_more_of_its_group(client, app):
    # The attack: the only deputy at the unit in a month, read off filter by filter.
    # May has one deputy and April four: their comments are labelled with the quarter (five
    # deputies), and April's too, or an unlabelled May would be the one left by elimination.
    campaign, a = _deputies()
    login(client, gen_user("evaluator"))
    url = f"/evaluate/campaign/{campaign.id}/unit/{a.id}/comments?lang=en"
    page = client.get(url).text
    assert _labels(page) == {"十月代表": "2024-10", "唯一的五月代表": "2024-Q2",
                             "四月代表": "2024-Q2"}
    assert "2024-05" not in page and "2024-04" not in page
    # newest label first
    assert page.index("十月代表") < page.index("唯一的五月代表")
    for verdict in ("satisfied", "dissatisfied"):
        filtered = client.get(f"{url}&group=deputy&indicator=satisfaction.overall"
                              f"&verdict={verdict}").text
        assert "2024-05" not in filtered
        assert ("唯一的五月代表" in filtered) == (verdict == "satisfied")
        assert set(_labels(filtered).values()) <= {"2024-Q2", "2024-10"}


def test_a_year_below_k_labels_every_comment_of_the_group_with_the_campaign(client, app):
    # Two deputies in 2025: naming 2024's quarters would leave "2025" to them alone.
    campaign, a = _deputies(later=2)
    login(client, gen_user("evaluator"))
    page = client.get(f"/evaluate/campaign/{campaign.id}/unit/{a.id}/comments?lang=en").text
    assert set(_labels(page).values()) == {"2024-01–2025-12"}
    assert len(_labels(page)) == 4
