"""Expert review through the REST API: the same rules (submissions.policy) and services
(submissions.review.experts) as the pages.

/api/expert/applications/                      the applications assigned to the asking expert
/api/expert/applications/{id}/                 one of them, read-only (404 when not assigned, or
                                               once the review stage of the assigning level closed)
/api/expert/applications/{id}/attachments/{attachment_id}/   one of its current materials
/api/applications/{id}/experts/                the experts of an application (GET), assign one (POST)
/api/applications/{id}/experts/{user_id}/      remove an assignment (DELETE)
/api/expert/applications/{id}/review/          the expert scores (level items, opinion) (POST)
/api/expert/applications/{id}/conflict/        the expert declares a conflict of interest (POST)
/api/applications/{id}/experts/scores/         every expert's score per round, mean and spread (GET)
/api/applications/{id}/experts/rounds/         ask the experts for another round (POST)
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from portal import access
from portal.models import User
from submissions.blind import form_data_for
from submissions.filing.uploads import attachment_response
from submissions.models import Attachment
from submissions.policy import (
    can_manage_experts,
    can_review_as_expert,
    can_unassign_expert,
    review_applications_visible,
)
from submissions.review import experts

# --- output -------------------------------------------------------------------------------------------


class ExpertApplicationSerializer(serializers.Serializer):
    """One application on the expert's list."""

    id = serializers.IntegerField(source="app.pk")
    call = serializers.CharField(source="app.call.code")
    call_title = serializers.CharField(source="app.call.title")
    blind_review = serializers.BooleanField(source="app.call.blind_review")
    organization_name = serializers.CharField(source="app.organization.name")
    credit_code = serializers.CharField(source="app.organization.credit_code")
    region = serializers.CharField(source="app.region.code")
    number = serializers.CharField(source="app.number")
    submitted_at = serializers.DateTimeField(source="app.submitted_at", allow_null=True)
    assigned_by_level = serializers.CharField(source="level", help_text="city / province: the level that assigned "
                                                                         "the expert, whose stage ends the access")
    review_closes_at = serializers.SerializerMethodField(help_text="when that stage closes (null: no deadline)")
    open = serializers.SerializerMethodField(help_text="the expert may still open the application")
    reason = serializers.SerializerMethodField(help_text="why not, when `open` is false")

    def get_review_closes_at(self, row) -> str | None:
        return timezone.localtime(row.deadline.at).isoformat() if row.deadline.at else None

    def get_open(self, row) -> bool:
        return bool(row.open)

    def get_reason(self, row) -> str:
        return row.open.reason


class ExpertAttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    material = serializers.CharField(source="material.code")
    material_name = serializers.CharField(source="material.name")
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, obj) -> str:
        return f"/api/expert/applications/{obj.application_id}/attachments/{obj.pk}/"


class ExpertApplicationDetailSerializer(ExpertApplicationSerializer):
    """One application as the expert reads it: the form as submitted (without the applicant's
    contact details when the call's review is blind), the self-assessment, the materials."""

    data = serializers.SerializerMethodField(help_text="the form data (Application.data)")
    score_inputs = serializers.JSONField(source="app.score_inputs")
    self_score = serializers.DecimalField(source="app.self_score", max_digits=7, decimal_places=2, allow_null=True)
    attachments = serializers.SerializerMethodField()

    def get_data(self, row) -> dict:
        return form_data_for(self.context["actor"], row.app)

    def get_attachments(self, row) -> list[dict]:
        rows = (Attachment.objects.filter(application=row.app, is_current=True).select_related("material")
                .order_by("material__order", "id"))
        return ExpertAttachmentSerializer(rows, many=True).data


class AssignmentSerializer(serializers.Serializer):
    expert = serializers.IntegerField(source="user_id")
    name = serializers.SerializerMethodField()
    level = serializers.CharField(help_text="city / province: the level that assigned the expert")
    assigned_by = serializers.CharField(source="assigned_by.username", default=None)
    assigned_at = serializers.DateTimeField()

    def get_name(self, grant) -> str:
        return grant.user.display_name()


