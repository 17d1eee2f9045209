"""Sign-in protection and what the deployment trusts about a request.

* `LoginLockoutBackend`: django-axes' backend. Sign-ins through a request (the login form) are
  counted and refused while the account or the address is locked (settings.AXES_*). Calls without
  a request (the shell, management commands) are not sign-ins from the network and are not counted.
* `client_ip`: the address axes counts. Behind the portal's nginx (deploy/nginx.conf) the proxy
  sets X-Real-IP; it is trusted only when settings.PORTAL_TRUST_X_REAL_IP says the portal runs
  behind it, else the socket's address is used (a client cannot choose its own address).
* `SchemaAccess`: the OpenAPI schema and its docs need a signed-in user in production.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from rest_framework.permissions import BasePermission


class LoginLockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request) -> str:
    if getattr(settings, "PORTAL_TRUST_X_REAL_IP", False):
        forwarded = (request.META.get("HTTP_X_REAL_IP") or "").strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR") or ""


class SchemaAccess(BasePermission):
    def has_permission(self, request, view) -> bool:
        if getattr(settings, "PRODUCTION", False):
            return bool(request.user and request.user.is_authenticated)
        return True
