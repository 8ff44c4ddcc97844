"""Headers every response carries: the security policy, no caching of staff pages, no indexing.

Flask-Talisman sets the security headers: a Content-Security-Policy with no
inline script anywhere (the few inline ``<style>`` blocks carry the request's
nonce), ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` (no page is
framed, so no click on it can be hijacked), ``X-Content-Type-Options: nosniff``,
``Referrer-Policy: same-origin`` (respondent addresses carry personal tokens: no
other site is told them) and HSTS on requests that came over https (directly,
or through a proxy trusted by SURVEY_PROXY_HOPS). It does not redirect to
https: TLS ends at the proxy in front, which does that.

Staff pages are never stored by the browser or a proxy (results, phone numbers
on the handler's case page, exports); respondent pages with a form or a personal
link say so themselves (survey.respond.pages.no_store).

Nothing here is meant for search engines: respondent addresses carry personal
tokens (``/i/<token>``, ``/t/<token>``, ``/f/<token>``) and staff pages sit behind
a sign-in, so every response asks not to be indexed (the pages say it too, in a
``<meta name="robots">``, for crawlers that only read the page).
"""

from __future__ import annotations

from flask import Flask, Response, has_request_context, request

from ..extensions import talisman
from .errors import audience

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",  # and the request's nonce, for the pages' own <style>
    "img-src": "'self' data:",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def secure_cookies(app: Flask) -> None:
    """Cookies only over https when the public address is https, unless told otherwise.

    SURVEY_SECURE_COOKIES: "auto" follows SURVEY_BASE_URL; "1" or "0" overrides it
    (e.g. "1" behind a proxy that serves https under an http base URL in tests).
    """
    setting = str(app.config.get("SURVEY_SECURE_COOKIES", "auto")).strip().lower()
    if setting in {"1", "true", "yes", "on"}:
        secure = True
    elif setting in {"0", "false", "no", "off"}:
        secure = False
    elif setting == "auto":
        secure = str(app.config.get("SURVEY_BASE_URL", "")).lower().startswith("https://")
    else:
        raise RuntimeError(f"SURVEY_SECURE_COOKIES must be auto, 1 or 0, got {setting!r}")
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure


def talisman_options(app: Flask) -> dict[str, object]:
    """What Talisman is told (tests/test_lean_talisman.py gives a plain Talisman the same)."""
    return {
        "force_https": False,
        "frame_options": "DENY",
        "content_security_policy": CONTENT_SECURITY_POLICY,
        "content_security_policy_nonce_in": ["style-src"],
        "referrer_policy": "same-origin",
        # A year; not the subdomains: other services of the office may share the domain.
        "strict_transport_security_max_age": 365 * 24 * 3600,
        "strict_transport_security_include_subdomains": False,
        # Our own setting decides (secure_cookies); Talisman's would force it on.
        "session_cookie_secure": False,
        "session_cookie_samesite": app.config.get("SESSION_COOKIE_SAMESITE", "Lax"),
    }


def init_headers(app: Flask) -> None:
    secure_cookies(app)
    talisman.init_app(app, **talisman_options(app))
    # Posters and ticket sheets are also rendered by commands, outside any request.
    app.jinja_env.globals["csp_nonce"] = _style_nonce
    app.after_request(_staff_no_store)
    app.after_request(no_index)


def _style_nonce() -> str:
    return str(getattr(request, "csp_nonce", "")) if has_request_context() else ""


def _staff_no_store(response: Response) -> Response:
    if audience() == "staff":
        response.headers["Cache-Control"] = "no-store"
    return response


def no_index(response: Response) -> Response:
    response.headers.setdefault("X-Robots-Tag", "noindex, nofollow")
    return response
