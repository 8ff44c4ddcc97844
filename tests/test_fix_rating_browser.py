"""The respondent rates the fix on their phone's browser, JavaScript off, from the SMS link."""

from __future__ import annotations

import pytest
from factories import gen_followup_case, gen_user
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from tools_support import SCREENSHOTS, headless_chromium

from survey.extensions import db
from survey.followup.cases import record_remedy
from survey.models import FollowUpCase


@pytest.mark.browser
def test_the_respondent_rates_the_fix_with_javascript_off(app, live_server, tmp_path):
    base = live_server.url
    app.config["SURVEY_BASE_URL"] = base
    case = gen_followup_case(unit_name="省政务服务中心")
    handler = gen_user("handler", unit_id=case.unit_id)
    message = record_remedy(case, "已电话联系当事人，当场补办完成。", handler.id)
    db.session.commit()
    assert message is not None and message.link and message.link.startswith(base)
    link, case_id = message.link, case.id

    driver = headless_chromium(tmp_path / "profile", javascript=False)
    try:
        driver.get(link)
        page = driver.page_source
        assert "省政务服务中心" in page and "当场补办完成" in page
        if SCREENSHOTS is not None:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(SCREENSHOTS / "rate-fix.png"))
        # The browser itself asks for a choice before sending (the radios are required).
        assert driver.find_element(By.CSS_SELECTOR, "input[type=radio]").get_attribute("required")
        driver.find_element(
            By.CSS_SELECTOR, "input[type=radio][value='basically_satisfied']"
        ).click()
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(driver, 15, ignored_exceptions=(WebDriverException,)).until(
            lambda d: "已收到您的评价" in d.find_element(By.TAG_NAME, "body").text
        )
        # The same link again: rated already, nothing to choose.
        driver.get(link)
        assert "input" not in driver.find_element(By.TAG_NAME, "main").get_attribute("innerHTML")
    finally:
        driver.quit()
    db.session.remove()
    rated = db.session.get(FollowUpCase, case_id)
    assert (rated.status, rated.fix_rating, rated.rating_channel) == (
        "closed",
        "basically_satisfied",
        "link",
    )
