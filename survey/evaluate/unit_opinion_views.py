"""The unit's view of its opinions: a liaison reads their unit's issued opinions and reports.

As with the self-assessment, no unit is taken from the address: the unit is
the account's own, and an opinion of another unit, or one not issued yet, is
"not found" whatever its id.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..extensions import db
from ..models import Cycle, Opinion, RequiredFix, Unit
from ..scorecard.entries import today
from ..scorecard.fixes import fix_items, fix_statuses, report_fix
from ..scorecard.messages import ScorecardError
from ..scorecard.opinions import issued_content, issued_opinions
from ..web.guards import role_required
from ..web.uploads import accepts_upload
from . import bp
from .assessment_views import _own_unit
from .opinion_views import LABELS


def _own_opinion(opinion_id: int, unit: Unit) -> Opinion:
    opinion = db.session.get(Opinion, opinion_id)
    if opinion is None or opinion.unit_id != unit.id or opinion.state != "issued":
        abort(404)
    return opinion


@bp.route("/unit-opinions")
@role_required("liaison")
def unit_opinions() -> ResponseReturnValue:
    unit = _own_unit()
    opinions = issued_opinions(unit.id)
    on = today()
    return render_template(
        "evaluate/unit_opinions.html",
        unit=unit,
        opinions=opinions,
        cycles={o.cycle_id: db.session.get(Cycle, o.cycle_id) for o in opinions},
        items={o.id: fix_items(o) for o in opinions},
        statuses={k: v for o in opinions for k, v in fix_statuses(o, on).items()},
        labels=LABELS,
    )


def _page(unit: Unit, opinion: Opinion, error: str | None = None, failed: int | None = None) -> str:
    on = today()
    return render_template(
        "evaluate/unit_opinion.html",
        unit=unit,
        opinion=opinion,
        content=issued_content(opinion),
        items=fix_items(opinion),
        statuses=fix_statuses(opinion, on),
        labels=LABELS,
        error=error,
        failed=failed,
        form=request.form if error else None,
    )


@bp.route("/unit-opinions/<int:opinion_id>")
@role_required("liaison")
def unit_opinion(opinion_id: int) -> ResponseReturnValue:
    unit = _own_unit()
    return _page(unit, _own_opinion(opinion_id, unit))


@bp.route("/unit-opinions/fix/<int:fix_id>/report", methods=["POST"])
@role_required("liaison")
@accepts_upload("SURVEY_EVIDENCE_MAX_BYTES", hint=_l("Split it, or scan it at a lower resolution."))
def unit_fix_report(fix_id: int) -> ResponseReturnValue:
    unit = _own_unit()
    fix = db.session.get(RequiredFix, fix_id)
    if fix is None:
        abort(404)
    opinion = _own_opinion(fix.opinion_id, unit)
    upload = request.files.get("file")
    try:
        report_fix(
            fix,
            unit,
            request.form.get("report", ""),
            current_user,
            filename=upload.filename if upload is not None else None,
            data=upload.read() if upload is not None and upload.filename else None,
        )
    except ScorecardError as problem:
        db.session.rollback()
        return _page(unit, opinion, error=problem.message(), failed=fix.id), 400
    db.session.commit()
    flash(gettext("Your report is sent."), "ok")
    return redirect(url_for(".unit_opinion", opinion_id=opinion.id))
