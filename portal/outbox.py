"""The outbox: who is told what, once.

Every e-mail the portal sends is one row of ``OutboxMessage``: one audit entry, one address, one
kind. The row is composed once, in the default language, in the transaction that writes the audit
entry (``enqueue``), so it says what the entry recorded, whatever happens later; the unique key
(entry, address, kind) makes composing again a no-op. After the commit ``portal.tasks.outbox_deliver``
sends each unsent row of the entry on its own, under a row lock, and marks it sent: a second run, a
retry after a partial failure or two workers at once send each row once. ``outbox_sweep`` (Celery
beat) sends what was left behind (broker down at commit time, failures).

A row may be *held* (``hold`` names a rule registered with ``register_hold``, e.g. the result
embargo of submissions): it is not sent before something releases it (``release``), and even then
only when its rule answers ``SEND`` at sending time; the rule may also ``DROP`` it (superseded).

Exactly once holds between the database and the mail server as far as SMTP allows: the row is
marked sent in the transaction that holds its lock while the mail is handed over, so only a crash
between the server's acceptance and that commit can send a row twice.

The address book of the tenancy core lives here too: which addresses an organization is told at,
and which addresses a bureau (by kind and region) is told at. Apps compose their messages from it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from .models import AuditEntry, Membership, Organization, OutboxMessage

log = logging.getLogger(__name__)

SEND, WAIT, DROP = "send", "wait", "drop"
# The sweep leaves fresh rows to the task dispatched at commit, waits between attempts, and gives
# up after MAX_ATTEMPTS (the row stays in the admin with its last error).
SWEEP_AFTER = dt.timedelta(minutes=2)
RETRY_AFTER = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 8
SWEEP_LIMIT = 500


# --- the address book ----------------------------------------------------------------------------


def normalize_address(address: str | None) -> str:
    """The address as the outbox keys it (trimmed, lower case), or "" when it is not an address."""
    address = (address or "").strip().lower()
    if not address:
        return ""
    try:
        validate_email(address)
    except ValidationError:
        log.warning("not an e-mail address, not told: %r", address)
        return ""
    return address


def organization_addresses(organization_ids: Iterable[int]) -> dict[int, set[str]]:
    """Where an organization is told: its contact e-mail and its active members' addresses."""
    ids = sorted({pk for pk in organization_ids if pk})
    out: dict[int, set[str]] = defaultdict(set)
    if not ids:
        return out
    for pk, email in Organization.objects.filter(pk__in=ids).exclude(contact_email="").values_list(
            "pk", "contact_email"):
        out[pk].add(email)
    for pk, email in Membership.objects.filter(
        organization_id__in=ids, is_active=True, user__is_active=True, user__email__gt="",
    ).values_list("organization_id", "user__email"):
        out[pk].add(email)
    return out


def staff_addresses(*, kinds: Iterable[str], roles: Iterable[str], region_ids: Iterable[int]) -> dict[int, set[str]]:
    """Where the staff in `roles` of the organizations of `kinds` governing the regions are told,
    by region (the region the organization governs)."""
    ids = sorted({pk for pk in region_ids if pk})
    out: dict[int, set[str]] = defaultdict(set)
    if not ids:
        return out
    for region_id, email in Membership.objects.filter(
        is_active=True, user__is_active=True, user__email__gt="", role__in=list(roles),
        organization__kind__in=list(kinds), organization__region_id__in=ids,
    ).values_list("organization__region_id", "user__email"):
        out[region_id].add(email)
    return out


# --- composing and enqueuing ---------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    recipient: str
    kind: str
    subject: str
    body: str
    hold: str = ""


def composing():
    """Compose in the default language (Chinese), whoever's request is being served."""
    return translation.override(settings.LANGUAGE_CODE)


def mails_to(recipients: Iterable[str], *, kind: str, subject: str, body: str, hold: str = "") -> list[Mail]:
    """The same message to each address (one row each)."""
    subject = " ".join(str(subject).split())  # a header: one line
    return [Mail(r, kind, subject, str(body), hold) for r in sorted(set(recipients)) if r]


def enqueue(entry: AuditEntry, mails: Iterable[Mail], *, dispatch: bool = True) -> int:
    """Store the messages about `entry` (call it in the transaction that wrote the entry). Rows that
    exist already are left as they are. With `dispatch`, the entry's rows are sent after the commit.
    Returns the number of distinct messages given."""
    rows: dict[tuple[str, str], OutboxMessage] = {}
    now = timezone.now()
    for mail in mails:
        address = normalize_address(mail.recipient)
        if not address:
            continue
        rows.setdefault((address, mail.kind), OutboxMessage(
            audit_entry=entry, recipient=address, kind=mail.kind, subject=mail.subject, body=mail.body,
            hold=mail.hold, created_at=now,
        ))
    if not rows:
        return 0
    OutboxMessage.objects.bulk_create(list(rows.values()), ignore_conflicts=True)
    if dispatch and any(not row.hold for row in rows.values()):  # held rows wait for their release
        dispatch_after_commit(entry.pk)
    return len(rows)


