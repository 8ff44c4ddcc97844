"""A group's questionnaire per channel: the phone script on the phone, the card on the screen.

Issue 11: a group reached by QR code and by phone was read the web card over the
phone (no self-introduction, a promise of anonymity while the operator sees the
name, a request for the number just dialled). A campaign now sets a group's
questionnaire per channel, in the campaign form and with `flask survey
questionnaire`, and every channel's resolution follows it.
"""

from __future__ import annotations

import json

import conftest
import sqlalchemy as sa
from factories import (
    csrf_token,
    gen_campaign,
    gen_contact,
    gen_group,
    gen_invitation,
    gen_service_point,
    gen_ticket,
    gen_unit,
    gen_user,
    login,
)
from flask_migrate import downgrade, upgrade
from sqlalchemy import select
from test_admin_setup import _campaign_form, _group_field
from test_operator_console import _claim, _sign_in

from survey import create_app
from survey.extensions import db
from survey.models import AuditEvent, Campaign, ChannelInstrument
from survey.responses.targets import resolve_point, resolve_ticket, target_of_invitation
from survey.results.comments import text_questions
from survey.results.settings import campaign_groups

CARD, SCRIPT = "post-service-card", "phone-post-service"
ENGLISH = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": "en_US.UTF-8"}


def _service_users(campaign):  # type: ignore[no-untyped-def]
    return next(s for s in campaign.groups if s.group.code == "service_user")


def _campaign_with_phone_script():  # type: ignore[no-untyped-def]
    point = gen_service_point()
    campaign = gen_campaign([point.unit])
    campaign.call_from, campaign.call_until = "00:00", "23:59"
    settings = _service_users(campaign)
    assert settings.instrument_id == CARD
    settings.by_channel.append(ChannelInstrument(channel="phone", instrument_id=SCRIPT))
    db.session.commit()
    return campaign, point


def test_every_channel_resolves_the_groups_questionnaire_for_it(app):
    campaign, point = _campaign_with_phone_script()
    ticket, token = gen_ticket(campaign, point)
    phone, _t1 = gen_invitation(campaign, "service_user", contact=gen_contact(), channel="phone")
    link, _t2 = gen_invitation(
        campaign, "service_user", contact=gen_contact("李四", "+8613900000001")
    )
    db.session.commit()
    assert resolve_point(point.code, "qr").instrument.id == CARD
    assert resolve_point(point.code, "kiosk").instrument.id == CARD
    assert resolve_ticket(token).instrument.id == CARD
    assert target_of_invitation(link).instrument.id == CARD
    assert target_of_invitation(phone).instrument.id == SCRIPT
    # Without an entry for the channel, the group's own questionnaire.
    _service_users(campaign).by_channel.clear()
    db.session.commit()
    assert target_of_invitation(phone).instrument.id == CARD


def test_the_operator_reads_the_phone_script(calling_hours, app, client):
    campaign, _point = _campaign_with_phone_script()
    gen_invitation(campaign, "service_user", contact=gen_contact(), channel="phone")
    db.session.commit()
    from survey.channels.phone import enqueue_phone_cases

    enqueue_phone_cases(campaign)
    db.session.commit()
    _sign_in(client)
    case_id = _claim(client, campaign)
    page = client.get(f"/operator/case/{case_id}").text
    assert "请问您最近是否到该单位办理过事项？" in page  # the script's screening question
    assert "请留下手机号码" not in page


def test_the_results_know_every_questionnaire_of_a_group(app):
    campaign, _point = _campaign_with_phone_script()
    setting = campaign_groups(campaign)["service_user"]
    assert setting.instrument_ids == (CARD, SCRIPT)
    assert setting.instrument_text() == f"{CARD}; phone: {SCRIPT}"
    assert text_questions(campaign)["comment"] == CARD


