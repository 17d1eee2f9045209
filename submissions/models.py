"""Applications and what hangs on them: members, commitment, attachments, receipts, reviews.

Status changes only through submissions/workflow.py (one declared transition table); nothing
else assigns `status`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from portal.models import Organization, Region
from programs.models import (
    Call,
    RequiredMaterial,
)

from .constants import DocumentFormat, DocumentKind, DocumentStatus, Level, MemberRole, ObjectionStatus, Status

RECEIPT_ORDER = ("-submitted_at", "-id")  # the newest receipt first: the current one


class ApplicationQuerySet(models.QuerySet):
    def with_current_receipt(self) -> "ApplicationQuerySet":
        """Load the rows' receipts in one query (without their snapshots), so that
        `current_receipt()` asks nothing more per row in a list."""
        return self.prefetch_related(models.Prefetch("receipts", queryset=Receipt.objects.defer("snapshot")))


class Application(models.Model):
    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="applications")
    organization = models.ForeignKey(
        Organization, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="applications"
    )
    # The applicant's region when the application was opened: bureaus' scoping follows it.
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    province = models.ForeignKey(Region, verbose_name=_("province"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    level = models.CharField(_("with"), max_length=16, choices=Level.choices, blank=True,
                             help_text=_("The level whose bureau holds the application now."))
    routing = models.JSONField(_("routing"), default=list, help_text=_("The levels the application passes."))
    title = models.CharField(_("title"), max_length=300, blank=True)
    data = models.JSONField(_("form data"), default=dict, blank=True)
    score_inputs = models.JSONField(_("self-assessment figures"), default=dict, blank=True)
    self_score = models.DecimalField(_("self-score"), max_digits=7, decimal_places=2, null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    # a copy of the current receipt's number, written with each receipt; read `current_receipt()`
    number = models.CharField(_("receipt number"), max_length=32, blank=True, db_index=True)
    revision_deadline = models.DateTimeField(_("revision deadline"), null=True, blank=True)
    return_reasons = models.JSONField(_("reasons for return"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("last saved by"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("last saved at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    last_action = models.CharField(_("last action"), max_length=64, blank=True)
    last_action_at = models.DateTimeField(_("last action at"), null=True, blank=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["call", "status", "level"]),
            models.Index(fields=["region", "status"]),
            models.Index(fields=["province", "status"]),
            # the bureaus' queues: a region's submitted applications at one level, newest first; with
            # the status, so that the counts per status read the index alone (PostgreSQL)
            models.Index(fields=["region", "level", "-submitted_at", "-id"], condition=~models.Q(status="draft"),
                         include=["status"], name="application_queue_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "organization"],
                condition=~models.Q(status="withdrawn"),
                name="one_live_application_per_call_and_organization",
            )
        ]
        # per-object grants held in ApplicationUserObjectPermission (django-guardian)
        permissions = [("review_as_expert", _("Review the application as an assigned expert"))]

    def __str__(self) -> str:
        return self.title or f"{self.organization} · {self.call}"

    def current_receipt(self) -> "Receipt | None":
        """The receipt of the latest submission or resubmission (None: never submitted). Its number
        and fingerprint are the ones every page, API and document shows for the application; the
        earlier receipts stay on record. Uses the receipts loaded by `with_current_receipt()`."""
        loaded = getattr(self, "_prefetched_objects_cache", {}).get("receipts")
        if loaded is not None:
            return max(loaded, key=lambda r: (r.submitted_at, r.pk), default=None)
        return self.receipts.order_by(*RECEIPT_ORDER).first()


def current_receipt_number() -> Subquery:
    """The number of an application's current receipt (`Application.current_receipt`) as an
    expression, to annotate a page of applications with: for a list that shows only the number (no
    Receipt rows built, no further query); None for an application never submitted."""
    return Subquery(Receipt.objects.filter(application_id=OuterRef("pk")).order_by(*RECEIPT_ORDER)
                    .values("number")[:1])


class ApplicationUserObjectPermission(UserObjectPermissionBase):
    """Sparse per-object grants on one application (django-guardian, direct foreign-key table).

    An expert assignment is the grant `review_as_expert` of one expert on one application, made by
    the city bureau or the provincial department (`level`): it gives access until that level's
    review stage closes (submissions.policy; written by submissions.review.experts)."""

    content_object = models.ForeignKey(Application, verbose_name=_("application"), on_delete=models.CASCADE)
    level = models.CharField(_("assigned by the level"), max_length=16, choices=Level.choices, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("application grant (user)")
        verbose_name_plural = _("application grants (user)")


class ExpertReview(models.Model):
    """One expert's review of one application in one round (专家评审): the picks of the rubric's
    level items (or, without such items, a score), the score they give, the opinion; or a declared
    conflict of interest instead. The bureau that assigned the experts may ask a further round
    (a new row per expert); earlier rounds stay on record. Written by submissions.review.experts."""

    application = models.ForeignKey(Application, verbose_name=_("application"), on_delete=models.CASCADE,
                                     related_name="expert_reviews")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("expert"), on_delete=models.CASCADE,
                               related_name="expert_reviews")
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    levels = models.JSONField(_("levels picked"), default=dict, blank=True)
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2, null=True, blank=True)
    opinion = models.TextField(_("opinion"), blank=True)
    conflict = models.BooleanField(_("conflict of interest declared"), default=False)
    conflict_reason = models.TextField(_("conflict of interest"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("expert review")
        verbose_name_plural = _("expert reviews")
        constraints = [models.UniqueConstraint(fields=["application", "expert", "round"],
                                               name="one_expert_review_per_round")]


class ApplicationMember(models.Model):
    """An organization taking part in a multi-organization application (alliance, innovation center)."""

    application = models.ForeignKey(Application, verbose_name=_("application"), on_delete=models.CASCADE,
                                    related_name="members")
    organization = models.ForeignKey(Organization, verbose_name=_("organization"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="memberships_in_applications")
    role = models.CharField(_("role"), max_length=8, choices=MemberRole.choices, default=MemberRole.MEMBER)
    invited_name = models.CharField(_("name"), max_length=200, blank=True)
    invited_credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    invited_email = models.EmailField(_("e-mail"), blank=True)
    invited_at = models.DateTimeField(_("invited at"), default=timezone.now)
    token = models.UUIDField(_("invitation token"), default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name = _("member unit")
        verbose_name_plural = _("member units")
        constraints = [
            models.UniqueConstraint(fields=["application", "organization"], name="uniq_application_member",
                                    condition=models.Q(organization__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.organization.name if self.organization else self.invited_name


class CommitmentAcceptance(models.Model):
    """The applicant read and accepted the call's commitment letter (告知承诺书)."""

    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.PROTECT,
                                     related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT,
                             related_name="+")
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    text_sha256 = models.CharField(_("fingerprint of the text"), max_length=64)

    class Meta:
        verbose_name = _("commitment acceptance")
        verbose_name_plural = _("commitment acceptances")
        ordering = ["-accepted_at"]

    def __str__(self) -> str:
        return f"{self.organization.name} · {self.call.title}"


