"""The "realistic page" of issue #15: what a page of the card's kind costs in plain Flask.

bench/bench_submissions.py serves it through the same gunicorn settings as the
app and measures it in the same run. It renders the app's own base template
(the card's layout and CSS) with the app's Babel set-up (its catalogs, its
locale selector, the ``html_lang``/``current_lang`` context and a style nonce
per request), keeps a token in the session (sent as a hidden field and checked
on POST, as a CSRF token is) and stores each POST with one INSERT. A submission
is a GET and a POST, as on the app's card.

Configured by the environment: BENCH_DB (an SQLAlchemy URL), BENCH_TEMPLATES
and BENCH_TRANSLATIONS (the app's folders).
"""

from __future__ import annotations

import hmac
import os
import secrets
from typing import Any

import sqlalchemy as sa
from flask import Flask, abort, render_template, request, session
from flask_babel import Babel, get_locale
from jinja2 import ChoiceLoader, DictLoader, FileSystemLoader

from survey.i18n import select_locale

PAGE = """{% extends "base.html" %}
{% block content %}<h1>{{ title }}</h1>
<form method="post"><input type="hidden" name="csrf_token" value="{{ token }}">
<label class="hint" for="answer">{{ _("Your answer") }}</label>
<textarea id="answer" name="answer" maxlength="200"></textarea>
<button type="submit">{{ _("Send") }}</button></form>
<footer>{{ _("Your answers are confidential and are only used to improve public services.")
}}</footer>
{% endblock %}"""

THANKS = """{% extends "base.html" %}
{% block content %}<h1>{{ _("Thank you") }}</h1>
<p class="lead">{{
_("Your answers have been received. Thank you for helping us improve our services.")
}}</p>
{% endblock %}"""

app = Flask(__name__)
app.config.update(
    SECRET_KEY="bench-secret-0123",
    BABEL_DEFAULT_LOCALE="zh_Hans",
    BABEL_TRANSLATION_DIRECTORIES=os.environ.get("BENCH_TRANSLATIONS", "translations"),
)
app.jinja_loader = ChoiceLoader(  # type: ignore[assignment]
    [
        DictLoader({"page.html": PAGE, "thanks.html": THANKS}),
        FileSystemLoader(os.environ.get("BENCH_TEMPLATES", "templates")),
    ]
)
Babel(app, locale_selector=select_locale)
engine = sa.create_engine(os.environ.get("BENCH_DB", "sqlite://"))
answers = sa.Table(
    "realistic_answer",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("answer", sa.String(200), nullable=False),
    sa.Column("language", sa.String(10), nullable=False),
    sa.Column("created_at", sa.DateTime, server_default=sa.func.now()),
)


@sa.event.listens_for(engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """As the app: WAL, and wait instead of failing when another writer holds the file."""
    if not type(dbapi_connection).__module__.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_table(url: str) -> None:
    """Made by the bench before the workers start (two workers would race to make it)."""
    made = sa.create_engine(url)
    answers.metadata.create_all(made)
    made.dispose()


@app.context_processor
def _language() -> dict[str, Any]:
    code = str(get_locale() or "zh_Hans")
    return {
        "current_lang": code,
        "html_lang": code.replace("_", "-"),
        "csp_nonce": lambda: request.environ.setdefault("bench.nonce", secrets.token_urlsafe(16)),
    }


@app.route("/r", methods=["GET", "POST"])
def page() -> str:
    if request.method == "POST":
        token = session.get("token", "")
        if not token or not hmac.compare_digest(token, request.form.get("csrf_token", "")):
            abort(400)
        with engine.begin() as conn:
            conn.execute(
                answers.insert().values(
                    answer=request.form.get("answer", "")[:200], language=str(get_locale())
                )
            )
        return render_template("thanks.html")
    session.setdefault("token", secrets.token_urlsafe(32))
    return render_template("page.html", title="满意度调查", token=session["token"])


@app.get("/")
def up() -> str:
    return "up"
