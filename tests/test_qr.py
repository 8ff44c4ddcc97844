"""QR codes, posters and ticket sheets: what is printed decodes to an address that works."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pypdf
import pytest
from factories import gen_campaign, gen_service_point, gen_unit
from PIL import Image
from tools_support import decode_qr

from survey.extensions import db
from survey.models import AuditEvent, Response, Ticket, utcnow
from survey.tokens import hash_token


def _point():
    unit = gen_unit(code="zwfw", name="省政务服务中心")
    campaign = gen_campaign([unit])
    point = gen_service_point(unit, code="zwfw-a1")
    point.name = "一楼A1窗口"
    db.session.commit()
    return campaign, point


def test_point_code_decodes_to_the_card(app, client, runner, tmp_path):
    _campaign, point = _point()
    result = runner.invoke(args=["survey", "qr", "--point", point.code, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "http://survey.test/p/zwfw-a1" in result.output
    url = decode_qr(tmp_path / "zwfw-a1.png")
    assert url == "http://survey.test/p/zwfw-a1"
    assert decode_qr(tmp_path / "zwfw-a1-kiosk.png") == "http://survey.test/k/zwfw-a1"
    page = client.get(urlsplit(url).path)
    assert page.status_code == 200
    assert "总体是否满意" in page.get_data(as_text=True)
    svg = ET.parse(tmp_path / "zwfw-a1.svg").getroot()
    assert svg.tag.endswith("svg")
    poster = (tmp_path / "zwfw-a1-poster.html").read_text(encoding="utf-8")
    assert "省政务服务中心" in poster and "一楼A1窗口" in poster and "<svg" in poster
    assert "http://survey.test/p/zwfw-a1" in poster
    assert "扫码" in poster  # the one-line instruction, in Chinese
    assert "@page{size:A4" in poster
    assert "http" not in poster.replace("http://survey.test/p/zwfw-a1", "").replace(
        "http://www.w3.org/2000/svg", ""
    )  # self-contained: nothing else fetched when printed


def test_tickets_are_issued_printed_and_answerable_once(app, client, runner, tmp_path):
    _campaign, point = _point()
    result = runner.invoke(
        args=["survey", "tickets", "--point", point.code, "--count", "3", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    with open(tmp_path / "tickets.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["number"] for r in rows] == ["1", "2", "3"]
    tickets = db.session.execute(db.select(Ticket)).scalars().all()
    assert len(tickets) == 3
    tokens = [urlsplit(r["url"]).path.rsplit("/", 1)[1] for r in rows]
    assert {hash_token(t) for t in tokens} == {t.token_hash for t in tickets}
    assert not any(t in result.output for t in tokens)  # tokens only in the files
    assert decode_qr(tmp_path / "ticket-00002.png") == rows[1]["url"]
    sheet = (tmp_path / "tickets.html").read_text(encoding="utf-8")
    assert sheet.count("<svg") == 3 and rows[0]["url"] in sheet

    path = urlsplit(rows[0]["url"]).path
    page = client.get(path)
    assert page.status_code == 200
    assert db.session.execute(db.select(db.func.count(Response.id))).scalar() == 0


@pytest.mark.parametrize("layout, dots, paper_mm", [("58mm", 384, 58), ("80mm", 576, 80)])
def test_receipt_tickets_are_the_printers_width_in_dots_and_decode(
    app, client, runner, tmp_path, layout, dots, paper_mm
):
    """A receipt printer prints 8 dots a millimetre: 384 across a 58 mm roll, 576 across 80 mm."""
    _campaign, point = _point()
    result = runner.invoke(
        args=["survey", "tickets", "--point", point.code, "--count", "2", "--out", str(tmp_path)]
        + ["--format", layout]
    )
    assert result.exit_code == 0, result.output
    with open(tmp_path / "tickets.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for number, row in enumerate(rows, 1):
        png = tmp_path / f"ticket-{number:05d}-{layout}.png"
        with Image.open(png) as image:
            assert image.width == dots and image.mode == "1"  # black and white, dot for dot
            assert image.height > dots  # the code and its text, lengthwise
        assert decode_qr(png) == row["url"]
    assert not (tmp_path / "tickets.html").exists()
    pages = pypdf.PdfReader(tmp_path / f"tickets-{layout}.pdf").pages
    assert len(pages) == 2
    assert round(float(pages[0].mediabox.width) / 72 * 25.4) == paper_mm
    assert client.get(urlsplit(rows[0]["url"]).path).status_code == 200


def test_receipt_images_in_the_pdf_decode_too(app, runner, tmp_path):
    _campaign, point = _point()
    args = ["survey", "tickets", "--point", point.code, "--count", "1", "--out", str(tmp_path)]
    assert runner.invoke(args=args + ["--format", "58mm"]).exit_code == 0
    page = pypdf.PdfReader(tmp_path / "tickets-58mm.pdf").pages[0]
    image = Image.open(io.BytesIO(page.images[0].data))
    image.save(tmp_path / "from-pdf.png")
    with open(tmp_path / "tickets.csv", encoding="utf-8") as handle:
        assert decode_qr(tmp_path / "from-pdf.png") == next(csv.DictReader(handle))["url"]


def test_tickets_are_audited_like_the_printed_sheet_of_the_web(app, runner, tmp_path):
    campaign, point = _point()
    result = runner.invoke(
        args=["survey", "tickets", "--point", point.code, "--count", "3", "--out", str(tmp_path)],
        env={"LOGNAME": "ops-wang"},
    )
    assert result.exit_code == 0, result.output
    first = db.session.execute(db.select(db.func.min(Ticket.id))).scalar_one()
    event = db.session.execute(db.select(AuditEvent)).scalar_one()
    assert (event.action, event.entity, event.entity_id) == (
        "tickets.issue",
        "service_point",
        str(point.id),
    )
    assert (event.campaign_id, event.user_id, event.actor) == (campaign.id, None, "cli:ops-wang")
    assert json.loads(event.after) == {"point": "zwfw-a1", "count": 3, "first_ticket_id": first}


def test_bad_input_stores_and_writes_nothing(app, runner, tmp_path):
    _campaign, point = _point()
    out = tmp_path / "out"
    for args, message in [
        (["qr", "--point", "nope", "--out", str(out)], "unknown service point"),
        (["tickets", "--point", "nope", "--count", "2", "--out", str(out)], "unknown"),
        (["tickets", "--point", point.code, "--count", "0", "--out", str(out)], "--count"),
        (["tickets", "--point", point.code, "--count", "10001", "--out", str(out)], "--count"),
    ]:
        result = runner.invoke(args=["survey", *args])
        assert result.exit_code == 1
        assert message in result.output
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = runner.invoke(
        args=[
            "survey",
            "tickets",
            "--point",
            point.code,
            "--count",
            "2",
            "--out",
            str(blocker / "sub"),
        ]
    )
    assert result.exit_code == 1 and "cannot write" in result.output
    assert not out.exists()
    assert db.session.execute(db.select(db.func.count(Ticket.id))).scalar() == 0
    assert db.session.execute(db.select(AuditEvent)).first() is None


def test_no_open_campaign_no_tickets(app, runner, tmp_path):
    campaign, point = _point()
    campaign.channels = "qr link"
    db.session.commit()
    result = runner.invoke(
        args=["survey", "tickets", "--point", point.code, "--count", "2", "--out", str(tmp_path)]
    )
    assert result.exit_code == 1 and "no open campaign" in result.output
    assert db.session.execute(db.select(db.func.count(Ticket.id))).scalar() == 0


def _tickets(runner, point, out, *extra: str):  # type: ignore[no-untyped-def]
    args = ["survey", "tickets", "--point", point.code, "--count", "2", "--out", str(out)]
    return runner.invoke(args=[*args, *extra], env={"LANG": "en_GB.UTF-8"})


def _ticket_count() -> int:
    return db.session.execute(db.select(db.func.count(Ticket.id))).scalar_one()


def test_tickets_are_printed_ahead_for_a_draft_named_with_campaign(app, client, runner, tmp_path):
    """Counters get their rolls before the first day, and a draft is tried with a ticket of a
    sheet printed for it (README, "A new campaign"): the web's sheet allows it, so does this."""
    campaign, point = _point()
    campaign.draft = True
    db.session.commit()
    # Nothing serves the point yet: the command says how to print ahead, and prints nothing.
    refused = _tickets(runner, point, tmp_path / "no")
    assert refused.exit_code == 1 and f"--campaign {campaign.code}" in refused.output
    assert _ticket_count() == 0 and not (tmp_path / "no").exists()

    done = _tickets(runner, point, tmp_path, "--campaign", campaign.code)
    assert done.exit_code == 0, done.output
    assert _ticket_count() == 2
    assert f"Campaign {campaign.code} is a draft" in done.output
    assert "test mode only" in done.output
    with open(tmp_path / "tickets.csv", encoding="utf-8") as handle:
        url = next(csv.DictReader(handle))["url"]
    # Anyone scanning it before the campaign opens is told the survey has not started.
    assert client.get(urlsplit(url).path).status_code == 410
    campaign.draft = False
    db.session.commit()
    assert client.get(urlsplit(url).path).status_code == 200


