"""Reads of the review side: the bureaus' queues, the review file, pending-work counts.

Every queryset starts from ``submissions.policy.review_applications_visible`` (bureaus and the province
see their region's submitted applications; applicants nothing). A queue page costs the same few
queries for 20 rows as for 20,000: the counts per status in one aggregate, the page's ids (filter and
sort on narrow columns, the bureau's score by one join), then only the page's rows with the columns
shown and their current receipt's number, and the deadlines of the page's calls in two queries.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.paginator import Paginator
from django.db.models import Count, DecimalField, F, FilteredRelation, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from portal.access import Actor
from portal.constants import RegionLevel
from portal.models import Region
from programs.deadlines import DeadlineBook
from programs.models import Call
from programs.selectors import upcoming_deadlines as upcoming
from scoring.engine import InputError, evaluate, fmt
from scoring.models import prefers_english
from submissions.constants import Level, Status
from submissions.deadlines import GATED_LEVELS
from submissions.forms import ANNUAL_FIGURES, FACT_LABELS, form_spec
from submissions.models import (
    Application,
    Attachment,
    InputCorrection,
    Receipt,
    Recommendation,
    current_receipt_number,
)
from submissions.policy import (
    review_applications_visible,
    reviews_visible,
    site_visits_visible,
)
from submissions.review.services import effective_inputs, level_inputs, rubric_for

PENDING = (Status.SUBMITTED, Status.UNDER_REVIEW, Status.RECOMMENDED)
NO_INDUSTRY = "-"  # the queue filter for applicants without an industry
PAGE_SIZE = 50
SORTS = {
    "submitted": ("submitted_at", "id"),
    "-submitted": ("-submitted_at", "-id"),
    "score": ("score", "id"),
    "-score": ("-score", "-id"),
    "name": ("organization__name", "id"),
    "-name": ("-organization__name", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "status": ("status", "id"),
}
DEFAULT_SORT = "-submitted"


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass
class QueueParams:
    call: int | None = None
    stage: str = ""  # a level, "all", or "" (the actor's own level)
    status: str = ""
    county: int | None = None
    city: int | None = None  # the city and its counties
    industry: str = ""  # the applicant's industry ("-": none given)
    recommended_by: int | None = None  # with an active recommendation counted against this region
    score_min: Decimal | None = None
    score_max: Decimal | None = None
    overdue: bool = False
    q: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1
    page_size: int = PAGE_SIZE

    @classmethod
    def from_query(cls, data) -> "QueueParams":
        stage = (data.get("stage") or "").strip()
        if stage not in {"", "all", *Level.values}:
            stage = ""
        status = (data.get("status") or "").strip()
        if status not in Status.values:
            status = ""
        sort = (data.get("sort") or "").strip()
        return cls(
            call=_int(data.get("call")),
            stage=stage,
            status=status,
            county=_int(data.get("county")),
            city=_int(data.get("city")),
            industry=(data.get("industry") or "").strip()[:100],
            recommended_by=_int(data.get("recommended_by")),
            score_min=_decimal(data.get("score_min")),
            score_max=_decimal(data.get("score_max")),
            overdue=str(data.get("overdue", "")).lower() in {"1", "true", "on", "yes"},
            q=(data.get("q") or "").strip()[:100],
            sort=sort if sort in SORTS else DEFAULT_SORT,
            page=max(_int(data.get("page")) or 1, 1),
        )


def default_stage(actor: Actor) -> str:
    return actor.level if actor.level in Level.values else "all"


SCORE = DecimalField(max_digits=7, decimal_places=2)
# What a queue row shows, and no more (the deadline resolver reads the region's ancestors by id): the
# wide columns (the form's data, the self-assessment figures, the call's notice) stay in the database.
QUEUE_FIELDS = ("id", "status", "level", "self_score", "submitted_at", "revision_deadline", "call_id", "region_id",
                "organization_id", "organization__name", "organization__credit_code",
                "region__name", "region__level", "region__parent_id", "region__city_id", "region__province_id")


def with_scores(qs: QuerySet[Application]) -> QuerySet[Application]:
    """The bureau's score at the application's current level (`bureau_score`) and the score shown
    in lists (`score`: the bureau's, else the self-score), by one LEFT JOIN on the review of the
    current level (one review per application and level), not a subquery per row."""
    return qs.annotate(
        current_review=FilteredRelation("reviews", condition=Q(reviews__level=F("level"))),
        bureau_score=F("current_review__score"),
        score=Coalesce("current_review__score", "self_score", output_field=SCORE),
        # what the county gave, for the city and the province to read beside theirs
        county_review=FilteredRelation("reviews", condition=Q(reviews__level=Level.COUNTY)),
        county_score=F("county_review__score"),
    )


def queue_base(actor: Actor) -> QuerySet[Application]:
    """The actor's applications with the bureau's score at their current level, and the score
    shown in lists (the bureau's, else the self-score)."""
    return with_scores(review_applications_visible(actor).select_related("region__city"))


class OverdueIndex:
    """Which applications are past their deadline: pending at a bureau after the stage's effective
    deadline, or returned and not resubmitted by the revision deadline. Four queries, whatever the
    number of rows; `book` holds the deadlines loaded on the way (reused for the page)."""

    def __init__(self, qs: QuerySet[Application], now: dt.datetime | None = None):
        self.now = now or timezone.now()
        combos = list(
            qs.filter(status__in=PENDING, level__in=list(GATED_LEVELS))
            .order_by().values_list("call_id", "level", "region_id").distinct()
        )
        self.call_ids = {c for c, _l, _r in combos}
        q = Q(status=Status.RETURNED, revision_deadline__lt=self.now)
        self.book = None
        if combos:
            regions = Region.objects.in_bulk({r for _c, _l, r in combos})
            self.book = DeadlineBook(self.call_ids, regions=False)  # for the rows' dates
            late: dict[tuple, list[int]] = defaultdict(list)
            for call_id, level, region_id in combos:
                if self.book.deadline(call_id, level, regions[region_id]).passed(self.now):
                    late[(call_id, level)].append(region_id)
            for (call_id, level), region_ids in late.items():
                q |= Q(call_id=call_id, level=level, region_id__in=region_ids, status__in=PENDING)
        self.q = q


def overdue_q(qs: QuerySet[Application], now: dt.datetime | None = None) -> Q:
    return OverdueIndex(qs, now).q


@dataclass
class QueueRow:
    """One row of the queue: what its cells show (QUEUE_FIELDS, read as values, not as model
    instances), its deadline at its level and whether it is late. Written out by
    `queue_tags.queue_rows`, one string format per row."""

    pk: int
    status: str
    level: str
    name: str  # the applicant's
    credit_code: str
    call: object  # programs.models.Call
    region: str  # its name
    self_score: object
    bureau_score: object  # the bureau's at the application's current level (`with_scores`)
    county_score: object  # the county's, shown beside the city's and the province's
    submitted_at: dt.datetime | None
    receipt: str  # the number of the current receipt
    deadline: object  # deadlines.Deadline
    overdue: bool


@dataclass
class Queue:
    params: QueueParams
    stage: str
    page: object
    rows: list[QueueRow]
    counts: dict[str, int]
    total: int
    filtered: QuerySet = field(repr=False, default=None)  # the rows filtered (scored only if a filter or the sort needs it)

    @property
    def status_counts(self) -> list[tuple[str, str, int]]:
        return [(value, label, self.counts.get(value, 0)) for value, label in Status.choices if value != Status.DRAFT]


def filter_queue(actor: Actor, params: QueueParams, *, with_status: bool = True, now=None,
                 overdue: "OverdueIndex | None" = None, scored: bool = True,
                 filtered: QuerySet[Application] | None = None) -> QuerySet[Application]:
    """The queue under `params`. With `scored=False` the rows carry no scores unless a filter or the
    sort needs them (no join on the reviews for counting, nor for picking a page's ids by date).
    `filtered`: `_filtered(actor, params, scored=scored)` when the caller has it already."""
    qs = filtered if filtered is not None else _filtered(actor, params, scored=scored)
    if params.overdue:
        qs = qs.filter((overdue or OverdueIndex(qs, now)).q)
    if with_status and params.status:
        qs = qs.filter(status=params.status)
    return qs


def _needs_scores(params: QueueParams) -> bool:
    return params.score_min is not None or params.score_max is not None or \
        SORTS.get(params.sort, SORTS[DEFAULT_SORT])[0].lstrip("-") == "score"


def _filtered(actor: Actor, params: QueueParams, *, scored: bool = True) -> QuerySet[Application]:
    """The queue with every filter but `overdue` and `status`."""
    qs = queue_base(actor) if scored or _needs_scores(params) else review_applications_visible(actor)
    stage = params.stage or default_stage(actor)
    if stage != "all":
        qs = qs.filter(level=stage)
    if params.call:
        qs = qs.filter(call_id=params.call)
    if params.county:
        qs = qs.filter(region_id=params.county)
    if params.city:
        qs = qs.filter(Q(region_id=params.city) | Q(region__city_id=params.city))
    if params.industry:
        qs = qs.filter(organization__industry="" if params.industry == NO_INDUSTRY else params.industry)
    if params.recommended_by:
        qs = qs.filter(pk__in=Recommendation.objects.filter(quota_region_id=params.recommended_by, is_active=True)
                       .values("application_id"))
    if params.q:
        text = params.q
        qs = qs.filter(
            Q(organization__name__icontains=text) | Q(organization__credit_code__iexact=text.upper())
            | Q(pk__in=Receipt.objects.filter(number__iexact=text).values("application_id"))  # any of its receipts
            | Q(title__icontains=text)
        )
    if params.score_min is not None:
        qs = qs.filter(score__gte=params.score_min)
    if params.score_max is not None:
        qs = qs.filter(score__lte=params.score_max)
    return qs


class _CountedPaginator(Paginator):
    """A paginator told its count (from the counts per status, already queried)."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @property
    def count(self) -> int:
        return self._known_count


def status_counts(qs: QuerySet[Application]) -> dict[str, int]:
    """The number of applications per status (drafts aside), in one pass (one GROUP BY status)."""
    counted = dict(qs.order_by().values_list("status").annotate(n=Count("pk")))
    return {s: counted[s] for s in Status.values if s != Status.DRAFT and counted.get(s)}


def queue_filtered(actor: Actor, params: QueueParams) -> QuerySet[Application]:
    """The queue's applications under `params` (every filter but `overdue` and `status`): what the
    dashboard counts, so that a figure and the queue it links to agree."""
    return _filtered(actor, params)


def review_queue(actor: Actor, params: QueueParams, *, now: dt.datetime | None = None,
                 calls: Iterable | None = None) -> Queue:
    """One page of the queue in a fixed number of queries, whatever the number of rows: the counts
    per status (one aggregate), the page's ids (the filter and the sort on narrow columns, served
    by the queue index), then the page's rows with only the columns shown and the number of their
    current receipt, and the deadlines of the page's calls. `calls`: the calls of the actor's queue when the
    caller has them (`queue_filter_options`), given to the rows instead of joined again."""
    now = now or timezone.now()
    filtered = _filtered(actor, params, scored=False)
    overdue = OverdueIndex(filtered, now) if params.overdue else None
    counts = status_counts(filter_queue(actor, params, with_status=False, overdue=overdue, filtered=filtered))
    total = sum(counts.values())
    qs = filter_queue(actor, params, overdue=overdue, filtered=filtered)
    order = SORTS.get(params.sort, SORTS[DEFAULT_SORT])
    paginator = _CountedPaginator(qs.order_by(*order).values_list("pk", flat=True), params.page_size,
                                  count=counts.get(params.status, 0) if params.status else total)
    page = paginator.get_page(params.page)
    ids = list(page.object_list)
    values = {v["id"]: v for v in queue_base(actor).filter(pk__in=ids).select_related(None).order_by()
              .annotate(receipt_number=current_receipt_number())
              .values(*QUEUE_FIELDS, "bureau_score", "county_score", "receipt_number")}
    found = [values[pk] for pk in ids if pk in values]
    page_calls = {v["call_id"] for v in found}
    calls = {c.pk: c for c in calls} if calls is not None else {}
    if not page_calls <= calls.keys():  # the caller's calls (the filter's list) serve the rows, else read here
        calls.update(Call.objects.only("id", "title", "rubric_code").in_bulk(page_calls - calls.keys()))
    if overdue is not None and overdue.book is not None and page_calls <= overdue.call_ids:
        book = overdue.book
    else:
        book = DeadlineBook(page_calls, regions=False)  # the rows show dates, not the stages' regions
    regions: dict[int, Region] = {}  # the rows' regions, for the deadlines (which read their ancestors by id)
    rows = []
    for v in found:
        region = regions.get(v["region_id"])
        if region is None:
            region = regions[v["region_id"]] = Region(
                pk=v["region_id"], name=v["region__name"], level=v["region__level"],
                parent_id=v["region__parent_id"], city_id=v["region__city_id"], province_id=v["region__province_id"])
        deadline = book.resolve(v["call_id"], v["level"], region, v["organization_id"])
        status, revision_deadline = v["status"], v["revision_deadline"]
        late = (status in PENDING and deadline.passed(now)) or (
            status == Status.RETURNED and revision_deadline is not None and revision_deadline < now)
        rows.append(QueueRow(
            pk=v["id"], status=status, level=v["level"], name=v["organization__name"],
            credit_code=v["organization__credit_code"], call=calls[v["call_id"]], region=v["region__name"],
            self_score=v["self_score"], bureau_score=v["bureau_score"], county_score=v["county_score"],
            submitted_at=v["submitted_at"], receipt=v["receipt_number"] or "", deadline=deadline, overdue=late))
    page.object_list = rows
    return Queue(params=params, stage=params.stage or default_stage(actor), page=page, rows=rows, counts=counts,
                 total=total, filtered=qs)


def queue_filter_options(actor: Actor) -> dict:
    """Calls with applications in the actor's scope, and the counties a city/province can filter by."""

    visible = review_applications_visible(actor)
    # the notice's and the letter's texts are not shown around the queue: not read
    calls = list(Call.objects.filter(pk__in=visible.order_by().values("call_id")).order_by("-year", "code")
                 .defer("notice_text", "commitment_text"))
    counties = []
    if actor.is_operator or actor.level in (RegionLevel.CITY, RegionLevel.PROVINCE):
        counties = list(Region.objects.filter(pk__in=visible.order_by().values("region_id")).order_by("code"))
    return {"calls": calls, "counties": counties, "stages": [("all", None), *Level.choices]}


def pending_summary(actor: Actor, *, now: dt.datetime | None = None) -> dict:
    """For the home page: pending work at the actor's level per status, overdue items."""
    now = now or timezone.now()
    params = QueueParams()
    qs = filter_queue(actor, params, with_status=False, now=now)
    counts = status_counts(qs)
    pending = {s: counts.get(s, 0) for s in PENDING}
    overdue = qs.filter(OverdueIndex(qs, now).q).count()
    return {"counts": counts, "pending": pending, "pending_total": sum(pending.values()), "overdue": overdue,
            "stage": default_stage(actor)}


def upcoming_deadlines(actor: Actor, *, now: dt.datetime | None = None, limit: int = 6) -> list:
    """The next effective deadlines of the actor's level for its region (extensions included), for
    the gated bureaus: the one resolver's list (programs.selectors.upcoming_deadlines)."""

    return upcoming(actor, levels=GATED_LEVELS, now=now, limit=limit)


# --- the review file --------------------------------------------------------------------------------


def review_application(actor: Actor, pk: int) -> Application | None:
    return (
        review_applications_visible(actor)
        .select_related("region__city", "region__province", "organization__region", "call__province")
        .filter(pk=pk).first()
    )


def review_file(actor: Actor, app: Application) -> dict:
    """Everything the review page shows besides the application itself."""

    reviews = list(reviews_visible(actor).filter(application=app).select_related("reviewer", "assessment"))
    corrections = list(InputCorrection.objects.filter(application=app).select_related("corrected_by")
                       .order_by("corrected_at", "id"))
    visits = list(site_visits_visible(actor).filter(application=app).select_related("recorded_by")
                  .prefetch_related("photos"))
    attachments = list(Attachment.objects.filter(application=app, is_current=True).select_related("material"))
    resolved = rubric_for(app.call)
    inputs = effective_inputs(app, corrections)
    scores = None
    if resolved is not None:
        scores = side_by_side_scores(resolved.rubric, app.score_inputs or {}, inputs)
    return {
        "reviews": reviews,
        "review_here": next((r for r in reviews if r.level == app.level), None),
        "corrections": corrections,
        "visits": visits,
        "attachments": attachments,
        "rubric": resolved,
        "inputs": inputs,
        "scores": scores,
        "level_inputs": level_inputs(resolved),
    }


def side_by_side_scores(rubric, self_inputs: dict, bureau_inputs: dict) -> dict:
    """The applicant's self-score beside the bureau's, item by item (both computed by the engine)."""

    en = prefers_english()

    def run(inputs):
        known = {k: v for k, v in inputs.items() if k in rubric.inputs}
        try:
            return evaluate(rubric, known), None
        except InputError as exc:
            return None, exc.errors

    mine, mine_errors = run(self_inputs)
    theirs, their_errors = run(bureau_inputs)
    rows = []
    items = (theirs or mine).items if (theirs or mine) else []
    for it in items:
        a = mine.item(it.key).points if mine else None
        b = theirs.item(it.key).points if theirs else None
        rows.append({"key": it.key, "label": it.label_en if en else it.label, "max": fmt(it.max),
                     "self": None if a is None else fmt(a), "bureau": None if b is None else fmt(b),
                     "differs": a is not None and b is not None and a != b,
                     "explanation": theirs.item(it.key).explanation if theirs else ""})
    return {
        "rows": rows,
        "self_total": fmt(mine.total) if mine else None,
        "bureau_total": fmt(theirs.total) if theirs else None,
        "errors": {**(mine_errors or {}), **(their_errors or {})},
    }


def scores_preview(app: Application, levels: dict) -> dict | None:
    """The side-by-side scores as they would be with the reviewer's level picks (not saved): the
    running totals of the review page while the reviewer scores. The engine computes them."""
    resolved = rubric_for(app.call)
    if resolved is None:
        return None
    picks = {spec.key: str(levels[spec.key]).strip() for spec in level_inputs(resolved)
             if str(levels.get(spec.key) or "").strip()}
    return side_by_side_scores(resolved.rubric, app.score_inputs or {}, {**effective_inputs(app), **picks})


# --- the application form, for reading ---------------------------------------------------------------

FORM_PARTS = ("profile", "summary", "figures", "facts", "declarations", "sections", "targets")
TRUE_TEXTS = {"1", "true", "on", "yes", "是"}


def _en() -> bool:

    return (get_language() or "").lower().startswith("en")


def declared_flag(value) -> bool | None:
    """A declaration as stored (a bool, or text from an older client); None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE_TEXTS


def _yes_no(value) -> str:

    flag = declared_flag(value)
    return "" if flag is None else str(_("Yes") if flag else _("No"))


def _text(value) -> str:
    """A stored value as text for reading: blanks empty, booleans 是/否, structures as JSON."""

    if value is None:
        return ""
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, indent=1) if value else ""
    return str(value).strip()


@dataclass
class FormRow:
    """One value of the application form: its path in ``Application.data``, label and text."""

    path: str
    label: str
    value: str
    kind: str = "text"  # text / textarea / bool / number
    unit: str = ""
    flag: bool | None = None  # for declarations: the statement was made (True), refused (False), absent (None)


@dataclass
class InputRow:
    """A figure of the self-assessment: what the applicant declared beside the bureaus' value."""

    key: str
    label: str
    unit: str
    declared: str
    current: str
    corrected: bool
    correctable: bool


def _rows(spec_fields, node, prefix: str) -> list[FormRow]:
    """The fields of one part of the form in the spec's order, then keys the spec does not know
    (labelled with their key)."""
    node = node if isinstance(node, dict) else {}
    out, seen = [], set()
    for f in spec_fields:
        key = f.path.split(".", 1)[1] if "." in f.path else f.path
        seen.add(key)
        value = node.get(key)
        if f.kind == "bool":
            out.append(FormRow(f.path, str(f.label), _yes_no(value), "bool", flag=declared_flag(value)))
        else:
            out.append(FormRow(f.path, str(f.label), _text(value), f.kind, str(f.unit or "")))
    for key, value in node.items():
        if key not in seen:
            out.append(FormRow(f"{prefix}.{key}", str(key), _text(value)))
    return out


def _input_label(key: str, rubric, en: bool) -> tuple[str, str]:

    spec = rubric.inputs.get(key) if rubric is not None else None
    if spec is not None:
        return (spec.label_en if en else spec.label_zh) or key, (spec.unit_en if en else spec.unit) or ""
    if key in ANNUAL_FIGURES:
        label, unit = ANNUAL_FIGURES[key]
        return str(label), str(unit)
    if key in FACT_LABELS:
        return str(FACT_LABELS[key]), ""
    return key, ""


def _input_text(value, spec, en: bool) -> str:
    """A rubric input as typed, a level shown by its label, a boolean as 是/否."""
    if spec is not None and spec.type == "level" and value not in (None, ""):
        for lv in spec.levels:
            if str(value).strip() in (lv.key, lv.label_zh, lv.label_en):
                return (lv.label_en if en else lv.label_zh) or lv.key
    if spec is not None and spec.type == "boolean" and value not in (None, ""):
        return _yes_no(value)
    return _text(value)


def review_form(app: Application, *, inputs: dict, corrections=(), spec=None) -> dict:
    """The application's form as the applicant filled it, laid out like the call's form
    (``forms.form_spec``): labels, sections and order of the form; the figures per year; the
    self-assessment figures with the bureaus' corrected values beside the declared ones; the
    declarations as 是/否; the outline sections and target table of evaluation calls. Keys the
    form does not know are shown under their key."""

    spec = spec or form_spec(app.call)
    en = _en()
    data = app.data if isinstance(app.data, dict) else {}
    declared = app.score_inputs if isinstance(app.score_inputs, dict) else {}

    profile = _rows(spec.profile, data.get("profile"), "profile")
    summary = None
    if spec.summary is not None or data.get("summary") not in (None, ""):
        label = str(spec.summary.label) if spec.summary is not None else "summary"
        summary = FormRow("summary", label, _text(data.get("summary")), "textarea")

    # annual figures: the form's years and figures first, then what else was stored
    stored = data.get("figures") if isinstance(data.get("figures"), dict) else {}
    years = list(spec.years) + sorted((y for y in stored if y not in spec.years), reverse=True)
    keys = list(spec.figure_keys)
    for year in years:
        for key in (stored.get(year) or {}) if isinstance(stored.get(year), dict) else ():
            if key not in keys:
                keys.append(key)
    figure_rows = []
    for key in keys:
        label, unit = ANNUAL_FIGURES.get(key, (key, ""))
        cells = [_text((stored.get(y) or {}).get(key)) if isinstance(stored.get(y), dict) else "" for y in years]
        figure_rows.append({"key": key, "label": str(label), "unit": str(unit), "cells": cells})
    if not figure_rows:
        years = []

    facts = _rows(spec.facts, data.get("facts"), "facts")

    # the self-assessment figures: declared, and as the bureaus corrected them
    rubric = spec.rubric.rubric if spec.rubric is not None else None
    corrected_keys = {c.input_key for c in corrections}
    input_keys = list(rubric.inputs) if rubric is not None else []
    for key in [*sorted(declared), *sorted(inputs)]:
        if key not in input_keys:
            input_keys.append(key)
    input_rows = []
    for key in input_keys:
        ispec = rubric.inputs.get(key) if rubric is not None else None
        label, unit = _input_label(key, rubric, en)
        before, after = _input_text(declared.get(key), ispec, en), _input_text(inputs.get(key), ispec, en)
        correctable = ispec is not None if rubric is not None else key in declared
        input_rows.append(InputRow(key=key, label=label, unit=unit, declared=before, current=after,
                                   corrected=key in corrected_keys and before != after, correctable=correctable))

    declarations = _rows(spec.declarations, data.get("declarations"), "declarations")

    outline = None
    sections = data.get("sections") if isinstance(data.get("sections"), dict) else {}
    targets = data.get("targets") if isinstance(data.get("targets"), list) else []
    if spec.outline is not None:
        parts, seen = [], set()
        for part in spec.outline.parts:
            rows = []
            for s in part.sections:
                seen.add(s.key)
                rows.append(FormRow(f"sections.{s.key}", s.title, _text(sections.get(s.key)), "textarea"))
            parts.append({"title": part.title, "rows": rows})
        extra = [FormRow(f"sections.{k}", str(k), _text(v), "textarea") for k, v in sections.items() if k not in seen]
        if extra:
            parts.append({"title": "", "rows": extra})
        columns = [(key, heading) for key, heading in spec.outline.columns]
        title, table_title = spec.outline.title, spec.outline.table_title
    else:
        parts = [{"title": "", "rows": [FormRow(f"sections.{k}", str(k), _text(v), "textarea")
                                        for k, v in sections.items()]}] if sections else []
        columns, title, table_title = [], "", "targets"
    for row in targets:
        for key in row if isinstance(row, dict) else ():
            if key not in [k for k, _h in columns]:
                columns.append((key, key))
    target_rows = [[_text(row.get(key)) if isinstance(row, dict) else "" for key, _h in columns] for row in targets]
    if parts or target_rows or spec.outline is not None:
        outline = {"title": title, "parts": parts, "table_title": table_title,
                   "columns": [heading for _k, heading in columns], "targets": target_rows}

    other = [FormRow(str(key), str(key), _text(value)) for key, value in data.items() if key not in FORM_PARTS]
    return {
        "profile": profile,
        "summary": summary,
        "figures": {"years": years, "rows": figure_rows},
        "facts": facts,
        "inputs": input_rows,
        "correctable": [r for r in input_rows if r.correctable],
        "declarations": declarations,
        "outline": outline,
        "other": other,
    }
