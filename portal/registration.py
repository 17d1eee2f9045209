"""Registration of applicant organizations, account approval by the county bureau, and colleagues.

* Registration: the organization's name, kind, unified social credit code (validated, with the
  operators' exceptions for legacy codes), the county it is registered in (or a city-level zone),
  the contact person, phone and e-mail, and the administrator's password. The administrator signs
  in with the credit code as user name (as on Gansu's platform).
* Approval: where the province requires it — the province region's attribute
  ``{"requires_account_approval": true}`` (Guizhou's platform approves new accounts) — the new
  organization is not approved (`Organization.is_approved` False) and its users cannot act until a
  bureau of its county approves it; elsewhere it can act at once.
* Colleagues: the applicant administrator invites colleagues by e-mail as filers or viewers; each gets a link
  to choose a password. A filer prepares drafts; a viewer reads the organization's applications.

Services are keyword-only, one transaction each, with an audit entry; e-mail goes through the outbox
(portal.outbox: composed with the entry, sent once after the commit).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth import login, password_validation
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import access, outbox
from .access import Actor
from .constants import (
    APPLICANT_KINDS,
    BUREAU_ROLES,
    OrgKind,
    RegionKind,
    RegionLevel,
    Role,
)
from .models import Membership, Organization, Region, User, validate_credit_code
from .regions import region_for_credit_code
from .services import audit_record

log = logging.getLogger(__name__)

PHONE_RE = re.compile(r"^[0-9+\-() ]{7,20}$")


REGISTRATION_MAIL = "registration"
INVITATION_MAIL = "invitation"


def _tell(entry, recipients, subject: str, body: str, kind: str = REGISTRATION_MAIL) -> None:
    """Store the mail about `entry` in the outbox (sent once after the commit). Compose the subject
    and body inside `outbox.composing()`."""
    outbox.enqueue(entry, outbox.mails_to(recipients, kind=kind, subject=subject, body=body))


def region_choices() -> list:
    regions = Region.objects.select_related("province", "city").filter(
        level__in=[RegionLevel.COUNTY, RegionLevel.CITY]).order_by("code")
    groups: dict[str, list] = {}
    for r in regions:
        if r.level == RegionLevel.CITY and r.kind != RegionKind.ZONE:
            continue
        if r.level == RegionLevel.CITY:
            group = f"{r.province.name if r.province else ''}"
        else:
            group = f"{r.province.name if r.province else ''} · {r.city.name if r.city else ''}"
        groups.setdefault(group, []).append((r.code, r.name))
    return [("", "—")] + list(groups.items())  # provinces and cities in the order of their codes


# --- Forms ---------------------------------------------------------------------------------------


class ErrorsBesideFieldsMixin:
    """A field in error points to its message (aria-describedby, beside the field) and is marked
    invalid; `error_summary` lists [(anchor, message)] for the summary at the top of the page."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                bound = self[name]
                described = [f"{bound.auto_id}_error"] + ([f"{bound.auto_id}_helptext"] if bound.help_text else [])
                self.fields[name].widget.attrs.update({"aria-describedby": " ".join(described),
                                                        "aria-invalid": "true"})

    @property
    def error_summary(self) -> list[tuple[str, str]]:
        rows = [("", e) for e in self.non_field_errors()]
        for name, errors in self.errors.items():
            if name in self.fields:
                rows += [(self[name].auto_id, e) for e in errors]
        return rows


