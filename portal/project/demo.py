"""Demo accounts for every role, and demo enterprises in Ganzhou and Lanzhou.

Everything here is marked as demo data. Passwords are shown only in the embedded default
(SQLite, no Redis, not production); elsewhere each account gets a random password that is not
printed.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.constants import OrgKind, Role
from portal.creditcode import make_credit_code
from portal.models import Membership, Organization, Region, User
from programs.models import Call

DEMO_PASSWORD = "demo-portal-2026"

# name, kind, region code, credit code (first 17 chars; check char computed) or None
ORGANIZATIONS = [
    ("平台运营中心（演示）", OrgKind.PLATFORM_OPERATOR, "360000", None),
    ("江西省工业和信息化厅（演示）", OrgKind.PROVINCIAL_DEPARTMENT, "360000", None),
    ("甘肃省工业和信息化厅（演示）", OrgKind.PROVINCIAL_DEPARTMENT, "620000", None),
    ("贵州省工业和信息化厅（演示）", OrgKind.PROVINCIAL_DEPARTMENT, "520000", None),
    ("江西省技术创新评审专家库（演示）", OrgKind.EXPERT_POOL, "360000", None),
    ("赣州市工业和信息化局（演示）", OrgKind.CITY_BUREAU, "360700", None),
    ("南昌市工业和信息化局（演示）", OrgKind.CITY_BUREAU, "360100", None),
    ("兰州市工业和信息化局（演示）", OrgKind.CITY_BUREAU, "620100", None),
    ("章贡区工业和信息化局（演示）", OrgKind.COUNTY_BUREAU, "360702", None),
    ("南康区工业和信息化局（演示）", OrgKind.COUNTY_BUREAU, "360703", None),
    ("赣州经开区企业服务局（演示）", OrgKind.COUNTY_BUREAU, "Z360700-01", None),
    ("城关区工业和信息化局（演示）", OrgKind.COUNTY_BUREAU, "620102", None),
    ("七里河区工业和信息化局（演示）", OrgKind.COUNTY_BUREAU, "620103", None),
    ("赣州虔东稀土新材料有限公司（演示）", OrgKind.ENTERPRISE, "360702", "91360702MA35G8K2X"),
    ("赣州章江精密机械有限公司（演示）", OrgKind.ENTERPRISE, "360702", "91360702MA38R1T4W"),
    ("南康家居智造有限公司（演示）", OrgKind.ENTERPRISE, "360703", "91360703MA39H6P0L"),
    ("赣州经开区新能源科技有限公司（演示）", OrgKind.ENTERPRISE, "Z360700-01", "91360700MA3AC2Q7N"),
    ("兰州陇原石化装备有限公司（演示）", OrgKind.ENTERPRISE, "620102", "91620102MA71L5D3R"),
    ("兰州黄河生物制药有限公司（演示）", OrgKind.ENTERPRISE, "620103", "91620103MA72B9E1U"),
    ("兰州理工技术研究院（演示）", OrgKind.RESEARCH_INSTITUTE, "620102", "12620100MB1K3N5W8"),
]

# username, display name, [(organization name, role)]
ACCOUNTS = [
    ("operator", "平台运维", [("平台运营中心（演示）", Role.PLATFORM_OPERATOR)]),
    ("jx_officer", "江西省厅项目专员", [("江西省工业和信息化厅（演示）", Role.PROVINCIAL_OFFICER)]),
    ("jx_head", "江西省厅科技处处长", [("江西省工业和信息化厅（演示）", Role.PROVINCIAL_HEAD)]),
    ("gs_officer", "甘肃省厅项目专员", [("甘肃省工业和信息化厅（演示）", Role.PROVINCIAL_OFFICER)]),
    ("gz_officer", "贵州省厅项目专员", [("贵州省工业和信息化厅（演示）", Role.PROVINCIAL_OFFICER)]),
    ("jx_expert", "江西省评审专家", [("江西省技术创新评审专家库（演示）", Role.EXPERT)]),
    ("ganzhou_reviewer", "赣州市局审核员", [("赣州市工业和信息化局（演示）", Role.BUREAU_REVIEWER)]),
    ("ganzhou_head", "赣州市局科技科科长", [("赣州市工业和信息化局（演示）", Role.BUREAU_HEAD)]),
    ("nanchang_reviewer", "南昌市局审核员", [("南昌市工业和信息化局（演示）", Role.BUREAU_REVIEWER)]),
    ("lanzhou_reviewer", "兰州市局审核员", [("兰州市工业和信息化局（演示）", Role.BUREAU_REVIEWER)]),
    ("zhanggong_reviewer", "章贡区局审核员", [("章贡区工业和信息化局（演示）", Role.BUREAU_REVIEWER)]),
    ("zhanggong_head", "章贡区局局长", [("章贡区工业和信息化局（演示）", Role.BUREAU_HEAD)]),
    ("nankang_reviewer", "南康区局审核员", [("南康区工业和信息化局（演示）", Role.BUREAU_REVIEWER)]),
    ("kaifaqu_reviewer", "赣州经开区审核员", [("赣州经开区企业服务局（演示）", Role.BUREAU_REVIEWER)]),
    ("chengguan_reviewer", "城关区局审核员", [("城关区工业和信息化局（演示）", Role.BUREAU_REVIEWER)]),
    ("qilihe_reviewer", "七里河区局审核员", [("七里河区工业和信息化局（演示）", Role.BUREAU_REVIEWER)]),
    ("qiandong_admin", "虔东稀土管理员", [("赣州虔东稀土新材料有限公司（演示）", Role.APPLICANT_ADMIN)]),
    ("qiandong_filer", "虔东稀土填报员", [("赣州虔东稀土新材料有限公司（演示）", Role.APPLICANT_FILER)]),
    ("qiandong_viewer", "虔东稀土查看员", [("赣州虔东稀土新材料有限公司（演示）", Role.APPLICANT_VIEWER)]),
    ("zhangjiang_admin", "章江精密管理员", [("赣州章江精密机械有限公司（演示）", Role.APPLICANT_ADMIN)]),
    ("nankang_admin", "南康家居管理员", [("南康家居智造有限公司（演示）", Role.APPLICANT_ADMIN)]),
    ("longyuan_admin", "陇原石化管理员", [("兰州陇原石化装备有限公司（演示）", Role.APPLICANT_ADMIN)]),
    ("huanghe_admin", "黄河制药管理员", [("兰州黄河生物制药有限公司（演示）", Role.APPLICANT_ADMIN)]),
    ("group_admin", "集团申报专员（两家企业）", [
        ("赣州虔东稀土新材料有限公司（演示）", Role.APPLICANT_ADMIN),
        ("兰州陇原石化装备有限公司（演示）", Role.APPLICANT_ADMIN),
    ]),
]

# Telephone area codes of the demo cities (the city's region code): a contact number fits its city.
AREA_CODES = {"360700": "0797", "360100": "0791", "620100": "0931", "520100": "0851"}


def demo_phone(region: Region, serial: int) -> str:
    """A demo landline in the organisation's own city: its area code and an eight-digit number."""
    city = region.city or region
    return f"{AREA_CODES[city.code]}-{8000_0000 + serial:08d}"


