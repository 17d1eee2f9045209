"""The program catalogue: program types, calls, stages and deadlines, quotas, eligibility,
required materials, and the working-day calendar entries kept in the database."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from portal.constants import RegionLevel
from portal.models import Region

from .constants import (
    CallKind,
    CallStatus,
    Comparator,
    ConditionKind,
    DeadlineKind,
    QuotaRule,
    QuotaScope,
    StageLevel,
)

REGION_ATTRIBUTE_LABELS = {
    "has_city_etc_program": _("the region runs a city-level enterprise technology center program"),
}


class ProgramType(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    applicant_kinds = models.JSONField(
        _("applicant kinds"), default=list, blank=True,
        help_text=_("Kinds of organization that may apply, e.g. [\"enterprise\", \"institute\"]."),
    )
    multi_organization = models.BooleanField(
        _("lead unit with member units"), default=False,
        help_text=_("Alliances and innovation centers are filed by a lead unit with member units."),
    )

    class Meta:
        verbose_name = _("program type")
        verbose_name_plural = _("program types")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class CallQuerySet(models.QuerySet):
    def visible_publicly(self):
        return self.filter(status__in=[CallStatus.PUBLISHED, CallStatus.CLOSED])


class Call(models.Model):
    """A notice (通知) inviting applications for one program in one province."""

    code = models.SlugField(_("code"), max_length=80, unique=True)
    province = models.ForeignKey(
        Region, verbose_name=_("province"), on_delete=models.PROTECT, related_name="calls",
        limit_choices_to={"level": RegionLevel.PROVINCE},
    )
    issuing_region = models.ForeignKey(
        Region, verbose_name=_("issued for region"), on_delete=models.PROTECT, related_name="issued_calls",
        null=True, blank=True,
        help_text=_("The region whose bureau relays the notice (e.g. a city), if not the whole province."),
    )
    program = models.ForeignKey(ProgramType, verbose_name=_("program"), on_delete=models.PROTECT, related_name="calls")
    kind = models.CharField(_("kind of call"), max_length=16, choices=CallKind.choices, default=CallKind.APPLICATION)
    year = models.PositiveSmallIntegerField(_("year"))
    batch = models.CharField(_("batch"), max_length=64, blank=True)
    title = models.CharField(_("title"), max_length=300)
    document_number = models.CharField(_("document number"), max_length=100, blank=True)
    issuer = models.CharField(_("issued by"), max_length=200, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    notice_text = models.TextField(_("notice text"), blank=True)
    notice_pdf = models.FileField(_("notice PDF"), upload_to="notices/", blank=True, max_length=255)
    commitment_text = models.TextField(_("commitment letter"), blank=True)
    rubric_code = models.CharField(_("self-assessment rubric"), max_length=64, blank=True)
    blind_review = models.BooleanField(
        _("blind expert review"), default=False,
        help_text=_("Experts see the applications without the applicant's contact details."),
    )
    # routing: provincial and central SOEs file straight with the province (seed 004, Guizhou:
    # 省属企业和中央在黔企业直接向省工业和信息化厅进行申报); other notices send them through their county
    soe_direct_to_province = models.BooleanField(
        _("provincial and central SOEs file with the province"), default=False,
        help_text=_("Provincial state-owned enterprises and central SOEs in the province apply directly to the "
                    "provincial department instead of through their county."),
    )
    # the bureau's initial score (初评分) must be given to recommend; the conditions of the notice
    # that bind it (e.g. 初评得分不低于60分) are the call's conditions on the figure `initial_score`
    bureau_score_required = models.BooleanField(
        _("bureau score required"), default=False,
        help_text=_("A bureau must give its initial score to recommend an application."),
    )
    status = models.CharField(_("status"), max_length=16, choices=CallStatus.choices, default=CallStatus.DRAFT)
    publicity_working_days = models.PositiveSmallIntegerField(
        _("public notice period (working days)"), default=5,
        help_text=_("How long a published result list is on public notice (公示期) and open to objections."),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    # the version of the application form's inputs that are not columns of the call: its conditions
    # and its rubric's published version. Raised by `bump_form_version` whenever one of them is
    # saved or deleted, so that the form built from them (submissions.forms.form_spec) is cached
    # per (call, form_version) and a warm autosave reads neither to know it has the right form.
    form_version = models.PositiveIntegerField(_("version of the application form"), default=0, editable=False)

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-year", "province__code", "code"]
        indexes = [models.Index(fields=["province", "status"])]

    def __str__(self) -> str:
        return self.title

    def applicant_stage(self):
        return next((s for s in self.stages.all() if s.level == StageLevel.APPLICANT), None)


def bump_form_version(**lookup) -> None:
    """A new version of the application form of the calls matching `lookup` (one UPDATE, in the
    caller's transaction): called when a condition of a call, or a version of a rubric, changes."""
    Call.objects.filter(**lookup).update(form_version=models.F("form_version") + 1)


class Contact(models.Model):
    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="contacts")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    department = models.CharField(_("department"), max_length=200, blank=True)
    name = models.CharField(_("name"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    email = models.CharField(_("e-mail"), max_length=120, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.name} {self.phone}".strip()


class Stage(models.Model):
    """One step of a call with its own deadline (applicant files, county recommends, ...)."""

    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="stages")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    level = models.CharField(_("who acts"), max_length=16, choices=StageLevel.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("only for region"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Set when a city's relay notice fixes a date for its own counties only."),
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    deadline_kind = models.CharField(_("deadline kind"), max_length=16, choices=DeadlineKind.choices)
    deadline_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    relative_working_days = models.PositiveSmallIntegerField(_("working days after the event"), null=True, blank=True)
    event_name = models.CharField(_("event"), max_length=200, blank=True)
    event_date = models.DateField(_("event date"), null=True, blank=True, help_text=_("Set once announced."))
    source_text = models.TextField(_("wording in the notice"), blank=True)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["call", "order", "id"]

    def __str__(self) -> str:
        return f"{self.call} · {self.name}"

    def clean(self):
        if self.deadline_kind == DeadlineKind.ABSOLUTE and not self.deadline_at:
            raise ValidationError({"deadline_at": _("A fixed deadline needs a date and time.")})
        if self.deadline_kind == DeadlineKind.RELATIVE and not self.relative_working_days:
            raise ValidationError(
                {"relative_working_days": _("Say how many working days after the event the deadline falls.")}
            )

    def save(self, *args, **kwargs):
        # A deadline counted from an event is kept in deadline_at once the event is dated, so that
        # lists can filter and sort by it; without an event date it has no deadline yet.
        if self.deadline_kind == DeadlineKind.RELATIVE:
            from .workdays import WorkdayCalendar, end_of_day  # noqa: PLC0415 - the calendar reads these models

            if self.event_date and self.relative_working_days:
                result = WorkdayCalendar().add_working_days(self.event_date, self.relative_working_days)
                self.deadline_at = end_of_day(result.date)
            else:
                self.deadline_at = None
        elif self.deadline_kind == DeadlineKind.ROLLING:
            self.deadline_at = None
        super().save(*args, **kwargs)


class StageExtension(models.Model):
    """The province extended a stage's deadline (for one region or for all; a city's extension
    covers its counties; or for one organization, e.g. an enterprise's filing). Which deadline binds whom: programs.deadlines.

    The table keeps the name it had when the model lived in submissions (no data moved)."""

    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.CASCADE, related_name="extensions")
    region = models.ForeignKey(Region, verbose_name=_("only for region"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey("portal.Organization", verbose_name=_("only for organization"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    new_deadline = models.DateTimeField(_("new deadline"))
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("granted by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)

    class Meta:
        db_table = "submissions_stageextension"
        verbose_name = _("deadline extension")
        verbose_name_plural = _("deadline extensions")
        ordering = ["-granted_at"]


class Quota(models.Model):
    """How many recommendations a region may make in a call.

    FIXED: `limit` for every region of the scope (or only for `region` when given).
    CONDITIONAL: when the region's attribute `condition_attribute` is true, `limit_if_true`
    applies (empty = no limit); otherwise `limit`. (Ganzhou ETC: a county without a city-level
    ETC program may recommend at most 2; a county with one is not limited.)
    """

    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="quotas")
    scope = models.CharField(_("scope"), max_length=16, choices=QuotaScope.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("only for region"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rule = models.CharField(_("rule"), max_length=16, choices=QuotaRule.choices, default=QuotaRule.FIXED)
    limit = models.PositiveIntegerField(_("limit"), null=True, blank=True)
    condition_attribute = models.CharField(_("region attribute"), max_length=64, blank=True)
    limit_if_true = models.PositiveIntegerField(_("limit when the attribute holds"), null=True, blank=True)
    in_principle = models.BooleanField(
        _("in principle"), default=False, help_text=_("The notice says 原则上 (in principle).")
    )
    source_text = models.TextField(_("wording in the notice"), blank=True)

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")

    def __str__(self) -> str:
        return f"{self.call} · {self.get_scope_display()}"

    def applies_to(self, region: Region) -> bool:
        level = RegionLevel.CITY if self.scope == QuotaScope.PER_CITY else RegionLevel.COUNTY
        if region.level != level or region.province_id != self.call.province_id:
            return False
        return self.region_id is None or self.region_id == region.pk

    def describe(self) -> str:
        unit = _("each city / prefecture") if self.scope == QuotaScope.PER_CITY else _("each county")
        if self.region_id:
            unit = self.region.name
        if self.rule == QuotaRule.CONDITIONAL:
            with_attr = (
                _("no limit")
                if self.limit_if_true is None
                else _("at most %(n)d") % {"n": self.limit_if_true}
            )
            without = _("no limit") if self.limit is None else _("at most %(n)d") % {"n": self.limit}
            return _("%(unit)s: %(without)s recommendations; where %(attr)s: %(with)s.") % {
                "unit": unit,
                "without": without,
                "attr": REGION_ATTRIBUTE_LABELS.get(self.condition_attribute, self.condition_attribute),
                "with": with_attr,
            }
        text = _("%(unit)s: at most %(n)d recommendations.") % {"unit": unit, "n": self.limit or 0}
        if self.in_principle:
            text += " " + _("(in principle)")
        return text

    def limit_for(self, region: Region) -> int | None:
        """The number of recommendations `region` may make; None means unlimited."""
        if self.rule == QuotaRule.CONDITIONAL and region.attributes.get(self.condition_attribute):
            return self.limit_if_true
        return self.limit


class EligibilityCondition(models.Model):
    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="conditions")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    code = models.SlugField(_("code"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=ConditionKind.choices)
    text = models.TextField(_("condition"))
    input_key = models.CharField(_("figure"), max_length=64, blank=True)
    denominator_key = models.CharField(_("divided by"), max_length=64, blank=True)
    comparator = models.CharField(_("comparator"), max_length=2, choices=Comparator.choices, blank=True)
    threshold = models.DecimalField(_("threshold"), max_digits=14, decimal_places=4, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    is_hard = models.BooleanField(_("hard condition"), default=True)
    exempt_if = models.TextField(_("exemption"), blank=True)

    class Meta:
        verbose_name = _("eligibility condition")
        verbose_name_plural = _("eligibility conditions")
        ordering = ["call", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["call", "code"], name="uniq_condition_code")]

    def __str__(self) -> str:
        return self.text[:60]

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        bump_form_version(pk=self.call_id)

    def evaluate(self, figures: dict) -> tuple[bool | None, str]:
        """(holds, reason) for numeric conditions; (None, reason) when figures are missing or
        the condition is not numeric."""
        if self.kind not in (ConditionKind.THRESHOLD, ConditionKind.RATIO) or self.threshold is None:
            return None, str(_("Checked by the bureau from the evidence."))
        try:
            value = Decimal(str(figures[self.input_key]))
            if self.kind == ConditionKind.RATIO:
                denominator = Decimal(str(figures[self.denominator_key]))
                if denominator == 0:
                    return False, str(_("The denominator of the ratio is zero."))
                value = value / denominator * 100
        except (KeyError, ArithmeticError, ValueError, TypeError):
            return None, str(_("The figures needed to check this condition have not been declared."))
        ops = {
            Comparator.GTE: value >= self.threshold,
            Comparator.GT: value > self.threshold,
            Comparator.LTE: value <= self.threshold,
            Comparator.LT: value < self.threshold,
        }
        holds = ops[self.comparator]
        return holds, self.text


def _condition_deleted(sender, instance, **kwargs) -> None:
    """A condition deleted, one by one or by a queryset (both send post_delete): a new form version."""
    bump_form_version(pk=instance.call_id)


models.signals.post_delete.connect(_condition_deleted, sender=EligibilityCondition,
                                   dispatch_uid="programs.condition_form_version")


class RequiredMaterial(models.Model):
    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="materials")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    code = models.SlugField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    template = models.FileField(_("template"), upload_to="templates/", blank=True, max_length=255)
    allowed_types = models.JSONField(_("allowed types"), default=list, blank=True)
    max_size_mb = models.PositiveIntegerField(_("size limit (MB)"), default=50)
    is_required = models.BooleanField(_("required"), default=True)
    copies = models.CharField(_("paper copies"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("required material")
        verbose_name_plural = _("required materials")
        ordering = ["call", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["call", "code"], name="uniq_material_code")]

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    """An official holiday or adjusted workday entered for a year the calendar package does not
    cover (or a correction of it)."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("is a working day"))
    name = models.CharField(_("name"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class CalendarYear(models.Model):
    """Marks a year whose official holiday arrangement has been entered completely."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        "portal.User", verbose_name=_("entered by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class CallUserObjectPermission(UserObjectPermissionBase):
    """Sparse grants on one call (e.g. a reviewer invited to preview a draft notice)."""

    content_object = models.ForeignKey(Call, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("call grant (user)")
        verbose_name_plural = _("call grants (user)")


class CallGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Call, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("call grant (group)")
        verbose_name_plural = _("call grants (group)")
