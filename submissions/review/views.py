"""Pages of the review side: queues, the review file, actions, sign-off, quotas, deadlines,
conflicts of interest, result lists. Thin: parse, call a selector or a service, render."""

from __future__ import annotations

import datetime as dt
import mimetypes

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from portal import access
from portal.constants import RegionLevel
from portal.models import Region
from programs.deadlines import DeadlineBook
from programs.models import Call, Stage
from programs.policy import (
    can_extend_deadlines,
    can_grant_quota_exception,
    can_publish_results,
    can_view_call,
    stage_extensions_visible,
    stages_to_extend,
    stages_visible_for_review,
)
from programs.selectors import catalogue
from programs.workdays import end_of_day
from submissions import workflow
from submissions.conditions import score_rule
from submissions.constants import Level, Status
from submissions.deadlines import bureau_deadline
from submissions.embargo import (
    application_timeline,
    as_seen_by,
    published_results,
)
from submissions.forms import form_spec
from submissions.models import (
    Application,
    Attachment,
    QuotaException,
    Recommendation,
    ResultPublication,
    Review,
    SiteVisitPhoto,
)
from submissions.policy import (
    applications_visible,
    can_decide_at_all,
    can_recommend_at_all,
    can_view_review,
    can_view_timeline,
    can_work_review_queue,
    conflict_declarations_visible,
    quota_panel_regions,
    quota_region_of,
    quota_regions_visible,
    review_applications_visible,
    site_visits_visible,
)
from submissions.quotas import quota_region_for, quota_status, quota_statuses, quotas_by_city
from submissions.returns import resubmission_changes, return_targets
from submissions.review import deliberate_pages as deliberate
from submissions.review import services
from submissions.review.exports import applications_xlsx
from submissions.review.selectors import (
    QueueParams,
    queue_base,
    queue_filter_options,
    review_application,
    review_file,
    review_form,
    review_queue,
    scores_preview,
)
from submissions.routing import route_steps

INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}


def _review_side(actor) -> None:
    decision = can_work_review_queue(actor)
    if not decision:
        raise PermissionDenied(decision.reason)


def _get_app(actor, pk: int):
    app = review_application(actor, pk)
    if app is None:
        raise Http404(_("No such application in your scope."))
    decision = can_view_review(actor, app)
    if not decision:
        raise PermissionDenied(decision.reason)
    return app


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(str(m) for msgs in exc.message_dict.values() for m in msgs)
    return " ".join(str(m) for m in exc.messages)


def _back(request, default: str):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _run(request, fn, success: str, **kwargs) -> bool:
    """Call a service; a refusal by rule is a 403, a refusal by the case's conditions a message."""
    try:
        fn(actor=request.actor, **kwargs)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return False
    messages.success(request, success)
    return True


def _quota_panel(actor, calls) -> list:
    """The quota panel of the queue, for the calls shown: the bureau's own quota, a city's counties
    beside its own (the city's row counts the recommendations of all its counties), the province's
    cities. Four queries whatever the number of rows."""
    calls = list(calls[:10])
    if not calls:
        return []
    cities, counties = quota_panel_regions(actor, calls[0])
    order = {c.pk: i for i, c in enumerate(calls)}
    rows = [s for s in quota_statuses(calls=calls, regions=cities, level=Level.CITY)
            + quota_statuses(calls=calls, regions=counties, level=Level.COUNTY) if s.quota or s.used]
    return sorted(rows, key=lambda s: (order[s.call.pk], s.level != Level.CITY, s.region.code))


def _recommend_refused(actor, panel) -> str:
    """Why the queue offers no recommendation: every quota of the actor's own region shown is used up."""
    region = quota_region_of(actor)
    own = [s for s in panel if region is not None and s.region.pk == region.pk]
    if own and all(s.full for s in own):
        return " ".join(s.room.reason for s in own)
    return ""


# --- queue ---------------------------------------------------------------------------------------


