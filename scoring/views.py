"""Rubric pages (public for published versions), the live calculator, the provincial upload, and
the assessments of an organization. Thin: parse, ask portal.access, call a selector or service,
render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import access
from programs.policy import calls_visible
from scoring.policy import (
    assessment_kind_for,
    assessments_visible,
    can_publish_rubric_version,
    can_record_assessment,
    can_upload_rubric,
)

from . import selectors, services
from .constants import ScorerKind
from .display import calculation, form_inputs, input_fields, rubric_table
from .forms import AssessmentMetaForm, RubricUploadForm
from .models import prefers_english


def _version_param(request) -> int | None:
    raw = request.GET.get("version") or request.POST.get("version") or ""
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise Http404(_("No such rubric version."))


def _resolve(request, code: str):
    try:
        return selectors.resolve_rubric(code, actor=request.actor, version=_version_param(request))
    except selectors.UnknownRubric:
        raise Http404(_("No such rubric."))


def _is_partial(request) -> bool:
    return bool(getattr(request, "htmx", False)) or request.headers.get("X-Requested-With") == "fetch"


def rubric_list(request):
    actor = request.actor
    return render(request, "scoring/rubric_list.html", {
        "rows": selectors.rubric_catalogue(actor),
        "can_upload": can_upload_rubric(actor),
    })


def _detail_context(request, resolved, values=None, calc=None):
    actor = request.actor
    version = resolved.version
    rubric = resolved.rubric
    en = prefers_english()
    if version is not None:
        warnings = version.warning_texts()
        versions = list(selectors.rubric_versions_of(actor, rubric.code))
        can_publish = can_publish_rubric_version(actor, version) if not version.is_published else None
    else:
        warnings = [w.en if en else w.zh for w in rubric.warnings]
        versions, can_publish = [], None
    values = values or {}
    table = rubric_table(rubric)
    if calc and calc.get("items"):  # a page rendered after a plain (no-JavaScript) POST
        points = {it["key"]: "—" if it["missing"] else it["points"] for it in calc["items"]}
        for row in table["rows"] + (table["bonus"]["items"] if table["bonus"] else []):
            row["points"] = points.get(row["key"], "")
    return {
        "rubric": rubric,
        "version": version,
        "versions": versions,
        "table": table,
        "warnings": warnings,
        "fields": input_fields(rubric, values, (calc or {}).get("errors")),
        "calc": calc or calculation(rubric, {}),
        "can_publish": can_publish,
        "assess_kind": assessment_kind_for(actor),
    }


def rubric_detail(request, code: str):
    resolved = _resolve(request, code)
    return render(request, "scoring/rubric_detail.html", _detail_context(request, resolved))


@require_POST
def rubric_calculate(request, code: str):
    """The live calculator: the inputs typed so far -> the result panel (a fragment for fetch/htmx
    requests, the whole page otherwise). Nothing is stored."""
    resolved = _resolve(request, code)
    inputs = form_inputs(resolved.rubric, request.POST)
    calc = calculation(resolved.rubric, inputs)
    if _is_partial(request):
        response = render(request, "scoring/_calculator_result.html", {"calc": calc, "rubric": resolved.rubric})
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "scoring/rubric_detail.html", _detail_context(request, resolved, request.POST, calc))


@login_required
def rubric_upload(request):
    actor = request.actor
    decision = can_upload_rubric(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    form = RubricUploadForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        outcome = services.rubric_version_upload(actor=actor, source_file=upload.name, content=upload.read())
        if outcome.version is not None:
            if outcome.duplicate:
                messages.info(request, _("This file is already version %(n)d of this rubric: nothing was stored.")
                              % {"n": outcome.version.version})
            else:
                messages.success(request, _("Version %(n)d was saved as a draft. Check the warnings, try it with "
                                            "sample figures, then publish it.") % {"n": outcome.version.version})
            url = reverse("rubric-detail", args=[outcome.version.rubric.code])
            return redirect(f"{url}?version={outcome.version.version}")
        en = prefers_english()
        report = {
            "file": upload.name,
            "code": outcome.check.code,
            "errors": [{"target": m.target, "code": m.code, "text": m.en if en else m.zh} for m in outcome.check.errors],
            "warnings": [{"target": m.target, "code": m.code, "text": m.en if en else m.zh} for m in outcome.check.warnings],
        }
    return render(request, "scoring/rubric_upload.html", {"form": form, "report": report})


@login_required
@require_POST
def rubric_publish(request, code: str, version: int):
    actor = request.actor
    row = selectors.rubric_versions_of(actor, code).filter(version=version).first()
    if row is None:
        raise Http404(_("No such rubric version."))
    try:
        services.rubric_version_publish(actor=actor, version=row)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Version %(n)d is published.") % {"n": row.version})
    url = reverse("rubric-detail", args=[code])
    return redirect(f"{url}?version={row.version}")


# --- assessments ------------------------------------------------------------------------------


def _org_or_404(actor, pk: int):
    org = access.organizations_visible(actor).filter(pk=pk).first()
    if org is None:
        raise Http404(_("No such organization in your scope."))
    return org


def _prefill(history, code: str, kind: str | None) -> dict:
    """The figures to start from: the actor's own last assessment with this rubric, else the
    applicant's last self-assessment (a reviewer checks the figures the applicant claimed)."""
    same = [a for a in history if a.rubric_version.rubric.code == code]
    for wanted in (kind, ScorerKind.SELF):
        for a in same:
            if a.scorer_kind == wanted:
                return dict(a.inputs)
    return {}


