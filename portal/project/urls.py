from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal import views
from portal.admin_site import restrict_admin_to_operators

from . import views as project_views

restrict_admin_to_operators(admin.site)

urlpatterns = [
    path("", project_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", views.PortalLoginView.as_view(), name="login"),
    path("accounts/logout/", views.PortalLogoutView.as_view(), name="logout"),
    path("accounts/switch-role/", views.switch_role, name="switch-role"),
    path("organizations/", views.organization_list, name="organization-list"),
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
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
handler403 = "portal.views.permission_denied_view"
