"""Pages of expert review (专家评审): the expert's list and its read-only view of an application, and
the experts page of an application for the bureau that assigns them. Thin: the rules are in
submissions.policy, the reads and writes in submissions.review.experts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from portal.models import User
from submissions.filing.uploads import attachment_response
from submissions.models import Attachment
from submissions.policy import (
    can_ask_expert_round,
    can_manage_experts,
    can_review_as_expert,
    can_score_as_expert,
    can_unassign_expert,
    experts_assignable,
    review_applications_visible,
)
from submissions.review import experts

INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}


def _expert(request):
    actor = request.actor
    decision = can_review_as_expert(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    return actor


def _assigned(actor, pk: int):
    app = experts.expert_application(actor, pk)
    if app is None:  # not assigned, of another province, withdrawn, or the stage has closed
        raise Http404(_("No such application among those assigned to you."))
    return app


# --- the expert's side --------------------------------------------------------------------------------


@login_required
def expert_list(request):
    actor = _expert(request)
    page = Paginator(experts.expert_queryset(actor), 50).get_page(request.GET.get("page"))
    return render(request, "submissions/experts/list.html", {
        "page": page, "rows": experts.expert_rows(actor, page.object_list),
    })


@login_required
def expert_detail(request, pk: int):
    actor = _expert(request)
    app = _assigned(actor, pk)
    mine = experts.my_review(actor, app)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "conflict":
                experts.expert_conflict_declare(actor=actor, application=app, reason=request.POST.get("reason", ""))
                messages.success(request, _("Your conflict of interest has been recorded; the bureau sees it."))
            else:
                levels = {k[len("level_"):]: v for k, v in request.POST.items() if k.startswith("level_")}
                experts.expert_review_submit(actor=actor, application=app, levels=levels,
                                             score=request.POST.get("score", ""), opinion=request.POST.get("opinion", ""))
                messages.success(request, _("Your review has been saved."))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc) if isinstance(exc, ValidationError) else str(exc))
            return render(request, "submissions/experts/detail.html", {
                "app": app, **experts.expert_file(actor, app), "inline_types": INLINE_TYPES, "mine": mine,
                "items": experts.level_items(app), "round": experts.expert_round(app), "posted": request.POST,
                "can_score": can_score_as_expert(actor, app, conflicted=bool(mine and mine.conflict)),
            }, status=400)
        return redirect("expert-application", pk=pk)
    return render(request, "submissions/experts/detail.html", {
        "app": app, **experts.expert_file(actor, app), "inline_types": INLINE_TYPES, "mine": mine,
        "items": experts.level_items(app), "round": experts.expert_round(app),
        "posted": {f"level_{k}": v for k, v in (mine.levels if mine else {}).items()}
                  | {"opinion": mine.opinion if mine else "", "score": mine.score if mine and not mine.levels else ""},
        "can_score": can_score_as_expert(actor, app, conflicted=bool(mine and mine.conflict)),
    })


@login_required
@xframe_options_sameorigin
def expert_attachment(request, pk: int, attachment_pk: int):
    actor = _expert(request)
    app = _assigned(actor, pk)
    attachment = Attachment.objects.filter(application=app, pk=attachment_pk, is_current=True).first()
    if attachment is None:
        raise Http404(_("No such file."))
    return attachment_response(attachment, inline=True)


# --- the assigning bureau's side ----------------------------------------------------------------------------


def _managed(actor, pk: int):
    app = review_applications_visible(actor).select_related("call", "region", "province").filter(pk=pk).first()
    if app is None:
        raise Http404(_("No such application in your scope."))
    decision = can_manage_experts(actor, app)
    if not decision:
        raise PermissionDenied(decision.reason)
    return app


def _error_text(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


@login_required
def application_experts(request, pk: int):
    """The experts of one application: the list, and the forms to assign and remove them."""
    actor = request.actor
    app = _managed(actor, pk)
    if request.method == "POST" and request.POST.get("action") == "round":
        try:
            n = experts.expert_round_ask(actor=actor, application=app)
            messages.success(request, _("Round %(n)d of expert review has been asked for.") % {"n": n})
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc) if isinstance(exc, ValidationError) else str(exc))
        return redirect("review-experts", pk=pk)
    if request.method == "POST":
        expert = User.objects.filter(pk=request.POST.get("expert") or 0).first()
        action = request.POST.get("action", "")
        if expert is None or action not in ("assign", "unassign"):
            messages.error(request, _("Choose an expert."))
            return redirect("review-experts", pk=pk)
        try:
            if action == "assign":
                experts.expert_assign(actor=actor, application=app, expert=expert)
                messages.success(request, _("%(name)s has been assigned.") % {"name": expert.display_name()})
            else:
                experts.expert_unassign(actor=actor, application=app, expert=expert)
                messages.success(request, _("The assignment of %(name)s has been removed.")
                                 % {"name": expert.display_name()})
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc) if isinstance(exc, ValidationError) else str(exc))
        return redirect("review-experts", pk=pk)
    assignments = list(experts.assignments_of(app))
    assigned = {g.user_id for g in assignments}
    return render(request, "submissions/experts/manage.html", {
        "app": app,
        "assignments": [{"grant": g, "can_remove": can_unassign_expert(actor, app, g)} for g in assignments],
        "candidates": [u for u in experts_assignable(actor) if u.pk not in assigned],
        "rounds": experts.expert_summary(app),
        "can_ask_round": can_ask_expert_round(actor, app),
    })
