"""Fuzz every route: every query parameter, every form field, every path argument; no 5xx.

The parameters are found where the code reads them (``request.args.get("...")`` in
the view's module), the forms where a browser finds them (the pages' own HTML), so
a new parameter or field is fuzzed without this file changing. Runs on PostgreSQL
too (TEST_DATABASE_URL), where a NUL byte in a text column fails where SQLite
stores it.
"""

from __future__ import annotations

import inspect
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from factories import (
    gen_campaign,
    gen_followup_case,
    gen_invitation,
    gen_response,
    gen_service_point,
    gen_ticket,
    gen_user,
    login,
)
from flask import Flask
from flask.testing import FlaskClient

from survey.extensions import db
from survey.models import ApiToken, CallCase, Response, User

# Values that have given, or could give, a 5xx somewhere: out-of-range dates and
# numbers, a NUL byte, markup, SQL, huge text, non-ASCII digits, float oddities.
NASTY = (
    "9999",
    "9999-Q4",
    "9999-12",
    "0000",
    "-1",
    "99999999999999999999999999",
    "1e309",
    "nan",
    "zwfw\x00",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "２０２５",
    "x" * 3000,
    "unit,group,unit,channel",
)
# A shorter list for each form field on its own (every field of every form).
NASTY_FIELD = ("-1", "99999999999999999999999999", "x" * 3000)
# Each parameter on its own, so that one refused early does not hide another.
NASTY_ALONE = ("9999", "9999-12", "0000", "99999999999999999999999999")

SKIP_ENDPOINTS = {"static", "auth.logout"}


def _params_read_in(module_file: str) -> set[str]:
    source = Path(module_file).read_text(encoding="utf-8")
    return set(re.findall(r"request\.args\.get(?:list)?\(\s*['\"](\w+)['\"]", source))


def _route_params(app: Flask, endpoint: str) -> list[str]:
    view = inspect.unwrap(app.view_functions[endpoint])
    names = _params_read_in(inspect.getsourcefile(view) or "")
    return sorted(names | {"lang", "page", "period"})


