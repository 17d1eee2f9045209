"""The conditions a transition of the workflow carries (``submissions.workflow.TRANSITIONS``).

A condition answers ``Decision(allowed, reason)`` for (actor, application, context); the first
condition of a transition that refuses is the answer of ``workflow.check`` and the refusal
``workflow.fire`` raises. Each condition has a code that says what kind of refusal it is and how
it is raised:

    state     the application is not in one of the transition's source states   ValidationError
    access    the access rule (portal.access) refuses the actor                  PermissionDenied
    closed    the call is no longer published (submit)                           ValidationError
    deadline  the filing, revision or bureau stage deadline has passed            ValidationError
    quota     the quota has no room (recommend) or is exceeded (sign-off)         ValidationError

The deadlines themselves are computed elsewhere and only asked here: the filing deadline by
``programs.deadlines.filing_deadline``, the bureau's stage deadline by ``deadlines.check_bureau_deadline``;
the quota figures by ``submissions.quotas``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import ALLOW, Actor, Decision, deny
from programs.constants import CallStatus
from programs.deadlines import DeadlineBook, filing_deadline
from submissions import embargo, policy
from submissions.constants import Status
from submissions.deadlines import check_bureau_deadline
from submissions.quotas import QuotaExceeded, has_room, quota_region_for, quota_status, within_limit

FILING_CODES = frozenset({"closed", "deadline"})  # what an applicant's submission lists with its problems


@dataclass
class Context:
    """What one evaluation of a transition's conditions knows besides actor and application.

    `now`: the moment the filing deadlines are judged at (default: now). `book`: stages and
    extensions loaded once for a bulk action. `wanted`: the places a recommendation needs in its
    quota (a bulk recommendation asks room for its whole group). `facts`: what conditions add to
    the audit entry's data (the quota's state when a place is taken)."""

    now: dt.datetime | None = None
    book: DeadlineBook | None = None
    wanted: int = 1
    facts: dict = field(default_factory=dict)
    quota: Any = None  # the QuotaStatus the quota condition read
    memo: dict = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Condition:
    code: str
    test: Callable[[Actor, Any, Context], Decision]
    raises: Callable[[str, Context], Exception]

    def __call__(self, actor: Actor, app, ctx: Context) -> Decision:
        # asked once per evaluation: the buttons of a page share one context, and several
        # transitions share the same access rule and deadline
        if self not in ctx.memo:
            ctx.memo[self] = self.test(actor, app, ctx)
        return ctx.memo[self]

    def error(self, reason: str, ctx: Context) -> Exception:
        return self.raises(reason, ctx)


def _invalid(code: str) -> Callable[[str, Context], Exception]:
    return lambda reason, ctx: ValidationError(reason, code=code)


def _denied(reason: str, ctx: Context) -> Exception:
    return PermissionDenied(reason)


# --- state and access ---------------------------------------------------------------------------


def wrong_state_message(actor: Actor, app) -> str:
    # the status as the actor sees it: an applicant is not told a decision before the result list
    status = Status(embargo.status_seen_by(actor, app)).label
    return _("This cannot be done while the application is “%(status)s”.") % {"status": status}


def in_state(sources: frozenset) -> Condition:
    def test(actor: Actor, app, ctx: Context) -> Decision:
        return ALLOW if app.status in sources else deny(wrong_state_message(actor, app))

    return Condition("state", test, _invalid("wrong_state"))


def allowed_by(rule_name: str) -> Condition:
    """The access rule `submissions.policy.<rule_name>` (looked up when asked)."""

    def test(actor: Actor, app, ctx: Context) -> Decision:
        return getattr(policy, rule_name)(actor, app)

    return Condition("access", test, _denied)


SUBMITTER = allowed_by("can_submit_application")
WITHDRAWER = allowed_by("can_withdraw_application")
REVIEWER = allowed_by("can_review_application")
RECOMMENDER = allowed_by("can_recommend_application")
SIGNATORY = allowed_by("can_sign_off_application")
DECIDER = allowed_by("can_decide_application")


# --- the applicant's deadlines ------------------------------------------------------------------


def _local(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")


def _call_published(actor: Actor, app, ctx: Context) -> Decision:
    if app.call.status != CallStatus.PUBLISHED:
        return deny(_("This call is closed."))
    return ALLOW


def _filing_on_time(actor: Actor, app, ctx: Context) -> Decision:
    now = ctx.now or timezone.now()
    deadline = filing_deadline(call=app.call, region=app.region, organization_id=app.organization_id)
    if deadline.passed(now):
        return deny(deadline.passed_message(now) + " " + _(
            "Your draft is kept; contact the county bureau if the province extends the deadline."))
    return ALLOW


def _revision_on_time(actor: Actor, app, ctx: Context) -> Decision:
    now = ctx.now or timezone.now()
    if app.revision_deadline and now > app.revision_deadline:
        return deny(_(
            "The revision deadline, %(deadline)s (Beijing time), has passed; the application can no longer be "
            "resubmitted. It is now %(now)s.") % {"deadline": _local(app.revision_deadline), "now": _local(now)})
    return ALLOW


CALL_OPEN = Condition("closed", _call_published, _invalid("closed"))
FILING_ON_TIME = Condition("deadline", _filing_on_time, _invalid("deadline"))
REVISION_ON_TIME = Condition("deadline", _revision_on_time, _invalid("deadline"))


# --- the bureau's stage deadline ----------------------------------------------------------------


def _bureau_on_time(actor: Actor, app, ctx: Context) -> Decision:
    """A county or city bureau acts until its stage's deadline; the province is not gated."""
    if not actor.is_bureau:
        return ALLOW
    return check_bureau_deadline(application=app, book=ctx.book, now=ctx.now)


BUREAU_ON_TIME = Condition("deadline", _bureau_on_time, _invalid("deadline_passed"))


# --- quotas -------------------------------------------------------------------------------------


def _read_quota(app, ctx: Context):
    region = quota_region_for(application=app, level=app.level)
    if region is None:
        return None
    ctx.quota = quota_status(call=app.call, region=region, level=app.level)
    return ctx.quota


def _room_for_recommendation(actor: Actor, app, ctx: Context) -> Decision:
    status = _read_quota(app, ctx)
    if status is None:
        return ALLOW
    if not status.unlimited:
        ctx.facts["quota"] = {"region": status.region.code, "limit": status.limit, "used_before": status.used}
    return has_room(status, ctx.wanted)


def _within_quota(actor: Actor, app, ctx: Context) -> Decision:
    status = _read_quota(app, ctx)
    return ALLOW if status is None else within_limit(status)


QUOTA_ROOM = Condition("quota", _room_for_recommendation, lambda reason, ctx: QuotaExceeded(ctx.quota, ctx.wanted))
WITHIN_QUOTA = Condition("quota", _within_quota, _invalid("quota_exceeded"))
