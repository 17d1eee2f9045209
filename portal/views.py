from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_POST

from . import access, imports
from .forms import OrganizationProfileForm
from .import_views import import_page
from .services import audit_record, membership_switch


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


class PortalLoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True


class PortalLogoutView(auth_views.LogoutView):
    pass


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
    return render(request, "portal/organization_list.html", {"page": page, "q": q,
                                                               "can_import": access.can_import_organizations(actor)})


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



def not_found_view(request, exception=None):
    """A path the API does not have answers as the API does (JSON, documented in the schema); pages get the page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


@login_required
def organization_import(request):
    """Organizations from an XLSX table (name, credit code, region code, kind): checked row by row,
    stored all or none."""
    actor = request.actor
    decision = access.can_import_organizations(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    return import_page(
        request, key="organizations", template="portal/organization_import.html", context={},
        check=lambda content: imports.organizations_import_check(actor=actor, content=content),
        store=lambda content: imports.organizations_import(actor=actor, content=content),
        done=lambda created: reverse("organization-list"),
        success=lambda created: _("%(n)d organizations were stored.") % {"n": len(created)},
    )