def test_the_campaign_form_sets_a_questionnaire_per_channel(client, app):
    units = [gen_unit("A", "单位甲")]
    for code in ("deputy", "expert", "service_user"):
        gen_group(code)
    db.session.commit()
    login(client, gen_user("admin"))
    client.get("/admin/?lang=en")
    page = client.get("/admin/campaigns/new").text
    assert 'id="channel-questionnaires"' in page and "Phone interview" in page
    data = _campaign_form(units, **{_group_field("service_user", "by_channel-phone"): SCRIPT})
    data["csrf_token"] = csrf_token(client, "/admin/campaigns/new")
    assert client.post("/admin/campaigns/new", data=data).status_code == 302
    campaign = db.session.execute(select(Campaign).where(Campaign.code == "2030")).scalar_one()
    settings = {s.group.code: s for s in campaign.groups}
    assert settings["service_user"].instrument_for("phone") == SCRIPT
    assert settings["service_user"].instrument_for("qr") == CARD
    assert settings["deputy"].by_channel == []
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "campaign.create")
    ).scalar_one()
    assert json.loads(event.after)["groups"]["service_user"]["by_channel"] == {"phone": SCRIPT}
    # The edit page shows the choice; an unknown questionnaire is refused, nothing changes.
    edit = f"/admin/campaigns/{campaign.id}"
    assert f'<option selected value="{SCRIPT}">' in client.get(edit).text
    data = _campaign_form(units, **{_group_field("service_user", "by_channel-ivr"): "nope"})
    data["csrf_token"] = csrf_token(client, edit)
    page = client.post(edit, data=data).text
    assert "must be one of the questionnaires, not &#39;nope&#39;" in page
    db.session.expire_all()
    assert [(c.channel, c.instrument_id) for c in _service_users(campaign).by_channel] in (
        [("phone", SCRIPT)],
        [],
    )
    assert db.session.execute(select(sa.func.count(ChannelInstrument.id))).scalar_one() == 1


def test_the_command_sets_and_clears_a_channels_questionnaire(app, runner):
    campaign = gen_campaign()
    db.session.commit()
    args = ["survey", "questionnaire", "--campaign", campaign.code, "--group", "service_user"]
    result = runner.invoke(args=[*args, "--channel", "phone", SCRIPT], env=ENGLISH)
    assert result.exit_code == 0, result.output
    assert f"service_user: {CARD} (phone: {SCRIPT})" in result.output
    db.session.expire_all()
    assert _service_users(campaign).instrument_for("phone") == SCRIPT
    assert db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "campaign.update")
    ).scalar_one()
    refused = runner.invoke(args=[*args, "--channel", "ivr", "nope"], env=ENGLISH)
    assert refused.exit_code == 1 and "not 'nope'" in refused.stderr
    refused = runner.invoke(args=[*args[:-1], "nope", SCRIPT], env=ENGLISH)
    assert refused.exit_code == 1 and "not surveyed" in refused.stderr
    result = runner.invoke(args=[*args, "--channel", "phone", "--same"], env=ENGLISH)
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert _service_users(campaign).by_channel == []


def test_the_migration_gives_phone_campaigns_the_cards_phone_script(scratch_url):
    app = create_app(conftest.test_config(scratch_url))
    with app.app_context():
        upgrade(revision="38e279cd18e8")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO respondent_group (id, code, position, dimension) VALUES "
                    "(1, 'service_user', 0, 'service_users'), (2, 'deputy', 1, 'stakeholders')"
                )
            )
            for cid, channels in ((1, "qr phone"), (2, "qr link")):
                conn.execute(
                    sa.text(
                        "INSERT INTO campaign (id, code, name, period_start, period_end, timezone,"
                        " channels, cap_at_target, call_from, call_until, max_attempts,"
                        " followup_days, created_at) VALUES (:id, :code, 'x', '2026-01-01',"
                        " '2026-12-31', 'Asia/Shanghai', :channels, false, '09:00', '20:00', 6,"
                        " 5, '2026-01-01')"
                    ),
                    {"id": cid, "code": f"c{cid}", "channels": channels},
                )
                conn.execute(
                    sa.text(
                        "INSERT INTO campaign_group (campaign_id, group_id, instrument_id) "
                        "VALUES (:c, 1, 'post-service-card'), "
                        "(:c, 2, 'stakeholder-evaluation')"
                    ),
                    {"c": cid},
                )
        upgrade()
        rows = db.session.execute(
            sa.text(
                "SELECT cg.campaign_id, cgc.channel, cgc.instrument_id FROM campaign_group_channel"
                " cgc JOIN campaign_group cg ON cg.id = cgc.campaign_group_id"
            )
        ).all()
        assert [tuple(r) for r in rows] == [(1, "phone", SCRIPT)]
        db.session.remove()
        downgrade(revision="38e279cd18e8")
        assert "campaign_group_channel" not in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
