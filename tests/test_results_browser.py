"""The results pages in a real browser: the server-drawn charts render beside their tables."""

from __future__ import annotations

import pytest
from factories import DEFAULT_PASSWORD, gen_user
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from tools_support import SCREENSHOTS, headless_chromium

from survey.demo.loader import load_demo
from survey.extensions import db
from survey.models import Campaign


@pytest.mark.browser
def test_campaign_and_unit_pages_draw_their_charts(app, live_server, tmp_path):
    load_demo()
    evaluator = gen_user("evaluator", display_name="Evaluator Wang")
    db.session.commit()
    campaign = db.session.execute(select(Campaign)).scalars().first()
    unit = campaign.units[0]
    base = live_server.url
    driver = headless_chromium(tmp_path / "profile", size="1280,1000", lang="en")
    try:
        driver.get(f"{base}/login?lang=en")
        driver.find_element(By.ID, "username").send_keys(evaluator.username)
        driver.find_element(By.ID, "password").send_keys(DEFAULT_PASSWORD, Keys.ENTER)
        WebDriverWait(driver, 15).until(lambda d: "/evaluate/" in d.current_url)
        driver.get(f"{base}/evaluate/campaign/{campaign.id}?sort=index&order=desc")
        bars = driver.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar")
        assert len(bars) == len(campaign.units)
        assert all(bar.size["width"] > 10 for bar in bars)
        rows = driver.find_elements(By.CSS_SELECTOR, "#results tbody tr")
        assert len(rows) == len(campaign.units)
        if SCREENSHOTS is not None:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(SCREENSHOTS / "results-campaign.png"))
        driver.get(f"{base}/evaluate/campaign/{campaign.id}/unit/{unit.id}")
        charts = driver.find_elements(By.CSS_SELECTOR, "svg.chart")
        assert len(charts) >= 5
        assert driver.find_elements(By.CSS_SELECTOR, "svg.chart polyline.line")
        assert driver.find_element(By.ID, "by-group").is_displayed()
        if SCREENSHOTS is not None:
            driver.save_screenshot(str(SCREENSHOTS / "results-unit.png"))
    finally:
        driver.quit()
