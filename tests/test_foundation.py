"""The app factory, configuration, migrations and language choice."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from survey import create_app
from survey.config import database_uri
from survey.extensions import db
from survey.i18n import normalise


def test_migrations_match_models(app):
    """Every model change has a migration: autogenerate finds nothing left to do."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"render_as_batch": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_database_url_from_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_uri(str(tmp_path)) == f"sqlite:///{tmp_path}/survey.sqlite"
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/survey")
    assert database_uri(str(tmp_path)) == "postgresql+psycopg://u:p@db:5432/survey"


def test_config_from_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("SURVEY_BASE_URL", "https://pj.example.cn/")
    app = create_app({"TESTING": True})
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SURVEY_BASE_URL"] == "https://pj.example.cn"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh-CN", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("zh-TW", "zh_Hant"),
        ("zh-HK", "zh_Hant"),
        ("zh-Hant-TW", "zh_Hant"),
        ("en-GB", "en"),
        ("fr", None),
        ("", None),
    ],
)
def test_language_tags(tag, expected):
    assert normalise(tag) == expected


def test_language_choice_order(client):
    """?lang= wins, is remembered in a cookie, and the cookie beats Accept-Language."""
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert 'lang="en"' in page.get_data(as_text=True)
    page = client.get("/?lang=zh_Hant", headers={"Accept-Language": "en-US"})
    assert 'lang="zh-Hant"' in page.get_data(as_text=True)
    assert "lang=zh_Hant" in page.headers.get("Set-Cookie", "")
    page = client.get("/", headers={"Accept-Language": "en-US"})
    assert 'lang="zh-Hant"' in page.get_data(as_text=True)


def test_default_language_is_simplified_chinese(client):
    page = client.get("/")
    assert 'lang="zh-Hans"' in page.get_data(as_text=True)
