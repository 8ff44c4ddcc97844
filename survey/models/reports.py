"""Comments an evaluator chose for a unit's report ("one unit, one opinion").

Kept as a choice about an answer, not a copy of it: the report always shows
the answer's own text, and a comment that stops qualifying (its bad review
excluded as malicious) drops out of the report with it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .base import utcnow


class ReportComment(Model):
    """One free-text answer selected for its unit's report."""

    __tablename__ = "report_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answer.id", ondelete="CASCADE"), unique=True)
    selected_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    selected_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
