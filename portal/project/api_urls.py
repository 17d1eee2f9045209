from django.urls import path
from rest_framework.routers import DefaultRouter

from portal import api
from programs.api import CallViewSet, ProgramTypeViewSet
from scoring.api import RubricViewSet

router = DefaultRouter()
router.register("regions", api.RegionViewSet, basename="api-region")
router.register("organizations", api.OrganizationViewSet, basename="api-organization")
router.register("memberships", api.MembershipViewSet, basename="api-membership")
router.register("audit", api.AuditEntryViewSet, basename="api-audit")
router.register("programs", ProgramTypeViewSet, basename="api-program")
router.register("calls", CallViewSet, basename="api-call")
router.register("rubrics", RubricViewSet, basename="api-rubric")

from submissions.documents import api as api_packets  # noqa: E402
from submissions.filing import api as api_applicant  # noqa: E402
from submissions.review import api as api_review  # noqa: E402
from submissions.review import expert_api  # noqa: E402

api_applicant.register(router)
api_review.register(router)
api_packets.register(router)
expert_api.register(router)

urlpatterns = [
    path("me/", api.me, name="api-me"),
    path("me/switch/", api.me_switch, name="api-me-switch"),
] + router.urls