class RegistrationForm(ErrorsBesideFieldsMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name of the organization"), max_length=200)
    credit_code = forms.CharField(label=gettext_lazy("Unified social credit code"), max_length=30,
                                  help_text=gettext_lazy("18 characters; it is also your user name."))
    kind = forms.ChoiceField(label=gettext_lazy("Kind of organization"),
                             choices=[(k.value, k.label) for k in OrgKind if k in APPLICANT_KINDS])
    region = forms.ChoiceField(label=gettext_lazy("County (or zone) the organization is registered in"), choices=(),
                               required=False,
                               help_text=gettext_lazy("Filled in from the credit code (its characters 3-8 name the "
                                                      "county); type to search."))
    contact_name = forms.CharField(label=gettext_lazy("Contact person"), max_length=64)
    contact_phone = forms.CharField(label=gettext_lazy("Contact phone"), max_length=32)
    contact_email = forms.EmailField(label=gettext_lazy("Contact e-mail"))
    password1 = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=gettext_lazy("Password again"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices()

    def clean_credit_code(self):
        code = re.sub(r"\s+", "", self.cleaned_data["credit_code"]).upper()
        validate_credit_code(code)
        if Organization.objects.filter(credit_code=code).exists():
            raise ValidationError(_("An organization with this credit code is already registered. Ask its "
                                    "administrator to invite you, or contact the county bureau."))
        if User.objects.filter(username=code).exists():
            raise ValidationError(_("An account with this credit code as user name exists already."))
        return code

    def clean_region(self):
        code = self.cleaned_data["region"]
        if not code and self.cleaned_data.get("credit_code"):
            found = region_for_credit_code(self.cleaned_data["credit_code"])
            code = found.code if found else ""
        region = Region.objects.select_related("province").filter(code=code).first()
        if region is None or not (region.level == RegionLevel.COUNTY or (
                region.level == RegionLevel.CITY and region.kind == RegionKind.ZONE)):
            raise ValidationError(_("Choose the county (or zone) the organization is registered in."))
        return region

    def clean_contact_phone(self):
        phone = self.cleaned_data["contact_phone"].strip()
        if not PHONE_RE.match(phone):
            raise ValidationError(_("Enter a phone number (digits, with an area code if it is a landline)."))
        return phone

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            probe = User(username=data.get("credit_code") or "", email=data.get("contact_email") or "")
            try:
                password_validation.validate_password(p1, user=probe)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class RejectForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ColleagueInviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail"))
    name = forms.CharField(label=gettext_lazy("Name"), max_length=64, required=False)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=[
        (Role.APPLICANT_FILER.value, Role.APPLICANT_FILER.label),
        (Role.APPLICANT_VIEWER.value, Role.APPLICANT_VIEWER.label),
    ])


# --- Where the apps plug in ----------------------------------------------------------------------
#
# The tenancy core knows nothing of applications; an app that invites organizations before they
# register (member units of an alliance) registers here from its AppConfig.ready:
#   - a hook called inside the registration's transaction, returning how many invitations the new
#     organization took up (recorded in the audit entry);
#   - a lookup from an invitation token to the registration form's initial values.

_on_registered: list[Callable[[Organization], int]] = []
_invitation_lookups: list[Callable[[str], dict | None]] = []


def register_registration_hook(hook: Callable[[Organization], int]) -> None:
    if hook not in _on_registered:
        _on_registered.append(hook)


def register_invitation_lookup(lookup: Callable[[str], dict | None]) -> None:
    if lookup not in _invitation_lookups:
        _invitation_lookups.append(lookup)


def invitation_prefill(token: str) -> dict:
    """The registration form's initial values for an invitation token ({} if nobody knows it)."""
    for lookup in _invitation_lookups:
        found = lookup(token)
        if found:
            return found
    return {}


# --- Services ------------------------------------------------------------------------------------


@dataclass
class Registered:
    user: User
    organization: Organization
    membership: Membership
    needs_approval: bool


def registration_submit(*, name: str, credit_code: str, kind: str, region: Region, contact_name: str,
                        contact_phone: str, contact_email: str, password: str,
                        ip_address: str | None = None, base_url: str = "") -> Registered:
    """Create the organization, its administrator (user name = credit code) and the membership;
    not approved where the province requires a bureau to approve new accounts."""
    needs = access.registration_requires_approval(region)
    try:
        with transaction.atomic():
            org = Organization(
                name=name.strip(), kind=kind, credit_code=credit_code, region=region, contact_name=contact_name,
                contact_phone=contact_phone, contact_email=contact_email, is_approved=not needs,
            )
            org.full_clean()
            org.save()
            user = User(username=credit_code, email=contact_email, first_name=contact_name, phone=contact_phone)
            user.set_password(password)
            user.save()
            membership = Membership.objects.create(user=user, organization=org, role=Role.APPLICANT_ADMIN)
            user.active_membership = membership
            user.save(update_fields=["active_membership"])
            claimed = sum(hook(org) for hook in _on_registered)
            entry = audit_record(
                actor=Actor(user=user, membership=membership), action="organization.register", obj=org,
                province=region.province if region.province_id else region, region=region, organization=org,
                to_state="pending" if needs else "approved",
                data={"ip": ip_address or "", "credit_code": credit_code, "claimed_invitations": claimed},
            )
            if needs:  # the bureau of the county (or zone) the organization registered in approves it
                bureau = outbox.staff_addresses(kinds=[OrgKind.COUNTY_BUREAU, OrgKind.CITY_BUREAU],
                                                roles=BUREAU_ROLES, region_ids=[region.pk]).get(region.pk, set())
                with outbox.composing():
                    _tell(entry, bureau,
                          _("[Innovation platform portal] New account to approve: %(org)s") % {"org": org.name},
                          _("%(org)s (%(code)s) registered in %(region)s and waits for your approval:\n%(link)s")
                          % {"org": org.name, "code": credit_code, "region": region.full_name,
                             "link": base_url + reverse("registrations")})
    except IntegrityError:
        raise ValidationError(_("An organization with this credit code is already registered.")) from None
    return Registered(user, org, membership, needs)


def registration_approve(*, actor: Actor, organization: Organization) -> Organization:
    with transaction.atomic():
        org = Organization.objects.select_for_update(of=("self",)).select_related("region__province").get(pk=organization.pk)
        decision = access.can_approve_registration(actor, org)
        if not decision:
            raise PermissionDenied(decision.reason)
        if org.is_approved:
            raise ValidationError(_("This account is approved already."))
        org.is_approved = True
        org.save(update_fields=["is_approved"])
        entry = audit_record(actor=actor, action="organization.approve", obj=org, province=org.region.province,
                             region=org.region, organization=org, from_state="pending", to_state="approved")
        with outbox.composing():
            _tell(entry, outbox.organization_addresses([org.pk]).get(org.pk, set()),
                  _("[Innovation platform portal] Your account is approved"),
                  _("%(bureau)s approved the account of %(org)s. You can sign in and apply.")
                  % {"bureau": actor.organization.name if actor.organization else "", "org": org.name})
    organization.is_approved = True
    return org


def registration_reject(*, actor: Actor, organization: Organization, reason: str) -> Organization:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the account is not approved."))
    with transaction.atomic():
        org = Organization.objects.select_for_update(of=("self",)).select_related("region__province").get(pk=organization.pk)
        decision = access.can_approve_registration(actor, org)
        if not decision:
            raise PermissionDenied(decision.reason)
        if org.is_approved:
            raise ValidationError(_("This account is approved already."))
        recipients = outbox.organization_addresses([org.pk]).get(org.pk, set())  # before they are deactivated
        org.memberships.update(is_active=False)
        entry = audit_record(actor=actor, action="organization.reject", obj=org, province=org.region.province,
                             region=org.region, organization=org, from_state="pending", to_state="rejected",
                             comment=reason)
        with outbox.composing():
            _tell(entry, recipients,
                  _("[Innovation platform portal] Your account was not approved"),
                  _("%(bureau)s did not approve the account of %(org)s: %(reason)s")
                  % {"bureau": actor.organization.name if actor.organization else "", "org": org.name,
                     "reason": reason})
    return org


def welcome_link(user: User, base_url: str = "") -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return base_url + reverse("colleague-welcome", args=[uid, default_token_generator.make_token(user)])


def colleague_invite(*, actor: Actor, organization: Organization, email: str, role: str, name: str = "",
                     base_url: str = "") -> Membership:
    """Give a colleague a role in the organization: an existing account (by e-mail) gets the role;
    otherwise an account is created (user name = e-mail) with a link to choose a password."""
    decision = access.can_invite_colleague(actor, organization)
    if not decision:
        raise PermissionDenied(decision.reason)
    if role not in (Role.APPLICANT_FILER, Role.APPLICANT_VIEWER):
        raise ValidationError(_("Colleagues are invited as filers or viewers."))
    email = (email or "").strip().lower()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).order_by("id").first()
        created = user is None
        if created:
            if User.objects.filter(username=email[:150]).exists():
                raise ValidationError(_("An account with this e-mail as user name exists already."))
            user = User(username=email[:150], email=email, first_name=(name or "").strip()[:150])
            user.set_unusable_password()
            user.save()
        membership, made = Membership.objects.get_or_create(user=user, organization=organization, role=role)
        if not made and membership.is_active:
            raise ValidationError(_("This colleague already has this role."))
        if not made:
            membership.is_active = True
            membership.save(update_fields=["is_active"])
        if user.active_membership_id is None:
            user.active_membership = membership
            user.save(update_fields=["active_membership"])
        entry = audit_record(actor=actor, action="membership.invite", obj=membership,
                             province=organization.region.province, region=organization.region,
                             organization=organization, data={"email": email, "role": role, "new_account": created})
        with outbox.composing():
            if created:
                body = _("%(who)s invites you to file applications for %(org)s in the portal. Choose your password "
                         "here (the link works once):\n%(link)s\nYour user name is %(username)s.") % {
                    "who": actor.user.display_name(), "org": organization.name,
                    "link": welcome_link(user, base_url), "username": user.username}
            else:
                body = _("%(who)s gave you the role “%(role)s” of %(org)s in the portal. Sign in to use it.") % {
                    "who": actor.user.display_name(), "role": Role(role).label, "org": organization.name}
            _tell(entry, [email], _("[Innovation platform portal] Invitation from %(org)s") % {"org": organization.name},
                  body, kind=INVITATION_MAIL)
    return membership


