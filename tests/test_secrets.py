"""No start in production without real secrets; debug (make run) and testing start as before."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from survey import create_app

ROOT = Path(__file__).resolve().parent.parent
REAL = "0123456789abcdef0123456789abcdef"


def _config(**extra: object) -> dict[str, object]:
    return {"SQLALCHEMY_DATABASE_URI": "sqlite://", **extra}


@pytest.mark.parametrize("secret", [None, "dev-only-change-me", "short"])
def test_production_refuses_to_start_without_a_real_secret_key(secret: str | None) -> None:
    config = _config() if secret is None else _config(SECRET_KEY=secret)
    if secret is None:
        config["SECRET_KEY"] = "dev-only-change-me"  # the default when the variable is unset
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)


def test_production_starts_with_a_real_secret_key() -> None:
    assert create_app(_config(SECRET_KEY=REAL)).config["SECRET_KEY"] == REAL


def test_sms_without_a_phone_hash_key_refuses_to_start() -> None:
    with pytest.raises(RuntimeError, match="SURVEY_PHONE_HASH_KEY"):
        create_app(_config(SECRET_KEY=REAL, TWILIO_ACCOUNT_SID="AC123"))
    app = create_app(_config(SECRET_KEY=REAL, TWILIO_ACCOUNT_SID="AC123",
                             SURVEY_PHONE_HASH_KEY=REAL))
    assert app.config["SURVEY_PHONE_HASH_KEY"] == REAL


def test_debug_and_testing_start_with_the_development_key() -> None:
    assert create_app(_config(TESTING=True)).testing
    assert create_app(_config(DEBUG=True)).debug


def test_gunicorns_import_of_wsgi_fails_with_the_reason(tmp_path: Path) -> None:
    """What an operator sees when starting the app in production without SECRET_KEY."""
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "FLASK_DEBUG"}}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/x.sqlite"
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "refusing to start without real secrets" in result.stderr
    env["FLASK_DEBUG"] = "1"  # make run
    debug = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert debug.returncode == 0, debug.stderr