def _wants_partial(request) -> bool:
    """An htmx request for a part of the page (not a boosted link nor a history restore, which
    want the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


@login_required
@vary_on_headers("HX-Request")
def queue(request):
    """The queue. The filter form and the pager ask through htmx for the table only (with the
    counts and quotas out of band) and push the URL; without JavaScript, the same GET gives the
    whole page. The same checks and the same selector either way."""
    actor = request.actor
    _review_side(actor)
    params = QueueParams.from_query(request.GET)
    options = queue_filter_options(actor)
    result = review_queue(actor, params, calls=options["calls"])
    calls = [c for c in options["calls"] if not params.call or c.pk == params.call]
    query = request.GET.copy()
    query.pop("page", None)
    status_query = query.copy()
    status_query.pop("status", None)
    template = "submissions/review/_queue_partial.html" if _wants_partial(request) else "submissions/review/queue.html"
    panel = _quota_panel(actor, calls)
    return render(request, template, {
        "queue": result,
        "options": options,
        "params": params,
        "query": query.urlencode(),
        "status_query": status_query.urlencode(),
        "quotas": panel,
        "recommend_refused": _recommend_refused(actor, panel),
        "sorts": [("-submitted", _("Newest submitted")), ("submitted", _("Oldest submitted")),
                  ("-score", _("Highest score")), ("score", _("Lowest score")), ("name", _("Name")),
                  ("-updated", _("Last changed"))],
        "can_recommend": bool(can_recommend_at_all(actor)),
        "can_decide": bool(can_decide_at_all(actor)),
        "decision_templates": services.decision_choices(),
        "now": timezone.now(),
    })


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _parse_datetime(value: str) -> dt.datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        day = _parse_date(value)
        if day is None:
            return None

        return end_of_day(day)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@login_required
@require_POST
def bulk(request):
    actor = request.actor
    _review_side(actor)
    action = request.POST.get("action", "")
    ids = [int(x) for x in request.POST.getlist("selected") if x.isdigit()]
    back = reverse("review-queue")
    if action == "export":
        rows = list(queue_base(actor).filter(pk__in=ids).select_related("organization", "call", "region")
                    .with_current_receipt().order_by("region__code", "organization__name"))
        if not rows:
            messages.error(request, _("Select at least one application."))
            return _back(request, back)
        data = applications_xlsx(rows, title=_("Selected applications"))
        response = HttpResponse(
            data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = content_disposition_header(True, f"{_('Selected applications')}-{stamp}.xlsx")
        return response
    try:
        if action == "recommend":
            outcome = services.applications_recommend(
                actor=actor, applications=ids, opinion=request.POST.get("opinion", ""),
                scores={pk: request.POST[f"score_{pk}"] for pk in ids if f"score_{pk}" in request.POST})
            messages.success(request, _("%(n)d applications recommended.") % {"n": len(outcome.done)})
        elif action == "return":
            outcome = services.applications_return(
                actor=actor, applications=ids, reason=request.POST.get("reason", ""),
                revision_deadline=_parse_datetime(request.POST.get("revision_deadline", "")))
            messages.success(request, _("%(n)d applications returned for revision.") % {"n": len(outcome.done)})
        else:
            messages.error(request, _("Choose an action."))
    except (ValidationError, PermissionDenied) as exc:
        text = _error_text(exc) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, _("Nothing was changed. %(reason)s") % {"reason": text})
    return _back(request, back)


# --- the review file ----------------------------------------------------------------------------------


@login_required
def detail(request, pk: int):
    actor = request.actor
    _review_side(actor)
    app = _get_app(actor, pk)
    file = review_file(actor, app)
    names = {t.name for t in workflow.available(actor, app)}
    deadline = bureau_deadline(application=app) if app.level else None
    quota = None
    if app.level in (Level.COUNTY, Level.CITY):
        region = quota_region_for(application=app, level=app.level)
        if region is not None:
            quota = quota_status(call=app.call, region=region, level=app.level)
            if quota.quota is None:
                quota = None
    work = workflow.check(actor, app, "review")  # corrections, scores, site visits, opinions
    blocked = []  # why a button is missing: a deadline passed, the quota is full
    recommend_refused = ""  # the recommend control is shown disabled, with this reason
    for transition, refused in workflow.blocked(actor, app):
        if refused.reason not in blocked:
            blocked.append(refused.reason)
        if transition.name == "recommend" and not recommend_refused:
            recommend_refused = refused.reason
    form = review_form(app, inputs=file["inputs"] or {}, corrections=file["corrections"])
    return render(request, "submissions/review/detail.html", {
        "app": app,
        "receipt": app.current_receipt(),
        **file,
        "form": form,
        "input_labels": {r.key: r.label for r in form["inputs"]},
        "names": names,
        "can_review": bool(work),
        "blocked": blocked,
        "recommend_refused": recommend_refused,
        "deadline": deadline,
        "quota": quota,
        "steps": route_steps(call=app.call, organization=app.organization, routing=app.routing or None,
                             region=app.region),
        "timeline": list(application_timeline(actor, app)),
        "return_targets": _return_choices(app) if "return" in names else [],
        "changes": resubmission_changes(app),
        "score_rule": score_rule(app) if "recommend" in names else None,
        "reason_rows": range(3),
        "today": timezone.localdate(),
        "default_revision": _default_revision(deadline),
        "decisions": [("approve", _("Recognize")), ("not_approve", _("Do not recognize")), ("pilot", _("Admit as pilot"))],
        "decision_templates": services.decision_choices(),
        "inline_types": INLINE_TYPES,
        "has_rubric": file["rubric"] is not None,
    })


def _default_revision(deadline) -> dt.date:
    """A week from today, but not after the stage's deadline (the bureau must act on the resubmission)."""
    day = timezone.localdate() + dt.timedelta(days=7)
    if deadline is not None and deadline.at is not None:
        day = min(day, timezone.localtime(deadline.at).date())
    return day


