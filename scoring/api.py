"""REST API of the scoring app.

* ``GET /api/rubrics/`` and ``GET /api/rubrics/{code}/``: rubrics (published versions are public;
  drafts for the owning province's officers), with the inputs a form must ask for.
* ``POST /api/rubrics/{code}/evaluate``: score a JSON object of inputs; the response is exactly
  what ``manage.py score_rubric CODE INPUT.json`` prints (numbers with their exact decimal text).
* ``GET/POST /api/assessments/``, ``GET /api/assessments/{id}/``: assessments in the actor's
  scope; recording one goes through ``scoring.services.assessment_record`` and its access rule.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action, api_view, parser_classes, permission_classes
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from portal import access
from portal.json_input import JSONParser
from programs.policy import calls_visible
from scoring.policy import assessment_kind_for, assessments_visible, rubric_versions_visible

from . import selectors, services
from .constants import ScorerKind
from .engine import schema, to_json
from .evaluation import BadInput, evaluation_json, unwrap_inputs
from .models import Assessment


def _json(text: str, status_code: int = 200) -> HttpResponse:
    return HttpResponse(text + "\n", status=status_code, content_type="application/json; charset=utf-8")


def _version_param(request) -> int | None:
    raw = request.query_params.get("version")
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise NotFound()


def _resolve(request, code: str) -> selectors.ResolvedRubric:
    try:
        return selectors.resolve_rubric(code, actor=access.actor_of(request), version=_version_param(request))
    except selectors.UnknownRubric:
        raise NotFound(f"unknown rubric {code!r}")


# --- serializers (documentation of the shapes; the evaluate response is written by the engine) ---


class EvaluationItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    points = serializers.DecimalField(max_digits=20, decimal_places=10, coerce_to_string=False)
    max = serializers.DecimalField(max_digits=20, decimal_places=10, coerce_to_string=False)
    explanation = serializers.CharField()


class EvaluationSerializer(serializers.Serializer):
    base = serializers.DecimalField(max_digits=20, decimal_places=10, coerce_to_string=False,
                                    help_text="points within the 100")
    bonus = serializers.DecimalField(max_digits=20, decimal_places=10, coerce_to_string=False,
                                     help_text="bonus points after the caps")
    total = serializers.DecimalField(max_digits=20, decimal_places=10, coerce_to_string=False,
                                     help_text="base + bonus")
    items = EvaluationItemSerializer(many=True)
    missing = serializers.ListField(child=serializers.CharField(), help_text="input keys needed and not given")
    eligible = serializers.BooleanField(help_text="the hard conditions are met")
    reasons = serializers.ListField(child=serializers.CharField(), help_text="why not eligible (Chinese)")


BadInputSerializer = inline_serializer(
    "RubricBadInput",
    {"detail": serializers.CharField(), "errors": serializers.DictField(child=serializers.CharField())},
)


class RubricVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    label = serializers.CharField()
    status = serializers.CharField()
    sha256 = serializers.CharField()
    province = serializers.CharField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)


def _version_data(v) -> dict:
    return {
        "version": v.version, "label": v.label, "status": v.status, "sha256": v.sha256,
        "province": v.province.code if v.province_id else None, "published_at": v.published_at,
    }


class RubricListSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    title_en = serializers.CharField()
    current = RubricVersionSerializer(allow_null=True, help_text="the newest published version")
    drafts = RubricVersionSerializer(many=True)


class RubricDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    title_en = serializers.CharField()
    version = RubricVersionSerializer(allow_null=True, help_text="the version shown (null: the fixture file)")
    versions = RubricVersionSerializer(many=True)
    warnings = serializers.ListField(child=serializers.DictField())
    schema = serializers.ListField(child=serializers.DictField(), help_text="the inputs a form must ask for")
    definition = serializers.DictField()


@extend_schema(
    parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH),
                OpenApiParameter("version", int, required=False, description="a version number (default: the newest published)")],
    request={"application/json": OpenApiTypes.OBJECT},
    responses={200: EvaluationSerializer, 400: BadInputSerializer, 404: None},
    examples=[OpenApiExample("gansu-2022-etc inputs", request_only=True, value={
        "rd_expenditure": 300, "main_revenue": 10000, "rd_staff": 10, "total_staff": 200,
        "invention_patents_valid": 2,
    })],
    description=("Score a JSON object of inputs (input key -> number, level or yes/no; a missing key is a "
                 "missing input). The response is exactly what `manage.py score_rubric CODE INPUT.json` "
                 "prints; numbers are written with their exact decimal text."),
    operation_id="rubrics_evaluate",
    tags=["rubrics"],
)
@api_view(["POST"])
@permission_classes([AllowAny])
@parser_classes([JSONParser])
def rubric_evaluate(request, code: str):
    return _evaluate(request, code)


def _evaluate(request, code: str) -> HttpResponse:
    resolved = _resolve(request, code)
    try:
        inputs = unwrap_inputs(request.data)
        return _json(evaluation_json(resolved.rubric, inputs))
    except BadInput as exc:
        return _json(to_json({"detail": exc.message, "errors": exc.errors}), status.HTTP_400_BAD_REQUEST)


class RubricViewSet(viewsets.GenericViewSet):
    """Rubrics: published versions are public; drafts only for the owning province's officers."""

    lookup_field = "code"
    lookup_value_regex = "[a-z0-9-]+"
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]
    serializer_class = RubricListSerializer

    def get_queryset(self):
        return rubric_versions_visible(access.actor_of(self.request))

    @extend_schema(responses=RubricListSerializer(many=True))
    def list(self, request):
        rows = []
        for row in selectors.rubric_catalogue(access.actor_of(request)):
            r = row["rubric"]
            rows.append({
                "code": r.code, "title": r.title, "title_en": r.title_en,
                "current": _version_data(row["published"]) if row["published"] else None,
                "drafts": [_version_data(v) for v in row["drafts"]],
            })
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(page) if page is not None else Response(rows)

    @extend_schema(
        parameters=[OpenApiParameter("version", int, required=False)],
        responses=RubricDetailSerializer,
    )
    def retrieve(self, request, code=None):
        resolved = _resolve(request, code)
        version = resolved.version
        compiled = resolved.rubric
        actor = access.actor_of(request)
        data = {
            "code": compiled.code,
            "title": compiled.title_zh,
            "title_en": compiled.title_en,
            "version": _version_data(version) if version else None,
            "versions": [_version_data(v) for v in selectors.rubric_versions_of(actor, code)],
            "warnings": version.warnings if version else [
                {"code": m.code, "target": m.target, "zh": m.zh, "en": m.en} for m in compiled.warnings],
            "schema": schema(compiled),
            "definition": version.definition if version else compiled.data,
        }
        return Response(data)

    @extend_schema(exclude=True)  # documented as POST /api/rubrics/{code}/evaluate (scoring/urls.py)
    @action(detail=True, methods=["post"], url_path="evaluate")
    def evaluate(self, request, code=None):
        return _evaluate(request, code)


