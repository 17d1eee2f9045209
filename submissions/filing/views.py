"""The applicant's pages: 我的政策 (the calls it may apply to, and why not the others), the
commitment letter, the application form (autosave, live self-score, uploads), submission and the
receipt, 我的业务 (its applications) with the timeline of each. Thin: parse, ask portal.access,
call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from portal import access, json_input
from portal.audit_labels import action_label
from programs.deadlines import filing_deadline
from programs.policy import can_view_call
from programs.selectors import call_detail_queryset
from submissions import workflow
from submissions.constants import FINAL_STATUSES, Level, MemberRole, Status
from submissions.embargo import application_timeline, as_seen_by_applicant
from submissions.filing import services, versions
from submissions.filing.uploads import (
    UploadRefused,
    accept_attribute,
    allowed_types,
    attachment_response,
    describe_types,
)
from submissions.forms import (
    ANNUAL_FIGURES,
    BUREAU_KEYS,
    CommitmentForm,
    MemberInviteForm,
    UploadForm,
    WithdrawForm,
    clean_targets,
    collect_post,
    form_spec,
    value_of,
)
from submissions.models import Attachment
from submissions.policy import (
    applications_visible,
    can_edit_application,
    can_follow_applications,
    can_manage_application_members,
    can_start_application,
    can_upload_attachment,
    can_view_attachment,
    draft_conflicts_visible,
)
from submissions.progress import application_by_receipt, application_progress, current_step, lookup_allowed
from submissions.publicity.selectors import publications_of
from submissions.returns import path_unlocked, reasons_by_target, return_targets, returned_editable


def _actor(request):
    return access.actor_of(request)


def _require_applicant(request):
    actor = _actor(request)
    decision = can_follow_applications(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    return actor


def _app_or_404(actor, pk):
    app = services.applications_for_list(actor).filter(pk=pk).first()
    if app is None:
        raise Http404(_("No such application in your scope."))
    return app


def _app_to_save_or_404(actor, pk):
    """The one application a save is for: one query by primary key within what the actor may see
    (no list annotations); the service checks under its row lock whether the actor may change it."""
    app = applications_visible(actor).select_related(None).select_related("call__program").filter(pk=pk).first()
    if app is None:
        raise Http404(_("No such application in your scope."))
    return app


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") in ("fetch", "XMLHttpRequest") or "application/json" in \
        request.headers.get("Accept", "")




def _status_label(state: str) -> str:
    status, _at, level = (state or "").partition("@")
    try:
        text = str(Status(status).label)
    except ValueError:
        return state
    if level:
        try:
            text += " · " + str(Level(level).label)
        except ValueError:
            pass
    return text


# --- 我的政策 -------------------------------------------------------------------------------------


@login_required
def policies(request):
    actor = _require_applicant(request)
    year, declared, facts = services.declared_figures(actor.organization)
    figures = {**facts, **declared}
    tried = False
    for key, value in request.GET.items():
        if key.startswith("fig-") and value.strip():
            figures[key[4:]] = value.strip()
            tried = True
    rows = services.policy_rows(actor, figures=figures)
    keys = []
    for row in rows:
        for c in row.call.conditions.all():
            for key in (c.input_key, c.denominator_key):
                if key and key not in BUREAU_KEYS and key not in keys and c.kind in ("threshold", "ratio"):
                    keys.append(key)
    figure_fields = [{"key": k, "label": ANNUAL_FIGURES.get(k, (k, ""))[0], "unit": ANNUAL_FIGURES.get(k, ("", ""))[1],
                      "value": figures.get(k, "")} for k in keys if k in ANNUAL_FIGURES]
    only_open = request.GET.get("show") == "open"
    # the organization's own province first; the other provinces' calls only when asked for
    region = actor.organization.region
    own_province = region.province_id or region.pk
    mine = [r for r in rows if r.call.province_id == own_province or r.application]
    others = [r for r in rows if not (r.call.province_id == own_province or r.application)]
    show_others = request.GET.get("others") == "1"
    listed = mine + others if show_others else mine
    shown = [r for r in listed if r.can_apply or r.application] if only_open else listed
    return render(request, "submissions/applicant/policies.html", {
        "rows": shown, "count_open": sum(1 for r in mine if r.can_apply), "figure_fields": figure_fields,
        "declared_year": year, "tried": tried, "only_open": only_open, "now": timezone.now(),
        "may_file": access.can_file(actor), "show_others": show_others, "count_others": len(others),
        "own_province": region.province or region,
    })


# --- commitment and start ---------------------------------------------------------------------


@login_required
def apply(request, code: str):
    actor = _require_applicant(request)
    call = call_detail_queryset(actor).filter(code=code).first()
    if call is None:
        raise Http404(_("No such call."))
    existing = services.Application.objects.filter(call=call, organization=actor.organization).exclude(
        status=Status.WITHDRAWN).first()
    if existing:
        return redirect("applicant-application-edit", pk=existing.pk)
    decision = can_start_application(actor, call)
    form = CommitmentForm(request.POST or None)
    has_letter = bool((call.commitment_text or "").strip())
    if request.method == "POST":
        if not decision:
            raise PermissionDenied(decision.reason)
        if not has_letter or form.is_valid():
            try:
                if has_letter and not services.commitment_accepted(call, actor.organization):
                    services.commitment_accept(actor=actor, call=call, ip_address=_ip(request))
                app = services.application_start(actor=actor, call=call)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Your application has been opened. It is saved as you type."))
                return redirect("applicant-application-edit", pk=app.pk)
    deadline = filing_deadline(call=call, region=actor.organization.region, organization_id=actor.organization.pk)
    return render(request, "submissions/applicant/apply.html", {
        "call": call, "form": form, "decision": decision, "has_letter": has_letter, "deadline": deadline,
        "spec": form_spec(call),
    })


# --- the form ---------------------------------------------------------------------------------


def _field_row(f, app, locked_all, unlocked, data=None, inputs=None, reasons=None):
    data = app.data if data is None else data
    inputs = app.score_inputs if inputs is None else inputs
    value = value_of(f, data or {}, inputs or {})
    locked = locked_all or (unlocked is not None and not path_unlocked(f.path, unlocked))
    return {"f": f, "name": f.path, "value": "" if value is None else value, "locked": locked,
            "reasons": _field_reasons(f.path, reasons or {})}


def _field_reasons(path: str, reasons: dict) -> list[str]:
    """The bureau's reasons naming this field (a figure is named once for all its years)."""
    found = list(reasons.get(f"field:{path}", []))
    head, _dot, key = path.rpartition(".")
    if head.startswith(("figures.", "facts", "inputs")) and key:
        found += reasons.get(f"input:{key}", [])
    return found


