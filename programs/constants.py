from django.db import models
from django.utils.translation import gettext_lazy as _


class CallStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")


class CallKind(models.TextChoices):
    APPLICATION = "application", _("Application")
    EVALUATION = "evaluation", _("Evaluation of an existing platform")
    PILOT = "pilot", _("Pilot")
    CERTIFICATION = "certification", _("Certification")
    CATALOGUE = "catalogue", _("Policy catalogue entry")


class StageLevel(models.TextChoices):
    APPLICANT = "applicant", _("Applicant files")
    COUNTY = "county", _("County bureau")
    CITY = "city", _("City bureau")
    PROVINCE = "province", _("Provincial department")


class DeadlineKind(models.TextChoices):
    ABSOLUTE = "absolute", _("Fixed date and time")
    ROLLING = "rolling", _("Rolling (no deadline)")
    RELATIVE = "relative", _("Working days after an event")


class QuotaScope(models.TextChoices):
    PER_CITY = "per_city", _("Per city / prefecture")
    PER_COUNTY = "per_county", _("Per county")


class QuotaRule(models.TextChoices):
    FIXED = "fixed", _("Fixed number")
    CONDITIONAL = "conditional", _("Depends on an attribute of the region")


class ConditionKind(models.TextChoices):
    THRESHOLD = "threshold", _("Figure compared with a threshold")
    RATIO = "ratio", _("Ratio of two figures compared with a threshold")
    DECLARATION = "declaration", _("Declaration by the applicant")
    QUALITATIVE = "qualitative", _("Qualitative condition with evidence")
    ORG_KIND = "org_kind", _("Kind of applicant organization")


class Comparator(models.TextChoices):
    GTE = ">=", "≥"
    GT = ">", ">"
    LTE = "<=", "≤"
    LT = "<", "<"


class MaterialType(models.TextChoices):
    """The file types a material slot may accept (the upload check reads the content)."""

    PDF = "pdf", "PDF"
    JPEG = "jpeg", "JPEG"
    PNG = "png", "PNG"
    XLSX = "xlsx", _("Excel (.xlsx)")
    DOCX = "docx", _("Word (.docx)")
    XLS = "xls", _("Excel 97-2003 (.xls)")
    DOC = "doc", _("Word 97-2003 (.doc)")
    MP4 = "mp4", _("MP4 video")
