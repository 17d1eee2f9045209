"""The result embargo: the province's decision is internal until the call's result list is published.

One rule, used by every page, API, timeline, audit list and e-mail of the applicant's side.
"""

from __future__ import annotations

import copy

from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from portal.access import Actor
from portal.models import AuditEntry
from submissions import models as m
from submissions import workflow
from submissions.constants import Status
from submissions.policy import can_view_application, can_view_review

# --- Applications: the province's decision, internal until the result list is published ---
#
# The province records a decision per application (approve 认定, not_approve 不予认定, pilot 试点), then
# publishes the call's result list (submissions.models.ResultPublication). The decision is internal
# until then. The one rule: a decision is public once a result list of its call has been published at
# or after the decision. Until then everything the applicant's side shows (its pages, the API, the
# timeline, its audit list, the e-mails) presents the application as still under review at the
# provincial department (after a published pilot: still a pilot), without the decision or its
# comment. Bureaus, the province and operators see the real status.

DECISION_STATUSES = ("approved", "not_approved", "pilot")
DECISION_ACTIONS = ("application.approve", "application.not_approve", "application.pilot")
APPLICATION_TYPE = "submissions.application"


def _published_since(call, at) -> Exists:
    """The rule: a result list of `call` published at or after `at` (values or query expressions)."""
    return Exists(m.ResultPublication.objects.filter(call_id=call, published_at__gte=at))


def applicant_entries_q(call) -> Q:
    """Audit entries the applicant may read (for entries of applications of `call`): all but the
    decisions whose result list has not been published."""
    return ~Q(action__in=DECISION_ACTIONS) | _published_since(call, OuterRef("at"))


def _call_of_entry() -> Subquery:
    """In an audit entry's subquery: the call of the application the entry is about."""
    return Subquery(
        m.Application.objects.annotate(key=Cast("pk", output_field=CharField()))
        .filter(key=OuterRef(OuterRef("object_id"))).values("call_id")[:1]
    )


def _entries_of_outer_application():
    return AuditEntry.objects.filter(object_type=APPLICATION_TYPE,
                                     object_id=Cast(OuterRef("pk"), output_field=CharField()))


def with_applicant_view(qs):
    """Annotate applications with what the applicant sees: `applicant_status`, and the last action
    (`applicant_last_action`, `applicant_last_action_at`) among the transitions it may read."""

    decided_at = Coalesce(OuterRef("last_action_at"), OuterRef("created_at"))
    pilot_public = Exists(_entries_of_outer_application().filter(action="application.pilot").filter(
        _published_since(OuterRef(OuterRef("call_id")), OuterRef("at"))))
    status = Case(
        When(~Q(status__in=DECISION_STATUSES), then=F("status")),
        When(_published_since(OuterRef("call_id"), decided_at), then=F("status")),
        When(Q(status__in=[Status.APPROVED, Status.NOT_APPROVED]) & pilot_public, then=Value(Status.PILOT)),
        default=Value(Status.UNDER_REVIEW), output_field=CharField(),
    )
    last = _entries_of_outer_application().filter(
        action__in=[f"application.{name}" for name in workflow.TRANSITIONS]
    ).filter(applicant_entries_q(OuterRef(OuterRef("call_id")))).order_by("-at", "-id")
    return qs.annotate(applicant_status=status).annotate(
        applicant_last_action=Case(When(applicant_status=F("status"), then=F("last_action")),
                                   default=Subquery(last.values("action")[:1]), output_field=CharField()),
        applicant_last_action_at=Case(When(applicant_status=F("status"), then=F("last_action_at")),
                                      default=Subquery(last.values("at")[:1])),
    )


