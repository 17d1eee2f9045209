from django.db import models
from django.utils.translation import gettext_lazy as _


class RubricStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ScorerKind(models.TextChoices):
    """Who scored: the applicant itself (自评), the county bureau (初评), the city bureau, an expert."""

    SELF = "self", _("Self-assessment")
    COUNTY = "county", _("County bureau")
    CITY = "city", _("City bureau")
    EXPERT = "expert", _("Expert review")


# Order of the columns when scores stand side by side.
SCORER_ORDER = (ScorerKind.SELF, ScorerKind.COUNTY, ScorerKind.CITY, ScorerKind.EXPERT)

# An uploaded rubric file larger than this is refused before it is parsed.
RUBRIC_FILE_MAX_BYTES = 512 * 1024


class RoundStatus(models.TextChoices):
    """A quarter's county evaluation: figures being entered, then published to the counties."""

    DRAFT = "draft", _("Being entered")
    PUBLISHED = "published", _("Published to the counties")
