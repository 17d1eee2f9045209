from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal.constants import APPLICANT_KINDS, OrgKind, RegionLevel
from portal.import_views import import_page
from portal.models import Region
from programs.policy import can_build_call, can_change_call, can_edit_call_draft, can_load_calls

from . import imports, services, workflow
from .deadlines import stages_prefetch
from .filters import CallFilter
from .forms import FORMSETS, SECTIONS, CallMainForm, CallTextForm
from .loaders import call_to_row
from .selectors import by_filing_deadline, call_detail_queryset, catalogue, preview_as_applicant, with_deadlines
from .workdays import WorkdayCalendar, stage_deadline

SECTION_LABELS = {
    "stages": gettext_lazy("Stages and deadlines"),
    "quotas": gettext_lazy("Recommendation quotas"),
    "conditions": gettext_lazy("Eligibility conditions"),
    "materials": gettext_lazy("Material slots"),
    "contacts": gettext_lazy("Contacts"),
}


def call_list(request):
    actor = request.actor
    qs = catalogue(actor)
    flt = CallFilter(request.GET or None, queryset=qs, request=request)
    results = flt.qs if flt.is_bound and flt.is_valid() else qs
    # deadlines as they bind the asker's region (the one resolver), newest year first, soonest deadline first
    calls = sorted(with_deadlines(actor, results.prefetch_related(stages_prefetch())),
                   key=lambda c: (-c.year, *by_filing_deadline(c), c.province.code, c.code))
    page = Paginator(calls, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "programs/call_list.html",
        {"filter": flt, "page": page, "query": query.urlencode(), "now": timezone.now(),
         "can_load_calls": bool(can_load_calls(actor)), "can_build_call": bool(can_build_call(actor))},
    )


def call_detail(request, code: str):
    actor = request.actor
    call = call_detail_queryset(actor).filter(code=code).first()
    if call is None:
        raise Http404(_("No such call."))
    (call,) = with_deadlines(actor, [call])
    calendar = WorkdayCalendar()
    yours = call.deadlines.yours
    stages = []
    for stage in call.stages.all():
        stages.append({"stage": stage, "deadline": stage_deadline(stage, calendar),
                       "binds_you": yours is not None and yours.stage is not None and yours.stage.pk == stage.pk})
    quotas = []
    for quota in call.quotas.all():
        row = {"quota": quota, "text": quota.describe()}
        region = actor.region
        if region is not None and quota.applies_to(region):
            row["mine"] = quota.limit_for(region)
            row["mine_applies"] = True
        quotas.append(row)
    return render(
        request,
        "programs/call_detail.html",
        {
            "call": call,
            "yours": yours,
            "stages": stages,
            "quotas": quotas,
            "now": timezone.now(),
            "can_change": can_change_call(actor, call),
            "moves": {t.name for t in workflow.available(actor, call)},
            "blocked": [decision.reason for _t, decision in workflow.blocked(actor, call)],
        },
    )


# --- the provincial department manages its calls (publish, close, date an event) -------------------


def _managed_call(request, code: str):
    """The call, if the actor may see it (404 otherwise); the services check the right to change it."""
    call = call_detail_queryset(request.actor).filter(code=code).first()
    if call is None:
        raise Http404(_("No such call."))
    return call


def _run(request, service, done: str, **kwargs) -> None:
    try:
        service(actor=request.actor, **kwargs)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)


@login_required
@require_POST
def call_publish(request, code: str):
    call = _managed_call(request, code)
    _run(request, services.call_publish, _("The call has been published."), call=call)
    return redirect("call-detail", code=code)


@login_required
@require_POST
def call_close(request, code: str):
    call = _managed_call(request, code)
    _run(request, services.call_close, _("The call has been closed."), call=call,
         comment=request.POST.get("comment", "").strip())
    return redirect("call-detail", code=code)


@login_required
@require_POST
def stage_event_date(request, code: str, stage_id: int):
    call = _managed_call(request, code)
    stage = call.stages.filter(pk=stage_id).first()
    if stage is None:
        raise Http404(_("This call has no such stage."))
    try:
        event_date = dt.date.fromisoformat(request.POST.get("event_date", ""))
    except ValueError:
        messages.error(request, _("Give the date of the event (YYYY-MM-DD)."))
        return redirect("call-detail", code=code)
    try:
        _stage, warnings = services.stage_set_event_date(actor=request.actor, stage=stage, event_date=event_date)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The event date is set; the stage's deadline follows from it."))
        for warning in warnings:
            messages.warning(request, warning)
    return redirect("call-detail", code=code)


