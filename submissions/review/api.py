"""The review side through the REST API: the same selectors and services as the pages.

/api/review/applications/            queue (filters: call, stage, status, county, score_min, score_max,
                                     overdue, q, sort), counts per status, bulk actions, export, sign-off
/api/review/applications/{id}/       the review file, and its actions (start, correct, score-levels,
                                     site-visits, opinion, return, reject, recommend, decide, timeline)
/api/review/quotas/                  quota status (used / remaining) of a call in the actor's scope
/api/review/quota-exceptions/        extra places granted by the province
/api/review/extensions/              stage deadline extensions
/api/review/conflicts/               conflict-of-interest declarations
/api/review/results/                 published result lists
"""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from portal import access
from portal.json_input import TextOrNumberField
from portal.models import Organization, Region
from programs.models import Call, Stage, StageExtension
from programs.policy import calls_visible, can_view_call, stage_extensions_visible
from submissions.api_fields import CurrentReceiptFields
from submissions.constants import Level, Status
from submissions.deadlines import bureau_deadline
from submissions.embargo import application_timeline, published_results
from submissions.forms import form_spec
from submissions.models import (
    Application,
    ConflictDeclaration,
    QuotaException,
    ResultPublication,
)
from submissions.policy import (
    applications_visible,
    can_decide_at_all,
    can_view_review,
    can_view_timeline,
    can_work_review_queue,
    conflict_declarations_visible,
    quota_exceptions_visible,
    quota_regions_visible,
    review_applications_visible,
)
from submissions.quotas import quota_region_for, quota_status, quota_statuses
from submissions.returns import resubmission_changes, return_targets
from submissions.review import services
from submissions.review.exports import applications_xlsx
from submissions.review.selectors import SORTS, QueueParams, filter_queue, review_file

# --- output -------------------------------------------------------------------------------------------


