"""Which language a page speaks: ``?lang=``, then a cookie, then Accept-Language.

Chinese browsers send region tags (zh-CN, zh-TW, zh-HK) more often than script
tags (zh-Hans, zh-Hant), so both are mapped onto our three catalogs.
"""

from __future__ import annotations

from flask import Response, current_app, has_request_context, request

LANG_COOKIE = "lang"

_ALIASES = {
    "zh_hans": "zh_Hans",
    "zh_cn": "zh_Hans",
    "zh_sg": "zh_Hans",
    "zh": "zh_Hans",
    "zh_hans_cn": "zh_Hans",
    "zh_hant": "zh_Hant",
    "zh_tw": "zh_Hant",
    "zh_hk": "zh_Hant",
    "zh_mo": "zh_Hant",
    "zh_hant_tw": "zh_Hant",
    "zh_hant_hk": "zh_Hant",
    "en": "en",
}


def normalise(tag: str | None) -> str | None:
    """Map a language tag such as ``zh-TW`` or ``en-GB`` onto one of our catalogs, or None."""
    if not tag:
        return None
    key = tag.strip().replace("-", "_").lower()
    if key in _ALIASES:
        return _ALIASES[key]
    if key.startswith("en"):
        return "en"
    if (
        key.startswith("zh_hant")
        or key.split("_")[-1] in {"tw", "hk", "mo"}
        and key.startswith("zh")
    ):
        return "zh_Hant"
    if key.startswith("zh"):
        return "zh_Hans"
    return None


def requested_language() -> str | None:
    """A language asked for explicitly, by ``?lang=`` or the cookie that remembers it."""
    return normalise(request.args.get("lang")) or normalise(request.cookies.get(LANG_COOKIE))


def select_locale() -> str:
    """Flask-Babel's locale selector.

    Outside a request (a worker, a command, a test calling a service) there is
    no visitor to ask: the default language, rather than an error from a
    message that happened to be translated.
    """
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = requested_language()
    if chosen:
        return chosen
    for tag, _quality in request.accept_languages:
        mapped = normalise(tag)
        if mapped:
            return mapped
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def remember_language(response: Response) -> Response:
    """After a ``?lang=`` choice, keep it in a cookie for the next pages."""
    chosen = normalise(request.args.get("lang"))
    if chosen and request.cookies.get(LANG_COOKIE) != chosen:
        response.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
    return response
