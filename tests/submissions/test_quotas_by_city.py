"""The quota page groups a call's quotas by city: each city with its own quota, its counties under
it and the counties' totals (used / limit / remaining), the totals taken from the recommendations
made (set on the statuses here); a city bureau sees only its own city."""

import pytest
from django.urls import reverse

from portal.access import actor_for
from portal.constants import RegionLevel
from programs.constants import QuotaRule, QuotaScope
from programs.models import Quota
from submissions.policy import quota_regions_visible
from submissions.quotas import quota_statuses, quotas_by_city
from tests.factories import RegionFactory
from tests.submissions.test_applicant_support import make_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(world):
    call = make_call(world.jx, code="jx-2031-quota-groups")
    Quota.objects.create(call=call, scope=QuotaScope.PER_CITY, rule=QuotaRule.FIXED, limit=5)
    Quota.objects.create(call=call, scope=QuotaScope.PER_COUNTY, rule=QuotaRule.CONDITIONAL, limit=2,
                         condition_attribute="has_city_etc_program")
    return call


def test_groups_and_totals(world, call):
    actor = actor_for(world.province_officer)
    cities, counties = quota_regions_visible(actor, call)
    city_rows = quota_statuses(calls=[call], regions=cities, level=RegionLevel.CITY)
    county_rows = quota_statuses(calls=[call], regions=counties, level=RegionLevel.COUNTY)
    for row in county_rows:
        row.used = {"360703": 1, "Z360700-01": 2, "360102": 1}.get(row.region.code, 0)
    groups = {g.city.code: g for g in quotas_by_city(city_rows, county_rows)}
    assert set(groups) == {"360700", "360100"}
    ganzhou = groups["360700"]
    assert [s.region.code for s in ganzhou.counties] == ["360702", "360703", "Z360700-01"]
    # 章贡区 has a city-level ETC program: no limit, so the counties' total has none either
    assert ganzhou.unlimited and ganzhou.limit is None and ganzhou.used == 3
    nanchang = groups["360100"]
    assert (nanchang.limit, nanchang.used, nanchang.remaining) == (2, 1, 1)
    assert nanchang.status.limit == 5


def test_the_page_shows_each_city_with_its_counties_and_totals(world, call, client_for):
    RegionFactory(code="360104", name="青云谱区", level=RegionLevel.COUNTY, parent=world.nanchang)
    page = client_for(world.province_officer).get(reverse("review-quotas"), {"call": call.pk}).content.decode()
    assert page.count('class="city-group"') == 2
    nanchang = page[page.index('<tbody class="city-group" data-city="360100">'):]
    nanchang = nanchang[:nanchang.index("</tbody>")]
    assert 'data-region="360102"' in nanchang and 'data-region="360104"' in nanchang
    assert 'data-region="360702"' not in nanchang
    total = nanchang[nanchang.index('class="city-total"'):]
    assert "0 / 4" in total  # two counties of 2 places each, none used
    assert 'name="call" data-autosubmit' in page  # no inline handler


def test_a_city_bureau_sees_only_its_city(world, call, client_for):
    page = client_for(world.city_reviewer).get(reverse("review-quotas"), {"call": call.pk}).content.decode()
    assert 'data-city="360700"' in page and 'data-city="360100"' not in page
