"""/dashboard/: the figures of a bureau or the provincial department, drawn by ECharts (served by
the portal) from data passed with json_script; every figure links to the queue filtered to it,
and what a chart shows downloads as XLSX."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from submissions.policy import can_view_dashboard

from .exports import CHARTS, chart_xlsx
from .selectors import dashboard as dashboard_of


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _allowed(request):
    decision = can_view_dashboard(request.actor)
    if not decision:
        raise PermissionDenied(decision.reason)


@login_required
def dashboard(request):
    _allowed(request)
    board = dashboard_of(request.actor, call_id=_int(request.GET.get("call")))
    return render(request, "submissions/dashboard/dashboard.html", {
        "board": board, "charts": board.chart_data(), "now": timezone.now(),
        "call_query": f"call={board.call.pk}" if board.call else "",
    })


@login_required
def export(request, chart: str):
    _allowed(request)
    if chart not in CHARTS:
        raise Http404(_("No such chart."))
    board = dashboard_of(request.actor, call_id=_int(request.GET.get("call")))
    content = chart_xlsx(board, chart)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="dashboard-{chart}-{stamp}.xlsx"'
    return response
