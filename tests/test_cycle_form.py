"""Opening an evaluation cycle from the web: the form, its refusals, and who may use it.

The form is thin over survey.scorecard.cycles.open_cycle: each refusal is the
service's message, shown beside the field it concerns and in the summary, and
the database (cycles and the audit trail) is unchanged afterwards.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from factories import csrf_token, gen_campaign, gen_unit, gen_user, login
from scorecard_support import use_mini_framework
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AuditEvent, Campaign, Cycle, CycleDeadline, Unit
from survey.scorecard.store import register_versions

URL = "/evaluate/cycles/new"
# Midday in Beijing on 1 June 2024: the form's first year is 2024 whatever today is.
NOW = dt.datetime(2024, 6, 1, 4, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """The clock pinned for the whole test (a session signed on another day would not hold)."""
    with time_machine.travel(NOW, tick=True):
        yield


def _count(model: type) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _setting(app, tmp_path: Path) -> tuple[list[Unit], Campaign, Campaign]:  # type: ignore[no-untyped-def]
    """Units a and b; a campaign of 2024-2025 that surveys both, and a draft for 2026."""
    use_mini_framework(app, tmp_path / "frameworks")
    units = [gen_unit("a", "甲单位"), gen_unit("b", "乙单位")]
    kw = {"groups": {"service_user": {}}}
    opened = gen_campaign(
        units, period_start=dt.date(2024, 1, 1), period_end=dt.date(2025, 12, 31), **kw
    )
    opened.name = "已开始的测评"
    draft = gen_campaign(
        units, period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 12, 31), **kw
    )
    draft.name, draft.draft = "尚未开始的测评", True
    db.session.flush()
    register_versions()
    db.session.commit()
    return units, opened, draft


def _data(units: list[Unit], campaign: Campaign, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "code": "c2024",
        "name": "2024–2025 考评",
        "framework": "mini",
        "first_year": "2024",
        "years": "2",
        "unit_ids": [str(u.id) for u in units],
        "action": "open",
    }
    for i, year in enumerate((2024, 2025)):
        data[f"per_year-{i}-year"] = str(year)
        data[f"per_year-{i}-campaign_id"] = str(campaign.id)
        data[f"per_year-{i}-self_assessment"] = f"{year + 1}-01-31"
        data[f"per_year-{i}-on_site"] = ""
        data[f"per_year-{i}-opinion"] = ""
        data[f"per_year-{i}-rectification"] = ""
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _post(client, data: dict[str, object], lang: str = "en"):  # type: ignore[no-untyped-def]
    token = csrf_token(client, f"{URL}?lang={lang}")
    return client.post(URL, data={"csrf_token": token, **data})


def _options(page: str, name: str) -> list[tuple[str, str]]:
    tag = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert tag, name
    return re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', tag.group(1))


def _row_years(page: str) -> list[str]:
    return re.findall(r'name="per_year-\d+-year" type="hidden" value="(\d+)"', page)


def test_an_evaluator_opens_a_cycle_from_the_cycles_page(app, client, tmp_path: Path) -> None:
    units, opened, draft = _setting(app, tmp_path)
    evaluator = gen_user("evaluator")
    login(client, evaluator)
    assert f'href="{URL}"' in client.get("/evaluate/cycles?lang=en").text
    page = client.get(f"{URL}?lang=en").text
    assert re.search(r'id="first_year"[^>]*value="2024"', page)
    assert re.search(r'id="years"[^>]*value="3"', page)
    assert _row_years(page) == ["2024", "2025", "2026"]
    assert [value for value, _label in _options(page, "framework")] == ["mini"]
    # Only campaigns that are not drafts may feed a year.
    assert [v for v, _label in _options(page, "per_year-0-campaign_id")] == ["0", str(opened.id)]
    assert draft.name not in page
    # Two years: "Show these years" lays the rows out again, opening nothing.
    relaid = _post(client, _data(units, opened, action="years", **{"per_year-1-year": None}))
    assert relaid.status_code == 200 and _count(Cycle) == 0
    assert _row_years(relaid.text) == ["2024", "2025"]
    assert 'value="2025-01-31"' in relaid.text  # what was typed for 2024 is kept

    done = _post(client, _data(units, opened, **{"per_year-1-on_site": "2026-03-31"}))
    assert done.status_code == 302
    cycle = db.session.execute(select(Cycle)).scalar_one()
    assert done.headers["Location"].endswith(f"/evaluate/cycle/{cycle.id}")
    assert (cycle.code, cycle.name, cycle.year_list) == ("c2024", "2024–2025 考评", [2024, 2025])
    assert cycle.framework_version.file_id == "mini"
    assert sorted(link.unit.code for link in cycle.units) == ["a", "b"]
    assert [(c.year, c.campaign_id) for c in cycle.campaigns] == [
        (2024, opened.id),
        (2025, opened.id),
    ]
    assert sorted((d.year, d.step, d.due) for d in db.session.scalars(select(CycleDeadline))) == [
        (2024, "self_assessment", dt.date(2025, 1, 31)),
        (2025, "on_site", dt.date(2026, 3, 31)),
        (2025, "self_assessment", dt.date(2026, 1, 31)),
    ]
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "cycle.open")
    ).scalar_one()
    assert (event.user_id, event.actor) == (evaluator.id, evaluator.username)
    assert "Cycle c2024 is open." in client.get(done.headers["Location"]).text


def _refused(client, data: dict[str, object], lang: str = "en") -> str:
    """The page of a refused form: 400, an error summary, nothing stored or audited."""
    cycles, events = _count(Cycle), _count(AuditEvent)
    response = _post(client, data, lang)
    assert response.status_code == 400, response.text
    assert 'id="error-summary"' in response.text
    assert (_count(Cycle), _count(AuditEvent)) == (cycles, events)
    return response.text


def _error_of(page: str, field_id: str) -> str:
    """The error tied to a field: its paragraph, which the field names in aria-describedby."""
    tag = re.search(rf'<(?:input|select|fieldset)[^>]*\bid="{field_id}"[^>]*>', page)
    if field_id == "unit_ids":  # the checkboxes' group
        tag = re.search(r'<fieldset id="units"[^>]*>', page)
    assert tag, field_id
    assert re.search(rf'aria-describedby="[^"]*\be-{field_id}\b', tag.group(0)), tag.group(0)
    found = re.search(rf'<p class="error" id="e-{field_id}">(.*?)</p>', page, re.S)
    assert found, field_id
    text = re.sub(r'<span class="visually-hidden">.*?</span>', "", found.group(1))
    return html.unescape(re.sub(r"<[^>]+>", "", text))


@pytest.mark.parametrize(
    ("change", "field_id", "message"),
    [
        ({"framework": "nope"}, "framework", "There is no stored framework 'nope'"),
        ({"unit_ids": None}, "unit_ids", "Choose at least one unit to evaluate."),
        ({"first_year": "1990"}, "first_year", "1990 is not a possible first year."),
        ({"years": "11"}, "years", "A cycle lasts 1 to 10 years, not 11."),
        ({"first_year": "twenty"}, "first_year", "Not a valid integer value."),
        ({"code": "Bad Code"}, "code", "A cycle's code is 1 to 40 lowercase letters"),
        ({"name": " "}, "name", "Give the cycle a name."),
        ({"per_year-0-self_assessment": "31/01/2025"}, "per_year-0-self_assessment", "date"),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_changes_nothing(
    app, client, tmp_path: Path, change, field_id, message
) -> None:
    units, opened, _draft = _setting(app, tmp_path)
    login(client, gen_user("evaluator"))
    page = _refused(client, _data(units, opened, **change))
    assert message in _error_of(page, field_id)
    assert "<title>Error: Open an evaluation cycle" in page


def test_a_duplicate_code_is_refused_in_the_readers_language(app, client, tmp_path) -> None:
    units, opened, _draft = _setting(app, tmp_path)
    login(client, gen_user("admin"))
    assert _post(client, _data(units, opened)).status_code == 302
    page = _refused(client, _data(units, opened, name="再来一次"), lang="zh_Hans")
    assert _error_of(page, "code") == "代码为 c2024 的考评周期已存在。"
    assert "未做任何更改。" in page
    assert 'value="再来一次"' in page  # what was typed is kept


def test_a_campaign_that_cannot_feed_its_year_is_refused_on_that_years_row(
    app, client, tmp_path: Path
) -> None:
    units, opened, _draft = _setting(app, tmp_path)
    only_a = gen_campaign(
        units[:1],
        groups={"service_user": {}},
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
    )
    db.session.commit()
    login(client, gen_user("evaluator"))
    page = _refused(client, _data(units, opened, **{"per_year-1-campaign_id": str(only_a.id)}))
    assert _error_of(page, "per_year-1-campaign_id") == (
        f"Unit b is not surveyed by campaign {only_a.code}, which feeds 2025: "
        "its survey items would have no data."
    )
    page = _refused(client, _data(units, opened, **{"per_year-0-campaign_id": str(only_a.id)}))
    assert "does not cover 2024" in _error_of(page, "per_year-0-campaign_id")


def test_a_draft_campaign_cannot_be_sent_for_a_year(app, client, tmp_path: Path) -> None:
    units, opened, draft = _setting(app, tmp_path)
    login(client, gen_user("evaluator"))
    page = _refused(client, _data(units, opened, **{"per_year-1-campaign_id": str(draft.id)}))
    assert "Not a valid choice" in _error_of(page, "per_year-1-campaign_id")


def test_years_changed_without_showing_them_open_nothing(app, client, tmp_path: Path) -> None:
    """Three years asked for, two rows on the page: the rows are laid out, nothing opened."""
    units, opened, _draft = _setting(app, tmp_path)
    login(client, gen_user("evaluator"))
    response = _post(client, _data(units, opened, years="3"))
    assert response.status_code == 200 and _count(Cycle) == 0
    assert "The years of the cycle have changed" in response.text
    assert _row_years(response.text) == ["2024", "2025", "2026"]


@pytest.mark.parametrize("role", ["operator", "handler", "liaison"])
def test_only_evaluators_and_administrators_open_cycles(app, client, tmp_path, role) -> None:
    units, opened, _draft = _setting(app, tmp_path)
    login(client, gen_user(role, unit_id=units[0].id))
    assert client.get(URL).status_code == 403
    app.config["WTF_CSRF_ENABLED"] = False  # the role is under test, not the token
    assert client.post(URL, data=_data(units, opened)).status_code == 403
    assert _count(Cycle) == 0


@pytest.mark.parametrize(
    ("lang", "words"), [("en", "open one with the form"), ("zh_Hans", "用表单开启")]
)
def test_the_empty_cycles_page_points_to_the_form_as_well_as_the_command(
    app, client, lang, words
) -> None:
    login(client, gen_user("evaluator"))
    page = client.get(f"/evaluate/cycles?lang={lang}").text
    note = re.search(r'<p class="note" id="no-cycles">(.*?)</p>', page, re.S)
    assert note, page
    assert words in note.group(1)
    assert f'href="{URL}"' in note.group(1)
    assert "flask survey cycle add" in note.group(1)
    assert "flask survey framework load" in note.group(1)


def _broken_frameworks(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A framework folder whose one file is not valid TOML (an edit half saved, say)."""
    folder = tmp_path / "broken"
    (folder / "units").mkdir(parents=True)
    (folder / "mini.toml").write_text('id = "mini"\ntitle = [', encoding="utf-8")
    app.config["FRAMEWORKS_DIR"] = str(folder)


@pytest.mark.parametrize(("lang", "words"), [("en", "do not load"), ("zh_Hans", "无法载入")])
def test_framework_files_that_do_not_load_are_named_not_a_500(
    app, client, tmp_path: Path, caplog, lang, words
) -> None:
    units, opened, _draft = _setting(app, tmp_path)
    _broken_frameworks(app, tmp_path)
    login(client, gen_user("evaluator"))
    page = client.get(f"{URL}?lang={lang}")
    assert page.status_code == 503, page.text
    assert words in page.text
    assert "mini.toml" in page.text and "not valid TOML" in page.text
    assert "flask survey framework check" in page.text
    assert str(tmp_path) not in page.text  # the server's folders stay in the log
    assert any("mini.toml" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")
    # Sent anyway (the page was open before the file broke): refused, nothing stored.
    app.config["WTF_CSRF_ENABLED"] = False
    events = _count(AuditEvent)
    sent = client.post(URL, data=_data(units, opened))
    assert sent.status_code == 503 and words in sent.text
    assert (_count(Cycle), _count(AuditEvent)) == (0, events)