# --- assessments ---------------------------------------------------------------------------------


class AssessmentSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    rubric = serializers.CharField(source="rubric_version.rubric.code", read_only=True)
    version = serializers.IntegerField(source="rubric_version.version", read_only=True)
    scored_by = serializers.CharField(source="scored_by.username", default=None, read_only=True)
    scorer_organization = serializers.CharField(source="scorer_organization.name", default=None, read_only=True)
    call = serializers.CharField(source="call.code", default=None, read_only=True)

    class Meta:
        model = Assessment
        fields = ["id", "organization", "organization_name", "rubric", "version", "scorer_kind", "scored_by",
                  "scorer_organization", "scored_at", "call", "base", "bonus", "total", "eligible", "inputs",
                  "result", "comment"]
        read_only_fields = fields


class AssessmentCreateSerializer(serializers.Serializer):
    organization = serializers.IntegerField(help_text="id of the applicant organization assessed")
    rubric = serializers.SlugField(help_text="rubric code")
    version = serializers.IntegerField(required=False, help_text="published version (default: the newest)")
    scorer_kind = serializers.ChoiceField(choices=ScorerKind.choices, required=False,
                                          help_text="default: the kind the actor's role records")
    inputs = serializers.DictField(help_text="input key -> value, as for evaluate")
    call = serializers.SlugField(required=False, allow_blank=True, help_text="code of the call (optional)")
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class AssessmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        viewsets.GenericViewSet):
    """Assessments in the actor's scope (an applicant: its own, without the experts' reviews)."""

    serializer_class = AssessmentSerializer
    parser_classes = [JSONParser]
    filterset_fields = ["scorer_kind", "organization"]

    def get_queryset(self):
        qs = assessments_visible(access.actor_of(self.request)).order_by("-scored_at", "-id")
        rubric = self.request.query_params.get("rubric")
        if rubric:
            qs = qs.filter(rubric_version__rubric__code=rubric)
        return qs

    @extend_schema(
        parameters=[OpenApiParameter("rubric", str, required=False, description="rubric code")],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=AssessmentCreateSerializer, responses={201: AssessmentSerializer})
    def create(self, request, *args, **kwargs):
        actor = access.actor_of(request)
        data = AssessmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        org = access.organizations_visible(actor).filter(pk=v["organization"]).first()
        if org is None:  # not in scope, or no such id: the same answer, so nothing leaks
            raise PermissionDenied(_("This organization is outside your scope."))
        versions = selectors.rubric_versions_of(actor, v["rubric"]).filter(status="published")
        version = versions.filter(version=v["version"]).first() if "version" in v else versions.first()
        if version is None:
            raise serializers.ValidationError({"rubric": [_("No published version of this rubric.")]})
        call = None
        if v.get("call"):
            call = calls_visible(actor).filter(code=v["call"]).first()
            if call is None:
                raise serializers.ValidationError({"call": [_("No such call.")]})
        kind = v.get("scorer_kind") or assessment_kind_for(actor) or ""
        try:
            assessment = services.assessment_record(
                actor=actor, organization=org, rubric_version=version, inputs=v["inputs"], scorer_kind=kind,
                call=call, comment=v.get("comment", ""),
            )
        except DjangoValidationError as exc:
            if hasattr(exc, "error_dict"):  # this endpoint answers the inputs' errors per input key
                raise serializers.ValidationError({"inputs": exc.message_dict}) from exc
            raise  # the others as every service error (portal.api_errors)
        return Response(AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    """Register this app's API viewsets on the /api/ router."""
    router.register("rubrics", RubricViewSet, basename="api-rubric")
