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
    CITY_SUMMARY = "city_summary", _("City summary table")
    PROVINCE_SUMMARY = "province_summary", _("Provincial summary table")
    LETTER = "letter", _("Recommendation letter")
    BUNDLE = "bundle", _("Batch (ZIP)")


class DocumentFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "XLSX"
    DOCX = "docx", "DOCX"
    ZIP = "zip", "ZIP"


class DocumentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be built")
    RUNNING = "running", _("Being built")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class DecisionKind(models.TextChoices):
    """The provincial department's decisions (the names of the workflow's transitions)."""

    APPROVE = "approve", _("Recognize")
    NOT_APPROVE = "not_approve", _("Do not recognize")
    PILOT = "pilot", _("Admit as pilot")


# the message that goes with a decision when the province writes none of its own (认定 / 不予认定 / 试点)
DECISION_TEMPLATES = {
    DecisionKind.APPROVE: _("After expert review and the department's deliberation, the application is recognized."),
    DecisionKind.NOT_APPROVE: _("After expert review and the department's deliberation, the application is not "
                            "recognized this time; the unit may apply again under a later call."),
    DecisionKind.PILOT: _("After expert review and the department's deliberation, the unit is admitted as a pilot; "
                      "it applies for recognition when the pilot period ends."),
}


class ObjectionStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    HANDLING = "handling", _("Being handled")
    ANSWERED = "answered", _("Answered")
