"""A citizen's path in a real browser: scan the poster's code, answer with JavaScript off."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest
from conftest import test_config as app_config
from factories import gen_campaign, gen_service_point, gen_unit
from selenium.webdriver.common.by import By
from tools_support import decode_qr, headless_chromium
from werkzeug.serving import make_server

from survey import create_app
from survey.channels.print_sheets import write_point_files
from survey.extensions import db
from survey.models import Answer, Response

# The README's screenshots are refreshed only on request, so a test run leaves the tree clean.
SCREENSHOTS = (
    Path(__file__).resolve().parent.parent / "docs" / "screenshots"
    if os.environ.get("SURVEY_UPDATE_SCREENSHOTS") == "1"
    else None
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.browser
def test_scan_answer_and_thank_you_without_javascript(database_url, tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(app_config(database_url, SURVEY_BASE_URL=base))
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    with app.app_context():
        unit = gen_unit(code="zwfw", name="省政务服务中心")
        gen_campaign([unit])
        point = gen_service_point(unit, code="zwfw-a1")
        db.session.commit()
        write_point_files(point, tmp_path / "qr")
    url = decode_qr(tmp_path / "qr" / "zwfw-a1.png")
    assert url == f"{base}/p/zwfw-a1"
    driver = headless_chromium(tmp_path / "profile", javascript=False)
    thread.start()
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
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        body = driver.find_element(By.TAG_NAME, "body").text
        driver.save_screenshot(str(shots / "thank-you.png"))
        assert "谢谢" in body or "感谢" in body
    finally:
        driver.quit()
        server.shutdown()
    with app.app_context():
        responses = db.session.execute(db.select(Response)).scalars().all()
        assert len(responses) == 1
        answers = {
            a.question_id: a.value for a in db.session.execute(db.select(Answer)).scalars().all()
        }
        assert answers["overall"] == "very_satisfied"
        assert answers["comment"] == "窗口人员很耐心"
        assert responses[0].channel == "qr"
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()
