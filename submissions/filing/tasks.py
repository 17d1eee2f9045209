"""Celery tasks of filing (thin wrappers around its services)."""

from celery import shared_task

from submissions.filing.versions import draft_versions_compact


@shared_task(acks_late=True)
def compact_draft_versions() -> int:
    """Hourly: keep every draft version of the last hour, then the last one of each hour (idempotent)."""
    return draft_versions_compact()