class AssignInput(serializers.Serializer):
    expert = serializers.IntegerField(help_text="user id of an expert of the province's expert pool")


class ExpertReviewInput(serializers.Serializer):
    levels = serializers.DictField(child=serializers.CharField(), required=False, default=dict,
                                   help_text="item key -> level key, for every level item of the call's rubric")
    score = serializers.CharField(required=False, allow_blank=True, default="",
                                  help_text="the score, only when the rubric has no level items (0 to its maximum)")
    opinion = serializers.CharField()


class ConflictInput(serializers.Serializer):
    reason = serializers.CharField()


class ExpertReviewSerializer(serializers.Serializer):
    expert = serializers.IntegerField(source="expert_id")
    name = serializers.SerializerMethodField()
    round = serializers.IntegerField()
    levels = serializers.JSONField()
    score = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    opinion = serializers.CharField()
    conflict = serializers.BooleanField()
    conflict_reason = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)

    def get_name(self, obj) -> str:
        return obj.expert.display_name()


class RoundSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    mean = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    spread = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True,
                                      help_text="highest minus lowest score")
    stdev = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    reviews = ExpertReviewSerializer(source="rows", many=True)


def _actor(request):
    return access.actor_of(request)


# --- the expert's side ----------------------------------------------------------------------------------


APPLICATION_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="application id")


class ExpertApplicationViewSet(viewsets.GenericViewSet):
    """The applications assigned to the asking expert (experts only; 403 for anyone else)."""

    filter_backends: list = []
    serializer_class = ExpertApplicationSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        actor = _actor(self.request)
        decision = can_review_as_expert(actor)
        if not decision:
            raise PermissionDenied(decision.reason)
        return experts.expert_queryset(actor)

    def _row(self, pk):
        actor = _actor(self.request)
        self.get_queryset()  # experts only
        app = experts.expert_application(actor, pk)
        if app is None:
            raise NotFound()
        return experts.expert_rows(actor, [app])[0]

    @extend_schema(responses=ExpertApplicationSerializer(many=True))
    def list(self, request):
        actor = _actor(request)
        page = self.paginate_queryset(self.get_queryset())
        rows = experts.expert_rows(actor, page)
        return self.get_paginated_response(ExpertApplicationSerializer(rows, many=True).data)

    @extend_schema(parameters=[APPLICATION_ID], responses={200: ExpertApplicationDetailSerializer, 404: OpenApiResponse(
        description="not assigned to you, or the review stage of the assigning level has closed")})
    def retrieve(self, request, pk=None):
        row = self._row(pk)
        return Response(ExpertApplicationDetailSerializer(row, context={"actor": _actor(request)}).data)

    @extend_schema(parameters=[APPLICATION_ID], request=ExpertReviewInput, responses={
        200: ExpertReviewSerializer, 400: OpenApiResponse(description="a level missing, a score out of bounds"),
        403: OpenApiResponse(description="a conflict of interest was declared"),
        404: OpenApiResponse(description="not assigned to you, or the stage has closed")})
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """Score the rubric's level items (or give a score) with an opinion, for the current round."""
        row = self._row(pk)
        body = ExpertReviewInput(data=request.data)
        body.is_valid(raise_exception=True)
        review = experts.expert_review_submit(actor=_actor(request), application=row.app, **body.validated_data)
        return Response(ExpertReviewSerializer(review).data)

    @extend_schema(parameters=[APPLICATION_ID], request=ConflictInput, responses={200: ExpertReviewSerializer})
    @action(detail=True, methods=["post"])
    def conflict(self, request, pk=None):
        """Declare a conflict of interest with the application: no score from this expert."""
        row = self._row(pk)
        body = ConflictInput(data=request.data)
        body.is_valid(raise_exception=True)
        review = experts.expert_conflict_declare(actor=_actor(request), application=row.app, **body.validated_data)
        return Response(ExpertReviewSerializer(review).data)

    @extend_schema(parameters=[APPLICATION_ID, OpenApiParameter("attachment_id", int, OpenApiParameter.PATH)],
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>\d+)")
    def attachment(self, request, pk=None, attachment_id=None):
        row = self._row(pk)
        attachment = Attachment.objects.filter(application=row.app, pk=attachment_id, is_current=True).first()
        if attachment is None:
            raise NotFound()
        return attachment_response(attachment)


