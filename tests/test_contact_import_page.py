"""The contact import page offers one campaign's own groups, units and channels, by name."""

from __future__ import annotations

import io
import re

from factories import csrf_token, gen_campaign, gen_group, gen_unit, gen_user, login
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Contact, Invitation


def _options(page: str, name: str) -> list[tuple[str, str]]:
    select_tag = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select_tag, name
    return re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select_tag.group(1))


def _setting(app):  # type: ignore[no-untyped-def]
    units = [gen_unit("zwfw", "省政务服务中心"), gen_unit("rmyy", "市人民医院")]
    gen_unit("nky", "省农业科学院")
    gen_group("expert")
    campaign = gen_campaign(units, groups={"deputy": {}, "cppcc": {}, "service_user": {}})
    campaign.channels = "qr link sms"
    other = gen_campaign([units[0]], groups={"expert": {}})
    db.session.commit()
    return campaign, other


def _upload(client, campaign, text: str, channel: str = "link"):  # type: ignore[no-untyped-def]
    url = f"/admin/contacts?campaign={campaign.id}&lang=en"
    client.get(url)
    data = {
        "csrf_token": csrf_token(client, url),
        "campaign_id": campaign.id,
        "group_code": "deputy",
        "unit_id": "",
        "channel": channel,
        "deliver": "page",
        "contacts": (io.BytesIO(text.encode()), "c.csv"),
    }
    return client.post(url, data=data, content_type="multipart/form-data").text


def test_the_page_offers_the_campaigns_own_groups_units_and_channels_in_chinese(app, client):
    campaign, other = _setting(app)
    login(client, gen_user("admin"))
    page = client.get(f"/admin/contacts?campaign={campaign.id}&lang=zh_Hans").text
    assert [code for code, _label in _options(page, "group_code")] == [
        "deputy",
        "cppcc",
        "service_user",
    ]
    assert dict(_options(page, "group_code"))["deputy"] == "人大代表"
    assert [label for _v, label in _options(page, "unit_id")][1:] == [
        "市人民医院 (rmyy)",
        "省政务服务中心 (zwfw)",
    ]
    channels = _options(page, "channel")
    assert [code for code, _label in channels] == ["link", "sms"]  # not paper, not phone
    assert all(label != code for code, label in channels)  # names, not codes
    assert "expert" not in page.split('id="choose-campaign"')[1].split("</form>")[1]
    # The other campaign, chosen at the top of the page, offers its own.
    page = client.get(f"/admin/contacts?campaign={other.id}").text
    assert [code for code, _label in _options(page, "group_code")] == ["expert"]


def test_a_file_with_a_note_column_is_imported_with_a_warning(app, client):
    campaign, _other = _setting(app)
    login(client, gen_user("admin"))
    text = "姓名,手机号,单位代码,备注\n王建国,13800138000,zwfw,老代表\n李秀英,13900000001,rmyy,\n"
    page = _upload(client, campaign, text)
    assert "2 invitations created" in page and campaign.name in page
    assert "line 1: column &#39;备注&#39; is not used and was ignored" in page
    assert db.session.execute(select(func.count(Invitation.id))).scalar_one() == 2


def test_every_problem_of_every_row_at_once_and_nothing_imported(app, client):
    campaign, _other = _setting(app)
    login(client, gen_user("admin"))
    text = (
        "手机号,备注\n"  # no name column
        "12345,\n"
        '"13800138000,x\n'  # a quote never closed
        "13900000001,y\n"
    )
    page = _upload(client, campaign, text, channel="sms")
    assert "Nothing imported: 4 problem(s)." in page
    assert "line 1: missing column name" in page
    assert "line 2: 12345" in page
    assert "line 2: no unit" in page
    assert "line 3: a quotation mark" in page
    assert db.session.execute(select(func.count(Invitation.id))).scalar_one() == 0


def test_a_traditional_chinese_or_english_header_imports_as_the_simplified_one(app, client):
    """The same office list saved with each header gives the same invitations."""
    units = [gen_unit("zwfw", "省政务服务中心"), gen_unit("rmyy", "市人民医院")]
    rows = "王建国,138 0013 8000,省人大常委会,简体,zwfw\n李秀英,13900000001,省政协,繁體,rmyy\n"
    headers = {
        "zh_Hans": "姓名,手机号码,工作单位,语言,单位代码",
        "zh_Hant": "姓名,手機號碼,工作單位,語言,單位代碼",
        "en": "Name,Mobile,Organization,Language,Unit Code",
    }
    campaigns = {}
    for lang in headers:  # a campaign each: one person is invited once per campaign
        campaigns[lang] = gen_campaign(units, groups={"deputy": {}})
        campaigns[lang].channels = "qr link"
    db.session.commit()
    login(client, gen_user("admin"))
    imported = {}
    for lang, header in headers.items():
        page = _upload(client, campaigns[lang], f"{header}\n{rows}")
        assert "2 invitations created" in page and "is not used" not in page, lang
        imported[lang] = db.session.execute(
            select(Contact.name, Contact.phone, Contact.organisation, Invitation.language)
            .add_columns(Invitation.unit_id, Invitation.channel)
            .join(Contact, Contact.id == Invitation.contact_id)
            .where(Invitation.campaign_id == campaigns[lang].id)
            .order_by(Contact.name)
        ).all()
    assert imported["zh_Hant"] == imported["en"] == imported["zh_Hans"]
    assert [tuple(r[:4]) for r in imported["zh_Hans"]] == [
        ("李秀英", "+8613900000001", "省政协", "zh_Hant"),
        ("王建国", "+8613800138000", "省人大常委会", "zh_Hans"),
    ]
