"""REST API of the applicant's side (the same services and rules as the pages).

* ``GET /api/applications/``: the applications the actor may see (an applicant: its own and
  those it is a member unit of; a bureau: the submitted ones of its region).
* ``POST /api/applications/`` ``{"call": code, "accept_commitment": true}``: accept the call's
  commitment letter (recorded with user, time and IP) and open a draft.
* ``GET /api/applications/{id}/``; ``PATCH /api/applications/{id}/`` ``{"version", "data",
  "score_inputs"}``: save the draft (only the parts given change); a stale ``version`` answers
  409 with the current version, and what was sent is kept (``conflict`` id).
* ``POST /api/applications/{id}/upload/`` (multipart ``material``, ``file``, optional
  ``filename``): a file for one material slot, checked by its content.
* ``GET /api/applications/{id}/check/``: what still stops the submission.
* ``POST /api/applications/{id}/submit/``, ``/resubmit/``: 201 with the receipt, or 400 with
  every problem; ``POST /api/applications/{id}/withdraw/``.
* ``POST /api/applications/{id}/score/``: the live self-score of unsaved ``data`` / ``score_inputs``.
* ``POST /api/applications/{id}/members/``: add a member unit; ``GET
  /api/applications/{id}/attachments/{attachment_id}/``: a stored file.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import (
    NotFound,
    PermissionDenied,
    ValidationError,
)
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from portal import access
from programs.policy import calls_visible
from submissions.api_fields import CurrentReceiptFields
from submissions.blind import form_data_for
from submissions.constants import MemberRole, Status
from submissions.embargo import as_seen_by
from submissions.filing import services
from submissions.filing.uploads import UploadRefused, attachment_response
from submissions.forms import form_spec
from submissions.models import Attachment
from submissions.policy import can_follow_applications, can_start_application, can_view_application, can_view_attachment
from submissions.returns import returned_editable

# --- serializers ----------------------------------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    material = serializers.CharField(source="material.code", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "material", "original_name", "content_type", "size", "sha256", "uploaded_at", "is_current",
                  "url"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return f"/api/applications/{obj.application_id}/attachments/{obj.pk}/"


class ReceiptSerializer(serializers.Serializer):
    number = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    fingerprint = serializers.CharField(help_text="SHA-256 of the canonical JSON of `snapshot`")
    snapshot = serializers.DictField(required=False)


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.CharField()
    name = serializers.CharField()
    credit_code = serializers.CharField()
    registered = serializers.BooleanField()


def _member_data(m) -> dict:
    return {"id": m.pk, "role": m.role, "name": m.organization.name if m.organization else m.invited_name,
            "credit_code": m.organization.credit_code if m.organization else m.invited_credit_code,
            "registered": m.organization_id is not None}


class ApplicationListSerializer(CurrentReceiptFields, serializers.Serializer):
    id = serializers.IntegerField()
    call = serializers.CharField(source="call.code")
    call_title = serializers.CharField(source="call.title")
    organization = serializers.CharField(source="organization.name")
    role = serializers.SerializerMethodField(help_text="lead / member (for the asking applicant)")
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    level = serializers.CharField()
    version = serializers.IntegerField()
    self_score = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    last_action = serializers.CharField()
    last_action_at = serializers.DateTimeField(allow_null=True)
    next_deadline = serializers.SerializerMethodField()

    def to_representation(self, instance):
        actor = self.context.get("actor")
        if actor is not None:  # a decision shows the applicant once the result list is published
            instance = as_seen_by(actor, instance)
        return super().to_representation(instance)

    def get_role(self, obj) -> str:
        actor = self.context.get("actor")
        if actor is not None and actor.organization is not None and obj.organization_id != actor.organization.pk:
            return MemberRole.MEMBER
        return MemberRole.LEAD

    def get_next_deadline(self, obj) -> dict | None:
        d = services.next_deadline(obj)
        if d is None:
            return None
        return {"at": timezone.localtime(d.at).isoformat() if d.at else None, "label": str(d.label)}


class RevisionSerializer(serializers.Serializer):
    everything = serializers.BooleanField(help_text="true: the return named no item, the whole form may change")
    fields = serializers.ListField(child=serializers.CharField(), help_text=(
        "data paths that may change (a path unlocks everything under it: \"profile\" unlocks "
        "\"profile.contact_phone\"; \"figures.*.rd_expenditure\" every year's figure)"))
    materials = serializers.ListField(child=serializers.CharField(), help_text="codes of the material slots "
                                      "that take a new file")


class ApplicationSerializer(ApplicationListSerializer):
    data = serializers.JSONField()
    score_inputs = serializers.JSONField()
    revision_deadline = serializers.DateTimeField(allow_null=True)
    return_reasons = serializers.JSONField(help_text="the bureau's reasons, each {target, label, text}: the item it "
                                           "names (general, field:<path>, input:<figure>, material:<code>), the "
                                           "item's label on the form and the reason")
    revision = serializers.SerializerMethodField(help_text="what a returned application may change (null: not "
                                                 "returned); anything else is refused on save and upload")
    attachments = serializers.SerializerMethodField()
    receipts = serializers.SerializerMethodField()
    members = serializers.SerializerMethodField()

    def to_representation(self, instance):
        out = super().to_representation(instance)
        actor = self.context.get("actor")
        if actor is not None:  # an expert on a blind call: without the applicant's contact details
            out["data"] = form_data_for(actor, instance)
        return out

    @extend_schema_field(RevisionSerializer(allow_null=True))
    def get_revision(self, obj) -> dict | None:
        if obj.status != Status.RETURNED:
            return None
        everything, paths, materials = returned_editable(obj)
        return {"everything": everything, "fields": sorted(paths), "materials": sorted(materials)}

    def get_attachments(self, obj) -> list[dict]:
        return AttachmentSerializer(obj.attachments.filter(is_current=True).select_related("material"), many=True).data

    def get_receipts(self, obj) -> list[dict]:
        return [{"number": r.number, "submitted_at": r.submitted_at, "fingerprint": r.fingerprint}
                for r in obj.receipts.order_by("submitted_at")]

    def get_members(self, obj) -> list[dict]:
        return [_member_data(m) for m in obj.members.select_related("organization").order_by("role", "id")]


class CreateSerializer(serializers.Serializer):
    call = serializers.SlugField(help_text="code of the call")
    accept_commitment = serializers.BooleanField(
        default=False, help_text="true: I have read the call's commitment letter and accept it for my organization")


class UpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="the version the changes are based on (optimistic concurrency)")
    # numbers arrive as exact Decimals (portal.json_input): validated with an encoder that knows them
    data = serializers.JSONField(required=False, encoder=DjangoJSONEncoder,
                                 help_text="parts of the form to change (see submissions.forms)")
    score_inputs = serializers.JSONField(required=False, encoder=DjangoJSONEncoder,
                                         help_text="self-assessment inputs not among the figures")


class UploadSerializer(serializers.Serializer):
    material = serializers.CharField(help_text="code of the material slot")
    file = serializers.FileField()
    filename = serializers.CharField(required=False, allow_blank=True, max_length=1000,
                                     help_text="the file's name on the user's computer (default: the part's name)")


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class MemberInviteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    credit_code = serializers.CharField(max_length=18)
    email = serializers.EmailField(required=False, allow_blank=True)


class ProblemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="deadline / closed / commitment / missing / invalid / material / members / "
                                           "eligibility / state")
    message = serializers.CharField()
    target = serializers.CharField(help_text="the form anchor or material slot concerned")


RefusedSerializer = inline_serializer("SubmissionRefused", {
    "detail": serializers.CharField(), "problems": ProblemSerializer(many=True)})
ConflictSerializer = inline_serializer("DraftConflictResponse", {
    "detail": serializers.CharField(), "conflict": serializers.IntegerField(), "current_version": serializers.IntegerField(),
    "locked": serializers.ListField(child=serializers.CharField()), "current": ApplicationSerializer()})
ScoreSerializer = inline_serializer("SelfScore", {
    "total": serializers.CharField(allow_null=True), "base": serializers.CharField(allow_null=True),
    "bonus": serializers.CharField(allow_null=True), "eligible": serializers.BooleanField(allow_null=True),
    "missing": serializers.ListField(child=serializers.CharField()), "items": serializers.ListField(),
    "hints": serializers.ListField(), "errors": serializers.DictField()})


class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Applications under the same rules as the pages (portal.access)."""

    serializer_class = ApplicationSerializer

    def get_queryset(self):
        return services.applications_for_list(access.actor_of(self.request))

    def get_serializer_class(self):
        return ApplicationListSerializer if self.action == "list" else ApplicationSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "actor": access.actor_of(self.request)}

    def get_object(self):
        obj = super().get_object()
        if not can_view_application(access.actor_of(self.request), obj):  # e.g. an expert after its stage closed
            raise NotFound()
        return obj

    def _actor(self):
        actor = access.actor_of(self.request)
        decision = can_follow_applications(actor)
        if not decision:
            raise PermissionDenied(decision.reason)
        return actor

    def _out(self, app, code=status.HTTP_200_OK):
        app = self.get_queryset().get(pk=app.pk)
        return Response(ApplicationSerializer(app, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=CreateSerializer, responses={201: ApplicationSerializer})
    def create(self, request):
        actor = self._actor()
        body = CreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call = calls_visible(actor).filter(code=body.validated_data["call"]).first()
        if call is None:
            raise NotFound(_("No such call."))
        if (call.commitment_text or "").strip() and not services.commitment_accepted(call, actor.organization):
            if not body.validated_data["accept_commitment"]:
                raise ValidationError({"accept_commitment": [_("Read and accept the commitment letter of the call "
                                                               "first (accept_commitment: true).")]})
            decision = can_start_application(actor, call)
            if not decision:
                raise PermissionDenied(decision.reason)
            services.commitment_accept(actor=actor, call=call, ip_address=request.META.get("REMOTE_ADDR"))
        app = services.application_start(actor=actor, call=call)
        return self._out(app, status.HTTP_201_CREATED)

    @extend_schema(request=UpdateSerializer, responses={200: ApplicationSerializer, 409: ConflictSerializer})
    def partial_update(self, request, pk=None):
        actor = self._actor()
        app = self.get_object()
        body = UpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        v = body.validated_data
        outcome = services.application_save_draft(actor=actor, application=app,
                                                  base_version=v["version"], data=v.get("data") or {},
                                                  score_inputs=v.get("score_inputs") or {})
        if outcome.saved:
            response = self._out(outcome.application)
            response.data["warnings"] = outcome.warnings
            return response
        current = self.get_queryset().get(pk=app.pk)
        return Response({
            "detail": outcome.refused, "conflict": outcome.conflict.pk if outcome.conflict else None,
            "current_version": current.version, "locked": outcome.locked,
            "current": ApplicationSerializer(current, context=self.get_serializer_context()).data,
        }, status=status.HTTP_409_CONFLICT)

    @extend_schema(request=UpdateSerializer, responses={200: ApplicationSerializer, 409: ConflictSerializer})
    def update(self, request, pk=None):
        return self.partial_update(request, pk)

    @extend_schema(request={"multipart/form-data": UploadSerializer},
                   responses={201: AttachmentSerializer, 400: OpenApiResponse(description="refused, with the reason")})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def upload(self, request, pk=None):
        actor = self._actor()
        app = self.get_object()
        body = UploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        material = app.call.materials.filter(code=body.validated_data["material"]).first()
        if material is None:
            raise ValidationError({"material": [_("The call asks for no such material.")]})
        upload = body.validated_data["file"]
        try:
            attachment = services.attachment_upload(actor=actor, application=app, material=material, file=upload,
                                                    filename=body.validated_data.get("filename") or upload.name)
        except UploadRefused as exc:  # this endpoint documents the reason of a refused file
            return Response({"detail": " ".join(exc.messages), "reason": exc.reason}, status=status.HTTP_400_BAD_REQUEST)
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: RefusedSerializer})
    @action(detail=True, methods=["get"])
    def check(self, request, pk=None):
        self._actor()
        app = self.get_object()
        problems = services.submission_problems(app)
        return Response({"detail": "" if not problems else _("%(n)d item(s) to settle.") % {"n": len(problems)},
                         "problems": [p.as_dict() for p in problems]})

    def _submit(self, request, fn):
        actor = self._actor()
        app = self.get_object()
        try:
            receipt = fn(actor=actor, application=app)
        except services.SubmissionRefused as exc:  # this endpoint documents every problem
            return Response({"detail": _("The application was not submitted; the draft is kept."),
                             "problems": [p.as_dict() for p in exc.problems]}, status=status.HTTP_400_BAD_REQUEST)
        except DjangoValidationError as exc:  # the state refuses it (a draft resubmitted): the same body
            return Response({"detail": " ".join(exc.messages), "problems": []}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"number": receipt.number, "submitted_at": receipt.submitted_at,
                         "fingerprint": receipt.fingerprint, "snapshot": receipt.snapshot},
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: ReceiptSerializer, 400: RefusedSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._submit(request, services.application_submit)

    @extend_schema(request=None, responses={201: ReceiptSerializer, 400: RefusedSerializer})
    @action(detail=True, methods=["post"])
    def resubmit(self, request, pk=None):
        return self._submit(request, services.application_resubmit)

    @extend_schema(request=WithdrawSerializer, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        actor = self._actor()
        app = self.get_object()
        body = WithdrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.application_withdraw(actor=actor, application=app,
                                      reason=body.validated_data.get("reason", ""))
        return self._out(app)

    @extend_schema(request=UpdateSerializer, responses={200: ScoreSerializer})
    @action(detail=True, methods=["post"])
    def score(self, request, pk=None):
        """The self-score the given (unsaved) figures would give; nothing is stored."""
        self._actor()
        app = self.get_object()
        spec = form_spec(app.call)
        data = request.data.get("data") or {}
        inputs = request.data.get("score_inputs") or {}
        if not isinstance(data, dict) or not isinstance(inputs, dict):
            raise ValidationError(_("The form data must be an object."))
        clean, typed, _warnings = services.clean_input(spec, data, inputs)
        merged = services._deep_merge(app.data or {}, clean)
        typed = {**services.typed_inputs(spec, app.score_inputs), **typed}
        calc = services.score_panel(spec, services.rubric_inputs(spec, merged, typed))
        if calc is None:
            return Response({"total": None, "base": None, "bonus": None, "eligible": None, "missing": [], "items": [],
                             "hints": [], "errors": {}})
        return Response({k: calc.get(k) for k in ("total", "base", "bonus", "eligible", "missing", "items", "hints",
                                                   "errors", "reasons")})

    @extend_schema(request=MemberInviteSerializer, responses={201: MemberSerializer})
    @action(detail=True, methods=["post"])
    def members(self, request, pk=None):
        actor = self._actor()
        app = self.get_object()
        body = MemberInviteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        member = services.member_invite(actor=actor, application=app,
                                        base_url=request.build_absolute_uri("/")[:-1], **body.validated_data)
        return Response(_member_data(member), status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>\d+)")
    def attachment(self, request, pk=None, attachment_id=None):
        app = self.get_object()
        attachment = app.attachments.filter(pk=attachment_id).select_related("application").first()
        if attachment is None or not can_view_attachment(access.actor_of(request), attachment):
            raise NotFound()
        return attachment_response(attachment)


def register(router) -> None:
    """Register this module's API viewsets on the /api/ router."""
    router.register("applications", ApplicationViewSet, basename="api-application")
