"""The county evaluation pages: the rounds of a city, a round's ranking table by class with the
counties' figures, the figures form of one county, publication, XLSX and PDF."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.constants import RegionLevel
from portal.models import Region
from scoring.display import form_inputs, input_fields
from scoring.policy import (
    can_enter_county_figures,
    can_publish_county_round,
    can_run_county_evaluation,
    can_see_county_evaluation,
    county_rounds_visible,
)

from . import exports, selectors, services


def _errors(exc: ValidationError) -> dict:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def _cities(actor) -> list[Region]:
    """The cities whose counties the actor may evaluate."""
    if actor.region is None:
        return []
    candidates = Region.objects.filter(level=RegionLevel.CITY, province_id=actor.region.province_id).order_by("code")
    return [c for c in candidates if can_run_county_evaluation(actor, c)]


@login_required
def round_list(request):
    actor = request.actor
    decision = can_see_county_evaluation(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    cities = _cities(actor)
    rounds = list(county_rounds_visible(actor))
    errors: dict = {}
    if request.method == "POST":
        city = next((c for c in cities if str(c.pk) == request.POST.get("city")), None)
        if city is None:
            raise PermissionDenied(_("Only the city bureau or the provincial department runs the county evaluation."))
        try:
            round_ = services.county_round_open(actor=actor, city=city, year=int(request.POST.get("year") or 0),
                                                quarter=int(request.POST.get("quarter") or 0))
        except (ValueError, TypeError):
            errors = {"year": [_("Give a year between 2000 and 2100.")]}
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("The round is open: enter each county's figures."))
            return redirect("county-round", pk=round_.pk)
    return render(request, "scoring/counties/rounds.html", {
        "rounds": rounds, "cities": cities, "errors": errors, "quarters": [1, 2, 3, 4],
    })


def _round(request, pk: int):
    round_ = county_rounds_visible(request.actor).filter(pk=pk).first()
    if round_ is None:
        raise Http404(_("No such evaluation round."))
    return round_


@login_required
def round_detail(request, pk: int):
    round_ = _round(request, pk)
    table = selectors.ranking(round_)
    return render(request, "scoring/counties/round.html", {
        "round": round_, "table": table,
        "can_enter": bool(can_enter_county_figures(request.actor, round_)),
        "can_publish": bool(can_publish_county_round(request.actor, round_)),
    })


@login_required
def county_figures(request, pk: int, county_pk: int):
    round_ = _round(request, pk)
    decision = can_enter_county_figures(request.actor, round_)
    if not decision:
        raise PermissionDenied(decision.reason)
    county = next((c for c in selectors.rated_counties(round_) if c.pk == county_pk), None)
    if county is None:
        raise Http404(_("No such county in this evaluation."))
    rubric = round_.rubric_version.compiled()
    entry = round_.entries.filter(county=county).first()
    values = dict(entry.inputs) if entry else {}
    errors: dict = {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in rubric.inputs}
        try:
            services.county_figures_save(actor=request.actor, round_=round_, county=county,
                                         inputs=form_inputs(rubric, request.POST))
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("The figures of %(county)s are saved.") % {"county": county.name})
            return redirect("county-round", pk=round_.pk)
    field_errors = {k: " ".join(v) for k, v in errors.items() if k != "__all__"}
    return render(request, "scoring/counties/figures.html", {
        "round": round_, "county": county, "fields": input_fields(rubric, values, field_errors),
        "general_errors": errors.get("__all__", []),
    })


@login_required
@require_POST
def round_publish(request, pk: int):
    round_ = _round(request, pk)
    try:
        services.county_round_publish(actor=request.actor, round_=round_)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The ranking has been published to the counties."))
    return redirect("county-round", pk=round_.pk)


@login_required
def round_export(request, pk: int, fmt: str):
    round_ = _round(request, pk)
    table = selectors.ranking(round_)
    if fmt == "xlsx":
        content, kind = exports.ranking_xlsx(table), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "pdf":
        content, kind = exports.ranking_pdf(table), "application/pdf"
    else:
        raise Http404(_("No such format."))
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="county-ranking-{round_.year}Q{round_.quarter}.{fmt}"'
    return response
