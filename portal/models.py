"""The tenancy core: users, regions, organizations, memberships, audit."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .constants import (
    APPLICANT_KINDS,
    ROLES_FOR_KIND,
    OrgKind,
    RegionKind,
    RegionLevel,
    Role,
)
from .creditcode import check_credit_code


class User(AbstractUser):
    """A person. What they may do depends on their active membership."""

    phone = models.CharField(_("phone"), max_length=32, blank=True)
    active_membership = models.ForeignKey(
        "portal.Membership",
        verbose_name=_("active membership"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def display_name(self) -> str:
        full = f"{self.last_name}{self.first_name}".strip()
        return full or self.username


class Region(models.Model):
    """A node of the region tree: province → city → county (or a functional zone)."""

    code = models.CharField(
        _("code"),
        max_length=16,
        unique=True,
        help_text=_("Official 6-digit GB/T 2260 code, or the portal's own code (Z…) for a functional zone."),
    )
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=RegionLevel.choices)
    kind = models.CharField(_("kind"), max_length=8, choices=RegionKind.choices, default=RegionKind.ADMINISTRATIVE)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    province = models.ForeignKey(
        "self", verbose_name=_("province"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    city = models.ForeignKey(
        "self", verbose_name=_("city"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attributes = models.JSONField(
        _("attributes"),
        default=dict,
        blank=True,
        help_text=_("Facts that rules depend on, e.g. {\"has_city_etc_program\": true}."),
    )
    source = models.CharField(_("source"), max_length=200, blank=True)
    as_of = models.DateField(_("as of"), null=True, blank=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "province"]), models.Index(fields=["city"])]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        expected_parent = {
            RegionLevel.PROVINCE: None,
            RegionLevel.CITY: RegionLevel.PROVINCE,
            RegionLevel.COUNTY: RegionLevel.CITY,
        }[self.level]
        if expected_parent is None and self.parent_id:
            raise ValidationError({"parent": _("A province has no parent region.")})
        if expected_parent is not None:
            # A county-level zone can hang directly under its city; a city-level zone under its province.
            if not self.parent_id or self.parent.level != expected_parent:
                raise ValidationError({"parent": _("The parent of this region must be a region of the level above.")})

    def save(self, *args, **kwargs):
        if self.level == RegionLevel.PROVINCE:
            self.province_id = self.pk if self.pk else None
            self.city_id = None
        elif self.parent_id:
            parent = self.parent
            self.province_id = parent.province_id if parent.level != RegionLevel.PROVINCE else parent.pk
            self.city_id = None if self.level == RegionLevel.CITY else parent.pk
        super().save(*args, **kwargs)
        fix = {}
        if self.level == RegionLevel.PROVINCE and self.province_id != self.pk:
            fix["province_id"] = self.pk
        if self.level == RegionLevel.CITY and self.city_id != self.pk:
            fix["city_id"] = self.pk
        if fix:
            Region.objects.filter(pk=self.pk).update(**fix)
            for k, v in fix.items():
                setattr(self, k, v)

    @property
    def full_name(self) -> str:
        parts = []
        node = self
        while node is not None:
            parts.append(node.name)
            node = node.parent
        return "".join(reversed(parts))


class CreditCodeException(models.Model):
    """A legitimate legacy credit code that fails the check character, recorded by an operator."""

    code = models.CharField(_("credit code"), max_length=18, unique=True)
    reason = models.TextField(_("reason"))
    recorded_by = models.ForeignKey(
        User, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("credit code exception")
        verbose_name_plural = _("credit code exceptions")

    def __str__(self) -> str:
        return self.code


def validate_credit_code(code: str) -> None:
    """Raise a ValidationError naming the rule the code breaks, unless an operator excepted it."""
    problem = check_credit_code(code)
    if problem is None:
        return
    if problem.rule == "check" and CreditCodeException.objects.filter(code=code).exists():
        return
    raise ValidationError(problem.message, code=f"credit_code_{problem.rule}")


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=OrgKind.choices)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, null=True, blank=True
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="organizations",
        help_text=_("For an applicant: the county it is registered in. For a bureau: the region it governs."),
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    main_business = models.CharField(_("main business"), max_length=300, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=64, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    is_provincial_soe = models.BooleanField(
        _("provincial or central SOE"),
        default=False,
        help_text=_("Provincial and central state-owned enterprises apply straight to the province."),
    )
    is_approved = models.BooleanField(_("account approved"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_applicant(self) -> bool:
        return self.kind in APPLICANT_KINDS

    def clean(self):
        errors = {}
        if self.is_applicant:
            if not self.credit_code:
                errors["credit_code"] = _("An applicant organization needs its unified social credit code.")
            else:
                try:
                    validate_credit_code(self.credit_code)
                except ValidationError as exc:
                    errors["credit_code"] = exc.messages
        if self.region_id:
            level = self.region.level
            wanted = {
                OrgKind.COUNTY_BUREAU: {RegionLevel.COUNTY},
                OrgKind.CITY_BUREAU: {RegionLevel.CITY},
                OrgKind.PROVINCIAL_DEPARTMENT: {RegionLevel.PROVINCE},
                OrgKind.EXPERT_POOL: {RegionLevel.PROVINCE},
            }.get(self.kind)
            if wanted and level not in wanted:
                errors["region"] = _("This kind of bureau must be attached to a region of the matching level.")
        if errors:
            raise ValidationError(errors)


class Membership(models.Model):
    """A user acting for an organization in a role."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"], name="uniq_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.get_role_display()}"

    def clean(self):
        if self.organization_id and self.role not in ROLES_FOR_KIND[self.organization.kind]:
            raise ValidationError({"role": _("This role does not fit this kind of organization.")})


