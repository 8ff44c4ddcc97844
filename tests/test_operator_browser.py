"""The phone console in a real browser, driven with the keyboard alone (no click anywhere)."""

from __future__ import annotations

import pytest
from factories import DEFAULT_PASSWORD, gen_campaign, gen_contact, gen_invitation, gen_user
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from tools_support import SCREENSHOTS, headless_chromium

from survey.channels.phone import enqueue_phone_cases
from survey.extensions import db
from survey.models import Attempt, Response


def _keys(driver, *keys) -> None:  # type: ignore[no-untyped-def]
    """Type into whatever has the focus, as a person at the keyboard does."""
    ActionChains(driver).send_keys(*keys).perform()


def _wait_for(driver, text: str) -> None:  # type: ignore[no-untyped-def]
    WebDriverWait(driver, 15).until(lambda d: text in d.current_url)


@pytest.mark.browser
def test_an_interview_from_the_keyboard_alone(app, live_server, tmp_path):
    campaign = gen_campaign(groups={"service_user": {"instrument_id": "phone-post-service"}})
    campaign.call_from, campaign.call_until = "00:00", "23:59"
    campaign.lunch_from = campaign.lunch_until = "00:00"  # no lunch break
    # A calendar without public holidays: the browser runs on the real clock, and on a
    # holiday the queue would (rightly) offer no call.
    no_holidays = tmp_path / "no-holidays.toml"
    no_holidays.write_text("", encoding="utf-8")
    app.config["SURVEY_WORKDAY_CALENDAR"] = str(no_holidays)
    contact = gen_contact("陈七", "+8613912345678")
    invitation, _token = gen_invitation(
        campaign, group="service_user", contact=contact, channel="phone"
    )
    operator = gen_user("operator", display_name="Operator Li")
    db.session.commit()
    enqueue_phone_cases(campaign)
    db.session.commit()
    invitation_id, operator_id = invitation.id, operator.id

    base = live_server.url
    driver = headless_chromium(tmp_path / "profile", size="1280,900", lang="en")
    try:
        driver.get(f"{base}/login?lang=en")
        _keys(driver, operator.username, Keys.TAB, DEFAULT_PASSWORD, Keys.ENTER)
        _wait_for(driver, "/operator/")
        _keys(driver, Keys.ENTER)  # "Next call" has the focus
        _wait_for(driver, "/operator/case/")
        assert "+8613912345678" in driver.page_source
        for digits, reached in [
            ("1", "q=overall"),  # yes, recently at the institution
            ("2", "q=attitude"),  # satisfied
            ("1", "q=efficiency"),  # very satisfied
            ("6", "q=one_visit"),  # don't know (volunteered)
            ("1", "q=comment"),  # settled in one visit
        ]:
            if reached == "q=efficiency" and SCREENSHOTS is not None:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(SCREENSHOTS / "operator-console.png"))
            _keys(driver, digits, Keys.ENTER)
            _wait_for(driver, reached)
        _keys(driver, "态度很好", Keys.ENTER)
        _wait_for(driver, "q=end")
        _keys(driver, Keys.ENTER)  # "Finish: complete interview" has the focus
        WebDriverWait(driver, 15).until(lambda d: d.current_url.rstrip("/").endswith("/operator"))
        assert "Recorded" in driver.page_source
    finally:
        driver.quit()

    db.session.remove()
    response = db.session.execute(select(Response)).scalar_one()
    assert response.channel == "phone"
    assert response.invitation_id == invitation_id
    assert response.operator_id == operator_id
    assert {a.question_id: a.value for a in response.answers} == {
        "screen": "yes",
        "overall": "satisfied",
        "attitude": "very_satisfied",
        "efficiency": "dont_know",
        "one_visit": "yes",
        "comment": "态度很好",
    }
    attempt = db.session.execute(select(Attempt)).scalar_one()
    assert (attempt.disposition, attempt.operator_id) == ("complete", operator_id)


@pytest.mark.browser
def test_a_0_to_10_score_from_its_digit(app, live_server, tmp_path):
    """On an nps question the digit typed is the score stored; 10 is reached with the arrows."""
    campaign = gen_campaign(groups={"staff": {"instrument_id": "staff-survey"}})
    campaign.call_from, campaign.call_until = "00:00", "23:59"
    campaign.lunch_from = campaign.lunch_until = "00:00"  # no lunch break
    # A calendar without public holidays: the browser runs on the real clock, and on a
    # holiday the queue would (rightly) offer no call.
    no_holidays = tmp_path / "no-holidays.toml"
    no_holidays.write_text("", encoding="utf-8")
    app.config["SURVEY_WORKDAY_CALENDAR"] = str(no_holidays)
    contact = gen_contact("周八", "+8613912345679")
    invitation, _token = gen_invitation(campaign, group="staff", contact=contact, channel="phone")
    operator = gen_user("operator")
    db.session.commit()
    enqueue_phone_cases(campaign)
    db.session.commit()
    invitation_id = invitation.id

    base = live_server.url
    driver = headless_chromium(tmp_path / "profile", size="1280,900", lang="en")
    stored = []
    try:
        driver.get(f"{base}/login?lang=en")
        _keys(driver, operator.username, Keys.TAB, DEFAULT_PASSWORD, Keys.ENTER)
        _wait_for(driver, "/operator/")
        _keys(driver, Keys.ENTER)  # "Next call"
        _wait_for(driver, "/operator/case/")
        case_url = driver.current_url.split("?")[0]
        for keys in (("8",), ("0",), ("9", Keys.ARROW_DOWN)):
            driver.get(f"{case_url}?q=recommend")
            _wait_for(driver, "q=recommend")
            _keys(driver, *keys, Keys.ENTER)
            _wait_for(driver, "q=overall")
            db.session.remove()
            draft = db.session.execute(
                select(Response).where(Response.invitation_id == invitation_id)
            ).scalar_one()
            stored.append({a.question_id: a.value for a in draft.answers}["recommend"])
    finally:
        driver.quit()
    assert stored == ["8", "0", "10"]
