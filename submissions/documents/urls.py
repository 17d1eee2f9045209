"""Documents built in tasks: requests, status, access-checked downloads."""

from django.urls import path

from submissions.documents import views as v

urlpatterns = [
    path("applications/<int:pk>/packet/", v.packet_request, name="packet-request"),
    path("review/summary-tables/", v.summary_request, name="summary-request"),
    path("applications/<int:pk>/packet/panel/", v.packet_panel, name="packet-panel"),
    path("review/summary-tables/jobs/", v.summary_jobs, name="summary-jobs"),
    path("documents/<int:pk>/download/", v.document_download, name="document-download"),
    path("verify/", v.verify, name="document-verify"),
    path("documents/<int:pk>/bundle/", v.bundle_request, name="bundle-request"),
    path("review/seal/", v.seal_page, name="bureau-seal"),
    path("review/seal/image/", v.seal_image, name="bureau-seal-image"),
]
