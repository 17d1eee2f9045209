"""Template helpers of the review side: the home-page summary of pending work, small filters."""

from __future__ import annotations

from django import template

from portal import audit_labels
from submissions.constants import Level, Status
from submissions.policy import can_work_review_queue
from submissions.review.selectors import pending_summary, upcoming_deadlines

register = template.Library()


@register.filter
def lookup(mapping, key):
    """`{{ dict|lookup:key }}`: a dictionary value by a variable key (None if absent)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.inclusion_tag("submissions/review/_home_summary.html", takes_context=True)
def review_home(context):
    """Pending work of the actor's level per status, overdue items and the next stage deadlines."""

    actor = context.get("actor")
    if actor is None or not can_work_review_queue(actor):
        return {"show": False}
    summary = pending_summary(actor)
    # the statuses the total counts, each with its number: the list beside the total adds up to it
    rows = [(value, label, summary["pending"][value]) for value, label in Status.choices
            if summary["pending"].get(value)]
    return {
        "show": True,
        "actor": actor,
        "summary": summary,
        "rows": rows,
        "deadlines": upcoming_deadlines(actor),
    }


# the label of an audit action: the one registry of the tenancy core
register.filter("action_label", audit_labels.action_label)


@register.filter
def state_label(state: str) -> str:
    """“submitted@county” → “Submitted, awaiting review · County bureau”."""

    if not state:
        return "—"
    status, _sep, level = state.partition("@")
    parts = [str(Status(status).label) if status in Status.values else status]
    if level:
        parts.append(str(Level(level).label) if level in Level.values else level)
    return " · ".join(parts)


@register.filter
def level_label(level: str) -> str:

    return str(Level(level).label) if level in Level.values else level
