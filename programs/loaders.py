"""Load the program catalogue and the seeds' calls from YAML fixtures.

Two kinds of file:

``fixtures/programs.yaml``::

    program_types:
      - code: etc                      # slug, the stable key
        name: 省级企业技术中心
        name_en: Provincial enterprise technology center
        description: ...
        applicant_kinds: [enterprise]  # enterprise / institute / university
        multi_organization: false

``fixtures/calls/*.yaml`` (one file per seed)::

    x-anything: &anchor ...            # top-level keys starting with "x-" are ignored (YAML anchors)
    calls:
      - code: jx-2024-etc-batch27      # slug, the stable key
        province: "360000"             # region code of a province
        issuing_region: "360700"       # region code or null (the relaying city)
        program: etc                   # ProgramType code
        kind: application              # application/evaluation/pilot/certification/catalogue
        year: 2024
        batch / title / document_number / issuer / notice_text / commitment_text / rubric_code / source
        issued_on: "2024-03-01"        # or null
        published_at: null             # optional ISO date-time
        status: published
        blind_review: false            # optional: experts see applications without contact details
        soe_direct_to_province: false  # optional: provincial and central SOEs file with the province
        bureau_score_required: false   # optional: a bureau must give its initial score to recommend
        stages:                        # replaced as a whole (matched by `order`)
          - order: 1
            level: applicant           # applicant/county/city/province
            region: "620100"           # optional: the stage holds for this region only
            name / description / source_text
            deadline_kind: absolute    # absolute/rolling/relative
            deadline: "2024-04-22T23:59:59+08:00"   # a bare date means 23:59:59 that day, Asia/Shanghai
            relative_working_days: 10  # relative only
            event_name: 申报专题培训     # relative only
            event_date: null           # relative only; when set, the deadline is computed
        quotas:                        # replaced as a whole (matched by position)
          - scope: per_county          # per_city/per_county
            region: null
            rule: conditional          # fixed/conditional
            limit: 2
            condition_attribute: has_city_etc_program
            limit_if_true: null        # null = unlimited
            in_principle: false
            source_text: ...
        conditions:                    # replaced as a whole (matched by code)
          - code / kind (threshold/ratio/declaration/qualitative/org_kind) / text
            input_key / denominator_key / comparator (>=, >, <=, <) / threshold: "2" (string decimal,
            ratios in percent) / unit / is_hard / exempt_if
        materials:                     # replaced as a whole (matched by code)
          - code / name / description / allowed_types: [pdf] / max_size_mb / is_required / copies
        contacts:                      # replaced as a whole (matched by position)
          - department / name / phone / email / address

Loading is idempotent: rows are updated or created by their key, the children of a call are made
to match the file exactly (rows the file no longer lists are deleted), everything inside one
transaction; rows keep their primary keys when the file did not change. Every row is validated with
``full_clean()``; a problem raises :class:`FixtureError` naming the file, the call and the field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterable
from zoneinfo import ZoneInfo

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils.translation import gettext as _

from portal.constants import APPLICANT_KINDS, RegionLevel
from portal.models import Region

from .constants import ConditionKind, DeadlineKind, QuotaRule
from .models import (
    Call,
    Contact,
    EligibilityCondition,
    ProgramType,
    Quota,
    RequiredMaterial,
    Stage,
)
from .workdays import WorkdayCalendar, end_of_day

SHANGHAI = ZoneInfo("Asia/Shanghai")

PROGRAM_TYPE_FIELDS = {"code", "name", "name_en", "description", "applicant_kinds", "multi_organization"}
CALL_FIELDS = {
    "code", "province", "issuing_region", "program", "kind", "year", "batch", "title", "document_number",
    "issuer", "issued_on", "published_at", "notice_text", "commitment_text", "rubric_code", "blind_review", "status",
    "source", "soe_direct_to_province", "bureau_score_required",
    "stages", "quotas", "conditions", "materials", "contacts",
}
STAGE_FIELDS = {
    "order", "level", "region", "name", "description", "deadline_kind", "deadline", "relative_working_days",
    "event_name", "event_date", "source_text",
}
QUOTA_FIELDS = {
    "scope", "region", "rule", "limit", "condition_attribute", "limit_if_true", "in_principle", "source_text",
}
CONDITION_FIELDS = {
    "order", "code", "kind", "text", "input_key", "denominator_key", "comparator", "threshold", "unit", "is_hard",
    "exempt_if",
}
MATERIAL_FIELDS = {"order", "code", "name", "description", "allowed_types", "max_size_mb", "is_required", "copies"}
CONTACT_FIELDS = {"order", "department", "name", "phone", "email", "address"}

TEXT_DEFAULT = ""


class FixtureError(ValueError):
    """A fixture file cannot be loaded; the message names the file, the call and the field."""

    def __init__(self, path: Path | str, message: str, *, call: str | None = None, where: str | None = None):
        self.path = str(path)
        self.call = call
        self.where = where
        # what a form shows beside a field: the section and row ("stages", "0") and the field named
        # at the head of the message ("deadline: ...")
        self.section, self.key = _split_where(where)
        head, sep, rest = message.partition(": ")
        self.field = head if sep and head.replace("_", "").isalnum() and head.isascii() else None
        self.detail = rest if self.field else message
        parts = [self.path]
        if call:
            parts.append(f"call {call!r}")
        if where:
            parts.append(where)
        super().__init__(": ".join(parts) + ": " + message)


def _split_where(where: str | None) -> tuple[str | None, str | None]:
    if not where or "[" not in where or not where.endswith("]"):
        return None, None
    section, _sep, key = where[:-1].partition("[")
    return section, key


@dataclass
class CallResult:
    code: str
    action: str  # created / updated / unchanged
    counts: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        parts = ", ".join(f"{name} {n}" for name, n in self.counts.items())
        return f"{self.code} {self.action} ({parts})"


@dataclass
class LoadReport:
    program_types: dict[str, list[str]] = field(
        default_factory=lambda: {"created": [], "updated": [], "unchanged": []}
    )
    calls: list[CallResult] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def merge(self, other: "LoadReport") -> "LoadReport":
        for key, codes in other.program_types.items():
            self.program_types[key].extend(codes)
        self.calls.extend(other.calls)
        self.files.extend(other.files)
        return self


# --------------------------------------------------------------------------- reading


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FixtureError(path, f"cannot read the file ({exc.strerror or exc}).") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FixtureError(path, f"not valid YAML: {exc}") from exc


def _rows(path: Path, data: Any, key: str) -> list:
    """The list under `key` (or the document itself when it is a bare list)."""
    if isinstance(data, list):
        rows = data
    elif isinstance(data, dict):
        unknown = {k for k in data if k != key and k != "source" and not str(k).startswith("x-")}
        if unknown:
            raise FixtureError(path, f"unknown top-level key(s) {sorted(map(str, unknown))}; expected {key!r}.")
        rows = data.get(key)
        if rows is None:
            raise FixtureError(path, f"no {key!r} list in the file.")
    else:
        raise FixtureError(path, f"expected a mapping with a {key!r} list.")
    if not isinstance(rows, list):
        raise FixtureError(path, f"{key!r} must be a list.")
    return rows


def _check_keys(path: Path, row: Any, allowed: set[str], *, call: str | None, where: str) -> dict:
    if not isinstance(row, dict):
        raise FixtureError(path, "expected a mapping.", call=call, where=where)
    unknown = set(row) - allowed
    if unknown:
        raise FixtureError(
            path, f"unknown field(s) {sorted(map(str, unknown))}; allowed: {sorted(allowed)}.", call=call, where=where
        )
    return row


def _text(value: Any) -> str:
    if value is None:
        return TEXT_DEFAULT
    if isinstance(value, str):
        return value.rstrip("\n")  # block scalars (|) end with a newline
    return str(value)


# --------------------------------------------------------------------------- value parsers


class _BadValue(Exception):
    def __init__(self, field_name: str, message: str):
        self.field_name = field_name
        super().__init__(message)


def _date(name: str, value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        raise _BadValue(name, f"expected a date, got a date-time {value!r}.")
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _BadValue(name, f"{value!r} is not an ISO date (YYYY-MM-DD).") from None


def _datetime(name: str, value: Any, *, date_means_end_of_day: bool = True) -> dt.datetime | None:
    """An aware date-time. A bare date means the end of that day in Asia/Shanghai; a naive
    date-time is read as Asia/Shanghai."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        return end_of_day(value) if date_means_end_of_day else dt.datetime.combine(value, dt.time(), SHANGHAI)
    else:
        raw = str(value).strip()
        if len(raw) == 10:
            day = _date(name, raw)
            return end_of_day(day) if date_means_end_of_day else dt.datetime.combine(day, dt.time(), SHANGHAI)
        try:
            parsed = dt.datetime.fromisoformat(raw)
        except ValueError:
            raise _BadValue(
                name, f"{value!r} is not an ISO date-time (e.g. 2024-04-22T23:59:59+08:00) or date."
            ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SHANGHAI)
    return parsed


