"""Who actually sends an SMS: Twilio, or the console when no credentials are set.

The outbox (survey.channels.sms) decides what to send and when; a backend only
sends one message or looks one up. It tells the outbox, through the exception
it raises, what a failure means for a retry:

- ``SendRefused``: Twilio answered and did not create the message (a 4xx: a
  bad number, a blocked destination; or 429, too many requests). Nothing went
  out; ``permanent`` says whether trying again can help.
- ``SendUncertain``: we do not know whether Twilio created the message (the
  connection dropped, timed out, or Twilio answered 5xx). Before any new
  attempt the outbox looks for it with ``find_sent``, so it is never sent twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.rest import Client

log = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
# Longer than any single HTTP exchange may last; the outbox's lease must exceed it.
HTTP_TIMEOUT_SECONDS = 30.0


class SendRefused(Exception):
    """Twilio answered and did not create the message."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class SendUncertain(Exception):
    """The message may or may not have been created; look before sending again.

    ``answered`` is True when Twilio did answer (5xx): its handling of the
    request is over, so a look-up right now is conclusive. After a dropped
    connection Twilio may still be working on it, and only a later look-up is.
    """

    def __init__(self, message: str, *, answered: bool = False) -> None:
        super().__init__(message)
        self.answered = answered


class SmsBackend(Protocol):
    """What the outbox needs from a way of sending SMS."""

    def send(self, *, to: str, body: str, status_callback: str | None) -> str:
        """Send one message; return the provider's id (Twilio's SID)."""
        ...

    def find_sent(self, *, to: str, body: str, since: dt.datetime) -> str | None:
        """The id of a message to ``to`` with this body created at or after ``since`` (UTC)."""
        ...


class _RebasedHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, sending what it would send to api.twilio.com elsewhere.

    Used for tests against a fake Twilio and for a relay where api.twilio.com is
    not reachable directly. Rewriting the URL here, under the real
    ``twilio.rest.Client``, keeps every other detail (auth, form encoding,
    parameter names, paging) exactly as in production.
    """

    def __init__(self, base: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base = base.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> TwilioResponse:
        if url.startswith(TWILIO_API):
            url = self.base + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


class TwilioBackend:
    """Sends through Twilio's Messages API with the official client."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_: str = "",
        messaging_service_sid: str = "",
        api_base: str = "",
        timeout: float = HTTP_TIMEOUT_SECONDS,
    ) -> None:
        if not (from_ or messaging_service_sid):
            raise ValueError("TwilioBackend needs TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID")
        if api_base:
            http_client: TwilioHttpClient = _RebasedHttpClient(api_base, timeout=timeout)
        else:
            http_client = TwilioHttpClient(timeout=timeout)
        # environment={} so that stray TWILIO_* variables never override the configuration.
        self.client = Client(account_sid, auth_token, http_client=http_client, environment={})
        self.from_ = from_
        self.messaging_service_sid = messaging_service_sid

    def send(self, *, to: str, body: str, status_callback: str | None) -> str:
        sender: dict[str, str] = (
            {"messaging_service_sid": self.messaging_service_sid}
            if self.messaging_service_sid
            else {"from_": self.from_}
        )
        extra: dict[str, str] = {"status_callback": status_callback} if status_callback else {}
        try:
            message = self.client.messages.create(to=to, body=body, **sender, **extra)
        except TwilioRestException as error:
            if error.status >= 500:
                raise SendUncertain(
                    f"Twilio answered {error.status}: {error.msg}", answered=True
                ) from error
            raise SendRefused(
                f"Twilio refused ({error.status}, code {error.code}): {error.msg}",
                permanent=error.status != 429,
            ) from error
        except (requests.RequestException, TwilioException, OSError) as error:
            raise SendUncertain(f"no answer from Twilio: {error}") from error
        return str(message.sid)

    def find_sent(self, *, to: str, body: str, since: dt.datetime) -> str | None:
        """Look for a message we may have created, by number, body and creation time.

        Twilio's DateSent filter would miss a message still queued (it has no
        date sent yet), so the last messages to the number are listed and
        filtered here by creation time; one invitee gets a handful of messages,
        so a page of 50 is plenty. Errors propagate as SendUncertain.
        """
        since_aware = since.replace(tzinfo=dt.UTC)
        try:
            messages = self.client.messages.list(to=to, limit=50, page_size=50)
        except (TwilioException, requests.RequestException, OSError) as error:
            raise SendUncertain(f"could not list messages on Twilio: {error}") from error
        for message in messages:
            created = message.date_created
            if message.body == body and created is not None and created >= since_aware:
                return str(message.sid)
        return None


@dataclass
class ConsoleBackend:
    """Logs each message instead of sending it: the default without Twilio credentials.

    Keeps what it "sent" in memory, so that ``make run`` and tests can see it;
    nothing leaves the machine. Its look-up knows only this process's messages,
    so after a crash a message may be logged twice: harmless, as none is sent.
    """

    sent: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, *, to: str, body: str, status_callback: str | None) -> str:
        sid = "CONSOLE" + secrets.token_hex(13)
        created = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        with self._lock:
            self.sent.append(
                {
                    "sid": sid,
                    "to": to,
                    "body": body,
                    "status_callback": status_callback,
                    "created": created,
                }
            )
        log.info("SMS (console, not sent) to %s: %s", to, body)
        return sid

    def find_sent(self, *, to: str, body: str, since: dt.datetime) -> str | None:
        with self._lock:
            for item in self.sent:
                if item["to"] == to and item["body"] == body and item["created"] >= since:
                    return str(item["sid"])
        return None


def backend_from_config(config: Mapping[str, Any]) -> SmsBackend:
    """TwilioBackend when account, token and a sender are configured, else ConsoleBackend."""
    sid = config.get("TWILIO_ACCOUNT_SID") or ""
    token = config.get("TWILIO_AUTH_TOKEN") or ""
    from_ = config.get("TWILIO_FROM") or ""
    service = config.get("TWILIO_MESSAGING_SERVICE_SID") or ""
    if sid and token and (from_ or service):
        return TwilioBackend(
            sid,
            token,
            from_=from_,
            messaging_service_sid=service,
            api_base=config.get("TWILIO_API_BASE") or "",
        )
    log.warning("no Twilio credentials configured: SMS are logged, not sent")
    return ConsoleBackend()
