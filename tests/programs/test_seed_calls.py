"""The seeds' calls as loaded from fixtures/programs.yaml and fixtures/calls/*.yaml.

Every expected value below is read off the notices in /work/shared/seeds (000, 001, 003, 004).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from portal.constants import RegionLevel
from portal.models import Region
from programs.constants import CallKind, CallStatus, ConditionKind, DeadlineKind, QuotaRule, QuotaScope, StageLevel
from programs.deadlines import filing_deadline
from programs.loaders import FixtureError, load_calls, load_paths, load_program_types
from programs.models import Call, Contact, EligibilityCondition, ProgramType, Quota, RequiredMaterial, Stage
from programs.workdays import stage_deadline

SH = ZoneInfo("Asia/Shanghai")
FIXTURES = Path(settings.BASE_DIR) / "fixtures"
PROGRAMS_YAML = FIXTURES / "programs.yaml"
CALLS_DIR = FIXTURES / "calls"
SEED_FILES = [
    "seed-000-ganzhou-2024.yaml",
    "seed-001-gansu-2022.yaml",
    "seed-003-jiangsu-2024q3.yaml",
    "seed-004-guizhou-2022.yaml",
]


def end_of(y, m, d):
    return dt.datetime(y, m, d, 23, 59, 59, tzinfo=SH)


def make_regions():
    def region(code, name, level, parent=None, **attrs):
        obj, _ = Region.objects.get_or_create(
            code=code, defaults={"name": name, "level": level, "parent": parent, "attributes": attrs}
        )
        return obj

    jx = region("360000", "江西省", RegionLevel.PROVINCE)
    gs = region("620000", "甘肃省", RegionLevel.PROVINCE)
    gz = region("520000", "贵州省", RegionLevel.PROVINCE)
    js = region("320000", "江苏省", RegionLevel.PROVINCE)
    ganzhou = region("360700", "赣州市", RegionLevel.CITY, jx)
    lanzhou = region("620100", "兰州市", RegionLevel.CITY, gs)
    region("360702", "章贡区", RegionLevel.COUNTY, ganzhou, has_city_etc_program=True)
    region("360703", "南康区", RegionLevel.COUNTY, ganzhou)
    region("620102", "城关区", RegionLevel.COUNTY, lanzhou)
    region("620200", "嘉峪关市", RegionLevel.CITY, gs)
    return {"jx": jx, "gs": gs, "gz": gz, "js": js, "ganzhou": ganzhou, "lanzhou": lanzhou}


def load_all():
    load_program_types(PROGRAMS_YAML)
    return load_calls(CALLS_DIR)


@pytest.fixture
def regions(db):
    return make_regions()


@pytest.fixture
def seeds(regions):
    load_all()
    return regions


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (ProgramType, Call, Stage, Quota, EligibilityCondition, RequiredMaterial, Contact)
    }


def deadlines(call):
    return sorted(s.deadline_at for s in call.stages.all() if s.deadline_at)


# --------------------------------------------------------------------------- the files


def test_every_seed_file_is_present():
    assert PROGRAMS_YAML.exists()
    for name in SEED_FILES:
        assert (CALLS_DIR / name).exists(), name


@pytest.mark.django_db
def test_program_catalogue(regions):
    load_program_types(PROGRAMS_YAML)
    types = {p.code: p for p in ProgramType.objects.all()}
    for code in ("etc", "itc", "demo-enterprise", "alliance", "mic", "iti"):
        assert code in types, code
    assert types["alliance"].multi_organization and types["mic"].multi_organization
    assert not types["etc"].multi_organization
    assert types["etc"].applicant_kinds == ["enterprise"]
    assert set(types["itc"].applicant_kinds) == {"enterprise", "institute", "university"}
    assert types["etc"].name == "省级企业技术中心"


@pytest.mark.django_db
def test_all_seed_calls_are_published_valid_and_have_a_filing_stage(seeds):
    calls = list(Call.objects.all())
    assert len(calls) >= 6 + 4 + 2 + 8
    for call in calls:
        assert call.status == CallStatus.PUBLISHED, call.code
        call.full_clean()
        filing = [s for s in call.stages.all() if s.level == StageLevel.APPLICANT and s.region_id is None]
        if call.kind == "catalogue" and not call.stages.exists():
            # a catalogue entry whose procedure prints no date (seed 003): its window is indicative only
            assert "时间仅供参考" in call.notice_text or "申报时间" not in call.notice_text, call.code
            continue
        assert filing, f"{call.code} has no province-wide applicant stage"
        assert call.contacts.exists(), call.code
        assert call.notice_text and call.commitment_text, call.code
        for stage in call.stages.all():
            stage.full_clean()
            if stage.deadline_at:
                # A deadline date in the notices means the end of that day in Shanghai.
                assert stage.deadline_at.astimezone(SH).time() == dt.time(23, 59, 59), (call.code, stage.name)


# --------------------------------------------------------------------------- seed 000 (Ganzhou / Jiangxi)


@pytest.mark.django_db
def test_ganzhou_etc_batch27_deadlines(seeds):
    call = Call.objects.get(code="jx-2024-etc-batch27")
    assert call.province.code == "360000"
    assert call.issuing_region.code == "360700"
    assert call.program.code == "etc" and call.kind == CallKind.APPLICATION
    assert call.issuer == "赣州市工业和信息化局"
    stages = list(call.stages.order_by("order"))
    applicant, county, upload = stages
    assert applicant.level == StageLevel.APPLICANT and applicant.deadline_at == end_of(2024, 4, 22)
    assert county.level == StageLevel.COUNTY and county.deadline_at == end_of(2024, 4, 22)
    assert upload.level == StageLevel.APPLICANT and upload.deadline_at == end_of(2024, 4, 26)
    assert "智慧工信一网通办" in upload.name
    # 23:59:59 Asia/Shanghai is 15:59:59 UTC.
    assert applicant.deadline_at.astimezone(dt.timezone.utc) == dt.datetime(2024, 4, 22, 15, 59, 59, tzinfo=dt.timezone.utc)
    # The filing deadline the catalogue shows is the acceptance deadline.
    assert filing_deadline(call=call, region=None).at == end_of(2024, 4, 22)


@pytest.mark.django_db
def test_ganzhou_etc_batch28_deadlines(seeds):
    call = Call.objects.get(code="jx-2024-etc-batch28")
    assert deadlines(call) == [end_of(2024, 9, 22), end_of(2024, 9, 22), end_of(2024, 9, 26)]


@pytest.mark.django_db
def test_ganzhou_etc_quota_depends_on_city_etc_program(seeds):
    call = Call.objects.get(code="jx-2024-etc-batch27")
    (quota,) = call.quotas.all()
    assert quota.scope == QuotaScope.PER_COUNTY and quota.rule == QuotaRule.CONDITIONAL
    assert quota.condition_attribute == "has_city_etc_program"
    assert quota.limit == 2 and quota.limit_if_true is None
    assert "不超过 2 家" in quota.source_text and "不受推荐数量限制" in quota.source_text
    with_program = Region.objects.get(code="360702")
    without = Region.objects.get(code="360703")
    assert quota.applies_to(without) and quota.limit_for(without) == 2
    assert quota.limit_for(with_program) is None


@pytest.mark.django_db
def test_ganzhou_etc_conditions_and_materials(seeds):
    call = Call.objects.get(code="jx-2024-etc-batch27")
    conditions = {c.code: c for c in call.conditions.all()}
    rules = conditions["jx-etc-management-rules"]
    assert rules.kind == ConditionKind.QUALITATIVE and "第六、八、十九条" in rules.text
    assert "10%" in rules.exempt_if and "营业收入最低标准" in rules.exempt_if
    score = conditions["initial-score"]
    assert score.kind == ConditionKind.THRESHOLD and score.input_key == "initial_score"
    assert score.comparator == ">=" and score.threshold == Decimal("60")
    assert score.evaluate({"initial_score": 60})[0] is True
    assert score.evaluate({"initial_score": "59.5"})[0] is False
    declaration = conditions["no-serious-violations"]
    assert declaration.kind == ConditionKind.DECLARATION and "两年内" in declaration.text
    materials = {m.code: m for m in call.materials.all()}
    assert "PDF格式电子光盘各1份" in materials["application-material"].description
    assert materials["pdf-upload"].allowed_types == ["pdf"]
    assert "盖章扫描件" in materials["pdf-upload"].description


@pytest.mark.django_db
def test_ganzhou_contact_email_is_cleaned(seeds):
    contact = Call.objects.get(code="jx-2024-etc-batch27").contacts.get()
    assert contact.name == "顾宏诚" and contact.phone == "0797-8991169"
    assert contact.email == "gzgxkj@163.com"
    assert contact.address == "江西省赣州市章贡区长征大道8号市政中心主楼3楼1342室"


@pytest.mark.django_db
def test_ganzhou_mic_and_iti(seeds):
    mic_app = Call.objects.get(code="jx-2024-mic-application")
    assert mic_app.program.code == "mic"
    assert {s.deadline_kind for s in mic_app.stages.all()} == {DeadlineKind.ROLLING}
    assert mic_app.materials.get().allowed_types == ["pdf"]
    mic_eval = Call.objects.get(code="jx-2024-mic-evaluation")
    assert mic_eval.kind == CallKind.EVALUATION and max(deadlines(mic_eval)) == end_of(2024, 4, 22)
    assert "附件2" in mic_eval.materials.get(code="self-evaluation").name
    iti_app = Call.objects.get(code="jx-2024-iti-application")
    assert max(deadlines(iti_app)) == end_of(2024, 8, 23)
    iti_eval = Call.objects.get(code="jx-2024-iti-evaluation")
    assert iti_eval.kind == CallKind.EVALUATION and max(deadlines(iti_eval)) == end_of(2024, 4, 19)


# --------------------------------------------------------------------------- seed 001 (Gansu / Lanzhou)


@pytest.mark.django_db
def test_gansu_etc_quota_and_eligibility(seeds):
    call = Call.objects.get(code="gs-2022-etc")
    assert call.document_number == "甘工信发〔2022〕53号"
    assert call.issuer == "甘肃省工业和信息化厅"
    assert call.issuing_region is None  # Lanzhou only relays
    assert call.rubric_code == "gansu-2022-etc"
    (quota,) = call.quotas.all()
    assert (quota.scope, quota.rule, quota.limit, quota.in_principle) == (QuotaScope.PER_CITY, QuotaRule.FIXED, 5, False)
    assert quota.source_text == "各市州推荐名额不超过5个"
    assert quota.limit_for(Region.objects.get(code="620200")) == 5

    rd = call.conditions.get(code="rd-expenditure-min")
    assert (rd.kind, rd.input_key, rd.comparator, rd.threshold, rd.unit) == (
        ConditionKind.THRESHOLD, "rd_expenditure", ">=", Decimal("200"), "万元",
    )
    ratio = call.conditions.get(code="rd-intensity-min")
    assert (ratio.kind, ratio.input_key, ratio.denominator_key, ratio.threshold, ratio.unit) == (
        ConditionKind.RATIO, "rd_expenditure", "main_revenue", Decimal("2"), "%",
    )
    assert rd.evaluate({"rd_expenditure": 200})[0] is True
    assert rd.evaluate({"rd_expenditure": "199.99"})[0] is False
    assert ratio.evaluate({"rd_expenditure": 200, "main_revenue": 10000})[0] is True  # exactly 2 %
    assert ratio.evaluate({"rd_expenditure": 200, "main_revenue": 10001})[0] is False


@pytest.mark.django_db
def test_gansu_demo_enterprise_quota_in_principle(seeds):
    (quota,) = Call.objects.get(code="gs-2022-demo-enterprise").quotas.all()
    assert (quota.scope, quota.limit, quota.in_principle) == (QuotaScope.PER_CITY, 3, True)
    assert quota.source_text == "原则上每个市州推荐上报企业数量不超过3家"


@pytest.mark.django_db
def test_gansu_rubric_codes_and_alliance(seeds):
    rubrics = dict(Call.objects.filter(province__code="620000").values_list("code", "rubric_code"))
    assert rubrics == {
        "gs-2022-etc": "gansu-2022-etc",
        "gs-2022-itc": "gansu-2022-itc",
        "gs-2022-demo-enterprise": "gansu-2022-demo",
        "gs-2022-alliance": "gansu-2022-alliance",
    }
    alliance = Call.objects.get(code="gs-2022-alliance")
    assert alliance.program.multi_organization


@pytest.mark.django_db
@pytest.mark.parametrize(
    "code, lanzhou_date, province_date",
    [
        ("gs-2022-etc", (2022, 4, 20), (2022, 4, 30)),
        ("gs-2022-itc", (2022, 4, 20), (2022, 4, 30)),
        ("gs-2022-demo-enterprise", (2022, 4, 20), (2022, 4, 30)),
        ("gs-2022-alliance", (2022, 7, 20), (2022, 7, 30)),
    ],
)
def test_gansu_lanzhou_only_stages(seeds, code, lanzhou_date, province_date):
    call = Call.objects.get(code=code)
    lanzhou = [s for s in call.stages.all() if s.region_id]
    assert lanzhou, "Lanzhou's relay dates are modelled"
    for stage in lanzhou:
        assert stage.region.code == "620100"
        assert stage.deadline_at == end_of(*lanzhou_date)
    assert {s.level for s in lanzhou} == {StageLevel.APPLICANT, StageLevel.COUNTY}
    city = call.stages.get(level=StageLevel.CITY)
    assert city.region is None and city.deadline_at == end_of(*province_date)
    # The province-wide applicant stage says the notice sets no separate enterprise date.
    filing = call.stages.filter(level=StageLevel.APPLICANT, region__isnull=True).get()
    assert "未规定" in filing.description and filing.deadline_at == end_of(*province_date)
    # Nothing in the province-wide stages carries Lanzhou's date.
    assert all(s.deadline_at != end_of(*lanzhou_date) for s in call.stages.filter(region__isnull=True))


@pytest.mark.django_db
def test_gansu_contacts_and_materials(seeds):
    call = Call.objects.get(code="gs-2022-etc")
    contacts = list(call.contacts.all())
    assert [(c.name, c.phone) for c in contacts] == [
        ("薛峰", "0931-8929212"), ("李淑娟", "0931-8929241"), ("汪伟波", "8775168"),
    ]
    assert contacts[0].email == "gxwjscxc@163.com"
    assert contacts[2].department == "兰州市工信局技术创新科" and contacts[2].email == "lzgxcxk@126.com"
    names = [m.name for m in call.materials.all()]
    assert names[0] == "申报材料" and "附件1" in names[1] and names[2] == "自评证明材料"
    assert all(m.copies.startswith("一式一份") for m in call.materials.all())


# --------------------------------------------------------------------------- seed 004 (Guizhou)


@pytest.mark.django_db
def test_guizhou_pilot_relative_deadline(seeds):
    call = Call.objects.get(code="gz-2022-mic-pilot")
    assert call.kind == CallKind.PILOT and call.issued_on == dt.date(2022, 6, 14)
    online = call.stages.get(order=1)
    assert online.level == StageLevel.APPLICANT and online.deadline_at == end_of(2022, 7, 29)
    relative = list(call.stages.filter(deadline_kind=DeadlineKind.RELATIVE))
    assert relative
    for stage in relative:
        assert stage.relative_working_days == 10
        assert stage.event_name == "申报专题培训"
        assert stage.event_date is None and stage.deadline_at is None
        assert stage_deadline(stage).pending_event
    paper = call.stages.get(order=3)
    assert paper.level == StageLevel.APPLICANT and "1式2份" in paper.description
    assert "省属企业和中央在黔企业直接向省工业和信息化厅进行申报" in paper.description


@pytest.mark.django_db
def test_guizhou_pilot_conditions_and_contact(seeds):
    call = Call.objects.get(code="gz-2022-mic-pilot")
    qualitative = call.conditions.filter(kind=ConditionKind.QUALITATIVE)
    assert qualitative.count() == 4
    platform = call.conditions.get(code="lead-provincial-platform")
    assert platform.input_key == "provincial_platforms" and platform.threshold == Decimal("1")
    contact = call.contacts.get()
    assert (contact.name, contact.phone, contact.address) == ("桑璐璐", "0851-86824501", "贵阳市中华北路185号604办公室")


@pytest.mark.django_db
def test_guizhou_certification_first_batch(seeds):
    call = Call.objects.get(code="gz-2022-mic-certification")
    assert call.kind == CallKind.CERTIFICATION
    first = call.stages.get(order=1)
    assert first.deadline_kind == DeadlineKind.ABSOLUTE and first.deadline_at == end_of(2022, 6, 30)
    assert call.stages.filter(level=StageLevel.APPLICANT, deadline_kind=DeadlineKind.ROLLING).exists()


# --------------------------------------------------------------------------- seed 003 (Jiangsu catalogue)


@pytest.mark.django_db
def test_jiangsu_catalogue(seeds):
    calls = list(Call.objects.filter(province__code="320000"))
    assert len(calls) >= 8
    assert all(c.kind == CallKind.CATALOGUE and c.year == 2024 for c in calls)
    programs = [c.program.code for c in calls]
    assert len(set(programs)) == len(programs), "each catalogue entry has its own program type"
    for call in calls:
        if "联系方式" in call.notice_text:  # 支持科技创新专项担保计划 prints no contact and no window
            contact = call.contacts.first()
            assert contact.department and contact.phone, call.code
        assert call.title in call.notice_text, call.code
        assert "时间仅供参考" in call.notice_text or "申报时间" not in call.notice_text


@pytest.mark.django_db
def test_jiangsu_dates_and_contacts(seeds):
    zjtx = Call.objects.get(code="js-2024q3-zjtx-sme-batch2")
    assert zjtx.stages.get(level=StageLevel.APPLICANT).deadline_at == end_of(2024, 10, 18)
    assert zjtx.contacts.get().phone == "025-69652765、69652751"
    vp = Call.objects.get(code="js-2024q3-sci-tech-vp")
    assert vp.stages.get(order=1).deadline_at == end_of(2024, 9, 20)
    assert vp.stages.get(level=StageLevel.CITY).deadline_at == end_of(2024, 10, 10)
    voucher = Call.objects.get(code="js-2024q3-innovation-voucher")
    assert voucher.stages.get(order=1).deadline_kind == DeadlineKind.ROLLING
    assert voucher.stages.get(order=2).deadline_at == end_of(2024, 10, 20)
    consortium = Call.objects.get(code="js-2024q3-innovation-consortium")
    sales = consortium.conditions.get(code="lead-enterprise-sales")
    assert sales.threshold == Decimal("100000") and sales.unit == "万元" and not sales.is_hard
    intensity = consortium.conditions.get(code="lead-enterprise-rd-intensity")
    assert intensity.kind == ConditionKind.RATIO and intensity.threshold == Decimal("3")
    institute = Call.objects.get(code="js-2024q3-future-industry-institute")
    assert institute.contacts.get().phone == "025-83390191"
    assert institute.materials.get(code="application-paper").copies == "一式五份"


# --------------------------------------------------------------------------- idempotence


@pytest.mark.django_db
def test_loading_twice_changes_nothing(regions):
    first = load_all()
    before = counts()
    pks = {
        model.__name__: sorted(model.objects.values_list("pk", flat=True))
        for model in (Call, Stage, Quota, EligibilityCondition, RequiredMaterial, Contact)
    }
    second = load_all()
    assert counts() == before
    assert {
        model.__name__: sorted(model.objects.values_list("pk", flat=True))
        for model in (Call, Stage, Quota, EligibilityCondition, RequiredMaterial, Contact)
    } == pks
    assert {r.action for r in first.calls} == {"created"}
    assert {r.action for r in second.calls} == {"unchanged"}


@pytest.mark.django_db
def test_reload_replaces_children_as_a_whole(regions, tmp_path):
    load_program_types(PROGRAMS_YAML)
    text = (CALLS_DIR / "seed-001-gansu-2022.yaml").read_text(encoding="utf-8")
    load_calls(CALLS_DIR / "seed-001-gansu-2022.yaml")
    call = Call.objects.get(code="gs-2022-etc")
    call.stages.create(order=99, level=StageLevel.PROVINCE, name="手工添加", deadline_kind=DeadlineKind.ROLLING)
    call.conditions.filter(code="rd-expenditure-min").update(threshold=Decimal("100"))
    changed = tmp_path / "gansu.yaml"
    changed.write_text(text.replace('threshold: "200"', 'threshold: "300"'), encoding="utf-8")
    report = load_calls(changed)
    assert {r.code: r.action for r in report.calls}["gs-2022-etc"] == "updated"
    call.refresh_from_db()
    assert not call.stages.filter(order=99).exists()
    assert call.stages.count() == 4
    assert call.conditions.get(code="rd-expenditure-min").threshold == Decimal("300")


@pytest.mark.django_db
def test_command_loads_the_default_fixtures(regions):
    out = StringIO()
    call_command("load_calls", stdout=out)
    text = out.getvalue()
    assert "jx-2024-etc-batch27 created" in text and "gz-2022-mic-pilot created" in text
    assert "program types:" in text
    before = counts()
    out = StringIO()
    call_command("load_calls", stdout=out)
    assert "gs-2022-etc unchanged" in out.getvalue()
    assert counts() == before


# --------------------------------------------------------------------------- bad data


MINIMAL = """
calls:
  - code: bad-call
    province: "{province}"
    program: etc
    kind: application
    year: 2024
    title: 测试
    status: published
    stages:
      - order: 1
        level: applicant
        name: 企业申报
        deadline_kind: {kind}
        deadline: "2024-04-22"
