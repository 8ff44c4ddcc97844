"""Taking answers from any channel: QR card, kiosk, ticket, personal link, phone, IVR.

No Flask request objects here: a face parses its request and calls these.

- targets: from a code or token to what may be answered (or why not: Unavailable);
- link_units: one personal link asking about several units, unit by unit;
- keys: submission keys (a retried POST is recognised), client hashes;
- bursts: the rule that holds cards of a public source beyond its usual; review: an
  evaluator accepting or excluding them;
- answers: parsing, visibility (show-if), and Answer rows from values and back;
- submit: storing a card, a page, a whole invitation, an IVR call (services flush,
  the caller commits);
- scoring: per-respondent indicator scores;
- interview, script: the phone interview and the instrument read as a script.

Status codes of the pages that are not a questionnaire are in targets.STATUS.
"""

from __future__ import annotations

from .answers import AnswerValue, answer_columns, value_of_answer, visible_ids
from .keys import (
    check_submission_key,
    client_hash,
    new_submission_key,
    response_by_key,
)
from .link_units import (
    ANSWERED,
    BEGUN,
    NEW,
    UnitStep,
    asks_several,
    lead_by_token,
    lead_of,
    linked_invitations,
    resolve_link_unit,
    unit_steps,
)
from .submit import (
    missing_required,
    save_page,
    submit_card,
    submit_invitation,
)
from .targets import (
    STATUS,
    Tampered,
    Target,
    Unavailable,
    is_full,
    resolve_invitation,
    resolve_point,
    resolve_ticket,
    stored_answers,
    target_of_invitation,
)

__all__ = [
    "ANSWERED",
    "BEGUN",
    "NEW",
    "STATUS",
    "AnswerValue",
    "Tampered",
    "Target",
    "Unavailable",
    "UnitStep",
    "asks_several",
    "lead_by_token",
    "lead_of",
    "linked_invitations",
    "resolve_link_unit",
    "unit_steps",
    "answer_columns",
    "check_submission_key",
    "client_hash",
    "is_full",
    "missing_required",
    "new_submission_key",
    "resolve_invitation",
    "resolve_point",
    "resolve_ticket",
    "response_by_key",
    "save_page",
    "stored_answers",
    "submit_card",
    "submit_invitation",
    "target_of_invitation",
    "value_of_answer",
    "visible_ids",
]
