"""A respondent of the load run: a browser's cookies, and the same button pressed again.

Standard library only, one new connection a request (gunicorn's sync workers
close each); bench/bench_load.py runs many of these from a few threads.
"""

from __future__ import annotations

import html
import http.client
import re
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from load_account import H1, Markers, Reply, Submission, classify, hidden_fields, submit_action

# A respondent's Accept-Language and the <html lang> the page must then carry.
LANGUAGES = {"zh-CN": "zh-Hans", "zh-TW": "zh-Hant", "en": "en"}
MAX_PRESSES = 15  # the same button, pressed again after a broken connection or a 5xx


# --- a respondent's browser ---------------------------------------------------------------------


class Browser:
    """Cookies and one request at a time over a new connection, as gunicorn's sync workers serve."""

    def __init__(self, port: int, accept_language: str) -> None:
        self.port = port
        self.accept_language = accept_language
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: Mapping[str, Any] | None = None) -> Reply:
        headers = {"Accept-Language": self.accept_language, "Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            answer = conn.getresponse()
            text = answer.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            return Reply(None)
        finally:
            conn.close()
        for header, value in answer.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return Reply(answer.status, text, answer.getheader("Location") or "")


@dataclass
class Tally:
    """Counters shared by the client threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    seen: Counter[str] = field(default_factory=Counter)
    five_xx: Counter[tuple[int, str, str]] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)

    def note(self, kind: str, reply: Reply, lang: str, path: str) -> None:
        with self.lock:
            self.seen[kind] += 1
            if kind.endswith("_5xx"):
                assert reply.status is not None
                self.five_xx[(reply.status, kind, lang)] += 1
            if kind in ("untranslated_5xx", "refused") and len(self.samples) < 3:
                assert reply.status is not None
                self.samples.append(f"{reply.status} {_mask(path)}: {_gist(reply.body)}")


def _gist(body: str) -> str:
    """A page's heading and first paragraph, or the start of a page that has neither."""
    heading = H1.search(body)
    lead = re.search(r"<p[^>]*>(.*?)</p>", body, re.S)
    if heading is None:
        return repr(body[:200])
    return html.unescape(heading.group(1) + (": " + lead.group(1) if lead else ""))


def _mask(path: str) -> str:
    return re.sub(r"^(/[it]/[A-Za-z0-9_-]{4})[A-Za-z0-9_-]*", r"\1…", path)


class Respondent:
    """Answers one card or invitation; presses the same button again after a failure."""

    def __init__(
        self,
        port: int,
        accept_language: str,
        markers: Mapping[str, Markers],
        tally: Tally,
        stop: threading.Event,
    ) -> None:
        self.browser = Browser(port, accept_language)
        self.lang = LANGUAGES[accept_language]
        self.markers = markers
        self.tally = tally
        self.stop = stop

    def press(
        self, method: str, path: str, form: Mapping[str, Any] | None = None
    ) -> tuple[str, Reply, int]:
        """Send until the page answers with something other than a broken connection or a 5xx."""
        presses = 0
        kind, reply = "dropped", Reply(None)
        while presses < MAX_PRESSES:
            presses += 1
            reply = self.browser.request(method, path, form)
            kind = classify(reply, self.lang, self.markers)
            self.tally.note(kind, reply, self.lang, path)
            if kind not in ("dropped", "translated_5xx", "untranslated_5xx"):
                return kind, reply, presses
            if self.stop.is_set() and presses >= 3:
                break
            time.sleep(min(0.1 * presses, 1.0))
        return "abandoned", reply, presses

    def card(self, path: str, answers: Mapping[str, Any], sub: Submission) -> None:
        kind, page, presses = self.press("GET", path)
        sub.presses += presses
        if kind != "page":
            sub.outcome = "refused" if kind == "refused" else "abandoned"
            return
        form = dict(answers)
        hidden = hidden_fields(page.body)
        form.update(hidden, action="submit")
        sub.keys.append(hidden.get("submission_key", ""))
        kind, _reply, presses = self.press("POST", path, form)
        sub.presses += presses
        sub.outcome = {"thanks": "accepted", "abandoned": "abandoned"}.get(kind, "refused")

    def invitation(
        self, path: str, pages: Mapping[str, Mapping[str, Any]], sub: Submission
    ) -> None:
        kind, page, presses = self.press("GET", path)
        sub.presses += presses
        for _step in range(2 * len(pages) + 2):
            if kind != "page":
                sub.outcome = "refused" if kind == "refused" else "abandoned"
                return
            hidden = hidden_fields(page.body)
            action = submit_action(page.body)
            form = dict(pages.get(hidden.get("page", ""), {}))
            form.update(hidden, action=action)
            if action == "submit":
                sub.keys.append(hidden.get("submission_key", ""))
            kind, reply, presses = self.press("POST", path, form)
            sub.presses += presses
            if kind == "thanks":
                sub.outcome = "accepted"
                return
            if kind != "redirect":
                sub.outcome = "abandoned" if kind == "abandoned" else "refused"
                return
            target = urllib.parse.urlsplit(reply.location)
            following = target.path + (f"?{target.query}" if target.query else "")
            kind, page, presses = self.press("GET", following)
            sub.presses += presses
        sub.outcome = "refused"  # went round in circles
