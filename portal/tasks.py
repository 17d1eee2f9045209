"""Celery tasks of the tenancy core: sending the outbox (portal.outbox)."""

from celery import shared_task

from . import outbox


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def outbox_deliver(audit_entry_id: int) -> int:
    """Send the unsent e-mails about one audit entry, each once. Returns the number sent now.
    A failed message is recorded on its row and retried (the others are not sent again)."""
    outcome = outbox.deliver(entry_ids=[audit_entry_id])
    if outcome.error is not None:
        raise outcome.error
    return outcome.sent


@shared_task(acks_late=True)
def outbox_sweep() -> int:
    """Celery beat: send the e-mails left unsent (dispatch lost at commit, failed attempts)."""
    return outbox.sweep().sent
