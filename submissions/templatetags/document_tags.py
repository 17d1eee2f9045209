"""Panels of the documents built in tasks: the packet of an application (its detail pages, applicant
and review side) and the county summary tables (the review queue). Each asks portal.access and
costs a constant number of queries."""

from __future__ import annotations

from django import template

from portal import access
from portal.constants import RegionLevel
from submissions.constants import DocumentKind
from submissions.policy import (
    can_request_packet,
    can_view_application,
    documents_visible,
)

register = template.Library()


def _actor(context):
    request = context.get("request")
    return access.actor_of(request) if request is not None else access.ANONYMOUS


@register.inclusion_tag("submissions/packets/_packet_panel.html", takes_context=True)
def packet_panel(context, app):
    from submissions.documents.packet import latest_packet

    actor = _actor(context)
    request = context.get("request")
    visible = can_view_application(actor, app)
    job = latest_packet(actor, app) if visible else None
    current = app.current_receipt() if job is not None else None
    return {
        "app": app,
        "job": job,
        # built from an earlier receipt (the application was resubmitted since)
        "stale": job is not None and current is not None and job.receipt_id != current.pk,
        "can_request": can_request_packet(actor, app) if visible else visible,
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("submissions/packets/_summary_panel.html", takes_context=True)
def summary_panel(context, calls, selected=None):
    actor = _actor(context)
    request = context.get("request")
    shown = actor.is_bureau or actor.is_provincial or actor.is_operator
    can_request = bool(actor.is_bureau and actor.region is not None and actor.region.level == RegionLevel.COUNTY)
    jobs = list(documents_visible(actor).filter(kind=DocumentKind.COUNTY_SUMMARY)
                .select_related("call", "region")[:8]) if shown else []
    return {
        "shown": shown and (can_request or jobs),
        "can_request": can_request,
        "calls": calls,
        "selected": selected,
        "jobs": jobs,
        "county": actor.region if can_request else None,
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
    }
