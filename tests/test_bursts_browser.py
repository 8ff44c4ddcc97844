"""Reviewing held bursts in a real browser: choose two, give a reason, exclude them."""

from __future__ import annotations

import datetime as dt

import pytest
from factories import DEFAULT_PASSWORD, gen_campaign, gen_service_point, gen_unit, gen_user
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from tools_support import browser_sign_in, headless_chromium

from survey.extensions import db
from survey.models import AuditEvent, Burst, utcnow


def _burst(campaign, point, cards: int, minutes_ago: int) -> Burst:  # type: ignore[no-untyped-def]
    at = utcnow() - dt.timedelta(minutes=minutes_ago)
    burst = Burst(
        campaign=campaign,
        unit=point.unit,
        service_point=point,
        channel="qr",
        source="client",
        source_key="ab" * 32,
        first_at=at,
        last_at=at + dt.timedelta(minutes=1),
        cards=cards,
        lowest=cards,
        usual_per_hour=0.5,
        allowance=3,
        rule="rate",
        status="held",
    )
    db.session.add(burst)
    return burst


@pytest.mark.browser
def test_an_evaluator_excludes_two_bursts_with_a_reason(app, live_server, tmp_path):
    unit = gen_unit("zwfw", "市政务服务中心")
    point = gen_service_point(unit, "zwfw-a1")
    campaign = gen_campaign([unit])
    first, second, third = (_burst(campaign, point, n, m) for n, m in ((19, 50), (7, 30), (4, 5)))
    evaluator = gen_user("evaluator")
    db.session.commit()
    ids = [first.id, second.id, third.id]
    driver = headless_chromium(tmp_path / "profile", size="1280,900", lang="en")
    try:
        browser_sign_in(driver, live_server.url, evaluator.username, DEFAULT_PASSWORD)
        driver.get(f"{live_server.url}/evaluate/campaign/{campaign.id}/bursts?lang=en")
        rows = driver.find_elements(By.CSS_SELECTOR, "#held tbody tr")
        assert [r.get_attribute("data-burst") for r in rows] == [str(i) for i in ids]
        # Without a reason the browser is sent back, and nothing is decided.
        driver.find_element(By.ID, f"burst-{ids[0]}").click()
        driver.find_element(By.CSS_SELECTOR, "button[value=exclude]").click()
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".flash.error"))
        driver.find_element(By.ID, f"burst-{ids[0]}").click()
        driver.find_element(By.ID, f"burst-{ids[1]}").click()
        driver.find_element(By.NAME, "reason").send_keys("One phone, one minute: stuffing")
        driver.find_element(By.CSS_SELECTOR, "button[value=exclude]").click()
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#reviewed"))
        held = driver.find_elements(By.CSS_SELECTOR, "#held tbody tr")
        assert [r.get_attribute("data-burst") for r in held] == [str(ids[2])]
        reviewed = driver.find_element(By.ID, "reviewed").text
        assert "One phone, one minute: stuffing" in reviewed and evaluator.username in reviewed
    finally:
        driver.quit()
    db.session.expire_all()
    assert [b.status for b in db.session.execute(select(Burst).order_by(Burst.id)).scalars()] == [
        "excluded",
        "excluded",
        "held",
    ]
    events = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "burst.exclude")
    ).scalars()
    assert sorted(int(e.entity_id) for e in events) == ids[:2]