def _unlocked(app):
    if app.status != Status.RETURNED:
        return None
    everything, paths, _materials = returned_editable(app)
    return None if everything else paths


def form_context(actor, app, spec=None):
    spec = spec or form_spec(app.call)
    can_edit = can_edit_application(actor, app)
    locked_all = not can_edit
    unlocked = _unlocked(app)
    reasons = reasons_by_target(app) if app.status == Status.RETURNED else {}
    row = lambda f: _field_row(f, app, locked_all, unlocked, reasons=reasons)  # noqa: E731
    figure_rows = []
    for key in spec.figure_keys:
        cells = [{**row(f), "year": f.path.split(".")[1]} for f in spec.figures if f.path.endswith("." + key)]
        figure_rows.append({"key": key, "label": cells[0]["f"].label, "unit": cells[0]["f"].unit, "cells": cells,
                            "reasons": reasons.get(f"input:{key}", [])})
    outline_parts = []
    if spec.outline:
        for part in spec.outline.parts:
            outline_parts.append({"title": part.title, "fields": [
                row(f) for f in spec.section_fields() if f.path.split(".", 1)[1] in {s.key for s in part.sections}]})
    targets = clean_targets((app.data or {}).get("targets"), spec.outline) if spec.outline else []
    targets_locked = locked_all or (unlocked is not None and not path_unlocked("targets", unlocked))
    blank_rows = 0 if targets_locked else 2
    target_rows = [[{"key": k, "value": r.get(k, "")} for k, _h in spec.outline.columns] for r in targets] + [
        [{"key": k, "value": ""} for k, _h in spec.outline.columns] for _i in range(blank_rows)] if spec.outline else []
    attachments = list(app.attachments.select_related("uploaded_by").order_by("-uploaded_at"))
    slots = []
    for m in spec.materials:
        current = next((a for a in attachments if a.material_id == m.pk and a.is_current), None)
        slots.append({
            "material": m, "current": current, "types": describe_types(allowed_types(m)),
            "accept": accept_attribute(m), "can_upload": can_upload_attachment(actor, app, m),
            "history": [a for a in attachments if a.material_id == m.pk and not a.is_current],
            "anchor": f"m-{m.code}",
            "reasons": reasons.get(f"material:{m.code}", []),
        })
    figures = services.condition_figures(spec, app.data or {}, app.score_inputs or {})
    members = list(app.members.select_related("organization").order_by("role", "id"))
    conflicts = list(draft_conflicts_visible(actor, app).filter(resolved_at__isnull=True,
                                                                       user=actor.user)[:5])
    return {
        "app": app, "spec": spec, "can_edit": can_edit, "locked_all": locked_all,
        "profile": [row(f) for f in spec.profile], "summary": row(spec.summary) if spec.summary else None,
        "figure_rows": figure_rows, "facts": [row(f) for f in spec.facts], "inputs": [row(f) for f in spec.inputs],
        "declarations": [row(f) for f in spec.declarations], "outline_parts": outline_parts,
        "target_rows": target_rows, "targets_locked": targets_locked,
        "slots": slots, "calc": services.score_panel(spec, app.score_inputs or {}),
        "condition_rows": services.condition_rows(spec, figures), "members": members,
        "can_manage_members": can_manage_application_members(actor, app) if spec.multi else None,
        "member_form": MemberInviteForm(), "upload_form": UploadForm(), "conflicts": conflicts,
        "return_reasons": _reasons(app), "deadline": services.next_deadline(app),
        # the reasons naming a whole section, shown at its head
        "section_reasons": {name: reasons.get(f"field:{name}", []) for name in (
            "profile", "figures", "facts", "inputs", "sections", "targets", "declarations")} | {
            "members": reasons.get("members", [])},
        "is_lead": app.organization_id == actor.organization.pk,
        "save_state": {"state": "saved", "css": "saved"},
        "live_url": None if locked_all else reverse("applicant-score", args=[app.pk]),
    }


