"""A citizen's path in a real browser: scan the poster's code, answer with JavaScript off."""

from __future__ import annotations

import pytest
from factories import gen_campaign, gen_service_point, gen_unit
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait
from tools_support import SCREENSHOTS, decode_qr, headless_chromium

from survey.channels.print_sheets import write_point_files
from survey.extensions import db
from survey.models import Answer, Response


@pytest.mark.browser
def test_scan_answer_and_thank_you_without_javascript(app, live_server, tmp_path):
    base = live_server.url
    app.config["SURVEY_BASE_URL"] = base
    unit = gen_unit(code="zwfw", name="省政务服务中心")
    gen_campaign([unit])
    point = gen_service_point(unit, code="zwfw-a1")
    db.session.commit()
    write_point_files(point, tmp_path / "qr")
    url = decode_qr(tmp_path / "qr" / "zwfw-a1.png")
    assert url == f"{base}/p/zwfw-a1"
    driver = headless_chromium(tmp_path / "profile", javascript=False)
    try:
        driver.get(url)
        assert "总体是否满意" in driver.page_source
        shots = SCREENSHOTS or tmp_path
        shots.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(shots / "card-zh_Hans.png"))
        for question, value in [
            ("overall", "very_satisfied"),
            ("attitude", "satisfied"),
            ("efficiency", "very_satisfied"),
            ("one_visit", "yes"),
        ]:
            driver.find_element(
                By.CSS_SELECTOR, f"input[type=radio][name$='{question}'][value='{value}']"
            ).click()
        driver.find_element(By.CSS_SELECTOR, "textarea").send_keys("窗口人员很耐心")
        form = driver.find_element(By.TAG_NAME, "form")
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(driver, 15).until(staleness_of(form))  # the old page is gone
        # The new one may still be loading: an element looked up now can vanish under
        # the lookup ("node does not belong to the document"), so wait and retry.
        WebDriverWait(driver, 15, ignored_exceptions=(WebDriverException,)).until(
            lambda d: "感谢您帮助我们改进服务" in d.find_element(By.TAG_NAME, "body").text
        )
        driver.save_screenshot(str(shots / "thank-you.png"))
    finally:
        driver.quit()
    db.session.remove()
    responses = db.session.execute(db.select(Response)).scalars().all()
    assert len(responses) == 1
    answers = {a.question_id: a.value for a in db.session.execute(db.select(Answer)).scalars()}
    assert answers["overall"] == "very_satisfied"
    assert answers["comment"] == "窗口人员很耐心"
    assert responses[0].channel == "qr"