# --- the assigning bureau's side ------------------------------------------------------------------------

APPLICATION_PK = OpenApiParameter("application_pk", int, OpenApiParameter.PATH, description="application id")
USER_ID = OpenApiParameter("user_id", int, OpenApiParameter.PATH, description="user id of the expert")


@extend_schema_view(
    list=extend_schema(parameters=[APPLICATION_PK], responses=AssignmentSerializer(many=True)),
    create=extend_schema(parameters=[APPLICATION_PK], request=AssignInput, responses={
        201: AssignmentSerializer, 400: OpenApiResponse(description="already assigned"),
        403: OpenApiResponse(description="refused by rule, with the reason (e.g. an expert of another province, a "
                                         "county bureau, a closed stage)")}),
    destroy=extend_schema(parameters=[APPLICATION_PK, USER_ID], responses={
        204: None, 400: OpenApiResponse(description="not assigned"),
        403: OpenApiResponse(description="refused by rule, with the reason")}),
)
class ApplicationExpertViewSet(viewsets.GenericViewSet):
    """The experts assigned to one application: the city bureau whose region holds it and the
    provincial department of its province list, assign and remove them (audited)."""

    filter_backends: list = []
    pagination_class = None
    serializer_class = AssignmentSerializer
    lookup_field = "user_id"
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return experts.assignments_of(self._application())

    def _application(self):
        actor = _actor(self.request)
        app = (review_applications_visible(actor).select_related("call", "region", "province")
               .filter(pk=self.kwargs.get("application_pk")).first())
        if app is None:
            raise NotFound()
        decision = can_manage_experts(actor, app)
        if not decision:
            raise PermissionDenied(decision.reason)
        return app

    def list(self, request, application_pk=None):
        return Response(AssignmentSerializer(self.get_queryset(), many=True).data)

    def create(self, request, application_pk=None):
        app = self._application()
        body = AssignInput(data=request.data)
        body.is_valid(raise_exception=True)
        expert = User.objects.filter(pk=body.validated_data["expert"]).first()
        if expert is None:
            raise NotFound()
        grant = experts.expert_assign(actor=_actor(request), application=app, expert=expert)
        grant = experts.assignments_of(app).get(pk=grant.pk)
        return Response(AssignmentSerializer(grant).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[APPLICATION_PK], responses=RoundSerializer(many=True))
    @action(detail=False, methods=["get"])
    def scores(self, request, application_pk=None):
        """Every expert's score and opinion (or declared conflict) per round, latest first, with the
        mean and the spread of the scores."""
        return Response(RoundSerializer(experts.expert_summary(self._application()), many=True).data)

    @extend_schema(parameters=[APPLICATION_PK], request=None, responses={
        201: RoundSerializer(many=True), 400: OpenApiResponse(description="no expert has scored this round yet"),
        403: OpenApiResponse(description="refused by rule, with the reason")})
    @action(detail=False, methods=["post"])
    def rounds(self, request, application_pk=None):
        """Ask the assigned experts for another round (their earlier scores stay on record)."""
        app = self._application()
        experts.expert_round_ask(actor=_actor(request), application=app)
        return Response(RoundSerializer(experts.expert_summary(app), many=True).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, application_pk=None, user_id=None):
        app = self._application()
        grant = experts.assignments_of(app).filter(user_id=user_id).first()
        if grant is None:
            raise NotFound()
        decision = can_unassign_expert(_actor(request), app, grant)
        if not decision:
            raise PermissionDenied(decision.reason)
        experts.expert_unassign(actor=_actor(request), application=app, expert=grant.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    """Register this module's API viewsets on the /api/ router."""
    router.register("expert/applications", ExpertApplicationViewSet, basename="api-expert-application")
    router.register(r"applications/(?P<application_pk>\d+)/experts", ApplicationExpertViewSet,
                    basename="api-application-expert")