def _reasons(app):
    labels = {t.value: t.label for t in return_targets(form_spec(app.call))} if app.return_reasons else {}
    out = []
    for entry in app.return_reasons or []:
        if isinstance(entry, dict):
            target = str(entry.get("target") or "")
            label = (labels.get(target) if target != "general" else "") or entry.get("label") or entry.get("key") or ""
            out.append({"key": label, "target": target, "reason": entry.get("text") or entry.get("reason") or ""})
        else:
            out.append({"key": "", "target": "general", "reason": str(entry)})
    return out


@login_required
def application_edit(request, pk: int):
    actor = _require_applicant(request)
    app = _app_or_404(actor, pk)
    spec = form_spec(app.call)
    if request.method == "POST":  # the form without JavaScript
        data, inputs = collect_post(spec, request.POST)
        outcome = services.application_save_draft(actor=actor, application=app,
                                                  base_version=request.POST.get("version"), data=data,
                                                  score_inputs=inputs)
        if outcome.saved:
            messages.success(request, _("Saved."))
            for path, message in outcome.warnings.items():
                field = spec.field(path)  # the field by its label, never its key
                messages.warning(request, f"{services.field_label(field)}: {message}" if field else message)
            return redirect("applicant-application-edit", pk=app.pk)
        messages.error(request, outcome.refused)
        if outcome.conflict:
            return redirect("applicant-conflict", pk=app.pk, conflict_id=outcome.conflict.pk)
        return redirect("applicant-application-edit", pk=app.pk)
    context = form_context(actor, as_seen_by_applicant(app), spec)
    if "check" in request.GET and context["can_edit"]:
        # arriving from a refused submission: the items to settle, on top and beside their fields
        problems = services.submission_problems(app, spec=spec)
        context.update(problem_list=[(p.target, p.message) for p in problems],
                       problem_map={p.target: p.message for p in problems if p.target},
                       problem_note=_("Your draft is kept as it is."))
    return render(request, "submissions/applicant/form.html", context)


