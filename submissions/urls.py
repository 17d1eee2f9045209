from django.urls import include, path

urlpatterns = [
    path("", include("submissions.urls_applicant")),
    path("", include("submissions.urls_review")),
    path("", include("submissions.urls_packets")),
]