"""


def write(tmp_path, name, **kw):
    values = {"province": "360000", "kind": "absolute", **kw}
    path = tmp_path / name
    path.write_text(MINIMAL.format(**values), encoding="utf-8")
    return path


@pytest.mark.django_db
def test_unknown_region_code_names_file_call_and_field(regions, tmp_path):
    load_program_types(PROGRAMS_YAML)
    path = write(tmp_path, "unknown-region.yaml", province="999999")
    with pytest.raises(FixtureError) as info:
        load_calls(path)
    message = str(info.value)
    assert "unknown-region.yaml" in message and "bad-call" in message
    assert "province" in message and "999999" in message
    assert not Call.objects.filter(code="bad-call").exists()


@pytest.mark.django_db
def test_invalid_deadline_kind_names_file_call_and_field(regions, tmp_path):
    load_program_types(PROGRAMS_YAML)
    path = write(tmp_path, "bad-kind.yaml", kind="weekly")
    with pytest.raises(FixtureError) as info:
        load_calls(path)
    message = str(info.value)
    assert "bad-kind.yaml" in message and "bad-call" in message and "deadline_kind" in message
    assert not Call.objects.filter(code="bad-call").exists()


@pytest.mark.django_db
def test_bare_date_means_end_of_day(regions, tmp_path):
    load_program_types(PROGRAMS_YAML)
    load_calls(write(tmp_path, "ok.yaml"))
    assert Stage.objects.get(call__code="bad-call").deadline_at == end_of(2024, 4, 22)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "old, new, field",
    [
        ('deadline: "2024-04-22"', 'deadline: "22/04/2024"', "deadline"),
        ("deadline_kind: absolute\n        deadline: \"2024-04-22\"", "deadline_kind: absolute", "deadline"),
        ("program: etc", "program: no-such-program", "program"),
        ("level: applicant", "level: somebody", "level"),
        ("    title: 测试", "    title: 测试\n    colour: red", "colour"),
    ],
)
def test_other_bad_rows_are_reported(regions, tmp_path, old, new, field):
    load_program_types(PROGRAMS_YAML)
    path = write(tmp_path, "bad.yaml")
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(FixtureError) as info:
        load_calls(path)
    message = str(info.value)
    assert "bad.yaml" in message and "bad-call" in message and field in message


@pytest.mark.django_db
def test_a_bad_file_rolls_back_the_whole_load(regions, tmp_path):
    load_program_types(PROGRAMS_YAML)
    good = tmp_path / "a-good.yaml"
    good.write_text((CALLS_DIR / "seed-004-guizhou-2022.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    write(tmp_path, "b-bad.yaml", province="999999")
    with pytest.raises(FixtureError):
        load_calls(tmp_path)
    assert Call.objects.count() == 0


@pytest.mark.django_db
def test_command_reports_bad_data(regions, tmp_path):
    path = write(tmp_path, "bad-kind.yaml", kind="weekly")
    with pytest.raises(CommandError, match="bad-kind.yaml.*bad-call"):
        call_command("load_calls", str(PROGRAMS_YAML), str(path), stdout=StringIO())


@pytest.mark.django_db
def test_load_paths_orders_program_types_first(regions):
    report = load_paths([CALLS_DIR / "seed-004-guizhou-2022.yaml", PROGRAMS_YAML])
    assert "mic" in report.program_types["created"]
    assert [r.code for r in report.calls] == ["gz-2022-mic-pilot", "gz-2022-mic-certification"]
