"""Organizations imported from an XLSX table (name, credit code, region, kind). The check lists
every bad row with its reason; a file with any bad row stores nothing."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.access import Actor, region_in_scope
from portal.access.tenancy import can_import_organizations
from portal.constants import APPLICANT_KINDS, OrgKind, RegionLevel
from portal.models import Organization, Region, validate_credit_code
from portal.services import audit_record
from portal.xlsx_import import ImportCheck, read_table

ORG_COLUMNS = {
    "name": ("单位名称", "name"),
    "credit_code": ("统一社会信用代码", "credit code", "credit_code"),
    "region": ("所属地区代码", "region code", "region"),
    "kind": ("单位类型", "kind"),
}


def _column(key: str) -> str:
    return ORG_COLUMNS[key][0]


def _kinds() -> dict[str, str]:
    """Kinds an import may create, by code and by their Chinese and English labels."""
    out = {}
    for kind in APPLICANT_KINDS:
        out[str(kind.value)] = kind.value
        out[str(kind.label)] = kind.value
    out.update({"企业": OrgKind.ENTERPRISE, "科研院所": OrgKind.RESEARCH_INSTITUTE, "高等院校": OrgKind.UNIVERSITY,
                "高校": OrgKind.UNIVERSITY})
    return out


def organizations_import_check(*, actor: Actor, content: bytes) -> ImportCheck:
    """Read and check every row (nothing is stored)."""
    decision = can_import_organizations(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    rows = read_table(content, ORG_COLUMNS)
    check = ImportCheck()
    if not rows:
        raise ValidationError(_("The file holds no organization."))
    kinds = _kinds()
    regions = {r.code: r for r in Region.objects.filter(code__in={rec["region"] for _n, rec in rows})}
    codes = [rec["credit_code"].upper() for _n, rec in rows]
    taken = set(Organization.objects.filter(credit_code__in=codes).values_list("credit_code", flat=True))
    seen: dict[str, int] = {}
    for number, rec in rows:
        bad = False
        name = rec["name"]
        if not name:
            check.add(number, _column("name"), _("The name is missing."))
            bad = True
        elif len(name) > Organization._meta.get_field("name").max_length:
            check.add(number, _column("name"), _("The name is longer than 200 characters."))
            bad = True
        code = rec["credit_code"]
        try:
            validate_credit_code(code)
        except ValidationError as exc:
            check.add(number, _column("credit_code"), " ".join(exc.messages))
            bad = True
        else:
            if code in taken:
                check.add(number, _column("credit_code"), _("An organization with this credit code is registered already."))
                bad = True
            elif code in seen:
                check.add(number, _column("credit_code"),
                          _("The same credit code is in row %(row)d.") % {"row": seen[code]})
                bad = True
            seen.setdefault(code, number)
        region = regions.get(rec["region"])
        if region is None:
            check.add(number, _column("region"), _("No region has the code “%(code)s”.") % {"code": rec["region"]})
            bad = True
        elif region.level != RegionLevel.COUNTY:
            check.add(number, _column("region"),
                      _("%(region)s is not a county: an organization belongs to a county.") % {"region": region.name})
            bad = True
        elif not region_in_scope(actor, region):
            check.add(number, _column("region"), _("%(region)s is outside your province.") % {"region": region.name})
            bad = True
        kind = kinds.get(rec["kind"])
        if kind is None:
            check.add(number, _column("kind"),
                      _("Unknown kind “%(kind)s”: write 企业, 科研院所 or 高等院校.") % {"kind": rec["kind"]})
            bad = True
        if not bad:
            check.records.append({"row": number, "name": name, "credit_code": code, "region": region,
                                  "kind": kind, "kind_label": OrgKind(kind).label})
    return check


@transaction.atomic
def organizations_import(*, actor: Actor, content: bytes) -> list[Organization]:
    """Store the organizations of the file, all or none: any bad row refuses the whole file."""
    check = organizations_import_check(actor=actor, content=content)
    if not check.ok:
        raise ValidationError(_("The file has %(n)d problem(s): nothing was stored.") % {"n": len(check.problems)})
    created = []
    for rec in check.records:
        org = Organization(name=rec["name"], credit_code=rec["credit_code"], region=rec["region"], kind=rec["kind"])
        org.full_clean()
        org.save()
        audit_record(actor=actor, action="organization.import", obj=org, province=org.region.province,
                     region=org.region, organization=org, data={"row": rec["row"], "of": len(check.records)})
        created.append(org)
    return created
