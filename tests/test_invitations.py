"""`flask survey invite`: contacts in, one invitation each, links out once; all rows or none."""

from __future__ import annotations

import codecs
import csv
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from factories import gen_campaign, gen_contact, gen_group, gen_invitation, gen_unit
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AuditEvent, Campaign, Contact, Invitation
from survey.tokens import hash_token

# Command messages follow the shell's language; these tests read them in English.
ENGLISH = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": "en_US.UTF-8"}

# The campaign surveys these groups with their shipped instruments (tests.factories).
GROUPS: dict[str, dict] = {"deputy": {}, "cppcc": {}, "service_user": {}}


@pytest.fixture
def campaign(app: Flask) -> Campaign:
    units = [gen_unit("zwfw", "省政务服务中心"), gen_unit("rmyy", "市人民医院行政服务部")]
    gen_unit("nky", "省农业科学院")  # exists, but not in this campaign
    gen_group("expert")  # exists, but not surveyed in this campaign
    campaign = gen_campaign(units, groups=GROUPS)
    campaign.code = "demo2025"
    db.session.commit()
    return campaign


def _write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "c.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _invite(runner: FlaskCliRunner, path: Path, *extra: str, group: str = "deputy", unit="zwfw"):
    args = ["survey", "invite", "--campaign", "demo2025", "--group", group, "--contacts", str(path)]
    if unit:
        args += ["--unit", unit]
    return runner.invoke(args=args + list(extra), env=ENGLISH)


def _counts() -> tuple[int, int]:
    return (
        db.session.execute(select(func.count(Contact.id))).scalar_one(),
        db.session.execute(select(func.count(Invitation.id))).scalar_one(),
    )


GOOD = (
    "name,phone,organisation,language,unit\n"
    "王建国,138 0013 8000,省人大常委会,zh_Hans,\n"
    "李秀英,+86 139-0000-0001,省人大教科文卫委,zh_Hant,rmyy\n"
    "张伟,0755-12345678,,,\n"
)


def test_import_creates_contacts_and_invitations_and_prints_links_once(
    campaign: Campaign, runner: FlaskCliRunner, client: FlaskClient, tmp_path: Path
) -> None:
    result = _invite(runner, _write(tmp_path, GOOD))
    assert result.exit_code == 0, result.output
    assert "as UTF-8." in result.output
    lines = [line.split("\t") for line in result.output.splitlines() if "\t" in line]
    assert [(name, masked) for name, masked, _units, _url in lines] == [
        ("王建国", "+86 138****8000"),
        ("李秀英", "+86 139****0001"),
        ("张伟", "+86 755 ****5678"),
    ]
    assert "13800138000" not in result.output  # the full number is never printed

    invitations = db.session.execute(select(Invitation).order_by(Invitation.id)).scalars().all()
    assert len(invitations) == 3
    for (name, _masked, _units, url), invitation in zip(lines, invitations, strict=True):
        token = urlsplit(url).path.rsplit("/", 1)[-1]
        assert url == f"http://survey.test/i/{token}"
        assert len(token) == 22
        assert token not in invitation.token_hash
        found = db.session.execute(
            select(Invitation).where(Invitation.token_hash == hash_token(token))
        ).scalar_one()
        assert found.id == invitation.id
        assert found.contact is not None and found.contact.name == name
        assert (found.campaign_id, found.group.code, found.channel) == (
            campaign.id,
            "deputy",
            "link",
        )
        assert client.get(urlsplit(url).path).status_code == 200
    assert [i.unit.code for i in invitations] == ["zwfw", "rmyy", "zwfw"]
    assert [i.language for i in invitations] == ["zh_Hans", "zh_Hant", None]
    contacts = [i.contact for i in invitations]
    assert [c.phone for c in contacts if c] == [
        "+8613800138000",
        "+8613900000001",
        "+8675512345678",
    ]
    assert contacts[0] is not None and contacts[0].organisation == "省人大常委会"


