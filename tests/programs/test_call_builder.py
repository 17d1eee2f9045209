"""A call built in forms: the provincial officer creates a draft with a stage counted in working days
after a training, a county quota with a condition and a PDF material slot; the notice-file loader
checks what the forms hold and its refusals come back beside the field, in Chinese; nothing is
stored from a refused form; a published call is no longer edited in forms; another province's
officer and a bureau are refused; the call exports as a notice file that loads again."""

import datetime as dt

import pytest
import yaml
from django.urls import reverse

from portal.access import actor_for
from portal.models import AuditEntry
from programs.constants import CallStatus, DeadlineKind, QuotaRule
from programs.models import Call, ProgramType
from programs.services import calls_from_file
from programs.workdays import SHANGHAI

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def program(db):
    return ProgramType.objects.create(code="etc-built", name="省级企业技术中心", applicant_kinds=["enterprise"])


def management(prefix, total, initial=0):
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}


def builder_post(world, **override):
    data = {
        "call-code": "gs-2026-etc-built", "call-program": "etc-built", "call-kind": "application",
        "call-year": "2026", "call-title": "2026年甘肃省省级企业技术中心申报", "call-issuer": "甘肃省工业和信息化厅",
        "call-commitment_text": "本单位承诺所报材料真实。",
        **management("stages", 2), **management("quotas", 1), **management("conditions", 1),
        **management("materials", 1), **management("contacts", 1),
        "stages-0-level": "applicant", "stages-0-name": "企业申报", "stages-0-deadline_kind": "relative",
        "stages-0-relative_working_days": "10", "stages-0-event_name": "申报专题培训",
        "stages-0-event_date": "2026-09-25",
        "stages-1-level": "county", "stages-1-name": "县级审核推荐", "stages-1-deadline_kind": "absolute",
        "stages-1-deadline": "2026-10-30T17:00",
        "quotas-0-scope": "per_county", "quotas-0-rule": "conditional", "quotas-0-limit": "2",
        "quotas-0-condition_attribute": "has_city_etc_program",
        "conditions-0-code": "rd-min", "conditions-0-kind": "threshold", "conditions-0-text": "研发经费不低于200万元。",
        "conditions-0-input_key": "rd_expenditure", "conditions-0-comparator": ">=", "conditions-0-threshold": "200",
        "conditions-0-unit": "万元", "conditions-0-is_hard": "on",
        "materials-0-code": "application-pdf", "materials-0-name": "申报材料（PDF）", "materials-0-allowed_types": ["pdf"],
        "materials-0-max_size_mb": "20", "materials-0-is_required": "on",
    }
    data.update(override)
    return data


def test_the_officer_builds_a_draft_in_forms(world, program, client_for):
    officer = client_for(world.other_province_officer)  # 甘肃省工信厅
    response = officer.post(reverse("call-build"), builder_post(world), **ZH)
    assert response.status_code == 302, response.content.decode()[:2000]
    call = Call.objects.get(code="gs-2026-etc-built")
    assert call.status == CallStatus.DRAFT and call.province == world.gs
    applicant, county = call.stages.order_by("order")
    # 10 working days after Friday 2026-09-25: 国庆 (10-01..07) skipped, Saturday 10-10 worked
    assert applicant.deadline_kind == DeadlineKind.RELATIVE
    assert applicant.deadline_at == dt.datetime(2026, 10, 15, 23, 59, 59, tzinfo=SHANGHAI)
    assert county.deadline_at == dt.datetime(2026, 10, 30, 17, 0, tzinfo=SHANGHAI)
    quota = call.quotas.get()
    assert quota.rule == QuotaRule.CONDITIONAL and quota.limit == 2 and quota.limit_if_true is None
    assert quota.limit_for(world.chengguan) == 2
    material = call.materials.get()
    assert material.allowed_types == ["pdf"] and material.max_size_mb == 20
    assert call.conditions.get().threshold == 200
    assert AuditEntry.objects.filter(action="call.create", object_id=str(call.pk)).count() == 1


def test_a_refused_form_says_why_beside_the_field_in_chinese_and_stores_nothing(world, program, client_for):
    officer = client_for(world.other_province_officer)
    data = builder_post(world, **{"quotas-0-rule": "fixed", "quotas-0-limit": ""})
    response = officer.post(reverse("call-build"), data, **ZH)
    assert response.status_code == 200
    page = response.content.decode()
    box = page[page.index('id="f-quotas-0-limit"'):]
    box = box[:box.index("</div></div>") if "</div></div>" in box else 600]
    assert "固定名额须填写名额数" in box  # beside the quota's number
    assert not Call.objects.filter(code="gs-2026-etc-built").exists()
    # a relative stage without its event: beside the event's name
    data = builder_post(world, **{"stages-0-event_name": ""})
    page = officer.post(reverse("call-build"), data, **ZH).content.decode()
    box = page[page.index('id="f-stages-0-event_name"'):][:600]
    assert "请填写工作日起算的事项" in box
    assert not Call.objects.exists()


