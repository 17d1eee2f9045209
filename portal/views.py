from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from programs.selectors import catalogue, open_calls, upcoming_deadlines, with_deadlines
from programs.workdays import WorkdayCalendar

from . import access
from .forms import OrganizationProfileForm
from .services import audit_record, membership_switch


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


class PortalLoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True


class PortalLogoutView(auth_views.LogoutView):
    pass


def home(request):
    actor = request.actor
    now = timezone.now()
    context = {"now": now}
    if actor.is_authenticated and actor.membership is None:
        context["no_membership"] = True
    if actor.is_applicant:
        context["open_calls"] = open_calls(actor, catalogue(actor).filter(province_id=actor.province_id), now=now)[:10]
        org = actor.organization
        missing = [
            label
            for field, label in (
                ("contact_name", _("contact person")),
                ("contact_phone", _("contact phone")),
                ("contact_email", _("contact e-mail")),
                ("industry", _("industry")),
                ("main_business", _("main business")),
            )
            if not getattr(org, field)
        ]
        context["profile_missing"] = missing
    elif actor.is_bureau or actor.is_provincial:
        context["stage_deadlines"] = upcoming_deadlines(actor, now=now)
        context["org_count"] = access.organizations_visible(actor).filter(
            kind__in=["enterprise", "institute", "university"]
        ).count()
        if actor.is_provincial:
            from programs.constants import CallStatus

            context["draft_calls"] = with_deadlines(
                actor, catalogue(actor).filter(province_id=actor.province_id, status=CallStatus.DRAFT), now=now
            )
            context["open_calls"] = open_calls(actor, catalogue(actor).filter(province_id=actor.province_id), now=now)
    elif actor.is_operator:
        calendar = WorkdayCalendar()
        year = timezone.localdate().year
        context["calendar_missing"] = [y for y in (year, year + 1) if not calendar.year_is_known(y)]
        from .models import CreditCodeException

        context["exception_count"] = CreditCodeException.objects.count()
    else:
        context["open_calls"] = open_calls(actor, now=now)[:10]
    context["recent_audit"] = list(access.audit_visible(actor)[:8]) if actor.is_authenticated else []
    return render(request, "portal/home.html", context)


@login_required
@require_POST
def switch_role(request):
    try:
        membership_id = int(request.POST.get("membership", ""))
    except ValueError:
        raise Http404
    try:
        membership = membership_switch(actor=request.actor, user=request.user, membership_id=membership_id)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("You are now acting as %(role)s of %(org)s.")
            % {"role": membership.get_role_display(), "org": membership.organization.name},
        )
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


@login_required
def organization_list(request):
    actor = request.actor
    qs = access.organizations_visible(actor).order_by("region__code", "name")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(credit_code__iexact=q)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "portal/organization_list.html", {"page": page, "q": q})


def _get_org_or_404(actor, pk):
    org = access.organizations_visible(actor).filter(pk=pk).first()
    if org is None:
        raise Http404(_("No such organization in your scope."))
    return org


@login_required
def organization_detail(request, pk: int):
    actor = request.actor
    org = _get_org_or_404(actor, pk)
    members = access.memberships_visible(actor).filter(organization=org)
    return render(
        request,
        "portal/organization_detail.html",
        {"org": org, "members": members, "can_edit": access.can_change_organization(actor, org)},
    )


@login_required
def organization_edit(request, pk: int):
    actor = request.actor
    org = _get_org_or_404(actor, pk)
    decision = access.can_change_organization(actor, org)
    if not decision:
        raise PermissionDenied(decision.reason)
    form = OrganizationProfileForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            changed = {name: str(form.cleaned_data[name]) for name in form.changed_data}
            form.save()
            audit_record(
                actor=actor, action="organization.update", obj=org, province=org.region.province,
                region=org.region, organization=org, data={"changed": changed},
            )
        messages.success(request, _("The profile has been saved."))
        return redirect("organization-detail", pk=org.pk)
    return render(request, "portal/organization_edit.html", {"org": org, "form": form})


def permission_denied_view(request, exception=None):
    reason = str(exception) if exception and str(exception) else _("You are not allowed to do this.")
    return render(request, "403.html", {"reason": reason}, status=403)

