"""A service point's settings kept per worker: a QR card's GET selects nothing.

Every card at a reusable code (``/p/<code>``, ``/k/<code>``) needs the point, its
unit and the unit's campaigns with their groups' settings, the same for every
card until an administrator changes one of them. Selecting them took one
statement with joined loads on each GET and each POST, about a millisecond of a
worker's time, more than anything else the GET did.

They are kept per app (one per worker) as detached rows, loaded in a session of
their own, so that no commit of a request expires them. Each request merges the
few it uses into its own session without a query (``merge(load=False)``): they
are then in its identity map, as if selected, and what reads them later (the
running summaries read the campaign) finds them there.

Kept until an administrator changes them, in whichever process:

- a commit of this process that changed a point, unit, group, campaign or a
  group's settings (seen by the session's flush) drops this app's copies and
  touches a stamp file in the instance folder (SURVEY_SETTINGS_STAMP);
- every lookup reads the stamp's time (one ``stat``, a few microseconds) and drops
  the copies when another process (another gunicorn worker, a command) touched it;
- after SURVEY_SETTINGS_CACHE_SECONDS in any case: the longest a change takes to
  reach the workers of another host, which do not share the instance folder.

Whether a campaign is open is decided on each request from the kept times and
flags, so a campaign still closes at its closing time to the second.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

from flask import Flask, current_app, has_app_context
from sqlalchemy import and_, event, inspect, select
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached

from ..extensions import db
from ..models import (
    Campaign,
    CampaignGroup,
    ChannelInstrument,
    Group,
    ServicePoint,
    Unit,
    campaign_unit,
)

# What a point's cards read: a change to any of these drops the kept copies.
SETTINGS_CLASSES = (ServicePoint, Unit, Group, Campaign, CampaignGroup, ChannelInstrument)
_EXTENSION = "survey_point_cache"
_CHANGED = "survey.settings_changed"
# Points kept per worker at most (a province's points, each a few kilobytes); then all dropped.
_MOST_POINTS = 20_000

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class KeptPoint:
    """A point as kept: detached rows, never attached to a session (merge copies of them)."""

    point: ServicePoint
    campaigns: tuple[Campaign, ...]


class PointCache:
    """One app's kept points, with the stamp and the time they were read against."""

    def __init__(self, stamp_path: Path, seconds: float) -> None:
        self.stamp_path = stamp_path
        self.seconds = seconds
        self.points: dict[str, KeptPoint | None] = {}
        self.stamp = _stamp(stamp_path)
        self.filled_at = time.monotonic()
        self.lock = threading.Lock()

    def current(self) -> dict[str, KeptPoint | None]:
        """The kept points, dropped first if a change was stamped or they are too old."""
        stamp = _stamp(self.stamp_path)
        now = time.monotonic()
        if stamp != self.stamp or now - self.filled_at >= self.seconds:
            with self.lock:
                self.points = {}
                self.stamp = stamp
                self.filled_at = now
        return self.points

    def drop(self) -> None:
        with self.lock:
            self.points = {}


def _stamp(path: Path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return 0


def install(app: Flask) -> None:
    """Keep points for ``app`` and drop them when the settings change (once per app)."""
    stamp = app.config.get("SURVEY_SETTINGS_STAMP") or os.path.join(
        app.instance_path, "settings-changed"
    )
    seconds = float(app.config.get("SURVEY_SETTINGS_CACHE_SECONDS", 30))
    app.extensions[_EXTENSION] = PointCache(Path(stamp), seconds)
    if not event.contains(db.session, "after_flush", _note_changes):
        event.listen(db.session, "after_flush", _note_changes)
        event.listen(db.session, "after_commit", _after_commit)
        event.listen(db.session, "after_rollback", _forget)


def _note_changes(session: Session, _context: Any) -> None:
    if session.info.get(_CHANGED):
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, SETTINGS_CLASSES):
            session.info[_CHANGED] = True
            return


def _forget(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def _after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, None) and has_app_context():
        settings_changed(current_app)


