"""The one place where an application changes status, and the one guard of every change.

TRANSITIONS declares every move: its name, the states it leaves from, the state it reaches, and
the conditions it carries (``submissions.conditions``): the state, the access rule of
portal.access, and where they apply the filing or revision deadline (submit, resubmit), the
bureau's stage deadline and the quota (recommend, sign-off), the bureau's score against the
call's bounds and conditions (recommend). The conditions are asked in the order
listed and the first refusal is the answer:

    check(actor, app, name)      -> Decision: may the actor do it now, and if not why
    refusal(actor, app, name)    -> the first Refusal (code, reason, error) or None
    require(actor, app, name)    raises that refusal (the services use it before their own checks)
    available(actor, app)        -> the transitions allowed now (the pages' buttons)
    blocked(actor, app)          -> those refused only by a deadline, the call or the quota, with why
    fire(actor=, application=, name=, ...)  locks, asks the same conditions, moves, audits

`fire()` locks what the transition needs (the quota counter before the application's row),
re-asks the conditions on the locked row, changes the state, writes the audit entry in the same
transaction and queues the e-mails for after the commit. Nothing else assigns `status`.

WORK declares what is not a move but is guarded the same way: working on the review file
(corrections, scores, site visits, opinions) while the application is with the actor's bureau.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from portal.access import ALLOW, Actor, Decision
from portal.services import audit_record
from submissions import notifications
from submissions.conditions import (
    BUREAU_ON_TIME,
    CALL_OPEN,
    DECIDER,
    FILING_CODES,  # noqa: F401 - asked as workflow.FILING_CODES by the services
    FILING_ON_TIME,
    NOT_GIVEN,
    QUOTA_ROOM,
    RECOMMENDER,
    REVIEWER,
    REVISION_ON_TIME,
    SCORE_MEETS_CALL,
    SIGNATORY,
    SUBMITTER,
    WITHDRAWER,
    WITHIN_QUOTA,
    Condition,
    Context,
    in_state,
)
from submissions.constants import Level, Status
from submissions.models import Application
from submissions.quotas import lock_counter_for


@dataclass(frozen=True)
class Refusal:
    """Why a transition cannot be fired now: the refusing condition's code, the reason shown to the
    user, and the exception `fire` (and `require`) raise for it."""

    code: str
    reason: str
    error: Exception

    @property
    def decision(self) -> Decision:
        return Decision(False, self.reason)


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset
    target: str | None  # None: decided by `next_state` (e.g. sign-off moves to the next level)
    conditions: tuple[Condition, ...]  # asked in this order (the state's condition is built from `sources`)
    next_state: Callable[[Application], tuple[str, str]] | None = None
    notify_bureau: bool = False
    # False for the province's decisions: the applicant learns the result when the call's result list
    # is published (the decision mail is held under the result embargo: submissions.notifications).
    notify_applicant: bool = True
    # rows `fire` locks before the application's (the quota counter: always counter, then application)
    locks: tuple[Callable[[Application], object], ...] = ()


def _next_level(app: Application) -> tuple[str, str]:
    """After a head signs off a recommendation, the application goes to the next level."""
    routing = list(app.routing or [])
    try:
        nxt = routing[routing.index(app.level) + 1]
    except (ValueError, IndexError):
        nxt = Level.PROVINCE
    return Status.SUBMITTED, nxt


def _first_level(app: Application) -> tuple[str, str]:
    return Status.SUBMITTED, (app.routing or [Level.COUNTY])[0]


def _same_level(target: str) -> Callable[[Application], tuple[str, str]]:
    return lambda app: (target, app.level)


REVIEWABLE = frozenset({Status.SUBMITTED, Status.UNDER_REVIEW})


def _lock_quota(app: Application):
    return lock_counter_for(application=app)


def _applicant(name, label, sources, target, *conditions, **kw) -> Transition:
    """The applicant's moves ask the state first: their own rules speak of it ("only before the review starts")."""
    return Transition(name, label, frozenset(sources), target, (in_state(frozenset(sources)), *conditions), **kw)


