"""Accounts, login, roles on every route, API tokens and the audit trail."""

from __future__ import annotations

import json

import conftest
import pytest
from factories import DEFAULT_PASSWORD, csrf_token, gen_user, login
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter, Rule

from survey import create_app
from survey.access.accounts import issue_api_token
from survey.extensions import db
from survey.models import ROLES, AuditEvent, User

# Command messages follow the shell's language.
ENGLISH = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": "en_US.UTF-8"}

# Blueprints whose views are open to everyone on purpose.
PUBLIC_BLUEPRINTS = {"respond", "webhooks"}


def test_login_and_logout(client, app):
    user = gen_user("evaluator")
    response = login(client, user)
    assert response.headers["Location"].endswith("/evaluate/")
    assert client.get("/evaluate/").status_code == 200
    token = csrf_token(client, "/evaluate/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/evaluate/").status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_message(client, app):
    user = gen_user("operator")
    for username, password in ((user.username, "wrong password!"), ("nobody", DEFAULT_PASSWORD)):
        page = client.post(
            "/login",
            data={
                "csrf_token": csrf_token(client, "/login"),
                "username": username,
                "password": password,
            },
        )
        assert page.status_code == 200
        assert "用户名或密码错误" in page.text
    assert client.get("/operator/").status_code == 302


@pytest.mark.parametrize(
    "stored, typed",
    [
        ("ＺｈａｎｇＷｅｉ", "zhangwei"),  # full-width, as a Chinese input method may type it
        ("ZhangWei", "ｚｈａｎｇｗｅｉ"),
        ("Иван", "иван"),  # Cyrillic capitals: SQLite's lower() folds only ASCII
        ("ΣΟΦΙΑ", "σοφια"),
        ("Straße", "STRASSE"),
    ],
)
def test_a_username_signs_in_however_it_is_typed(client, app, stored, typed):
    gen_user("evaluator", username=stored)
    form = {"csrf_token": csrf_token(client, "/login"), "username": typed}
    response = client.post("/login", data={**form, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302, response.text
    assert client.get("/evaluate/").status_code == 200


def test_two_spellings_of_one_name_are_one_account(client, app):
    gen_user("admin", username="ＺｈａｎｇＷｅｉ")
    result = _create_account_as_admin(client, "zhangwei")
    assert "is taken" in result.text
    assert db.session.execute(select(func.count(User.id))).scalar_one() == 2  # and the admin


def _create_account_as_admin(client, username: str):  # type: ignore[no-untyped-def]
    login(client, gen_user("admin"))
    client.get("/admin/?lang=en")
    data = {"username": username, "role": "evaluator", "unit_id": 0, "password": "long enough pw"}
    token = csrf_token(client, "/admin/users")
    return client.post("/admin/users", data={"csrf_token": token, **data})


def test_deactivated_account_cannot_sign_in(client, app):
    user = gen_user("operator")
    user.active = False
    db.session.commit()
    page = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(client, "/login"),
            "username": user.username,
            "password": DEFAULT_PASSWORD,
        },
    )
    assert page.status_code == 200
    assert client.get("/operator/").status_code == 302


def test_password_is_hashed(app):
    user = gen_user("admin")
    assert DEFAULT_PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_next_goes_only_to_this_site(client, app):
    user = gen_user("evaluator")
    token = csrf_token(client, "/login")
    form = {"csrf_token": token, "username": user.username, "password": DEFAULT_PASSWORD}
    response = client.post("/login?next=https://evil.example/x", data=form)
    assert response.headers["Location"] == "/evaluate/"


def test_anonymous_is_sent_to_login_with_next(client, app):
    response = client.get("/operator/")
    assert response.status_code == 302
    assert "/login?next=/operator/" in response.headers["Location"]


def test_login_is_rate_limited(client, app):
    app.config["SURVEY_LOGIN_RATE_LIMIT"] = "3 per minute"
    gen_user("evaluator", username="limited")
    codes = []
    for _ in range(5):
        form = {
            "csrf_token": csrf_token(client, "/login"),
            "username": "limited",
            "password": "wrong password!",
        }
        codes.append(client.post("/login", data=form).status_code)
    assert codes[:3] == [200, 200, 200]
    assert codes[3:] == [429, 429]


