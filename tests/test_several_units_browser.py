"""A deputy answers about two units through one link, on a phone with JavaScript off."""

from __future__ import annotations

import pytest
from factories import gen_campaign, gen_contact, gen_invitation, gen_unit
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from tools_support import SCREENSHOTS, headless_chromium

from survey.channels.links import add_unit_to_link, invitation_url
from survey.extensions import db
from survey.models import Invitation, Response


def _body_has(driver, text: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until the page shows ``text`` (the next page may still be loading)."""
    WebDriverWait(driver, 15, ignored_exceptions=(WebDriverException,)).until(
        lambda d: text in d.find_element(By.TAG_NAME, "body").text
    )


def _answer_unit(driver, heading: str) -> None:  # type: ignore[no-untyped-def]
    """Every page of the unit's questionnaire: the first option of each question, then on."""
    for _ in range(10):
        _body_has(driver, heading)
        for fieldset in driver.find_elements(By.TAG_NAME, "fieldset"):
            radios = fieldset.find_elements(By.CSS_SELECTOR, "input[type=radio]")
            if radios:
                radios[0].click()
        buttons = driver.find_elements(By.CSS_SELECTOR, "button[name=action][value=submit]")
        url = driver.current_url
        if buttons:
            buttons[0].click()
            return
        driver.find_element(By.CSS_SELECTOR, "button[name=action][value=next]").click()
        WebDriverWait(driver, 15).until(lambda d, before=url: d.current_url != before)
    raise AssertionError("the questionnaire did not end")


@pytest.mark.browser
def test_two_units_through_one_link_on_a_phone_without_javascript(app, live_server, tmp_path):
    zwfw = gen_unit("zwfw", "省政务服务中心")
    rmyy = gen_unit("rmyy", "市人民医院行政服务部")
    campaign = gen_campaign([zwfw, rmyy], groups={"deputy": {}})
    lead, token = gen_invitation(campaign, "deputy", zwfw, contact=gen_contact("王建国"))
    add_unit_to_link(lead, rmyy)
    db.session.commit()
    link = invitation_url(token)
    assert link.startswith(live_server.url)

    driver = headless_chromium(tmp_path / "profile", javascript=False)  # 390 x 844, a phone
    shots = SCREENSHOTS or tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    try:
        # Belt and braces: scripts are off for the page, not only by the profile's setting.
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        driver.get(link)
        _body_has(driver, "市人民医院行政服务部")
        driver.save_screenshot(str(shots / "units-list.png"))
        driver.find_element(By.PARTIAL_LINK_TEXT, "省政务服务中心").click()
        _answer_unit(driver, "省政务服务中心")
        _body_has(driver, "您关于省政务服务中心的回答已收到")
        driver.save_screenshot(str(shots / "units-one-done.png"))
        assert driver.find_elements(By.PARTIAL_LINK_TEXT, "省政务服务中心") == []

        # Halfway through the second unit the person closes the page ...
        driver.find_element(By.PARTIAL_LINK_TEXT, "市人民医院行政服务部").click()
        _body_has(driver, "市人民医院行政服务部")
        for fieldset in driver.find_elements(By.TAG_NAME, "fieldset"):
            fieldset.find_elements(By.CSS_SELECTOR, "input[type=radio]")[0].click()
        first_page = driver.current_url
        driver.find_element(By.CSS_SELECTOR, "button[name=action][value=next]").click()
        WebDriverWait(driver, 15).until(lambda d: d.current_url != first_page)
        # ... and comes back later with the same link: the list says it was begun.
        driver.get(link)
        _body_has(driver, "已开始，尚未提交")
        driver.find_element(By.PARTIAL_LINK_TEXT, "市人民医院行政服务部").click()
        _answer_unit(driver, "市人民医院行政服务部")
        _body_has(driver, "您已完成所有单位的评价")
        driver.save_screenshot(str(shots / "units-all-done.png"))
    finally:
        driver.quit()

    db.session.remove()
    rows = db.session.execute(db.select(Response).order_by(Response.id)).scalars().all()
    assert [(r.unit.code, r.submitted_at is not None) for r in rows] == [
        ("zwfw", True),
        ("rmyy", True),
    ]
    statuses = db.session.execute(db.select(Invitation.status)).scalars().all()
    assert statuses == ["completed", "completed"]