RETURN_GROUPS = (("general", gettext_lazy("The whole application")), ("section", gettext_lazy("Form sections")),
                 ("field", gettext_lazy("Single fields")), ("material", gettext_lazy("Materials")))


def _return_choices(app) -> list[tuple[str, list]]:
    """What a reason for return can point at (submissions.returns), grouped for the select."""
    targets = return_targets(form_spec(app.call))
    return [(label, [t for t in targets if t.group == group]) for group, label in RETURN_GROUPS
            if any(t.group == group for t in targets)]


def _detail(pk):
    return redirect("review-detail", pk=pk)


@login_required
@require_POST
def start(request, pk: int):
    app = _get_app(request.actor, pk)
    _run(request, services.review_start, _("The review has started."), application=app)
    return _detail(pk)


@login_required
@require_POST
def correct(request, pk: int):
    app = _get_app(request.actor, pk)
    _run(request, services.input_correct, _("The figure has been corrected and the score recomputed."),
         application=app, input_key=request.POST.get("input_key", ""), new_value=request.POST.get("new_value", ""),
         reason=request.POST.get("reason", ""))
    return _detail(pk)


@login_required
@require_POST
def score_preview(request, pk: int):
    """The scores table with the level picks of the form, not saved (the running totals)."""
    actor = request.actor
    _review_side(actor)
    app = _get_app(actor, pk)
    decision = workflow.check(actor, app, "review")
    if not decision:
        raise PermissionDenied(decision.reason)
    levels = {k[len("level_"):]: v for k, v in request.POST.items() if k.startswith("level_")}
    return render(request, "submissions/review/_scores_table.html", {"scores": scores_preview(app, levels)})


@login_required
@require_POST
def score_levels(request, pk: int):
    app = _get_app(request.actor, pk)
    levels = {k[len("level_"):]: v for k, v in request.POST.items() if k.startswith("level_")}
    _run(request, services.level_items_score, _("The items have been scored."), application=app, levels=levels,
         note=request.POST.get("note", ""))
    return _detail(pk)


