"""Documents built in tasks through the REST API, under the same rules as the pages.

/api/documents/                      the document jobs the actor may read (filters: kind, application)
/api/documents/{id}/                 one job: status, pages, SHA-256, error, download URL once built
/api/documents/{id}/download/        the built file (404 for whoever may not read it, or before it is built)
/api/documents/packets/              POST {application}: have the application's packet built (or reuse it)
/api/documents/summaries/            POST {call, format}: the county bureau's summary table of a call
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from portal import access
from programs.policy import calls_visible
from submissions.constants import DocumentFormat, DocumentKind
from submissions.documents import packet as packets
from submissions.documents import summary
from submissions.documents.views import file_response, visible_job
from submissions.models import DocumentJob
from submissions.policy import applications_visible, documents_visible


class DocumentJobSerializer(serializers.ModelSerializer):
    call = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    receipt_number = serializers.CharField(source="receipt.number", default=None, read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentJob
        fields = ["id", "kind", "fmt", "status", "application", "call", "region", "receipt_number", "pages", "size",
                  "progress_done", "progress_total",
                  "sha256", "error", "requested_at", "started_at", "finished_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, obj) -> str | None:
        return reverse("api-document-download", args=[obj.pk]) if obj.is_done else None


class PacketRequestSerializer(serializers.Serializer):
    application = serializers.IntegerField()


class SummaryRequestSerializer(serializers.Serializer):
    call = serializers.CharField(help_text="The call's code (or id).")
    format = serializers.ChoiceField(choices=DocumentFormat.choices, default=DocumentFormat.XLSX)


@extend_schema(parameters=[
    OpenApiParameter("kind", str, enum=DocumentKind.values, required=False),
    OpenApiParameter("application", int, required=False),
])
class DocumentJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Application packets and county summary tables: built by a task; status here, file once built."""

    serializer_class = DocumentJobSerializer
    filter_backends = []

    def get_queryset(self):
        qs = documents_visible(access.actor_of(self.request))
        kind = self.request.query_params.get("kind")
        if kind in DocumentKind.values:
            qs = qs.filter(kind=kind)
        application = self.request.query_params.get("application")
        if application and application.isdigit():
            qs = qs.filter(application_id=int(application))
        return qs

    def get_object(self):
        return visible_job(access.actor_of(self.request), int(self.kwargs["pk"]))

    def _job_out(self, job, created: bool) -> Response:
        job.refresh_from_db()
        return Response(DocumentJobSerializer(job).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=PacketRequestSerializer, responses={201: DocumentJobSerializer, 200: DocumentJobSerializer})
    @action(detail=False, methods=["post"])
    def packets(self, request):
        body = PacketRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actor = access.actor_of(request)
        app = applications_visible(actor).filter(pk=body.validated_data["application"]).first()
        if app is None:
            raise NotFound()
        job = packets.packet_request(actor=actor, application=app)
        return self._job_out(job, job.created_now)

    @extend_schema(request=SummaryRequestSerializer, responses={201: DocumentJobSerializer, 200: DocumentJobSerializer})
    @action(detail=False, methods=["post"])
    def summaries(self, request):
        body = SummaryRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actor = access.actor_of(request)
        ref = body.validated_data["call"]
        calls = calls_visible(actor)
        call = calls.filter(code=ref).first() or (calls.filter(pk=int(ref)).first() if ref.isdigit() else None)
        if call is None:
            raise NotFound()
        job = summary.summary_request(actor=actor, call=call, fmt=body.validated_data["format"])
        return self._job_out(job, job.created_now)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY,
                              (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"):
                                  OpenApiTypes.BINARY,
                              404: OpenApiResponse(description="Not in your scope, or not built yet.")})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        return file_response(self.get_object())


def register(router) -> None:
    """Register this module's API viewsets on the /api/ router."""
    router.register("documents", DocumentJobViewSet, basename="api-document")