class AuditQuerySet(models.QuerySet):
    """The bulk paths refuse too: no QuerySet.update()/delete() of audit rows (and on PostgreSQL a
    trigger refuses UPDATE and DELETE whatever the client, see migration audit_entries_append_only)."""

    def update(self, **kwargs):
        raise ValidationError(_("Audit entries cannot be changed."))

    def delete(self):
        raise ValidationError(_("Audit entries cannot be deleted."))

    def bulk_update(self, objs, fields, batch_size=None):
        raise ValidationError(_("Audit entries cannot be changed."))

    def update_or_create(self, defaults=None, create_defaults=None, **kwargs):
        raise ValidationError(_("Audit entries cannot be changed."))

    delete.queryset_only = True


class AuditEntry(models.Model):
    """One state change: who, when, what, from and to. Rows are never edited or deleted."""

    objects = AuditQuerySet.as_manager()

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, verbose_name=_("actor"), null=True, on_delete=models.SET_NULL, related_name="+")
    actor_role = models.CharField(_("role"), max_length=24, blank=True)
    actor_organization = models.CharField(_("organization"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    province = models.ForeignKey(
        Region, verbose_name=_("province"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization concerned"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    from_state = models.CharField(_("from"), max_length=32, blank=True)
    to_state = models.CharField(_("to"), max_length=32, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Audit entries cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Audit entries cannot be deleted."))


class OutboxMessage(models.Model):
    """One e-mail to one address about one audit entry (portal.outbox): composed once, in the
    default language, in the transaction that wrote the entry; sent once by a Celery task. A row on
    hold (e.g. a decision under the result embargo) waits until it is released and its hold rule
    lets it go."""

    audit_entry = models.ForeignKey(AuditEntry, verbose_name=_("audit entry"), on_delete=models.PROTECT,
                                    related_name="outbox_messages")
    recipient = models.EmailField(_("recipient"), max_length=254)
    kind = models.CharField(_("kind"), max_length=32)
    subject = models.TextField(_("subject"))
    body = models.TextField(_("body"))
    hold = models.CharField(_("hold"), max_length=32, blank=True,
                            help_text=_("Empty: sent at once. Otherwise the rule that must let the message go."))
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    dropped_at = models.DateTimeField(_("dropped at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["audit_entry", "recipient", "kind"], name="uniq_outbox_message"),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="outbox_unsent",
                         condition=models.Q(sent_at__isnull=True, dropped_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient}"
