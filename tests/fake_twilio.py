"""A fake Twilio REST API on 127.0.0.1, for the real ``twilio.rest.Client`` to talk to.

Implements what the outbox uses of the Messages resource:

- ``POST /2010-04-01/Accounts/<sid>/Messages.json``: records the request and
  answers 201 with a message (sid ``SM`` + 32 hex, status "queued");
- ``GET /2010-04-01/Accounts/<sid>/Messages.json?To=...``: lists the messages
  created, newest first, as Twilio does.

Switches make the next requests fail: ``fail_next(n, status=500, method=...)``
answers an error without creating anything; ``drop_next(n, after_create=...)`` closes the
connection without an answer, before or after creating the message (the
ambiguous case the outbox must survive).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from twilio.request_validator import RequestValidator

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC[0-9a-f]{32})/Messages\.json$")


@dataclass
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    account: str
    form: dict[str, str]
    query: dict[str, str]
    auth: tuple[str, str] | None
    sid: str | None = None  # of the message this request created, if any


@dataclass
class FakeTwilio:
    """The server's state; ``requests`` and ``messages`` are what tests assert on."""

    requests: list[Recorded] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _fail: dict[str, list[int]] = field(default_factory=lambda: {"POST": [], "GET": []})
    _drop: list[bool] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, count: int, status: int = 500, *, method: str = "POST") -> None:
        """Answer the next ``count`` requests of ``method`` with ``status``, creating nothing."""
        with self.lock:
            self._fail[method].extend([status] * count)

    def drop_next(self, count: int, *, after_create: bool = False) -> None:
        with self.lock:
            self._drop.extend([after_create] * count)

    def created(self) -> list[Recorded]:
        """The POSTs that created a message (answered or dropped after creating)."""
        return [r for r in self.requests if r.sid is not None]

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:  # keep test output quiet
                return

            def _auth(self) -> tuple[str, str] | None:
                header = self.headers.get("Authorization", "")
                if not header.startswith("Basic "):
                    return None
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                return user, password

            def _send_json(self, status: int, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _drop(self) -> None:
                self.close_connection = True
                self.connection.close()

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                parsed = urlparse(self.path)
                match = _MESSAGES.match(parsed.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                if match is None:
                    self._send_json(404, {"code": 20404, "message": "not found", "status": 404})
                    return
                with fake.lock:
                    fail = fake._fail["POST"].pop(0) if fake._fail["POST"] else None
                    drop = fake._drop.pop(0) if fake._drop and fail is None else None
                    record = Recorded(
                        "POST", parsed.path, match["account"], form, {}, self._auth()
                    )
                    fake.requests.append(record)
                    if fail is None and drop is not False:
                        now = dt.datetime.now(dt.UTC)
                        message = {
                            "sid": "SM" + secrets.token_hex(16),
                            "account_sid": match["account"],
                            "to": form.get("To"),
                            "from": form.get("From"),
                            "messaging_service_sid": form.get("MessagingServiceSid"),
                            "body": form.get("Body"),
                            "status": "queued",
                            "direction": "outbound-api",
                            "date_created": format_datetime(now, usegmt=True),
                            "date_updated": format_datetime(now, usegmt=True),
                            "date_sent": None,
                            "num_segments": "1",
                            "uri": f"{parsed.path[:-5]}/SM.json",
                        }
                        record.sid = message["sid"]
                        fake.messages.append(message)
                if fail is not None:
                    self._send_json(
                        fail, {"code": 20500, "message": "Internal Server Error", "status": fail}
                    )
                elif drop is not None:
                    self._drop()
                else:
                    self._send_json(201, message)

            def do_GET(self) -> None:  # noqa: N802
                parsed = urlparse(self.path)
                match = _MESSAGES.match(parsed.path)
                query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
                with fake.lock:
                    fake.requests.append(
                        Recorded("GET", parsed.path, match["account"] if match else "", {}, query,
                                 self._auth())
                    )
                    fail = fake._fail["GET"].pop(0) if fake._fail["GET"] else None
                    listed = [
                        m
                        for m in reversed(fake.messages)
                        if "To" not in query or m["to"] == query["To"]
                    ]
                if match is None:
                    self._send_json(404, {"code": 20404, "message": "not found", "status": 404})
                    return
                if fail is not None:
                    self._send_json(fail, {"code": 20500, "message": "error", "status": fail})
                    return
                size = int(query.get("PageSize", 50))
                self._send_json(
                    200,
                    {
                        "messages": listed[:size],
                        "end": min(size, len(listed)) - 1,
                        "first_page_uri": self.path,
                        "next_page_uri": None,
                        "page": 0,
                        "page_size": size,
                        "previous_page_uri": None,
                        "start": 0,
                        "uri": self.path,
                    },
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


BASE = "http://survey.test"  # SURVEY_BASE_URL of the test configuration
ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "test-auth-token"
FROM = "+15005550006"


def twilio_config(fake: FakeTwilio | None) -> dict[str, Any]:
    """Configuration that points the real Twilio client at ``fake``."""
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM": FROM,
        "TWILIO_MESSAGING_SERVICE_SID": "",
        "TWILIO_API_BASE": fake.url if fake is not None else "",
        "SURVEY_SMS_PER_SECOND": 0,
    }


def signed_post(client: Any, path: str, data: dict[str, str], *, token: str = AUTH_TOKEN,
                sign: dict[str, str] | None = None) -> Any:
    """POST as Twilio would: X-Twilio-Signature over the public URL and the parameters.

    ``sign`` signs other parameters than those sent (a tampered request).
    """
    signature = RequestValidator(token).compute_signature(BASE + path, sign or data)
    return client.post(path, data=data, headers={"X-Twilio-Signature": signature})