@login_required
def call_edit(request, code: str):
    call = _managed_call(request, code)
    decision = can_change_call(request.actor, call)
    if not decision:
        raise PermissionDenied(decision.reason)
    form = CallTextForm(request.POST or None, call=call)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if not changes:
            messages.info(request, _("Nothing was changed."))
            return redirect("call-detail", code=code)
        try:
            services.call_update(actor=request.actor, call=call, changes=changes)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("The call has been saved."))
            return redirect("call-detail", code=code)
    return render(request, "programs/call_edit.html", {"call": call, "form": form})


@login_required
def call_upload(request):
    """A new call (or a replaced draft) from a notice file; the call is a draft until published."""
    actor = request.actor
    decision = can_load_calls(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose the notice file to upload."))
        else:
            try:
                outcome = services.calls_from_file(actor=actor, content=upload.read())
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Loaded as drafts: %(codes)s. Check each call, then publish it.")
                                 % {"codes": ", ".join(outcome.codes)})
                return redirect("call-detail", code=outcome.codes[0])
    return render(request, "programs/call_upload.html", {})


def call_example(request):
    """The example notice file (a template to fill in)."""

    path = settings.BASE_DIR / "fixtures" / "examples" / "call-template.yaml"
    response = HttpResponse(path.read_bytes(), content_type="application/x-yaml; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{_('Call template')}.yaml")
    return response


# --- a call built in forms ----------------------------------------------------------------------------


def _builder_forms(request, province, *, initial_row=None, editing=False):
    """The call's form and one formset per part, bound to the request's data or filled from a
    notice-file entry (`initial_row`)."""
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    row = initial_row or {}
    main_initial = {k: v for k, v in row.items() if k not in SECTIONS}
    main = CallMainForm(data, initial=main_initial, province=province, editing=editing, prefix="call")
    sets = {}
    for name, formset_class in FORMSETS.items():
        kwargs = {"province": province} if name in ("stages", "quotas") else {}
        initial = [_initial_of(name, item) for item in row.get(name, [])]
        sets[name] = formset_class(data, files, initial=initial, prefix=name, form_kwargs=kwargs)
    return main, sets


def _initial_of(section: str, item: dict) -> dict:
    item = dict(item)
    if section == "stages" and item.get("deadline"):
        item["deadline"] = dt.datetime.fromisoformat(item["deadline"])
    return item


def _builder_row(main, sets) -> tuple[dict, dict, dict]:
    """The notice-file entry the forms describe, the material templates by code, and for each part
    which form made each row (to put the loader's refusals beside the right field)."""
    row = main.row()
    origin = {}
    templates = {}
    for name, formset in sets.items():
        rows, forms_used = [], []
        for form in formset.forms:
            if not form.has_changed() or form.cleaned_data.get("DELETE"):
                continue
            item = form.row()
            item.pop("DELETE", None)
            if name in ("stages", "conditions", "materials", "contacts"):
                item["order"] = len(rows) + 1
            if name == "materials" and form.cleaned_data.get("template"):
                templates[item["code"]] = form.cleaned_data["template"]
            rows.append(item)
            forms_used.append(form)
        row[name] = rows
        origin[name] = forms_used
    return row, templates, origin


def _place_error(exc: services.CallRowError, main, sets, origin) -> None:
    """Show the loader's refusal beside the field it names."""
    message = " ".join(exc.messages)
    if exc.section is None:
        field = exc.field if exc.field in main.fields else None
        main.add_error(field, message)
        return
    forms_used = origin.get(exc.section, [])
    target = None
    if exc.key is not None and exc.key.isdigit() and int(exc.key) < len(forms_used):
        target = forms_used[int(exc.key)]
    else:
        target = next((f for f in forms_used if f.cleaned_data.get("code") == exc.key), None)
    if target is None:
        sets[exc.section].non_form_errors().append(message)
        main.add_error(None, message)
        return
    field = exc.field if exc.field in target.fields else None
    if field is None and exc.field == "deadline_at":
        field = "deadline"
    target.add_error(field, message)


def _render_builder(request, *, main, sets, call=None, province=None):
    return render(request, "programs/call_builder.html", {
        "call": call, "province": province, "main": main, "sets": sets,
        "labels": SECTION_LABELS,
    })