SAVE_STATE_CSS = {"saved": "saved", "conflict": "conflict", "locked": "conflict", "refused": "error",
                  "invalid": "error"}


def _save_state_response(request, status: int, **save):
    """The autosave's answer to htmx: the status line of the form (swapped in place), with the
    draft's new version out of band after a save. The X-Save-State header tells the form's script
    (applicant.js) what happened; a response without it (a sign-in page, a server error) is not
    swapped in and the typed text stays kept in the browser."""
    save["css"] = SAVE_STATE_CSS[save["state"]]
    save["version_oob"] = save["state"] == "saved"
    response = render(request, "submissions/applicant/_save_state.html", {"save": save}, status=status)
    response["X-Save-State"] = save["state"]
    return response


@login_required
@require_POST
@vary_on_headers("HX-Request")
def application_autosave(request, pk: int):
    """Autosave of the form: the form's fields, or a JSON body ``{"version", "data", "score_inputs"}``
    as the API's PATCH takes it (read by portal.json_input: NaN and Infinity are refused with a 400
    and nothing is saved). To htmx (the form page) it answers with the status line partial; to other
    callers (scripts, the tests) with JSON. Same checks, same service, same status codes."""
    actor = _require_applicant(request)
    app = _app_to_save_or_404(actor, pk)
    partial = bool(getattr(request, "htmx", False))
    spec = None
    if request.content_type == "application/json":
        try:
            body = json_input.read_body(request)
        except json_input.BadJSON as exc:
            return JsonResponse({"status": "invalid", "detail": str(exc)}, status=400)
        if not isinstance(body, dict):
            return JsonResponse({"status": "invalid", "detail": _("The body must be a JSON object.")}, status=400)
        version, data, inputs = body.get("version"), body.get("data") or {}, body.get("score_inputs") or {}
    else:
        spec = form_spec(app.call)
        data, inputs = collect_post(spec, request.POST)
        version = request.POST.get("version")
    try:
        outcome = services.application_save_draft(actor=actor, application=app, base_version=version, data=data,
                                                  score_inputs=inputs, spec=spec)
    except PermissionDenied as exc:
        if partial:
            return _save_state_response(request, 403, state="refused", detail=str(exc))
        return JsonResponse({"status": "refused", "detail": str(exc)}, status=403)
    except ValidationError as exc:
        if partial:
            return _save_state_response(request, 400, state="invalid", detail=" ".join(exc.messages))
        return JsonResponse({"status": "invalid", "detail": " ".join(exc.messages)}, status=400)
    saved = outcome.application
    conflict_url = reverse("applicant-conflict", args=[saved.pk, outcome.conflict.pk]) if outcome.conflict else ""
    if outcome.saved:
        saved_at = timezone.localtime(saved.updated_at).strftime("%H:%M:%S")
        if partial:
            return _save_state_response(request, 200, state="saved", at=saved_at, version=saved.version,
                                        warnings=outcome.warnings)
        return JsonResponse({
            "status": "saved", "version": saved.version, "saved_at": saved_at,
            "self_score": None if saved.self_score is None else str(saved.self_score),
            "warnings": outcome.warnings,
        })
    state = "conflict" if not outcome.locked else "locked"
    if partial:
        return _save_state_response(request, 409, state=state, detail=outcome.refused, conflict_url=conflict_url)
    who = saved.updated_by.display_name() if saved.updated_by else ""
    return JsonResponse({
        "status": state,
        "detail": outcome.refused, "version": saved.version, "current_version": saved.version,
        "updated_by": who, "updated_at": timezone.localtime(saved.updated_at).strftime("%Y-%m-%d %H:%M:%S"),
        "conflict_url": conflict_url,
        "locked": outcome.locked,
    }, status=409)