# --- Views ---------------------------------------------------------------------------------------


def register(request):
    if request.user.is_authenticated and access.actor_of(request).membership is not None:
        return redirect("home")
    initial = {}
    token = request.GET.get("invite", "")
    if token:
        initial = invitation_prefill(token)
    form = RegistrationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            done = registration_submit(
                name=d["name"], credit_code=d["credit_code"], kind=d["kind"], region=d["region"],
                contact_name=d["contact_name"], contact_phone=d["contact_phone"], contact_email=d["contact_email"],
                password=d["password1"], ip_address=request.META.get("REMOTE_ADDR"),
                base_url=request.build_absolute_uri("/")[:-1],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if not done.needs_approval:
                login(request, done.user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Your organization is registered. Sign in next time with the credit code "
                                            "%(code)s.") % {"code": done.user.username})
                return redirect("applicant-policies")
            return render(request, "portal/register_done.html", {"registered": done})
    return render(request, "portal/register.html", {"form": form})


def region_from_credit_code(request):
    """The county named by a credit code being typed (for the registration form's region picker):
    {"code", "name"} or {} when the code names none. Regions are public; nothing else is read."""
    region = region_for_credit_code(request.GET.get("credit_code", ""))
    if region is None:
        return JsonResponse({})
    return JsonResponse({"code": region.code, "name": region.full_name})


