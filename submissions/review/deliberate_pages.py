"""Deliberate actions: what cannot be undone (a decision, a refusal to recommend, a sign-off, a
published result list) is asked twice. The first POST shows a confirmation page (no script) with
the applications concerned and what will be recorded; the second, carrying ``confirmed=1``, acts.
Also the province's decisions in bulk, with the message templates of 认定 / 不予认定 / 试点."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from submissions import workflow
from submissions.constants import DecisionKind
from submissions.policy import can_decide_at_all
from submissions.review import services
from submissions.review.selectors import queue_base

CONFIRMED = "confirmed"


def confirmed(request) -> bool:
    return request.POST.get(CONFIRMED) == "1"


def confirm_page(request, *, title: str, question: str, apps=(), details=(), button: str, cancel: str):
    """The confirmation page: what is about to happen, to which applications, with which words; the
    same POST again (its fields kept as hidden inputs) with ``confirmed=1``, or back."""
    fields = [(key, value) for key in request.POST if key not in ("csrfmiddlewaretoken", CONFIRMED)
              for value in request.POST.getlist(key)]
    return render(request, "submissions/review/confirm.html", {
        "title": title, "question": question, "apps": list(apps), "details": list(details), "button": button,
        "cancel": cancel, "fields": fields, "action": request.get_full_path(),
    })


def decision_details(decision: str, comment: str) -> list[tuple[str, str]]:
    label = DecisionKind(decision).label if decision in DecisionKind.values else decision
    return [(_("Decision"), label), (_("Message"), services.decision_comment(decision, comment))]


@login_required
@require_POST
def bulk_decide(request):
    """The province decides on the selected applications at once (all or none)."""
    actor = request.actor
    decision = can_decide_at_all(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    back = reverse("review-queue")
    ids = [int(x) for x in request.POST.getlist("selected") if x.isdigit()]
    choice, comment = request.POST.get("decision", ""), request.POST.get("comment", "")
    if choice not in DecisionKind.values:
        messages.error(request, _("Choose a decision."))
        return redirect(back)
    apps = list(queue_base(actor).filter(pk__in=ids).select_related("organization", "region")
                .order_by("region__code", "organization__name"))
    if not apps:
        messages.error(request, _("Select at least one application."))
        return redirect(back)
    if not confirmed(request) and all(workflow.check(actor, a, choice) for a in apps):  # else: refused below
        return confirm_page(
            request, title=_("Confirm the decision"), apps=apps, details=decision_details(choice, comment),
            question=_("Record this decision for the %(n)d applications below? It cannot be undone.") % {"n": len(apps)},
            button=_("Record the decision"), cancel=back)
    try:
        outcome = services.applications_decide(actor=actor, applications=ids, decision=choice, comment=comment)
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, _("Nothing was changed. %(reason)s") % {"reason": text})
    else:
        messages.success(request, _("The decision has been recorded for %(n)d applications.") % {"n": len(outcome.done)})
    return redirect(back)
