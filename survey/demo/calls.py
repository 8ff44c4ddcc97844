"""The demo's phone fieldwork: every phone interview comes from a call case with its attempts.

A phone response without a case behind it would make the fieldwork page
contradict itself (interviews counted beside AAPOR rates that never saw
them), so the demo makes each of its phone interviews the way the console
does: a person (contact), a phone invitation, a call case and the attempts
that led to the interview, some after a no-answer or a booked call-back. Beside
them, per unit and group, the cases that ended without an interview: refusals,
numbers that never answered in six tries, dead numbers, a person outside the
survey, a language barrier, call-backs never kept. Every case here is closed
(a final outcome, or the six attempts used); the open queue is
``load_demo_phone_queue``'s.
"""

from __future__ import annotations

import datetime as dt
import random

from ..channels.links import create_invitation
from ..channels.phone import DISPOSITIONS
from ..extensions import db
from ..models import Attempt, CallCase, Campaign, Contact, Group, Invitation, Unit
from .data import GIVEN_NAMES, SURNAMES

CHINA = dt.timedelta(hours=8)
# Outcomes before the interview, with how often the demo draws them.
BEFORE_INTERVIEW: tuple[tuple[tuple[str, ...], int], ...] = (
    ((), 55),
    (("no_answer",), 25),
    (("no_answer", "busy"), 8),
    (("voicemail_named",), 5),
    (("callback_respondent",), 7),
)
# Cases that ended without an interview, per unit and group phoned (every one closed).
NON_RESPONSE: tuple[tuple[str, ...], ...] = (
    ("refusal_hard",),
    ("refusal_hard",),
    ("refusal_soft", "refusal_hard"),
    ("break_off", "refusal_hard"),
    ("no_answer",) * 6,
    ("no_answer",) * 6,
    ("busy", "no_answer", "answering_machine", "no_answer", "busy", "no_answer"),
    ("not_in_service",),
    ("not_in_service",),
    ("wrong_number",),
    ("ineligible",),
    ("language_barrier",),
    ("callback_respondent",) + ("no_answer",) * 5,
    ("callback",) + ("no_answer",) * 5,
    ("voicemail_message", "no_answer", "voicemail_named") + ("no_answer",) * 3,
)
# Between two attempts on one case: a day or two, at the same time of day or an hour or two
# later (the last calls fall in office hours, so every attempt is within 08:30-19:30).


class DemoCalls:
    """The call cases of one demo load, drawn from their own generator.

    A generator of their own, so that adding call cases leaves every answer
    and date the rest of the demo draws exactly as it was.
    """

    def __init__(self, rng: random.Random, first: dt.datetime, now: dt.datetime) -> None:
        self.rng = rng
        self.first, self.now = first, now  # the cycle's start and the load's clock (UTC)
        self.seq = 0

    def contact(self) -> Contact:
        self.seq += 1
        contact = Contact(
            name=self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES),
            phone=f"+86135{self.seq:08d}",
            language="zh_Hans",
        )
        db.session.add(contact)
        return contact

    def interviewed(
        self, campaign: Campaign, group: Group, unit: Unit, interview_at: dt.datetime
    ) -> Invitation:
        """The invitation, case and attempts behind an interview that ended at ``interview_at``.

        The earlier attempts are placed before it, a day or two apart; a call-back
        the person booked is the interview's own time.
        """
        before = self.rng.choices(
            [outcomes for outcomes, _ in BEFORE_INTERVIEW],
            weights=[weight for _, weight in BEFORE_INTERVIEW],
        )[0]
        outcomes = (*before, "complete")
        invitation = _case(self.rng, campaign, group, unit, self.contact(), outcomes, interview_at)
        invitation.status = "completed"
        return invitation

    def unanswered(self, campaign: Campaign, group: Group, unit: Unit) -> None:
        """The cases of :data:`NON_RESPONSE`, each at a moment of the cycle so far."""
        for outcomes in NON_RESPONSE:
            _case(self.rng, campaign, group, unit, self.contact(), outcomes, self.last_call())

    def last_call(self) -> dt.datetime:
        """A case's last call: a day of the cycle so far, 09:00-17:00 in China."""
        days = max((self.now - self.first).days - 1, 4)
        day = (self.first + CHINA).date() + dt.timedelta(days=self.rng.randrange(3, days))
        minutes = self.rng.randint(9 * 60, 17 * 60)
        return dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes) - CHINA


def _case(
    rng: random.Random,
    campaign: Campaign,
    group: Group,
    unit: Unit,
    contact: Contact,
    outcomes: tuple[str, ...],
    last_call: dt.datetime,
) -> Invitation:
    invitation, _token = create_invitation(campaign, group, unit, channel="phone", contact=contact)
    invitation.created_at = last_call - dt.timedelta(days=len(outcomes) * 3)
    case = CallCase(
        campaign=campaign,
        invitation=invitation,
        status="closed",
        attempts=len(outcomes),
        last_disposition=outcomes[-1],
        created_at=invitation.created_at,
    )
    db.session.add(case)
    times = [last_call]
    for _ in outcomes[:-1]:
        gap = dt.timedelta(days=rng.randint(1, 2)) - dt.timedelta(hours=rng.choice((0, 1, 2)))
        times.insert(0, times[0] - gap)
    for outcome, moment, following in zip(outcomes, times, [*times[1:], None], strict=True):
        rule = DISPOSITIONS[outcome]
        length = dt.timedelta(minutes=rng.randint(6, 14) if rule.interview else 1)
        case.attempt_list.append(
            Attempt(
                started_at=moment - length,
                ended_at=moment,
                disposition=outcome,
                aapor_code=rule.aapor,
                callback_at=following if rule.callback else None,
            )
        )
    return invitation
