"""A phone interview stored exactly like any other response.

The case's invitation (channel "phone") is the questionnaire: the respondent
pages' service resolves it, keeps each answer in the invitation's draft
Response as it is entered (so a dropped browser or a call-back loses nothing
and resumes where it stopped), and submits it with the same scoring. Only
two things are the console's own: the operator is recorded on the response,
and the call attempt ("complete" or "partial") is stored in the same
transaction as the response, so neither exists without the other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from flask_babel import gettext
from sqlalchemy import select

from ..extensions import db
from ..i18n import normalise
from ..instruments import Page, Question, localized
from ..models import CallCase, Invitation, Response, User, utcnow
from .answers import AnswerValue
from .script import asked, first_missing
from .submit import save_page
from .targets import Target, target_of_invitation

# The dispositions that end a call with an interview (AAPOR 1.1 and 1.2).
INTERVIEW_DISPOSITIONS = ("complete", "partial")


class InterviewError(ValueError):
    """An interview cannot be finished as asked; the message says why (nothing was stored)."""


def interview_target(case: CallCase) -> Target:
    """The questionnaire of the case's invitation, with the answers entered so far.

    Raises :class:`survey.responses.Unavailable` when it can no longer
    be answered (campaign closed, invitation withdrawn or already answered).
    A test call (a draft's phone script tried by an administrator) takes test answers.
    """
    invitation = case.invitation
    testing = (invitation.campaign_id,) if invitation.test else ()
    return target_of_invitation(invitation, testing=testing)


def interview_language(invitation: Invitation, languages: tuple[str, ...]) -> str:
    """The language to read the script in: the person's, when the instrument has it.

    The operator's screen may be in another language; the script follows the
    respondent (the invitation's language, else the contact's), falling back
    to the instrument's first language.
    """
    contact = invitation.contact
    for tag in (invitation.language, contact.language if contact is not None else None):
        lang = normalise(tag)
        if lang in languages:
            return lang
    return languages[0]


def script_language(target: Target) -> str:
    """The language of this interview: the draft's once begun, else the person's."""
    assert target.invitation is not None
    if target.draft is not None and target.draft.language in target.instrument.languages:
        return target.draft.language
    return interview_language(target.invitation, target.instrument.languages)


def save_answer(
    target: Target,
    question: Question,
    answers: Mapping[str, AnswerValue],
    *,
    operator: User,
) -> Response:
    """Keep the answer to one question in the draft, as the web pages keep a page (flushed).

    ``answers`` is what the posted screen gave (empty when the question was
    left unanswered, which clears an earlier answer).
    """
    page = target.instrument.page(question.page_id)
    one = Page(id=page.id, title=None, questions=(question,))
    response = save_page(target, one, answers, language=script_language(target), reached=page.id)
    if response.operator_id is None:
        response.operator_id = operator.id
    target.answers = {
        qid: value for qid, value in target.answers.items() if qid != question.id
    } | dict(answers)
    return response


def submission_key(case: CallCase) -> str:
    """One key per case: a repeated "finish" finds the response the first one stored."""
    return f"phone:{case.invitation_id}"


def check_finish(target: Target, disposition: str) -> None:
    """Refuse a finish that would store a wrong response; the message tells the operator why."""
    if disposition not in INTERVIEW_DISPOSITIONS:
        raise InterviewError(
            gettext("Only a complete or a partial interview is stored as a response.")
        )
    if not target.answers:
        raise InterviewError(
            gettext(
                "No answer has been entered yet. Record a break-off or a refusal instead "
                "of a partial interview."
            )
        )
    if disposition == "partial":
        check_partial(target)
    if disposition == "complete":
        missing = first_missing(target.instrument, target.answers)
        if missing is not None:
            raise InterviewError(
                gettext(
                    "The interview is not complete: a required question has no answer. "
                    "Answer it, or record a partial interview."
                )
            )


def check_partial(target: Target) -> None:
    """Refuse a "partial interview" below the instrument's threshold: that call is a break-off.

    The threshold is the instrument's (survey.instruments.partial): a share of
    the questions asked given the answers, and its essential questions.
    """
    instrument = target.instrument
    check = instrument.partial.check(asked(instrument, target.answers), target.answers)
    if check.missing:
        question = instrument.question(check.missing[0])
        raise InterviewError(
            gettext(
                "This is a break-off, not a partial interview: a partial interview needs "
                "an answer to “%(question)s”. Ask it, or record a break-off.",
                question=localized(question.text, script_language(target)),
            )
        )
    if not check.enough:
        raise InterviewError(
            gettext(
                "This is a break-off, not a partial interview: %(answered)s of %(asked)s "
                "questions are answered, and this questionnaire needs %(needed)s for a "
                "partial interview. Ask more, or record a break-off.",
                answered=check.answered,
                asked=check.applicable,
                needed=check.needed,
            )
        )


def started_at(target: Target) -> dt.datetime:
    """When the interview began: the first answer saved, else now."""
    return target.draft.started_at if target.draft is not None else utcnow()


def stored_interview(case: CallCase, operator_id: int) -> Response | None:
    """The interview this operator already stored for the case (a repeated "finish")."""
    return db.session.execute(
        select(Response).where(
            Response.invitation_id == case.invitation_id,
            Response.operator_id == operator_id,
            Response.submitted_at.is_not(None),
        )
    ).scalar_one_or_none()