@login_required
@require_POST
def application_score(request, pk: int):
    """The live self-score for the figures being typed (nothing is saved here)."""
    actor = _require_applicant(request)
    app = _app_to_save_or_404(actor, pk)
    spec = form_spec(app.call)
    data, typed = collect_post(spec, request.POST)
    merged = services._deep_merge(app.data or {}, data)
    old_typed = services.typed_inputs(spec, app.score_inputs)
    inputs = services.rubric_inputs(spec, merged, {**old_typed, **typed})
    figures = services.condition_figures(spec, merged, {**old_typed, **typed})
    return render(request, "submissions/applicant/_self_score.html", {
        "calc": services.score_panel(spec, inputs), "spec": spec,
        "condition_rows": services.condition_rows(spec, figures),
        "live_url": reverse("applicant-score", args=[app.pk]),  # the panel keeps following the figures
    })


# --- materials --------------------------------------------------------------------------------


@login_required
@require_POST
def material_upload(request, pk: int, material_id: int):
    actor = _require_applicant(request)
    app = _app_to_save_or_404(actor, pk)
    material = app.call.materials.filter(pk=material_id).first()
    if material is None:
        raise Http404(_("This call asks for no such material."))
    form = UploadForm(request.POST, request.FILES)
    error, reason, attachment = "", "", None
    if not form.is_valid():
        error = _("Choose a file to upload.")
    else:
        upload = form.cleaned_data["file"]
        try:
            attachment = services.attachment_upload(actor=actor, application=app, material=material, file=upload,
                                                    filename=form.cleaned_data.get("filename") or upload.name)
        except (UploadRefused, ValidationError) as exc:
            error = " ".join(exc.messages)
            reason = getattr(exc, "reason", "invalid")
        except PermissionDenied as exc:
            if _wants_json(request):
                return JsonResponse({"status": "refused", "detail": str(exc)}, status=403)
            raise
    if _wants_json(request):
        if error:
            return JsonResponse({"status": "refused", "detail": error, "reason": reason}, status=400)
        return JsonResponse({
            "status": "stored", "id": attachment.pk, "name": attachment.original_name, "size": attachment.size,
            "sha256": attachment.sha256, "content_type": attachment.content_type,
            "url": reverse("application-file", args=[app.pk, attachment.pk]),
        }, status=201)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("“%(name)s” has been stored.") % {"name": attachment.original_name})
    return redirect(reverse("applicant-application-edit", args=[app.pk]) + f"#m-{material.code}")


@login_required
@require_POST
def attachment_remove(request, pk: int, attachment_id: int):
    actor = _require_applicant(request)
    app = _app_or_404(actor, pk)
    attachment = app.attachments.filter(pk=attachment_id, is_current=True).select_related("material").first()
    if attachment is None:
        raise Http404
    services.attachment_remove(actor=actor, attachment=attachment)
    messages.success(request, _("The file has been taken out of the application (it stays on record)."))
    return redirect(reverse("applicant-application-edit", args=[app.pk]) + f"#m-{attachment.material.code}")


