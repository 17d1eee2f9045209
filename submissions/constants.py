from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted, awaiting review")
    UNDER_REVIEW = "under_review", _("Under review")
    RETURNED = "returned", _("Returned for revision")
    RECOMMENDED = "recommended", _("Recommended, awaiting sign-off")
    REJECTED = "rejected", _("Not recommended")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    APPROVED = "approved", _("Recognized")
    NOT_APPROVED = "not_approved", _("Not recognized")
    PILOT = "pilot", _("Pilot")


FINAL_STATUSES = {Status.REJECTED, Status.WITHDRAWN, Status.APPROVED, Status.NOT_APPROVED}
EDITABLE_STATUSES = {Status.DRAFT, Status.RETURNED}


class Level(models.TextChoices):
    COUNTY = "county", _("County bureau")
    CITY = "city", _("City bureau")
    PROVINCE = "province", _("Provincial department")


class MemberRole(models.TextChoices):
    LEAD = "lead", _("Lead unit")
    MEMBER = "member", _("Member unit")




class DocumentKind(models.TextChoices):
    PACKET = "packet", _("Application packet")
    COUNTY_SUMMARY = "county_summary", _("County summary table")


class DocumentFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "XLSX"


class DocumentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be built")
    RUNNING = "running", _("Being built")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ObjectionStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    HANDLING = "handling", _("Being handled")
    ANSWERED = "answered", _("Answered")
