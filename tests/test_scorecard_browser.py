"""The scorecard's main pages in a real browser, on the demo: the evaluator's and the liaison's.

An evaluator other than the drafter reviews the demo's draft opinion and reads
the fixes board; the unit's liaison opens the issued opinion and sends the
report on its overdue fix. With SURVEY_UPDATE_SCREENSHOTS=1 the pages are
saved for the README.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from tools_support import SCREENSHOTS, browser_sign_in, headless_chromium

from survey.demo import (
    DEMO_PASSWORD,
    load_demo,
    load_demo_followups,
    load_demo_report_comments,
    load_demo_users,
)
from survey.demo.scorecard import load_demo_scorecard
from survey.extensions import db
from survey.models import Cycle, Opinion, RequiredFix


def _shot(driver, name: str) -> None:  # type: ignore[no-untyped-def]
    if SCREENSHOTS is not None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SCREENSHOTS / name))


def _demo() -> Cycle:
    """The demo as `flask survey demo` loads it (the parts the scorecard shows)."""
    load_demo()
    load_demo_followups()
    load_demo_users()
    load_demo_report_comments()
    cycle = load_demo_scorecard()
    db.session.commit()
    assert cycle is not None
    return cycle


@pytest.mark.browser
def test_the_evaluator_reviews_a_draft_and_the_liaison_reports_on_a_fix(
    app, live_server, tmp_path
) -> None:
    cycle = _demo()
    draft = db.session.execute(select(Opinion).where(Opinion.state == "draft")).scalar_one()
    issued = db.session.execute(select(Opinion).where(Opinion.state == "issued")).scalar_one()
    base = live_server.url
    driver = headless_chromium(tmp_path / "office", size="1280,1000", lang="en")
    try:
        browser_sign_in(driver, base, "reviewer", DEMO_PASSWORD)
        driver.get(f"{base}/evaluate/cycle/{cycle.id}?lang=en")
        rows = driver.find_elements(By.CSS_SELECTOR, "#units tbody tr")
        grades = ("Excellent", "Good", "Fair", "Poor")
        assert len(rows) == 3 and all(any(g in r.text for g in grades) for r in rows)
        assert driver.find_element(By.ID, "downloads").is_displayed()
        _shot(driver, "scorecard-cycle.png")
        driver.get(f"{base}/evaluate/cycle/{cycle.id}/unit/{draft.unit_id}?lang=en&by=quarter")
        heading = driver.find_element(By.ID, "over-the-years")
        charts = driver.find_elements(By.CSS_SELECTOR, "svg.chart")
        assert len(charts) >= 3 and all(c.is_displayed() for c in charts)
        driver.execute_script("arguments[0].scrollIntoView()", heading)
        _shot(driver, "scorecard-unit-charts.png")
        driver.get(
            f"{base}/evaluate/cycle/{cycle.id}/unit/{draft.unit_id}/opinion/{draft.year}?lang=en"
        )
        assert "draft" in driver.find_element(By.ID, "opinion-state").text
        driver.find_element(By.CSS_SELECTOR, "#steps button[value=review]").click()
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".flash.ok"))
        assert "reviewed" in driver.find_element(By.ID, "opinion-state").text
        assert driver.find_element(By.CSS_SELECTOR, "#steps button[value=approve]")
        _shot(driver, "opinion-evaluator.png")
        driver.get(f"{base}/evaluate/fixes?lang=en")
        statuses = [
            r.get_attribute("class")
            for r in driver.find_elements(By.CSS_SELECTOR, "#fixes tbody tr")
        ]
        assert statuses == ["status-overdue", "status-reported", "status-open", "status-closed"]
        _shot(driver, "fixes-board.png")
    finally:
        driver.quit()
    driver = headless_chromium(tmp_path / "unit", size="1280,1000", lang="en")
    try:
        browser_sign_in(driver, base, "liaison", DEMO_PASSWORD)
        driver.get(f"{base}/evaluate/unit-opinions?lang=en")
        driver.find_element(By.CSS_SELECTOR, f"a[href$='/unit-opinions/{issued.id}']").click()
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "fixes"))
        overdue = driver.find_element(By.ID, "fix-3")
        assert "overdue" in overdue.text
        overdue.find_element(By.NAME, "report").send_keys("岗位设置方案已报主管部门审批。")
        overdue.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".flash.ok"))
        assert "reported, waiting for the look-back" in driver.find_element(By.ID, "fix-3").text
        driver.execute_script("document.getElementById('fixes').scrollIntoView()")
        _shot(driver, "opinion-liaison.png")
    finally:
        driver.quit()
    db.session.expire_all()
    fix = db.session.execute(
        select(RequiredFix).where(RequiredFix.opinion_id == issued.id, RequiredFix.position == 3)
    ).scalar_one()
    assert fix.report == "岗位设置方案已报主管部门审批。"
    assert db.session.get(Opinion, draft.id).state == "reviewed"  # type: ignore[union-attr]
