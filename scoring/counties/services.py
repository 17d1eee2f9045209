"""Writes of the county evaluation: open a quarter's round, enter a county's figures, publish the
ranking. One use case, one transaction, one audit entry; the rules in scoring.policy."""

from __future__ import annotations

from typing import Any, Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import Actor
from portal.constants import RegionLevel
from portal.models import Region
from portal.services import audit_record
from scoring.constants import RoundStatus
from scoring.engine import class_of
from scoring.evaluation import BadInput, evaluate_inputs
from scoring.models import CountyEvaluationEntry, CountyEvaluationRound
from scoring.policy import can_enter_county_figures, can_publish_county_round, can_run_county_evaluation
from scoring.selectors import newest_published

#: the rubric of the seed's county evaluation (seed 002, 附件3)
COUNTY_RUBRIC = "ganzhou-2023-county"


def _require(decision) -> None:
    if not decision:
        raise PermissionDenied(decision.reason)


@transaction.atomic
def county_round_open(*, actor: Actor, city: Region, year: int, quarter: int,
                      rubric_code: str = COUNTY_RUBRIC) -> CountyEvaluationRound:
    """Open the round of `year` Q`quarter` for the counties of `city`, scored with the newest
    published version of the rubric (pinned: later versions do not change this round)."""
    _require(can_run_county_evaluation(actor, city))
    errors = {}
    if not 2000 <= int(year or 0) <= 2100:
        errors["year"] = [_("Give a year between 2000 and 2100.")]
    if int(quarter or 0) not in (1, 2, 3, 4):
        errors["quarter"] = [_("Choose a quarter from 1 to 4.")]
    version = newest_published(rubric_code)
    if version is None:
        errors["rubric"] = [_("The county evaluation rubric has not been published yet.")]
    if not errors and CountyEvaluationRound.objects.filter(city=city, year=year, quarter=quarter).exists():
        errors["quarter"] = [_("This quarter has been opened already.")]
    if errors:
        raise ValidationError(errors)
    round_ = CountyEvaluationRound.objects.create(city=city, year=year, quarter=quarter, rubric_version=version,
                                                  created_by=actor.user)
    audit_record(actor=actor, action="county_round.open", obj=round_, province=city.province, region=city,
                 data={"year": year, "quarter": quarter, "rubric": rubric_code, "version": version.version})
    return round_


@transaction.atomic
def county_figures_save(*, actor: Actor, round_: CountyEvaluationRound, county: Region,
                        inputs: Mapping[str, Any]) -> CountyEvaluationEntry:
    """Enter (or correct, while the round is not published) one county's figures; each figure is
    checked by the scoring engine and refused with its reason (nothing stored then)."""
    round_ = CountyEvaluationRound.objects.select_for_update(of=("self",)).select_related(
        "city__province", "rubric_version").get(pk=round_.pk)
    _require(can_enter_county_figures(actor, round_))
    rubric = round_.rubric_version.compiled()
    if county.level != RegionLevel.COUNTY or county.city_id != round_.city_id:
        raise ValidationError({"county": [_("Choose a county of %(city)s.") % {"city": round_.city.name}]})
    if class_of(rubric, county.name) is None and class_of(rubric, county.code) is None:
        raise ValidationError({"county": [_("%(county)s is not rated by this evaluation.") % {"county": county.name}]})
    clean = {k: v for k, v in inputs.items() if k in rubric.inputs and v not in (None, "")}
    try:
        evaluate_inputs(rubric, clean)
    except BadInput as exc:
        raise ValidationError(exc.errors or {"__all__": [exc.message]}) from None
    entry = CountyEvaluationEntry.objects.filter(round=round_, county=county).first()
    before = dict(entry.inputs) if entry else None
    if entry is None:
        entry = CountyEvaluationEntry(round=round_, county=county)
    entry.inputs = {k: str(v) for k, v in clean.items()}
    entry.entered_by, entry.entered_at = actor.user, timezone.now()
    entry.save()
    audit_record(actor=actor, action="county_round.figures", obj=entry, province=round_.city.province, region=county,
                 data={"round": round_.pk, "before": before, "after": entry.inputs})
    return entry


@transaction.atomic
def county_round_publish(*, actor: Actor, round_: CountyEvaluationRound) -> CountyEvaluationRound:
    """Publish the ranking to the counties: the figures are frozen from now on."""
    round_ = CountyEvaluationRound.objects.select_for_update(of=("self",)).select_related("city__province").get(
        pk=round_.pk)
    _require(can_publish_county_round(actor, round_))
    from scoring.counties.selectors import ranking  # noqa: PLC0415 - the selectors read these models

    table = ranking(round_)
    round_.status, round_.published_by, round_.published_at = RoundStatus.PUBLISHED, actor.user, timezone.now()
    round_.save(update_fields=["status", "published_by", "published_at"])
    audit_record(actor=actor, action="county_round.publish", obj=round_, province=round_.city.province,
                 region=round_.city, from_state=RoundStatus.DRAFT, to_state=RoundStatus.PUBLISHED,
                 data={"ranking": {c["key"]: [[r["name"], r["total"], r["rank"]] for r in c["rows"]]
                                   for c in table.classes}})
    return round_
