"""Configuration defaults, each overridable from the environment.

The defaults make ``make run`` work on a fresh machine (SQLite under instance/);
production sets SECRET_KEY, DATABASE_URL and SURVEY_BASE_URL.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

PACKAGE_ROOT = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_ROOT.parent


def shipped_folder(name: str) -> Path:
    """A folder kept at the top of the repository (instruments/, migrations/), wherever it is.

    In a checkout it is read where it is reviewed; an installed wheel carries a
    copy inside the package (survey/bundled/<name>, which in the checkout links
    to the folder: package data in pyproject.toml).
    """
    checkout = PROJECT_ROOT / name
    if (PROJECT_ROOT / "pyproject.toml").is_file() and checkout.is_dir():
        return checkout
    return PACKAGE_ROOT / "bundled" / name


MIGRATIONS_DIR = shipped_folder("migrations")
# Public holidays and adjusted working days (survey.workdays): follow-up deadlines, calling days.
DEFAULT_CALENDAR = Path(__file__).resolve().parent / "data" / "workdays_cn.toml"
# The TrueType font the PDF report embeds (survey.reports.fonts.DEFAULT_FONT, the same file).
DEFAULT_PDF_FONT = Path(__file__).resolve().parent / "static" / "fonts" / "wqy-microhei.ttc"

LANGUAGES = ("zh_Hans", "zh_Hant", "en")


T = TypeVar("T", int, float)


def _number(name: str, default: T, parse: Callable[[str], T], what: str) -> T:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise RuntimeError(f"environment variable {name} must be {what}, got {raw!r}") from exc


def _int(name: str, default: int) -> int:
    return _number(name, default, int, "a whole number")


def _float(name: str, default: float) -> float:
    return _number(name, default, float, "a number")


def database_uri(instance_path: str) -> str:
    """DATABASE_URL if set (``postgres://`` is accepted and mapped to psycopg 3), else SQLite."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "survey.sqlite")
    return _psycopg(url)


def _psycopg(url: str) -> str:
    """A PostgreSQL URL spelled for psycopg 3 (``postgres://`` and ``postgresql://`` are mapped)."""
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _public_channels() -> dict[str, Any]:
    """The limits of the public channels (QR codes, kiosks, tickets): rates, bursts, devices."""
    return {
        "SURVEY_POINT_RATE_LIMIT": os.environ.get("SURVEY_POINT_RATE_LIMIT", "20 per minute"),
        # A client that submits this many cards from one reusable code within the
        # window is not refused (it may be a family at a counter) but flagged for review.
        "SURVEY_BURST_COUNT": _int("SURVEY_BURST_COUNT", 3),
        "SURVEY_BURST_WINDOW_SECONDS": _int("SURVEY_BURST_WINDOW_SECONDS", 600),
        # A point's QR cards, a kiosk device or a ticket sheet may send, within the window,
        # the larger of MIN_CARDS and FACTOR times its usual (counted cards per service
        # hour over the lookback); and no more lowest ratings than the larger of LOW_MIN - 1
        # and FACTOR times their usual, when they are LOW_SHARE of its cards or more.
        "SURVEY_BURST_MIN_CARDS": _int("SURVEY_BURST_MIN_CARDS", 10),
        "SURVEY_BURST_FACTOR": _float("SURVEY_BURST_FACTOR", 4.0),
        "SURVEY_BURST_LOOKBACK_DAYS": _int("SURVEY_BURST_LOOKBACK_DAYS", 28),
        "SURVEY_SERVICE_HOURS": _float("SURVEY_SERVICE_HOURS", 8.0),
        "SURVEY_BURST_LOW_MIN": _int("SURVEY_BURST_LOW_MIN", 5),
        "SURVEY_BURST_LOW_SHARE": _float("SURVEY_BURST_LOW_SHARE", 0.8),
        # A source's usual is kept per worker and worked out again when the window has
        # moved on by this many seconds (survey.responses.usual_cache); 0: for every card.
        "SURVEY_BURST_USUAL_SECONDS": _float("SURVEY_BURST_USUAL_SECONDS", 60.0),
        "SURVEY_TICKET_DAYS": _int("SURVEY_TICKET_DAYS", 30),
        # How long a kiosk device's one-time enrolment code may wait to be typed on the
        # tablet, and how many codes one client may try (a code has about 50 bits).
        "SURVEY_DEVICE_CODE_MINUTES": _int("SURVEY_DEVICE_CODE_MINUTES", 30),
        # After a kiosk card, the seconds before a fresh one opens, counted down on the
        # screen; any tap or key stops the count (WCAG 2.2.1). Without JavaScript it stays.
        "SURVEY_KIOSK_NEXT_SECONDS": _int("SURVEY_KIOSK_NEXT_SECONDS", 60),
        "SURVEY_DEVICE_ENROL_RATE_LIMIT": os.environ.get(
            "SURVEY_DEVICE_ENROL_RATE_LIMIT", "10 per hour"
        ),
    }


DEVELOPMENT_SECRET_KEY = "dev-only-change-me"
# Shorter than this a secret can be guessed offline from one signed cookie.
MIN_SECRET_LENGTH = 16


def check_secrets(config: Mapping[str, Any], *, debug: bool, testing: bool) -> None:
    """Refuse to start outside debug and testing without real secrets.

    SECRET_KEY signs sessions and CSRF tokens: with the development key anyone can
    sign in as anyone. SURVEY_PHONE_HASH_KEY keys the hashes of opted-out phone
    numbers: without it (where SMS is sent through Twilio) an opt-out is kept under
    a key anyone knows. ``make run`` runs in debug mode, the tests in testing mode.
    """
    if debug or testing:
        return
    problems = []
    secret = str(config.get("SECRET_KEY") or "")
    if secret == DEVELOPMENT_SECRET_KEY or len(secret) < MIN_SECRET_LENGTH:
        problems.append(
            f"SECRET_KEY is not set or too short (at least {MIN_SECRET_LENGTH} characters; "
            "e.g. python3 -c 'import secrets; print(secrets.token_hex(32))')"
        )
    sms = config.get("TWILIO_ACCOUNT_SID")
    phone_key = str(config.get("SURVEY_PHONE_HASH_KEY") or "")
    if sms and len(phone_key) < MIN_SECRET_LENGTH:
        problems.append(
            "SURVEY_PHONE_HASH_KEY is not set or too short, and SMS is configured "
            f"(at least {MIN_SECRET_LENGTH} characters; set it once and never change it)"
        )
    if problems:
        raise RuntimeError(
            "refusing to start without real secrets (outside debug and testing): "
            + "; ".join(problems)
        )


def defaults(instance_path: str) -> dict[str, Any]:
    """The app's configuration as read from the environment at start-up.

    Long because it is one flat table of every setting, kept in one place.
    """
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": database_uri(instance_path),
        # No pool_pre_ping (a round trip before every request): a pooled connection idle
        # this long is pinged at checkout instead (survey.web.connections).
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "SURVEY_DB_PING_IDLE_SECONDS": _int("SURVEY_DB_PING_IDLE_SECONDS", 30),
        # A service point's settings are kept per worker (survey.responses.point_cache):
        # dropped at once by a change on this host (a stamp file in the instance folder,
        # or SURVEY_SETTINGS_STAMP), and after this many seconds whatever happens (the
        # longest a change takes to reach another host's workers).
        "SURVEY_SETTINGS_CACHE_SECONDS": _float("SURVEY_SETTINGS_CACHE_SECONDS", 30.0),
        "SURVEY_SETTINGS_STAMP": os.environ.get("SURVEY_SETTINGS_STAMP", ""),
        "SURVEY_BASE_URL": os.environ.get("SURVEY_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "INSTRUMENTS_DIR": os.environ.get("INSTRUMENTS_DIR", str(shipped_folder("instruments"))),
        # Evaluation frameworks (scorecards) and the units' individual sets under units/.
        "FRAMEWORKS_DIR": os.environ.get("FRAMEWORKS_DIR", str(shipped_folder("frameworks"))),
        "LANGUAGES": LANGUAGES,
        "BABEL_DEFAULT_LOCALE": "zh_Hans",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("SURVEY_TIMEZONE", "Asia/Shanghai"),
        # Rate limits (Flask-Limiter). memory:// counts in each worker process on its own;
        # redis://... gives one count to every worker and host.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # How many proxies (load balancer, TLS terminator) stand in front of the app and
        # set X-Forwarded-For / -Proto. 0 trusts no such header: a client could forge it.
        "SURVEY_PROXY_HOPS": _int("SURVEY_PROXY_HOPS", 0),
        "SURVEY_LOGIN_RATE_LIMIT": os.environ.get("SURVEY_LOGIN_RATE_LIMIT", "10 per minute"),
        # Failed sign-ins for one username from one address: past it, that address waits.
        "SURVEY_LOGIN_FAILURE_LIMIT": os.environ.get(
            "SURVEY_LOGIN_FAILURE_LIMIT", "5 per 15 minutes"
        ),
        # Failed sign-ins for one username from any address (a guess spread over many):
        # past it, only addresses that have not failed for the username may try.
        "SURVEY_LOGIN_USERNAME_RATE_LIMIT": os.environ.get(
            "SURVEY_LOGIN_USERNAME_RATE_LIMIT", "10 per 15 minutes"
        ),
        "RATELIMIT_HEADERS_ENABLED": True,
        **_public_channels(),
        "SURVEY_MAX_TEXT": _int("SURVEY_MAX_TEXT", 2000),
        "SURVEY_SMALL_CELL_K": _int("SURVEY_SMALL_CELL_K", 5),
        # Disclosure control kept per worker: one entry per (unit, group, indicator) table.
        "SURVEY_PROTECTION_CACHE_TABLES": _int("SURVEY_PROTECTION_CACHE_TABLES", 100_000),
        # A streaming replica the results read their sums from (survey.results.replica).
        "SURVEY_REPLICA_DATABASE_URL": (
            _psycopg(os.environ["SURVEY_REPLICA_DATABASE_URL"].strip())
            if os.environ.get("SURVEY_REPLICA_DATABASE_URL", "").strip()
            else None
        ),
        # How long the respondent's SMS link takes a rating of the fix, in days.
        "SURVEY_RATING_DAYS": _int("SURVEY_RATING_DAYS", 15),
        # Public holidays and adjusted working days for follow-up deadlines.
        "SURVEY_WORKDAY_CALENDAR": os.environ.get("SURVEY_WORKDAY_CALENDAR", str(DEFAULT_CALENDAR)),
        # The TrueType font the PDF report embeds (a subset of); ships with the app.
        "SURVEY_PDF_FONT": os.environ.get("SURVEY_PDF_FONT") or str(DEFAULT_PDF_FONT),
        # SMS through Twilio; without credentials messages are only logged (ConsoleBackend).
        "TWILIO_ACCOUNT_SID": os.environ.get("TWILIO_ACCOUNT_SID", ""),
        "TWILIO_AUTH_TOKEN": os.environ.get("TWILIO_AUTH_TOKEN", ""),
        "TWILIO_FROM": os.environ.get("TWILIO_FROM", ""),
        "TWILIO_MESSAGING_SERVICE_SID": os.environ.get("TWILIO_MESSAGING_SERVICE_SID", ""),
        "TWILIO_API_BASE": os.environ.get("TWILIO_API_BASE", ""),
        "SURVEY_SMS_PER_SECOND": float(os.environ.get("SURVEY_SMS_PER_SECOND") or 1.0),
        "SURVEY_SMS_MAX_ATTEMPTS": _int("SURVEY_SMS_MAX_ATTEMPTS", 5),
        "SURVEY_SMS_LEASE_SECONDS": _int("SURVEY_SMS_LEASE_SECONDS", 300),
        "SURVEY_SMS_RETENTION_DAYS": _int("SURVEY_SMS_RETENTION_DAYS", 30),
        "SURVEY_PHONE_HASH_KEY": os.environ.get("SURVEY_PHONE_HASH_KEY", ""),
        # Where set, the outbox is also worked by an RQ worker (flask survey rq-worker).
        "SURVEY_RQ_REDIS_URL": os.environ.get("SURVEY_RQ_REDIS_URL", ""),
        "SURVEY_RQ_QUEUE": os.environ.get("SURVEY_RQ_QUEUE", "survey-sms"),
        "SURVEY_REMINDER_MAX": _int("SURVEY_REMINDER_MAX", 2),
        "SURVEY_REMINDER_INTERVAL_DAYS": _int("SURVEY_REMINDER_INTERVAL_DAYS", 3),
        "SESSION_COOKIE_SAMESITE": "Lax",
        # A staff session unused this long is signed out (checked on the server).
        "SURVEY_STAFF_IDLE_MINUTES": _int("SURVEY_STAFF_IDLE_MINUTES", 30),
        # Cookies only over https: "auto" when SURVEY_BASE_URL is https, "1" or "0" to override.
        "SURVEY_SECURE_COOKIES": os.environ.get("SURVEY_SECURE_COOKIES", "auto"),
        "SESSION_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 256 * 1024,
        # The contact list upload only (a larger list: flask survey invite on the server).
        "SURVEY_CONTACTS_MAX_BYTES": _int("SURVEY_CONTACTS_MAX_BYTES", 5 * 1024 * 1024),
        # A unit's evidence files (PDF, PNG, JPEG): where they are kept, outside the web
        # root, and the largest one taken.
        "SURVEY_EVIDENCE_DIR": os.environ.get(
            "SURVEY_EVIDENCE_DIR", str(Path(instance_path) / "evidence")
        ),
        "SURVEY_EVIDENCE_MAX_BYTES": _int("SURVEY_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024),
    }
