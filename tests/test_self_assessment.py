"""The liaison's self-assessment, evidence files, and the evaluators' on-site assessment.

A liaison sees their own unit only, ever: pages take no unit from the
address, another unit's evidence is "not found", evaluator pages are refused.
Every refusal leaves the database and the evidence folder as they were.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape
from pathlib import Path

import pytest
import time_machine
from factories import gen_user, login
from flask_babel import refresh
from scorecard_support import mini_cycle

from survey.extensions import db
from survey.models import CycleDeadline, Evidence, ItemScore, MethodNote
from survey.scorecard.evidence import store_evidence
from survey.scorecard.messages import ScorecardError

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.fixture
def setting(app, tmp_path: Path):  # type: ignore[no-untyped-def]
    app.config["SURVEY_EVIDENCE_DIR"] = str(tmp_path / "evidence")
    app.config["WTF_CSRF_ENABLED"] = False
    cycle, a, b = mini_cycle(app, tmp_path / "frameworks")
    db.session.add(
        CycleDeadline(
            cycle_id=cycle.id, year=2025, step="self_assessment", due=dt.date(2026, 1, 31)
        )
    )
    db.session.commit()
    # Setting up asked for translations outside a request (in the default language), which
    # Flask-Babel keeps on the test's app context; forget them, as a real request would.
    refresh()
    return cycle, a, b


def _alert(html: str) -> str:
    """The page's error message, as a reader sees it."""
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', html, re.S)
    return unescape(found.group(1)).strip() if found else ""


def _count(model: type) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()


