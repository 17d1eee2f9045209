"""The signed-in user's own account: password change, password reset by e-mail, API tokens.

* Password reset: the user gives an e-mail address; every active account at that address gets a
  link through the outbox (one audit entry per account, `password.reset_request`). The link is
  Django's reset token: it expires after settings.PASSWORD_RESET_TIMEOUT and works once (it is
  bound to the password hash, which the reset changes). The page answers the same whether the
  address is known or not.
* API tokens: scripts authenticate with a per-user DRF token (``Authorization: Token <key>``),
  created and revoked on the account page (audited). The key is shown once, when it is created.
"""

from __future__ import annotations

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.authtoken.models import Token

from . import outbox
from .access import Actor, actor_of, is_platform_operator
from .models import User
from .services import audit_record

PASSWORD_MAIL = "password"


# --- services ------------------------------------------------------------------------------------


def reset_link(user: User, base_url: str = "") -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return base_url + reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(user)])


def password_reset_request(*, email: str, base_url: str = "") -> int:
    """Mail a reset link to every active account at `email`; returns how many (0 when unknown)."""
    email = outbox.normalize_address(email)
    if not email:
        return 0
    users = [u for u in User.objects.filter(email__iexact=email, is_active=True).order_by("id") if u.has_usable_password()]
    for user in users:
        with transaction.atomic():
            entry = audit_record(actor=None, action="password.reset_request", obj=user)
            with outbox.composing():
                body = _("Someone (probably you) asked to reset the password of the account %(username)s in the "
                         "portal. Choose a new password here; the link works once and expires in %(minutes)s "
                         "minutes:\n%(link)s\nIf you did not ask for this, ignore this e-mail: your password stays "
                         "as it is.") % {"username": user.username, "link": reset_link(user, base_url),
                                         "minutes": _reset_minutes()}
                outbox.enqueue(entry, outbox.mails_to([email], kind=PASSWORD_MAIL, subject=_(
                    "[Innovation platform portal] Reset your password"), body=body))
    return len(users)


def _reset_minutes() -> int:
    from django.conf import settings  # noqa: PLC0415 - read at call time (tests change it)

    return max(1, int(settings.PASSWORD_RESET_TIMEOUT) // 60)


def password_recorded(*, user: User, how: str) -> None:
    """Audit a new password (changed while signed in, or set through a reset link) and lift a lockout."""
    audit_record(actor=Actor(user=user, membership=None), action=f"password.{how}", obj=user)
    axes_reset(username=user.get_username())


@transaction.atomic
def api_token_create(*, actor: Actor) -> Token:
    """A new API token for the actor's own account (replaces the previous one)."""
    Token.objects.filter(user=actor.user).delete()
    token = Token.objects.create(user=actor.user)
    audit_record(actor=actor, action="api_token.create", obj=actor.user)
    return token


@transaction.atomic
def api_token_revoke(*, actor: Actor) -> bool:
    deleted, _rows = Token.objects.filter(user=actor.user).delete()
    if deleted:
        audit_record(actor=actor, action="api_token.revoke", obj=actor.user)
    return bool(deleted)


def login_unlock(*, actor: Actor, attempts) -> int:
    """A platform operator lifts sign-in lockouts (axes' attempts): one audit entry per attempt."""
    if not (actor.is_authenticated and is_platform_operator(actor.user)):
        raise PermissionDenied(_("Only platform operators can lift a sign-in lockout."))
    lifted = 0
    with transaction.atomic():
        for attempt in AccessAttempt.objects.filter(pk__in=[a.pk for a in attempts]).select_for_update():
            audit_record(actor=actor, action="login.unlock", obj=attempt,
                         data={"username": attempt.username or "", "ip_address": attempt.ip_address or "",
                               "failures": attempt.failures_since_start})
            attempt.delete()
            lifted += 1
    return lifted


# --- views ---------------------------------------------------------------------------------------


class ResetRequestForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"), max_length=254)


def password_reset(request):
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        password_reset_request(email=form.cleaned_data["email"], base_url=request.build_absolute_uri("/")[:-1])
        return redirect("password_reset_done")
    return render(request, "portal/password_reset.html", {"form": form})


def password_reset_done(request):
    return render(request, "portal/password_reset_done.html")


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    template_name = "portal/password_reset_confirm.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        response = super().form_valid(form)
        password_recorded(user=form.user, how="reset")
        messages.success(self.request, _("Your new password is set. Sign in with it."))
        return response


class PasswordChange(auth_views.PasswordChangeView):
    template_name = "portal/password_change.html"
    success_url = reverse_lazy("account")

    def form_valid(self, form):
        response = super().form_valid(form)
        password_recorded(user=form.user, how="change")
        messages.success(self.request, _("Your password has been changed."))
        return response


@login_required
def account(request):
    actor = actor_of(request)
    new_key = None
    if request.method == "POST":
        if request.POST.get("action") == "create-token":
            new_key = api_token_create(actor=actor).key
        elif request.POST.get("action") == "revoke-token":
            if api_token_revoke(actor=actor):
                messages.success(request, _("The API token has been revoked; scripts using it are refused."))
            return redirect("account")
    token = Token.objects.filter(user=request.user).first()
    return render(request, "portal/account.html", {"token": token, "new_key": new_key})
