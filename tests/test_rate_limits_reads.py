"""Reads are let through before Flask-Limiter looks for limits (survey.extensions).

That shortcut is right only while every limit counts POSTs: a limit on reads
added to a route, a blueprint or the application would never be applied. This
test fails then, and names the limit.
"""

from __future__ import annotations

from flask import Flask

from survey.extensions import limiter


def test_every_rate_limit_counts_only_posts(app: Flask) -> None:
    manager = limiter.limit_manager
    # Flask-Limiter keeps no public list of what was declared; its manager's tables are it.
    declared = {
        **{f"route {name}": groups for name, groups in manager._decorated_limits.items()},
        **{f"blueprint {name}": groups for name, groups in manager._blueprint_limits.items()},
    }
    assert declared, "the card, sign-in and enrolment limits are declared"
    for where, groups in declared.items():
        for group in groups:
            methods = {m.upper() for m in group.methods or ()}
            assert methods == {"POST"}, f"{where}: a limit on {sorted(methods) or 'every method'}"
    assert not list(manager._default_limits) and not list(manager._application_limits)


def test_a_read_past_the_limit_is_served_and_a_post_is_still_counted(rapp: Flask) -> None:
    from factories import gen_campaign, gen_service_point, gen_unit
    from respondent import post_card

    from survey.extensions import db

    rapp.config["SURVEY_POINT_RATE_LIMIT"] = "1 per minute"
    unit = gen_unit()
    gen_campaign([unit])
    point = gen_service_point(unit)
    db.session.commit()
    client = rapp.test_client()
    url = f"/p/{point.code}"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    assert client.head(url).status_code == 200
    assert [post_card(client, url)[0].status_code for _ in range(2)] == [200, 429]


def test_a_read_never_enters_flask_limiter(rapp: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Neither its before_request hook nor a route's decorator looks up limits for a read."""
    from factories import gen_campaign, gen_service_point, gen_unit

    from survey.extensions import db

    unit = gen_unit()
    gen_campaign([unit])
    point = gen_service_point(unit)
    db.session.commit()
    looked_up: list[str] = []
    identify = limiter.identify_request  # the first thing Flask-Limiter does with a request

    def spy() -> str:
        looked_up.append(identify())
        return looked_up[-1]

    monkeypatch.setattr(limiter, "identify_request", spy)
    client = rapp.test_client()
    for url in (f"/p/{point.code}", f"/k/{point.code}", "/login", "/device/enrol"):
        assert client.get(url).status_code == 200, url
    assert looked_up == []
    client.post(f"/p/{point.code}", data={})
    assert looked_up, "a POST is still checked against its limits"


def test_a_limit_beyond_the_routes_own_is_still_checked(rapp: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A blueprint's limit is checked by Flask-Limiter's hook, which a POST still goes through.

    None is declared today, and the hook is skipped while none is
    (survey.extensions.check_limits_of_writes); one added must count at once.
    """
    from survey.auth import bp as auth

    manager = limiter.limit_manager
    monkeypatch.setattr(manager, "_blueprint_limits", dict(manager._blueprint_limits))
    limiter.limit("1 per minute", methods=["POST"])(auth)
    client = rapp.test_client()
    first = client.post("/logout")
    assert first.status_code != 429
    assert client.post("/logout").status_code == 429
    assert client.get("/login").status_code == 200
