"""The Django admin is for platform operators only; anyone else signed in gets a 403."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .access import is_platform_operator


def restrict_admin_to_operators(site) -> None:
    def has_permission(request):
        user = request.user
        return user.is_active and user.is_staff and is_platform_operator(user)

    original_admin_view = site.admin_view

    def admin_view(view, cacheable=False):
        inner = original_admin_view(view, cacheable)

        @wraps(view)
        def guarded(request, *args, **kwargs):
            if request.user.is_authenticated and not has_permission(request):
                raise PermissionDenied(_("The operations site is for platform operators only."))
            return inner(request, *args, **kwargs)

        return guarded

    site.has_permission = has_permission
    site.admin_view = admin_view
    site.site_header = gettext_lazy("Innovation platform portal · operations")
    site.site_title = gettext_lazy("Operations")