@pytest.fixture
def proxied(database_url):  # type: ignore[no-untyped-def]
    """An app built with the given settings (CSRF off: the limits are under test)."""
    made = []

    def build(**settings: object):  # type: ignore[no-untyped-def]
        app = create_app(conftest.test_config(database_url, WTF_CSRF_ENABLED=False, **settings))
        context = app.app_context()
        context.push()
        made.append(context)
        return app

    yield build
    for context in reversed(made):
        db.session.remove()
        conftest._delete_all_rows()  # noqa: SLF001
        db.engine.dispose()
        context.pop()


def _sign_in(client, username: str, password: str, address: str):  # type: ignore[no-untyped-def]
    form = {"username": username, "password": password}
    return client.post("/login", data=form, headers={"X-Forwarded-For": address})


@pytest.mark.parametrize("hops", [1, 0])
def test_the_login_limit_counts_the_forwarded_address_behind_a_proxy(proxied, hops):
    """Behind a load balancer every request comes from it: staff must not share one bucket."""
    app = proxied(SURVEY_PROXY_HOPS=hops, SURVEY_LOGIN_RATE_LIMIT="2 per minute")
    first, second = app.test_client(), app.test_client()
    codes = [
        _sign_in(first, f"who{i}", "wrong password!", "10.0.0.1").status_code for i in range(3)
    ]
    assert codes == [200, 200, 429]
    other = _sign_in(second, "who9", "wrong password!", "10.0.0.2").status_code
    # With no proxy trusted the header is the client's own claim, and ignored.
    assert other == (200 if hops else 429)


def test_a_guesser_spread_over_addresses_cannot_lock_the_owner_out(proxied):
    """Past the username's failures, addresses that failed are refused; a clean one still tries."""
    app = proxied(
        SURVEY_PROXY_HOPS=1,
        SURVEY_LOGIN_RATE_LIMIT="100 per minute",
        SURVEY_LOGIN_USERNAME_RATE_LIMIT="3 per 15 minutes",
    )
    client = app.test_client()
    user = gen_user("evaluator", username="ZhangWei")
    # A success does not count against the name.
    assert _sign_in(client, "zhangwei", DEFAULT_PASSWORD, "10.0.0.9").status_code == 302
    client.post("/logout")
    guesses = ["ZhangWei", "zhangwei", "ＺｈａｎｇＷｅｉ", "ZHANGWEI"]  # one name, however spelled
    codes = [
        _sign_in(client, name, "wrong password!", f"10.0.1.{i}").status_code
        for i, name in enumerate(guesses)
    ]
    assert codes == [200, 200, 200, 200]  # each address its one guess
    # Under attack now: an address that failed may not try again, even the right password ...
    assert _sign_in(client, user.username, DEFAULT_PASSWORD, "10.0.1.0").status_code == 429
    assert _sign_in(client, user.username, "another guess!", "10.0.1.1").status_code == 429
    # ... but the owner, from an address without failures, signs in.
    assert _sign_in(client, user.username, DEFAULT_PASSWORD, "10.0.2.1").status_code == 302


