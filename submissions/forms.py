"""The application form of a call, as data, and the small Django forms of the applicant's pages.

The form is built from the call (`form_spec(call)`), never hand-written per call:

* ``profile``: the organization profile printed on the application (a snapshot taken when the
  application is opened; name, credit code and region come from the organization);
* ``summary``: a short description of the platform applied for (application-type calls);
* ``figures``: annual figures for the years the call asks (the two completed years before the
  call's year; the latest is required): the base financial and staff figures plus every annual
  figure an eligibility condition of the call compares;
* ``facts``: the other figures a condition compares (e.g. Guizhou: provincial platforms held);
* ``inputs``: the inputs of the call's self-assessment rubric that are not already asked above
  (figures typed once serve the conditions and the rubric);
* ``declarations``: one statement per declaration-type condition (e.g. the serious-violation
  statement of the Ganzhou summary table);
* ``sections`` and ``targets``: for evaluation calls, the outline of seed 000 附件2 / 附件3 as
  structured sections and the target-completion table (目标任务完成情况对照表) as editable rows;
* member units (alliances, innovation centers) and one material slot per required material.

`Application.data` keeps ``{"profile": {...}, "summary": "...", "figures": {"2023": {...}},
"facts": {...}, "declarations": {...}, "sections": {...}, "targets": [{...}]}`` and
`Application.score_inputs` the rubric's inputs (figures included), all values as typed text.
Names in a posted form are the dotted paths (``figures.2023.rd_expenditure``, ``inputs.rd_staff``).
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from programs.constants import CallKind, ConditionKind
from scoring import selectors
from scoring.engine import schema

# --- Figures ---------------------------------------------------------------------------------

# Annual figures: key -> (label, unit). Money in 万元.
ANNUAL_FIGURES: dict[str, tuple[Any, Any]] = {
    "main_revenue": (_("Main business revenue"), _("10k yuan")),
    "revenue": (_("Operating revenue"), _("10k yuan")),
    "sales_revenue": (_("Sales revenue"), _("10k yuan")),
    "rd_expenditure": (_("R&D expenditure"), _("10k yuan")),
    "profit": (_("Total profit"), _("10k yuan")),
    "new_product_revenue": (_("New product sales revenue"), _("10k yuan")),
    "total_staff": (_("Total staff"), _("persons")),
    "rd_staff": (_("R&D staff"), _("persons")),
}
BASE_ANNUAL = ["main_revenue", "rd_expenditure", "profit", "total_staff", "rd_staff"]
NEGATIVE_ALLOWED = {"profit"}
INTEGER_FIGURES = {"total_staff", "rd_staff"}

# Figures a bureau establishes, never asked from the applicant (the county's initial score).
BUREAU_KEYS = {"initial_score"}

FACT_LABELS: dict[str, Any] = {
    "provincial_platforms": _("Provincial-or-higher innovation platforms held"),
    "rd_team_size": _("Size of the R&D team"),
    "senior_researchers": _("Senior researchers"),
    "joint_applicants": _("Joint applicants"),
    "contract_amount": _("Contract amount (10k yuan)"),
    "project_duration_years": _("Project duration (years)"),
    "building_floor_area": _("Building floor area (m²)"),
    "applicant_age": _("Age of the applicant"),
    "courses_submitted": _("Courses submitted"),
    "courses_per_lecturer": _("Courses per lecturer"),
}

APPLICATION_KINDS = {CallKind.APPLICATION, CallKind.PILOT, CallKind.CERTIFICATION, CallKind.CATALOGUE}


# --- Evaluation outlines (seed 000, 附件2 and 附件3) -------------------------------------------


@dataclass(frozen=True)
class Section:
    key: str
    title: str  # the notice's wording (Chinese), quoted as printed
    required: bool = True


@dataclass(frozen=True)
class Part:
    title: str
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class Outline:
    title: str
    parts: tuple[Part, ...]
    table_title: str
    columns: tuple[tuple[str, str], ...]  # (key, heading as printed)


def _outline_mic(year: int) -> Outline:
    return Outline(
        title="省制造业创新中心自评材料要求（附件2）",
        parts=(
            Part(f"一、省制造业创新中心 {year - 1} 年建设情况（提纲）", (
                Section("1-1", "（一）发展目标完成情况。"),
                Section("1-2", "（二）研发主要方向进展。"),
                Section("1-3", "（三）运行管理情况。"),
                Section("1-4", "（四）基础条件建设情况。"),
                Section("1-5", "（五）创新成果情况。"),
                Section("1-6", "（六）结论。整体评价创新中心建设运营的情况，分析成效、指出不足，提出未来工作思路和重点方向。"),
            )),
            Part("二、下一步重点工作（提纲）", (
                Section("2-1", "（一）运行管理建设目标和打算。包括股权结构调整、决策、财务、人事、项目管理、对外合作和利益分配等机制完善等，具体的内容，含对应时间进度。"),
                Section("2-2", "（二）研发条件建设目标和打算。包括资金投入、研发仪器设备设施添置、小试生产线配备等内容，具体的内容，含对应时间进度。"),
                Section("2-3", "（三）研发团队建设目标和打算。其中研发团队包括高层次技术带头人、工程技术人员、技术工人和创新管理人员；建设内容包括引进、培养、培训等多层次，包括人才激励机制和成果分配机制等内容，要求内容具体，含对应时间进度。"),
                Section("2-4", "（四）研发主要方向和预期成果。包括年度主攻方向和具体工作内容，预期达到的技术目标，具体的内容，含对应时间进度。"),
                Section("2-5", "（五）研发成果及经济社会效益。包括预期取得的技术成果和推广前景，和成果推广应用后取得的经济社会效益，具体的内容，含对应时间进度。"),
                Section("2-6", "（六）其他。", required=False),
            )),
        ),
        table_title="三年建设目标任务完成情况对照表",
        columns=(("task", "目标任务"), ("completion", "完成情况"), ("gap", "进度差距"), ("note", "备注")),
    )


def _outline_iti(year: int) -> Outline:
    return Outline(
        title="省产业技术研究院自评材料要求（附件3）",
        parts=(
            Part(f"一、省产业技术研究院 {year - 1} 年建设情况（提纲）", (
                Section("1-1", "（一）发展目标完成情况。"),
                Section("1-2", "（二）团队建设及研究院运营管理情况。"),
                Section("1-3", "（三）基础条件建设情况。"),
                Section("1-4", "（四）技术攻关及项目完成情况。"),
                Section("1-5", "（五）成果孵化和产业化情况。"),
                Section("1-6", "（六）公共技术服务情况。"),
                Section("1-7", "（七）产业战略研究情况。"),
                Section("1-8", "（八）结论。整体评价产业技术研究院建设运营情况，分析成效、指出不足。"),
            )),
            Part(f"二、{year} 年重点工作安排（提纲）", (
                Section("2-1", "（一）发展目标（结合建设要求，提出具体可量化的目标）"),
                Section("2-2", "（二）技术攻关方向和项目。主要指技术突破方向，包括技术的名称，技术主要内容及具体突破指标，含对应时间进度。但不能用某一项较成熟的技术简单应用在不同产品来替代。"),
                Section("2-3", "（三）运行管理。包括股权结构优化目标、运行管理机制建设目标等，含对应时间进度，具体可量化。"),
                Section("2-4", "（四）基础条件建设。包括资金投入、研发条件、研发团队等，含对应时间进度，具体可量化。"),
                Section("2-5", "（五）创新成果。包括预期成果、转化前景和经济社会效益，含对应时间进度，具体可量化。"),
                Section("2-6", "（六）公共服务。包括为企业提供技术开发、技术咨询、分析检测、技术培训等服务。"),
                Section("2-7", "（七）战略研究。包括为理清产业技术发展路线，编制产业发展规划，为产业技术创新和产业发展提供咨询建议等。"),
                Section("2-8", "（八）其他。", required=False),
            )),
        ),
        table_title="建设目标任务完成情况对照表",
        columns=(("task", "目标任务"), ("completion", "完成情况"), ("progress", "完成进度"), ("note", "备注")),
    )


def _outline_generic(year: int) -> Outline:
    return Outline(
        title=str(_("Self-evaluation report")),
        parts=(Part(str(_("Self-evaluation")), (
            Section("1-1", str(_("Progress against the targets of the construction plan."))),
            Section("1-2", str(_("Conclusion and next steps."))),
        )),),
        table_title="目标任务完成情况对照表",
        columns=(("task", "目标任务"), ("completion", "完成情况"), ("gap", "进度差距"), ("note", "备注")),
    )


OUTLINES = {"mic": _outline_mic, "iti": _outline_iti}
MAX_TARGET_ROWS = 200


def outline_for(call) -> Outline | None:
    if call.kind != CallKind.EVALUATION:
        return None
    return OUTLINES.get(call.program.code, _outline_generic)(call.year)


# --- The form spec ------------------------------------------------------------------------------


@dataclass
class FieldSpec:
    path: str
    label: Any
    kind: str = "text"  # text / textarea / number / integer / email / bool / level
    required: bool = False
    unit: Any = ""
    help: Any = ""
    choices: list = field(default_factory=list)  # (value, label) for level inputs
    allow_negative: bool = False
    anchor: str = ""

    def __post_init__(self):
        self.anchor = self.anchor or "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.path)


PROFILE_FIELDS = [
    ("industry", _("Industry"), "text", True),
    ("main_business", _("Main business"), "text", True),
    ("address", _("Address"), "text", False),
    ("contact_name", _("Contact person"), "text", True),
    ("contact_phone", _("Contact phone"), "text", True),
    ("contact_email", _("Contact e-mail"), "email", True),
]


@dataclass
class FormSpec:
    call: Any
    years: list[str]
    profile: list[FieldSpec]
    summary: FieldSpec | None
    figure_keys: list[str]
    figures: list[FieldSpec]  # one per (key, year)
    facts: list[FieldSpec]
    inputs: list[FieldSpec]  # rubric inputs asked in their own section
    rubric: Any  # scoring.selectors.ResolvedRubric or None
    rubric_keys: list[str]
    declarations: list[FieldSpec]
    outline: Outline | None
    multi: bool
    materials: Iterable  # the call's RequiredMaterial rows: a list, or a queryset read when first used

    @property
    def latest(self) -> str:
        return self.years[0]

    @property
    def is_evaluation(self) -> bool:
        return self.outline is not None

    def section_fields(self) -> list[FieldSpec]:
        if not self.outline:
            return []
        return [FieldSpec(f"sections.{s.key}", s.title, "textarea", s.required)
                for part in self.outline.parts for s in part.sections]

    def scalar_fields(self) -> list[FieldSpec]:
        """Every single-value field of the form (the targets table and materials aside)."""
        out = list(self.profile)
        if self.summary:
            out.append(self.summary)
        return out + self.figures + self.facts + self.inputs + self.declarations + self.section_fields()

    def field(self, path: str) -> FieldSpec | None:
        return next((f for f in self.scalar_fields() if f.path == path), None)


def figure_years(call) -> list[str]:
    """The years whose figures the call asks: the two completed years before the call's year,
    newest first (the notices ask for the last year's figures; the year before shows the trend)."""
    return [str(call.year - 1), str(call.year - 2)]


def _rubric(call):
    if not call.rubric_code:
        return None

    try:
        return selectors.resolve_rubric(call.rubric_code)
    except selectors.UnknownRubric:
        return None


def _prefers_english() -> bool:

    return (get_language() or "").lower().startswith("en")


_SPEC_CACHE_SIZE = 128
_spec_cache: OrderedDict = OrderedDict()
_spec_lock = threading.Lock()


def _spec_version(call) -> tuple:
    """The version of the call's form, from the call's row alone (no query): the columns the form is
    built from (kind, year, program, rubric code), `Call.form_version` (raised whenever one of the
    call's conditions or a version of its rubric is saved or deleted: programs.models.bump_form_version)
    and the language. A change to any of them is a new key (a new version of the form); nothing needs
    invalidating, and every process sees the new version with the call's row."""
    return (
        call.pk, call.form_version, call.kind, call.year, call.rubric_code, call.program.code,
        bool(call.program.multi_organization), get_language(),
    )


def form_spec(call, *, conditions: Iterable | None = None, materials: Iterable | None = None) -> FormSpec:
    """The application form of `call` (pass prefetched conditions / materials to save queries).
    The fields are built once per version of the call's form (`_spec_version`) and process: a
    cached form costs no query (the conditions and the rubric are read only to build it). Each
    caller gets the fields with its own call and materials (read when first used, unless given)."""
    materials = call.materials.all() if materials is None else list(materials)
    if call.pk is None:  # a call not saved yet has no version: built each time
        return _build_form_spec(call, list(call.conditions.all() if conditions is None else conditions),
                                materials, _rubric(call))
    key = _spec_version(call)
    with _spec_lock:
        hit = _spec_cache.get(key)
        if hit is not None:
            _spec_cache.move_to_end(key)
    if hit is None:
        hit = _build_form_spec(call, list(call.conditions.all() if conditions is None else conditions), [],
                               _rubric(call))
        with _spec_lock:
            _spec_cache[key] = hit
            while len(_spec_cache) > _SPEC_CACHE_SIZE:
                _spec_cache.popitem(last=False)
    return dataclasses.replace(hit, call=call, materials=materials)


def _build_form_spec(call, conditions: list, materials: list, resolved) -> FormSpec:
    is_application = call.kind in APPLICATION_KINDS
    years = figure_years(call)
    en = _prefers_english()

    profile = [FieldSpec(f"profile.{key}", label, kind, required) for key, label, kind, required in PROFILE_FIELDS]
    summary = None
    if is_application:
        summary = FieldSpec("summary", _("Summary of the platform applied for"), "textarea", True,
                            help=_("What the platform does, its team, facilities and main results (a few paragraphs)."))

    condition_keys: list[str] = []
    for c in conditions:
        if c.kind in (ConditionKind.THRESHOLD, ConditionKind.RATIO):
            for key in (c.input_key, c.denominator_key):
                if key and key not in BUREAU_KEYS and key not in condition_keys:
                    condition_keys.append(key)

    figure_keys = list(BASE_ANNUAL) if is_application else []
    for key in condition_keys:
        if key in ANNUAL_FIGURES and key not in figure_keys:
            figure_keys.append(key)
    rubric_schema = []
    if resolved is not None:

        rubric_schema = schema(resolved.rubric)
        # a rubric asking for an annual figure gets it from the figures table
        for s in rubric_schema:
            if s["key"] in ANNUAL_FIGURES and s["key"] not in figure_keys:
                figure_keys.append(s["key"])
    figures = []
    for key in figure_keys:
        label, unit = ANNUAL_FIGURES[key]
        for i, year in enumerate(years):
            figures.append(FieldSpec(
                f"figures.{year}.{key}", label, "integer" if key in INTEGER_FIGURES else "number",
                required=(i == 0 and is_application), unit=unit, allow_negative=key in NEGATIVE_ALLOWED,
            ))

    rubric_by_key = {s["key"]: s for s in rubric_schema}
    facts = []
    for key in condition_keys:
        if key in figure_keys:
            continue
        text = next((c.text for c in conditions if key in (c.input_key, c.denominator_key)), key)
        label = FACT_LABELS.get(key)
        if label is None and key in rubric_by_key:
            s = rubric_by_key[key]
            label = s["label_en"] if en else s["label_zh"]
        facts.append(FieldSpec(f"facts.{key}", label or key, "number", True, help=text))

    asked = set(figure_keys) | {f.path.split(".", 1)[1] for f in facts}
    inputs = []
    for s in rubric_schema:
        if s["key"] in asked:
            continue
        kind = {"integer": "integer", "level": "level", "boolean": "bool"}.get(s["type"], "number")
        choices = [(lv["key"], lv["label_en"] if en else lv["label_zh"]) for lv in s.get("levels", ())]
        inputs.append(FieldSpec(
            f"inputs.{s['key']}", s["label_en"] if en else s["label_zh"], kind, True,
            unit=(s["unit_en"] if en else s["unit"]) or "", help=(s.get("help_en") if en else s.get("help_zh")) or "",
            choices=choices, allow_negative=bool(s.get("allow_negative")),
        ))

    declarations = [
        FieldSpec(f"declarations.{c.code}", c.text, "bool", c.is_hard)
        for c in conditions if c.kind == ConditionKind.DECLARATION
    ]
    return FormSpec(
        call=call, years=years, profile=profile, summary=summary, figure_keys=figure_keys, figures=figures,
        facts=facts, inputs=inputs, rubric=resolved, rubric_keys=[s["key"] for s in rubric_schema],
        declarations=declarations, outline=outline_for(call), multi=bool(call.program.multi_organization),
        materials=materials,
    )


# --- Reading values -----------------------------------------------------------------------------


def get_path(data: Mapping, path: str, default=None):
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return node


def set_path(data: dict, path: str, value) -> None:
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            node[part] = nxt
        node = nxt
    node[parts[-1]] = value


def value_of(spec_field: FieldSpec, data: Mapping, score_inputs: Mapping):
    if spec_field.path.startswith("inputs."):
        return score_inputs.get(spec_field.path[len("inputs."):])
    return get_path(data, spec_field.path)


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value is False


def number_problem(spec_field: FieldSpec, value) -> str:
    """'' when `value` is a number this field accepts (or blank), else why not."""
    if spec_field.kind not in ("number", "integer") or value is None or str(value).strip() == "":
        return ""
    text = str(value).strip().replace(",", "").replace("，", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return str(_("Enter a number (e.g. 1234.5)."))
    if not number.is_finite():
        return str(_("Enter a number (e.g. 1234.5)."))
    if number < 0 and not spec_field.allow_negative:
        return str(_("This figure cannot be negative."))
    if spec_field.kind == "integer" and number != number.to_integral_value():
        return str(_("Enter a whole number."))
    return ""


def collect_post(spec: FormSpec, post) -> tuple[dict, dict]:
    """The data and rubric inputs present in a posted form (absent fields are left out, so a
    disabled or missing field means 'unchanged'). Values are kept as typed."""
    data: dict = {}
    inputs: dict = {}
    for f in spec.scalar_fields():
        if f.path not in post:
            continue
        raw = post.get(f.path)
        if f.kind == "bool":
            value: Any = str(raw).lower() in ("1", "true", "on", "yes")
        else:
            value = str(raw)[:20000]
            if f.kind in ("number", "integer", "text", "email"):
                value = value.strip()
        if f.path.startswith("inputs."):
            inputs[f.path[len("inputs."):]] = value
        else:
            set_path(data, f.path, value)
    if spec.outline is not None and "targets.count" in post:
        try:
            count = min(int(post.get("targets.count") or 0), MAX_TARGET_ROWS)
        except ValueError:
            count = 0
        rows = []
        for i in range(count):
            row = {key: str(post.get(f"targets.{i}.{key}", ""))[:5000].strip() for key, _h in spec.outline.columns}
            if any(row.values()):
                rows.append(row)
        data["targets"] = rows
    return data, inputs


def clean_targets(rows, outline: Outline | None) -> list[dict]:
    if outline is None or not isinstance(rows, list):
        return []
    keys = [k for k, _h in outline.columns]
    out = []
    for row in rows[:MAX_TARGET_ROWS]:
        if isinstance(row, Mapping):
            out.append({k: str(row.get(k, "") or "")[:5000] for k in keys})
    return out


# --- Django forms of the pages -----------------------------------------------------------------


class CommitmentForm(forms.Form):
    accept = forms.BooleanField(
        label=_("I have read the commitment letter and accept it on behalf of my organization."), required=True
    )


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"), allow_empty_file=True)
    filename = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)


class MemberInviteForm(forms.Form):
    name = forms.CharField(label=_("Name of the member unit"), max_length=200)
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=18, min_length=18)
    email = forms.EmailField(label=_("E-mail of its contact person"), required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=2000, widget=forms.Textarea(
        attrs={"rows": 2}))


class FiguresCheckForm(forms.Form):
    """我的政策: try the eligibility of the calls with other figures (nothing is stored)."""

    rd_expenditure = forms.DecimalField(label=_("R&D expenditure (10k yuan)"), required=False, min_value=0)
    main_revenue = forms.DecimalField(label=_("Main business revenue (10k yuan)"), required=False, min_value=0)
