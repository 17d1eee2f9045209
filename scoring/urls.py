from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import api, views

# The assessments API lives here (under /api/assessments/) so that portal/api_urls.py carries a
# single registration for this app (rubrics); both share the api- basename convention.
assessment_router = SimpleRouter()
assessment_router.register("api/assessments", api.AssessmentViewSet, basename="api-assessment")

urlpatterns = [
    path("", include("scoring.counties.urls")),
    path("rubrics/", views.rubric_list, name="rubric-list"),
    path("rubrics/upload/", views.rubric_upload, name="rubric-upload"),
    path("rubrics/<slug:code>/", views.rubric_detail, name="rubric-detail"),
    path("rubrics/<slug:code>/calculate/", views.rubric_calculate, name="rubric-calculate"),
    path("rubrics/<slug:code>/versions/<int:version>/publish/", views.rubric_publish, name="rubric-publish"),
    path("organizations/<int:pk>/assessments/", views.organization_assessments, name="organization-assessments"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment-detail"),
    # POST /api/rubrics/{code}/evaluate, as the issue spells it (the router also serves it with a slash)
    path("api/rubrics/<slug:code>/evaluate", api.rubric_evaluate, name="api-rubric-evaluate-exact"),
] + assessment_router.urls
