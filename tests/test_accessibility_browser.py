"""WCAG 2.1 AA in a real browser: axe-core on every page people meet, and the keyboard alone.

One headless Chromium for the module (the machine is small): axe-core's WCAG 2.0/2.1
A and AA rules run on the respondent pages in the three languages and in their
error states, on the sign-in page, and on the main pages of every staff role (the
liaison's and the scorecard's too); any violation fails, with the rule, the element
and what axe says to fix. The kiosk's thank-you counts down and stops at a key; a
card is answered with keys alone. The operator's script from the keyboard alone is
test_operator_browser.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from axe_support import axe_violations
from factories import DEFAULT_PASSWORD, gen_contact, gen_invitation, gen_user
from scorecard_support import mini_cycle
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from test_scoring import _fill
from tools_support import browser_sign_in, headless_chromium

from survey.channels.devices import create_device
from survey.channels.phone import enqueue_phone_cases
from survey.demo.loader import load_demo
from survey.extensions import db
from survey.models import Campaign, FollowUpCase, Response, ServicePoint

LANGS = ("zh_Hans", "zh_Hant", "en")
ERROR_PREFIX = {"zh_Hans": "错误：", "zh_Hant": "錯誤：", "en": "Error: "}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def driver(tmp_path_factory) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """One browser for the whole module: each test starts it afresh on its own server."""
    browser = headless_chromium(tmp_path_factory.mktemp("a11y"), size="1280,900", lang="zh-CN")
    try:
        yield browser
    finally:
        browser.quit()


def _fresh(driver, base: str) -> None:  # type: ignore[no-untyped-def]
    """No cookie of an earlier test (cookies ignore the port): a new visitor."""
    driver.get(f"{base}/login")
    driver.delete_all_cookies()


def _loaded(driver) -> None:  # type: ignore[no-untyped-def]
    WebDriverWait(driver, 15, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def _send(driver, *, fill: bool) -> None:  # type: ignore[no-untyped-def]
    """Send the page's form; ``fill``: the first option of every question, else nothing.

    The browser's own check of required fields is set aside, as a phone without it
    would, so that the server's error page is what comes back.
    """
    old = driver.find_element(By.TAG_NAME, "html")
    driver.execute_script(
        """
        const form = document.querySelector("main form");
        if (arguments[0]) {
          for (const set of form.querySelectorAll("fieldset")) {
            const option = set.querySelector("input[type=radio], input[type=checkbox]");
            if (option) { option.checked = true; }
          }
        }
        form.noValidate = true;
        const buttons = form.querySelectorAll("button[type=submit]");
        const forward = [...buttons].find(b => b.value === "submit" || b.value === "next");
        form.requestSubmit(forward || buttons[0]);
        """,
        fill,
    )
    WebDriverWait(driver, 15).until(staleness_of(old))
    _loaded(driver)


def _check(driver, label: str, found: list[str]) -> None:  # type: ignore[no-untyped-def]
    _loaded(driver)
    found.extend(axe_violations(driver, label))


def _error_state(driver, lang: str, label: str, found: list[str]) -> None:  # type: ignore[no-untyped-def]
    """A refused page: title prefixed, the summary focused, and axe finds nothing."""
    if not driver.title.startswith(ERROR_PREFIX[lang]):
        found.append(f"{label}: title {driver.title!r} does not say there is an error")
    focused = driver.switch_to.active_element.get_attribute("id")
    if focused != "error-summary":
        found.append(f"{label}: the focus is on {focused!r}, not the error summary")
    _check(driver, label, found)


_STATUS = "return performance.getEntriesByType('navigation')[0].responseStatus;"


def _as_staff(driver, base: str, username: str, role: str, paths, found: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Signed in afresh as ``username``, axe on each of ``paths`` in Chinese and in English.

    Simplified Chinese is the language staff work in (the default); English, whose
    longer words wrap and overflow differently.
    """
    _fresh(driver, base)
    browser_sign_in(driver, base, username, DEFAULT_PASSWORD)
    for path in paths:
        for lang in STAFF_LANGUAGES:
            driver.get(f"{base}{path}?lang={lang}")
            _check(driver, f"{role} {path} ({lang})", found)
            status = driver.execute_script(_STATUS)
            if status != 200:  # an error page checked instead of the page meant
                found.append(f"{role} {path} ({lang}): answered {status}")


