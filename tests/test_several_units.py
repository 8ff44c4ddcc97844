"""One person asked about several units: one contact file, one link, a questionnaire per unit.

Through the command and the Flask test client: the file with one number on
several lines, importing the same person again for another unit, the link's
list of units, each unit's pages saved and resumed, and each unit's answers a
response of its own in the results.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from factories import (
    csrf_token,
    gen_campaign,
    gen_contact,
    gen_group,
    gen_invitation,
    gen_unit,
    gen_user,
    login,
)
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from respondent import STAKEHOLDER, form_data, post_page, responses, scrape, valid_answers
from sqlalchemy import func, select

from survey.channels.links import add_unit_to_link
from survey.extensions import db
from survey.instruments.store import current_version
from survey.models import Campaign, Contact, Invitation, Response, ResponseScore, Unit
from survey.results.summaries import stratum_summaries

ENGLISH = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": "en_US.UTF-8"}


@pytest.fixture
def campaign(app: Flask) -> Campaign:
    units = [
        gen_unit("zwfw", "省政务服务中心"),
        gen_unit("rmyy", "市人民医院行政服务部"),
        gen_unit("gaj", "市公安局出入境窗口"),
    ]
    campaign = gen_campaign(units, groups={"deputy": {}, "cppcc": {}})
    campaign.code = "demo2025"
    db.session.commit()
    return campaign


def _invite(runner: FlaskCliRunner, tmp_path: Path, text: str, *extra: str, name: str = "c.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    args = ["survey", "invite", "--campaign", "demo2025", "--group", "deputy"]
    return runner.invoke(args=[*args, "--contacts", str(path), *extra], env=ENGLISH)


def _links(output: str) -> list[list[str]]:
    return [line.split("\t") for line in output.splitlines() if "\t" in line]


def _invitations() -> list[Invitation]:
    db.session.expire_all()
    return list(db.session.execute(select(Invitation).order_by(Invitation.id)).scalars())


TWO_UNITS = (
    "姓名,手机号,被评单位\n"
    "王建国,138 0013 8000,zwfw\n"
    "李秀英,13900000001,zwfw\n"
    "王建国,+86 138-0013-8000,rmyy\n"
)


def test_one_number_on_two_lines_is_one_person_with_one_link_for_two_units(
    campaign: Campaign, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    result = _invite(runner, tmp_path, TWO_UNITS)
    assert result.exit_code == 0, result.output
    links = _links(result.output)
    assert [(name, units) for name, _phone, units, _url in links] == [
        ("王建国", "省政务服务中心、市人民医院行政服务部"),
        ("李秀英", "省政务服务中心"),
    ]
    assert "3 invitations created" in result.output
    assert db.session.execute(select(func.count(Contact.id))).scalar_one() == 2
    lead, other, single = sorted(_invitations(), key=lambda i: (i.contact_id, i.id))
    assert (lead.unit.code, lead.lead_id) == ("zwfw", None)
    assert (other.unit.code, other.lead_id, other.contact_id) == ("rmyy", lead.id, lead.contact_id)
    assert other.channel == lead.channel and other.expires_at == lead.expires_at
    assert (single.unit.code, single.lead_id, single.others) == ("zwfw", None, [])


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("name,phone,unit\n王建国,13800138000,zwfw\n王建国,13800138000,zwfw\n", "same unit"),
        ("name,phone,unit\n王建国,13800138000,zwfw\n王建新,13800138000,rmyy\n", "another name"),
        (
            "name,phone,unit,language\n王建国,13800138000,zwfw,zh_Hans\n王建国,13800138000,rmyy,en\n",
            "another language",
        ),
    ],
)
def test_the_lines_of_one_number_must_agree_on_the_person_and_differ_in_unit(
    campaign: Campaign, runner: FlaskCliRunner, tmp_path: Path, text: str, fragment: str
) -> None:
    result = _invite(runner, tmp_path, text)
    assert result.exit_code == 1
    assert any(
        line.startswith("line 3: ") and fragment in line for line in result.stderr.splitlines()
    ), result.stderr
    assert _invitations() == []


def test_importing_the_person_again_adds_the_unit_to_the_link_they_have(
    campaign: Campaign, runner: FlaskCliRunner, client: FlaskClient, tmp_path: Path
) -> None:
    first = _invite(runner, tmp_path, "name,phone\n王建国,13800138000\n", "--unit", "zwfw")
    assert first.exit_code == 0, first.output
    [[_name, _phone, _units, url]] = _links(first.output)

    again = _invite(
        runner, tmp_path, "name,phone\n王建国,138 0013 8000\n", "--unit", "rmyy", name="d.csv"
    )
    assert again.exit_code == 0, again.output
    assert _links(again.output) == []  # no new link: the one sent earlier asks about both
    assert "the link sent earlier now also asks about 市人民医院行政服务部" in again.output
    lead, added = _invitations()
    assert added.lead_id == lead.id and added.unit.code == "rmyy"
    assert db.session.execute(select(func.count(Contact.id))).scalar_one() == 1
    page = client.get(urlsplit(url).path).get_data(as_text=True)
    assert "省政务服务中心" in page and "市人民医院行政服务部" in page

    # The same unit again is refused, and so is another channel for the same link.
    same = _invite(runner, tmp_path, "name,phone\n王建国,13800138000\n", "--unit", "rmyy", name="e")
    assert same.exit_code == 1
    assert "already has an invitation for 市人民医院行政服务部 (rmyy)" in same.stderr
    other_channel = _invite(
        runner,
        tmp_path,
        "name,phone\n王建国,13800138000\n",
        "--unit",
        "gaj",
        "--channel",
        "sms",
        name="f",
    )
    assert other_channel.exit_code == 1
    assert "import it with that channel to add units" in other_channel.stderr
    assert len(_invitations()) == 2


def test_the_upload_page_lists_one_link_per_person_and_the_units_added(
    campaign: Campaign, client: FlaskClient
) -> None:
    login(client, gen_user("admin"))
    earlier = gen_contact("赵敏", "+8613900000099")
    gen_invitation(campaign, "deputy", _unit(campaign, "zwfw"), contact=earlier)
    db.session.commit()
    url = f"/admin/contacts?campaign={campaign.id}&lang=en"
    data = {
        "csrf_token": csrf_token(client, url),
        "campaign_id": campaign.id,
        "group_code": "deputy",
        "unit_id": "",
        "channel": "link",
        "deliver": "page",
        "contacts": (io.BytesIO((TWO_UNITS + "赵敏,13900000099,gaj\n").encode()), "c.csv"),
    }
    posted = client.post(url, data=data, content_type="multipart/form-data")
    page = posted.get_data(as_text=True)
    assert posted.status_code == 200, page
    assert 'id="links"' in page, re.findall(r"<li>[^<]*</li>", page)
    assert "省政务服务中心、市人民医院行政服务部" in page
    assert page.count("http://survey.test/i/") == 2  # 王建国 (two units) and 李秀英
    assert 'id="units-added"' in page and "赵敏" in page and "市公安局出入境窗口" in page
    assert len(_invitations()) == 5


# --- the respondent's side ---------------------------------------------------------------------


def _unit(campaign: Campaign, code: str) -> Unit:
    return next(unit for unit in campaign.units if unit.code == code)


def _two_unit_link(campaign: Campaign) -> tuple[Invitation, Invitation, str]:
    lead, token = gen_invitation(campaign, "deputy", _unit(campaign, "zwfw"), contact=gen_contact())
    other = add_unit_to_link(lead, _unit(campaign, "rmyy"))
    db.session.commit()
    return lead, other, token


def _answer_pages(client: FlaskClient, url: str, *, pages: int | None = None):
    """Answer the unit's questionnaire from the page it opens on; ``pages`` stops early."""
    inst, _version = current_version(STAKEHOLDER)
    html = client.get(url).get_data(as_text=True)
    done = 0
    for _ in range(len(inst.pages) + 2):
        is_last = scrape(html, "page") == inst.pages[-1].id
        posted, _page, _answers = post_page(
            client, url, html, inst, action="submit" if is_last else "next"
        )
        assert posted.status_code == 303, posted.get_data(as_text=True)
        done += 1
        if is_last or (pages is not None and done >= pages):
            return posted
        html = client.get(posted.headers["Location"]).get_data(as_text=True)
    raise AssertionError("the questionnaire did not end")


