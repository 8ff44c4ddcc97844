"""The SMS outbox worked by RQ on Redis, where SURVEY_RQ_REDIS_URL is set.

The outbox table stays the one truth: a job only says "look at the outbox
now", and :func:`survey.channels.sms.send_due` claims each message
atomically, so two workers, a repeated job or a crashed worker never send a
message twice. After each pass the job schedules the next one at the
earliest retry time still waiting, so backoff needs no cron.

The worker runs jobs in its own process with the app context of
``flask survey rq-worker`` (RQ's SimpleWorker: no fork, so database
connections are never shared between processes).
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from ...extensions import db
from ...models import OutboundMessage


class NotConfigured(RuntimeError):
    """SURVEY_RQ_REDIS_URL is not set."""


def sms_queue() -> Queue:
    url = current_app.config.get("SURVEY_RQ_REDIS_URL")
    if not url:
        raise NotConfigured("SURVEY_RQ_REDIS_URL is not set")
    return Queue(current_app.config["SURVEY_RQ_QUEUE"], connection=Redis.from_url(url))


def notify_outbox() -> bool:
    """Ask the RQ worker to look at the outbox now; False (nothing done) without Redis."""
    if not current_app.config.get("SURVEY_RQ_REDIS_URL"):
        return False
    sms_queue().enqueue(send_due_job)
    return True


def send_due_job(limit: int = 100) -> dict[str, int]:
    """One pass over the due messages, then the next pass scheduled at the next retry time."""
    from ..twilio_backend import backend_from_config
    from .worker import send_due

    report = send_due(backend_from_config(current_app.config), limit=limit)
    next_at = db.session.execute(
        select(func.min(OutboundMessage.next_attempt_at)).where(OutboundMessage.state == "queued")
    ).scalar_one_or_none()
    db.session.commit()
    queue = sms_queue()
    if report.handled >= limit:
        queue.enqueue(send_due_job, limit)
    elif next_at is not None:
        queue.enqueue_at(next_at.replace(tzinfo=dt.UTC), send_due_job, limit)
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed}
