"""Build and load the region tree.

The official part comes from the GB/T 2260 division list (one `CODE NAME` per line);
functional zones, which have no official code, get codes of the portal's own (Z + the code of
the region they belong to + a serial) and are listed in FUNCTIONAL_ZONES.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.db import transaction

from .constants import RegionKind, RegionLevel
from .creditcode import division_code
from .models import Region

# Reviewing units that act at city or county level without an official division code.
FUNCTIONAL_ZONES = [
    # code, name, level, parent code, attributes
    ("Z360700-01", "赣州经开区", RegionLevel.COUNTY, "360700", {"ganzhou_county_class": 1}),
    ("Z360700-02", "赣州蓉江新区", RegionLevel.COUNTY, "360700", {"ganzhou_county_class": 1}),
    ("Z620100-01", "兰州高新区", RegionLevel.COUNTY, "620100", {}),
    ("Z620000-01", "兰州新区", RegionLevel.CITY, "620000", {}),
    ("Z520000-01", "贵安新区", RegionLevel.CITY, "520000", {}),
]

# Seed 002 (2023年赣州市科技创新赋能行动工作方案, 附件3): the three classes of counties.
GANZHOU_CLASSES = {
    1: ["章贡区", "赣县区", "南康区", "龙南市"],
    2: ["信丰县", "宁都县", "于都县", "兴国县", "会昌县", "瑞金市"],
    3: ["大余县", "上犹县", "崇义县", "安远县", "定南县", "全南县", "寻乌县", "石城县"],
}

# Provincial settings kept on the province region. Guizhou's platform has the county bureau approve
# every new applicant account before it can file (DOMAIN.md); the others open accounts at once.
PROVINCE_SETTINGS = {
    "520000": {"requires_account_approval": True},
}

DEFAULT_PROVINCES = ["36", "62", "52", "32"]  # Jiangxi, Gansu, Guizhou, Jiangsu


def level_of(code: str) -> str:
    if code.endswith("0000"):
        return RegionLevel.PROVINCE
    if code.endswith("00"):
        return RegionLevel.CITY
    return RegionLevel.COUNTY


def build_rows(source: Path, provinces: list[str]) -> list[dict]:
    """Rows for the chosen provinces (by the first two digits), parents before children."""
    names: dict[str, str] = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        code, _, name = line.partition(" ")
        if code[:2] in provinces and len(code) == 6 and code.isdigit():
            names[code] = name.strip()
    county_class = {name: cls for cls, members in GANZHOU_CLASSES.items() for name in members}
    rows = []
    for code in sorted(names):
        level = level_of(code)
        if level == RegionLevel.PROVINCE:
            parent = None
        elif level == RegionLevel.CITY:
            parent = code[:2] + "0000"
        else:
            parent = code[:4] + "00" if code[:4] + "00" in names else code[:2] + "0000"
        attributes = dict(PROVINCE_SETTINGS.get(code, {}))
        if code.startswith("3607") and names[code] in county_class:
            attributes["ganzhou_county_class"] = county_class[names[code]]
        rows.append({"code": code, "name": names[code], "level": level, "kind": RegionKind.ADMINISTRATIVE,
                     "parent": parent, "attributes": attributes})
    for code, name, level, parent, attributes in FUNCTIONAL_ZONES:
        if parent[:2] in provinces:
            rows.append({"code": code, "name": name, "level": level, "kind": RegionKind.ZONE, "parent": parent,
                         "attributes": attributes})
    # parents first: provinces, then cities, then counties
    order = {RegionLevel.PROVINCE: 0, RegionLevel.CITY: 1, RegionLevel.COUNTY: 2}
    rows.sort(key=lambda r: (order[r["level"]], r["code"]))
    return rows


def write_fixture(rows: list[dict], target: Path, *, source: str, as_of: str) -> None:
    payload = {"source": source, "as_of": as_of, "regions": rows}
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


@transaction.atomic
def load_fixture(path: Path) -> tuple[int, int]:
    """Create or update the regions of a fixture file. Returns (created, updated)."""
    payload = json.loads(Path(path).read_text(encoding="utf-8"))
    as_of = dt.date.fromisoformat(payload["as_of"])
    by_code = {r.code: r for r in Region.objects.all()}
    created = updated = 0
    for row in payload["regions"]:
        parent = by_code.get(row["parent"]) if row["parent"] else None
        if row["parent"] and parent is None:
            raise ValueError(f"{path}: region {row['code']} names a parent {row['parent']} that is not loaded")
        region = by_code.get(row["code"])
        fields = {"name": row["name"], "level": row["level"], "kind": row["kind"], "parent": parent,
                  "source": payload["source"][:200], "as_of": as_of}
        if region is None:
            region = Region(code=row["code"], attributes=row["attributes"], **fields)
            region.save()
            created += 1
        else:
            changed = any(getattr(region, k) != v for k, v in fields.items())
            merged = {**region.attributes, **row["attributes"]}
            if changed or merged != region.attributes:
                for k, v in fields.items():
                    setattr(region, k, v)
                region.attributes = merged  # keep attributes set by operators
                region.save()
                updated += 1
        by_code[region.code] = region
    return created, updated


def region_for_credit_code(code: str) -> Region | None:
    """The county an organization is registered in, read from its credit code (characters 3-8 name
    the registering authority's division): None when they name no county of the portal (a city-level
    authority, a province not loaded, a typing error)."""
    division = division_code(code)
    if division is None:
        return None
    return Region.objects.filter(code=division, level=RegionLevel.COUNTY).select_related("province", "city").first()
