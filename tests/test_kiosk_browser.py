"""Enrolling a kiosk tablet in real browsers: the administrator's page, then the tablet's."""

from __future__ import annotations

import pytest
from factories import DEFAULT_PASSWORD, gen_campaign, gen_service_point, gen_unit, gen_user
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from tools_support import browser_sign_in, headless_chromium

from survey.extensions import db
from survey.models import Device, Response


@pytest.mark.browser
def test_an_administrator_enrols_a_tablet_which_then_shows_kiosk_cards(app, live_server, tmp_path):
    unit = gen_unit("zwfw", "市政务服务中心")
    point = gen_service_point(unit, "zwfw-a3")
    gen_campaign([unit])
    admin = gen_user("admin")
    db.session.commit()
    base, point_code = live_server.url, point.code

    desk = headless_chromium(tmp_path / "desk", size="1280,900", lang="en")
    try:
        browser_sign_in(desk, base, admin.username, DEFAULT_PASSWORD)
        desk.get(f"{base}/admin/devices")
        desk.find_element(By.NAME, "name").send_keys("Tablet at window 3")
        desk.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
        WebDriverWait(desk, 15).until(lambda d: d.find_elements(By.ID, "new-code"))
        code = desk.find_element(By.CSS_SELECTOR, "#new-code code").text
        state = desk.find_element(By.CSS_SELECTOR, "#devices td[data-state]").text
        assert state == "waiting for its code"
    finally:
        desk.quit()

    tablet = headless_chromium(tmp_path / "tablet", size="800,1200", lang="zh-CN")
    try:
        # Before enrolment the tablet is a browser like any other: the public card.
        tablet.get(f"{base}/k/{point_code}")
        assert not tablet.find_elements(By.ID, "next-countdown")
        tablet.get(f"{base}/device/enrol")
        assert tablet.find_element(By.TAG_NAME, "h1").text == "登记这台平板"
        tablet.find_element(By.NAME, "code").send_keys(code.lower())
        tablet.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        # An element read while the answer replaces the page may go stale: read it again.
        WebDriverWait(tablet, 15, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda d: d.find_element(By.TAG_NAME, "h1").text == "这台平板已登记"
        )
        assert "Tablet at window 3" in tablet.find_element(By.CSS_SELECTOR, "p.lead").text
        tablet.find_element(By.CSS_SELECTOR, "a.button").click()
        WebDriverWait(tablet, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "label.opt"))
        for fieldset in tablet.find_elements(By.CSS_SELECTOR, "fieldset"):
            options = fieldset.find_elements(By.CSS_SELECTOR, "label.opt input[type=radio]")
            if options:
                options[0].click()
        tablet.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        # An element read while the answer replaces the page may go stale: read it again.
        WebDriverWait(tablet, 15, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda d: d.find_element(By.ID, "next-countdown").is_displayed()
        )
    finally:
        tablet.quit()
    db.session.expire_all()
    [device] = db.session.execute(select(Device)).scalars().all()
    [response] = db.session.execute(select(Response)).scalars().all()
    assert device.state() == "enrolled"
    assert (response.channel, response.device_id) == ("kiosk", device.id)
