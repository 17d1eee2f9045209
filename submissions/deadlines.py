"""Stage deadlines of the bureaus: the review side's names for the one deadline resolver
(programs.deadlines), which decides which stage binds a region at a level and applies the
province's extensions. Nothing is computed here.

Deadlines gate the county and city bureaus. The provincial department decides without a stage
deadline of its own (it is the one who would extend it). Acting at the deadline itself is on
time; one second later is refused.
"""

from __future__ import annotations

import datetime as dt

from portal.access import ALLOW, Decision, deny
from programs.deadlines import Deadline, DeadlineBook

from .constants import Level

GATED_LEVELS = frozenset({Level.COUNTY, Level.CITY})

BureauDeadline = Deadline  # the name the review side has used


def bureau_deadline(*, application, level: str | None = None, book: DeadlineBook | None = None) -> Deadline:
    """The deadline of the bureau holding `application` (or of `level`) for its region."""
    return (book or DeadlineBook([application.call_id])).for_application(application, level)


def check_bureau_deadline(*, application, level: str | None = None, now: dt.datetime | None = None,
                          book: DeadlineBook | None = None) -> Decision:
    """May the bureau at the application's level still act? (The province is not gated.)"""
    level = level or application.level
    if level not in GATED_LEVELS:
        return ALLOW
    deadline = bureau_deadline(application=application, level=level, book=book)
    if deadline.passed(now):
        return deny(deadline.passed_message())
    return ALLOW
