"""Periodic jobs of the program catalogue."""

import logging

from celery import shared_task
from django.utils import timezone

from .constants import CallStatus
from .models import Stage
from .workdays import WorkdayCalendar

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def warn_missing_calendar_years() -> list[int]:
    """Log the years of open deadlines (and the next year) that have no official calendar yet."""
    calendar = WorkdayCalendar()
    today = timezone.localdate()
    years = {today.year, today.year + 1}
    for at in Stage.objects.filter(call__status=CallStatus.PUBLISHED, deadline_at__gte=timezone.now()).values_list(
        "deadline_at", flat=True
    ):
        years.add(timezone.localtime(at).year)
    missing = sorted(y for y in years if not calendar.year_is_known(y))
    for year in missing:
        log.warning("No official holiday calendar entered for %s", year)
    return missing
