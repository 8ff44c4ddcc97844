"""A look-back (回头看) that finds a fix not, or only partly, rectified renews it.

The unit must rectify it again by a new deadline: the round looked back keeps
its report and look-back, and a new round of the same fix follows it, open for
the unit's report; "rectified" closes the fix. The issued opinion (its frozen
content, its PDF and Word document) stays as the unit received it. The clock is
pinned (deadlines are the office's calendar days): issued on 10 January 2026,
the fix due on 31 March.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import docx
import time_machine
from sqlalchemy import func, select
from test_opinions import (  # noqa: F401 (world: the fixture)
    NOW,
    _alert,
    _client,
    _issue,
    world,
)

from survey.extensions import db
from survey.models import AuditEvent, RequiredFix
from survey.scorecard.fixes import fix_board

LATER = dt.datetime(2026, 4, 15, 2, 0, tzinfo=dt.UTC)  # the look-back, after the deadline


def _rounds(opinion_id: int) -> list[RequiredFix]:
    db.session.expire_all()
    return list(
        db.session.execute(
            select(RequiredFix)
            .where(RequiredFix.opinion_id == opinion_id)
            .order_by(RequiredFix.position, RequiredFix.round)
        ).scalars()
    )


def _look_back(client, fix_id: int, lang: str = "en", **form: str):  # type: ignore[no-untyped-def]
    return client.post(f"/evaluate/fix/{fix_id}/look-back?lang={lang}", data=form)


def _done(response) -> bool:  # type: ignore[no-untyped-def]
    """Taken: back to the page it was sent from (not to the sign-in page)."""
    return response.status_code == 302 and "/login" not in response.headers["Location"]


def _look_backs() -> int:
    return db.session.execute(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "fix.look_back")
    ).scalar_one()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_fix_not_rectified_needs_a_new_later_deadline_or_nothing_changes(
    app,
    world,  # noqa: F811
) -> None:
    cycle, a, _b, people = world
    with time_machine.travel(NOW, tick=False):
        opinion = _issue(app, cycle, a, people)
    fix = opinion.fixes[0]
    with time_machine.travel(dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC), tick=False):
        liaison = _client(app, people["liaison_a"])
        report = liaison.post(
            f"/evaluate/unit-opinions/fix/{fix.id}/report", data={"report": "整理了一半"}
        )
        assert _done(report)
    with time_machine.travel(LATER, tick=False):
        checker = _client(app, people["checker"])
        note = {"note": "档案仍未整理完", "outcome": "not_rectified"}
        missing = _look_back(checker, fix.id, **note)
        assert missing.status_code == 400
        assert "give the new deadline of its next round" in _alert(missing.text)
        # The form comes back as it was sent, to be completed.
        assert "档案仍未整理完</textarea>" in missing.text
        assert '<option value="not_rectified" selected>' in missing.text
        zh = _look_back(checker, fix.id, lang="zh_Hans", **note)
        assert "请填写下一轮整改的新期限" in _alert(zh.text)
        for due, said in (
            ("2026-04-15", "2026-04-15 has already passed"),  # today is not later than today
            ("2026-04-01", "has already passed"),
            ("15/06/2026", "Give the deadline as a date"),
        ):
            refused = _look_back(checker, fix.id, due=due, **note)
            assert refused.status_code == 400 and said in _alert(refused.text), due
        partly = _look_back(checker, fix.id, due="", note="部分完成", outcome="partly")
        assert "give the new deadline" in _alert(partly.text)
        # "Rectified" closes the fix: a new deadline with it is a slip, and is refused.
        slip = _look_back(checker, fix.id, due="2026-06-30", note="已整改", outcome="rectified")
        assert slip.status_code == 400 and "takes no new deadline" in _alert(slip.text)
        zh = _look_back(checker, fix.id, lang="zh_Hant", due="2026-06-30", outcome="rectified")
        assert zh.status_code == 400 and _alert(zh.text)  # the note is missing, said in zh_Hant
    [same] = _rounds(opinion.id)
    assert (same.outcome, same.look_back, same.report) == (None, None, "整理了一半")
    assert _look_backs() == 0


def test_a_look_back_not_rectified_opens_the_next_round_and_keeps_the_first(
    app,
    world,  # noqa: F811
) -> None:
    cycle, a, _b, people = world
    with time_machine.travel(NOW, tick=False):
        opinion = _issue(app, cycle, a, people)
        liaison = _client(app, people["liaison_a"])
        url = f"/evaluate/unit-opinions/fix/{opinion.fixes[0].id}/report"
        assert _done(liaison.post(url, data={"report": "整理了一半"}))
    content = opinion.content
    first_id = opinion.fixes[0].id
    with time_machine.travel(LATER, tick=False):
        # Three months on: both sign in again.
        checker, liaison = _client(app, people["checker"]), _client(app, people["liaison_a"])
        done = _look_back(
            checker, first_id, note="档案仍未整理完", outcome="not_rectified", due="２０２６-06-30"
        )
        assert _done(done)
        page = checker.get(done.headers["Location"] + "?lang=en").text
        assert "Round 2 of the fix is open for the unit&#39;s report until Jun 30, 2026" in page
        first, second = _rounds(opinion.id)
        # The first round is history: its report and look-back as they were.
        assert (first.round, first.report, first.outcome) == (1, "整理了一半", "not_rectified")
        assert first.look_back == "档案仍未整理完" and first.looked_back_at is not None
        # The second: the same fix, the new deadline, open for the unit's report.
        assert (second.round, second.follows_id, second.position) == (2, first.id, 1)
        assert (second.text, second.due) == (first.text, dt.date(2026, 6, 30))
        assert second.report is None and second.outcome is None
        assert first.followed_by is second and second.follows is first
        text = _text(page)
        assert re.findall(r"<h3>(\d+)\. ", page) == ["1"]  # still one fix, numbered 1
        assert "continued in a new round" in text
        assert "Round 2, after the look-back of Apr 15, 2026: not rectified" in text
        assert "Due Jun 30, 2026 · open" in text
        # One look-back form: the standing round's.
        assert page.count('class="noprint look-back"') == 1
        assert f"/evaluate/fix/{second.id}/look-back" in page
        # The unit sees both rounds, and reports on the new one only.
        mine = liaison.get(f"/evaluate/unit-opinions/{opinion.id}?lang=en").text
        assert "整理了一半" in mine and "档案仍未整理完" in mine
        assert "Round 2, after the look-back of Apr 15, 2026: not rectified" in _text(mine)
        assert f"/evaluate/unit-opinions/fix/{second.id}/report" in mine
        assert f"/evaluate/unit-opinions/fix/{first.id}/report" not in mine
        again = liaison.post(
            f"/evaluate/unit-opinions/fix/{first.id}/report?lang=en", data={"report": "改写"}
        )
        assert again.status_code == 400 and "closed" in _alert(again.text)
        sent = liaison.post(
            f"/evaluate/unit-opinions/fix/{second.id}/report", data={"report": "已全部整理"}
        )
        assert _done(sent)
        listing = _text(liaison.get("/evaluate/unit-opinions?lang=en").text)
        assert "1: reported, waiting for the look-back (round 2)" in listing
        word = liaison.get(f"/evaluate/opinion/{opinion.id}.docx?lang=en")
    first, second = _rounds(opinion.id)
    assert (first.report, second.report) == ("整理了一半", "已全部整理")
    # The opinion as issued is what the unit received: its content and documents unchanged.
    db.session.refresh(opinion)
    assert opinion.content == content
    assert [f["due"] for f in json.loads(content)["fixes"]] == ["2026-03-31"]
    assert word.status_code == 200
    cells = [
        [c.text for c in row.cells]
        for table in docx.Document(io.BytesIO(word.data)).tables
        for row in table.rows
    ]
    assert ["1", "三个月内完成档案整理", "Mar 31, 2026"] in cells
    assert not any("Jun 30, 2026" in cell for row in cells for cell in row)
    # The trail says what the look-back found and which round it opened.
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "fix.look_back")
    ).scalar_one()
    assert event.entity_id == str(first.id)
    assert json.loads(event.after or "{}") == {
        "outcome": "not_rectified",
        "round": 1,
        "next_fix": second.id,
        "next_round": 2,
        "next_due": "2026-06-30",
    }


def test_the_board_and_the_api_follow_the_round_that_stands(app, world) -> None:  # noqa: F811
    cycle, a, _b, people = world
    with time_machine.travel(NOW, tick=False):
        opinion = _issue(app, cycle, a, people)
    first_id = opinion.fixes[0].id
    with time_machine.travel(LATER, tick=False):
        checker = _client(app, people["checker"])
        # Overdue (no report by 31 March) until the look-back renews it.
        assert [r.status for r in fix_board()] == ["overdue"]
        _look_back(checker, first_id, note="未整改", outcome="not_rectified", due="2026-05-31")
        rows = fix_board()
        assert [(r.fix.round, r.status) for r in rows] == [(2, "open")]
        board = checker.get("/evaluate/fixes?lang=en").text
        assert re.findall(r'<tr class="status-(\w+)">', board) == ["open"]
        assert "Round 2, after the look-back of Apr 15, 2026: not rectified" in board
        assert "overdue: <strong>0</strong>" in board and "closed: <strong>0</strong>" in board
    with time_machine.travel(dt.datetime(2026, 6, 3, 2, 0, tzinfo=dt.UTC), tick=False):
        # The new round's own deadline is what can pass.
        checker = _client(app, people["checker"])
        board = checker.get("/evaluate/fixes?lang=en").text
        assert re.findall(r'<tr class="status-(\w+)">', board) == ["overdue"]
        assert "3 days late" in board
        second = _rounds(opinion.id)[1]
        done = _look_back(checker, second.id, note="大部分完成", outcome="partly", due="2026-07-31")
        assert _done(done)
        third = _rounds(opinion.id)[2]
        assert (third.round, third.follows_id, third.due) == (3, second.id, dt.date(2026, 7, 31))
        api = _api(app)
        [fix] = api.get("/api/v1/cycles/mini/opinions").get_json()["opinions"][0]["fixes"]
        assert fix == {
            "position": 1,
            "text": "三个月内完成档案整理",
            "round": 3,
            "due": "2026-07-31",
            "status": "open",
            "outcome": None,
            "earlier_rounds": [
                {
                    "round": 1,
                    "due": "2026-03-31",
                    "outcome": "not_rectified",
                    "looked_back_on": "2026-04-15",
                },
                {
                    "round": 2,
                    "due": "2026-05-31",
                    "outcome": "partly",
                    "looked_back_on": "2026-06-03",
                },
            ],
        }
        closed = _look_back(checker, third.id, note="已整改到位", outcome="rectified")
        assert _done(closed)
        assert len(_rounds(opinion.id)) == 3  # rectified: no round follows
        board = checker.get("/evaluate/fixes?lang=en").text
        assert re.findall(r'<tr class="status-(\w+)">', board) == ["closed"]
        assert "Round 3, after the look-back of Jun 3, 2026: partly rectified" in board
        page = _text(
            checker.get(f"/evaluate/cycle/{cycle.id}/unit/{a.id}/opinion/2025?lang=en").text
        )
        assert page.count("continued in a new round") == 2
        assert "Look-back: rectified · 已整改到位" in page
        assert 'class="noprint look-back"' not in page


def _api(app):  # type: ignore[no-untyped-def]
    from survey.access.accounts import issue_api_token

    _row, token = issue_api_token("performance system")
    db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def test_a_liaison_cannot_record_a_look_back(app, world) -> None:  # noqa: F811
    cycle, a, _b, people = world
    with time_machine.travel(NOW, tick=False):
        opinion = _issue(app, cycle, a, people)
        liaison = _client(app, people["liaison_a"])
        refused = _look_back(
            liaison, opinion.fixes[0].id, note="x", outcome="not_rectified", due="2026-06-30"
        )
        assert refused.status_code == 403
    assert len(_rounds(opinion.id)) == 1


def test_a_fixs_rounds_are_drawn_by_one_macro_on_both_pages() -> None:
    """The evaluators' opinion page and the unit's show a fix's rounds alike: one macro draws
    the fix, each round's heading, deadline and state, so the two cannot drift apart."""
    folder = Path(__file__).resolve().parent.parent / "survey" / "templates" / "evaluate"
    drawing = sorted(p.name for p in folder.glob("*.html") if 'class="fix-round"' in p.read_text())
    assert drawing == ["_opinion.html"]
    for page in ("opinion.html", "unit_opinion.html"):
        assert "{% call(fix) fix_rounds(item" in (folder / page).read_text(encoding="utf-8")
