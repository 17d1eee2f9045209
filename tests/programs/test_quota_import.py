"""Quotas per city and county of a draft call from an XLSX table: a bad row is named with its
reason and nothing is stored; a clean table sets the listed regions' quotas (the general quotas
stay) through the draft's save, audited; a published call or another province's officer is refused."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from portal.access import actor_for
from portal.models import AuditEntry
from programs import imports
from programs.constants import CallStatus, QuotaRule, QuotaScope
from programs.models import Quota
from programs.workdays import SHANGHAI
from tests.factories import CallFactory, StageFactory

pytestmark = pytest.mark.django_db


def workbook(rows):
    book = openpyxl.Workbook()
    book.active.append(["地区代码", "推荐名额"])
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def draft(world):
    call = CallFactory(code="jx-2031-quota-import", province=world.jx, status=CallStatus.DRAFT)
    StageFactory(call=call, deadline_at=dt.datetime(2031, 4, 22, 23, 59, 59, tzinfo=SHANGHAI))
    Quota.objects.create(call=call, scope=QuotaScope.PER_COUNTY, rule=QuotaRule.FIXED, limit=2)
    return call


def test_a_bad_row_stores_nothing_and_is_named(world, draft):
    content = workbook([[world.ganzhou.code, 6], [world.nankang.code, "三"], [world.chengguan.code, 1],
                        [world.ganzhou.code, 4]])
    check = imports.quotas_import_check(actor=actor_for(world.province_officer), call=draft, content=content)
    assert {(p.row, p.column) for p in check.problems} == {(3, "推荐名额"), (4, "地区代码"), (5, "地区代码")}
    with pytest.raises(ValidationError):
        imports.quotas_import(actor=actor_for(world.province_officer), call=draft, content=content)
    assert list(draft.quotas.values_list("region", flat=True)) == [None]


def test_a_clean_table_sets_the_listed_regions(world, draft, client_for):
    officer = client_for(world.province_officer)
    upload = io.BytesIO(workbook([[world.ganzhou.code, 6], [world.nankang.code, 3]]))
    upload.name = "名额.xlsx"
    page = officer.post(reverse("call-quota-import", args=[draft.code]), {"step": "check", "file": upload}).content.decode()
    assert 'id="import-store"' in page and draft.quotas.count() == 1
    digest = page.split('name="digest" value="')[1].split('"')[0]
    officer.post(reverse("call-quota-import", args=[draft.code]), {"step": "store", "digest": digest})
    quotas = {q.region.code if q.region else None: q for q in draft.quotas.select_related("region")}
    assert quotas[None].limit == 2
    assert (quotas["360700"].scope, quotas["360700"].limit) == (QuotaScope.PER_CITY, 6)
    assert (quotas["360703"].scope, quotas["360703"].limit) == (QuotaScope.PER_COUNTY, 3)
    assert quotas["360703"].limit_for(world.nankang) == 3
    assert AuditEntry.objects.filter(action="call.edit_draft", object_id=str(draft.pk)).count() == 1


def test_wrong_users_and_published_calls_are_refused(world, draft, client_for):
    content = workbook([[world.ganzhou.code, 6]])
    with pytest.raises(PermissionDenied):
        imports.quotas_import(actor=actor_for(world.other_province_officer), call=draft, content=content)
    assert client_for(world.other_province_officer).get(
        reverse("call-quota-import", args=[draft.code])).status_code == 404
    draft.status = CallStatus.PUBLISHED
    draft.save(update_fields=["status"])
    with pytest.raises(PermissionDenied):
        imports.quotas_import(actor=actor_for(world.province_officer), call=draft, content=content)
    assert draft.quotas.count() == 1