def _applicant_view(app) -> tuple[str, str, object]:
    """(status, last action, its time) as the applicant sees them; from the annotations of
    `with_applicant_view` when the application was loaded with them, else with one query."""
    if not hasattr(app, "applicant_status"):
        if app.status not in DECISION_STATUSES:
            return app.status, app.last_action, app.last_action_at
        row = with_applicant_view(m.Application.objects.filter(pk=app.pk)).values_list(
            "applicant_status", "applicant_last_action", "applicant_last_action_at").first()
        if row is None:
            return app.status, app.last_action, app.last_action_at
        status, action, at = row
    else:
        status, action, at = app.applicant_status, app.applicant_last_action, app.applicant_last_action_at
    if status == app.status:
        return app.status, app.last_action, app.last_action_at
    return status, (action or "").removeprefix("application."), at


def applicant_visible_status(app) -> str:
    """The status the applicant sees: the real one, except a decision whose result list has not
    been published yet (then: under review, or pilot after a published pilot)."""
    return _applicant_view(app)[0]


def status_seen_by(actor: Actor, app) -> str:
    """The status `actor` sees: the applicant's side the visible one, the review side the real one."""
    return applicant_visible_status(app) if actor.is_applicant else app.status


def _not_saved(*args, **kwargs):
    raise RuntimeError("An application copied for display is never saved.")


def display_copy(app, **fields):
    """A copy of the application for display (as the applicant sees it, as a receipt recorded it),
    with `fields` replaced; saving it raises."""
    shown = copy.copy(app)
    for name, value in fields.items():
        setattr(shown, name, value)
    shown.save = _not_saved
    return shown


def as_seen_by(actor: Actor, app):
    """The application as `actor` sees it: the applicant's side without unpublished decisions, the
    review side as it is."""
    return as_seen_by_applicant(app) if actor.is_applicant else app


def as_seen_by_applicant(app):
    """The application for display on the applicant's side: itself when nothing is withheld, else a
    copy (never saved) showing the status and last action the applicant sees."""
    status, action, at = _applicant_view(app)
    if status == app.status:
        return app
    return display_copy(app, status=status, last_action=action, last_action_at=at)


def decisions_published_by(publication):
    """The decided applications of the publication's call whose decision this result list makes
    public (and no earlier one of the call did): those it tells the applicants about."""
    call_id = publication.call_id
    qs = m.Application.objects.filter(call_id=call_id, status__in=DECISION_STATUSES).annotate(
        decided_at=Coalesce("last_action_at", "created_at")).filter(decided_at__lte=publication.published_at)
    earlier = (
        m.ResultPublication.objects.filter(call_id=call_id)
        .filter(Q(published_at__lt=publication.published_at) | Q(published_at=publication.published_at,
                                                                 pk__lt=publication.pk))
        .order_by("-published_at", "-pk").first()
    )
    if earlier is not None:
        qs = qs.filter(decided_at__gt=earlier.published_at)
    return qs


def published_results(publication):
    """The recognized and pilot applications a result list published: those decided at or before
    its publication (a decision recorded later waits for the next list)."""
    return (
        m.Application.objects.filter(call_id=publication.call_id, status__in=[Status.APPROVED, Status.PILOT])
        .annotate(decided_at=Coalesce("last_action_at", "created_at"))
        .filter(decided_at__lte=publication.published_at)
        .select_related("organization", "region")
        .order_by("status", "region__code", "organization__name")
    )


def application_timeline(actor: Actor, app):
    """The audit entries of one application the actor may read (empty if it may not see it). The
    applicant's side reads the transitions, without the decisions not yet published; an expert reads
    none (who did what is the bureaus' and the applicant's business)."""
    if actor.is_expert or not can_view_application(actor, app):
        return AuditEntry.objects.none()
    qs = AuditEntry.objects.select_related("actor").filter(
        object_type=APPLICATION_TYPE, object_id=str(app.pk)
    ).order_by("at", "id")
    if not can_view_review(actor, app):
        qs = qs.filter(action__startswith="application.").filter(applicant_entries_q(app.call_id))
    return qs


def applicant_audit_q() -> Q:
    """The audit entries an applicant may read: none of the decisions not yet published (registered
    with the tenancy core's audit list at start-up)."""
    return applicant_entries_q(_call_of_entry())