class SiteVisitForm(forms.Form):
    visit_date = forms.DateField(label=gettext_lazy("Date of the visit"))
    people = forms.CharField(label=gettext_lazy("People"), max_length=300)
    findings = forms.CharField(label=gettext_lazy("Findings"), widget=forms.Textarea)


@login_required
@require_POST
def site_visit(request, pk: int):
    app = _get_app(request.actor, pk)
    form = SiteVisitForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return _detail(pk)
    _run(request, services.site_visit_record, _("The site verification has been recorded."), application=app,
         photos=request.FILES.getlist("photos"), **form.cleaned_data)
    return _detail(pk)


@login_required
@require_POST
def opinion(request, pk: int):
    app = _get_app(request.actor, pk)
    _run(request, services.review_opinion_save, _("The opinion has been saved."), application=app,
         opinion=request.POST.get("opinion", ""))
    return _detail(pk)


@login_required
@require_POST
def return_(request, pk: int):
    app = _get_app(request.actor, pk)
    reasons = [{"target": target, "text": text}
               for target, text in zip(request.POST.getlist("reason_target"), request.POST.getlist("reason_text"))
               if text.strip()]
    ok = _run(request, services.application_return, _("The application has been returned for revision."),
              application=app, reasons=reasons,
              revision_deadline=_parse_datetime(request.POST.get("revision_deadline", "")))
    return redirect("review-queue") if ok else _detail(pk)


@login_required
@require_POST
def reject(request, pk: int):
    app = _get_app(request.actor, pk)
    if not deliberate.confirmed(request) and workflow.check(request.actor, app, "reject"):  # else: refused below
        return deliberate.confirm_page(
            request, title=_("Confirm: do not recommend"), apps=[app],
            details=[(_("Reason"), request.POST.get("reason", ""))],
            question=_("Decide not to recommend this application? It cannot be undone."),
            button=_("Do not recommend"), cancel=reverse("review-detail", args=[pk]))
    _run(request, services.application_reject, _("The application is not recommended."), application=app,
         reason=request.POST.get("reason", ""))
    return _detail(pk)


@login_required
@require_POST
def recommend(request, pk: int):
    app = _get_app(request.actor, pk)
    ok = _run(request, services.application_recommend, _("The application has been recommended."), application=app,
              opinion=request.POST.get("opinion", ""), score=request.POST.get("score") or None)
    return redirect("review-queue") if ok else _detail(pk)


@login_required
@require_POST
def withdraw_recommendation(request, pk: int):
    app = _get_app(request.actor, pk)
    _run(request, services.application_withdraw_recommendation,
         _("The recommendation has been withdrawn; the application is under review again."),
         application=app, reason=request.POST.get("reason", ""))
    return _detail(pk)


@login_required
@require_POST
def decide(request, pk: int):
    app = _get_app(request.actor, pk)
    choice = request.POST.get("decision", "")
    if not deliberate.confirmed(request) and choice in services.DECISIONS and workflow.check(request.actor, app, choice):
        return deliberate.confirm_page(
            request, title=_("Confirm the decision"), apps=[app],
            details=deliberate.decision_details(request.POST.get("decision", ""), request.POST.get("comment", "")),
            question=_("Record this decision? It cannot be undone."),
            button=_("Record the decision"), cancel=reverse("review-detail", args=[pk]))
    _run(request, services.application_decide, _("The decision has been recorded."), application=app,
         decision=request.POST.get("decision", ""), comment=request.POST.get("comment", ""))
    return _detail(pk)


@login_required
@xframe_options_sameorigin
def attachment(request, pk: int, attachment_pk: int):
    """A material of the application, inline for PDF and images (behind the access check)."""
    app = _get_app(request.actor, pk)
    att = Attachment.objects.filter(application=app, pk=attachment_pk).first()
    if att is None:
        raise Http404(_("No such file."))
    return _stream(att.file, att.original_name, att.content_type)


