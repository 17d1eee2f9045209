"""Quotas of a draft call imported from an XLSX table (a region code and its number of places a
row): checked row by row, stored all or none through the draft's one save (the notice-file loader)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from portal.access import Actor
from portal.constants import RegionLevel
from portal.models import Region
from portal.xlsx_import import ImportCheck, read_table

from .constants import QuotaRule, QuotaScope
from .loaders import call_to_row
from .models import Call
from .policy import can_edit_call_draft
from .services import call_save_draft

QUOTA_COLUMNS = {
    "region": ("地区代码", "region code", "region"),
    "limit": ("推荐名额", "名额", "limit"),
}
SCOPES = {RegionLevel.CITY: QuotaScope.PER_CITY, RegionLevel.COUNTY: QuotaScope.PER_COUNTY}


def quotas_import_check(*, actor: Actor, call: Call, content: bytes) -> ImportCheck:
    decision = can_edit_call_draft(actor, call)
    if not decision:
        raise PermissionDenied(decision.reason)
    rows = read_table(content, QUOTA_COLUMNS)
    check = ImportCheck()
    regions = {r.code: r for r in Region.objects.filter(code__in={rec["region"] for _n, rec in rows})}
    seen: dict[str, int] = {}
    region_col, limit_col = QUOTA_COLUMNS["region"][0], QUOTA_COLUMNS["limit"][0]
    for number, rec in rows:
        bad = False
        region = regions.get(rec["region"])
        if region is None:
            check.add(number, region_col, _("No region has the code “%(code)s”.") % {"code": rec["region"]})
            bad = True
        elif region.province_id != call.province_id:
            check.add(number, region_col, _("%(region)s is not in the call's province.") % {"region": region.name})
            bad = True
        elif region.level not in SCOPES:
            check.add(number, region_col, _("A quota is set for a city or a county."))
            bad = True
        elif region.code in seen:
            check.add(number, region_col, _("The same region is in row %(row)d.") % {"row": seen[region.code]})
            bad = True
        else:
            seen[region.code] = number
        try:
            limit = int(rec["limit"])
            if limit < 0 or str(limit) != rec["limit"]:
                raise ValueError
        except ValueError:
            check.add(number, limit_col, _("“%(value)s” is not a whole number of places.") % {"value": rec["limit"]})
            bad = True
        if not bad:
            check.records.append({"row": number, "region": region, "limit": limit,
                                  "scope": SCOPES[region.level]})
    return check


def quotas_import(*, actor: Actor, call: Call, content: bytes) -> Call:
    """Replace the region-specific quotas of the listed regions by the table's numbers (the quotas
    for every city or every county stay); any bad row refuses the whole file."""
    check = quotas_import_check(actor=actor, call=call, content=content)
    if not check.ok:
        raise ValidationError(_("The file has %(n)d problem(s): nothing was stored.") % {"n": len(check.problems)})
    row = call_to_row(call)
    listed = {rec["region"].code for rec in check.records}
    quotas = [q for q in row["quotas"] if q["region"] not in listed]
    quotas += [{"scope": rec["scope"], "region": rec["region"].code, "rule": QuotaRule.FIXED.value,
                "limit": rec["limit"], "condition_attribute": "", "limit_if_true": None, "in_principle": False,
                "source_text": ""} for rec in check.records]
    row["quotas"] = quotas
    return call_save_draft(actor=actor, call=call, row=row)
