"""The expert panel of the review page: the experts assigned to an application, for the bureau that
may assign them (submissions.policy.can_manage_experts); nothing for anyone else. Three queries."""

from __future__ import annotations

from django import template

from portal import access
from submissions.policy import can_manage_experts
from submissions.review.experts import assignments_of, expert_summary

register = template.Library()


@register.inclusion_tag("submissions/experts/_panel.html", takes_context=True)
def expert_panel(context, app):
    request = context.get("request")
    actor = access.actor_of(request) if request is not None else access.ANONYMOUS
    shown = bool(can_manage_experts(actor, app))
    rounds = expert_summary(app) if shown else []
    return {"app": app, "shown": shown, "assignments": list(assignments_of(app)) if shown else [],
            "latest": rounds[0] if rounds else None}
