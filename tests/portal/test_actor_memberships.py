"""A page reads the user's memberships once: the actor is built from them and the role switch of the
page header lists the same rows (the context processor does not read them again)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.access import actor_for
from portal.constants import OrgKind, Role
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def test_the_role_switch_lists_the_memberships_read_once(world, client_for):
    second = OrganizationFactory(name="赣州第二测试企业有限公司", kind=OrgKind.ENTERPRISE, region=world.zhanggong)
    other = MembershipFactory(user=world.applicant_admin, organization=second, role=Role.APPLICANT_FILER)
    client = client_for(world.applicant_admin)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="role-switch"' in html
    assert f'<option value="{other.pk}"' in html and "赣州第二测试企业有限公司" in html
    assert world.ent_zg.name in html
    reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "portal_membership"')]
    assert len(reads) == 1, reads


def test_the_actor_holds_the_active_memberships_it_chose_from(world):
    second = OrganizationFactory(kind=OrgKind.ENTERPRISE, region=world.zhanggong)
    MembershipFactory(user=world.applicant_admin, organization=second, role=Role.APPLICANT_FILER, is_active=False)
    actor = actor_for(world.applicant_admin)
    assert actor.membership in actor.memberships
    assert [m.organization for m in actor.memberships] == [world.ent_zg]  # the inactive one is not listed
