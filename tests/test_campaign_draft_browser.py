"""A new campaign in a real browser: saved as a draft, answered in test mode, then opened."""

from __future__ import annotations

import datetime as dt

import pytest
from factories import DEFAULT_PASSWORD, gen_group, gen_service_point, gen_unit, gen_user
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select
from tools_support import browser_sign_in, headless_chromium

from survey.extensions import db
from survey.models import AuditEvent, Campaign, Response, utcnow


def _set(driver, name: str, value: str) -> None:  # type: ignore[no-untyped-def]
    """Type into a field as the date and text inputs of any locale take it: by its value."""
    field = driver.find_element(By.NAME, name)
    driver.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        field,
        value,
    )


def _click(driver, css: str) -> None:  # type: ignore[no-untyped-def]
    element = driver.find_element(By.CSS_SELECTOR, css)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def _thanked(driver) -> bool:  # type: ignore[no-untyped-def]
    """The thank-you page is shown (its heading; the card's intro may thank too)."""
    try:
        return any(h.text == "Thank you" for h in driver.find_elements(By.TAG_NAME, "h1"))
    except StaleElementReferenceException:  # the card is being replaced by the answer
        return False


def _responses() -> list[Response]:
    db.session.expire_all()
    return list(db.session.execute(select(Response)).scalars())


@pytest.mark.browser
def test_a_draft_is_tried_in_test_mode_then_opened(app, live_server, tmp_path):
    unit = gen_unit("zwfw", "区政务服务中心")
    point = gen_service_point(unit, code="hall1")
    gen_group("service_user")
    admin = gen_user("admin")
    db.session.commit()
    # The period runs around today, whatever day the test runs.
    today = utcnow().date()
    start, end = today - dt.timedelta(days=10), today + dt.timedelta(days=80)

    base = live_server.url
    driver = headless_chromium(tmp_path / "profile", size="1280,900", lang="en")
    try:
        browser_sign_in(driver, base, admin.username, DEFAULT_PASSWORD)
        driver.get(f"{base}/admin/campaigns/new?lang=en")
        _set(driver, "code", "try2026")
        _set(driver, "name", "窗口服务满意度")
        _set(driver, "period_start", start.isoformat())
        _set(driver, "period_end", end.isoformat())
        _click(driver, f"input[name=unit_ids][value='{unit.id}']")
        row = "tr[data-group='service_user']"
        _click(driver, f"{row} input.included")
        Select(driver.find_element(By.CSS_SELECTOR, f"{row} select")).select_by_value(
            "post-service-card"
        )
        _click(driver, "#campaign-form button[type=submit]")
        WebDriverWait(driver, 15).until(lambda d: "saved." in d.page_source)
        campaign = db.session.execute(
            select(Campaign).where(Campaign.code == "try2026")
        ).scalar_one()
        assert campaign.draft
        assert driver.find_element(By.ID, "draft").is_displayed()

        # Before test mode, the poster's code says the survey has not started.
        driver.get(f"{base}/p/{point.code}?lang=en")
        assert "has not started yet" in driver.find_element(By.TAG_NAME, "h1").text

        driver.get(f"{base}/admin/campaigns/{campaign.id}?lang=en")
        _click(driver, "#test-mode")
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "test-mode-on"))
        driver.find_element(By.CSS_SELECTOR, "#test-links a").click()
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "test-answer"))
        _click(driver, "input[type=radio][value='very_dissatisfied']")
        _click(driver, "form button[type=submit]")
        WebDriverWait(driver, 15).until(_thanked)
        assert driver.find_elements(By.ID, "test-answer")
        [answer] = _responses()
        assert answer.test and answer.flagged and answer.campaign_id == campaign.id

        driver.get(f"{base}/admin/campaigns/{campaign.id}?lang=en")
        assert "Test answers so far: 1." in driver.find_element(By.ID, "draft").text
        _click(driver, "#open-campaign")
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "confirm-open"))
        assert "1 test answers will be deleted" in driver.find_element(By.ID, "test-answers").text
        _click(driver, "#confirm-open")  # not ticked: refused, nothing changed
        WebDriverWait(driver, 15).until(lambda d: "Tick the box" in d.page_source)
        db.session.expire_all()
        assert db.session.get(Campaign, campaign.id).draft and len(_responses()) == 1
        _click(driver, "input[name=confirm]")
        _click(driver, "#confirm-open")
        WebDriverWait(driver, 15).until(lambda d: "is open" in d.page_source)
        db.session.expire_all()
        assert not db.session.get(Campaign, campaign.id).draft
        assert _responses() == []
        assert db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "campaign.open")
        ).scalar_one()

        # Open: the same code now takes real answers, with no test banner.
        driver.get(f"{base}/p/{point.code}?lang=en")
        assert not driver.find_elements(By.ID, "test-answer")
        _click(driver, "input[type=radio][value='satisfied']")
        _click(driver, "form button[type=submit]")
        WebDriverWait(driver, 15).until(_thanked)
        assert [r.test for r in _responses()] == [False]
    finally:
        driver.quit()
