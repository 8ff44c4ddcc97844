"""The outbox worked by an RQ worker on a real Redis: each message sent once, retries scheduled."""

from __future__ import annotations

import secrets

import pytest
from factories import (
    gen_campaign,
    gen_contact,
    gen_followup_case,
    gen_group,
    gen_unit,
    gen_user,
    login,
)
from fake_twilio import twilio_config
from sqlalchemy import select

from survey.channels.sms import create_sms_invitations
from survey.channels.sms.rq import notify_outbox, send_due_job, sms_queue
from survey.extensions import db
from survey.models import OutboundMessage

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def rq_app(app, fake_twilio):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379 (apt-get install redis-server)")
    app.config.update(twilio_config(fake_twilio))
    app.config["SURVEY_RQ_REDIS_URL"] = REDIS_URL
    app.config["SURVEY_RQ_QUEUE"] = f"survey-test-{secrets.token_hex(4)}"
    yield app
    queue = sms_queue()
    queue.empty()
    for job_id in queue.scheduled_job_registry.get_job_ids():
        queue.scheduled_job_registry.remove(job_id, delete_job=True)


def _invite(count: int) -> None:
    campaign = gen_campaign([gen_unit()])
    contacts = [gen_contact(f"代表{i}", phone=f"+86139{i:08d}") for i in range(count)]
    create_sms_invitations(campaign, gen_group("deputy"), campaign.units[0], contacts)
    db.session.commit()


def _work() -> None:
    from rq import SimpleWorker

    queue = sms_queue()
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def test_without_redis_nothing_is_enqueued(app):
    assert notify_outbox() is False


def test_a_worker_sends_each_message_once_even_when_told_twice(rq_app, fake_twilio):
    _invite(5)
    assert notify_outbox() and notify_outbox()
    _work()
    posts = [r for r in fake_twilio.requests if r.method == "POST"]
    assert len(posts) == 5
    assert len({r.form["To"] for r in posts}) == 5
    db.session.expire_all()
    states = {m.state for m in db.session.execute(select(OutboundMessage)).scalars()}
    assert states == {"sent"}


def test_a_retry_is_scheduled_at_its_time(rq_app, fake_twilio):
    _invite(1)
    fake_twilio.fail_next(1, status=500)
    result = send_due_job()
    assert result["retried"] == 1
    scheduled = sms_queue().scheduled_job_registry.get_job_ids()
    assert len(scheduled) == 1


def test_the_worker_command_needs_redis(runner):
    result = runner.invoke(args=["survey", "rq-worker", "--burst"])
    assert result.exit_code == 1
    assert "SURVEY_RQ_REDIS_URL" in result.output


def test_the_worker_command_works_the_outbox(rq_app, fake_twilio):
    _invite(2)
    result = rq_app.test_cli_runner().invoke(args=["survey", "rq-worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert len([r for r in fake_twilio.requests if r.method == "POST"]) == 2


def test_a_rating_request_wakes_the_worker_which_sends_it(rq_app, fake_twilio):
    rq_app.config["WTF_CSRF_ENABLED"] = False
    case = gen_followup_case(phone="138 0013 8000")
    client = rq_app.test_client()
    login(client, gen_user("handler", unit_id=case.unit_id))
    client.post(f"/evaluate/follow-up/{case.id}/remedy", data={"action": "已补办"})
    assert sms_queue().count == 1  # the handler's save told the worker
    _work()
    [post] = [r for r in fake_twilio.requests if r.method == "POST"]
    assert post.form["To"] == "+8613800138000" and "/f/" in post.form["Body"]
    db.session.expire_all()
    [message] = db.session.execute(select(OutboundMessage)).scalars().all()
    assert (message.kind, message.followup_case_id, message.state) == ("rating", case.id, "sent")
