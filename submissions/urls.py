from django.urls import include, path

urlpatterns = [
    path("", include("submissions.filing.urls")),
    path("", include("submissions.review.urls")),
    path("", include("submissions.review.expert_urls")),
    path("", include("submissions.documents.urls")),
    path("", include("submissions.dashboard.urls")),
    path("", include("submissions.publicity.urls")),
]
