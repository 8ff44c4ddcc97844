"""The load run's pure half: what a page says, and the clients' account against the database.

bench/bench_load.py drives the run; these functions judge it, and
tests/test_bench_load.py checks them (they need neither gunicorn nor PostgreSQL).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

HIDDEN = re.compile(r'<input[^>]*name="(csrf_token|submission_key|page)"[^>]*>')
VALUE = re.compile(r'value="([^"]*)"')
HTML_LANG = re.compile(r'<html lang="([^"]+)"')
H1 = re.compile(r"<h1>(.*?)</h1>", re.S)


# --- what a page says (pure) -------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One HTTP answer, or ``status`` None when the connection broke (a killed worker)."""

    status: int | None
    body: str = ""
    location: str = ""


@dataclass(frozen=True)
class Markers:
    """What the app's pages say in one language, read from its catalogs."""

    thanks: str  # the thank-you page's text
    error_titles: tuple[str, ...]  # the titles of the app's own 5xx pages


def read_markers(app: Any, catalogs: Mapping[str, str]) -> dict[str, Markers]:
    """The thank-you text and the 5xx titles in each language, from the app's own catalogs.

    ``catalogs`` maps an <html lang> value to its catalog ("zh-Hant": "zh_Hant").
    """
    from flask_babel import force_locale, gettext

    markers = {}
    for lang, catalog in catalogs.items():
        with app.test_request_context(), force_locale(catalog):
            markers[lang] = Markers(
                thanks=gettext(
                    "Your answers have been received. "
                    "Thank you for helping us improve our services."
                ),
                error_titles=(gettext("Nothing was saved"), gettext("Something went wrong")),
            )
    return markers


def classify(reply: Reply, lang: str, markers: Mapping[str, Markers]) -> str:
    """What a respondent saw, for a page requested in ``lang`` (an <html lang> value).

    One of: "dropped" (no answer), "thanks", "redirect", "page" (another 2xx),
    "refused" (4xx), "translated_5xx" (the app's error page in ``lang``) or
    "untranslated_5xx" (any other 5xx: Werkzeug's page, another language, a traceback).
    """
    if reply.status is None:
        return "dropped"
    if reply.status >= 500:
        translated = is_translated_error(reply.body, lang, markers)
        return "translated_5xx" if translated else "untranslated_5xx"
    if reply.status in (301, 302, 303, 307, 308):
        return "redirect"
    if reply.status >= 400:
        return "refused"
    expected = markers.get(lang)
    if expected is not None and html.escape(expected.thanks, quote=False) in reply.body:
        return "thanks"
    return "page"


def is_translated_error(body: str, lang: str, markers: Mapping[str, Markers]) -> bool:
    """The page is in ``lang`` and its heading is one of the app's error titles in that language."""
    expected = markers.get(lang)
    found = HTML_LANG.search(body)
    heading = H1.search(body)
    if expected is None or found is None or heading is None or found.group(1) != lang:
        return False
    return html.unescape(heading.group(1).strip()) in expected.error_titles


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs a browser sends back: CSRF token, submission key, page."""
    fields = {}
    for tag in HIDDEN.finditer(page):
        value = VALUE.search(tag.group(0))
        if value:
            fields[tag.group(1)] = html.unescape(value.group(1))
    return fields


def submit_action(page: str) -> str:
    """The page's main button: "submit" on the last page (and a card), else "next"."""
    return "submit" if 'name="action" value="submit"' in page else "next"


# --- the clients' account against the database (pure) ------------------------------------------


@dataclass
class Submission:
    """One respondent's submission as the client saw it.

    ``keys`` are the submission keys of the final POSTs (one per form shown;
    pressing the same button again sends the same one). ``outcome`` is
    "accepted" (a thank-you page), "refused" (a 4xx), "abandoned" (no answer
    after MAX_PRESSES presses) or "pending" (not finished when the run ended).
    """

    kind: str  # "qr", "ticket" or "invitation"
    lang: str
    ticket_id: int | None = None
    invitation_id: int | None = None
    keys: list[str] = field(default_factory=list)
    outcome: str = "pending"
    presses: int = 0