@time_machine.travel(dt.datetime(2026, 1, 10, 2, 0, tzinfo=dt.UTC), tick=False)
def test_liaison_self_assesses_item_by_item_and_uploads_evidence(client, setting, tmp_path) -> None:
    cycle, a, _ = setting
    login(client, gen_user("liaison", unit_id=a.id))
    home = client.get("/evaluate/self-assessment?lang=en")
    assert home.status_code == 200 and "Mini 2024-2025" in home.text and "Jan 31, 2026" in home.text
    url = f"/evaluate/self-assessment/{cycle.id}/2025"
    page = client.get(url + "?lang=en")
    assert 'name="score-work.done"' in page.text and 'name="score-people.self"' in page.text
    assert 'name="score-people.users"' not in page.text  # a survey item is not self-assessed
    saved = client.post(
        url + "?lang=en",
        data={"score-work.done": "３.5", "note-work.done": "做到了", "score-people.self": "1"},
    )
    assert saved.status_code == 302
    scores = {
        s.item_id: (s.score, s.source, s.note)
        for s in db.session.execute(db.select(ItemScore)).scalars()
    }
    assert scores == {"work.done": (3.5, "self", "做到了"), "people.self": (1.0, "self", "")}
    upload = client.post(
        f"{url}/evidence?lang=en",
        data={"item": "people.self", "file": (io.BytesIO(PDF), "会议记录.pdf")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    row = db.session.execute(db.select(Evidence)).scalar_one()
    stored = tmp_path / "evidence" / row.stored_name
    assert stored.read_bytes() == PDF and row.filename == "会议记录.pdf"
    report = client.post(
        f"{url}/evidence",
        data={"item": "", "file": (io.BytesIO(PNG), "report.png")},
        content_type="multipart/form-data",
    )
    assert report.status_code == 302
    download = client.get(f"/evaluate/evidence/{row.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E4%BC%9A" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    download.close()
    page = client.get(url + "?lang=en")
    assert "会议记录.pdf" in page.text and "report.png" in page.text


@time_machine.travel(dt.datetime(2026, 1, 10, 2, 0, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"score-work.done": "4.5"},
            "Item work.done: 4.5 is above the item's maximum of 4 points.",
        ),
        ({"score-work.done": "x"}, "Item work.done: enter a number."),
        (
            {"score-work.done": "3", "score-people.self": "-1"},
            "Item people.self: a score cannot be below 0.",
        ),
    ],
)
def test_a_bad_score_is_refused_and_nothing_of_the_form_is_saved(
    client, setting, data, message
) -> None:
    cycle, a, _ = setting
    login(client, gen_user("liaison", unit_id=a.id))
    refused = client.post(f"/evaluate/self-assessment/{cycle.id}/2025?lang=en", data=data)
    assert refused.status_code == 400
    assert _alert(refused.text) == f"{message} Nothing was saved."
    assert _count(ItemScore) == 0


@time_machine.travel(dt.datetime(2026, 1, 10, 2, 0, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.exe", b"MZ...", "virus.exe is not a PDF, PNG or JPEG file."),
        (
            "fake.pdf",
            b"<html><script>",
            "fake.pdf is not really a PDF file: its contents say otherwise.",
        ),
        ("empty.png", b"", "empty.png is empty."),
    ],
)
def test_wrong_evidence_is_refused_and_nothing_kept(
    client, setting, tmp_path, name, content, message
) -> None:
    cycle, a, _ = setting
    login(client, gen_user("liaison", unit_id=a.id))
    refused = client.post(
        f"/evaluate/self-assessment/{cycle.id}/2025/evidence?lang=en",
        data={"item": "work.done", "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    assert _alert(refused.text) == f"{message} Nothing was saved."
    assert _count(Evidence) == 0
    folder = tmp_path / "evidence"
    assert not folder.exists() or list(folder.iterdir()) == []


@time_machine.travel(dt.datetime(2026, 1, 10, 2, 0, tzinfo=dt.UTC), tick=False)
def test_too_large_evidence_is_refused_before_it_is_read(app, client, setting, tmp_path) -> None:
    cycle, a, _ = setting
    app.config["SURVEY_EVIDENCE_MAX_BYTES"] = 64 * 1024
    login(client, gen_user("liaison", unit_id=a.id))
    refused = client.post(
        f"/evaluate/self-assessment/{cycle.id}/2025/evidence?lang=en",
        data={"item": "work.done", "file": (io.BytesIO(b"%PDF-" + b"0" * 70_000), "big.pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 413
    assert "The file is larger than 64 KiB, the most this page takes. Nothing was saved." in (
        unescape(refused.text)
    )
    assert _count(Evidence) == 0
    # The service refuses a file over the limit too, whatever reached it.
    with pytest.raises(ScorecardError) as raised:
        store_evidence(
            cycle, a, 2025, "work.done", filename="big.pdf", data=b"%PDF-" + b"0" * 70_000
        )
    assert raised.value.message() == "big.pdf is larger than 0.0625 MiB, the most a file may be."
    assert not (tmp_path / "evidence").exists() or list((tmp_path / "evidence").iterdir()) == []


@time_machine.travel(dt.datetime(2026, 2, 1, 2, 0, tzinfo=dt.UTC), tick=False)
def test_after_the_deadline_the_self_assessment_is_closed(client, setting) -> None:
    cycle, a, _ = setting
    login(client, gen_user("liaison", unit_id=a.id))
    refused = client.post(
        f"/evaluate/self-assessment/{cycle.id}/2025?lang=en", data={"score-work.done": "3"}
    )
    assert refused.status_code == 400
    assert _alert(refused.text).startswith("The self-assessment of 2025 closed on 2026-01-31.")
    assert _count(ItemScore) == 0


@time_machine.travel(dt.datetime(2026, 1, 10, 2, 0, tzinfo=dt.UTC), tick=False)
def test_a_liaison_never_reaches_another_unit(client, setting) -> None:
    cycle, a, b = setting
    theirs = store_evidence(cycle, b, 2025, "work.done", filename="b.pdf", data=PDF)
    db.session.commit()
    login(client, gen_user("liaison", unit_id=a.id))
    assert client.get(f"/evaluate/evidence/{theirs.id}").status_code == 404
    assert client.post(f"/evaluate/evidence/{theirs.id}/delete").status_code == 404
    assert client.get(f"/evaluate/cycle/{cycle.id}/unit/{b.id}").status_code == 403
    assert client.get(f"/evaluate/cycle/{cycle.id}/unit/{b.id}/assess").status_code == 403
    assert client.get(f"/evaluate/cycle/{cycle.id}").status_code == 403
    # The liaison's pages have no unit in their address: their own is the only one.
    page = client.get(f"/evaluate/self-assessment/{cycle.id}/2025?lang=en")
    assert "甲单位" in page.text and "乙单位" not in page.text and "b.pdf" not in page.text
    assert _count(Evidence) == 1


def test_evaluators_record_on_site_scores_and_notes_per_method(client, setting) -> None:
    cycle, a, _ = setting
    login(client, gen_user("evaluator"))
    url = f"/evaluate/cycle/{cycle.id}/unit/{a.id}/assess"
    page = client.get(url + "?year=2025&lang=en")
    assert 'name="method-work.done-document_review"' in page.text
    saved = client.post(
        url + "?lang=en",
        data={
            "year": "2025",
            "score-work.done": "3.5",
            "method-work.done-document_review": "台账齐全",
            "score-people.self": "0.5",
        },
    )
    assert saved.status_code == 302
    rows = {
        (s.item_id, s.source): s.score for s in db.session.execute(db.select(ItemScore)).scalars()
    }
    assert rows == {("work.done", "on_site"): 3.5, ("people.self", "on_site"): 0.5}
    note = db.session.execute(db.select(MethodNote)).scalar_one()
    assert (note.item_id, note.method, note.note) == ("work.done", "document_review", "台账齐全")
    refused = client.post(url + "?lang=en", data={"year": "2025", "score-work.done": "5"})
    assert refused.status_code == 400
    assert _alert(refused.text).startswith("Item work.done: 5 is above the item's maximum of 4")
    assert _count(ItemScore) == 2


def test_a_liaison_account_needs_its_unit(app) -> None:
    from flask_babel import force_locale

    from survey.access.accounts import AccountError, create_user

    with force_locale("en"), pytest.raises(AccountError, match="A liaison needs the unit"):
        create_user("liaison-without-unit", "correct horse battery", "liaison")
