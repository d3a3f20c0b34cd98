"""The rules of implementation status: pure functions over plain values (no Django).

A recommendation addressed to several actors has a status for each of them. Each status change
is dated (when it happened) and names the addressee it is about, or none when it is about every
addressee. The status of one addressee on a day is that of the latest change, on or before the
day, about that addressee or about every addressee; changes on the same day are taken in the
order they were recorded (`sequence`). Before any change the status is "not started".

The status of the recommendation as a whole summarises its addressees': the common status when
they all agree; otherwise "partial" when any has made progress (partial or implemented), else
"regressed" when any has regressed, else "not started".

A recommendation is overdue for an addressee when its deadline has passed (the deadline day is
still in time) and that addressee has not implemented it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

NOT_STARTED: Final = "not_started"
PARTIAL: Final = "partial"
IMPLEMENTED: Final = "implemented"
REGRESSED: Final = "regressed"
STATUSES: Final = (NOT_STARTED, PARTIAL, IMPLEMENTED, REGRESSED)
# A regression is a step back from progress that was made.
PROGRESS: Final = frozenset({PARTIAL, IMPLEMENTED})


@dataclass(frozen=True)
class Change:
    date: dt.date
    sequence: int  # the order of recording (the row's id): breaks ties on one day
    status: str
    actor: int | None  # the addressee it is about; None: every addressee


@dataclass(frozen=True)
class Standing:
    """Where one addressee stands on a day."""

    status: str
    since: dt.date | None  # the date of the change that set it; None: no change yet
    overdue: bool


def _applies(change: Change, actor: int | None) -> bool:
    return change.actor is None or actor is None or change.actor == actor


def latest(changes: Iterable[Change], actor: int | None, as_of: dt.date) -> Change | None:
    """The change in force for `actor` on `as_of` (None for the recommendation as a whole
    takes every change)."""
    found: Change | None = None
    for change in changes:
        if change.date > as_of or not _applies(change, actor):
            continue
        if found is None or (change.date, change.sequence) > (found.date, found.sequence):
            found = change
    return found


def is_overdue(deadline: dt.date | None, status: str, as_of: dt.date) -> bool:
    return deadline is not None and deadline < as_of and status != IMPLEMENTED


def standing(
    changes: Sequence[Change], actor: int | None, deadline: dt.date | None, as_of: dt.date
) -> Standing:
    change = latest(changes, actor, as_of)
    status = change.status if change is not None else NOT_STARTED
    return Standing(
        status=status,
        since=change.date if change is not None else None,
        overdue=is_overdue(deadline, status, as_of),
    )


def summary(statuses: Sequence[str]) -> str:
    """The status of a recommendation from those of its addressees."""
    if not statuses:
        return NOT_STARTED
    if all(s == statuses[0] for s in statuses):
        return statuses[0]
    if any(s in PROGRESS for s in statuses):
        return PARTIAL
    if REGRESSED in statuses:
        return REGRESSED
    return NOT_STARTED


def overall(
    changes: Sequence[Change], actors: Sequence[int], deadline: dt.date | None, as_of: dt.date
) -> Standing:
    """The standing of the recommendation as a whole: the summary of its addressees', dated
    by the latest change that counts, overdue when it is overdue for any addressee."""
    standings = [standing(changes, a, deadline, as_of) for a in actors]
    if not standings:
        return standing(changes, None, deadline, as_of)
    dates = [s.since for s in standings if s.since is not None]
    return Standing(
        status=summary([s.status for s in standings]),
        since=max(dates) if dates else None,
        overdue=any(s.overdue for s in standings),
    )


def may_regress(previous: str) -> bool:
    """A regression must follow progress: from partial or implemented only."""
    return previous in PROGRESS


def share(part: int, whole: int) -> float | None:
    """part / whole rounded to 3 places; None when there is nothing to divide (not 0: a
    scorecard must not read 'none implemented' where nothing was asked)."""
    return round(part / whole, 3) if whole else None