def test_the_link_lists_its_units_and_each_has_its_own_pages(
    rapp: Flask, client: FlaskClient, campaign: Campaign
) -> None:
    lead, other, token = _two_unit_link(campaign)
    overview = client.get(f"/i/{token}")
    html = overview.get_data(as_text=True)
    assert overview.status_code == 200
    assert overview.headers["Cache-Control"] == "no-store"
    assert f'href="/i/{token}/u/zwfw"' in html and f'href="/i/{token}/u/rmyy"' in html
    assert html.count("Not yet begun") + html.count("尚未开始") == 2
    assert 'name="page"' not in html  # a list, not a questionnaire

    unit_page = client.get(f"/i/{token}/u/rmyy").get_data(as_text=True)
    assert 'id="unit-step"' in unit_page and "市人民医院行政服务部" in unit_page
    assert f'href="/i/{token}"' in unit_page  # the way back to the list
    assert client.get(f"/i/{token}/u/gaj").status_code == 404  # not a unit of this link
    assert client.get(f"/i/{token}/u/nope").status_code == 404


def test_a_finished_unit_is_kept_when_the_person_stops_halfway_through_the_next(
    rapp: Flask, client: FlaskClient, campaign: Campaign
) -> None:
    lead, other, token = _two_unit_link(campaign)
    sent = _answer_pages(client, f"/i/{token}/u/zwfw")
    assert sent.headers["Location"].endswith(f"/i/{token}?done=zwfw")
    thanks = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert 'id="unit-done"' in thanks and "省政务服务中心" in thanks

    # The second unit: one page saved, then the person leaves.
    _answer_pages(client, f"/i/{token}/u/rmyy", pages=1)
    [done, draft] = responses()
    assert (done.unit.code, done.invitation_id, done.submitted_at is not None) == (
        "zwfw",
        lead.id,
        True,
    )
    assert (draft.unit.code, draft.invitation_id, draft.submitted_at) == ("rmyy", other.id, None)

    # Another browser with the same link: the list says how far each unit got, and the
    # second unit resumes on the page reached.
    inst, _version = current_version(STAKEHOLDER)
    other_browser = rapp.test_client()
    overview = other_browser.get(f"/i/{token}").get_data(as_text=True)
    assert f'href="/i/{token}/u/zwfw"' not in overview  # answered: no way back into it
    assert f'href="/i/{token}/u/rmyy"' in overview
    resumed = other_browser.get(f"/i/{token}/u/rmyy").get_data(as_text=True)
    assert scrape(resumed, "page") == inst.pages[1].id
    assert other_browser.get(f"/i/{token}/u/zwfw").status_code == 409

    _answer_pages(other_browser, f"/i/{token}/u/rmyy")
    final = other_browser.get(f"/i/{token}").get_data(as_text=True)
    assert 'id="all-done"' in final

    # Each unit's answers are a response of its own, scored and counted in its unit.
    submitted = responses()
    assert [(r.unit.code, r.group.code, r.submitted_at is not None) for r in submitted] == [
        ("zwfw", "deputy", True),
        ("rmyy", "deputy", True),
    ]
    assert {i.status for i in _invitations()} == {"completed"}
    indicator = (
        db.session.execute(
            select(ResponseScore.indicator).where(ResponseScore.response_id == submitted[0].id)
        )
        .scalars()
        .first()
    )
    assert indicator is not None
    rows = stratum_summaries(campaign, indicator=indicator, by=("unit",))
    by_unit = {row.cell: row.n for row in rows}
    assert sorted(by_unit.values()) == [1, 1] and len(by_unit) == 2