def test_failed_sign_ins_from_one_address_are_limited_for_that_username(proxied):
    app = proxied(
        SURVEY_PROXY_HOPS=1,
        SURVEY_LOGIN_RATE_LIMIT="100 per minute",
        SURVEY_LOGIN_FAILURE_LIMIT="2 per 15 minutes",
    )
    client = app.test_client()
    user = gen_user("evaluator", username="LiNa")
    bystander = gen_user("evaluator")
    codes = [_sign_in(client, "lina", "wrong password!", "10.0.3.1").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert _sign_in(client, user.username, DEFAULT_PASSWORD, "10.0.3.1").status_code == 429
    # Other accounts from that address, and the account from elsewhere, are not refused.
    assert _sign_in(client, bystander.username, DEFAULT_PASSWORD, "10.0.3.1").status_code == 302
    client.post("/logout")
    assert _sign_in(client, user.username, DEFAULT_PASSWORD, "10.0.4.1").status_code == 302


def test_cli_user_add_creates_and_audits(runner, app):
    result = runner.invoke(
        args=["survey", "user", "add", "chief", "--role", "admin", "--password", "long enough pw"],
        env={**ENGLISH, "LOGNAME": "ops-wang"},
    )
    assert result.exit_code == 0, result.output
    assert "Account chief created." in result.output
    user = db.session.execute(select(User).where(User.username == "chief")).scalar_one()
    assert user.role == "admin"
    event = db.session.execute(select(AuditEvent)).scalar_one()
    assert (event.action, event.actor, event.entity_id) == (
        "user.create",
        "cli:ops-wang",  # the shell's user: there is no staff account behind a command
        str(user.id),
    )
    assert event.user_id is None
    assert "password_hash" not in json.loads(event.after)


@pytest.mark.parametrize(
    "args, message",
    [
        (["chief", "--password", "short"], "at least 10"),
        (["chief", "--role", "handler", "--password", "long enough pw"], "handler needs"),
        (["chief", "--role", "handler", "--unit", "nope", "--password", "long enough pw"], "nope"),
    ],
)
def test_cli_user_add_refuses_bad_input(runner, app, args, message):
    result = runner.invoke(args=["survey", "user", "add", *args], env=ENGLISH)
    assert result.exit_code == 1
    assert message in result.output
    assert db.session.execute(select(User)).first() is None
    assert db.session.execute(select(AuditEvent)).first() is None


def test_cli_user_add_refuses_taken_username(runner, app):
    gen_user("admin", username="Chief")
    result = runner.invoke(
        args=["survey", "user", "add", "chief", "--password", "long enough pw"], env=ENGLISH
    )
    assert result.exit_code == 1
    assert "taken" in result.output


# --- every route, every role -------------------------------------------------------------------


def _sample_url(rule: Rule) -> str:
    """The rule with a made-up value for each argument (ids that do not exist)."""
    values = {}
    for name, converter in rule._converters.items():  # noqa: SLF001 - no public accessor
        values[name] = 987654 if isinstance(converter, IntegerConverter) else "no-such"
    built = rule.build(values)
    assert built is not None, rule.rule
    return built[1]


def _staff_rules(app) -> list[tuple[Rule, frozenset[str]]]:
    rules = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint == "static" or rule.endpoint.split(".")[0] in PUBLIC_BLUEPRINTS:
            continue
        if getattr(view, "is_public", False) or getattr(view, "api_token", False):
            continue
        roles = getattr(view, "allowed_roles", None)
        assert roles, f"{rule.endpoint} ({rule.rule}) is neither public, token nor role-guarded"
        rules.append((rule, roles))
    return rules


def _call(client, rule: Rule, url: str):  # type: ignore[no-untyped-def]
    method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
    return client.open(url, method=method)


def test_every_route_is_classified(app):
    assert len(_staff_rules(app)) >= 4


def test_every_staff_route_enforces_its_roles(app):
    app.config["WTF_CSRF_ENABLED"] = False  # the role check is under test, not CSRF
    users = {role: gen_user(role) for role in ROLES}
    clients = {}
    for role, user in users.items():
        clients[role] = app.test_client()
        login(clients[role], user)
    anonymous = app.test_client()
    for rule, roles in _staff_rules(app):
        url = _sample_url(rule)
        response = _call(anonymous, rule, url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], (
            f"anonymous {rule.endpoint}: {response.status_code}"
        )
        for role in ROLES:
            response = _call(clients[role], rule, url)
            if role in roles:
                assert response.status_code != 403, f"{role} refused at {rule.endpoint}"
            else:
                assert response.status_code == 403, (
                    f"{role} reached {rule.endpoint} ({url}): {response.status_code}"
                )
        db.session.rollback()


def test_api_needs_a_live_token(client, app):
    api_rules = [
        rule
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "api_token", False)
    ]
    assert api_rules
    row, token = issue_api_token("evaluation system")
    db.session.commit()
    for rule in api_rules:
        url = _sample_url(rule)
        assert client.get(url).status_code == 401
        assert client.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code != 401
    row.revoked_at = row.created_at
    db.session.commit()
    url = _sample_url(api_rules[0])
    assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 401
