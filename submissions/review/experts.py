"""Expert review (专家评审): assigning experts to applications, and what an expert reads.

An assignment is a django-guardian per-object permission, `submissions.review_as_expert`, held in
the direct foreign-key table `ApplicationUserObjectPermission` together with the level that made it
(the city bureau or the provincial department) and who made it. Who may assign whom, and what a
grant opens, are rules of `submissions.policy` (`can_assign_expert`, `can_unassign_expert`,
`expert_may_read`, `can_view_contact_details`); this module writes the grants (one transaction with
its audit entry each) and reads what the pages and the API show, in a constant number of queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import remove_perm

from portal.access import Actor, Decision
from portal.services import audit_record
from programs.deadlines import Deadline, DeadlineBook
from submissions import notifications
from submissions.blind import CONTACT_PATHS, without_contact_details
from submissions.constants import Level
from submissions.embargo import display_copy
from submissions.models import Application, ApplicationUserObjectPermission, Attachment
from submissions.policy import (
    EXPERT_PERM,
    EXPERT_PERMISSION,
    applications_visible,
    can_assign_expert,
    can_manage_experts,
    can_unassign_expert,
    can_view_contact_details,
    expert_assigning_level,
    expert_grants,
    expert_may_read,
)
from submissions.review.selectors import review_form


def _require(decision: Decision) -> None:
    if not decision:
        raise PermissionDenied(decision.reason)


def _lock(application) -> Application:
    pk = application.pk if isinstance(application, Application) else int(application)
    Application.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True).get()
    return Application.objects.select_related("call", "region", "province", "organization").get(pk=pk)


def _audit(*, actor: Actor, app: Application, action: str, grant: ApplicationUserObjectPermission, expert):
    # on the application, without organization: the applicant's side does not learn who its experts are
    return audit_record(actor=actor, action=f"review.{action}", obj=app, province=app.province, region=app.region,
                 data={"level": grant.level, "expert": expert.pk, "expert_name": expert.display_name()})


# --- writes -------------------------------------------------------------------------------------------


@transaction.atomic
def expert_assign(*, actor: Actor, application, expert) -> ApplicationUserObjectPermission:
    """Grant `expert` (a user of the province's expert pool) the review of the application, for the
    actor's level (the city bureau or the provincial department)."""
    app = _lock(application)
    _require(can_assign_expert(actor, app, expert))
    if expert_grants(application=app, user=expert).exists():
        raise ValidationError(_("This expert is already assigned to this application."), code="already_assigned")
    grant = ApplicationUserObjectPermission.objects.assign_perm(EXPERT_PERMISSION, expert, app)
    grant.level = expert_assigning_level(actor)
    grant.assigned_by = actor.user
    grant.assigned_at = timezone.now()
    grant.save(update_fields=["level", "assigned_by", "assigned_at"])
    entry = _audit(actor=actor, app=app, action="expert_assign", grant=grant, expert=expert)
    closes = DeadlineBook([app.call_id]).for_application(app, grant.level)
    notifications.expert_assignment_enqueue(entry=entry, application=app, expert=expert, closes_at=closes.at)
    return grant


@transaction.atomic
def expert_unassign(*, actor: Actor, application, expert) -> None:
    """Remove the assignment of `expert`: its access to the application ends at once."""
    app = _lock(application)
    _require(can_manage_experts(actor, app))
    grant = expert_grants(application=app, user=expert).first()
    if grant is None:
        raise ValidationError(_("This expert is not assigned to this application."), code="not_assigned")
    _require(can_unassign_expert(actor, app, grant))
    remove_perm(EXPERT_PERM, expert, app)
    _audit(actor=actor, app=app, action="expert_unassign", grant=grant, expert=expert)


# --- reads ---------------------------------------------------------------------------------------------


def assignments_of(application) -> QuerySet[ApplicationUserObjectPermission]:
    """The experts assigned to one application (for the bureau that may manage them)."""
    return (expert_grants(application=application).select_related("user", "assigned_by")
            .order_by("assigned_at", "id"))


@dataclass
class ExpertRow:
    """One application on the expert's list: the level that assigned it, the deadline of that
    level's stage, and whether the expert may still open it."""

    app: Application
    level: str
    deadline: Deadline
    open: Decision

    @property
    def level_label(self) -> str:
        return str(Level(self.level).label) if self.level in Level.values else ""


def expert_queryset(actor: Actor) -> QuerySet[Application]:
    """The expert's applications (policy.applications_visible) with the level of its grant."""
    level = Subquery(expert_grants(user=actor.user).filter(content_object=OuterRef("pk")).values("level")[:1])
    return (applications_visible(actor).select_related("call__province", "region__city")
            .annotate(expert_level=level).order_by("-submitted_at", "-id"))


def expert_rows(actor: Actor, apps=None, *, now: dt.datetime | None = None) -> list[ExpertRow]:
    """The rows of the expert's list (`apps`: a page of `expert_queryset`, default all of it): three
    queries whatever the number of rows (the applications, then the stages and extensions of their
    calls)."""
    apps = list(expert_queryset(actor) if apps is None else apps)
    book = DeadlineBook({a.call_id for a in apps})
    rows = []
    for app in apps:
        level = app.expert_level or ""
        deadline = book.for_application(app, level) if level else Deadline(level=level)
        rows.append(ExpertRow(app=app, level=level, deadline=deadline,
                              open=expert_may_read(actor, app, level=level, book=book, now=now)))
    return rows


def expert_application(actor: Actor, pk) -> Application | None:
    """The application `pk` if the expert may read it now (None: answer 404)."""
    app = expert_queryset(actor).select_related("organization__region").filter(pk=pk).first()
    if app is None or not expert_may_read(actor, app, level=app.expert_level or ""):
        return None
    return app


def expert_file(actor: Actor, app: Application) -> dict:
    """What the expert's read-only page shows: the form as submitted (without the applicant's contact
    details on a blind call), the current materials, the stage deadline that ends its access."""
    blind = not can_view_contact_details(actor, app)
    shown = display_copy(app, data=without_contact_details(app.data)) if blind else app
    form = review_form(shown, inputs=app.score_inputs or {}, corrections=())
    if blind:
        form["profile"] = [row for row in form["profile"] if row.path not in CONTACT_PATHS]
    level = getattr(app, "expert_level", None) or ""
    deadline = DeadlineBook([app.call_id]).for_application(app, level) if level else Deadline(level=level)
    attachments = list(Attachment.objects.filter(application=app, is_current=True).select_related("material")
                       .order_by("material__order", "id"))
    return {"form": form, "blind": blind, "deadline": deadline, "level": level, "attachments": attachments,
            "data": shown.data}