@login_required
@xframe_options_sameorigin
def photo(request, pk: int):
    actor = request.actor
    _review_side(actor)
    row = SiteVisitPhoto.objects.filter(
        pk=pk, visit__in=site_visits_visible(actor).values("pk")).first()
    if row is None:
        raise Http404(_("No such file."))
    return _stream(row.file, row.original_name, row.content_type)


def _stream(field, name: str, content_type: str):
    inline = content_type in INLINE_TYPES
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404(_("The file is missing.")) from None
    response = FileResponse(handle, as_attachment=not inline, filename=name,
                            content_type=content_type if inline else (mimetypes.guess_type(name)[0]
                                                                      or "application/octet-stream"))
    response["X-Content-Type-Options"] = "nosniff"
    if inline:
        # sandboxed: no origin, no script, no form (Chromium's PDF viewer still shows a PDF; PDFs carrying
        # scripts, actions or embedded files are refused at upload)
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


@login_required
def timeline(request, pk: int):
    """The application's timeline: for everyone who may see the application (applicants too)."""
    actor = request.actor
    app = applications_visible(actor).filter(pk=pk).first()
    if app is None:
        raise Http404(_("No such application."))
    decision = can_view_timeline(actor, app)
    if not decision:
        raise Http404(decision.reason)
    published = app.call_id and _published(app.call)
    return render(request, "submissions/review/timeline.html", {
        "app": as_seen_by(actor, app),
        "timeline": list(application_timeline(actor, app)),
        "published": published,
        "review_side": bool(can_view_review(actor, app)),
    })


def _published(call):

    return ResultPublication.objects.filter(call=call).order_by("-published_at").first()


# --- the head's sign-off ----------------------------------------------------------------------------------


@login_required
def sign_off(request):
    actor = request.actor
    _review_side(actor)

    if request.method == "POST":
        call = Call.objects.filter(pk=request.POST.get("call") or 0).first()
        if call is None:
            raise Http404(_("No such call."))
        selected = [int(x) for x in request.POST.getlist("selected") if x.isdigit()]
        opinion = request.POST.get("opinion", "").strip()
        if not selected or not opinion:
            messages.error(request, _("Select the recommendations to sign off and write the head's opinion."))
            return redirect("review-sign-off")
        apps = [] if deliberate.confirmed(request) else list(
            services.sign_off_candidates(actor, call).filter(pk__in=selected)
            .select_related("organization", "region").order_by("region__code", "organization__name"))
        if apps and all(workflow.check(actor, a, "sign_off") for a in apps):
            return deliberate.confirm_page(
                request, title=_("Confirm the sign-off"), apps=apps,
                details=[(_("Call"), call.title), (_("Opinion of the head"), opinion),
                         (_("Signed off by"), actor.user.display_name())],
                question=_("Sign off these %(n)d recommendations and send them on? It cannot be undone.")
                % {"n": len(apps)},
                button=_("Sign off and send on"), cancel=reverse("review-sign-off"))
        try:
            outcome = services.sign_off_batch(actor=actor, call=call, applications=selected, opinion=opinion)
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("%(n)d recommendations signed off and sent on.") % {"n": len(outcome.done)})
        return redirect("review-sign-off")
    candidates = list(services.sign_off_candidates(actor).select_related("organization", "call", "region__city")
                      .order_by("call_id", "organization__name"))

    scores = {(r.application_id, r.level): r for r in Review.objects.filter(application__in=[a.pk for a in candidates])}
    batches: dict = {}
    for app in candidates:
        batch = batches.setdefault(app.call_id, {"call": app.call, "apps": [], "regions": {}})
        batch["apps"].append({"app": app, "review": scores.get((app.pk, app.level))})
        region = quota_region_for(application=app, level=app.level)
        if region is not None:
            batch["regions"][region.pk] = region
    for batch in batches.values():
        batch["quotas"] = [s for s in quota_statuses(calls=[batch["call"]], regions=list(batch["regions"].values()),
                                                     level=actor.level or "") if s.quota]
        # the button, or why there is none (not the head, a deadline passed, the quota): the batch's
        # first recommendation answers for it; the sign-off asks each again
        batch["decision"] = workflow.check(actor, batch["apps"][0]["app"], "sign_off")
    signed = (Recommendation.objects.filter(application__in=review_applications_visible(actor), level=actor.level or "",
                                            signed_off_at__isnull=False)
              .select_related("application__organization", "application__call", "signed_off_by")
              .order_by("-signed_off_at", "-id")[:30])
    return render(request, "submissions/review/sign_off.html", {"batches": list(batches.values()), "signed": signed})


