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
    score     the bureau's score is missing where the call requires it, out of     ValidationError
              bounds, or fails a condition of the notice that binds the bureau
              (recommend; asked only when the score is known: ``Context.score``)

The deadlines themselves are computed elsewhere and only asked here: the filing deadline by
``programs.deadlines.filing_deadline``, the bureau's stage deadline by ``deadlines.check_bureau_deadline``;
the quota figures by ``submissions.quotas``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import ALLOW, Actor, Decision, deny
from programs.constants import CallStatus, ConditionKind
from programs.deadlines import DeadlineBook, filing_deadline
from scoring.selectors import UnknownRubric, resolve_rubric
from submissions import embargo, policy
from submissions.constants import Status
from submissions.deadlines import check_bureau_deadline
from submissions.forms import BUREAU_KEYS
from submissions.quotas import QuotaExceeded, has_room, quota_region_for, quota_status, within_limit

FILING_CODES = frozenset({"closed", "deadline"})  # what an applicant's submission lists with its problems
NOT_GIVEN: Any = object()  # Context.score when no score is at stake (a page asking whether to show a button)


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
    score: Any = NOT_GIVEN  # the bureau's score a recommendation records (Decimal or None: no score)


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


# --- the bureau's score -------------------------------------------------------------------------
#
# A bureau's score lies between 0 and the maximum of the call's rubric (0-100 when the call has no
# rubric). The initial score (初评分, given by the first bureau of the application's routing) is
# required when the call says so (Call.bureau_score_required) or when a hard condition of the notice
# binds it, and must meet the notice's conditions on the bureau's figures (EligibilityCondition rows
# on `initial_score`, loaded from the notice file, e.g. seed 000: 初评得分不低于60分), quoted when
# it does not.

SCORE_MAX_WITHOUT_RUBRIC = Decimal("100")


def score_bounds(call) -> tuple[Decimal, Decimal]:
    """(lowest, highest) score a bureau may give under `call`: the rubric's maximum (its bonus
    items included) or 100 when the call has no rubric."""
    if call.rubric_code:
        try:
            return Decimal("0"), Decimal(resolve_rubric(call.rubric_code).rubric.total_max)
        except UnknownRubric:
            pass
    return Decimal("0"), SCORE_MAX_WITHOUT_RUBRIC


def bureau_conditions(call) -> list:
    """The conditions of the notice that bind the bureau: thresholds on a figure only a bureau
    establishes (the initial score)."""
    return [c for c in call.conditions.all()
            if c.input_key in BUREAU_KEYS and c.kind == ConditionKind.THRESHOLD and c.threshold is not None]


def score_required(call) -> bool:
    return bool(call.bureau_score_required) or any(c.is_hard for c in bureau_conditions(call))


def bureau_score_decision(call, score, *, initial: bool = True) -> Decision:
    """May a bureau recommend with `score` (a Decimal, or None: no score) under `call`? `initial`:
    the bureau gives the initial score (初评: the first bureau of the application's routing); the
    requirement and the notice's conditions bind that score, the bounds every bureau's."""
    if score is None:
        if initial and score_required(call):
            return deny(_("This call requires the bureau's initial score: give a score to recommend."))
        return ALLOW
    low, high = score_bounds(call)
    if not low <= score <= high:
        return deny(_("The score %(score)s is out of bounds: it must lie between %(low)s and %(high)s.") % {
            "score": score, "low": _plain(low), "high": _plain(high)})
    for condition in bureau_conditions(call) if initial else ():
        holds, _reason = condition.evaluate({condition.input_key: score})
        if holds is False and condition.is_hard:
            return deny(_("The score %(score)s does not meet the condition of the notice: “%(condition)s”") % {
                "score": score, "condition": condition.text})
    return ALLOW


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _score_meets_the_call(actor: Actor, app, ctx: Context) -> Decision:
    if ctx.score is NOT_GIVEN:
        return ALLOW
    initial = app.level == (list(app.routing or []) or [app.level])[0]
    return bureau_score_decision(app.call, ctx.score, initial=initial)


SCORE_MEETS_CALL = Condition("score", _score_meets_the_call,
                             lambda reason, ctx: ValidationError({"score": [reason]}, code="score"))


@dataclass(frozen=True)
class ScoreRule:
    """What a page says beside the score field of a recommendation."""

    low: str
    high: str
    required: bool
    conditions: tuple[str, ...]


def score_rule(app) -> ScoreRule:
    low, high = score_bounds(app.call)
    initial = app.level == (list(app.routing or []) or [app.level])[0]
    return ScoreRule(_plain(low), _plain(high), initial and score_required(app.call),
                     tuple(c.text for c in bureau_conditions(app.call) if c.is_hard) if initial else ())
