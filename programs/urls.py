from django.urls import path

from . import views

urlpatterns = [
    path("calls/", views.call_list, name="call-list"),
    path("calls/new/", views.call_upload, name="call-upload"),
    path("calls/new/example.yaml", views.call_example, name="call-example"),
    path("calls/build/", views.call_build, name="call-build"),
    path("calls/<slug:code>/", views.call_detail, name="call-detail"),
    path("calls/<slug:code>/edit/", views.call_edit, name="call-edit"),
    path("calls/<slug:code>/build/", views.call_build_edit, name="call-build-edit"),
    path("calls/<slug:code>/preview/", views.call_preview, name="call-preview"),
    path("calls/<slug:code>/quotas/import/", views.call_quota_import, name="call-quota-import"),
    path("calls/<slug:code>/export.yaml", views.call_export, name="call-export"),
    path("calls/<slug:code>/confirm/<slug:move>/", views.call_confirm, name="call-confirm"),
    path("calls/<slug:code>/publish/", views.call_publish, name="call-publish"),
    path("calls/<slug:code>/close/", views.call_close, name="call-close"),
    path("calls/<slug:code>/stages/<int:stage_id>/event-date/", views.stage_event_date, name="stage-event-date"),
]
