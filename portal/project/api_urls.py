"""The /api/ router: every app registers its own viewsets (``register(router)`` in its api module)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from portal import api as portal_api
from programs import api as programs_api
from scoring import api as scoring_api
from submissions.documents import api as documents_api
from submissions.filing import api as filing_api
from submissions.review import api as review_api
from submissions.review import expert_api

router = DefaultRouter()
for app_api in (portal_api, programs_api, scoring_api, filing_api, review_api, documents_api, expert_api):
    app_api.register(router)

urlpatterns = [
    path("me/", portal_api.me, name="api-me"),
    path("me/switch/", portal_api.me_switch, name="api-me-switch"),
] + router.urls