# Demo attribute: 章贡区 runs a city-level ETC program (so the Ganzhou quota rule shows both cases).
REGION_ATTRIBUTES = {"360702": {"has_city_etc_program": True}}


@dataclass
class DemoLogin:
    username: str
    display: str
    roles: str
    password: str | None


def passwords_visible() -> bool:
    return bool(getattr(settings, "PORTAL_SHOW_DEMO_PASSWORDS", False))


@transaction.atomic
def load_demo() -> list[DemoLogin]:
    regions = {r.code: r for r in Region.objects.filter(code__in={o[2] for o in ORGANIZATIONS} | set(REGION_ATTRIBUTES))}
    missing = {o[2] for o in ORGANIZATIONS} - set(regions)
    if missing:
        raise RuntimeError(f"load the regions first (missing {sorted(missing)})")
    for code, attrs in REGION_ATTRIBUTES.items():
        region = regions[code]
        region.attributes = {**region.attributes, **attrs}
        region.save(update_fields=["attributes"])
    orgs = {}
    for serial, (name, kind, region_code, first17) in enumerate(ORGANIZATIONS):
        defaults = {"kind": kind, "region": regions[region_code]}
        if first17:
            defaults["credit_code"] = make_credit_code(first17)
            defaults.update(contact_name="演示联系人", contact_phone=demo_phone(regions[region_code], serial), contact_email="demo@example.com",
                            industry="制造业", main_business="演示用主营业务")
        org, _ = Organization.objects.update_or_create(name=name, defaults=defaults)
        org.full_clean()
        orgs[name] = org
    show = passwords_visible()
    logins = []
    for username, display, memberships in ACCOUNTS:
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": display})
        user.first_name = display
        password = DEMO_PASSWORD if show else secrets.token_urlsafe(18)
        if created or show:
            user.set_password(password)
        is_operator = any(role == Role.PLATFORM_OPERATOR for _, role in memberships)
        user.is_staff = is_operator
        user.is_superuser = is_operator
        user.save()
        first = None
        for org_name, role in memberships:
            m, _ = Membership.objects.get_or_create(user=user, organization=orgs[org_name], role=role)
            first = first or m
        if user.active_membership_id is None:
            user.active_membership = first
            user.save(update_fields=["active_membership"])
        roles = "; ".join(f"{o} · {Role(r).label}" for o, r in memberships)
        logins.append(DemoLogin(username, display, roles, password if show else None))
    return logins


