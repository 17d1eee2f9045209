"""County evaluation in use (seed 002): the city enters each county's indicators for a quarter, the
ranking by class is computed with the rubric engine, published to the counties (figures frozen)
and exported as XLSX and PDF; every step audited; the wrong users are refused."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook
from pypdf import PdfReader

from portal.access import actor_for
from portal.constants import RegionLevel
from portal.models import AuditEntry
from scoring.constants import RoundStatus
from scoring.counties import services
from scoring.counties.selectors import ranking
from scoring.services import rubric_fixture_load
from tests.conftest import _region

pytestmark = pytest.mark.django_db

INDICATORS = [
    "score_innovation_capacity", "score_rd_to_gdp", "score_hightech_value_added", "score_tech_contracts_to_gdp",
    "score_hightech_firms", "score_firms_with_rd", "score_basic_research", "score_rd_staff",
    "score_new_product_revenue", "score_foreign_talent",
]


def figures(ind="5", **extra):
    d = {k: ind for k in INDICATORS}
    d.update(score_management_capacity="8", score_policy_delivery="12", score_key_projects="9",
             score_demo_projects="4", **extra)
    return d


@pytest.fixture
def round_(world):
    rubric_fixture_load(path=Path(settings.BASE_DIR) / "fixtures/rubrics/ganzhou-2023-county.yaml")
    world.xinfeng = _region("360722", "信丰县", RegionLevel.COUNTY, world.ganzhou)
    return services.county_round_open(actor=actor_for(world.city_reviewer), city=world.ganzhou, year=2026, quarter=3)


def test_the_city_enters_figures_and_the_ranking_by_class_is_computed(world, round_, client_for):
    city = actor_for(world.city_reviewer)
    client = client_for(world.city_reviewer)
    # through the page: 章贡区 50 + 33 + unicorn 5 = 88
    response = client.post(f"/evaluation/counties/{round_.pk}/figures/{world.zhanggong.pk}/",
                           figures(unicorns="1"))
    assert response.status_code == 302
    services.county_figures_save(actor=city, round_=round_, county=world.nankang, inputs=figures(ind="6"))  # 93
    services.county_figures_save(actor=city, round_=round_, county=world.kaifaqu, inputs=figures(ind="4"))  # 73
    services.county_figures_save(actor=city, round_=round_, county=world.xinfeng, inputs=figures(ind="3"))  # 63
    table = ranking(round_)
    class1 = next(c for c in table.classes if c["key"] == "class1")
    assert [(r["name"], r["total"], r["rank"]) for r in class1["rows"]] == [
        ("南康区", "93", 1), ("章贡区", "88", 2), ("赣州经开区", "73", 3)]
    assert class1["rows"][0]["praised"] and class1["rows"][2]["interviewed"]
    class2 = next(c for c in table.classes if c["key"] == "class2")
    assert [(r["name"], r["total"], r["rank"]) for r in class2["rows"]] == [("信丰县", "63", 1)]
    page = client.get(f"/evaluation/counties/{round_.pk}/").content.decode()
    assert "南康区" in page and "93" in page

    # a figure the engine cannot read is refused with its reason; nothing changes
    before = round_.entries.get(county=world.nankang).inputs
    with pytest.raises(ValidationError) as refused:
        services.county_figures_save(actor=city, round_=round_, county=world.nankang,
                                     inputs=figures(score_rd_to_gdp="很多"))
    assert "score_rd_to_gdp" in refused.value.message_dict
    assert round_.entries.get(county=world.nankang).inputs == before
    bad = client.post(f"/evaluation/counties/{round_.pk}/figures/{world.nankang.pk}/", figures(score_rd_to_gdp="很多"))
    assert bad.status_code == 200 and "很多" in bad.content.decode()


def test_published_to_the_counties_frozen_and_exported(world, round_, client_for):
    city = actor_for(world.city_reviewer)
    services.county_figures_save(actor=city, round_=round_, county=world.zhanggong, inputs=figures())
    services.county_figures_save(actor=city, round_=round_, county=world.nankang, inputs=figures(ind="6"))
    county = client_for(world.neighbour_reviewer)
    assert county.get(f"/evaluation/counties/{round_.pk}/").status_code == 404  # not published yet
    services.county_round_publish(actor=city, round_=round_)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.PUBLISHED
    entry = AuditEntry.objects.get(action="county_round.publish")
    assert entry.data["ranking"]["class1"][0] == ["南康区", "93", 1]
    assert {a for a in AuditEntry.objects.values_list("action", flat=True) if a.startswith("county_round")} == {
        "county_round.open", "county_round.figures", "county_round.publish"}

    page = county.get(f"/evaluation/counties/{round_.pk}/").content.decode()
    assert "南康区" in page and "章贡区" in page and 'id="publish-ranking"' not in page
    with pytest.raises(PermissionDenied):  # frozen
        services.county_figures_save(actor=city, round_=round_, county=world.nankang, inputs=figures(ind="1"))

    xlsx = county.get(f"/evaluation/counties/{round_.pk}/ranking.xlsx")
    rows = [r for r in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True) if r and r[0]]
    assert (1, "南康区") in {(r[0], r[1]) for r in rows} and (2, "章贡区") in {(r[0], r[1]) for r in rows}
    pdf = county.get(f"/evaluation/counties/{round_.pk}/ranking.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "南康区" in text and "93" in text


def test_only_the_city_or_its_province_runs_the_evaluation(world, round_, client_for):
    for user in (world.county_reviewer, world.other_city_reviewer, world.other_province_officer, world.applicant_admin):
        with pytest.raises(PermissionDenied):
            services.county_figures_save(actor=actor_for(user), round_=round_, county=world.zhanggong,
                                         inputs=figures())
        with pytest.raises(PermissionDenied):
            services.county_round_open(actor=actor_for(user), city=world.ganzhou, year=2026, quarter=4)
    assert not round_.entries.exists()
    # the province may enter; a county outside the city is refused
    services.county_figures_save(actor=actor_for(world.province_officer), round_=round_, county=world.zhanggong,
                                 inputs=figures())
    with pytest.raises(ValidationError):
        services.county_figures_save(actor=actor_for(world.city_reviewer), round_=round_, county=world.donghu,
                                     inputs=figures())
    # another city's bureau cannot even see the round
    assert client_for(world.other_city_reviewer).get(f"/evaluation/counties/{round_.pk}/").status_code == 404
    assert client_for(world.applicant_admin).get("/evaluation/counties/").status_code == 403
    assert client_for(world.other_city_reviewer).post(
        f"/evaluation/counties/{round_.pk}/publish/").status_code == 404


def test_a_quarter_is_opened_once(world, round_):
    with pytest.raises(ValidationError):
        services.county_round_open(actor=actor_for(world.province_officer), city=world.ganzhou, year=2026, quarter=3)