STAFF_LANGUAGES = ("zh_Hans", "en")


def _path(url: str) -> str:
    return urlsplit(url).path


def test_respondent_pages_in_three_languages_and_their_errors(app, live_server, driver):
    app.config["SURVEY_POINT_RATE_LIMIT"] = "1000 per minute"
    demo = load_demo()
    db.session.commit()
    urls = dict(demo.urls)
    point = db.session.execute(
        select(ServicePoint).where(ServicePoint.code == _path(urls["point"]).split("/")[-1])
    ).scalar_one()
    _device, enrol_code = create_device(point, "窗口平板", by=None)
    db.session.commit()
    base = live_server.url
    point_url = base + _path(urls["point"])
    kiosk_url = base + _path(urls["kiosk"])
    ticket_url = base + _path(urls["ticket"])
    invitation_url = base + _path(urls["invitation"])
    found: list[str] = []

    _fresh(driver, base)
    for lang in LANGS:
        driver.get(f"{base}/login?lang={lang}")
        _check(driver, f"sign-in {lang}", found)
        driver.find_element(By.ID, "username").send_keys("nobody")
        driver.find_element(By.ID, "password").send_keys("wrong password", Keys.ENTER)
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "error-summary"))
        _error_state(driver, lang, f"sign-in refused {lang}", found)

        driver.get(f"{point_url}?lang={lang}")
        _check(driver, f"card {lang}", found)
        _send(driver, fill=False)
        _error_state(driver, lang, f"card refused {lang}", found)
        _send(driver, fill=True)
        _check(driver, f"thank-you {lang}", found)
        # Its language links keep the thank-you; they do not open a fresh card.
        other = next(code for code in LANGS if code != lang)
        driver.find_element(By.CSS_SELECTOR, f"nav.langs a[hreflang='{other.replace('_', '-')}']")
        driver.get(f"{base}/thanks?lang={other}")
        if driver.find_elements(By.CSS_SELECTOR, "main form"):
            found.append(f"thank-you {lang}: its language link opened a card")

        driver.get(f"{ticket_url}?lang={lang}")
        _check(driver, f"ticket {lang}", found)

        driver.get(f"{invitation_url}?lang={lang}")
        _check(driver, f"invitation {lang}", found)
        for _page in range(6):  # a page whose questions are all optional moves on
            _send(driver, fill=False)
            if driver.find_elements(By.ID, "error-summary"):
                break
        _error_state(driver, lang, f"invitation refused {lang}", found)

    driver.get(f"{base}/device/enrol")
    _check(driver, "kiosk enrolment", found)
    driver.find_element(By.NAME, "code").send_keys(enrol_code, Keys.ENTER)
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "a.button"))
    for lang in LANGS:
        driver.get(f"{kiosk_url}?lang={lang}")
        _check(driver, f"kiosk card {lang}", found)
        _send(driver, fill=True)
        WebDriverWait(driver, 15).until(
            lambda d: d.find_element(By.ID, "next-countdown").is_displayed()
        )
        _check(driver, f"kiosk thank-you {lang}", found)
    assert not found, "\n".join(found)