def dispatch_after_commit(entry_id: int) -> None:
    transaction.on_commit(lambda: _dispatch(entry_id))


def _dispatch(entry_id: int) -> None:
    from .tasks import outbox_deliver  # noqa: PLC0415 - the task module imports this one

    try:
        outbox_deliver.delay(entry_id)
    except Exception:  # noqa: BLE001 - committed already: the sweep sends the rows later
        log.exception("outbox: could not dispatch the e-mails of audit entry %s; the sweep will send them",
                      entry_id)


# --- holds ---------------------------------------------------------------------------------------

_holds: dict[str, Callable[[OutboxMessage], str]] = {}


def register_hold(name: str, rule: Callable[[OutboxMessage], str]) -> None:
    """`rule(row)` answers SEND, WAIT or DROP for a released row held under `name`."""
    _holds[name] = rule


def _verdict(row: OutboxMessage) -> str:
    rule = _holds.get(row.hold)
    if rule is None:
        log.warning("outbox: no rule for the hold %r of message %s: kept", row.hold, row.pk)
        return WAIT
    return rule(row)


def unsent():
    return OutboxMessage.objects.filter(sent_at__isnull=True, dropped_at__isnull=True)


def sendable():
    """Rows a sender may try: unsent, not dropped, and not held (or released)."""
    return unsent().filter(Q(hold="") | Q(released_at__isnull=False))


def release(entry_ids: Iterable[int], *, kinds: Iterable[str] | None = None) -> int:
    """Let the held rows of these entries go (their hold rule still decides when sending)."""
    qs = unsent().filter(audit_entry_id__in=list(entry_ids), released_at__isnull=True).exclude(hold="")
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    return qs.update(released_at=timezone.now())


def drop(entry_ids: Iterable[int], *, reason: str, kinds: Iterable[str] | None = None) -> int:
    """Never send the unsent rows of these entries (e.g. superseded); the reason stays on the row."""
    qs = unsent().filter(audit_entry_id__in=list(entry_ids))
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    return qs.update(dropped_at=timezone.now(), last_error=reason[:2000])


# --- sending -------------------------------------------------------------------------------------


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0
    held: int = 0
    dropped: int = 0
    skipped: int = 0  # sent, dropped or being sent by another sender meanwhile
    error: BaseException | None = None  # the first failure


def deliver(*, entry_ids: Iterable[int] | None = None, ids: Iterable[int] | None = None) -> Delivery:
    """Send the sendable rows (of these entries, or these rows), each on its own."""
    qs = sendable()
    if entry_ids is not None:
        qs = qs.filter(audit_entry_id__in=list(entry_ids))
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    outcome = Delivery()
    pks = list(qs.order_by("pk").values_list("pk", flat=True))
    if pks:
        connection = get_connection(fail_silently=False)
        for pk in pks:
            _deliver_one(pk, connection, outcome)
    return outcome


def _deliver_one(pk: int, connection, outcome: Delivery) -> None:
    with transaction.atomic():
        # The lock is held while the mail is handed over: another sender skips the row, and sees it
        # sent once this transaction commits.
        row = (
            OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=pk, sent_at__isnull=True, dropped_at__isnull=True).first()
        )
        if row is None:
            outcome.skipped += 1
            return
        if row.hold:
            verdict = WAIT if row.released_at is None else _verdict(row)
            if verdict == WAIT:
                if row.released_at is not None:  # asked again by a later sweep, after the others
                    row.last_attempt_at = timezone.now()
                    row.save(update_fields=["last_attempt_at"])
                outcome.held += 1
                return
            if verdict == DROP:
                row.dropped_at = timezone.now()
                row.last_error = f"dropped by the hold rule {row.hold}"
                row.save(update_fields=["dropped_at", "last_error"])
                outcome.dropped += 1
                return
        row.attempts += 1
        row.last_attempt_at = timezone.now()
        try:
            EmailMessage(row.subject, row.body, settings.DEFAULT_FROM_EMAIL, [row.recipient],
                         connection=connection).send()
        except Exception as exc:  # noqa: BLE001 - recorded on the row, raised by the task
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            row.save(update_fields=["attempts", "last_attempt_at", "last_error"])
            outcome.failed += 1
            outcome.error = outcome.error or exc
            log.warning("outbox: message %s to %s failed: %s", row.pk, row.recipient, row.last_error)
            return
        row.sent_at = timezone.now()
        row.last_error = ""
        row.save(update_fields=["attempts", "last_attempt_at", "sent_at", "last_error"])
        outcome.sent += 1


def sweep(*, now: dt.datetime | None = None) -> Delivery:
    """Send the rows left behind: not sent by the task dispatched at commit (lost dispatch, failure)."""
    now = now or timezone.now()
    ids = list(
        sendable().filter(created_at__lte=now - SWEEP_AFTER, attempts__lt=MAX_ATTEMPTS)
        .filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lte=now - RETRY_AFTER))
        .order_by(F("last_attempt_at").asc(nulls_first=True), "pk").values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    return deliver(ids=ids)
