from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from portal import access
from programs.policy import can_view_call

from . import services
from .filters import CallFilter
from .models import Call, Contact, EligibilityCondition, ProgramType, Quota, RequiredMaterial, Stage
from .selectors import call_detail_queryset, with_deadlines
from .workdays import WorkdayCalendar, stage_deadline


class ProgramTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgramType
        fields = ["code", "name", "name_en", "description", "applicant_kinds", "multi_organization"]


class StageSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    effective_deadline = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = Stage
        fields = [
            "id", "order", "level", "region", "name", "description", "deadline_kind", "deadline_at",
            "relative_working_days", "event_name", "event_date", "effective_deadline", "warnings", "source_text",
        ]

    def _deadline(self, obj):
        cache = self.context.setdefault("_deadlines", {})
        if obj.pk not in cache:
            calendar = self.context.setdefault("_calendar", WorkdayCalendar())
            cache[obj.pk] = stage_deadline(obj, calendar)
        return cache[obj.pk]

    def get_effective_deadline(self, obj) -> str | None:
        at = self._deadline(obj).at
        return timezone.localtime(at).isoformat() if at else None

    def get_warnings(self, obj) -> list[str]:
        return [str(w) for w in self._deadline(obj).warnings]


class QuotaSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    text = serializers.SerializerMethodField()

    class Meta:
        model = Quota
        fields = ["scope", "region", "rule", "limit", "condition_attribute", "limit_if_true", "in_principle",
                  "text", "source_text"]

    def get_text(self, obj) -> str:
        return str(obj.describe())


class ConditionSerializer(serializers.ModelSerializer):
    class Meta:
        model = EligibilityCondition
        fields = ["code", "kind", "text", "input_key", "denominator_key", "comparator", "threshold", "unit",
                  "is_hard", "exempt_if"]


class MaterialSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequiredMaterial
        fields = ["code", "name", "description", "allowed_types", "max_size_mb", "is_required", "copies"]


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["department", "name", "phone", "email", "address"]


_MOMENT = serializers.DateTimeField(allow_null=True, read_only=True)


class CallListSerializer(serializers.ModelSerializer):
    """A call as the asking user sees it: its deadlines are those that bind the user's region
    (the one deadline resolver, programs.deadlines: a stage limited to the region or its city
    wins over a general one; the province's extensions for the region apply)."""

    province = serializers.SlugRelatedField(slug_field="code", read_only=True)
    program = serializers.SlugRelatedField(slug_field="code", read_only=True)
    filing_deadline = serializers.SerializerMethodField(
        help_text="When filing closes for applicants of the asking user's region (the region's own stage or an "
                  "extension for it included; for an anonymous user, the call's general stage). Null: no "
                  "deadline (rolling, counted from an event not dated yet, or no filing stage).")
    is_open = serializers.SerializerMethodField(
        help_text="Published, and filing_deadline has not passed (a call without a filing deadline is open).")
    your_deadline = serializers.SerializerMethodField(
        help_text="The moment that binds the asking user's organization: for an applicant its filing deadline "
                  "(equal to its application's deadline and to what 我的政策 shows), for a county or city bureau "
                  "or the provincial department the deadline of its own level's stage for its region, "
                  "extensions included. Null when anonymous, for the platform operator, or when no deadline "
                  "binds.")

    class Meta:
        model = Call
        fields = ["code", "province", "program", "kind", "year", "batch", "title", "document_number", "issuer",
                  "status", "filing_deadline", "is_open", "your_deadline"]

    def _deadlines(self, obj):
        if getattr(obj, "deadlines", None) is None:
            request = self.context.get("request")
            actor = access.actor_of(request) if request is not None else access.ANONYMOUS
            with_deadlines(actor, [obj])
        return obj.deadlines

    @extend_schema_field(_MOMENT)
    def get_filing_deadline(self, obj):
        at = self._deadlines(obj).filing.at
        return _MOMENT.to_representation(at) if at else None

    @extend_schema_field(serializers.BooleanField())
    def get_is_open(self, obj) -> bool:
        return self._deadlines(obj).is_open

    @extend_schema_field(_MOMENT)
    def get_your_deadline(self, obj):
        yours = self._deadlines(obj).yours
        return _MOMENT.to_representation(yours.at) if yours is not None and yours.at else None