def _review(name, label, sources, target, rule, *conditions, **kw) -> Transition:
    """The bureaus' and the province's moves ask who first: a stranger learns nothing about the state."""
    return Transition(name, label, frozenset(sources), target, (rule, in_state(frozenset(sources)), *conditions), **kw)


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _applicant("submit", gettext_lazy("Submit"), {Status.DRAFT}, None, SUBMITTER, CALL_OPEN, FILING_ON_TIME,
                   next_state=_first_level, notify_bureau=True),
        _applicant("withdraw", gettext_lazy("Withdraw"), {Status.SUBMITTED}, Status.WITHDRAWN, WITHDRAWER),
        _applicant("resubmit", gettext_lazy("Resubmit"), {Status.RETURNED}, None, SUBMITTER, REVISION_ON_TIME,
                   next_state=_same_level(Status.SUBMITTED), notify_bureau=True),
        _review("start_review", gettext_lazy("Start review"), {Status.SUBMITTED}, None, REVIEWER, BUREAU_ON_TIME,
                next_state=_same_level(Status.UNDER_REVIEW)),
        _review("return", gettext_lazy("Return for revision"), REVIEWABLE, None, REVIEWER, BUREAU_ON_TIME,
                next_state=_same_level(Status.RETURNED)),
        _review("reject", gettext_lazy("Do not recommend"), REVIEWABLE, None, REVIEWER, BUREAU_ON_TIME,
                next_state=_same_level(Status.REJECTED)),
        _review("recommend", gettext_lazy("Recommend"), REVIEWABLE, None, RECOMMENDER, BUREAU_ON_TIME,
                SCORE_MEETS_CALL, QUOTA_ROOM,
                next_state=_same_level(Status.RECOMMENDED), locks=(_lock_quota,)),
        _review("withdraw_recommendation", gettext_lazy("Withdraw the recommendation"), {Status.RECOMMENDED}, None,
                REVIEWER, BUREAU_ON_TIME, next_state=_same_level(Status.UNDER_REVIEW), locks=(_lock_quota,)),
        _review("sign_off", gettext_lazy("Sign off the recommendation"), {Status.RECOMMENDED}, None, SIGNATORY,
                BUREAU_ON_TIME, WITHIN_QUOTA, next_state=_next_level, notify_bureau=True, locks=(_lock_quota,)),
        _review("approve", gettext_lazy("Recognize"), REVIEWABLE | {Status.PILOT}, None, DECIDER,
                next_state=_same_level(Status.APPROVED), notify_applicant=False),
        _review("not_approve", gettext_lazy("Do not recognize"), REVIEWABLE | {Status.PILOT}, None, DECIDER,
                next_state=_same_level(Status.NOT_APPROVED), notify_applicant=False),
        _review("pilot", gettext_lazy("Admit as pilot"), REVIEWABLE, None, DECIDER,
                next_state=_same_level(Status.PILOT), notify_applicant=False),
    ]
}

WORK: dict[str, Transition] = {
    t.name: t
    for t in [
        # the review file: corrections, level scores, site visits, opinions (a submitted application's
        # review starts with the first of them: `start_review` is fired then)
        _review("review", gettext_lazy("Review"), REVIEWABLE, None, REVIEWER, BUREAU_ON_TIME),
    ]
}

# the conditions whose refusal a page shows where the button would be (the state and the access
# rule explain themselves: the button is simply not there)
EXPLAINED = frozenset({"closed", "deadline", "quota"})


def _get(name: str) -> Transition:
    transition = TRANSITIONS.get(name) or WORK.get(name)
    if transition is None:
        raise KeyError(f"no transition or activity named {name!r}")
    return transition


def _refusals(transition: Transition, actor: Actor, app: Application, ctx: Context, *, first: bool,
              codes=None) -> list[Refusal]:
    out = []
    for condition in transition.conditions:
        if codes is not None and condition.code not in codes:
            continue
        decision = condition(actor, app, ctx)
        if not decision:
            out.append(Refusal(condition.code, decision.reason, condition.error(decision.reason, ctx)))
            if first:
                break
    return out


def refusal(actor: Actor, app: Application, name: str, *, now=None, book=None, wanted: int = 1,
            score=NOT_GIVEN) -> Refusal | None:
    """The first condition of `name` that refuses (None: the actor may do it now). `score`: the
    bureau's score a recommendation would record (not given: the score is not asked)."""
    found = _refusals(_get(name), actor, app, Context(now=now, book=book, wanted=wanted, score=score), first=True)
    return found[0] if found else None


