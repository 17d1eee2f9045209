"""Rubrics as versioned data, and the assessments scored with them.

* :class:`Rubric` is a self-assessment table by its code (``gansu-2022-etc``); a call points at it
  through ``Call.rubric_code``.
* :class:`RubricVersion` holds one version of its definition (the parsed YAML, JSON-safe), the
  file it came from and its SHA-256, the validation warnings (zh + en) and who uploaded and
  published it. A published version is immutable: ``save()`` and ``delete()`` refuse to change it.
* :class:`Assessment` is one scoring of one organization with one published version: the inputs,
  the result (``Result.to_dict()`` with decimals as exact text, plus the group sums), the totals as
  decimals, who scored (self / county / city / expert) and when.

Compiling a definition into an engine rubric costs 50-150 ms, so compiled rubrics are cached per
version id (and content hash) in the process: see :meth:`RubricVersion.compiled`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from programs.models import bump_form_version

from .constants import RoundStatus, RubricStatus, ScorerKind
from .engine import Rubric as CompiledRubric
from .rubric_loader import load_rubric


def prefers_english() -> bool:
    return (get_language() or "").lower().startswith("en")


class Rubric(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=300)
    title_en = models.CharField(_("English title"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("rubric")
        verbose_name_plural = _("rubrics")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.title_en if prefers_english() and self.title_en else self.title


class RubricVersion(models.Model):
    # Fields a published version never changes again.
    FROZEN_FIELDS = (
        "rubric_id", "version", "label", "status", "definition", "source_file", "source_text", "sha256",
        "warnings", "province_id", "published_by_id", "published_at",
    )

    rubric = models.ForeignKey(Rubric, verbose_name=_("rubric"), on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    label = models.CharField(
        _("version label"), max_length=64, blank=True, help_text=_("The version written in the file, e.g. 2022.1.")
    )
    status = models.CharField(_("status"), max_length=16, choices=RubricStatus.choices, default=RubricStatus.DRAFT)
    definition = models.JSONField(_("definition"), help_text=_("The rubric file, parsed."))
    source_file = models.CharField(_("file name"), max_length=255, blank=True)
    source_text = models.TextField(_("file content"), blank=True)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, db_index=True)
    warnings = models.JSONField(
        _("validation warnings"), default=list, blank=True,
        help_text=_("Inconsistencies of the source, each with code, target, zh and en."),
    )
    province = models.ForeignKey(
        "portal.Region", verbose_name=_("province"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("The province whose officers own this rubric."),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("rubric version")
        verbose_name_plural = _("rubric versions")
        ordering = ["rubric__code", "-version"]
        constraints = [models.UniqueConstraint(fields=["rubric", "version"], name="uniq_rubric_version")]
        indexes = [models.Index(fields=["rubric", "status", "version"])]

    def __str__(self) -> str:
        return str(_("%(title)s (version %(n)s)") % {"title": self.rubric, "n": self.version})

    @property
    def is_published(self) -> bool:
        return self.status == RubricStatus.PUBLISHED

    # --- immutability --------------------------------------------------------------------

    def _frozen(self) -> tuple:
        return tuple(getattr(self, f) for f in self.FROZEN_FIELDS)

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = RubricVersion.objects.filter(pk=self.pk).first()
            if stored is not None and stored.status == RubricStatus.PUBLISHED and stored._frozen() != self._frozen():
                raise ValidationError(_("A published rubric version cannot be changed: upload a new version."))
        super().save(*args, **kwargs)
        # which version is the newest published one may have changed: the calls using the rubric
        # get a new version of their application form
        bump_form_version(rubric_code=self.rubric.code)

    def delete(self, *args, **kwargs):
        if self.pk is not None and RubricVersion.objects.filter(pk=self.pk, status=RubricStatus.PUBLISHED).exists():
            raise ValidationError(_("A published rubric version cannot be deleted."))
        bump_form_version(rubric_code=self.rubric.code)
        return super().delete(*args, **kwargs)

    # --- the compiled rubric -------------------------------------------------------------

    def compiled(self) -> CompiledRubric:
        """The engine rubric of this version (compiled once per process and cached)."""
        return compiled_rubric(self.pk, self.sha256, self.definition)

    def warning_texts(self) -> list[str]:
        en = prefers_english()
        return [str(w.get("en") if en else w.get("zh")) for w in self.warnings or ()]


_CACHE_SIZE = 64
_compiled: OrderedDict = OrderedDict()
_compiled_lock = threading.Lock()


def compiled_rubric(pk, sha256: str, definition: dict) -> CompiledRubric:
    """Compile ``definition`` once per (version id, content hash); a small LRU cache in-process.

    A published version never changes, so the cache needs no invalidation; the hash in the key
    keeps a draft that was edited (or a reused id in tests) from serving a stale rubric."""
    key = (pk, sha256)
    with _compiled_lock:
        hit = _compiled.get(key)
        if hit is not None:
            _compiled.move_to_end(key)
            return hit
    rubric = load_rubric(definition)  # outside the lock: compiling twice in a race is harmless
    with _compiled_lock:
        _compiled[key] = rubric
        while len(_compiled) > _CACHE_SIZE:
            _compiled.popitem(last=False)
    return rubric


class Assessment(models.Model):
    rubric_version = models.ForeignKey(
        RubricVersion, verbose_name=_("rubric version"), on_delete=models.PROTECT, related_name="assessments"
    )
    organization = models.ForeignKey(
        "portal.Organization", verbose_name=_("organization assessed"), on_delete=models.PROTECT,
        related_name="assessments",
    )
    call = models.ForeignKey(
        "programs.Call", verbose_name=_("call"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="assessments",
    )
    scorer_kind = models.CharField(_("scored by (kind)"), max_length=16, choices=ScorerKind.choices)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("scored by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    scorer_organization = models.ForeignKey(
        "portal.Organization", verbose_name=_("scoring organization"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    scored_at = models.DateTimeField(_("scored at"), default=timezone.now, db_index=True)
    inputs = models.JSONField(_("inputs"), default=dict)
    result = models.JSONField(
        _("result"), default=dict,
        help_text=_("base, bonus, total, items (key, label, points, max, explanation), groups, missing, eligible, "
                    "reasons; numbers as exact decimal text."),
    )
    base = models.DecimalField(_("base points"), max_digits=18, decimal_places=8)
    bonus = models.DecimalField(_("bonus points"), max_digits=18, decimal_places=8)
    total = models.DecimalField(_("total points"), max_digits=18, decimal_places=8)
    eligible = models.BooleanField(_("meets the hard conditions"), default=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-scored_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "scorer_kind", "scored_at"]),
            models.Index(fields=["rubric_version", "scorer_kind"]),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.rubric_version} · {self.get_scorer_kind_display()}"

    def points_by_item(self) -> dict[str, Decimal]:
        return {it["key"]: Decimal(str(it["points"])) for it in self.result.get("items", ())}


# --- County evaluation (seed 002): quarterly ranking of the counties of a city -----------------


class CountyEvaluationRound(models.Model):
    """One quarter's county evaluation of a city (每季通报排名): the city bureau (or the province)
    enters each county's indicators, the rubric (pinned version) scores them, the ranking by class
    is computed (never stored twice) and, once published, the figures are frozen and the counties
    read their table."""

    city = models.ForeignKey("portal.Region", verbose_name=_("city"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    rubric_version = models.ForeignKey(RubricVersion, verbose_name=_("rubric version"), on_delete=models.PROTECT,
                                       related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=RoundStatus.choices, default=RoundStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("county evaluation round")
        verbose_name_plural = _("county evaluation rounds")
        ordering = ["-year", "-quarter", "city__code"]
        constraints = [models.UniqueConstraint(fields=["city", "year", "quarter"], name="uniq_county_round")]

    def __str__(self) -> str:
        return f"{self.city.name} {self.year}Q{self.quarter}"


class CountyEvaluationEntry(models.Model):
    """The figures of one county in one round (the rubric's input keys, exact decimal text)."""

    round = models.ForeignKey(CountyEvaluationRound, verbose_name=_("evaluation round"), on_delete=models.CASCADE,
                              related_name="entries")
    county = models.ForeignKey("portal.Region", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+")
    inputs = models.JSONField(_("inputs"), default=dict)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)

    class Meta:
        verbose_name = _("county figures")
        verbose_name_plural = _("county figures")
        ordering = ["county__code"]
        constraints = [models.UniqueConstraint(fields=["round", "county"], name="uniq_county_entry")]

    def __str__(self) -> str:
        return f"{self.round} · {self.county.name}"