@login_required
def registrations(request):
    """The approval queue of a county bureau (and of operators)."""
    actor = access.actor_of(request)
    decision = access.can_approve_registrations(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    pending = list(access.registrations_pending(actor).order_by("created_at"))
    return render(request, "portal/register_queue.html", {"pending": pending, "reject_form": RejectForm()})


@login_required
@require_POST
def registration_decide(request, pk: int):
    actor = access.actor_of(request)
    org = access.registrations_pending(actor).filter(pk=pk).first()
    if org is None:
        raise Http404(_("No such registration waiting for you."))
    try:
        if request.POST.get("decision") == "approve":
            registration_approve(actor=actor, organization=org)
            messages.success(request, _("%(org)s is approved.") % {"org": org.name})
        else:
            form = RejectForm(request.POST)
            registration_reject(actor=actor, organization=org,
                                reason=form.data.get("reason", "") if form.is_bound else "")
            messages.success(request, _("%(org)s is not approved; it has been told why.") % {"org": org.name})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("registrations")


@login_required
def colleagues(request):
    actor = access.actor_of(request)
    decision = access.can_manage_colleagues(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    org = actor.organization
    decision = access.can_invite_colleague(actor, org)
    form = ColleagueInviteForm(request.POST or None)
    if request.method == "POST":
        if not decision:
            raise PermissionDenied(decision.reason)
        if form.is_valid():
            try:
                colleague_invite(actor=actor, organization=org, base_url=request.build_absolute_uri("/")[:-1],
                                 **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The invitation has been sent to %(email)s.")
                                 % {"email": form.cleaned_data["email"]})
                return redirect("colleagues")
    members = access.memberships_visible(actor).filter(organization=org).order_by("role", "user__username")
    return render(request, "portal/register_colleagues.html", {
        "org": org, "members": members, "form": form, "can_invite": decision,
    })


class WelcomeView(auth_views.PasswordResetConfirmView):
    """An invited colleague chooses a password (the link of the invitation e-mail)."""

    template_name = "portal/register_set_password.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set. Sign in with your user name %(username)s.")
                         % {"username": form.user.username})
        return response
