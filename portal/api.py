from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from . import access
from .forms import OrganizationProfileForm
from .models import AuditEntry, Membership, Organization, Region
from .services import audit_record, membership_switch


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)  # a province has none

    class Meta:
        model = Region
        fields = ["code", "name", "level", "kind", "parent", "attributes"]


class OrganizationSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "kind", "credit_code", "region", "industry", "main_business", "address",
                  "contact_name", "contact_phone", "contact_email", "is_provincial_soe", "is_approved"]
        read_only_fields = ["id", "name", "kind", "credit_code", "region", "is_provincial_soe", "is_approved"]


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    organization = serializers.PrimaryKeyRelatedField(read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "username", "organization", "organization_name", "role", "is_active"]


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None, read_only=True)

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor", "actor_role", "actor_organization", "action", "object_type", "object_id",
                  "object_repr", "from_state", "to_state", "comment"]


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """The region tree (GB/T 2260 codes and the portal's own codes for functional zones): public."""

    serializer_class = RegionSerializer
    lookup_field = "code"
    permission_classes = [AllowAny]
    filterset_fields = ["level", "kind"]

    def get_queryset(self):
        qs = Region.objects.select_related("parent")
        parent = self.request.query_params.get("parent")
        if parent:
            qs = qs.filter(parent__code=parent)
        return qs


class OrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = OrganizationSerializer
    filterset_fields = ["kind"]

    def get_queryset(self):
        return access.organizations_visible(access.actor_of(self.request)).order_by("id")

    @extend_schema(request=OrganizationSerializer, responses=OrganizationSerializer)
    def partial_update(self, request, pk=None):
        org = self.get_object()
        actor = access.actor_of(request)
        decision = access.can_change_organization(actor, org)
        if not decision:
            raise PermissionDenied(decision.reason)
        data = {f: getattr(org, f) for f in OrganizationProfileForm.Meta.fields}
        data.update({k: v for k, v in request.data.items() if k in OrganizationProfileForm.Meta.fields})
        form = OrganizationProfileForm(data, instance=org)
        if not form.is_valid():
            raise serializers.ValidationError(form.errors)
        with transaction.atomic():
            changed = {name: str(form.cleaned_data[name]) for name in form.changed_data}
            form.save()
            audit_record(actor=actor, action="organization.update", obj=org, province=org.region.province,
                         region=org.region, organization=org, data={"changed": changed})
        return Response(OrganizationSerializer(org).data)


class MembershipViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MembershipSerializer

    def get_queryset(self):
        return access.memberships_visible(access.actor_of(self.request)).order_by("id")


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """Audit entries can be read within one's scope and never written through the API."""

    serializer_class = AuditEntrySerializer

    def get_queryset(self):
        return access.audit_visible(access.actor_of(self.request))


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    organization = serializers.CharField(allow_null=True)
    region = serializers.CharField(allow_null=True)
    memberships = MembershipSerializer(many=True)


class SwitchSerializer(serializers.Serializer):
    membership = serializers.IntegerField()


def _me(request):
    actor = access.actor_of(request)
    return {
        "username": request.user.username,
        "role": actor.role,
        "organization": actor.organization.name if actor.organization else None,
        "region": actor.region.code if actor.region else None,
        "memberships": MembershipSerializer(access.memberships_of(request.user), many=True).data,
    }


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def me(request):
    return Response(_me(request))


@extend_schema(request=SwitchSerializer, responses=MeSerializer)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def me_switch(request):
    data = SwitchSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    membership_switch(actor=access.actor_of(request), user=request.user,
                      membership_id=data.validated_data["membership"])
    request.user.refresh_from_db()
    request.actor = access.actor_for(request.user)
    return Response(_me(request))


def register(router) -> None:
    """Register the tenancy core's API viewsets on the /api/ router."""
    router.register("regions", RegionViewSet, basename="api-region")
    router.register("organizations", OrganizationViewSet, basename="api-organization")
    router.register("memberships", MembershipViewSet, basename="api-membership")
    router.register("audit", AuditEntryViewSet, basename="api-audit")