def test_staff_pages_of_every_role(app, live_server, driver, tmp_path):
    load_demo()
    campaign = db.session.execute(select(Campaign)).scalars().first()
    assert campaign is not None
    campaign.call_from, campaign.call_until = "00:00", "23:59"
    campaign.lunch_from = campaign.lunch_until = "00:00"
    no_holidays = tmp_path / "no-holidays.toml"
    no_holidays.write_text("", encoding="utf-8")
    app.config["SURVEY_WORKDAY_CALENDAR"] = str(no_holidays)
    gen_invitation(
        campaign,
        group="service_user",
        contact=gen_contact("陈七", "+8613912345670"),
        channel="phone",
    )
    unit = campaign.units[0]
    case = (
        db.session.execute(select(FollowUpCase).join(Response).where(Response.unit_id == unit.id))
        .scalars()
        .first()
    )
    assert case is not None
    users = {
        role: gen_user(role, **({"unit_id": unit.id} if role == "handler" else {}))
        for role in ("admin", "evaluator", "operator", "handler")
    }
    db.session.commit()
    enqueue_phone_cases(campaign)
    db.session.commit()
    ids = {"campaign": campaign.id, "unit": unit.id, "case": case.id}
    point_id = unit.service_points[0].id
    base = live_server.url
    evaluate = f"/evaluate/campaign/{ids['campaign']}"
    pages = {
        "admin": [
            "/admin/",
            "/admin/users",
            f"/admin/users/{users['evaluator'].id}",
            "/admin/units",
            f"/admin/units/{ids['unit']}",
            f"/admin/points/{point_id}",
            "/admin/campaigns",
            f"/admin/campaigns/{ids['campaign']}",
            "/admin/campaigns/new",
            "/admin/groups",
            "/admin/devices",
            "/admin/tokens",
            "/admin/contacts",
            "/admin/audit",
            f"{evaluate}/anomalies",
            "/evaluate/fieldwork",
        ],
        "evaluator": [
            "/evaluate/",
            evaluate,
            f"{evaluate}/unit/{ids['unit']}",
            f"{evaluate}/unit/{ids['unit']}/comments",
            f"{evaluate}/unit/{ids['unit']}/report",
            f"{evaluate}/bursts",
            "/evaluate/follow-up",
            "/evaluate/methods",
        ],
        "operator": ["/operator/"],
        "handler": ["/evaluate/follow-up", f"/evaluate/follow-up/{ids['case']}"],
    }
    found: list[str] = []
    for role, paths in pages.items():
        _as_staff(driver, base, users[role].username, role, paths, found)
        if role == "operator":
            driver.find_element(By.CSS_SELECTOR, "form[action*='/operator/next/'] button").click()
            WebDriverWait(driver, 15).until(lambda d: "/operator/case/" in d.current_url)
            _check(driver, "operator console", found)
            # WCAG 2.1.4: a digit picks an answer only while the focus is in the answer form.
            checked = "return document.querySelectorAll('#answer-form input:checked').length;"
            driver.execute_script("document.querySelector('header.top a').focus();")
            ActionChains(driver).send_keys("1", "2").perform()
            if driver.execute_script(checked) != 0:
                found.append("operator console: a digit on a header link picked an answer")
            digit = driver.execute_script(
                "const option = document.querySelector('#answer-form input[data-digit]');"
                "option.focus(); return option.dataset.digit;"
            )
            ActionChains(driver).send_keys(digit).perform()
            if driver.execute_script(checked) != 1:
                found.append("operator console: a digit in the answer form picked nothing")
    for lang in ("zh_Hans", "zh_Hant"):
        driver.get(f"{base}/evaluate/follow-up/{ids['case']}?lang={lang}")
        _check(driver, f"handler case in {lang}", found)
    assert not found, "\n".join(found)


def test_scorecard_pages_of_the_evaluator_and_the_liaison(app, live_server, driver, tmp_path):
    cycle, unit, other = mini_cycle(app, tmp_path / "frameworks")
    _fill(cycle, unit, other)  # scored, so the charts and their tables are drawn
    users = {role: gen_user(role, unit_id=unit.id) for role in ("liaison",)}
    users["evaluator"] = gen_user("evaluator")
    db.session.commit()
    base = live_server.url
    pages = {
        "evaluator": [
            "/evaluate/cycles",
            f"/evaluate/cycle/{cycle.id}",
            f"/evaluate/cycle/{cycle.id}/unit/{unit.id}",
            f"/evaluate/cycle/{cycle.id}/unit/{unit.id}/assess",
            f"/evaluate/cycle/{cycle.id}/unit/{unit.id}/opinion/2025",
            "/evaluate/fixes",
            "/evaluate/cycles/new",
        ],
        "liaison": [
            "/evaluate/self-assessment",
            f"/evaluate/self-assessment/{cycle.id}/2025",
            f"/evaluate/self-assessment/{cycle.id}/scorecard",
            "/evaluate/unit-opinions",
        ],
    }
    found: list[str] = []
    for role, paths in pages.items():
        _as_staff(driver, base, users[role].username, role, paths, found)
        if role == "evaluator":
            _cycle_form_refused(driver, base, found)
    assert not found, "\n".join(found)


def _cycle_form_refused(driver, base: str, found: list[str]) -> None:  # type: ignore[no-untyped-def]
    """The cycle form sent without a code: its summary and the error tied to the code."""
    for lang in ("zh_Hans", "en"):
        driver.get(f"{base}/evaluate/cycles/new?lang={lang}")
        _loaded(driver)
        old = driver.find_element(By.TAG_NAME, "html")
        driver.execute_script("document.querySelector('#cycle-form button[value=open]').click();")
        WebDriverWait(driver, 15).until(staleness_of(old))
        _error_state(driver, lang, f"cycle form refused {lang}", found)


