"""Routing per call and organization: county → city → province by default, city → province for
units at city level (or in a city-level zone), straight to the province for provincial/central SOEs."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from portal.constants import RegionKind, RegionLevel
from programs.constants import DeadlineKind, StageLevel
from submissions.constants import Level, Status
from submissions.routing import route_steps, routing_for
from tests.factories import CallFactory, RegionFactory, StageFactory, application_for, fire_as
from tests.submissions.test_review_support import admin_of, enterprise, review_call

pytestmark = pytest.mark.django_db

FULL = ["county", "city", "province"]


def test_default_chain_for_a_county_enterprise(world):
    call = CallFactory(code="r-none", province=world.jx)  # a call without bureau stages
    assert routing_for(call=call, organization=world.ent_zg) == FULL
    assert routing_for(call=review_call(world, code="r-full"), organization=world.ent_nk) == FULL


def test_provincial_and_central_soes_go_straight_to_the_province_when_the_call_says_so(world):
    world.ent_zg.is_provincial_soe = True
    world.ent_zg.save()
    call = review_call(world, code="r-soe")
    assert routing_for(call=call, organization=world.ent_zg) == FULL  # not a setting of this call
    call.soe_direct_to_province = True
    call.save(update_fields=["soe_direct_to_province"])
    assert routing_for(call=call, organization=world.ent_zg) == ["province"]
    assert routing_for(call=call, organization=world.ent_nk) == FULL  # only the SOEs skip the bureaus


def test_units_at_city_level_or_in_a_city_level_zone_start_at_the_city(world):
    xinqu = RegionFactory(code="Z620100-LZXQ", name="兰州新区", level=RegionLevel.CITY, parent=world.gs,
                          kind=RegionKind.ZONE)
    in_zone = enterprise(xinqu, "兰州新区企业")
    at_city = enterprise(world.ganzhou, "赣州市直企业")
    assert routing_for(call=review_call(world, code="r-gs", province=world.gs), organization=in_zone) == ["city", "province"]
    assert routing_for(call=review_call(world, code="r-jx"), organization=at_city) == ["city", "province"]


def test_the_call_decides_where_the_chain_starts(world):
    # Guizhou style: only the city (and 贵安新区) reviews → city → province even for a county enterprise
    city_only = CallFactory(code="r-city", province=world.jx)
    StageFactory(call=city_only, order=1, level=StageLevel.APPLICANT)
    StageFactory(call=city_only, order=2, level=StageLevel.CITY, deadline_kind=DeadlineKind.ROLLING)
    assert routing_for(call=city_only, organization=world.ent_zg) == ["city", "province"]
    # Jiangsu style: the applicant files with the province
    province_only = CallFactory(code="r-prov", province=world.jx)
    StageFactory(call=province_only, order=1, level=StageLevel.PROVINCE, deadline_at=timezone.now())
    assert routing_for(call=province_only, organization=world.ent_zg) == ["province"]


def test_a_stage_limited_to_one_city_routes_only_that_city_through_its_counties(world):
    # Gansu 2022: Lanzhou's relay adds a county stage for Lanzhou only; other cities start at the city
    tianshui = RegionFactory(code="620500", name="天水市", level=RegionLevel.CITY, parent=world.gs)
    qinzhou = RegionFactory(code="620502", name="秦州区", level=RegionLevel.COUNTY, parent=tianshui)
    call = CallFactory(code="r-gs-etc", province=world.gs)
    StageFactory(call=call, order=1, level=StageLevel.APPLICANT)
    StageFactory(call=call, order=2, level=StageLevel.COUNTY, region=world.lanzhou)
    StageFactory(call=call, order=3, level=StageLevel.CITY)
    assert routing_for(call=call, organization=world.ent_cg) == FULL
    assert routing_for(call=call, organization=enterprise(qinzhou)) == ["city", "province"]


def test_route_steps_carry_each_stage_and_its_effective_deadline(world):
    from programs.models import StageExtension

    county_at = timezone.now() + dt.timedelta(days=5)
    call = review_call(world, code="r-steps", county_deadline=county_at)
    steps = route_steps(call=call, organization=world.ent_zg)
    assert [s.level for s in steps] == FULL
    assert steps[0].stage.name == "县级审核推荐" and steps[0].deadline == county_at
    assert steps[2].stage is None and steps[2].deadline is None  # no provincial stage in this call
    later = county_at + dt.timedelta(days=3)
    StageExtension.objects.create(stage=steps[0].stage, region=world.ganzhou, new_deadline=later, reason="x")
    assert route_steps(call=call, organization=world.ent_zg)[0].deadline == later  # 章贡 lies in 赣州
    assert route_steps(call=call, organization=world.ent_nc)[0].deadline == county_at  # 南昌 does not


def test_a_submitted_application_starts_at_the_first_level_of_its_routing(world):
    org = enterprise(world.ganzhou, "赣州市直企业")
    call = review_call(world, code="r-submit")
    app = application_for(org, call, routing=routing_for(call=call, organization=org))
    fire_as(admin_of(org), app, "submit")
    app.refresh_from_db()
    assert (app.status, app.level, app.routing) == (Status.SUBMITTED, Level.CITY, ["city", "province"])


def test_the_seed_calls(seeded, world):
    from portal.models import Region
    from programs.models import Call

    gs_etc = Call.objects.get(code="gs-2022-etc")
    jx_etc = Call.objects.get(code="jx-2024-etc-batch27")
    gz_pilot = Call.objects.get(code="gz-2022-mic-pilot")
    assert routing_for(call=gs_etc, organization=world.ent_cg) == FULL  # Lanzhou: counties report to the city
    assert routing_for(call=jx_etc, organization=world.ent_zg) == FULL
    county = Region.objects.filter(province__code="520000", level=RegionLevel.COUNTY).first()
    guizhou_ent = enterprise(county)
    assert routing_for(call=gz_pilot, organization=guizhou_ent) == ["city", "province"]
    guizhou_ent.is_provincial_soe = True
    assert routing_for(call=gz_pilot, organization=guizhou_ent) == ["province"]  # seed 004
    assert gz_pilot.soe_direct_to_province and not jx_etc.soe_direct_to_province and not gs_etc.soe_direct_to_province
    jiangxi_soe = world.ent_zg
    jiangxi_soe.is_provincial_soe = True
    assert routing_for(call=jx_etc, organization=jiangxi_soe) == FULL  # seed 000 says nothing of SOEs


def test_a_jiangxi_provincial_soe_goes_through_its_county_a_guizhou_one_to_the_province(seeded, world):
    """Submitted for real: the routing stored on the application and the level holding it."""
    from portal.models import Region
    from programs.models import Call

    jx_etc = Call.objects.get(code="jx-2024-etc-batch27")
    gz_pilot = Call.objects.get(code="gz-2022-mic-pilot")
    jx_soe = enterprise(world.zhanggong, "江西省属国企")
    gz_soe = enterprise(Region.objects.filter(province__code="520000", level=RegionLevel.COUNTY).first(), "贵州省属国企")
    for org in (jx_soe, gz_soe):
        org.is_provincial_soe = True
        org.save(update_fields=["is_provincial_soe"])
    outcome = {}
    for org, call, day in ((jx_soe, jx_etc, "2024-04-10"), (gz_soe, gz_pilot, "2022-07-01")):
        app = application_for(org, call, routing=routing_for(call=call, organization=org))  # as at submission
        with time_machine.travel(dt.datetime.fromisoformat(f"{day}T10:00:00+08:00"), tick=False):
            fire_as(admin_of(org), app, "submit")
        app.refresh_from_db()
        outcome[call.code] = (app.level, app.routing)
    assert outcome["jx-2024-etc-batch27"] == (Level.COUNTY, FULL)
    assert outcome["gz-2022-mic-pilot"] == (Level.PROVINCE, ["province"])


def test_the_call_page_states_the_setting(seeded, client):
    guizhou = client.get("/calls/gz-2022-mic-pilot/").content.decode()
    assert 'class="soe-direct"' in guizhou and "直接向省级主管部门申报" in guizhou
    jiangxi = client.get("/calls/jx-2024-etc-batch27/").content.decode()
    assert 'class="soe-direct"' not in jiangxi and 'class="score-required"' in jiangxi
