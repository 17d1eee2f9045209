"""The one place where an application changes status.

TRANSITIONS declares every move: its name, the states it leaves from, the state it reaches, and
who may fire it (an access rule in portal.access). `fire()` locks the row, checks the table and the
rule, changes the state, writes the audit entry in the same transaction and stores the e-mails about
it in the outbox (submissions.notifications), sent after the commit. Business checks that depend on
the use case (deadlines, completeness, quotas) live in the services that call `fire()`; the services
never assign `status` themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.access import Actor, Decision
from portal.services import audit_record
from submissions import embargo, notifications
from submissions.constants import Level, Status
from submissions.models import Application
from submissions.policy import (
    can_decide_application,
    can_recommend_application,
    can_review_application,
    can_sign_off_application,
    can_submit_application,
    can_withdraw_application,
)


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset
    target: str | None  # None: decided by `next_state` (e.g. sign-off moves to the next level)
    rule: Callable[[Actor, Application], Decision]
    next_state: Callable[[Application], tuple[str, str]] | None = None
    notify_bureau: bool = False
    # False for the province's decisions: the applicant learns the result when the call's result list
    # is published (the decision mail is held under the result embargo: submissions.notifications).
    notify_applicant: bool = True


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

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition("submit", gettext_lazy("Submit"), frozenset({Status.DRAFT}), None,
                   lambda a, app: can_submit_application(a, app), _first_level, notify_bureau=True),
        Transition("withdraw", gettext_lazy("Withdraw"), frozenset({Status.SUBMITTED}), Status.WITHDRAWN,
                   lambda a, app: can_withdraw_application(a, app)),
        Transition("resubmit", gettext_lazy("Resubmit"), frozenset({Status.RETURNED}), None,
                   lambda a, app: can_submit_application(a, app), _same_level(Status.SUBMITTED),
                   notify_bureau=True),
        Transition("start_review", gettext_lazy("Start review"), frozenset({Status.SUBMITTED}), None,
                   lambda a, app: can_review_application(a, app), _same_level(Status.UNDER_REVIEW)),
        Transition("return", gettext_lazy("Return for revision"), REVIEWABLE, None,
                   lambda a, app: can_review_application(a, app), _same_level(Status.RETURNED)),
        Transition("reject", gettext_lazy("Do not recommend"), REVIEWABLE, None,
                   lambda a, app: can_review_application(a, app), _same_level(Status.REJECTED)),
        Transition("recommend", gettext_lazy("Recommend"), REVIEWABLE, None,
                   lambda a, app: can_recommend_application(a, app), _same_level(Status.RECOMMENDED)),
        Transition("withdraw_recommendation", gettext_lazy("Withdraw the recommendation"),
                   frozenset({Status.RECOMMENDED}), None,
                   lambda a, app: can_review_application(a, app), _same_level(Status.UNDER_REVIEW)),
        Transition("sign_off", gettext_lazy("Sign off the recommendation"), frozenset({Status.RECOMMENDED}), None,
                   lambda a, app: can_sign_off_application(a, app), _next_level, notify_bureau=True),
        Transition("approve", gettext_lazy("Recognize"), REVIEWABLE | {Status.PILOT}, None,
                   lambda a, app: can_decide_application(a, app), _same_level(Status.APPROVED),
                   notify_applicant=False),
        Transition("not_approve", gettext_lazy("Do not recognize"), REVIEWABLE | {Status.PILOT}, None,
                   lambda a, app: can_decide_application(a, app), _same_level(Status.NOT_APPROVED),
                   notify_applicant=False),
        Transition("pilot", gettext_lazy("Admit as pilot"), REVIEWABLE, None,
                   lambda a, app: can_decide_application(a, app), _same_level(Status.PILOT),
                   notify_applicant=False),
    ]
}


def available(actor: Actor, app: Application) -> list[Transition]:
    """The transitions this actor may fire on this application now (for buttons)."""
    return [t for t in TRANSITIONS.values() if app.status in t.sources and t.rule(actor, app).allowed]


def _wrong_state(actor: Actor, app: Application) -> str:
    # the status as the actor sees it: an applicant is not told a decision before the result list
    status = Status(embargo.status_seen_by(actor, app)).label
    return _("This cannot be done while the application is “%(status)s”.") % {"status": status}


def check(actor: Actor, app: Application, name: str) -> Decision:
    transition = TRANSITIONS[name]
    if app.status not in transition.sources:
        return Decision(False, _wrong_state(actor, app))
    return transition.rule(actor, app)


def fire(*, actor: Actor, application: Application, name: str, comment: str = "", data: dict | None = None,
         changes: dict | None = None) -> Application:
    """Run one transition. Must be called inside a transaction (the services open it)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("workflow.fire() must run inside transaction.atomic()")
    transition = TRANSITIONS[name]
    app = Application.objects.select_for_update().get(pk=application.pk)
    if app.status not in transition.sources:
        raise ValidationError(_wrong_state(actor, app))
    decision = transition.rule(actor, app)
    if not decision:
        raise PermissionDenied(decision.reason)
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
        to_state=f"{status}@{level}" if level else status, comment=comment, data=data or {},
    )
    # the e-mails, composed from the entry in this transaction, sent once after the commit
    notifications.transition_enqueue(entry=entry, application=app, notify_applicant=transition.notify_applicant,
                                     notify_bureau=transition.notify_bureau)
    application.__dict__.update(app.__dict__)
    return app