@login_required
def call_build(request):
    """A new call built in forms (a draft of the officer's province)."""
    actor = request.actor
    decision = can_build_call(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    province = Region.objects.get(pk=actor.province_id)
    initial = {"year": timezone.localdate().year, "kind": "application"}
    main, sets = _builder_forms(request, province, initial_row=initial)
    if request.method == "POST" and main.is_valid() and all(s.is_valid() for s in sets.values()):
        row, templates, origin = _builder_row(main, sets)
        row["province"] = province.code
        try:
            call = services.call_create(actor=actor, row=row, templates=templates)
        except services.CallRowError as exc:
            _place_error(exc, main, sets, origin)
        else:
            messages.success(request, _("The call has been saved as a draft. Preview it, then publish it."))
            return redirect("call-detail", code=call.code)
    if request.method == "POST":
        messages.error(request, _("Nothing was saved: correct the fields marked below."))
    return _render_builder(request, main=main, sets=sets, province=province)


@login_required
def call_build_edit(request, code: str):
    """Everything of a draft call, in forms."""
    call = _managed_call(request, code)
    decision = can_edit_call_draft(request.actor, call)
    if not decision:
        if not can_change_call(request.actor, call):
            raise Http404(_("No such call."))
        messages.info(request, decision.reason)
        return redirect("call-edit", code=code)
    main, sets = _builder_forms(request, call.province, initial_row=call_to_row(call), editing=True)
    if request.method == "POST" and main.is_valid() and all(s.is_valid() for s in sets.values()):
        row, templates, origin = _builder_row(main, sets)
        try:
            services.call_save_draft(actor=request.actor, call=call, row=row, templates=templates)
        except services.CallRowError as exc:
            _place_error(exc, main, sets, origin)
        else:
            messages.success(request, _("The draft has been saved."))
            return redirect("call-detail", code=code)
    if request.method == "POST":
        messages.error(request, _("Nothing was saved: correct the fields marked below."))
    return _render_builder(request, main=main, sets=sets, call=call, province=call.province)


@login_required
def call_export(request, code: str):
    call = _managed_call(request, code)
    response = HttpResponse(services.call_export(call=call), content_type="application/x-yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{call.code}.yaml"'
    return response


@login_required
def call_preview(request, code: str):
    """The call as an applicant of a chosen region would see it (the officer picks the region and
    the kind of organization)."""
    call = _managed_call(request, code)
    decision = can_change_call(request.actor, call)
    if not decision:
        raise Http404(_("No such call."))
    regions = list(Region.objects.filter(province_id=call.province_id, level=RegionLevel.COUNTY)
                   .select_related("parent__parent").order_by("code"))
    region = next((r for r in regions if r.code == request.GET.get("region")), None)
    kind = request.GET.get("kind") if request.GET.get("kind") in OrgKind.values else OrgKind.ENTERPRISE
    context = {"call": call, "regions": regions, "region": region, "kind": kind,
               "kinds": [(k, label) for k, label in OrgKind.choices if k in APPLICANT_KINDS]}
    if region is not None:
        context["seen"] = preview_as_applicant(call, region=region, kind=kind)
    return render(request, "programs/call_preview.html", context)


@login_required
def call_confirm(request, code: str, move: str):
    """Publishing and closing ask first (the form posts to call-publish / call-close)."""
    call = _managed_call(request, code)
    transition = workflow.move(move)
    if transition is None or not can_change_call(request.actor, call):
        raise Http404(_("No such call."))
    decision = workflow.check(request.actor, call, move)
    (call,) = with_deadlines(request.actor, [call])
    return render(request, "programs/call_confirm.html", {
        "call": call, "move": move, "transition": transition, "decision": decision,
    })


@login_required
def call_quota_import(request, code: str):
    """Quotas per city and county of a draft call from an XLSX table (checked, all or none)."""
    call = _managed_call(request, code)
    if not can_change_call(request.actor, call):
        raise Http404(_("No such call."))
    decision = can_edit_call_draft(request.actor, call)
    if not decision:
        messages.info(request, decision.reason)
        return redirect("call-detail", code=code)
    return import_page(
        request, key=f"quotas:{call.pk}", template="programs/quota_import.html", context={"call": call},
        check=lambda content: imports.quotas_import_check(actor=request.actor, call=call, content=content),
        store=lambda content: imports.quotas_import(actor=request.actor, call=call, content=content),
        done=lambda stored: reverse("call-detail", args=[code]) + "#quota",
        success=lambda stored: _("The quotas have been stored."),
    )
