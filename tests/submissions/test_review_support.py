"""Helpers for the review tests (no tests here): calls with bureau stages and quotas, submitted
applications, and a snapshot of everything a refused request must leave unchanged."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from portal.constants import OrgKind, Role
from programs.constants import DeadlineKind, QuotaRule, QuotaScope, StageLevel
from programs.models import Quota
from tests.factories import (
    CallFactory,
    MembershipFactory,
    OrganizationFactory,
    StageFactory,
    UserFactory,
    application_for,
    fire_as,
)

FAR = dt.timedelta(days=60)


def review_call(world, *, code: str, limit: int | None = None, scope: str = QuotaScope.PER_COUNTY,
                conditional: bool = False, county_deadline=None, city_deadline=None, rubric_code: str = "",
                province=None):
    """A published call of 江西 (or `province`) with applicant, county and city stages and an optional quota."""
    now = timezone.now()
    call = CallFactory(code=code, province=province or world.jx, rubric_code=rubric_code)
    StageFactory(call=call, order=1, level=StageLevel.APPLICANT, name="企业申报", deadline_at=now + FAR)
    StageFactory(call=call, order=2, level=StageLevel.COUNTY, name="县级审核推荐", deadline_kind=DeadlineKind.ABSOLUTE,
                 deadline_at=county_deadline or now + FAR)
    StageFactory(call=call, order=3, level=StageLevel.CITY, name="市级推荐", deadline_kind=DeadlineKind.ABSOLUTE,
                 deadline_at=city_deadline or now + FAR)
    if conditional:
        Quota.objects.create(call=call, scope=QuotaScope.PER_COUNTY, rule=QuotaRule.CONDITIONAL, limit=limit,
                             condition_attribute="has_city_etc_program", limit_if_true=None,
                             source_text="未开展市级企业技术中心建设的地区推荐数量不超过 2 家")
    elif limit is not None:
        Quota.objects.create(call=call, scope=scope, rule=QuotaRule.FIXED, limit=limit)
    return call


def admin_of(org):
    """The applicant administrator of `org` (created when the world has none)."""
    from portal.models import Membership

    m = Membership.objects.filter(organization=org, role=Role.APPLICANT_ADMIN).select_related("user").first()
    if m is not None:
        return m.user
    user = UserFactory(email=f"admin-{org.pk}@example.com")
    m = MembershipFactory(user=user, organization=org, role=Role.APPLICANT_ADMIN)
    user.active_membership = m
    user.save(update_fields=["active_membership"])
    return user


def enterprise(region, name=None):
    return OrganizationFactory(region=region, kind=OrgKind.ENTERPRISE, **({"name": name} if name else {}))


def submitted(org, call, *, score_inputs=None, routing=None, self_score=None):
    """An application of `org` to `call`, submitted by its administrator (at the first level)."""
    app = application_for(org, call, score_inputs=score_inputs, routing=routing)
    if self_score is not None:
        app.self_score = self_score
        app.save(update_fields=["self_score"])
    fire_as(admin_of(org), app, "submit")
    app.refresh_from_db()
    return app


def at_city(world, org, call, **kwargs):
    """An application recommended by the county and signed off: waiting at the city."""
    from portal.access import actor_for
    from submissions.review import services as review

    app = submitted(org, call, **kwargs)
    reviewer, head = county_staff(world, org.region)
    review.application_recommend(actor=actor_for(reviewer), application=app, opinion="县级推荐")
    review.sign_off_batch(actor=actor_for(head), call=call, applications=[app.pk])
    app.refresh_from_db()
    return app


def county_staff(world, region):
    """(reviewer, head) of the county bureau of `region` (created when the world has none)."""
    from portal.models import Membership, Organization

    bureau = Organization.objects.filter(kind=OrgKind.COUNTY_BUREAU, region=region).first()
    if bureau is None:
        bureau = OrganizationFactory(name=f"{region.name}工信局", kind=OrgKind.COUNTY_BUREAU, region=region)
    out = []
    for role in (Role.BUREAU_REVIEWER, Role.BUREAU_HEAD):
        m = Membership.objects.filter(organization=bureau, role=role).select_related("user").first()
        if m is None:
            user = UserFactory()
            m = MembershipFactory(user=user, organization=bureau, role=role)
            user.active_membership = m
            user.save(update_fields=["active_membership"])
        out.append(m.user)
    return tuple(out)


def snapshot(app):
    """What a refused request must leave unchanged."""
    from portal.models import AuditEntry
    from programs.models import StageExtension
    from scoring.models import Assessment
    from submissions.models import (
        InputCorrection,
        QuotaException,
        Recommendation,
        Review,
        SiteVisit,
        SiteVisitPhoto,
    )

    app.refresh_from_db()
    return {
        "status": (app.status, app.level, app.return_reasons, app.revision_deadline),
        "reviews": list(Review.objects.filter(application=app).values_list("level", "opinion", "score")),
        "corrections": InputCorrection.objects.filter(application=app).count(),
        "visits": SiteVisit.objects.filter(application=app).count(),
        "photos": SiteVisitPhoto.objects.filter(visit__application=app).count(),
        "recommendations": Recommendation.objects.filter(application=app).count(),
        "assessments": Assessment.objects.count(),
        "audit": AuditEntry.objects.count(),
        "exceptions": QuotaException.objects.count(),
        "extensions": StageExtension.objects.count(),
    }


PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)