def test_the_kiosk_countdown_shows_and_any_key_stops_it(app, live_server, driver):
    """WCAG 2.2.1: the time is seen counting, and a slow reader stops it with one key."""
    app.config["SURVEY_KIOSK_NEXT_SECONDS"] = 3
    demo = load_demo()
    db.session.commit()
    kiosk_path = _path(dict(demo.urls)["kiosk"])
    point = db.session.execute(
        select(ServicePoint).where(ServicePoint.code == kiosk_path.split("/")[-1])
    ).scalar_one()
    _device, code = create_device(point, "窗口平板", by=None)
    db.session.commit()
    base = live_server.url
    _fresh(driver, base)
    driver.get(f"{base}/device/enrol")
    driver.find_element(By.NAME, "code").send_keys(code, Keys.ENTER)
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "a.button"))

    driver.get(f"{base}{kiosk_path}?lang=en")
    _send(driver, fill=True)
    seconds = driver.find_element(By.ID, "countdown-seconds")
    assert seconds.text in {"3", "2"}
    # Left alone, it opens a fresh card for the next person.
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "main form"))
    assert driver.current_url.startswith(f"{base}{kiosk_path}")

    _send(driver, fill=True)
    assert driver.find_element(By.ID, "next-countdown").is_displayed()
    # The next person starts in the default language: the stop is said in Chinese.
    ActionChains(driver).send_keys(Keys.SPACE).perform()
    state = driver.find_element(By.ID, "countdown-state")
    WebDriverWait(driver, 5).until(
        lambda d: state.text == "倒计时已停止：本页将一直保留，直到您按下“下一位”。"
    )
    assert not driver.find_element(By.ID, "countdown-running").is_displayed()
    stopped_at = driver.current_url
    time.sleep(4)  # longer than the countdown: the page must still be the thank-you
    assert driver.current_url == stopped_at
    assert not driver.find_elements(By.CSS_SELECTOR, "main form")


def test_a_card_answered_with_the_keyboard_alone(app, live_server, driver):
    """Tab, arrows and space reach and pick every answer; Enter sends: no click anywhere."""
    demo = load_demo()
    db.session.commit()
    base = live_server.url
    _fresh(driver, base)
    driver.get(f"{base}{_path(dict(demo.urls)['point'])}?lang=en")
    questions = driver.find_elements(By.CSS_SELECTOR, "main form fieldset")
    radio_sets = [q for q in questions if q.find_elements(By.CSS_SELECTOR, "input[type=radio]")]
    keys = ActionChains(driver)
    # From the top of the page, Tab walks the language links, then into the first question.
    for _ in range(40):
        keys.send_keys(Keys.TAB).perform()
        active = driver.switch_to.active_element
        if active.get_attribute("type") == "radio":
            break
    picked = 0
    while picked < len(radio_sets):
        active = driver.switch_to.active_element
        assert active.get_attribute("type") == "radio", active.get_attribute("outerHTML")
        # The second option of the question (satisfied), by the arrow key, as a person would.
        keys.send_keys(Keys.ARROW_DOWN).perform()
        picked += 1
        keys.send_keys(Keys.TAB).perform()
        if driver.switch_to.active_element.get_attribute("type") != "radio":
            break
    assert picked == len(radio_sets)
    # What is left: the comment box (typed into), then the send button (Enter).
    for _ in range(10):
        active = driver.switch_to.active_element
        if active.tag_name == "textarea":
            keys.send_keys("很好").perform()
        if active.tag_name == "button":
            break
        keys.send_keys(Keys.TAB).perform()
    assert driver.switch_to.active_element.tag_name == "button"
    old = driver.find_element(By.TAG_NAME, "html")
    keys.send_keys(Keys.ENTER).perform()
    WebDriverWait(driver, 15).until(staleness_of(old))
    _loaded(driver)
    assert "Your answers have been received" in driver.find_element(By.TAG_NAME, "body").text
    db.session.remove()
    response = db.session.execute(select(Response).order_by(Response.id.desc())).scalars().first()
    assert response is not None and response.channel == "qr"
    assert re.search("很好", " ".join(str(a.value) for a in response.answers))