def settings_changed(app: Flask) -> None:
    """Drop the kept points here and tell the host's other processes (the stamp)."""
    cache: PointCache | None = app.extensions.get(_EXTENSION)
    if cache is None:
        return
    cache.drop()
    try:
        cache.stamp_path.parent.mkdir(parents=True, exist_ok=True)
        cache.stamp_path.touch()
        os.utime(cache.stamp_path, ns=(time.time_ns(), time.time_ns()))
    except OSError as error:  # a read-only instance folder: other workers wait for the timeout
        app.logger.warning("settings stamp %s not touched: %s", cache.stamp_path, error)


def kept_point(code: str, load: Callable[[Session], KeptPoint | None]) -> KeptPoint | None:
    """The point of ``code`` as kept, loaded by ``load`` in a session of its own when not kept.

    None: no such point (kept too, so a mistyped code costs no query either).
    """
    cache: PointCache | None = current_app.extensions.get(_EXTENSION)
    if cache is None:  # an app made without install(): read afresh each time
        with Session(db.engine) as private:
            return load(private)
    points = cache.current()
    if code in points:
        return points[code]
    with Session(db.engine) as private:
        found = load(private)
    # Closed: the rows are detached with what was loaded, and no commit will expire them.
    if len(points) >= _MOST_POINTS:
        cache.drop()
        points = cache.current()
    points[code] = found
    return found


def attached(obj: T) -> T:
    """A kept row in this request's session, as if selected, without a query.

    The session's own copy when it has one; else a copy of the row's loaded
    columns, added as persistent (``merge(load=False)`` did the same, but also
    copied every loaded relationship: a campaign's groups and their settings, a
    millisecond per card). The columns go straight into the copy's state as a
    load puts them (committed, no history). The copy's relationships load as
    usual when read.
    """
    state = inspect(obj)
    found = db.session.identity_map.get(state.key) if state.key is not None else None
    if found is not None:
        return cast("T", found)
    loaded = state.dict
    columns = {key: loaded[key] for key in _column_keys(state.mapper) if key in loaded}
    return as_if_selected(type(obj), columns)


def as_if_selected(model: type[T], columns: Mapping[str, Any]) -> T:
    """A row of ``model`` whose ``columns`` are known, in this request's session as if selected.

    The columns go straight into the new object's state as a load puts them
    (committed, no history), not through the model's constructor, whose
    attribute events cost a card's POST more than the rest of its row's making.
    The row must exist, its primary key among ``columns``; what is not given
    loads when read.
    """
    made = inspect(model).class_manager.new_instance()
    inspect(made).dict.update(columns)
    make_transient_to_detached(made)
    db.session.add(made)
    return cast("T", made)


@lru_cache(maxsize=32)
def _column_keys(mapper: Any) -> tuple[str, ...]:
    return tuple(prop.key for prop in mapper.column_attrs)


def load_point(code: str) -> Callable[[Session], KeptPoint | None]:
    """The loader of one point: its unit, and the unit's campaigns that have a point group.

    One statement: the point, its unit, and each campaign with its groups' settings
    (a point with no such campaign comes with None).
    """

    def load(session: Session) -> KeptPoint | None:
        groups = joinedload(Campaign.groups)
        rows = (
            session.execute(
                select(ServicePoint, Campaign)
                .options(
                    joinedload(ServicePoint.unit),
                    groups.joinedload(CampaignGroup.group),
                    groups.joinedload(CampaignGroup.by_channel),
                )
                .outerjoin(campaign_unit, campaign_unit.c.unit_id == ServicePoint.unit_id)
                .outerjoin(
                    Campaign,
                    and_(
                        Campaign.id == campaign_unit.c.campaign_id,
                        Campaign.point_group_id.is_not(None),
                    ),
                )
                .where(ServicePoint.code == code)
            )
            .unique()
            .all()
        )
        if not rows:
            return None
        campaigns = tuple(campaign for _point, campaign in rows if campaign is not None)
        return KeptPoint(point=rows[0][0], campaigns=campaigns)

    return load