@login_required
def attachment_download(request, pk: int, attachment_id: int):
    """A stored file, for whoever may read its application (applicant, member units, the bureaus
    in scope once submitted). The URL holds ids only; the stored name is random and never served."""
    actor = _actor(request)
    attachment = Attachment.objects.select_related("application", "material").filter(
        pk=attachment_id, application_id=pk).first()
    if attachment is None or not applications_visible(actor).filter(pk=pk).exists():
        raise Http404(_("No such file in your scope."))
    decision = can_view_attachment(actor, attachment)
    if not decision:
        raise Http404(decision.reason)
    return attachment_response(attachment, inline=request.GET.get("inline") == "1")


def material_template(request, code: str, material_id: int):
    actor = _actor(request)
    call = call_detail_queryset(actor).filter(code=code).first()
    if call is None or not can_view_call(actor, call):
        raise Http404
    material = call.materials.filter(pk=material_id).first()
    if material is None or not material.template:
        raise Http404(_("This material has no template."))

    try:
        handle = material.template.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=material.template.name.rsplit("/", 1)[-1])
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- submission ---------------------------------------------------------------------------------


@login_required
def application_submit(request, pk: int):
    actor = _require_applicant(request)
    app = _app_or_404(actor, pk)
    resubmit = app.status == Status.RETURNED
    name = "resubmit" if resubmit else "submit"
    problems = []
    if request.method == "POST":
        try:
            fn = services.application_resubmit if resubmit else services.application_submit
            receipt = fn(actor=actor, application=app)
        except services.SubmissionRefused as exc:
            problems = exc.problems
            messages.error(request, _("The application was not submitted: %(n)d item(s) to settle below. Your draft "
                                      "is kept as it is.") % {"n": len(problems)})
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("applicant-application", pk=app.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("applicant-application", pk=app.pk)
        else:
            messages.success(request, _("Submitted. Keep the receipt number: %(number)s.") % {"number": receipt.number})
            return redirect("applicant-receipt", pk=app.pk, receipt_id=receipt.pk)
    elif app.status in (Status.DRAFT, Status.RETURNED):
        problems = services.submission_problems(app)
    refused = workflow.refusal(actor, app, name)
    shown = as_seen_by_applicant(app)
    return render(request, "submissions/applicant/submit.html", {
        "app": shown, "problems": problems, "resubmit": resubmit,
        "problem_list": [(p.target, p.message) for p in problems], "problem_note": _("Your draft is kept as it is."),
        # the button is off when the workflow refuses; its reason is shown unless it is among the problems
        "decision": None if refused is None else refused.decision,
        "reason_listed": refused is not None and refused.code in workflow.FILING_CODES and bool(problems),
        "deadline": services.next_deadline(shown),
    })


def _with_slot_names(app, attachments: list[dict]) -> list[dict]:
    """The receipt's files with the name of the material slot each was given for (two files can have
    the same name: the slot tells them apart)."""
    names = dict(app.call.materials.values_list("code", "name"))
    return [{**a, "slot": names.get(a.get("material"), "")} for a in attachments]


@login_required
def receipt_detail(request, pk: int, receipt_id: int):
    actor = _require_applicant(request)
    app = _app_or_404(actor, pk)
    receipt = app.receipts.filter(pk=receipt_id).select_related("submitted_by").first()
    if receipt is None:
        raise Http404
    return render(request, "submissions/applicant/receipt.html", {
        "app": as_seen_by_applicant(app), "receipt": receipt,
        "verified": services.fingerprint(receipt.snapshot) == receipt.fingerprint,
        "attachments": _with_slot_names(app, receipt.snapshot.get("attachments", [])),
        "members": receipt.snapshot.get("members", []),
    })


@login_required
@require_POST
def application_withdraw(request, pk: int):
    actor = _require_applicant(request)
    app = _app_or_404(actor, pk)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.application_withdraw(actor=actor, application=app, reason=reason)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("The application has been withdrawn."))
    return redirect("applicant-application", pk=app.pk)