@login_required
def organization_assessments(request, pk: int):
    actor = request.actor
    org = _org_or_404(actor, pk)
    history = list(selectors.assessments_of_organization(actor, org))
    kind = assessment_kind_for(actor)
    catalogue = [row for row in selectors.rubric_catalogue(actor) if row["published"] is not None]
    code = request.POST.get("rubric") or request.GET.get("rubric") or (
        history[0].rubric_version.rubric.code if history else (catalogue[0]["rubric"].code if catalogue else "")
    )
    version = next((row["published"] for row in catalogue if row["rubric"].code == code), None)
    decision = (can_record_assessment(actor, org, kind, version) if kind and version
                else access.deny(_("Your role does not score applicants.")) if not kind
                else access.deny(_("No published rubric to score with.")))
    calls = []
    if version is not None:
        calls = list(calls_visible(actor).filter(rubric_code=code, province_id=org.region.province_id)
                     .order_by("-year", "code"))
    meta = AssessmentMetaForm(request.POST or None, calls=calls)
    values = _prefill(history, code, kind) if version is not None else {}
    errors = {}
    if request.method == "POST":
        if version is None:
            raise Http404(_("No such rubric."))
        if not decision:
            raise PermissionDenied(decision.reason)
        compiled = version.compiled()
        values = form_inputs(compiled, request.POST)
        if meta.is_valid():
            call = next((c for c in calls if c.code == meta.cleaned_data["call"]), None)
            try:
                services.assessment_record(
                    actor=actor, organization=org, rubric_version=version, inputs=values, scorer_kind=kind,
                    call=call, comment=meta.cleaned_data["comment"],
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
                else:
                    messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("The assessment was recorded."))
                return redirect(f"{reverse('organization-assessments', args=[org.pk])}?rubric={code}")
    return render(request, "scoring/organization_assessments.html", {
        "org": org,
        "history": history,
        "comparisons": selectors.side_by_side(history),
        "catalogue": catalogue,
        "code": code,
        "version": version,
        "kind_label": ScorerKind(kind).label if kind else "",
        "can_record": decision,
        "fields": input_fields(version.compiled(), values, errors) if version is not None else [],
        "meta": meta,
    })


@login_required
def assessment_detail(request, pk: int):
    actor = request.actor
    assessment = assessments_visible(actor).filter(pk=pk).first()
    if assessment is None:
        raise Http404(_("No such assessment in your scope."))
    en = prefers_english()
    compiled = assessment.rubric_version.compiled()
    labels = {k: (s.label_en if en else s.label_zh, s.unit_en if en else s.unit) for k, s in compiled.inputs.items()}
    inputs = [{"key": k, "label": labels.get(k, (k, ""))[0], "unit": labels.get(k, ("", ""))[1], "value": v}
              for k, v in assessment.inputs.items()]
    return render(request, "scoring/assessment_detail.html", {
        "a": assessment, "inputs": inputs, "result": assessment.result,
    })
