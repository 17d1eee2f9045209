"""Reads of the public notice (公示): the latest published result list of a call, what it lists."""

from __future__ import annotations

from programs.constants import CallStatus
from programs.models import Call
from submissions.embargo import published_results
from submissions.models import ResultPublication


def public_call(code: str) -> Call | None:
    """A published or closed call by its code (a draft has no public page)."""
    return Call.objects.select_related("province", "program").filter(
        code=code, status__in=[CallStatus.PUBLISHED, CallStatus.CLOSED]).first()


def latest_publication(call) -> ResultPublication | None:
    return ResultPublication.objects.filter(call=call).order_by("-published_at", "-id").first()


def publications_of(call_ids) -> dict[int, ResultPublication]:
    """The latest published result list of each call (one query), for links from lists."""
    latest: dict[int, ResultPublication] = {}
    for pub in ResultPublication.objects.filter(call_id__in=set(call_ids)).order_by("published_at", "id"):
        latest[pub.call_id] = pub
    return latest


def recognized_units(publication):
    """The units the published list recognizes (the list as published, see submissions.embargo)."""
    return list(published_results(publication))
