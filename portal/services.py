"""Writes of the tenancy core. Each function is one use case in one transaction."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .access import Actor, can_record_credit_code_exception
from .models import (
    AuditEntry,
    CreditCodeException,
    Membership,
    Organization,
    Region,
    User,
)


def audit_record(
    *,
    actor: Actor | None,
    action: str,
    obj,
    province: Region | None = None,
    region: Region | None = None,
    organization: Organization | None = None,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    data: dict | None = None,
) -> AuditEntry:
    """Write one audit entry. Call inside the transaction of the change it records."""
    membership = actor.membership if actor else None
    return AuditEntry.objects.create(
        actor=actor.user if actor and actor.is_authenticated else None,
        actor_role=membership.role if membership else "",
        actor_organization=membership.organization.name if membership else "",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        province=province,
        region=region,
        organization=organization,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data=data or {},
    )


@transaction.atomic
def membership_switch(*, actor: Actor, user: User, membership_id: int) -> Membership:
    membership = (
        Membership.objects.select_related("organization__region")
        .filter(pk=membership_id, user=user, is_active=True, organization__is_approved=True)
        .first()
    )
    if membership is None:
        raise PermissionDenied(_("You do not hold this role."))
    previous = user.active_membership_id
    user.active_membership = membership
    user.save(update_fields=["active_membership"])
    region = membership.organization.region
    audit_record(
        actor=Actor(user=user, membership=membership),
        action="membership.switch",
        obj=user,
        province=region.province,
        region=region,
        organization=membership.organization,
        data={"from_membership": previous, "to_membership": membership.pk},
    )
    return membership


@transaction.atomic
def credit_code_exception_record(*, actor: Actor, code: str, reason: str) -> CreditCodeException:
    decision = can_record_credit_code_exception(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    code = (code or "").strip()
    if len(code) != 18:
        raise ValidationError(_("An exception can only be recorded for an 18-character code."))
    if not reason.strip():
        raise ValidationError(_("Say why this code is legitimate."))
    exc, _created = CreditCodeException.objects.update_or_create(
        code=code, defaults={"reason": reason.strip(), "recorded_by": actor.user}
    )
    audit_record(actor=actor, action="credit_code_exception.record", obj=exc, comment=reason.strip())
    return exc
