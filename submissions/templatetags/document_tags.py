"""Panels of the documents built in tasks: the packet of an application (its detail pages, applicant
and review side) and the county summary tables (the review queue). Each asks portal.access and
costs a constant number of queries.

While a document of a panel is waiting or being built, the panel asks for itself again (htmx,
``hx-trigger="load delay:…"``, see ``poll_seconds``) from its partial URL (views_packets.packet_panel,
views_packets.summary_panel), which builds the same context with the same checks; a panel whose
documents are all ready or failed stops asking."""

from __future__ import annotations

from django import template
from django.utils import timezone

from portal import access
from submissions.constants import DocumentStatus
from submissions.documents.packet import latest_packet
from submissions.policy import (
    can_make_summary_tables,
    can_request_packet,
    can_view_application,
    can_work_review_queue,
    region_documents_visible,
)

register = template.Library()

WAITING = (DocumentStatus.PENDING, DocumentStatus.RUNNING)


def _actor(context):
    request = context.get("request")
    return access.actor_of(request) if request is not None else access.ANONYMOUS


def poll_seconds(jobs, now=None) -> int | None:
    """How long a panel waits before asking again: often at first, then less often (a job left
    pending by a stopped worker must not have every open page asking every 2 s for hours).
    None: nothing is waiting, the panel stops asking."""
    waiting = [j for j in jobs if j is not None and j.status in WAITING]
    if not waiting:
        return None
    now = now or timezone.now()
    age = min((now - j.requested_at).total_seconds() for j in waiting)
    if age < 120:
        return 2
    if age < 900:
        return 5
    return 30


def packet_panel_context(actor, app, *, next_url: str, csrf_token=None) -> dict:
    visible = can_view_application(actor, app)
    job = latest_packet(actor, app) if visible else None
    current = app.current_receipt() if job is not None else None
    return {
        "app": app,
        "job": job,
        # built from an earlier receipt (the application was resubmitted since)
        "stale": job is not None and current is not None and job.receipt_id != current.pk,
        "can_request": can_request_packet(actor, app) if visible else visible,
        "next": next_url,
        "poll": poll_seconds([job]),
        "csrf_token": csrf_token,
    }


# What the panel's table of jobs shows (_summary_jobs.html), and no more: the wide columns stay in the database.
PANEL_JOB_FIELDS = ("id", "kind", "fmt", "status", "details", "error", "progress_done", "progress_total",
                    "requested_at", "call_id", "region_id", "call__title", "region__name")


def summary_panel_context(actor, calls, selected=None, *, next_url: str, csrf_token=None) -> dict:
    shown = bool(can_work_review_queue(actor))
    can_request = bool(can_make_summary_tables(actor))
    jobs = list(region_documents_visible(actor).select_related("call", "region").only(*PANEL_JOB_FIELDS)[:12]) \
        if shown else []
    return {
        "shown": shown and (can_request or jobs),
        "can_request": can_request,
        "calls": calls,
        "selected": selected,
        "jobs": jobs,
        "county": actor.region if can_request else None,
        "next": next_url,
        "poll": poll_seconds(jobs),
        "csrf_token": csrf_token,
    }


@register.inclusion_tag("submissions/packets/_packet_panel.html", takes_context=True)
def packet_panel(context, app):
    request = context.get("request")
    return packet_panel_context(_actor(context), app,
                                next_url=request.get_full_path() if request is not None else "",
                                csrf_token=context.get("csrf_token"))


@register.inclusion_tag("submissions/packets/_summary_panel.html", takes_context=True)
def summary_panel(context, calls, selected=None):
    request = context.get("request")
    return summary_panel_context(_actor(context), calls, selected,
                                 next_url=request.get_full_path() if request is not None else "",
                                 csrf_token=context.get("csrf_token"))