class CallDetailSerializer(CallListSerializer):
    stages = StageSerializer(many=True, read_only=True)
    quotas = QuotaSerializer(many=True, read_only=True)
    conditions = ConditionSerializer(many=True, read_only=True)
    materials = MaterialSerializer(many=True, read_only=True)
    contacts = ContactSerializer(many=True, read_only=True)

    class Meta(CallListSerializer.Meta):
        fields = CallListSerializer.Meta.fields + [
            "notice_text", "commitment_text", "rubric_code", "blind_review", "soe_direct_to_province", "bureau_score_required",
            "issued_on", "stages", "quotas",
            "conditions", "materials", "contacts",
        ]


class CallUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, max_length=300)
    document_number = serializers.CharField(required=False, allow_blank=True, max_length=100)
    batch = serializers.CharField(required=False, allow_blank=True, max_length=64)
    notice_text = serializers.CharField(required=False, allow_blank=True)
    commitment_text = serializers.CharField(required=False, allow_blank=True)
    blind_review = serializers.BooleanField(required=False, help_text="experts see the applications without the "
                                                                       "applicant's contact details")


class EventDateSerializer(serializers.Serializer):
    stage = serializers.IntegerField()
    event_date = serializers.DateField()


class ProgramTypeViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = ProgramType.objects.all()
    serializer_class = ProgramTypeSerializer
    lookup_field = "code"
    permission_classes = [AllowAny]


class CallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Calls: published notices are public; drafts only for their province's staff."""

    lookup_field = "code"
    filterset_class = CallFilter
    permission_classes = [AllowAny]

    def get_queryset(self):
        return call_detail_queryset(access.actor_of(self.request)).order_by("-year", "code")

    def get_serializer_class(self):
        if self.action == "list":
            return CallListSerializer
        if self.action == "partial_update":
            return CallUpdateSerializer
        return CallDetailSerializer

    def _detail(self, call):
        fresh = self.get_queryset().get(pk=call.pk)
        return Response(CallDetailSerializer(fresh, context=self.get_serializer_context()).data)

    def _require_login(self):
        if not self.request.user.is_authenticated:
            raise PermissionDenied()

    @extend_schema(request=CallUpdateSerializer, responses=CallDetailSerializer)
    def partial_update(self, request, code=None):
        self._require_login()
        call = self.get_object()
        data = CallUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.call_update(actor=access.actor_of(request), call=call, changes=dict(data.validated_data))
        return self._detail(call)

    @extend_schema(request=None, responses=CallDetailSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, code=None):
        self._require_login()
        call = self.get_object()
        services.call_publish(actor=access.actor_of(request), call=call)
        return self._detail(call)

    @extend_schema(request=None, responses=CallDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, code=None):
        self._require_login()
        call = self.get_object()
        services.call_close(actor=access.actor_of(request), call=call, comment=request.data.get("comment", ""))
        return self._detail(call)

    @extend_schema(request=EventDateSerializer, responses=CallDetailSerializer)
    @action(detail=True, methods=["post"], url_path="event-date")
    def event_date(self, request, code=None):
        """Date the event a relative deadline counts from (e.g. Guizhou's training)."""
        self._require_login()
        call = self.get_object()
        data = EventDateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stage = call.stages.filter(pk=data.validated_data["stage"]).first()
        if stage is None:
            raise ValidationError({"stage": [_("This call has no such stage.")]})
        services.stage_set_event_date(actor=access.actor_of(request), stage=stage,
                                      event_date=data.validated_data["event_date"])
        return self._detail(call)

    def get_object(self):
        obj = super().get_object()
        decision = can_view_call(access.actor_of(self.request), obj)
        if not decision:  # the queryset already hides it; a second guard costs nothing
            raise PermissionDenied(decision.reason)
        return obj


def register(router) -> None:
    """Register this app's API viewsets on the /api/ router."""
    router.register("programs", ProgramTypeViewSet, basename="api-program")
    router.register("calls", CallViewSet, basename="api-call")
