"""No respondent token in the app's logs: Flask's error lines, gunicorn's, the dev server's."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from survey.tokens import new_token


def test_an_error_on_a_token_address_is_logged_without_the_token(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    token = new_token()

    def broken(token: str) -> str:
        raise RuntimeError(f"failed for /t/{token}")

    app.add_url_rule("/t/<token>/boom", "boom", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.ERROR):
        assert app.test_client().get(f"/t/{token}/boom").status_code == 500
    text = caplog.text
    assert f"Exception on /t/{token[:4]}…/boom [GET]" in text
    assert token not in text and "RuntimeError: failed for /t/" in text


@pytest.mark.parametrize("logger_name", ["gunicorn.access", "gunicorn.error", "werkzeug"])
def test_gunicorn_and_dev_server_lines_are_masked(
    app: Flask, caplog: pytest.LogCaptureFixture, logger_name: str
) -> None:
    token = new_token()
    logger = logging.getLogger(logger_name)
    with caplog.at_level(logging.INFO, logger=logger_name):
        logger.info('%(h)s "%(r)s" %(s)s', {"h": "10.0.0.1", "r": f"POST /i/{token} HTTP/1.1",
                                            "s": "200"})
        logger.info("%s - - %s", "10.0.0.1", f'"GET /f/{token}?lang=en HTTP/1.1" 200')
        logger.error(f"Error handling request /i/{token}")
    assert token not in caplog.text
    assert caplog.text.count(f"/i/{token[:4]}…") == 2
    assert f"/f/{token[:4]}…?lang=en" in caplog.text