class _Forms(HTMLParser):
    """The forms of a page as a browser would send them: (action, method, fields)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, str, dict[str, str]]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((a.get("action", ""), a.get("method", "get").lower(), {}))
        if not self.forms:
            return
        fields = self.forms[-1][2]
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in {"radio", "checkbox"} and name in fields:
                return
            if kind != "file":
                fields[name] = a.get("value", "on" if kind in {"radio", "checkbox"} else "")
        elif tag == "textarea" and name:
            fields[name] = ""
        elif tag == "select" and name:
            self._select = name
            fields[name] = ""
        elif tag == "option" and self._select and not self.forms[-1][2][self._select]:
            self.forms[-1][2][self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def _forms(page_url: str, html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Forms()
    parser.feed(html)
    found = []
    for action, method, fields in parser.forms:
        if method == "post":
            target = action or page_url
            found.append((urlsplit(target).path or urlsplit(page_url).path, fields))
    return found


@pytest.fixture
def world(rapp: Flask) -> dict[str, str]:
    """One of everything a route can name, and the address of each by its argument."""
    campaign = gen_campaign()
    point = gen_service_point(campaign.units[0], code="zwfw")
    _ticket, ticket_token = gen_ticket(campaign, point)
    _invitation, invitation_token = gen_invitation(campaign, "deputy")
    for _ in range(6):
        gen_response(campaign, answers={"overall": "satisfied"})
    case = gen_followup_case(campaign)
    db.session.commit()
    rating_token = "no-such-token"
    admin = gen_user("admin", "fuzz-admin")
    other = gen_user("evaluator", "fuzz-other")
    response_id = db.session.execute(db.select(Response.id)).scalars().first()
    call = db.session.execute(db.select(CallCase.id)).scalars().first()
    token_id = db.session.execute(db.select(ApiToken.id)).scalars().first()
    assert admin is not None
    return {
        "campaign_id": str(campaign.id),
        "unit_id": str(campaign.units[0].id),
        "point_id": str(point.id),
        "user_id": str(other.id),
        "case_id": str(call or case.id),
        "token_id": str(token_id or 1),
        "group_id": str(campaign.groups[0].group_id),
        "answer_id": str(response_id or 1),
        "code": "zwfw",
        "token": ticket_token,
        "invitation": invitation_token,
        "rating": rating_token,
        "campaign_code": campaign.code,
    }


def _url(rule: str, endpoint: str, world: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(2)
        if endpoint == "respond.invitation":
            return world["invitation"]
        if endpoint == "respond.rate_fix":
            return world["rating"]
        if endpoint.startswith("api.") and name == "code":
            return world["campaign_code"]
        return world.get(name, "1")

    return re.sub(r"<(?:(\w+):)?(\w+)>", value, rule)


def _assert_no_5xx(client: FlaskClient, method: str, url: str, **kw: object) -> None:
    response = client.open(url, method=method, **kw)  # type: ignore[arg-type]
    assert response.status_code < 500, f"{method} {url} {kw}: {response.status_code}"


def _rules(app: Flask) -> list[tuple[str, str, set[str]]]:
    return [
        (rule.rule, rule.endpoint, set(rule.methods or ()))
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in SKIP_ENDPOINTS
    ]


def test_every_query_parameter_of_every_route_gives_no_5xx(
    rapp: Flask, client: FlaskClient, world: dict[str, str]
) -> None:
    login(client, db.session.execute(db.select(User).filter_by(username="fuzz-admin")).scalar_one())
    for rule, endpoint, methods in _rules(rapp):
        if "GET" not in methods:
            continue
        url = _url(rule, endpoint, world)
        names = _route_params(rapp, endpoint)
        for value in NASTY:
            _assert_no_5xx(client, "GET", url + "?" + urlencode(dict.fromkeys(names, value)))
        for value in NASTY_ALONE:
            for name in names:
                _assert_no_5xx(client, "GET", url + "?" + urlencode({name: value}))
        _assert_no_5xx(client, "HEAD", url)


def test_every_path_argument_gives_no_5xx(rapp: Flask, client: FlaskClient) -> None:
    login(client, gen_user("admin"))
    for rule, _endpoint, methods in _rules(rapp):
        for value in ("zwfw%00", "%00", "9" * 30, "-1", "x" * 500, "%E2%80%AE"):
            url = re.sub(r"<(?:\w+:)?\w+>", value, rule)
            for method in sorted(methods & {"GET", "POST"}):
                _assert_no_5xx(client, method, url)


def test_every_form_field_of_every_page_gives_no_5xx(
    rapp: Flask, client: FlaskClient, world: dict[str, str]
) -> None:
    """Each field of each form on each page, one at a time, set to each nasty value.

    The forms are read first, signed in as an administrator.
    """
    admin = db.session.execute(db.select(User).filter_by(username="fuzz-admin")).scalar_one()
    login(client, admin)
    forms = [
        form
        for rule, endpoint, methods in _rules(rapp)
        if "GET" in methods and not endpoint.startswith("api.")
        for form in _forms(
            _url(rule, endpoint, world),
            client.get(_url(rule, endpoint, world)).get_data().decode("utf-8", "replace"),
        )
        if form[0] != "/logout"
    ]
    actions = {action.split("/")[1] for action, _fields in forms}
    assert {"admin", "evaluate", "p", "k", "i", "t"} <= actions, actions
    tried = 0
    # Staff forms first: the kiosk's thank-you signs the tablet out.
    for action, fields in sorted(forms, key=lambda form: len(form[0].split("/")[1]) == 1):
        _assert_no_5xx(client, "POST", action, data={k: v + "\x00" for k, v in fields.items()})
        for number, name in enumerate(fields):
            # One nasty value per field, in turn (the campaign form alone has ~70 fields).
            data = dict(fields)
            data[name] = NASTY_FIELD[number % len(NASTY_FIELD)]
            _assert_no_5xx(client, "POST", action, data=data)
            tried += 1
    assert tried > 100
    client.post("/logout")
    for value in NASTY_FIELD:
        _assert_no_5xx(client, "POST", "/login", data={"username": value, "password": value})


def test_post_only_routes_with_nasty_fields_give_no_5xx(
    rapp: Flask, client: FlaskClient, world: dict[str, str]
) -> None:
    login(client, db.session.execute(db.select(User).filter_by(username="fuzz-admin")).scalar_one())
    names = ("name", "direction", "active", "password", "rating", "note", "reason", "disposition")
    for rule, endpoint, methods in _rules(rapp):
        if "POST" not in methods:
            continue
        url = _url(rule, endpoint, world)
        for value in NASTY_FIELD:
            _assert_no_5xx(client, "POST", url, data=dict.fromkeys(names, value))
