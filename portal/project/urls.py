from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import accounts, views
from portal.admin_site import restrict_admin_to_operators

from . import views as project_views

restrict_admin_to_operators(admin.site)

urlpatterns = [
    path("", project_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", views.PortalLoginView.as_view(), name="login"),
    path("accounts/logout/", views.PortalLogoutView.as_view(), name="logout"),
    path("accounts/switch-role/", views.switch_role, name="switch-role"),
    path("accounts/", accounts.account, name="account"),
    path("accounts/password/", accounts.PasswordChange.as_view(), name="password_change"),
    path("accounts/password-reset/", accounts.password_reset, name="password_reset"),
    path("accounts/password-reset/sent/", accounts.password_reset_done, name="password_reset_done"),
    path("accounts/password-reset/<uidb64>/<token>/", accounts.PasswordResetConfirm.as_view(),
         name="password_reset_confirm"),
    path("organizations/", views.organization_list, name="organization-list"),
    path("organizations/import/", views.organization_import, name="organization-import"),
    path("organizations/<int:pk>/", views.organization_detail, name="organization-detail"),
    path("organizations/<int:pk>/edit/", views.organization_edit, name="organization-edit"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("programs.urls")),
    path("", include("programs.holidays.urls")),
    path("", include("submissions.urls")),
    path("", include("portal.urls_registration")),
    path("", include("scoring.urls")),
    path("api/", include("portal.project.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
handler403 = "portal.views.permission_denied_view"
handler404 = "portal.views.not_found_view"