def test_import_is_audited_like_the_upload_page(
    campaign: Campaign, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(
        args=["survey", "invite", "--campaign", "demo2025", "--group", "deputy", "--unit", "zwfw"]
        + ["--contacts", str(_write(tmp_path, GOOD))],
        env={**ENGLISH, "LOGNAME": "ops-wang"},
    )
    assert result.exit_code == 0, result.output
    event = db.session.execute(select(AuditEvent)).scalar_one()
    assert (event.action, event.entity, event.entity_id) == (
        "contacts.import",
        "campaign",
        str(campaign.id),
    )
    assert (event.campaign_id, event.user_id, event.actor) == (campaign.id, None, "cli:ops-wang")
    assert json.loads(event.after) == {
        "group": "deputy",
        "unit": "zwfw",
        "channel": "link",
        "invitations": 3,
        "encoding": "UTF-8",
    }


def test_a_refused_import_leaves_no_audit_event(
    campaign: Campaign, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    assert _invite(runner, _write(tmp_path, "name\n\n,1\n")).exit_code == 1
    assert db.session.execute(select(AuditEvent)).first() is None


def test_import_writes_a_mail_merge_file_instead(
    campaign: Campaign, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    campaign.channels += " paper"  # the campaign sends letters
    db.session.commit()
    out = tmp_path / "links.csv"
    result = _invite(runner, _write(tmp_path, GOOD), "--out", str(out), "--channel", "paper")
    assert result.exit_code == 0, result.output
    assert "/i/" not in result.output  # only the count and the path
    assert "3 invitations" in result.output and str(out) in result.output
    raw = out.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)  # so Excel reads the Chinese names
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["name", "organisation", "unit", "link"]
    assert [r[:3] for r in rows[1:]] == [
        ["王建国", "省人大常委会", "省政务服务中心"],
        ["李秀英", "省人大教科文卫委", "市人民医院行政服务部"],
        ["张伟", "", "省政务服务中心"],
    ]
    for row in rows[1:]:
        token = row[3].rsplit("/", 1)[-1]
        invitation = db.session.execute(
            select(Invitation).where(Invitation.token_hash == hash_token(token))
        ).scalar_one()
        assert invitation.channel == "paper"
    assert not list(tmp_path.glob("*.partial"))

    # A second run must not overwrite the first list: its links exist nowhere else.
    again = _invite(runner, _write(tmp_path, "name\n赵敏\n", name="d.csv"), "--out", str(out))
    assert again.exit_code == 1
    assert "exists" in again.output
    assert out.read_bytes() == raw
    assert _counts() == (3, 3)


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_excel_encodings(
    campaign: Campaign, runner: FlaskCliRunner, tmp_path: Path, encoding: str
) -> None:
    result = _invite(runner, _write(tmp_path, GOOD.replace("\n", "\r\n"), encoding))
    assert result.exit_code == 0, result.output
    said = {"gb18030": "as GB18030.", "utf-8-sig": "as UTF-8 with BOM."}[encoding]
    assert said in result.output
    names = db.session.execute(select(Contact.name).order_by(Contact.id)).scalars().all()
    assert names == ["王建国", "李秀英", "张伟"]
    organisation = db.session.execute(
        select(Contact.organisation).where(Contact.name == "王建国")
    ).scalar_one()
    assert organisation == "省人大常委会"


BAD_ROWS = (
    "name,phone,organisation,language,unit\n"
    "王建国,13800138000,,,\n"  # 2: fine
    ",13900000002,,,\n"  # 3: empty name
    "李秀英,1390000,,,\n"  # 4: invalid phone
    "张伟,138-0013-8000,,,\n"  # 5: duplicate of line 2
    "刘洋,13900000005,,,xxx\n"  # 6: unknown unit
    "陈静,13900000006,,,nky\n"  # 7: unit not in the campaign
    "杨帆,13900000007,,de,\n"  # 8: unknown language
    "赵敏,13900000099,,,\n"  # 9: already invited (set up in the test)
)


def test_every_bad_row_is_reported_and_nothing_is_imported(
    campaign: Campaign, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    earlier = gen_contact("赵敏", "+8613900000099")
    zwfw = next(unit for unit in campaign.units if unit.code == "zwfw")
    gen_invitation(campaign, "deputy", zwfw, contact=earlier)  # the unit line 9 asks about
    db.session.commit()
    before = _counts()
    result = _invite(runner, _write(tmp_path, BAD_ROWS))
    assert result.exit_code == 1
    err = result.stderr
    expected = {
        3: "the name is empty",
        4: "1390000",
        5: "already on line 2",
        6: "unknown unit 'xxx'",
        7: "unit 省农业科学院 (nky) is not evaluated",
        8: "unknown language 'de'",
        9: "already has an invitation",
    }
    for line, fragment in expected.items():
        assert any(
            text.startswith(f"line {line}: ") and fragment in text for text in err.splitlines()
        ), (line, err)
    assert "line 2:" not in err
    # Line 5 has two: another person's name on line 2's number, and the same unit again.
    assert "Nothing imported: 8 problem(s)." in err
    assert _counts() == before


def test_a_withdrawn_invitation_does_not_block_a_new_one(
    campaign: Campaign, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    earlier = gen_contact("赵敏", "+8613900000099")
    invitation, _ = gen_invitation(campaign, "deputy", contact=earlier)
    invitation.status = "withdrawn"
    db.session.commit()
    result = _invite(runner, _write(tmp_path, "name,phone\n赵敏,139 0000 0099\n"))
    assert result.exit_code == 0, result.output
    # Another group of the same campaign is a different invitation, too.
    result = _invite(runner, _write(tmp_path, "name,phone\n赵敏,13900000099\n"), group="cppcc")
    assert result.exit_code == 0, result.output
    assert _counts() == (3, 3)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--campaign", "nope", "--group", "deputy", "--unit", "zwfw"], "unknown campaign 'nope'"),
        (["--campaign", "demo2025", "--group", "nope", "--unit", "zwfw"], "unknown group 'nope'"),
        (["--campaign", "demo2025", "--group", "expert", "--unit", "zwfw"], "not surveyed"),
        (["--campaign", "demo2025", "--group", "deputy", "--unit", "nope"], "unknown unit 'nope'"),
        (["--campaign", "demo2025", "--group", "deputy", "--unit", "nky"], "not evaluated"),
        (["--campaign", "demo2025", "--group", "deputy"], "line 2: no unit"),
    ],
)
def test_bad_arguments_import_nothing(
    campaign: Campaign, runner: FlaskCliRunner, tmp_path: Path, args: list[str], fragment: str
) -> None:
    path = _write(tmp_path, "name,phone\n王建国,13800138000\n")
    result = runner.invoke(args=["survey", "invite", "--contacts", str(path), *args], env=ENGLISH)
    assert result.exit_code == 1
    assert fragment in result.stderr
    assert _counts() == (0, 0)


def test_an_unknown_column_is_ignored_with_a_warning(
    campaign: Campaign, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    result = _invite(runner, _write(tmp_path, "姓名,电邮,备注\n王建国,a@b.cn,老代表\n"))
    assert result.exit_code == 0, result.output
    assert "line 1: column '电邮' is not used and was ignored" in result.stderr
    assert "line 1: column '备注' is not used and was ignored" in result.stderr
    assert _counts() == (1, 1)


def test_bad_header_imports_nothing_and_the_rows_are_still_checked(
    campaign: Campaign, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    result = _invite(runner, _write(tmp_path, "phone,备注\n13800138000,x\n12345,y\n"))
    assert result.exit_code == 1
    assert "line 1: missing column name" in result.stderr
    assert "line 3: 12345" in result.stderr
    assert "line 1: column '备注' is not used" in result.stderr
    assert "Nothing imported: 2 problem(s)." in result.stderr
    assert _counts() == (0, 0)


def test_messages_name_groups_units_and_channels(
    campaign: Campaign, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = _write(tmp_path, "name,phone,unit\n王建国,13800138000,nky\n")
    result = _invite(runner, path, group="expert")
    assert result.exit_code == 1
    name = campaign.name
    assert (
        f"group Experts and scholars (expert) is not surveyed in campaign {name} (demo2025); "
        "its groups are People's congress deputies (deputy), CPPCC members (cppcc), "
        "Service users (service_user)"
    ) in result.stderr
    assert f"line 2: unit 省农业科学院 (nky) is not evaluated in campaign {name}" in (
        result.stderr
    )


def test_sms_needs_mobile_numbers(
    campaign: Campaign, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    text = "name,phone\n王建国,13800138000\n李秀英,010-12345678\n张伟,\n"
    result = _invite(runner, _write(tmp_path, text), "--channel", "sms")
    assert result.exit_code == 1
    assert "line 3: 010-12345678 is a landline" in result.stderr
    assert "line 4: the phone number is empty" in result.stderr
    assert _counts() == (0, 0)
    result = _invite(
        runner, _write(tmp_path, "name,phone\n王建国,13800138000\n"), "--channel", "sms"
    )
    assert result.exit_code == 0, result.output
    channel = db.session.execute(select(Invitation.channel)).scalar_one()
    assert channel == "sms"


def test_a_channel_the_campaign_does_not_use_is_refused(
    campaign: Campaign, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    campaign.channels = "qr link"
    db.session.commit()
    result = _invite(
        runner, _write(tmp_path, "name,phone\n王建国,13800138000\n"), "--channel", "sms"
    )
    assert result.exit_code == 1
    assert (
        f"campaign {campaign.name} (demo2025) does not use the channel SMS link (sms); its "
        "channels are QR code at a service point (qr), Personal link (link)"
    ) in result.stderr
    assert _counts() == (0, 0)


def test_unreadable_file_imports_nothing(
    campaign: Campaign, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"name\n\xff\xff\n")
    result = _invite(runner, path)
    assert result.exit_code == 1
    assert "neither UTF-8 nor GB18030" in result.stderr
    assert _counts() == (0, 0)


def test_phone_invitations_go_into_the_call_queue(runner, campaign, tmp_path):
    from survey.models import CallCase

    result = _invite(runner, _write(tmp_path, GOOD), "--channel", "phone")
    assert result.exit_code == 0, result.output
    invitations = db.session.execute(select(Invitation)).scalars().all()
    assert invitations and {i.channel for i in invitations} == {"phone"}
    queued = runner.invoke(args=["survey", "phone-queue", "demo2025"], env=ENGLISH)
    assert queued.exit_code == 0, queued.output
    assert f"{len(invitations)} cases added" in queued.output
    assert len(db.session.execute(select(CallCase)).all()) == len(invitations)
    again = runner.invoke(args=["survey", "phone-queue", "demo2025"], env=ENGLISH)
    assert "0 cases added" in again.output


def test_phone_invitations_need_a_number(runner, campaign, tmp_path):
    result = _invite(runner, _write(tmp_path, "name,phone\n王建国,\n"), "--channel", "phone")
    assert result.exit_code == 1
    assert "line 2" in result.output
    assert _counts() == (0, 0)
