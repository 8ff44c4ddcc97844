"""The campaign form in a real browser: the weight shares follow what the evaluator types."""

from __future__ import annotations

import pytest
from factories import DEFAULT_PASSWORD, gen_campaign, gen_unit, gen_user
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from tools_support import SCREENSHOTS, browser_sign_in, headless_chromium

from survey.extensions import db
from survey.models import AuditEvent, Campaign


def _shares(driver) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        row.get_attribute("data-group"): row.find_element(By.CSS_SELECTOR, "output.share").text
        for row in driver.find_elements(By.CSS_SELECTOR, "#group-settings tbody tr")
    }


def _weight(driver, group: str):  # type: ignore[no-untyped-def]
    return driver.find_element(By.CSS_SELECTOR, f"tr[data-group='{group}'] input.weight")


@pytest.mark.browser
def test_weight_shares_update_as_the_evaluator_types(app, live_server, tmp_path):
    units = [gen_unit("A", "市政务服务中心"), gen_unit("B", "市公安局")]
    campaign = gen_campaign(
        units,
        groups={
            "deputy": {"weight": 1.0, "population": 520, "target": 30},
            "cppcc": {"weight": 1.0, "population": 410, "target": 30},
            "expert": {"weight": 1.0, "target": 20},
            "service_user": {"weight": 1.0, "target": 300},
        },
    )
    evaluator = gen_user("evaluator")
    db.session.commit()
    campaign_id = campaign.id

    base = live_server.url
    driver = headless_chromium(tmp_path / "profile", size="1280,900", lang="en")
    try:
        browser_sign_in(driver, base, evaluator.username, DEFAULT_PASSWORD)
        driver.get(f"{base}/admin/campaigns/{campaign_id}")
        # Four equal weights: a quarter each, from the server and from the script alike.
        shares = _shares(driver)
        assert [shares[g] for g in ("deputy", "cppcc", "expert", "service_user")] == ["25.0%"] * 4

        field = _weight(driver, "deputy")
        field.clear()
        field.send_keys("5")  # 5 / (5 + 1 + 1 + 1) = 62.5 %, the others 12.5 %
        WebDriverWait(driver, 5).until(lambda d: _shares(d)["deputy"] == "62.5%")
        shares = _shares(driver)
        assert [shares[g] for g in ("cppcc", "expert", "service_user")] == ["12.5%"] * 3
        assert "valid" in driver.find_element(By.ID, "weight-check").text

        expert = _weight(driver, "expert")
        expert.clear()
        expert.send_keys("-1")
        WebDriverWait(driver, 5).until(
            lambda d: "zero or positive" in d.find_element(By.ID, "weight-check").text
        )
        assert _shares(driver)["deputy"] == ""  # no shares while the weights are invalid
        expert.clear()
        expert.send_keys("2")  # 5, 1, 2, 1 -> 5/9 = 55.6 %, 2/9 = 22.2 %
        WebDriverWait(driver, 5).until(lambda d: _shares(d)["expert"] == "22.2%")
        assert _shares(driver)["deputy"] == "55.6%"
        if SCREENSHOTS is not None:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            table = driver.find_element(By.ID, "group-settings")
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", table)
            driver.save_screenshot(str(SCREENSHOTS / "admin-campaign.png"))
        driver.find_element(By.CSS_SELECTOR, "#campaign-form button[type=submit]").click()
        # The fieldwork warning already says "which settings they used": wait for
        # the flash that only the saved page shows, or the database is read too early.
        WebDriverWait(driver, 15).until(lambda d: "saved." in d.page_source)
    finally:
        driver.quit()

    db.session.remove()
    campaign = db.session.get(Campaign, campaign_id)
    assert {s.group.code: s.weight for s in campaign.groups} == {
        "deputy": 5.0,
        "cppcc": 1.0,
        "expert": 2.0,
        "service_user": 1.0,
    }
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "campaign.weights_after_start")
    ).scalar_one()
    assert event.campaign_id == campaign_id and event.actor == evaluator.username