def test_the_draft_is_edited_then_published_and_no_longer_edited_in_forms(world, program, client_for):
    officer = client_for(world.other_province_officer)
    officer.post(reverse("call-build"), builder_post(world), **ZH)
    call = Call.objects.get(code="gs-2026-etc-built")
    form = officer.get(reverse("call-build-edit", args=[call.code]), **ZH).content.decode()
    assert "申报专题培训" in form and "application-pdf" in form
    data = builder_post(world, **{"stages-0-relative_working_days": "5", **management("stages", 2, 2),
                                  **management("quotas", 1, 1), **management("conditions", 1, 1),
                                  **management("materials", 1, 1), **management("contacts", 0)})
    data.pop("call-code")
    response = officer.post(reverse("call-build-edit", args=[call.code]), data, **ZH)
    assert response.status_code == 302, response.content.decode()[:3000]
    applicant = call.stages.get(order=1)
    # 5 working days after 2026-09-25: 9-28, 9-29, 9-30, 10-08, 10-09
    assert applicant.deadline_at == dt.datetime(2026, 10, 9, 23, 59, 59, tzinfo=SHANGHAI)
    entry = AuditEntry.objects.get(action="call.edit_draft", object_id=str(call.pk))
    assert entry.data["before"]["stages"][0]["relative_working_days"] == 10
    assert entry.data["after"]["stages"][0]["relative_working_days"] == 5
    confirm = officer.get(reverse("call-confirm", args=[call.code, "publish"]), **ZH)
    assert reverse("call-publish", args=[call.code]) in confirm.content.decode()
    officer.post(reverse("call-publish", args=[call.code]), **ZH)
    call.refresh_from_db()
    assert call.status == CallStatus.PUBLISHED
    response = officer.post(reverse("call-build-edit", args=[call.code]), data, **ZH)
    assert response.status_code == 302 and response.url == reverse("call-edit", args=[call.code])
    assert call.stages.get(order=1).relative_working_days == 5


def test_wrong_users_are_refused(world, program, client_for):
    gansu = client_for(world.other_province_officer)
    gansu.post(reverse("call-build"), builder_post(world), **ZH)
    call = Call.objects.get(code="gs-2026-etc-built")
    before = call.stages.get(order=1).deadline_at
    jiangxi = client_for(world.province_officer)  # another province's officer does not know the draft
    data = builder_post(world, **{"stages-0-relative_working_days": "3"})
    for name in ("call-build-edit", "call-preview", "call-export"):
        assert jiangxi.get(reverse(name, args=[call.code])).status_code == 404
    assert jiangxi.post(reverse("call-build-edit", args=[call.code]), data).status_code == 404
    assert jiangxi.post(reverse("call-publish", args=[call.code])).status_code == 404
    # the Jiangxi officer cannot put a call into Gansu through the builder: its province is its own
    jiangxi.post(reverse("call-build"), builder_post(world, **{"call-code": "jx-built"}))
    assert Call.objects.get(code="jx-built").province == world.jx
    # a bureau cannot build calls at all (the test client now logs in as the bureau)
    bureau = client_for(world.lanzhou_reviewer)
    assert bureau.post(reverse("call-build"), builder_post(world, **{"call-code": "gs-x"})).status_code == 403
    assert bureau.post(reverse("call-build-edit", args=[call.code]), data).status_code == 404
    assert not Call.objects.filter(code="gs-x").exists()
    # the platform operator loads notice files but builds no call of a province in forms
    operator = client_for(world.operator)
    assert operator.post(reverse("call-build"), builder_post(world, **{"call-code": "gs-op"})).status_code == 403
    assert 'id="call-build-new"' not in operator.get(reverse("call-list")).content.decode()
    call.refresh_from_db()
    assert call.status == CallStatus.DRAFT and call.stages.get(order=1).deadline_at == before


def test_the_preview_shows_what_a_lanzhou_enterprise_sees(world, program, client_for):
    officer = client_for(world.other_province_officer)
    officer.post(reverse("call-build"), builder_post(world), **ZH)
    page = officer.get(reverse("call-preview", args=["gs-2026-etc-built"]),
                       {"region": world.chengguan.code, "kind": "enterprise"}, **ZH).content.decode()
    assert 'id="preview-may-apply"' in page and "2026-10-15 23:59" in page
    quotas = page.split('id="preview-quotas"')[1].split("</ul>")[0]
    assert "城关区: 至多 2" in quotas
    page = officer.get(reverse("call-preview", args=["gs-2026-etc-built"]),
                       {"region": world.chengguan.code, "kind": "university"}, **ZH).content.decode()
    assert 'id="preview-refusals"' in page


def test_the_export_loads_again_as_the_same_call(world, program, client_for):
    officer = client_for(world.other_province_officer)
    officer.post(reverse("call-build"), builder_post(world), **ZH)
    exported = officer.get(reverse("call-export", args=["gs-2026-etc-built"])).content
    data = yaml.safe_load(exported)
    assert data["calls"][0]["stages"][0]["event_name"] == "申报专题培训"
    data["calls"][0]["code"] = "gs-2026-etc-copy"
    calls_from_file(actor=actor_for(world.other_province_officer),
                    content=yaml.safe_dump(data, allow_unicode=True).encode())
    copy = Call.objects.get(code="gs-2026-etc-copy")
    assert copy.stages.get(order=1).deadline_at == dt.datetime(2026, 10, 15, 23, 59, 59, tzinfo=SHANGHAI)
    assert list(copy.materials.values_list("allowed_types", flat=True)) == [["pdf"]]


def test_the_rubric_is_chosen_among_the_published_rubrics(world, program, client_for):
    import io

    from django.core.management import call_command

    call_command("load_rubrics", stdout=io.StringIO())
    officer = client_for(world.other_province_officer)
    form = officer.get(reverse("call-build"), **ZH).content.decode()
    picker = form[form.index('name="call-rubric_code"'):].split("</select>")[0]
    assert 'value="gansu-2022-etc"' in picker
    response = officer.post(reverse("call-build"), builder_post(world, **{"call-rubric_code": "no-such-rubric"}), **ZH)
    assert response.status_code == 200 and not Call.objects.exists()  # not one of the choices
    officer.post(reverse("call-build"), builder_post(world, **{"call-rubric_code": "gansu-2022-etc"}), **ZH)
    assert Call.objects.get(code="gs-2026-etc-built").rubric_code == "gansu-2022-etc"
