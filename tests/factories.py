"""factory_boy factories for the portal's models."""

import itertools

import factory
from factory.django import DjangoModelFactory

from portal.constants import OrgKind, RegionLevel, Role
from portal.creditcode import make_credit_code
from portal.models import Membership, Organization, Region, User
from programs.constants import CallStatus, DeadlineKind, StageLevel
from programs.models import Call, ProgramType, Stage

_serial = itertools.count(1)
PASSWORD = "pw-for-tests-123"


def credit_code_for(region_code: str) -> str:
    n = next(_serial)
    body = f"91{region_code[:6]}MA{n:07d}"[:17]
    return make_credit_code(body.replace("I", "1"))


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password(PASSWORD)


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"9{n:05d}")
    name = factory.Sequence(lambda n: f"地区{n}")
    level = RegionLevel.COUNTY


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    kind = OrgKind.ENTERPRISE
    region = factory.SubFactory(RegionFactory)
    credit_code = factory.LazyAttribute(
        lambda o: credit_code_for(o.region.code.lstrip("Z").replace("-", "")[:6]) if o.kind in (
            OrgKind.ENTERPRISE, OrgKind.RESEARCH_INSTITUTE, OrgKind.UNIVERSITY) else None
    )


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.APPLICANT_ADMIN


class ProgramTypeFactory(DjangoModelFactory):
    class Meta:
        model = ProgramType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"program-{n}")
    name = factory.Sequence(lambda n: f"项目类型{n}")
    applicant_kinds = ["enterprise"]


class CallFactory(DjangoModelFactory):
    class Meta:
        model = Call

    code = factory.Sequence(lambda n: f"call-{n}")
    program = factory.SubFactory(ProgramTypeFactory)
    year = 2026
    title = factory.Sequence(lambda n: f"测试申报通知{n}")
    status = CallStatus.PUBLISHED


class StageFactory(DjangoModelFactory):
    class Meta:
        model = Stage

    call = factory.SubFactory(CallFactory)
    order = 1
    level = StageLevel.APPLICANT
    name = "企业申报"
    deadline_kind = DeadlineKind.ABSOLUTE


def application_for(organization, call, *, created_by=None, data=None, score_inputs=None, routing=None):
    """A draft application of `organization` to `call` (test set-up)."""
    from submissions.models import Application

    region = organization.region
    return Application.objects.create(
        call=call, organization=organization, region=region, province=region.province,
        routing=routing or ["county", "city", "province"], created_by=created_by, data=data or {},
        score_inputs=score_inputs or {}, title=f"{organization.name} · {call.title}",
    )


def fire_as(user, application, name, **kwargs):
    """Run a workflow transition as `user` (test set-up for later stages)."""
    from django.db import transaction

    from portal.access import actor_for
    from submissions.workflow import fire

    with transaction.atomic():
        return fire(actor=actor_for(user), application=application, name=name, **kwargs)
