"""The app's Talisman (survey.extensions.LeanTalisman) sets exactly what Flask-Talisman sets.

It only does once what Talisman did on every request; the headers must not
differ. A plain Flask app with Flask-Talisman, told the same options, serves
the same paths with the same nonce: every security header must be equal,
over http and over https (where HSTS is added).
"""

from __future__ import annotations

import re

import pytest
from flask import Flask, request
from flask_talisman import Talisman

from survey.extensions import talisman
from survey.web.headers import talisman_options

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Strict-Transport-Security",
    "Permissions-Policy",
    "Feature-Policy",
    "Document-Policy",
    "X-XSS-Protection",
)


def _nonce(policy: str) -> str:
    found = re.search(r"'nonce-([^']+)'", policy)
    assert found, policy
    return found.group(1)


def _plain(app: Flask, nonce: str) -> Flask:
    """A bare app with Flask-Talisman as released, told what the app tells its own."""
    plain = Flask("plain")
    plain.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE")
    Talisman(plain, **talisman_options(app))  # type: ignore[arg-type]

    @plain.before_request
    def same_nonce() -> None:
        request.csp_nonce = nonce  # type: ignore[attr-defined]

    @plain.route("/", defaults={"path": ""})
    @plain.route("/<path:path>")
    def page(path: str) -> str:
        return "page"

    return plain


@pytest.mark.parametrize("https", [False, True])
@pytest.mark.parametrize("path", ["/login", "/", "/no-such-page", "/static/app.css"])
def test_the_headers_are_flask_talismans(app: Flask, client, path: str, https: bool) -> None:  # type: ignore[no-untyped-def]
    headers = {"X-Forwarded-Proto": "https"} if https else {}
    ours = client.get(path, headers=headers)
    policy = ours.headers["Content-Security-Policy"]
    theirs = _plain(app, _nonce(policy)).test_client().get(path, headers=headers)
    for name in SECURITY_HEADERS:
        assert ours.headers.get(name) == theirs.headers.get(name), name
    assert ("Strict-Transport-Security" in ours.headers) is https


def test_a_view_with_options_of_its_own_gets_talismans_handling(app: Flask) -> None:
    @app.route("/framed-for-test")
    @talisman(frame_options="SAMEORIGIN", content_security_policy={"default-src": "'none'"})
    def framed() -> str:
        return "framed"

    response = app.test_client().get("/framed-for-test")
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"