# --- quotas --------------------------------------------------------------------------------------------------


def _calls_of_province(actor):
    region = actor.region
    qs = catalogue(actor)
    if region is not None and not access.can_operate_platform(actor):  # operators: every province
        qs = qs.filter(province_id=region.province_id)
    return list(qs.filter(quotas__isnull=False).distinct().order_by("-year", "code"))


@login_required
def quotas(request):
    actor = request.actor
    _review_side(actor)
    calls = _calls_of_province(actor)
    call = next((c for c in calls if str(c.pk) == (request.GET.get("call") or request.POST.get("call") or "")),
                calls[0] if calls else None)
    if request.method == "POST":
        if call is None:
            raise Http404(_("No such call."))
        region = Region.objects.filter(pk=request.POST.get("region") or 0).first()
        if region is None:
            messages.error(request, _("Choose a region."))
        else:
            try:
                services.quota_exception_grant(actor=actor, call=call, region=region, extra=request.POST.get("extra"),
                                               reason=request.POST.get("reason", ""))
            except ValidationError as exc:
                messages.error(request, _error_text(exc))
            else:
                messages.success(request, _("The exception has been granted."))
        return redirect(f"{reverse('review-quotas')}?call={call.pk}")
    rows, groups = [], []
    regions_for_exceptions = []
    if call is not None:
        cities, counties = quota_regions_visible(actor, call)
        city_rows = quota_statuses(calls=[call], regions=cities, level=Level.CITY)
        county_rows = quota_statuses(calls=[call], regions=counties, level=Level.COUNTY)
        rows = [s for s in city_rows + county_rows if s.quota or s.used]
        groups = quotas_by_city(city_rows, county_rows)
        regions_for_exceptions = cities + counties

    exceptions = []
    if call is not None:
        exceptions = list(QuotaException.objects.filter(call=call, region__in=[r.region for r in rows] or [0])
                          .select_related("region", "granted_by").order_by("-granted_at"))
    return render(request, "submissions/review/quotas.html", {
        "calls": calls, "call": call, "rows": rows, "groups": groups, "exceptions": exceptions,
        "totals": {"used": sum(g.status.used for g in groups if g.status is not None),
                   "county_used": sum(g.used for g in groups)},
        "can_grant": call is not None and bool(can_grant_quota_exception(actor, call)),
        "regions": regions_for_exceptions,
    })


# --- deadlines ----------------------------------------------------------------------------------------------------