# Demo calls: copies of seed calls with dates moved into the coming weeks, so that a newcomer sees
# open calls and running countdowns. Titles and codes say 演示 (demo); they are not real notices.
DEMO_CALLS = [
    # (seed code, demo code, demo title, days from today to the seed's first deadline)
    ("jx-2024-etc-batch27", "demo-jx-etc", "【演示】省级企业技术中心申报（赣州，演示数据）", 30),
    ("gs-2022-etc", "demo-gs-etc", "【演示】甘肃省省级企业技术中心申报（演示数据）", 21),
]


# The texts of a call that name its year (the commitment letter, the notice, the stages' and the
# materials' wording): a demo copy names the year of the copy, not the seed's.
YEAR_TEXTS = {
    "call": ("notice_text", "commitment_text"),
    "stages": ("name", "description", "event_name", "source_text"),
    "quotas": ("source_text",),
    "conditions": ("text", "exempt_if"),
    "materials": ("name", "description"),
    "contacts": (),
}


def restate_year(obj, fields, seed_year: int, year: int) -> None:
    """Replace the seed's year by the copy's in the given text fields ("2024年", "2024 年")."""
    if not seed_year or seed_year == year:
        return
    for name in fields:
        text = getattr(obj, name, "") or ""
        for pattern in (f"{seed_year}年", f"{seed_year} 年"):
            text = text.replace(pattern, f"{year}年")
        setattr(obj, name, text)


@transaction.atomic
def load_demo_calls(today=None) -> list[str]:



    today = today or timezone.localdate()
    made = []
    for seed_code, code, title, days in DEMO_CALLS:
        seed = Call.objects.filter(code=seed_code).prefetch_related(
            "stages", "quotas", "conditions", "materials", "contacts"
        ).first()
        if seed is None:
            continue
        dated = [s.deadline_at for s in seed.stages.all() if s.deadline_at]
        first = min(dated) if dated else None
        shift = (
            dt.timedelta(days=(today - timezone.localtime(first).date()).days + days) if first else dt.timedelta()
        )
        existing = Call.objects.filter(code=code).first()
        if existing is not None and existing.applications.exists():
            continue  # keep a demo call that holds demo applications (`load_demo --reset` rebuilds it)
        Call.objects.filter(code=code).delete()
        children = {name: list(getattr(seed, name).all()) for name in
                    ("stages", "quotas", "conditions", "materials", "contacts")}
        call = seed
        seed_year = seed.year
        call.pk = None
        call.id = None
        call._state.adding = True
        call.code = code
        call.title = title
        call.year = today.year
        restate_year(call, YEAR_TEXTS["call"], seed_year, call.year)
        call.batch = "演示"
        call.document_number = ""
        call.source = f"demo copy of {seed_code}"
        call.published_at = timezone.now()
        call.save()
        for name, rows in children.items():
            for row in rows:
                row.pk = None
                row.id = None
                row._state.adding = True
                row.call = call
                restate_year(row, YEAR_TEXTS[name], seed_year, call.year)
                if name == "stages" and row.deadline_at:
                    row.deadline_at = row.deadline_at + shift
                row.save()
        made.append(code)
    return made
