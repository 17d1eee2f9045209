"""E-mails about applications go through the outbox (submissions.notifications composes them in the
transaction of their audit entry; portal.tasks.outbox_deliver sends them once).

The two tasks below are kept for the messages a broker may still hold from before the outbox (and
for an operator who wants to push one entry or one publication again): both are idempotent and send
nothing twice."""

from celery import shared_task
from django.db import transaction

from portal import outbox
from portal.models import AuditEntry
from submissions import notifications
from submissions.models import ResultPublication


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_transition(audit_id: int, notify_bureau: bool = False, notify_applicant: bool = True) -> int:
    """Send the mails of one transition's audit entry (composed from the entry if it has none yet).
    Returns the number of mails sent now."""
    entry = AuditEntry.objects.filter(pk=audit_id).first()
    if entry is None:
        return 0
    notifications.transition_enqueue_late(entry, notify_applicant=notify_applicant, notify_bureau=notify_bureau)
    outcome = outbox.deliver(entry_ids=[entry.pk])
    if outcome.error is not None:
        raise outcome.error
    return outcome.sent


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_results(publication_id: int) -> int:
    """Release and send the decision mails a published result list makes public (each once).
    Returns the number of mails sent now."""
    publication = ResultPublication.objects.select_related("call").filter(pk=publication_id).first()
    if publication is None:
        return 0
    with transaction.atomic():
        ids = notifications.decisions_release(publication, dispatch=False)
    outcome = outbox.deliver(entry_ids=ids)
    if outcome.error is not None:
        raise outcome.error
    return outcome.sent