@login_required
def deadlines(request):
    actor = request.actor
    _review_side(actor)

    if request.method == "POST":
        stage = Stage.objects.select_related("call").filter(pk=request.POST.get("stage") or 0).first()
        if stage is None or not can_view_call(actor, stage.call):
            raise Http404(_("No such stage."))
        region = Region.objects.filter(pk=request.POST.get("region") or 0).first() if request.POST.get("region") else None
        code = (request.POST.get("organization") or "").strip().upper()
        organization = access.organizations_visible(actor).filter(credit_code=code).first() if code else None
        if code and organization is None:
            messages.error(request, _("No organization with this credit code in your province."))
            return redirect("review-deadlines")
        try:
            services.stage_extend(actor=actor, stage=stage, region=region, organization=organization,
                                  new_deadline=_parse_datetime(request.POST.get("new_deadline", "")),
                                  reason=request.POST.get("reason", ""))
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("The deadline has been extended; the users concerned are notified."))
        return redirect("review-deadlines")
    region = actor.region
    stages = list(stages_visible_for_review(actor).filter(call__status="published").order_by("call__code", "order")[:200])
    book = DeadlineBook({s.call_id for s in stages})
    shown_extensions = set(stage_extensions_visible(actor).filter(stage__in=stages).values_list("pk", flat=True))
    rows = []
    for s in stages:
        mine = book.deadline(s.call_id, s.level, region) if s.level == actor.level and region else None
        rows.append({"stage": s, "mine": mine,
                     "extensions": [e for e in book.extensions.get(s.pk, []) if e.pk in shown_extensions]})
    can_extend = bool(can_extend_deadlines(actor))
    extendable = (list(stages_to_extend(actor).filter(call__status="published").order_by("call__code", "order")[:200])
                  if can_extend else [])
    regions = list(Region.objects.filter(province_id=region.province_id).exclude(level=RegionLevel.PROVINCE)
                   .order_by("code")) if can_extend and region else []
    return render(request, "submissions/review/deadlines.html", {
        "rows": rows, "can_extend": can_extend, "regions": regions, "now": timezone.now(), "extendable": extendable,
    })


# --- conflicts of interest --------------------------------------------------------------------------------------------


@login_required
def conflicts(request):
    actor = request.actor
    _review_side(actor)
    if request.method == "POST":
        code = (request.POST.get("credit_code") or "").strip().upper()
        org = access.organizations_visible(actor).filter(credit_code=code).first() if code else None
        if org is None:
            messages.error(request, _("No applicant with this credit code in your region."))
        else:
            try:
                services.conflict_declare(actor=actor, organization=org, relation=request.POST.get("relation", ""))
            except ValidationError as exc:
                messages.error(request, _error_text(exc))
            else:
                messages.success(request, _("Your declaration has been recorded; you will not review this applicant."))
        return redirect("review-conflicts")
    return render(request, "submissions/review/conflicts.html", {
        "declarations": list(conflict_declarations_visible(actor).order_by("-declared_at")),
    })


# --- results ---------------------------------------------------------------------------------------------------------------


@login_required
def results(request, code: str):
    actor = request.actor

    call = Call.objects.select_related("province").filter(code=code).first()
    if call is None or not can_view_call(actor, call):
        raise Http404(_("No such call."))
    can_publish = bool(can_publish_results(actor, call))
    if request.method == "POST":
        if not can_publish:
            raise PermissionDenied(can_publish_results(actor, call).reason)
        if not deliberate.confirmed(request):
            decided = list(Application.objects.filter(call=call, status__in=[Status.APPROVED, Status.PILOT])
                           .select_related("organization", "region").order_by("status", "region__code"))
            return deliberate.confirm_page(
                request, title=_("Confirm the publication"), apps=decided,
                details=[(_("Call"), call.title), (_("Note"), request.POST.get("note", ""))],
                question=_("Publish the result list? The applicants are told their results at once; it cannot "
                           "be undone."), button=_("Publish the result list"),
                cancel=reverse("review-results", args=[code]))
        try:
            services.results_publish(actor=actor, call=call, note=request.POST.get("note", ""),
                                     publicity_working_days=request.POST.get("publicity_working_days") or None)
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("The result list has been published."))
        return redirect("review-results", code=code)
    publication = _published(call)
    if publication is None and not can_publish:
        raise Http404(_("The results of this call have not been published."))

    if can_publish:  # the province sees the list as it stands (what the next publication will show)
        decided = list(Application.objects.filter(call=call, status__in=[Status.APPROVED, Status.PILOT])
                       .select_related("organization", "region")
                       .order_by("status", "region__code", "organization__name"))
    else:  # everyone else: the list as it was published
        decided = list(published_results(publication))
    return render(request, "submissions/review/results.html", {
        "call": call, "publication": publication, "decided": decided, "can_publish": can_publish,
    })