def test_tickets_printed_before_a_campaign_begins_say_when_and_warn_of_expiry(
    app, runner, tmp_path
):
    campaign, point = _point()
    campaign.opens_at = utcnow() + dt.timedelta(days=7)
    db.session.commit()
    soon = _tickets(runner, point, tmp_path / "soon", "--campaign", campaign.code)
    assert soon.exit_code == 0, soon.output
    day = campaign.opens_at.date().isoformat()
    assert f"Campaign {campaign.code} takes answers from {day}" in soon.output
    assert "expire" not in soon.output
    campaign.opens_at = utcnow() + dt.timedelta(days=60)  # past SURVEY_TICKET_DAYS (30)
    db.session.commit()
    late = _tickets(runner, point, tmp_path / "late", "--campaign", campaign.code)
    assert late.exit_code == 0, late.output
    assert "These tickets expire on" in late.output and "nearer its start" in late.output


def test_a_named_campaign_that_cannot_take_the_tickets_is_refused(app, runner, tmp_path):
    campaign, point = _point()
    other = gen_campaign([gen_unit("gaj")])
    closed = gen_campaign([point.unit], period_end=utcnow().date() - dt.timedelta(days=2))
    closed.period_start = closed.period_end - dt.timedelta(days=30)
    no_tickets = gen_campaign([point.unit])
    no_tickets.channels = "qr link"
    db.session.commit()
    for code, said in (
        ("nope", "no campaign with code 'nope'"),
        (other.code, f"is not evaluated in campaign {other.code}"),
        (closed.code, f"Campaign {closed.code} is closed."),
        (no_tickets.code, f"Campaign {no_tickets.code} does not use receipt tickets."),
    ):
        result = _tickets(runner, point, tmp_path / code, "--campaign", code)
        assert result.exit_code != 0 and said in result.output, result.output
        assert not (tmp_path / code).exists()
    assert _ticket_count() == 0
    assert db.session.execute(db.select(AuditEvent)).first() is None