def refusals(actor: Actor, app: Application, name: str, *, codes=None, now=None, book=None,
             wanted: int = 1) -> list[Refusal]:
    """Every refusing condition of `name` (only those of `codes` if given), in order: a submission
    lists its deadline problems with the others."""
    return _refusals(_get(name), actor, app, Context(now=now, book=book, wanted=wanted), first=False, codes=codes)


def check(actor: Actor, app: Application, name: str, *, now=None, book=None, wanted: int = 1) -> Decision:
    """May `actor` do `name` to `app` now? The first refusal's reason if not."""
    found = refusal(actor, app, name, now=now, book=book, wanted=wanted)
    return ALLOW if found is None else found.decision


def require(actor: Actor, app: Application, name: str, *, now=None, book=None, wanted: int = 1,
            score=NOT_GIVEN) -> None:
    """Raise what `fire` would raise for the first refusing condition (nothing when allowed)."""
    found = refusal(actor, app, name, now=now, book=book, wanted=wanted, score=score)
    if found is not None:
        raise found.error


def available(actor: Actor, app: Application) -> list[Transition]:
    """The transitions this actor may fire on this application now (the buttons of a page)."""
    ctx = Context()
    return [t for t in TRANSITIONS.values()
            if app.status in t.sources and not _refusals(t, actor, app, ctx, first=True)]


def blocked(actor: Actor, app: Application) -> list[tuple[Transition, Refusal]]:
    """The transitions whose state and access rule allow the actor, refused by a deadline, the call's
    state or the quota: a page says why their button is missing."""
    ctx = Context()
    out = []
    for t in TRANSITIONS.values():
        if app.status not in t.sources:
            continue
        found = _refusals(t, actor, app, ctx, first=True)
        if found and found[0].code in EXPLAINED:
            out.append((t, found[0]))
    return out


def lock(application: Application, name: str) -> Application:
    """Take the locks of transition `name` (the quota counter, then the application's row) and
    return the locked row. `fire` takes them itself; a service calls this first when it must read
    or write under them before firing (locking again in the same transaction is free)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("workflow.lock() must run inside transaction.atomic()")
    for take in TRANSITIONS[name].locks:
        take(application)
    return Application.objects.select_for_update().get(pk=application.pk)


def fire(*, actor: Actor, application: Application, name: str, comment: str = "", data: dict | None = None,
         changes: dict | None = None, now=None, book=None, wanted: int = 1, score=NOT_GIVEN) -> Application:
    """Run one transition. Must be called inside a transaction (the services open it).

    The conditions are asked again on the locked row and the first refusal is raised (a
    PermissionDenied for the access rule, a ValidationError, or QuotaExceeded, for the others).
    `now` and `book` as for `check`; `wanted`: the places a bulk recommendation still needs in
    this quota (itself included); `score`: the bureau's score a recommendation records (asked
    against the call's bounds and conditions)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("workflow.fire() must run inside transaction.atomic()")
    transition = TRANSITIONS[name]
    app = lock(application, name)
    ctx = Context(now=now, book=book, wanted=wanted, score=score)
    found = _refusals(transition, actor, app, ctx, first=True)
    if found:
        raise found[0].error
    before_status, before_level = app.status, app.level
    if transition.next_state:
        status, level = transition.next_state(app)
    else:
        status, level = transition.target, app.level
    now = timezone.now()
    app.status = status
    app.level = level
    app.last_action = name
    app.last_action_at = now
    for key, value in (changes or {}).items():
        setattr(app, key, value)
    app.save()
    entry = audit_record(
        actor=actor, action=f"application.{name}", obj=app, province=app.province, region=app.region,
        organization=app.organization, from_state=f"{before_status}@{before_level}" if before_level else before_status,
        to_state=f"{status}@{level}" if level else status, comment=comment, data={**ctx.facts, **(data or {})},
    )
    # the e-mails, composed from the entry in this transaction, sent once after the commit
    notifications.transition_enqueue(entry=entry, application=app, notify_applicant=transition.notify_applicant,
                                     notify_bureau=transition.notify_bureau)
    application.__dict__.update(app.__dict__)
    return app