# --- member units -------------------------------------------------------------------------------


@login_required
@require_POST
def member_invite(request, pk: int):
    actor = _require_applicant(request)
    app = _app_or_404(actor, pk)
    form = MemberInviteForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    else:
        try:
            services.member_invite(actor=actor, application=app, base_url=request.build_absolute_uri("/")[:-1],
                                   **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The member unit has been added."))
    return redirect(reverse("applicant-application-edit", args=[app.pk]) + "#members")


@login_required
@require_POST
def member_remove(request, pk: int, member_id: int):
    actor = _require_applicant(request)
    app = _app_or_404(actor, pk)
    member = app.members.filter(pk=member_id).first()
    if member is None:
        raise Http404
    try:
        services.member_remove(actor=actor, member=member)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("applicant-application-edit", args=[app.pk]) + "#members")


# --- conflicts ------------------------------------------------------------------------------------


@login_required
def conflict_detail(request, pk: int, conflict_id: int):
    actor = _require_applicant(request)
    app = _app_or_404(actor, pk)
    conflict = draft_conflicts_visible(actor, app).filter(pk=conflict_id).first()
    if conflict is None:
        raise Http404
    if request.method == "POST":
        keep = request.POST.get("keep", "")
        try:
            outcome = services.draft_conflict_resolve(actor=actor, conflict=conflict, keep=keep)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if outcome is not None and not outcome.saved:
                messages.error(request, outcome.refused)
            else:
                messages.success(request, _("Settled. Both versions stay on record."))
                return redirect("applicant-application-edit", pk=app.pk)
    spec = form_spec(app.call)
    rows = []
    for f in spec.scalar_fields():
        mine = value_of(f, conflict.data or {}, conflict.score_inputs or {})
        if mine is None:
            continue
        theirs = value_of(f, app.data or {}, app.score_inputs or {})
        rows.append({"label": f.label, "path": f.path, "mine": mine, "theirs": "" if theirs is None else theirs,
                     "differs": str(mine) != str("" if theirs is None else theirs)})
    if "targets" in (conflict.data or {}):
        rows.append({"label": _("Target table"), "path": "targets", "mine": conflict.data.get("targets"),
                     "theirs": (app.data or {}).get("targets"),
                     "differs": conflict.data.get("targets") != (app.data or {}).get("targets")})
    return render(request, "submissions/applicant/conflict.html",
                  {"app": as_seen_by_applicant(app), "conflict": conflict, "rows": rows})


