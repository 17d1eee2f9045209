"""Organizations imported from an XLSX table: every bad row is named with its reason, a file with
any bad row stores nothing (not even its good rows), a clean file stores every row with an audit
entry; only the provincial department imports, and only into its own province."""

import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from portal import imports
from portal.access import actor_for
from portal.creditcode import make_credit_code
from portal.models import AuditEntry, Organization

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def codes(n):
    return [make_credit_code(f"91620102QL{i:07d}") for i in range(1, n + 1)]


def workbook(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["单位名称", "统一社会信用代码", "所属地区代码", "单位类型"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def fifty(world, bad_at=None):
    rows = [[f"兰州测试企业{i:02d}有限公司", code, world.chengguan.code, "企业"] for i, code in enumerate(codes(50), 1)]
    if bad_at is not None:
        code = rows[bad_at][1]
        rows[bad_at][1] = code[:-1] + ("0" if code[-1] != "0" else "1")  # a typing error in the check character
    return rows


def test_fifty_organizations_with_one_bad_credit_code_store_nothing_and_name_row_and_reason(world, client_for):
    before = Organization.objects.count()
    content = workbook(fifty(world, bad_at=26))  # the 27th organization, sheet row 28
    officer = client_for(world.other_province_officer)  # 甘肃省工信厅
    upload = io.BytesIO(content)
    upload.name = "单位.xlsx"
    page = officer.post(reverse("organization-import"), {"step": "check", "file": upload}, **ZH).content.decode()
    assert 'id="import-problems"' in page and 'id="import-store"' not in page
    problems = page[page.index('id="import-problems"'):]
    assert 'data-row="28"' in problems and "统一社会信用代码" in problems
    assert "校验码" in problems  # the reason: the check character does not match
    assert problems.count("<tr data-row=") == 1
    # storing is refused as a whole by the service too
    with pytest.raises(ValidationError):
        imports.organizations_import(actor=actor_for(world.other_province_officer), content=content)
    assert Organization.objects.count() == before
    assert not AuditEntry.objects.filter(action="organization.import").exists()


def test_a_clean_file_is_previewed_then_stored_with_an_audit_entry_per_row(world, client_for):
    before = Organization.objects.count()
    officer = client_for(world.other_province_officer)
    upload = io.BytesIO(workbook(fifty(world)))
    upload.name = "单位.xlsx"
    page = officer.post(reverse("organization-import"), {"step": "check", "file": upload}, **ZH).content.decode()
    assert 'id="import-store"' in page and Organization.objects.count() == before  # a preview stores nothing
    digest = page.split('name="digest" value="')[1].split('"')[0]
    response = officer.post(reverse("organization-import"), {"step": "store", "digest": digest}, **ZH)
    assert response.status_code == 302
    assert Organization.objects.count() == before + 50
    org = Organization.objects.get(credit_code=codes(50)[26])
    assert org.region == world.chengguan and org.kind == "enterprise"
    assert AuditEntry.objects.filter(action="organization.import").count() == 50


def test_every_kind_of_bad_row_is_named(world):
    good = codes(3)
    rows = [
        ["", good[0], world.chengguan.code, "企业"],  # no name
        ["某企业", good[1], "999999", "企业"],  # no such region
        ["某院所", good[2], world.zhanggong.code, "科研院所"],  # another province
        ["某高校", good[2], world.chengguan.code, "大学城"],  # same code as row 4, unknown kind
        ["城关区", make_credit_code("91620102MA9999999"), world.lanzhou.code, "企业"],  # a city, not a county
    ]
    check = imports.organizations_import_check(actor=actor_for(world.other_province_officer), content=workbook(rows))
    found = {(p.row, p.column) for p in check.problems}
    assert {(2, "单位名称"), (3, "所属地区代码"), (4, "所属地区代码"), (5, "统一社会信用代码"), (5, "单位类型"),
            (6, "所属地区代码")} <= found
    assert not check.ok


def test_only_the_provincial_department_imports(world, client_for):
    content = workbook(fifty(world)[:2])
    for user in (world.lanzhou_reviewer, world.applicant_admin):
        with pytest.raises(PermissionDenied):
            imports.organizations_import(actor=actor_for(user), content=content)
    bureau = client_for(world.lanzhou_reviewer)
    assert bureau.get(reverse("organization-import")).status_code == 403
    # the Jiangxi department cannot import Gansu organizations
    check = imports.organizations_import_check(actor=actor_for(world.province_officer), content=content)
    assert not check.ok and all(p.column == "所属地区代码" for p in check.problems)


def test_a_file_that_is_not_a_workbook_is_refused(world):
    with pytest.raises(ValidationError):
        imports.organizations_import_check(actor=actor_for(world.other_province_officer), content=b"not a workbook")
