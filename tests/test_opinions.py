"""One unit, one opinion: drafted, reviewed, approved and issued; its fixes followed up.

Two evaluators (whoever drafts does not pass the draft), a liaison per unit
who sees their own unit's issued opinions only, and a pinned clock (deadlines
are calendar days). Every refusal says why in the reader's language and
leaves the database as it was; the documents are opened the way a reader
opens them (python-docx, poppler).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import subprocess
from html import unescape
from pathlib import Path

import docx
import pypdf
import pytest
import time_machine
from factories import gen_user
from flask_babel import refresh
from scorecard_support import mini_cycle
from sqlalchemy import func, select
from tools_support import require_tool

from survey.extensions import db
from survey.models import (
    Answer,
    AuditEvent,
    ItemScore,
    Opinion,
    ReportComment,
    RequiredFix,
    Response,
)
from survey.scorecard.entries import record_data, record_score

NOW = dt.datetime(2026, 1, 10, 2, 0, tzinfo=dt.UTC)
POPPLER_HOW = "install poppler-utils (apt-get install poppler-utils)"
STANDARD_14 = re.compile(r"^(Helvetica|Times|Courier|Symbol|ZapfDingbats)")


def _score(cycle, unit, on_site: float) -> None:  # type: ignore[no-untyped-def]
    record_score(cycle, unit, 2025, "work.done", source="on_site", score=on_site)
    record_data(cycle, unit, 2025, "work.rate", numerator=45, denominator=50)
    record_score(cycle, unit, 2025, "people.self", source="self", score=1)


def _comment(unit, text: str, which: int, flagged: bool = False) -> None:  # type: ignore[no-untyped-def]
    """A comment on one of the unit's 2025 cards, chosen for the unit's report."""
    response = (
        db.session.execute(
            select(Response).where(Response.unit_id == unit.id).order_by(Response.id.desc())
        )
        .scalars()
        .all()[which]
    )
    answer = Answer(question_id="comment", value=text)
    response.answers.append(answer)
    response.flagged = flagged
    db.session.flush()
    db.session.add(ReportComment(answer_id=answer.id))


@pytest.fixture
def world(app, tmp_path: Path):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["SURVEY_EVIDENCE_DIR"] = str(tmp_path / "evidence")
    cycle, a, b = mini_cycle(app, tmp_path / "frameworks")
    _score(cycle, a, 3)
    _score(cycle, b, 4)
    _comment(a, "窗口服务很耐心", 0)
    _comment(a, "刷出来的意见", 1, flagged=True)
    db.session.commit()
    refresh()
    people = {
        "drafter": gen_user("evaluator", display_name="起草人"),
        "checker": gen_user("evaluator", display_name="审核人"),
        "liaison_a": gen_user("liaison", unit_id=a.id),
        "liaison_b": gen_user("liaison", unit_id=b.id),
    }
    return cycle, a, b, people


def _client(app, user):  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.post("/login", data={"username": user.username, "password": "correct horse battery"})
    return client


def _alert(html: str) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', html, re.S)
    return unescape(found.group(1)).strip() if found else ""


def _count(model: type) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _url(cycle, unit, tail: str = "") -> str:  # type: ignore[no-untyped-def]
    return f"/evaluate/cycle/{cycle.id}/unit/{unit.id}/opinion/2025{tail}"


def _issue(app, cycle, unit, people) -> Opinion:  # type: ignore[no-untyped-def]
    """The drafter writes and asks for one fix; the checker reviews, approves and issues."""
    drafter, checker = _client(app, people["drafter"]), _client(app, people["checker"])
    text = {"problems": "档案管理不规范\n岗位设置超编", "suggestions": "建立台账"}
    assert drafter.post(_url(cycle, unit), data=text).status_code == 302
    fix = {"text": "三个月内完成档案整理", "due": "2026-03-31"}
    assert drafter.post(_url(cycle, unit, "/fixes"), data=fix).status_code == 302
    for action in ("review", "approve", "issue"):
        done = checker.post(_url(cycle, unit, "/step"), data={"action": action})
        assert done.status_code == 302, _alert(done.text)
    return db.session.execute(select(Opinion).where(Opinion.unit_id == unit.id)).scalar_one()


@time_machine.travel(NOW, tick=False)
def test_an_opinion_is_drafted_reviewed_approved_and_issued_by_two_people(app, world) -> None:
    cycle, a, _b, people = world
    drafter, checker = _client(app, people["drafter"]), _client(app, people["checker"])
    assert "No opinion yet" in drafter.get(_url(cycle, a, "?lang=en")).text
    assert drafter.post(_url(cycle, a), data={"problems": "档案管理不规范"}).status_code == 302
    # Bad deadlines: refused in the reader's language, nothing added.
    for due, said in (("31/03/2026", "Give the deadline as a date"), ("2026-01-10", "passed")):
        refused = drafter.post(_url(cycle, a, "/fixes?lang=en"), data={"text": "整改", "due": due})
        assert refused.status_code == 400 and said in _alert(refused.text)
    zh = drafter.post(_url(cycle, a, "/fixes?lang=zh_Hans"), data={"text": "", "due": "2026-03-31"})
    assert zh.status_code == 400 and "整改" in _alert(zh.text)
    assert _count(RequiredFix) == 0
    assert (
        drafter.post(
            _url(cycle, a, "/fixes"), data={"text": "完成档案整理", "due": "2026-03-31"}
        ).status_code
        == 302
    )
    # Four eyes: the drafter cannot pass their own draft.
    own = drafter.post(_url(cycle, a, "/step?lang=en"), data={"action": "review"})
    assert own.status_code == 400 and "cannot review or approve" in _alert(own.text)
    skipped = checker.post(_url(cycle, a, "/step?lang=en"), data={"action": "issue"})
    assert skipped.status_code == 400 and "present state" in _alert(skipped.text)
    for action in ("review", "approve"):
        assert checker.post(_url(cycle, a, "/step"), data={"action": action}).status_code == 302
    # Approved: the text is no longer a draft's, and stays as it was.
    late = drafter.post(_url(cycle, a, "?lang=en"), data={"problems": "改掉"})
    assert late.status_code == 400 and "no longer a draft" in _alert(late.text)
    assert checker.post(_url(cycle, a, "/step"), data={"action": "issue"}).status_code == 302
    opinion = db.session.execute(select(Opinion)).scalar_one()
    assert opinion.state == "issued" and opinion.problems == "档案管理不规范"
    steps = db.session.execute(
        select(AuditEvent.action, AuditEvent.actor).where(AuditEvent.entity == "opinion")
    ).all()
    names = {u.username: k for k, u in people.items()}
    assert [(action, names[actor]) for action, actor in steps] == [
        ("opinion.start", "drafter"),
        ("opinion.save_text", "drafter"),
        ("opinion.add_fix", "drafter"),
        ("opinion.review", "checker"),
        ("opinion.approve", "checker"),
        ("opinion.issue", "checker"),
    ]
    page = checker.get(_url(cycle, a, "?lang=en")).text
    assert "审核人" in page and "Issued" in page
    # What was issued is frozen: a later on-site score does not change it.
    total = re.search(r"<th>Total</th><td class=\"num\">([^<]*)</td>", page)
    assert total is not None
    db.session.execute(
        ItemScore.__table__.update().where(ItemScore.unit_id == a.id).values(score=0)
    )
    db.session.commit()
    assert total.group(1) in checker.get(_url(cycle, a, "?lang=en")).text


@time_machine.travel(NOW, tick=False)
def test_the_opinion_carries_only_the_comments_disclosure_publishes(app, world) -> None:
    cycle, a, _b, people = world
    drafter = _client(app, people["drafter"])
    listing = drafter.get(f"/evaluate/cycle/{cycle.id}?year=2025&lang=en").text
    assert "none yet" in listing and _url(cycle, a) in listing
    drafter.post(_url(cycle, a), data={"problems": "x"})
    page = drafter.get(_url(cycle, a, "?lang=en")).text
    assert "窗口服务很耐心" in page and "刷出来的意见" not in page
    listing = drafter.get(f"/evaluate/cycle/{cycle.id}?year=2025&lang=en").text
    assert ">draft</a>" in listing


@time_machine.travel(NOW, tick=False)
def test_an_unscored_year_cannot_be_issued(app, world) -> None:
    cycle, a, _b, people = world
    db.session.execute(ItemScore.__table__.delete().where(ItemScore.unit_id == a.id))
    db.session.commit()
    drafter, checker = _client(app, people["drafter"]), _client(app, people["checker"])
    drafter.post(_url(cycle, a), data={"problems": "x"})
    for action in ("review", "approve"):
        checker.post(_url(cycle, a, "/step"), data={"action": action})
    refused = checker.post(_url(cycle, a, "/step?lang=en"), data={"action": "issue"})
    assert refused.status_code == 400 and "not scored" in _alert(refused.text)
    assert db.session.execute(select(Opinion.state)).scalar_one() == "approved"


@time_machine.travel(NOW, tick=False)
def test_a_liaison_sees_only_their_units_issued_opinion(app, world) -> None:
    cycle, a, _b, people = world
    drafter = _client(app, people["drafter"])
    drafter.post(_url(cycle, a), data={"problems": "x"})
    draft = db.session.execute(select(Opinion)).scalar_one()
    mine, theirs = _client(app, people["liaison_a"]), _client(app, people["liaison_b"])
    # A draft is nobody's business outside the office.
    assert mine.get(f"/evaluate/unit-opinions/{draft.id}").status_code == 404
    assert mine.get(f"/evaluate/opinion/{draft.id}.pdf").status_code == 404
    assert "No opinion has been issued" in mine.get("/evaluate/unit-opinions?lang=en").text
    assert mine.get(_url(cycle, a)).status_code == 403
    db.session.delete(draft)
    db.session.commit()
    opinion = _issue(app, cycle, a, people)
    listing = mine.get("/evaluate/unit-opinions?lang=en").text
    assert f"/evaluate/unit-opinions/{opinion.id}" in listing
    page = mine.get(f"/evaluate/unit-opinions/{opinion.id}?lang=en").text
    assert "档案管理不规范" in page and "三个月内完成档案整理" in page
    fix = opinion.fixes[0]
    for url in (
        f"/evaluate/unit-opinions/{opinion.id}",
        f"/evaluate/opinion/{opinion.id}.pdf",
        f"/evaluate/opinion/{opinion.id}.docx",
    ):
        assert theirs.get(url).status_code == 404, url
    sneaked = theirs.post(f"/evaluate/unit-opinions/fix/{fix.id}/report", data={"report": "x"})
    assert sneaked.status_code == 404
    assert "三个月内" not in theirs.get("/evaluate/unit-opinions").text
    db.session.refresh(fix)
    assert fix.report is None


@time_machine.travel(NOW, tick=False)
def test_a_fix_is_reported_looked_back_and_shown_overdue(app, world) -> None:
    cycle, a, b, people = world
    first = _issue(app, cycle, a, people)
    second = _issue(app, cycle, b, people)
    liaison, checker = _client(app, people["liaison_a"]), _client(app, people["checker"])
    fix = first.fixes[0]
    url = f"/evaluate/unit-opinions/fix/{fix.id}/report"
    blank = liaison.post(url + "?lang=zh_Hans", data={"report": "  "})
    assert blank.status_code == 400 and _alert(blank.text).startswith("请写")
    assert liaison.post(url, data={"report": "已完成整理，附目录"}).status_code == 302
    # Before the look-back, nothing is overdue; the reported fix waits.
    board = checker.get("/evaluate/fixes?lang=en").text
    assert "reported, waiting for the look-back" in board and "days late" not in board
    with time_machine.travel(dt.datetime(2026, 4, 10, 2, 0, tzinfo=dt.UTC), tick=False):
        # Three months on, the morning's session has ended: sign in again.
        board = _client(app, people["checker"]).get("/evaluate/fixes?lang=en").text
        rows = re.findall(r'<tr class="status-(\w+)">.*?</tr>', board, re.S)
        assert rows == ["overdue", "reported"]
        assert "10 days late" in board and b.name in board
    wrong = checker.post(f"/evaluate/fix/{fix.id}/look-back?lang=en", data={"note": "看过"})
    assert wrong.status_code == 400 and "Choose what the look-back found" in _alert(wrong.text)
    done = checker.post(
        f"/evaluate/fix/{fix.id}/look-back", data={"note": "现场核实", "outcome": "rectified"}
    )
    assert done.status_code == 302
    db.session.refresh(fix)
    assert fix.outcome == "rectified" and fix.closed
    late = liaison.post(url + "?lang=en", data={"report": "再报"})
    assert late.status_code == 400 and "closed" in _alert(late.text)
    db.session.refresh(fix)
    assert fix.report == "已完成整理，附目录"
    assert second.fixes[0].report is None


def _poppler(tool: str, *args: str) -> str:
    return subprocess.run(
        [require_tool(tool, POPPLER_HOW), *args], capture_output=True, text=True, check=True
    ).stdout


@time_machine.travel(NOW, tick=False)
def test_the_issued_opinion_as_pdf_and_word(app, world, tmp_path: Path) -> None:
    cycle, a, _b, people = world
    opinion = _issue(app, cycle, a, people)
    liaison = _client(app, people["liaison_a"])
    word = liaison.get(f"/evaluate/opinion/{opinion.id}.docx?lang=en")
    assert word.status_code == 200 and "attachment" in word.headers["Content-Disposition"]
    document = docx.Document(io.BytesIO(word.data))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == f"Evaluation opinion: {a.name}"
    assert "档案管理不规范" in paragraphs and "建立台账" in paragraphs
    cells = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    assert ["1", "三个月内完成档案整理", "Mar 31, 2026"] in cells
    assert any(row[0] == "Total" for row in cells)
    pdf = liaison.get(f"/evaluate/opinion/{opinion.id}.pdf?lang=zh_Hans")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    # The words, as any PDF reader extracts them (pypdf here; poppler below where installed).
    words = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert "评估意见" in words and "三个月内完成档案整理" in words.replace(" ", "")
    path = tmp_path / "opinion.pdf"
    path.write_bytes(pdf.data)
    fonts = [line.split() for line in _poppler("pdffonts", str(path)).splitlines()[2:]]
    assert fonts
    for row in fonts:
        assert (row[-5], row[-4], row[-3]) == ("yes", "yes", "yes"), row
        assert not STANDARD_14.match(row[0].partition("+")[2] or row[0]), row
    text = _poppler("pdftotext", str(path), "-").replace(" ", "")
    assert a.name in text and "三个月内完成档案整理" in text and "窗口服务很耐心" in text


@time_machine.travel(NOW, tick=False)
def test_a_report_may_carry_its_document_seen_only_by_its_unit_and_the_office(
    app, world, tmp_path: Path
) -> None:
    cycle, a, _b, people = world
    fix = _issue(app, cycle, a, people).fixes[0]
    liaison, other = _client(app, people["liaison_a"]), _client(app, people["liaison_b"])
    url = f"/evaluate/unit-opinions/fix/{fix.id}/report"
    fake = liaison.post(
        url + "?lang=en",
        data={"report": "已整改", "file": (io.BytesIO(b"MZ\x90\x00"), "整改报告.pdf")},
    )
    assert fake.status_code == 400 and "not really a PDF" in _alert(fake.text)
    db.session.refresh(fix)
    assert fix.report is None and fix.report_file is None
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    sent = liaison.post(url, data={"report": "已整改", "file": (io.BytesIO(pdf), "整改报告.pdf")})
    assert sent.status_code == 302
    db.session.refresh(fix)
    assert fix.report_filename == "整改报告.pdf" and fix.report_file is not None
    assert (tmp_path / "evidence" / fix.report_file).read_bytes() == pdf
    download = f"/evaluate/fix/{fix.id}/report-file"
    got = _client(app, people["checker"]).get(download)
    assert got.status_code == 200 and got.data == pdf
    assert "attachment" in got.headers["Content-Disposition"]
    got.close()  # send_file's handle, closed as a server closes it after sending
    mine = liaison.get(download)
    mine.close()
    assert mine.status_code == 200
    assert other.get(download).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_a_reviewed_opinion_returns_to_draft_and_its_fixes_change_only_there(app, world) -> None:
    cycle, a, _b, people = world
    drafter, checker = _client(app, people["drafter"]), _client(app, people["checker"])
    drafter.post(_url(cycle, a), data={"problems": "档案管理不规范"})
    for text in ("整理档案", "补充台账"):
        drafter.post(_url(cycle, a, "/fixes"), data={"text": text, "due": "2026-03-31"})
    first, second = db.session.execute(select(RequiredFix).order_by(RequiredFix.id)).scalars()
    assert (first.position, second.position) == (1, 2)
    checker.post(_url(cycle, a, "/step"), data={"action": "review"})
    kept = drafter.post(_url(cycle, a, f"/fixes/{first.id}/delete?lang=en"))
    assert kept.status_code == 400 and "no longer a draft" in _alert(kept.text)
    assert _count(RequiredFix) == 2
    back = checker.post(_url(cycle, a, "/step"), data={"action": "return"})
    assert back.status_code == 302
    opinion = db.session.execute(select(Opinion)).scalar_one()
    assert opinion.state == "draft" and opinion.reviewed_by_id is None
    assert drafter.post(_url(cycle, a, f"/fixes/{first.id}/delete")).status_code == 302
    rows = db.session.execute(select(RequiredFix)).scalars().all()
    assert [(f.position, f.text) for f in rows] == [(1, "补充台账")]
    actions = (
        db.session.execute(
            select(AuditEvent.action).where(AuditEvent.entity == "opinion").order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )
    assert actions == [
        "opinion.start",
        "opinion.save_text",
        "opinion.add_fix",
        "opinion.add_fix",
        "opinion.review",
        "opinion.return",
        "opinion.remove_fix",
    ]


def _events(action: str) -> list[tuple[dict | None, dict | None, str]]:
    rows = db.session.execute(
        select(AuditEvent.before, AuditEvent.after, AuditEvent.actor)
        .where(AuditEvent.action == action)
        .order_by(AuditEvent.id)
    ).all()
    return [(json.loads(b) if b else None, json.loads(a) if a else None, who) for b, a, who in rows]


@time_machine.travel(NOW, tick=False)
def test_each_edit_of_a_draft_is_audited_with_what_it_changed(app, world) -> None:
    cycle, a, _b, people = world
    drafter, checker = _client(app, people["drafter"]), _client(app, people["checker"])
    drafter.post(_url(cycle, a), data={"problems": "档案管理不规范", "suggestions": "建立台账"})
    # Saved again unchanged by the same person: no change, no event.
    drafter.post(_url(cycle, a), data={"problems": "档案管理不规范", "suggestions": "建立台账"})
    # A colleague rewrites the problems: they become the drafter (so may not review it).
    checker.post(_url(cycle, a), data={"problems": "岗位设置超编", "suggestions": "建立台账"})
    drafter_name, checker_name = people["drafter"].username, people["checker"].username
    assert _events("opinion.save_text") == [
        (
            {"problems": "", "suggestions": ""},
            {"problems": "档案管理不规范", "suggestions": "建立台账"},
            drafter_name,
        ),
        (
            {"problems": "档案管理不规范", "drafted_by": drafter_name},
            {"problems": "岗位设置超编", "drafted_by": checker_name},
            checker_name,
        ),
    ]
    for text in ("整理档案", "补充台账"):
        drafter.post(_url(cycle, a, "/fixes"), data={"text": text, "due": "2026-03-31"})
    first = db.session.execute(select(RequiredFix).order_by(RequiredFix.id)).scalars().first()
    assert first is not None
    first_id = first.id
    drafter.post(_url(cycle, a, f"/fixes/{first_id}/delete"))
    added = _events("opinion.add_fix")
    assert [after for _before, after, _who in added] == [
        {"fix": first_id, "position": 1, "text": "整理档案", "due": "2026-03-31"},
        {"fix": first_id + 1, "position": 2, "text": "补充台账", "due": "2026-03-31"},
    ]
    assert _events("opinion.remove_fix") == [
        (
            {"fix": first_id, "position": 1, "text": "整理档案", "due": "2026-03-31"},
            None,
            drafter_name,
        )
    ]
    # A refused edit leaves no event.
    drafter.post(_url(cycle, a, "/fixes"), data={"text": "过期", "due": "2026-01-01"})
    assert len(_events("opinion.add_fix")) == 2
    # The administrator's audit trail shows each edit, before and after.
    admin = _client(app, gen_user("admin"))
    trail = admin.get("/admin/audit?action=opinion.save_text&lang=en").text
    assert "<del>档案管理不规范</del>" in trail and "<ins>岗位设置超编</ins>" in trail
    trail = admin.get("/admin/audit?action=opinion.remove_fix&lang=en").text
    assert "整理档案" in trail and "2026-03-31" in trail
