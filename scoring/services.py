"""Writes of the scoring app: one use case, one transaction, one audit entry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import Actor
from portal.constants import RegionLevel
from portal.models import Organization, Region
from portal.services import audit_record
from programs.models import Call
from programs.policy import can_view_call
from scoring.policy import (
    can_publish_rubric_version,
    can_record_assessment,
    can_upload_rubric,
    rubric_owner_province_id,
)

from .constants import RubricStatus
from .engine import InputError, Result, evaluate, fmt, to_json
from .models import Assessment, Rubric, RubricVersion
from .rubric_files import RubricCheck, check_rubric_bytes, message_dict


def _require(decision) -> None:
    if not decision:
        raise PermissionDenied(decision.reason)


def _province(code: str) -> Region | None:
    if not code:
        return None
    return Region.objects.filter(code=code, level=RegionLevel.PROVINCE).first()


class RubricFileRefused(ValidationError):
    """An uploaded or loaded rubric file has errors; ``check`` holds the report."""

    def __init__(self, check: RubricCheck):
        self.check = check
        super().__init__([f"[{m.code}] {m.target}: {m.en}" for m in check.errors])


def _create_version(*, check: RubricCheck, source_file: str, content: bytes, status: str, province: Region | None,
                    user) -> RubricVersion:
    data = check.data
    title = data.get("title") or {}
    rubric, created = Rubric.objects.get_or_create(
        code=check.code, defaults={"title": str(title.get("zh", check.code))[:300], "title_en": str(title.get("en", ""))[:300]}
    )
    rubric = Rubric.objects.select_for_update().get(pk=rubric.pk)  # serialize version numbers per rubric
    if not created and (rubric.title != str(title.get("zh", rubric.title)) or rubric.title_en != str(title.get("en", ""))):
        rubric.title = str(title.get("zh", rubric.title))[:300]
        rubric.title_en = str(title.get("en", ""))[:300]
        rubric.save(update_fields=["title", "title_en"])
    number = (rubric.versions.aggregate(n=Max("version"))["n"] or 0) + 1
    now = timezone.now()
    return RubricVersion.objects.create(
        rubric=rubric,
        version=number,
        label=str(data.get("version", ""))[:64],
        status=status,
        definition=data,
        source_file=Path(source_file).name[:255],
        source_text=content.decode("utf-8-sig", errors="replace"),
        sha256=check.sha256,
        warnings=[message_dict(w) for w in check.warnings],
        province=province,
        uploaded_by=user,
        uploaded_at=now,
        published_by=user if status == RubricStatus.PUBLISHED else None,
        published_at=now if status == RubricStatus.PUBLISHED else None,
    )


@dataclass
class UploadOutcome:
    check: RubricCheck
    version: RubricVersion | None = None  # the new draft, or the existing version with the same file
    duplicate: bool = False


@transaction.atomic
def rubric_version_upload(*, actor: Actor, source_file: str, content: bytes) -> UploadOutcome:
    """Check an uploaded rubric file and store it as a new *draft* version.

    A file with errors stores nothing (``outcome.version`` is None, ``outcome.check.errors`` says
    why). A file identical to a version of the same rubric stores nothing and returns that version
    (``duplicate``). Raises PermissionDenied when the actor may not upload it."""
    _require(can_upload_rubric(actor))
    check = check_rubric_bytes(content)
    if not check.ok:
        return UploadOutcome(check)
    _require(can_upload_rubric(actor, code=check.code, province_code=check.province_code))
    existing = RubricVersion.objects.filter(rubric__code=check.code, sha256=check.sha256).order_by("-version").first()
    if existing is not None:
        return UploadOutcome(check, existing, duplicate=True)
    if actor.is_provincial:
        province = actor.region.province
    else:  # an operator: the file's issuer, else the province already owning the code
        province = _province(check.province_code)
        if province is None:
            owner = rubric_owner_province_id(check.code)
            province = Region.objects.filter(pk=owner).first() if owner else None
    version = _create_version(check=check, source_file=source_file, content=content, status=RubricStatus.DRAFT,
                              province=province, user=actor.user)
    audit_record(
        actor=actor, action="rubric_version.upload", obj=version, province=province, to_state=RubricStatus.DRAFT,
        data={"code": check.code, "version": version.version, "sha256": check.sha256, "file": version.source_file,
              "warnings": len(check.warnings)},
    )
    return UploadOutcome(check, version)


@transaction.atomic
def rubric_version_publish(*, actor: Actor, version: RubricVersion) -> RubricVersion:
    """Publish a draft version: from now on it is immutable and the newest published version of
    its rubric (the one the command, the API and new assessments use)."""
    version = RubricVersion.objects.select_for_update(of=("self",)).select_related("rubric", "province").get(pk=version.pk)
    _require(can_publish_rubric_version(actor, version))
    version.compiled()  # a draft that no longer compiles (engine changed since upload) is refused here
    version.status = RubricStatus.PUBLISHED
    version.published_by = actor.user
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_by", "published_at"])
    audit_record(
        actor=actor, action="rubric_version.publish", obj=version, province=version.province,
        from_state=RubricStatus.DRAFT, to_state=RubricStatus.PUBLISHED,
        data={"code": version.rubric.code, "version": version.version, "sha256": version.sha256},
    )
    return version


@transaction.atomic
def rubric_fixture_load(*, path: Path) -> tuple[RubricVersion, bool]:
    """Load one rubric file of fixtures/rubrics/ as a published version (the system publishes it).

    Idempotent by content: when a version of the rubric has the file's SHA-256, nothing is created
    and ``(that version, False)`` is returned; a changed file becomes a new published version.
    The province is the file's ``source.province`` (a GB/T 2260 code), else the province of a call
    using the rubric. Raises RubricFileRefused for a file with errors."""

    content = Path(path).read_bytes()
    check = check_rubric_bytes(content)
    if not check.ok:
        raise RubricFileRefused(check)
    existing = RubricVersion.objects.filter(rubric__code=check.code, sha256=check.sha256).order_by("-version").first()
    if existing is not None:
        return existing, False
    province = _province(check.province_code)
    if province is None:
        call = Call.objects.filter(rubric_code=check.code).select_related("province").first()
        province = call.province if call else None
    version = _create_version(check=check, source_file=str(path), content=content, status=RubricStatus.PUBLISHED,
                              province=province, user=None)
    audit_record(
        actor=None, action="rubric_version.publish", obj=version, province=province, to_state=RubricStatus.PUBLISHED,
        comment="load_rubrics",
        data={"code": check.code, "version": version.version, "sha256": check.sha256, "file": version.source_file},
    )
    return version, True


# --- assessments ------------------------------------------------------------------------------


def result_json(result: Result) -> dict:
    """``Result.to_dict()`` as JSON-safe data (numbers as exact decimal text) plus the group sums."""
    data = json.loads(to_json(result.to_dict()), parse_float=str, parse_int=str)
    data["groups"] = [
        {"key": g.key, "label": g.label, "points": fmt(g.points), "max": fmt(g.max), "parent": g.parent}
        for g in result.groups
    ]
    data["bonus_raw"] = fmt(result.bonus_raw)
    data["reasons_en"] = list(result.reasons_en)
    return data


def _clean_inputs(inputs: Mapping[str, Any], known) -> dict:
    """The inputs as stored: known keys only, values as text (exact), blanks dropped."""
    out = {}
    for key in known:
        if key not in inputs:
            continue
        value = inputs[key]
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, bool):
            out[key] = value
        elif isinstance(value, float):
            out[key] = repr(value)
        else:
            out[key] = str(value).strip()
    return out


@transaction.atomic
def assessment_record(
    *,
    actor: Actor,
    organization: Organization,
    rubric_version: RubricVersion,
    inputs: Mapping[str, Any],
    scorer_kind: str,
    call=None,
    comment: str = "",
) -> Assessment:
    """Score `organization` with a published `rubric_version` and store it with an audit entry.

    Raises PermissionDenied (see scoring.policy.can_record_assessment) or ValidationError (inputs
    that cannot be read, a call that does not use this rubric)."""
    _require(can_record_assessment(actor, organization, scorer_kind, rubric_version))
    if call is not None:
        _require(can_view_call(actor, call))
        if call.rubric_code != rubric_version.rubric.code:
            raise ValidationError(_("This call does not use this rubric."))
        if call.province_id != organization.region.province_id:
            raise ValidationError(_("This call is for another province."))
    if not isinstance(inputs, Mapping):
        raise ValidationError(_("The inputs must be an object of input keys and values."))
    compiled = rubric_version.compiled()
    stored_inputs = _clean_inputs(inputs, compiled.inputs)
    try:
        result = evaluate(compiled, stored_inputs)
    except InputError as exc:
        raise ValidationError({key: [message] for key, message in exc.errors.items()}) from exc
    assessment = Assessment.objects.create(
        rubric_version=rubric_version,
        organization=organization,
        call=call,
        scorer_kind=scorer_kind,
        scored_by=actor.user,
        scorer_organization=actor.organization,
        inputs=stored_inputs,
        result=result_json(result),
        base=result.base,
        bonus=result.bonus,
        total=result.total,
        eligible=result.eligible,
        comment=comment.strip(),
    )
    region = organization.region
    audit_record(
        actor=actor, action="assessment.record", obj=assessment, province=region.province, region=region,
        organization=organization, comment=assessment.comment,
        data={"rubric": rubric_version.rubric.code, "version": rubric_version.version, "scorer_kind": scorer_kind,
              "base": fmt(result.base), "bonus": fmt(result.bonus), "total": fmt(result.total),
              "eligible": result.eligible, "call": call.code if call else None},
    )
    return assessment