@login_required
def draft_versions(request, pk: int):
    """The saved versions of a draft; `?v=N` compares version N with the current text; POST restores it."""
    actor = _require_applicant(request)
    app = _app_or_404(actor, pk)
    if request.method == "POST":
        try:
            outcome = versions.draft_version_restore(actor=actor, application=app,
                                                     version=int(request.POST.get("version", "0") or 0),
                                                     base_version=request.POST.get("base_version"))
        except (ValidationError, ValueError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            if outcome.saved:
                messages.success(request, _("The version has been restored as a new version; the text it replaced "
                                            "stays in the history."))
                return redirect("applicant-application-edit", pk=app.pk)
            messages.error(request, outcome.refused)
        return redirect(reverse("applicant-draft-versions", args=[app.pk]))
    rows = list(versions.history(actor, app)[:200])
    shown = None
    try:
        wanted = int(request.GET.get("v", "") or 0)
    except ValueError:
        wanted = 0
    compare = []
    if wanted:
        shown = next((r for r in rows if r.version == wanted), None)
        if shown is None:
            raise Http404(_("No such version of the draft."))
        spec = form_spec(app.call)
        for f in spec.scalar_fields():
            then = value_of(f, shown.data or {}, shown.score_inputs or {})
            now = value_of(f, app.data or {}, app.score_inputs or {})
            if then is None and now is None:
                continue
            then, now = "" if then is None else then, "" if now is None else now
            compare.append({"label": f.label, "then": then, "now": now, "differs": str(then) != str(now)})
    return render(request, "submissions/applicant/versions.html", {
        "app": as_seen_by_applicant(app), "rows": rows, "shown": shown, "compare": compare,
        "can_restore": can_edit_application(actor, app),
    })


# --- 我的业务 ------------------------------------------------------------------------------------


@login_required
def application_list(request):
    actor = _require_applicant(request)
    qs = services.applications_for_list(actor)
    status = request.GET.get("status", "")
    if status in Status.values:
        qs = qs.filter(applicant_status=status)  # by the status the applicant sees
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = []
    for app in map(as_seen_by_applicant, page.object_list):
        rows.append({
            "app": app, "is_lead": app.organization_id == actor.organization.pk, "receipt": app.current_receipt(),
            "deadline": services.next_deadline(app), "last_action": action_label(f"application.{app.last_action}")
            if app.last_action else "", "final": app.status in FINAL_STATUSES,
        })
    return render(request, "submissions/applicant/list.html", {
        "page": page, "rows": rows, "status": status, "statuses": Status.choices, "now": timezone.now(),
        "publications": publications_of(r["app"].call_id for r in rows),
    })


@login_required
def application_detail(request, pk: int):
    actor = _require_applicant(request)
    app = _app_or_404(actor, pk)
    timeline = []
    for entry in application_timeline(actor, app):
        own = entry.actor_organization in (app.organization.name,)
        timeline.append({
            "entry": entry, "label": action_label(entry.action),
            "who": (entry.actor.display_name() if entry.actor and own else entry.actor_organization) or "—",
            "from": _status_label(entry.from_state), "to": _status_label(entry.to_state),
        })
    attachments = list(app.attachments.filter(is_current=True).select_related("material"))
    shown = as_seen_by_applicant(app)  # a decision shows once the call's result list is published
    names = {t.name for t in workflow.available(actor, app)}
    return render(request, "submissions/applicant/detail.html", {
        "app": shown, "timeline": timeline, "attachments": attachments,
        "receipts": list(app.receipts.order_by("-submitted_at")),
        "current_receipt": app.current_receipt(),
        "members": list(app.members.select_related("organization").order_by("role", "id")),
        "is_lead": app.organization_id == actor.organization.pk,
        "can_edit": can_edit_application(actor, app),
        "can_submit": bool(names & {"submit", "resubmit"}),
        "can_withdraw": "withdraw" in names,
        "blocked": [r.reason for _t, r in workflow.blocked(actor, app)],
        "deadline": services.next_deadline(shown), "return_reasons": _reasons(app),
        "withdraw_form": WithdrawForm(), "member_role": MemberRole,
        "progress": application_progress(app),
        "commitment": services.CommitmentAcceptance.objects.filter(
            call=app.call, organization=app.organization).select_related("user").order_by("-accepted_at").first(),
    })


def progress_lookup(request):
    """办件进度 for anyone holding a receipt: its number plus the organization's credit code give the
    application's current step and nothing else; look-ups are limited per client address."""
    step, not_found, limited = None, False, False
    number, code = request.GET.get("number", ""), request.GET.get("credit_code", "")
    if number or code:
        if not lookup_allowed(request.META.get("REMOTE_ADDR", "")):
            limited = True
        else:
            app = application_by_receipt(number, code)
            if app is None:
                not_found = True
            else:
                step = current_step(application_progress(app))
    response = render(request, "submissions/progress_lookup.html", {
        "step": step, "not_found": not_found, "limited": limited, "number": number, "credit_code": code,
    })
    if limited:
        response.status_code = 429
    response["Cache-Control"] = "private, no-store"
    return response