def attachment_path(instance, filename):
    # The portal chooses the stored name; the user's file name is kept only as data.
    return f"attachments/{instance.application_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    application = models.ForeignKey(Application, verbose_name=_("application"), on_delete=models.CASCADE,
                                    related_name="attachments")
    material = models.ForeignKey(RequiredMaterial, verbose_name=_("material"), on_delete=models.PROTECT,
                                 related_name="+")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    is_current = models.BooleanField(_("current"), default=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["material__order", "-uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class Receipt(models.Model):
    """Proof of a submission: number, time and a fingerprint of what was submitted."""

    application = models.ForeignKey(Application, verbose_name=_("application"), on_delete=models.PROTECT,
                                    related_name="receipts")
    number = models.CharField(_("receipt number"), max_length=32, unique=True)
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    fingerprint = models.CharField(_("fingerprint (SHA-256)"), max_length=64)
    snapshot = models.JSONField(_("what was submitted"))

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return self.number


class DraftConflict(models.Model):
    """A save refused because someone else saved the draft first: the refused text is kept here so
    nothing typed is lost, and the user is shown both versions."""

    application = models.ForeignKey(Application, verbose_name=_("application"), on_delete=models.CASCADE,
                                    related_name="conflicts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, on_delete=models.SET_NULL,
                             related_name="+")
    base_version = models.PositiveIntegerField(_("edited version"))
    current_version = models.PositiveIntegerField(_("version saved by the other person"))
    data = models.JSONField(_("form data"), default=dict)
    score_inputs = models.JSONField(_("self-assessment figures"), default=dict)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("draft conflict")
        verbose_name_plural = _("draft conflicts")
        ordering = ["-created_at"]


# --- Review by the bureaus (county → city → province) ---------------------------------------


class Review(models.Model):
    """A bureau's review of one application at one level: its opinion and its score."""

    application = models.ForeignKey(Application, verbose_name=_("application"), on_delete=models.CASCADE,
                                    related_name="reviews")
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), null=True,
                                 on_delete=models.SET_NULL, related_name="+")
    opinion = models.TextField(_("opinion"), blank=True)
    score = models.DecimalField(_("bureau score"), max_digits=7, decimal_places=2, null=True, blank=True)
    assessment = models.ForeignKey("scoring.Assessment", verbose_name=_("assessment"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [models.UniqueConstraint(fields=["application", "level"], name="uniq_review_per_level")]


class InputCorrection(models.Model):
    """A reviewer corrected one figure of the self-assessment; both values stay on record."""

    application = models.ForeignKey(Application, verbose_name=_("application"), on_delete=models.CASCADE,
                                    related_name="corrections")
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    input_key = models.CharField(_("figure"), max_length=64)
    old_value = models.CharField(_("declared value"), max_length=64, blank=True)
    new_value = models.CharField(_("corrected value"), max_length=64)
    reason = models.TextField(_("reason"))
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("corrected by"), null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    corrected_at = models.DateTimeField(_("corrected at"), default=timezone.now)

    class Meta:
        verbose_name = _("input correction")
        verbose_name_plural = _("input corrections")
        ordering = ["corrected_at"]


class SiteVisit(models.Model):
    application = models.ForeignKey(Application, verbose_name=_("application"), on_delete=models.CASCADE,
                                    related_name="site_visits")
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    visit_date = models.DateField(_("date of the visit"))
    people = models.CharField(_("people"), max_length=300)
    findings = models.TextField(_("findings"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("site verification")
        verbose_name_plural = _("site verifications")
        ordering = ["-visit_date"]


def site_photo_path(instance, filename):
    return f"site-visits/{instance.visit.application_id}/{uuid.uuid4().hex}"


class SiteVisitPhoto(models.Model):
    visit = models.ForeignKey(SiteVisit, verbose_name=_("site verification"), on_delete=models.CASCADE,
                              related_name="photos")
    file = models.FileField(_("file"), upload_to=site_photo_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("site photo")
        verbose_name_plural = _("site photos")


class QuotaCounter(models.Model):
    """The row locked (SELECT … FOR UPDATE) while a recommendation is counted against a quota."""

    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    used = models.PositiveIntegerField(_("used"), default=0)

    class Meta:
        verbose_name = _("quota counter")
        verbose_name_plural = _("quota counters")
        constraints = [models.UniqueConstraint(fields=["call", "region", "level"], name="uniq_quota_counter")]


class QuotaException(models.Model):
    """Extra places granted by the province beyond a quota, with the reason."""

    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    extra = models.PositiveIntegerField(_("extra places"))
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("granted by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)

    class Meta:
        verbose_name = _("quota exception")
        verbose_name_plural = _("quota exceptions")


class Recommendation(models.Model):
    application = models.ForeignKey(Application, verbose_name=_("application"), on_delete=models.CASCADE,
                                    related_name="recommendations")
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    quota_region = models.ForeignKey(Region, verbose_name=_("counted against"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    recommended_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recommended by"), null=True,
                                       on_delete=models.SET_NULL, related_name="+")
    recommended_at = models.DateTimeField(_("recommended at"), default=timezone.now)
    signed_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("signed off by"), null=True,
                                      blank=True, on_delete=models.SET_NULL, related_name="+")
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    signed_off_opinion = models.TextField(_("opinion of the head"), blank=True)
    is_active = models.BooleanField(_("counts"), default=True)

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")


class ConflictDeclaration(models.Model):
    """A reviewer declared a relation with an applicant organization and may not review it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.CASCADE,
                             related_name="conflict_declarations")
    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE,
                                     related_name="+")
    relation = models.CharField(_("relation"), max_length=300)
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)

    class Meta:
        verbose_name = _("conflict of interest declaration")
        verbose_name_plural = _("conflict of interest declarations")
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="uniq_conflict_declaration")]


class ResultPublication(models.Model):
    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="+")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    publicity_working_days = models.PositiveSmallIntegerField(_("public notice period (working days)"), default=5)

    class Meta:
        verbose_name = _("published result list")
        verbose_name_plural = _("published result lists")

    def __str__(self) -> str:
        return f"{self.call} · {self.published_at:%Y-%m-%d}"


def objection_path(instance, filename):
    # The portal chooses the stored name; the sender's file name is kept only as data.
    return f"objections/{uuid.uuid4().hex}"


class Objection(models.Model):
    """An objection (异议) to a published result list, filed by anyone during its public notice
    period; the provincial department handles and answers it (submissions.publicity)."""

    publication = models.ForeignKey(ResultPublication, verbose_name=_("published result list"),
                                    on_delete=models.PROTECT, related_name="objections")
    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    contact = models.CharField(_("contact"), max_length=200)
    text = models.TextField(_("objection"))
    file = models.FileField(_("file"), upload_to=objection_path, max_length=200, blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(_("type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=16, choices=ObjectionStatus.choices,
                              default=ObjectionStatus.RECEIVED)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("handled by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-filed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.call} · {self.name}"


# --- Documents built by Celery tasks (application packet, county summary table) -----------------


def document_path(instance, filename):
    # The portal chooses the stored name; files are served only through an access-checked view.
    return f"documents/{instance.kind}/{uuid.uuid4().hex}"


def _new_task_id() -> str:
    return str(uuid.uuid4())


class DocumentJob(models.Model):
    """One document built by a Celery task (submissions.documents.tasks): its inputs, its state for the
    pages to show, and the file, visible only once complete (status done). `input_hash` (a hash of
    what the document is built from) decides whether a request reuses a job or starts a new one."""

    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices)
    fmt = models.CharField(_("format"), max_length=8, choices=DocumentFormat.choices, default=DocumentFormat.PDF)
    application = models.ForeignKey(Application, verbose_name=_("application"), null=True, blank=True,
                                    on_delete=models.CASCADE, related_name="document_jobs")
    receipt = models.ForeignKey(Receipt, verbose_name=_("receipt"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="+")
    # the application's region (packet) or the recommending county (summary table): scoping follows it
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    province = models.ForeignKey(Region, verbose_name=_("province"), on_delete=models.PROTECT, related_name="+")
    input_hash = models.CharField(_("fingerprint of the inputs"), max_length=64)
    status = models.CharField(_("status"), max_length=16, choices=DocumentStatus.choices,
                              default=DocumentStatus.PENDING, db_index=True)
    file = models.FileField(_("file"), upload_to=document_path, max_length=200, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("size"), null=True, blank=True)
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # pages done of the pages to build, written by the task as it goes (the pages show a progress bar)
    progress_done = models.PositiveIntegerField(_("pages done"), default=0)
    progress_total = models.PositiveIntegerField(_("pages to build"), default=0)
    # what a letter says (number, addressee, the units and scores, date), fixed when it is requested
    details = models.JSONField(_("details"), default=dict, blank=True)
    task_id = models.CharField(_("task id"), max_length=64, default=_new_task_id, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("document job")
        verbose_name_plural = _("document jobs")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["kind", "input_hash"]), models.Index(fields=["region", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_done(self) -> bool:
        return self.status == DocumentStatus.DONE

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class LetterCounter(models.Model):
    """The last 发文字号 a bureau (the bureau of `region`) gave its recommendation letters in `year`: the
    row locked (SELECT … FOR UPDATE) while a sign-off takes the next number
    (submissions.documents.letter.next_number)."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("letter number counter")
        verbose_name_plural = _("letter number counters")
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="uniq_letter_counter")]

    def __str__(self) -> str:
        return f"{self.region} {self.year}: {self.last}"


def seal_path(instance, filename):
    return f"seals/{instance.organization_id}/{uuid.uuid4().hex}.png"


class BureauSeal(models.Model):
    """A bureau's seal (印章) as a PNG with transparency, uploaded once: placed on its recommendation
    letters and at 推荐地区（盖章） of its summary tables."""

    organization = models.OneToOneField(Organization, verbose_name=_("bureau"), on_delete=models.CASCADE,
                                        related_name="seal")
    image = models.FileField(_("seal image"), upload_to=seal_path, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("bureau seal")
        verbose_name_plural = _("bureau seals")

    def __str__(self) -> str:
        return str(self.organization)


class DraftVersion(models.Model):
    """What a draft held after one save (every autosave keeps one): the applicant sees the history and
    restores a version (the restore is itself a new version). Kept for the application's life,
    compacted by `submissions.filing.versions.draft_versions_compact` (every version of the last hour,
    then the last one of each hour)."""

    application = models.ForeignKey(Application, verbose_name=_("application"), on_delete=models.CASCADE,
                                    related_name="draft_versions")
    version = models.PositiveIntegerField(_("version"))
    data = models.JSONField(_("form data"), default=dict)
    score_inputs = models.JSONField(_("self-assessment figures"), default=dict)
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("saved by"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    saved_at = models.DateTimeField(_("saved at"), default=timezone.now)
    restored_from = models.PositiveIntegerField(_("restored from version"), null=True, blank=True)

    class Meta:
        verbose_name = _("draft version")
        verbose_name_plural = _("draft versions")
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["application", "version"], name="draft_version_once")]
