"""Reads of the program catalogue that depend on who asks."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    BooleanField,
    Case,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from portal.access import Actor
from programs.policy import calls_visible

from .constants import CallStatus, DeadlineKind, StageLevel
from .models import Call, Stage


def _filing_stage(call_ref: str = "pk"):
    return Stage.objects.filter(call=OuterRef(call_ref), level=StageLevel.APPLICANT, region__isnull=True).order_by(
        "order", "id"
    )


def open_q(now: dt.datetime | None = None) -> Q:
    """Calls that accept applications now: published, and the first filing stage has not closed
    (a rolling stage, or one whose date depends on an event not yet dated, counts as open)."""
    now = now or timezone.now()
    return Q(status=CallStatus.PUBLISHED) & (
        Q(filing_kind=DeadlineKind.ROLLING)
        | Q(filing_kind=DeadlineKind.RELATIVE, filing_deadline__isnull=True)
        | Q(filing_deadline__gte=now)
        | Q(filing_kind__isnull=True)
    )


def with_filing_deadline(qs: QuerySet[Call]) -> QuerySet[Call]:
    first = _filing_stage()
    return qs.annotate(
        filing_deadline=Subquery(first.values("deadline_at")[:1]),
        filing_kind=Subquery(first.values("deadline_kind")[:1]),
    )


def catalogue(actor: Actor, *, now: dt.datetime | None = None) -> QuerySet[Call]:
    now = now or timezone.now()
    qs = with_filing_deadline(calls_visible(actor))
    return qs.annotate(
        is_open=Case(When(open_q(now), then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def call_detail_queryset(actor: Actor) -> QuerySet[Call]:
    return catalogue(actor).prefetch_related(
        Prefetch("stages", queryset=Stage.objects.select_related("region").order_by("order", "id")),
        "quotas__region",
        "conditions",
        "materials",
        "contacts",
    )