class QueueApplicationSerializer(CurrentReceiptFields, serializers.ModelSerializer):
    call = serializers.SlugRelatedField(slug_field="code", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    credit_code = serializers.CharField(source="organization.credit_code", read_only=True)
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    bureau_score = serializers.DecimalField(max_digits=7, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = Application
        fields = ["id", "call", "organization", "organization_name", "credit_code", "region", "status", "level",
                  "routing", "self_score", "bureau_score", "number", "fingerprint", "submitted_at", "revision_deadline",
                  "return_reasons", "last_action", "last_action_at"]


class ReviewOutSerializer(serializers.Serializer):
    level = serializers.CharField()
    reviewer = serializers.CharField(source="reviewer.username", default=None)
    opinion = serializers.CharField()
    score = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    assessment = serializers.IntegerField(source="assessment_id", allow_null=True)
    updated_at = serializers.DateTimeField()


class CorrectionOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    level = serializers.CharField()
    input_key = serializers.CharField()
    old_value = serializers.CharField()
    new_value = serializers.CharField()
    reason = serializers.CharField()
    corrected_by = serializers.CharField(source="corrected_by.username", default=None)
    corrected_at = serializers.DateTimeField()


class SiteVisitOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    level = serializers.CharField()
    visit_date = serializers.DateField()
    people = serializers.CharField()
    findings = serializers.CharField()
    recorded_by = serializers.CharField(source="recorded_by.username", default=None)
    recorded_at = serializers.DateTimeField()
    photos = serializers.SerializerMethodField()

    def get_photos(self, obj) -> list[int]:
        return [p.pk for p in obj.photos.all()]


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.username", default=None)
    actor_role = serializers.CharField()
    actor_organization = serializers.CharField()
    action = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    comment = serializers.CharField()
    score = serializers.SerializerMethodField()

    def get_score(self, obj) -> str | None:
        return (obj.data or {}).get("score")


class QuotaStatusSerializer(serializers.Serializer):
    call = serializers.CharField(source="call.code")
    region = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.name")
    level = serializers.CharField()
    rule = serializers.CharField(source="text")
    limit = serializers.IntegerField(allow_null=True)
    extra = serializers.IntegerField()
    used = serializers.IntegerField()
    remaining = serializers.IntegerField(allow_null=True)
    unlimited = serializers.BooleanField()
    unlimited_reason = serializers.CharField(help_text="why the region may recommend without limit (empty when limited)")
    applied = serializers.CharField(help_text="the rule as it applies to this region: its limit, or why it has none")
    full = serializers.BooleanField(help_text="no place remains: recommending is refused")
    refusal = serializers.SerializerMethodField(help_text="the reason a recommendation is refused now (empty: room)")

    def get_refusal(self, obj) -> str:
        return obj.room.reason if obj.full else ""


class ReturnTargetSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="what a reason's `target` names: general, field:<path> (a section such as "
                                  "field:profile or a single field such as field:summary), input:<figure key>, "
                                  "material:<code>, members")
    label = serializers.CharField()
    group = serializers.ChoiceField(choices=["general", "section", "field", "material"])


class ChangeSerializer(serializers.Serializer):
    label = serializers.CharField()
    before = serializers.CharField()
    after = serializers.CharField()


class ChangesSerializer(serializers.Serializer):
    previous = serializers.CharField(source="previous.number", help_text="receipt of the version returned")
    current = serializers.CharField(source="current.number", help_text="receipt of the resubmission")
    fields = ChangeSerializer(many=True, help_text="every field changed, before / after")
    materials = ChangeSerializer(many=True, help_text="every material replaced: file names before / after")
    versions = serializers.SerializerMethodField(help_text="every receipt, the first submission first")

    def get_versions(self, obj) -> list[str]:
        return [r.number for r in obj.versions]


class ReviewFileSerializer(QueueApplicationSerializer):
    reviews = serializers.SerializerMethodField()
    corrections = serializers.SerializerMethodField()
    site_visits = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()
    scores = serializers.SerializerMethodField()
    deadline = serializers.SerializerMethodField()
    quota = serializers.SerializerMethodField()
    return_targets = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField()

    class Meta(QueueApplicationSerializer.Meta):
        fields = QueueApplicationSerializer.Meta.fields + [
            "score_inputs", "data", "reviews", "corrections", "site_visits", "timeline", "scores", "deadline", "quota",
            "return_targets", "changes"]

    @extend_schema_field(ReturnTargetSerializer(many=True))
    def get_return_targets(self, obj) -> list[dict]:
        """What a return for revision can name on this application's form."""
        return ReturnTargetSerializer(return_targets(form_spec(obj.call)), many=True).data

    @extend_schema_field(ChangesSerializer(allow_null=True))
    def get_changes(self, obj) -> dict | None:
        """The latest submission compared with the one before (null: submitted once)."""
        changes = resubmission_changes(obj)
        return None if changes is None else ChangesSerializer(changes).data

    def _file(self, obj):
        cache = self.context.setdefault("_file", {})
        if obj.pk not in cache:
            cache[obj.pk] = review_file(self.context["actor"], obj)
        return cache[obj.pk]

    def get_reviews(self, obj) -> list[dict]:
        return ReviewOutSerializer(self._file(obj)["reviews"], many=True).data

    def get_corrections(self, obj) -> list[dict]:
        return CorrectionOutSerializer(self._file(obj)["corrections"], many=True).data

    def get_site_visits(self, obj) -> list[dict]:
        return SiteVisitOutSerializer(self._file(obj)["visits"], many=True).data

    def get_timeline(self, obj) -> list[dict]:
        return TimelineEntrySerializer(application_timeline(self.context["actor"], obj), many=True).data

    def get_scores(self, obj) -> dict | None:
        return self._file(obj)["scores"]

    def get_deadline(self, obj) -> str | None:
        d = bureau_deadline(application=obj) if obj.level else None
        return timezone.localtime(d.at).isoformat() if d and d.at else None

    def get_quota(self, obj) -> dict | None:
        if obj.level not in (Level.COUNTY, Level.CITY):
            return None
        region = quota_region_for(application=obj, level=obj.level)
        if region is None:
            return None
        return QuotaStatusSerializer(quota_status(call=obj.call, region=region, level=obj.level)).data


# --- input ---------------------------------------------------------------------------------------------


class CorrectInput(serializers.Serializer):
    input_key = serializers.CharField(max_length=64)
    new_value = TextOrNumberField(max_length=64)  # "1.5" or 1.5 (a JSON number keeps its exact text)
    reason = serializers.CharField()


class LevelScoresInput(serializers.Serializer):
    levels = serializers.DictField(child=serializers.CharField(allow_blank=True))
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SiteVisitInput(serializers.Serializer):
    visit_date = serializers.DateField()
    people = serializers.CharField(max_length=300)
    findings = serializers.CharField()
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class OpinionInput(serializers.Serializer):
    opinion = serializers.CharField(allow_blank=True)


class ReasonInput(serializers.Serializer):
    target = serializers.CharField(required=False, default="general", max_length=100, help_text=(
        "the item the reason names, one of the review file's `return_targets`: general, a form section "
        "(field:profile, field:figures ...), a single field (field:summary, input:rd_expenditure ...) or a material "
        "slot (material:<code>); the applicant may change exactly the items named (all of them when only general "
        "reasons are given)"))
    label = serializers.CharField(required=False, default="", allow_blank=True, max_length=200,
                                  help_text="ignored for an item of the form: its label is the form's")
    text = serializers.CharField()


class ReturnInput(serializers.Serializer):
    reasons = ReasonInput(many=True)
    revision_deadline = serializers.DateTimeField()


class RejectInput(serializers.Serializer):
    reason = serializers.CharField()


SCORE_HELP = ("the bureau's initial score (初评分): between 0 and the maximum of the call's rubric (0-100 when "
              "the call has no rubric); required when the call says so (`bureau_score_required`); it must meet "
              "the call's conditions on `initial_score` (e.g. 初评得分不低于60分), else 400 quoting the condition. "
              "Omitted: the bureau's earlier score. With a rubric the score is computed from the figures and "
              "must be omitted")


class RecommendInput(serializers.Serializer):
    opinion = serializers.CharField(required=False, allow_blank=True, default="")
    score = serializers.DecimalField(max_digits=7, decimal_places=2, required=False, allow_null=True, default=None,
                                     help_text=SCORE_HELP)


class DecideInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=list(services.DECISIONS))
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class SelectionInput(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)


