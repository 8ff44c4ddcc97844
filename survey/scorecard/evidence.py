"""Evidence files of a unit's self-assessment, and its written self-report.

A file is taken only if its bytes are what its name says (a PDF starts with
``%PDF-``, a PNG and a JPEG with their signatures): a renamed executable or a
page of HTML is refused, so what is served later is never something a browser
would run. Files are kept under SURVEY_EVIDENCE_DIR, outside the web root, by a
random name; the original name is kept only to offer it on download. Who may
read a file is decided by the view (the unit's liaison, evaluators, admins).
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Cycle, Evidence, Unit, User
from .cycles import deadline_of
from .entries import scoring_item, today
from .messages import N_, ScorecardError

__all__ = [
    "TYPES",
    "checked_file",
    "evidence_folder",
    "evidence_of",
    "evidence_path",
    "remove_evidence",
    "store_evidence",
]

# extension -> (content type, the bytes every such file starts with)
TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}


def _folder() -> Path:
    folder = Path(current_app.config["SURVEY_EVIDENCE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def evidence_folder() -> Path:
    """Where uploaded files are kept (outside the web root), made if missing."""
    return _folder()


def checked_file(filename: str, data: bytes) -> tuple[str, str, str]:
    """A clean name, its content type and a fresh stored name; ScorecardError if refused.

    The same rules as evidence (PDF, PNG or JPEG whose bytes say so, within the
    size limit), for other uploads of a unit (a rectification report's document).
    """
    name = _clean_name(filename)
    content_type = _checked_type(name, data)
    return name, content_type, f"{secrets.token_hex(16)}.{name.rsplit('.', 1)[-1].lower()}"


def evidence_path(row: Evidence) -> Path:
    return _folder() / row.stored_name


def _clean_name(filename: str) -> str:
    name = Path(filename.replace("\\", "/")).name.strip()
    return "".join(c for c in name if c.isprintable() and c not in '"')[:200]


def store_evidence(
    cycle: Cycle,
    unit: Unit,
    year: int,
    item_id: str | None,
    *,
    filename: str,
    data: bytes,
    user: User | None = None,
) -> Evidence:
    """Keep one uploaded file (ScorecardError, and nothing kept, when it is refused)."""
    if item_id is not None:
        item = scoring_item(cycle, unit, year, item_id)
        if item.source not in ("self-assessment", "on-site"):
            raise ScorecardError(
                N_("Item %(item)s takes no evidence: its points come from its %(source)s."),
                item=item.id,
                source=item.source,
            )
    elif year not in cycle.year_list:
        raise ScorecardError(N_("%(year)s is not a year of the cycle."), year=year)
    due = deadline_of(cycle, year, "self_assessment")
    if due is not None and today() > due:
        raise ScorecardError(
            N_("The self-assessment of %(year)s closed on %(date)s."),
            year=year,
            date=due.isoformat(),
        )
    name = _clean_name(filename)
    content_type = _checked_type(name, data)
    stored = f"{secrets.token_hex(16)}.{name.rsplit('.', 1)[-1].lower()}"
    row = Evidence(
        cycle_id=cycle.id,
        unit_id=unit.id,
        year=year,
        item_id=item_id,
        filename=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        stored_name=stored,
        uploaded_by_id=None if user is None else user.id,
    )
    db.session.add(row)
    db.session.flush()
    path = _folder() / stored
    path.write_bytes(data)
    return row


def _checked_type(name: str, data: bytes) -> str:
    """The content type of a file whose name and bytes agree; ScorecardError otherwise."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in TYPES:
        raise ScorecardError(N_("%(name)s is not a PDF, PNG or JPEG file."), name=name or "-")
    limit = int(current_app.config["SURVEY_EVIDENCE_MAX_BYTES"])
    if len(data) > limit:
        raise ScorecardError(
            N_("%(name)s is larger than %(size)s MiB, the most a file may be."),
            name=name,
            size=f"{limit / 1024 / 1024:g}",
        )
    if not data:
        raise ScorecardError(N_("%(name)s is empty."), name=name)
    content_type, signatures = TYPES[extension]
    if not data.startswith(signatures):
        raise ScorecardError(
            N_("%(name)s is not really a %(kind)s file: its contents say otherwise."),
            name=name,
            kind=extension.upper(),
        )
    return content_type


def evidence_of(cycle: Cycle, unit_id: int, year: int) -> dict[str | None, list[Evidence]]:
    """Item id (None: the self-report) -> its files, oldest first."""
    rows = db.session.execute(
        select(Evidence)
        .where(Evidence.cycle_id == cycle.id, Evidence.unit_id == unit_id, Evidence.year == year)
        .order_by(Evidence.id)
    ).scalars()
    found: dict[str | None, list[Evidence]] = {}
    for row in rows:
        found.setdefault(row.item_id, []).append(row)
    return found


def remove_evidence(row: Evidence) -> None:
    """Forget a file (the caller commits; the bytes go once the row is gone)."""
    path = evidence_path(row)
    db.session.delete(row)
    db.session.flush()
    path.unlink(missing_ok=True)