@dataclass(frozen=True)
class StoredRow:
    """A submitted response in the database."""

    id: int
    submission_key: str | None
    ticket_id: int | None
    invitation_id: int | None


@dataclass
class Verdict:
    """The run's figures; ``failures`` names each that is not as it must be."""

    accepted: int  # submissions a client saw the thank-you page for
    stored: int  # submitted responses in the database
    lost: int  # accepted, not stored
    unexplained: int  # stored, but not for a submission a client was thanked for
    duplicates: int  # rows beyond the first of one submission
    refused: int  # submissions that ended on a 4xx page
    refused_but_stored: int  # of those, stored all the same (among the unexplained)
    abandoned: int  # no answer after MAX_PRESSES presses of the same button
    untranslated_5xx: int

    @property
    def failures(self) -> list[str]:
        problems = []
        if self.accepted != self.stored:
            problems.append(f"accepted {self.accepted} != stored {self.stored}")
        for name in (
            "lost",
            "unexplained",
            "duplicates",
            "refused",
            "refused_but_stored",
            "abandoned",
            "untranslated_5xx",
        ):
            if getattr(self, name):
                problems.append(f"{name} {getattr(self, name)}")
        return problems


def compare(
    submissions: Iterable[Submission], rows: Iterable[StoredRow], untranslated_5xx: int
) -> Verdict:
    """The clients' account against the stored responses.

    A row belongs to the submission whose key it carries, or whose ticket or
    invitation it answers; a row that belongs to none, or to a submission whose
    respondent was not thanked, is unexplained.
    """
    submissions = list(submissions)
    rows = list(rows)
    owner_of: dict[tuple[str, object], int] = {}
    for index, sub in enumerate(submissions):
        owner_of.update({("key", key): index for key in sub.keys})
        if sub.ticket_id is not None:
            owner_of["ticket", sub.ticket_id] = index
        if sub.invitation_id is not None:
            owner_of["invitation", sub.invitation_id] = index
    rows_of: Counter[int | None] = Counter()
    for row in rows:
        claims = [("key", row.submission_key), ("ticket", row.ticket_id)]
        claims.append(("invitation", row.invitation_id))
        owners = [owner_of[claim] for claim in claims if claim in owner_of]
        rows_of[owners[0] if owners else None] += 1
    outcome = Counter(sub.outcome for sub in submissions)
    accepted = {i for i, sub in enumerate(submissions) if sub.outcome == "accepted"}
    refused = {i for i, sub in enumerate(submissions) if sub.outcome == "refused"}
    return Verdict(
        accepted=len(accepted),
        stored=len(rows),
        lost=sum(1 for i in accepted if rows_of[i] == 0),
        unexplained=sum(n for owner, n in rows_of.items() if owner not in accepted),
        duplicates=sum(n - 1 for owner, n in rows_of.items() if owner is not None and n > 1),
        refused=outcome["refused"],
        refused_but_stored=sum(1 for i in refused if rows_of[i]),
        abandoned=outcome["abandoned"],
        untranslated_5xx=untranslated_5xx,
    )


def log_summary(text: str) -> str:
    """What gunicorn's log says: the app's retries and 503s on lost connections, its 500s."""
    lines = text.splitlines()

    def count(words: str) -> int:
        return sum(words in line for line in lines)

    return (
        f"gunicorn's log: {count('running it once more')} submissions run again on a new "
        f"connection, {count('database connection lost on')} press-again pages, "
        f"{count('lost at the end of a request')} connections lost after the page was made, "
        f"{count('ERROR in app: Exception on')} 500s, "
        f"{count('Error handling request')} errors outside the app"
    )