def test_a_retried_last_page_of_a_unit_leads_back_to_the_list(
    rapp: Flask, client: FlaskClient, campaign: Campaign
) -> None:
    _lead, _other, token = _two_unit_link(campaign)
    inst, _version = current_version(STAKEHOLDER)
    url = f"/i/{token}/u/zwfw"
    html = client.get(url).get_data(as_text=True)
    while scrape(html, "page") != inst.pages[-1].id:
        posted, _page, _answers = post_page(client, url, html, inst)
        html = client.get(posted.headers["Location"]).get_data(as_text=True)
    page_id = scrape(html, "page")
    page = inst.page(page_id)
    data = form_data(
        valid_answers(inst, list(page.questions)),
        scrape(html, "submission_key"),
        page=page_id,
        action="submit",
    )
    first = client.post(url, data=data)
    again = client.post(url, data=data)  # a double tap
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    count = db.session.execute(
        select(func.count(Response.id)).where(Response.submitted_at.is_not(None))
    ).scalar_one()
    assert count == 1


def test_a_single_unit_link_is_unchanged(rapp: Flask, client: FlaskClient, campaign) -> None:
    _invitation, token = gen_invitation(campaign, "deputy", _unit(campaign, "zwfw"))
    db.session.commit()
    html = client.get(f"/i/{token}").get_data(as_text=True)
    assert 'name="page"' in html and 'id="unit-step"' not in html


def test_siblings_get_no_sms_of_their_own(app: Flask, campaign: Campaign) -> None:
    from survey.channels.sms import reissue_sms_invitations
    from survey.models import OutboundMessage

    campaign.channels = "link sms"
    lead, _token = gen_invitation(
        campaign, "deputy", _unit(campaign, "zwfw"), contact=gen_contact(), channel="sms"
    )
    add_unit_to_link(lead, _unit(campaign, "rmyy"))
    db.session.commit()
    queued = reissue_sms_invitations(campaign, gen_group("deputy"))
    db.session.commit()
    assert [m.invitation_id for m in queued] == [lead.id]
    assert db.session.execute(select(func.count(OutboundMessage.id))).scalar_one() == 1


def test_by_phone_each_unit_of_a_person_is_a_call_case_of_its_own(
    campaign: Campaign, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    from survey.models import CallCase
    from survey.responses.interview import interview_target

    result = _invite(runner, tmp_path, TWO_UNITS, "--channel", "phone")
    assert result.exit_code == 0, result.output
    queued = runner.invoke(args=["survey", "phone-queue", "demo2025"], env=ENGLISH)
    assert "3 cases added" in queued.output, queued.output
    cases = db.session.execute(select(CallCase).order_by(CallCase.id)).scalars().all()
    wang = [c for c in cases if c.invitation.contact and c.invitation.contact.name == "王建国"]
    # The script of each case is about its own unit.
    assert sorted(interview_target(c).unit.code for c in wang) == ["rmyy", "zwfw"]