class BulkRecommendInput(SelectionInput):
    opinion = serializers.CharField()
    scores = serializers.DictField(
        child=serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True), required=False,
        default=dict, help_text="the score of each row, by application id (\"12\": \"75\"); a row left out "
        "keeps the bureau's earlier score. " + SCORE_HELP + ". Rows whose score is refused are all named in "
        "one 400 and nothing is recommended")


class BulkReturnInput(SelectionInput):
    reason = serializers.CharField()
    revision_deadline = serializers.DateTimeField()


class SignOffInput(serializers.Serializer):
    call = serializers.SlugField()
    ids = serializers.ListField(child=serializers.IntegerField(), required=False, allow_empty=True, default=list)
    opinion = serializers.CharField(required=False, allow_blank=True, default="",
                                    help_text="the head's opinion, kept with each recommendation signed off")


class BulkDecideInput(SelectionInput):
    decision = serializers.ChoiceField(choices=list(services.DECISIONS))
    comment = serializers.CharField(required=False, allow_blank=True, default="",
                                    help_text="the message; blank: the decision's template (GET decision-templates)")


class DecisionTemplateSerializer(serializers.Serializer):
    decision = serializers.CharField(source="value")
    label = serializers.CharField()
    template = serializers.CharField()


class BulkOutcomeSerializer(serializers.Serializer):
    done = serializers.ListField(child=serializers.IntegerField())


QUEUE_PARAMETERS = [
    OpenApiParameter("call", int, description="call id"),
    OpenApiParameter("stage", str, enum=["all", *Level.values], description="level holding the application "
                     "(default: the actor's level)"),
    OpenApiParameter("status", str, enum=[s for s in Status.values if s != Status.DRAFT]),
    OpenApiParameter("county", int, description="region id"),
    OpenApiParameter("score_min", float), OpenApiParameter("score_max", float),
    OpenApiParameter("overdue", bool),
    OpenApiParameter("q", str, description="name, credit code or receipt number"),
    OpenApiParameter("sort", str, enum=list(SORTS)),
]


def _actor(request):
    return access.actor_of(request)


class ReviewApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The bureaus' queue and review files. Applicants get nothing here (their side is /api/applications/)."""

    filter_backends: list = []

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ReviewFileSerializer
        return QueueApplicationSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "actor": _actor(self.request)}

    def get_queryset(self):
        actor = _actor(self.request)
        params = QueueParams.from_query(self.request.query_params)
        qs = filter_queue(actor, params).select_related("call", "organization", "region").with_current_receipt()
        return qs.order_by(*SORTS.get(params.sort, SORTS["-submitted"]))

    def _app(self, pk) -> Application:
        actor = _actor(self.request)
        app = review_applications_visible(actor).select_related("call", "organization", "region__city",
                                                                       "province").filter(pk=pk).first()
        if app is None:
            raise NotFound()
        decision = can_view_review(actor, app)
        if not decision:
            raise PermissionDenied(decision.reason)
        return app

    def retrieve(self, request, *args, **kwargs):
        app = self._app(kwargs["pk"])
        app.bureau_score = next((r.score for r in app.reviews.all() if r.level == app.level), None)
        return Response(ReviewFileSerializer(app, context=self.get_serializer_context()).data)

    @extend_schema(parameters=QUEUE_PARAMETERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _done(self, pk):
        return self.retrieve(self.request, pk=pk)

    def _input(self, serializer_class):
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data

    @extend_schema(request=None, responses=ReviewFileSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        app = self._app(pk)
        services.review_start(actor=_actor(request), application=app)
        return self._done(pk)

    @extend_schema(request=CorrectInput, responses=ReviewFileSerializer)
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        app = self._app(pk)
        services.input_correct(actor=_actor(request), application=app, **self._input(CorrectInput))
        return self._done(pk)

    @extend_schema(request=LevelScoresInput, responses=ReviewFileSerializer)
    @action(detail=True, methods=["post"], url_path="score-levels")
    def score_levels(self, request, pk=None):
        app = self._app(pk)
        services.level_items_score(actor=_actor(request), application=app,
                                   **self._input(LevelScoresInput))
        return self._done(pk)

    @extend_schema(request={"multipart/form-data": SiteVisitInput}, responses=ReviewFileSerializer)
    @action(detail=True, methods=["post"], url_path="site-visits")
    def site_visits(self, request, pk=None):
        app = self._app(pk)
        data = SiteVisitInput(data={**{k: request.data.get(k) for k in ("visit_date", "people", "findings")},
                                    "photos": request.FILES.getlist("photos")})
        data.is_valid(raise_exception=True)
        services.site_visit_record(actor=_actor(request), application=app, **data.validated_data)
        return self._done(pk)

    @extend_schema(request=OpinionInput, responses=ReviewFileSerializer)
    @action(detail=True, methods=["post"])
    def opinion(self, request, pk=None):
        app = self._app(pk)
        services.review_opinion_save(actor=_actor(request), application=app,
                                     **self._input(OpinionInput))
        return self._done(pk)

    @extend_schema(request=ReturnInput, responses=ReviewFileSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_for_revision(self, request, pk=None):
        app = self._app(pk)
        data = self._input(ReturnInput)
        services.application_return(actor=_actor(request), application=app, reasons=[dict(r) for r in data["reasons"]],
                                    revision_deadline=data["revision_deadline"])
        return self._done(pk)

    @extend_schema(request=RejectInput, responses=ReviewFileSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        app = self._app(pk)
        services.application_reject(actor=_actor(request), application=app,
                                    **self._input(RejectInput))
        return self._done(pk)

    @extend_schema(request=RecommendInput, responses=ReviewFileSerializer)
    @action(detail=True, methods=["post"])
    def recommend(self, request, pk=None):
        app = self._app(pk)
        services.application_recommend(actor=_actor(request), application=app,
                                       **self._input(RecommendInput))
        return self._done(pk)

    @extend_schema(request=RejectInput, responses=ReviewFileSerializer)
    @action(detail=True, methods=["post"], url_path="withdraw-recommendation")
    def withdraw_recommendation(self, request, pk=None):
        app = self._app(pk)
        services.application_withdraw_recommendation(actor=_actor(request), application=app,
                                                     **self._input(RejectInput))
        return self._done(pk)

    @extend_schema(request=DecideInput, responses=ReviewFileSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        app = self._app(pk)
        services.application_decide(actor=_actor(request), application=app,
                                    **self._input(DecideInput))
        return self._done(pk)

    @extend_schema(responses=TimelineEntrySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)  # the whole timeline, a plain list
    def timeline(self, request, pk=None):
        """The timeline: also for the applicant of the application (transitions only)."""
        actor = _actor(request)
        app = applications_visible(actor).filter(pk=pk).first()
        if app is None or not can_view_timeline(actor, app):
            raise NotFound()
        return Response(TimelineEntrySerializer(application_timeline(actor, app), many=True).data)

    @extend_schema(parameters=QUEUE_PARAMETERS, responses=inline_serializer(
        "ReviewQueueCounts", {"counts": serializers.DictField(child=serializers.IntegerField()),
                              "total": serializers.IntegerField()}))
    @action(detail=False, methods=["get"])
    def counts(self, request):

        actor = _actor(request)
        params = QueueParams.from_query(request.query_params)
        counts = {row["status"]: row["n"] for row in filter_queue(actor, params, with_status=False)
                  .order_by().values("status").annotate(n=Count("id"))}
        return Response({"counts": counts, "total": sum(counts.values())})

    @extend_schema(request=BulkRecommendInput, responses=BulkOutcomeSerializer)
    @action(detail=False, methods=["post"], url_path="bulk-recommend")
    def bulk_recommend(self, request):
        data = self._input(BulkRecommendInput)
        outcome = services.applications_recommend(actor=_actor(request), applications=data["ids"],
                                                  opinion=data["opinion"], scores=data["scores"])
        return Response({"done": [a.pk for a in outcome.done]})

    @extend_schema(request=BulkReturnInput, responses=BulkOutcomeSerializer)
    @action(detail=False, methods=["post"], url_path="bulk-return")
    def bulk_return(self, request):
        data = self._input(BulkReturnInput)
        outcome = services.applications_return(actor=_actor(request), applications=data["ids"],
                                               reason=data["reason"], revision_deadline=data["revision_deadline"])
        return Response({"done": [a.pk for a in outcome.done]})

    @extend_schema(request=SignOffInput, responses=BulkOutcomeSerializer)
    @action(detail=False, methods=["post"], url_path="sign-off")
    def sign_off(self, request):
        data = self._input(SignOffInput)
        call = Call.objects.filter(code=data["call"]).first()
        if call is None or not can_view_call(_actor(request), call):
            raise NotFound()
        outcome = services.sign_off_batch(actor=_actor(request), call=call,
                                          applications=data["ids"] or None, opinion=data["opinion"])
        return Response({"done": [a.pk for a in outcome.done]})

    @extend_schema(request=BulkDecideInput, responses=BulkOutcomeSerializer)
    @action(detail=False, methods=["post"], url_path="bulk-decide")
    def bulk_decide(self, request):
        """The province's decision (认定 / 不予认定 / 试点) on several applications, all or none."""
        data = self._input(BulkDecideInput)
        decision = can_decide_at_all(_actor(request))
        if not decision:
            raise PermissionDenied(decision.reason)
        outcome = services.applications_decide(actor=_actor(request), applications=data["ids"],
                                               decision=data["decision"], comment=data["comment"])
        return Response({"done": [a.pk for a in outcome.done]})

    @extend_schema(responses=DecisionTemplateSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="decision-templates", pagination_class=None)
    def decision_templates(self, request):
        """The messages used for a decision when none is written (认定 / 不予认定 / 试点)."""
        return Response(DecisionTemplateSerializer(services.decision_choices(), many=True).data)

    @extend_schema(request=SelectionInput, responses={(200, "application/vnd.openxmlformats-officedocument."
                                                             "spreadsheetml.sheet"): OpenApiTypes.BINARY})
    @action(detail=False, methods=["post"])
    def export(self, request):
        actor = _actor(request)
        data = self._input(SelectionInput)
        rows = list(filter_queue(actor, QueueParams(stage="all")).filter(pk__in=data["ids"])
                    .select_related("organization", "call", "region").with_current_receipt()
                    .order_by("region__code", "organization__name"))
        if not rows:
            raise NotFound()
        response = HttpResponse(applications_xlsx(rows),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = 'attachment; filename="applications.xlsx"'
        return response


class QuotaViewSet(viewsets.GenericViewSet):
    """Quota status (used / remaining) of one call for the regions in the actor's scope."""

    serializer_class = QuotaStatusSerializer
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self):
        return Application.objects.none()

    @extend_schema(parameters=[OpenApiParameter("call", str, required=True, description="call code")],
                   responses=QuotaStatusSerializer(many=True))
    def list(self, request):
        actor = _actor(request)
        if not can_work_review_queue(actor):
            raise PermissionDenied()
        call = Call.objects.filter(code=request.query_params.get("call", "")).first()
        if call is None or not can_view_call(actor, call):
            raise NotFound()
        cities, counties = quota_regions_visible(actor, call)
        rows = quota_statuses(calls=[call], regions=list(cities), level=Level.CITY) + quota_statuses(
            calls=[call], regions=list(counties), level=Level.COUNTY)
        return Response(QuotaStatusSerializer([r for r in rows if r.quota or r.used], many=True).data)


class QuotaExceptionSerializer(serializers.ModelSerializer):
    call = serializers.SlugRelatedField(slug_field="code", queryset=Call.objects.all())
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    granted_by = serializers.CharField(source="granted_by.username", read_only=True, default=None)

    class Meta:
        model = QuotaException
        fields = ["id", "call", "region", "extra", "reason", "granted_by", "granted_at"]
        read_only_fields = ["id", "granted_by", "granted_at"]


class QuotaExceptionViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Extra places granted by a provincial officer (with the reason; audited)."""

    serializer_class = QuotaExceptionSerializer
    filter_backends: list = []

    def get_queryset(self):
        actor = _actor(self.request)
        return quota_exceptions_visible(actor).order_by("-granted_at")

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if not can_view_call(_actor(request), v["call"]):
            raise NotFound()
        exc = services.quota_exception_grant(actor=_actor(request), call=v["call"], region=v["region"],
                                             extra=v["extra"], reason=v["reason"])
        return Response(QuotaExceptionSerializer(exc).data, status=status.HTTP_201_CREATED)


class StageExtensionSerializer(serializers.ModelSerializer):
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all())
    call = serializers.CharField(source="stage.call.code", read_only=True)
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all(), required=False,
                                          allow_null=True)
    granted_by = serializers.CharField(source="granted_by.username", read_only=True, default=None)

    class Meta:
        model = StageExtension
        fields = ["id", "stage", "call", "region", "new_deadline", "reason", "granted_by", "granted_at"]
        read_only_fields = ["id", "call", "granted_by", "granted_at"]


class StageExtensionViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Deadline extensions by the province (reason and who made it recorded; users notified)."""

    serializer_class = StageExtensionSerializer
    filter_backends: list = []

    def get_queryset(self):
        actor = _actor(self.request)
        return stage_extensions_visible(actor).order_by("-granted_at")

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if not can_view_call(_actor(request), v["stage"].call):
            raise NotFound()
        ext = services.stage_extend(actor=_actor(request), stage=v["stage"],
                                    new_deadline=v["new_deadline"], reason=v["reason"], region=v.get("region"))
        return Response(StageExtensionSerializer(ext).data, status=status.HTTP_201_CREATED)


class ConflictDeclarationSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())

    class Meta:
        model = ConflictDeclaration
        fields = ["id", "user", "organization", "relation", "declared_at"]
        read_only_fields = ["id", "user", "declared_at"]


class ConflictDeclarationViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Conflict-of-interest declarations: one's own (a head also sees the colleagues')."""

    serializer_class = ConflictDeclarationSerializer
    filter_backends: list = []

    def get_queryset(self):
        return conflict_declarations_visible(_actor(self.request)).order_by("-declared_at")

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = _actor(request)
        org = data.validated_data["organization"]
        if not access.can_view_organization(actor, org):
            raise NotFound()
        declaration = services.conflict_declare(actor=actor, organization=org,
                                                relation=data.validated_data["relation"])
        return Response(ConflictDeclarationSerializer(declaration).data, status=status.HTTP_201_CREATED)


class ResultPublicationSerializer(serializers.ModelSerializer):
    call = serializers.SlugRelatedField(slug_field="code", queryset=Call.objects.all())
    published_by = serializers.CharField(source="published_by.username", read_only=True, default=None)
    results = serializers.SerializerMethodField()

    class Meta:
        model = ResultPublication
        fields = ["id", "call", "published_at", "published_by", "note", "results"]
        read_only_fields = ["id", "published_at", "published_by", "results"]

    def get_results(self, obj) -> list[dict]:
        return [
            {"organization": a.organization.name, "region": a.region.code, "status": a.status}
            for a in published_results(obj)
        ]


class ResultPublicationViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Published result lists (public notices of the calls one may see); the province publishes."""

    serializer_class = ResultPublicationSerializer
    filter_backends: list = []

    def get_queryset(self):
        actor = _actor(self.request)
        return ResultPublication.objects.filter(call__in=calls_visible(actor).values("pk")).select_related(
            "call", "published_by").order_by("-published_at")

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        call = data.validated_data["call"]
        if not can_view_call(_actor(request), call):
            raise NotFound()
        publication = services.results_publish(actor=_actor(request), call=call,
                                               note=data.validated_data.get("note", ""))
        return Response(ResultPublicationSerializer(publication).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    """Register this module's API viewsets on the /api/ router."""
    router.register("review/applications", ReviewApplicationViewSet, basename="api-review-application")
    router.register("review/quotas", QuotaViewSet, basename="api-review-quota")
    router.register("review/quota-exceptions", QuotaExceptionViewSet, basename="api-review-quota-exception")
    router.register("review/extensions", StageExtensionViewSet, basename="api-review-extension")
    router.register("review/conflicts", ConflictDeclarationViewSet, basename="api-review-conflict")
    router.register("review/results", ResultPublicationViewSet, basename="api-review-result")