def _decimal(name: str, value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise _BadValue(name, f"{value!r} is not a number.")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise _BadValue(name, f"{value!r} is not a decimal number (write it as a string, e.g. \"2.5\").") from None
    if not result.is_finite():
        raise _BadValue(name, f"{value!r} is not a finite number.")
    return result


def _int(name: str, value: Any, *, allow_null: bool = True) -> int | None:
    if value is None or value == "":
        if allow_null:
            return None
        raise _BadValue(name, "a whole number is required.")
    if isinstance(value, bool):
        raise _BadValue(name, f"{value!r} is not a whole number.")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise _BadValue(name, f"{value!r} is not a whole number.") from None


def _bool(name: str, value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    raise _BadValue(name, f"{value!r} is not true or false.")


def _str_list(name: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _BadValue(name, f"expected a list of strings, got {value!r}.")
    return [v.strip() for v in value]


class _Regions:
    """Region lookup by code, cached for one load."""

    def __init__(self):
        self._cache: dict[str, Region | None] = {}

    def get(self, name: str, code: Any, *, required: bool) -> Region | None:
        if code in (None, ""):
            if required:
                raise _BadValue(name, "a region code is required.")
            return None
        code = str(code).strip()
        if code not in self._cache:
            self._cache[code] = Region.objects.filter(code=code).first()
        region = self._cache[code]
        if region is None:
            raise _BadValue(
                name, f"no region with code {code!r} (load the region fixture first: manage.py load_regions)."
            )
        return region


# --------------------------------------------------------------------------- model helpers


def _assign(instance: models.Model, values: dict) -> bool:
    """Set values on instance; True if anything changed."""
    changed = False
    for key, value in values.items():
        attname = key
        current_field = instance._meta.get_field(key)
        if current_field.is_relation:
            attname = current_field.attname
            value_cmp = value.pk if value is not None else None
            if getattr(instance, attname) != value_cmp:
                changed = True
            setattr(instance, key, value)
            continue
        if getattr(instance, attname) != value:
            changed = True
            setattr(instance, attname, value)
    return changed


# Model field → fixture field, where they differ.
FIXTURE_NAMES = {"deadline_at": "deadline"}


def _validate(path: Path, instance: models.Model, *, call: str | None, where: str | None, exclude=None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            message = "; ".join(
                f"{FIXTURE_NAMES.get(name, name)}: {' '.join(str(m) for m in msgs)}"
                if name != "__all__"
                else " ".join(str(m) for m in msgs)
                for name, msgs in exc.message_dict.items()
            )
        else:
            message = " ".join(exc.messages)
        raise FixtureError(path, message, call=call, where=where) from exc


# --------------------------------------------------------------------------- program types


def load_program_types(path: Path | str) -> LoadReport:
    """Create or update the ProgramType rows of a programs.yaml file (by code)."""
    path = Path(path)
    rows = _rows(path, _read(path), "program_types")
    report = LoadReport(files=[str(path)])
    seen: set[str] = set()
    with transaction.atomic():
        for index, raw in enumerate(rows):
            where = f"program_types[{index}]"
            row = _check_keys(path, raw, PROGRAM_TYPE_FIELDS, call=None, where=where)
            code = _text(row.get("code")).strip()
            if not code:
                raise FixtureError(path, "code: a code is required.", where=where)
            where = f"program type {code!r}"
            if code in seen:
                raise FixtureError(path, "code: listed twice in the file.", where=where)
            seen.add(code)
            try:
                kinds = _str_list("applicant_kinds", row.get("applicant_kinds"))
                multi = _bool("multi_organization", row.get("multi_organization"), False)
            except _BadValue as exc:
                raise FixtureError(path, f"{exc.field_name}: {exc}", where=where) from None
            allowed_kinds = {str(k) for k in APPLICANT_KINDS}
            bad = [k for k in kinds if k not in allowed_kinds]
            if bad:
                raise FixtureError(
                    path, f"applicant_kinds: unknown kind(s) {bad}; allowed: {sorted(allowed_kinds)}.", where=where
                )
            instance = ProgramType.objects.filter(code=code).first()
            created = instance is None
            instance = instance or ProgramType(code=code)
            changed = _assign(
                instance,
                {
                    "name": _text(row.get("name")),
                    "name_en": _text(row.get("name_en")),
                    "description": _text(row.get("description")),
                    "applicant_kinds": kinds,
                    "multi_organization": multi,
                },
            )
            _validate(path, instance, call=None, where=where, exclude=None if created else ["code"])
            if created or changed:
                instance.save()
            report.program_types["created" if created else "updated" if changed else "unchanged"].append(code)
    return report


# --------------------------------------------------------------------------- calls


def _call_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
    return [path]


def load_calls(path_or_dir: Path | str | Iterable[Path | str]) -> LoadReport:
    """Create or update the calls of one YAML file, of every *.yaml in a directory, or of several
    paths, in one transaction."""
    if isinstance(path_or_dir, (str, Path)):
        paths = _call_files(Path(path_or_dir))
    else:
        paths = [f for p in path_or_dir for f in _call_files(Path(p))]
    report = LoadReport()
    seen: dict[str, Path] = {}
    regions = _Regions()
    with transaction.atomic():
        for path in paths:
            rows = _rows(path, _read(path), "calls")
            report.files.append(str(path))
            for index, raw in enumerate(rows):
                code = raw.get("code") if isinstance(raw, dict) else None
                label = str(code) if code else None
                row = _check_keys(path, raw, CALL_FIELDS, call=label, where=None if label else f"calls[{index}]")
                if not label:
                    raise FixtureError(path, "code: a code is required.", where=f"calls[{index}]")
                if label in seen:
                    raise FixtureError(path, f"code: already defined in {seen[label]}.", call=label)
                seen[label] = path
                report.calls.append(_load_call(path, row, label, regions))
    return report


def load_call_row(row: Any, *, source: str = "form") -> CallResult:
    """Create or update one call from a mapping in the notice-file format (a form or an upload
    builds it, `call_to_row` exports it): the same reading and checks as `load_calls`. The caller
    holds the transaction."""
    path = Path(source)
    label = str(row.get("code") or "") if isinstance(row, dict) else ""
    row = _check_keys(path, row, CALL_FIELDS, call=label or None, where=None)
    if not label:
        raise FixtureError(path, "code: a code is required.")
    return _load_call(path, row, label, _Regions())


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _region_code(region) -> str | None:
    return region.code if region is not None else None


def call_to_row(call: Call) -> dict:
    """The call as a mapping in the notice-file format (the inverse of `load_call_row`)."""
    return {
        "code": call.code,
        "province": call.province.code,
        "issuing_region": _region_code(call.issuing_region),
        "program": call.program.code,
        "kind": call.kind,
        "year": call.year,
        "batch": call.batch,
        "title": call.title,
        "document_number": call.document_number,
        "issuer": call.issuer,
        "issued_on": _iso(call.issued_on),
        "status": call.status,
        "blind_review": call.blind_review,
        "rubric_code": call.rubric_code,
        "source": call.source,
        "notice_text": call.notice_text,
        "commitment_text": call.commitment_text,
        "stages": [
            {
                "order": s.order, "level": s.level, "region": _region_code(s.region), "name": s.name,
                "description": s.description, "deadline_kind": s.deadline_kind,
                "deadline": _iso(s.deadline_at) if s.deadline_kind == DeadlineKind.ABSOLUTE else None,
                "relative_working_days": s.relative_working_days, "event_name": s.event_name,
                "event_date": _iso(s.event_date), "source_text": s.source_text,
            }
            for s in call.stages.select_related("region").order_by("order", "id")
        ],
        "quotas": [
            {
                "scope": q.scope, "region": _region_code(q.region), "rule": q.rule, "limit": q.limit,
                "condition_attribute": q.condition_attribute, "limit_if_true": q.limit_if_true,
                "in_principle": q.in_principle, "source_text": q.source_text,
            }
            for q in call.quotas.select_related("region").order_by("id")
        ],
        "conditions": [
            {
                "order": c.order, "code": c.code, "kind": c.kind, "text": c.text, "input_key": c.input_key,
                "denominator_key": c.denominator_key, "comparator": c.comparator,
                "threshold": format(c.threshold.normalize(), "f") if c.threshold is not None else None, "unit": c.unit,
                "is_hard": c.is_hard, "exempt_if": c.exempt_if,
            }
            for c in call.conditions.order_by("order", "id")
        ],
        "materials": [
            {
                "order": m.order, "code": m.code, "name": m.name, "description": m.description,
                "allowed_types": list(m.allowed_types or []), "max_size_mb": m.max_size_mb,
                "is_required": m.is_required, "copies": m.copies,
            }
            for m in call.materials.order_by("order", "id")
        ],
        "contacts": [
            {"order": c.order, "department": c.department, "name": c.name, "phone": c.phone, "email": c.email,
             "address": c.address}
            for c in call.contacts.order_by("order", "id")
        ],
    }


def _load_call(path: Path, row: dict, code: str, regions: _Regions) -> CallResult:
    def bad(exc: _BadValue, where: str | None = None):
        prefix = f"{where}." if where else ""
        return FixtureError(path, f"{prefix}{exc.field_name}: {exc}", call=code)

    try:
        province = regions.get("province", row.get("province"), required=True)
        issuing_region = regions.get("issuing_region", row.get("issuing_region"), required=False)
        issued_on = _date("issued_on", row.get("issued_on"))
        published_at = _datetime("published_at", row.get("published_at"), date_means_end_of_day=False)
        year = _int("year", row.get("year"), allow_null=False)
    except _BadValue as exc:
        raise bad(exc) from None
    if province.level != RegionLevel.PROVINCE:
        raise FixtureError(path, f"province: region {province.code} ({province.name}) is not a province.", call=code)
    if issuing_region is not None and issuing_region.province_id != province.pk:
        raise FixtureError(
            path,
            f"issuing_region: region {issuing_region.code} ({issuing_region.name}) is not in {province.name}.",
            call=code,
        )
    program_code = _text(row.get("program")).strip()
    program = ProgramType.objects.filter(code=program_code).first() if program_code else None
    if program is None:
        raise FixtureError(
            path,
            f"program: no program type {program_code!r} (load fixtures/programs.yaml first)."
            if program_code
            else "program: a program type code is required.",
            call=code,
        )

    values = {
        "province": province,
        "issuing_region": issuing_region,
        "program": program,
        "kind": _text(row.get("kind")) or Call._meta.get_field("kind").default,
        "year": year,
        "batch": _text(row.get("batch")),
        "title": _text(row.get("title")),
        "document_number": _text(row.get("document_number")),
        "issuer": _text(row.get("issuer")),
        "issued_on": issued_on,
        "notice_text": _text(row.get("notice_text")),
        "commitment_text": _text(row.get("commitment_text")),
        "rubric_code": _text(row.get("rubric_code")),
        "status": _text(row.get("status")) or Call._meta.get_field("status").default,
        "source": _text(row.get("source")),
    }
    if "published_at" in row:
        values["published_at"] = published_at
    if "blind_review" in row:
        values["blind_review"] = bool(row.get("blind_review"))
    for flag in ("soe_direct_to_province", "bureau_score_required"):
        values[flag] = bool(row.get(flag))

    call = Call.objects.filter(code=code).first()
    created = call is None
    call = call or Call(code=code)
    changed = _assign(call, values)
    _validate(path, call, call=code, where=None, exclude=None if created else ["code"])
    if created or changed:
        call.save()

    children_changed = False
    counts = {}
    for section, loader in (
        ("stages", _load_stages),
        ("quotas", _load_quotas),
        ("conditions", _load_conditions),
        ("materials", _load_materials),
        ("contacts", _load_contacts),
    ):
        items = row.get(section) or []
        if not isinstance(items, list):
            raise FixtureError(path, f"{section}: must be a list.", call=code)
        section_changed, n = loader(path, call, code, items, regions)
        children_changed |= section_changed
        counts[section] = n
    action = "created" if created else "updated" if (changed or children_changed) else "unchanged"
    return CallResult(code=code, action=action, counts=counts)


def _sync(existing: dict, wanted_keys: list) -> tuple[list, bool]:
    """Delete the existing rows whose key is no longer wanted; return (deleted rows, changed)."""
    stale = [obj for key, obj in existing.items() if key not in set(wanted_keys)]
    for obj in stale:
        obj.delete()
    return stale, bool(stale)


def _save_child(path, instance, values, *, call_code, where, created) -> bool:
    changed = _assign(instance, values)
    _validate(path, instance, call=call_code, where=where)
    if created or changed:
        instance.save()
    return created or changed


def _load_stages(path, call, code, items, regions) -> tuple[bool, int]:
    existing: dict[int, Stage] = {}
    for stage in call.stages.order_by("order", "id"):
        if stage.order in existing:  # duplicates from an earlier manual edit: drop the extra rows
            stage.delete()
            continue
        existing[stage.order] = stage
    orders: list[int] = []
    changed = False
    calendar = None
    for index, raw in enumerate(items):
        where = f"stages[{index}]"
        row = _check_keys(path, raw, STAGE_FIELDS, call=code, where=where)
        try:
            order = _int("order", row.get("order")) if row.get("order") is not None else index + 1
            region = regions.get("region", row.get("region"), required=False)
            deadline = _datetime("deadline", row.get("deadline"))
            days = _int("relative_working_days", row.get("relative_working_days"))
            event_date = _date("event_date", row.get("event_date"))
        except _BadValue as exc:
            raise FixtureError(path, f"{exc.field_name}: {exc}", call=code, where=where) from None
        if order in orders:
            raise FixtureError(path, "order: " + _("%(n)s is used by two stages.") % {"n": order}, call=code, where=where)
        orders.append(order)
        kind = _text(row.get("deadline_kind"))
        if region is not None and region.province_id != call.province_id:
            raise FixtureError(
                path, "region: " + _("%(region)s is not in the call's province.") % {"region": region.name},
                call=code, where=where,
            )
        if kind == DeadlineKind.ROLLING and (deadline or days or event_date):
            raise FixtureError(
                path, "deadline: " + _("A rolling stage has no deadline, working days or event date."),
                call=code, where=where
            )
        if kind == DeadlineKind.RELATIVE:
            if deadline is not None:
                raise FixtureError(
                    path, "deadline: " + _("A deadline counted from an event is computed from the event's date "
                                          "and the number of working days; leave the date and time empty."),
                    call=code, where=where,
                )
            if not _text(row.get("event_name")):
                raise FixtureError(path, "event_name: " + _("Name the event the working days count from."),
                                   call=code, where=where)
            if event_date is not None and days:
                calendar = calendar or WorkdayCalendar()
                deadline = end_of_day(calendar.add_working_days(event_date, days).date)
        elif days or event_date or _text(row.get("event_name")):
            raise FixtureError(
                path, "relative_working_days: " + _("Only a stage counted from an event takes working days, an "
                                                    "event and its date."),
                call=code, where=where,
            )
        values = {
            "call": call,
            "order": order,
            "level": _text(row.get("level")),
            "region": region,
            "name": _text(row.get("name")),
            "description": _text(row.get("description")),
            "deadline_kind": kind,
            "deadline_at": deadline,
            "relative_working_days": days,
            "event_name": _text(row.get("event_name")),
            "event_date": event_date,
            "source_text": _text(row.get("source_text")),
        }
        instance = existing.get(order)
        changed |= _save_child(
            path, instance or Stage(), values, call_code=code, where=where, created=instance is None
        )
    _stale, deleted = _sync(existing, orders)
    return changed or deleted, len(items)


def _load_quotas(path, call, code, items, regions) -> tuple[bool, int]:
    existing = dict(enumerate(call.quotas.order_by("id")))
    changed = False
    for index, raw in enumerate(items):
        where = f"quotas[{index}]"
        row = _check_keys(path, raw, QUOTA_FIELDS, call=code, where=where)
        try:
            region = regions.get("region", row.get("region"), required=False)
            limit = _int("limit", row.get("limit"))
            limit_if_true = _int("limit_if_true", row.get("limit_if_true"))
            in_principle = _bool("in_principle", row.get("in_principle"), False)
        except _BadValue as exc:
            raise FixtureError(path, f"{exc.field_name}: {exc}", call=code, where=where) from None
        rule = _text(row.get("rule")) or QuotaRule.FIXED
        attribute = _text(row.get("condition_attribute"))
        if rule == QuotaRule.FIXED and limit is None:
            raise FixtureError(path, "limit: " + _("A fixed quota needs its number."), call=code, where=where)
        if rule == QuotaRule.CONDITIONAL and not attribute:
            raise FixtureError(
                path, "condition_attribute: " + _("A conditional quota needs the attribute of the region it "
                                                  "depends on."),
                call=code, where=where,
            )
        if region is not None and region.province_id != call.province_id:
            raise FixtureError(
                path, "region: " + _("%(region)s is not in the call's province.") % {"region": region.name},
                call=code, where=where,
            )
        values = {
            "call": call,
            "scope": _text(row.get("scope")),
            "region": region,
            "rule": rule,
            "limit": limit,
            "condition_attribute": attribute,
            "limit_if_true": limit_if_true,
            "in_principle": in_principle,
            "source_text": _text(row.get("source_text")),
        }
        instance = existing.get(index)
        changed |= _save_child(
            path, instance or Quota(), values, call_code=code, where=where, created=instance is None
        )
    _stale, deleted = _sync(existing, list(range(len(items))))
    return changed or deleted, len(items)


def _load_conditions(path, call, code, items, regions) -> tuple[bool, int]:
    existing = {c.code: c for c in call.conditions.all()}
    codes: list[str] = []
    changed = False
    for index, raw in enumerate(items):
        where = f"conditions[{index}]"
        row = _check_keys(path, raw, CONDITION_FIELDS, call=code, where=where)
        cond_code = _text(row.get("code")).strip()
        if not cond_code:
            raise FixtureError(path, "code: " + _("Give the condition a short code."), call=code, where=where)
        where = f"conditions[{cond_code}]"
        if cond_code in codes:
            raise FixtureError(path, "code: " + _("This code is used twice."), call=code, where=where)
        codes.append(cond_code)
        try:
            order = _int("order", row.get("order")) if row.get("order") is not None else index + 1
            threshold = _decimal("threshold", row.get("threshold"))
            is_hard = _bool("is_hard", row.get("is_hard"), True)
        except _BadValue as exc:
            raise FixtureError(path, f"{exc.field_name}: {exc}", call=code, where=where) from None
        kind = _text(row.get("kind"))
        input_key = _text(row.get("input_key"))
        denominator_key = _text(row.get("denominator_key"))
        comparator = _text(row.get("comparator"))
        if kind in (ConditionKind.THRESHOLD, ConditionKind.RATIO):
            missing = [
                name for name, value in (("input_key", input_key), ("comparator", comparator),
                                         ("threshold", threshold)) if value in ("", None)
            ]
            if kind == ConditionKind.RATIO and not denominator_key:
                missing.append("denominator_key")
            if missing:
                raise FixtureError(
                    path, f"{missing[0]}: " + _("A condition with a number needs the figure, the comparator and "
                                                "the threshold (a ratio also the figure it is divided by)."),
                    call=code, where=where,
                )
        values = {
            "call": call,
            "order": order,
            "code": cond_code,
            "kind": kind,
            "text": _text(row.get("text")),
            "input_key": input_key,
            "denominator_key": denominator_key,
            "comparator": comparator,
            "threshold": threshold,
            "unit": _text(row.get("unit")),
            "is_hard": is_hard,
            "exempt_if": _text(row.get("exempt_if")),
        }
        instance = existing.get(cond_code)
        changed |= _save_child(
            path, instance or EligibilityCondition(), values, call_code=code, where=where, created=instance is None
        )
    _stale, deleted = _sync(existing, codes)
    return changed or deleted, len(items)


def _load_materials(path, call, code, items, regions) -> tuple[bool, int]:
    existing = {m.code: m for m in call.materials.all()}
    codes: list[str] = []
    changed = False
    default_size = RequiredMaterial._meta.get_field("max_size_mb").default
    for index, raw in enumerate(items):
        where = f"materials[{index}]"
        row = _check_keys(path, raw, MATERIAL_FIELDS, call=code, where=where)
        mat_code = _text(row.get("code")).strip()
        if not mat_code:
            raise FixtureError(path, "code: " + _("Give the material a short code."), call=code, where=where)
        where = f"materials[{mat_code}]"
        if mat_code in codes:
            raise FixtureError(path, "code: " + _("This code is used twice."), call=code, where=where)
        codes.append(mat_code)
        try:
            order = _int("order", row.get("order")) if row.get("order") is not None else index + 1
            types = [t.lower().lstrip(".") for t in _str_list("allowed_types", row.get("allowed_types"))]
            size = _int("max_size_mb", row.get("max_size_mb"))
            required = _bool("is_required", row.get("is_required"), True)
        except _BadValue as exc:
            raise FixtureError(path, f"{exc.field_name}: {exc}", call=code, where=where) from None
        values = {
            "call": call,
            "order": order,
            "code": mat_code,
            "name": _text(row.get("name")),
            "description": _text(row.get("description")),
            "allowed_types": types,
            "max_size_mb": default_size if size is None else size,
            "is_required": required,
            "copies": _text(row.get("copies")),
        }
        instance = existing.get(mat_code)
        changed |= _save_child(
            path, instance or RequiredMaterial(), values, call_code=code, where=where, created=instance is None
        )
    _stale, deleted = _sync(existing, codes)
    return changed or deleted, len(items)


def _load_contacts(path, call, code, items, regions) -> tuple[bool, int]:
    existing = dict(enumerate(call.contacts.order_by("order", "id")))
    changed = False
    for index, raw in enumerate(items):
        where = f"contacts[{index}]"
        row = _check_keys(path, raw, CONTACT_FIELDS, call=code, where=where)
        email = _text(row.get("email")).strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise FixtureError(path, f"email: {email!r} is not a valid e-mail address.",
                                   call=code, where=where) from None
        try:
            order = _int("order", row.get("order")) if row.get("order") is not None else index + 1
        except _BadValue as exc:
            raise FixtureError(path, f"{exc.field_name}: {exc}", call=code, where=where) from None
        values = {
            "call": call,
            "order": order,
            "department": _text(row.get("department")),
            "name": _text(row.get("name")),
            "phone": _text(row.get("phone")),
            "email": email,
            "address": _text(row.get("address")),
        }
        if not any(values[k] for k in ("department", "name", "phone", "email", "address")):
            raise FixtureError(path, "an empty contact.", call=code, where=where)
        instance = existing.get(index)
        changed |= _save_child(
            path, instance or Contact(), values, call_code=code, where=where, created=instance is None
        )
    _stale, deleted = _sync(existing, list(range(len(items))))
    return changed or deleted, len(items)


# --------------------------------------------------------------------------- both


def is_program_types_file(path: Path | str) -> bool:
    data = _read(Path(path))
    return isinstance(data, dict) and "program_types" in data


def load_paths(paths: Iterable[Path | str]) -> LoadReport:
    """Load several files or directories in one transaction: program-type files (a top-level
    `program_types` list) first, then the calls, in the order given."""
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise FixtureError(p, "no such file or directory.")
        files.extend(_call_files(p))
    type_files = [f for f in files if is_program_types_file(f)]
    call_files = [f for f in files if f not in type_files]
    report = LoadReport()
    with transaction.atomic():
        for f in type_files:
            report.merge(load_program_types(f))
        if call_files:
            report.merge(load_calls(call_files))
    return report
