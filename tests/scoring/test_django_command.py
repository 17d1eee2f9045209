"""The command-line contract for bureaus: score_rubric CODE INPUT.json / --batch / --schema, and
load_rubrics (idempotent by content). Expectations are computed by hand in conftest.ETC_FIRM."""

import csv
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from portal.models import AuditEntry
from scoring.constants import RubricStatus
from scoring.models import Rubric, RubricVersion
from tests.scoring.conftest import ETC_FIRM, ETC_FIRM_POINTS

pytestmark = pytest.mark.django_db

CODE = "gansu-2022-etc"
RUBRIC_DIR = Path(settings.BASE_DIR) / "fixtures" / "rubrics"


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("score_rubric", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write_json(tmp_path, data, name="firm.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def parse(text: str) -> dict:
    return json.loads(text, parse_float=Decimal)


def test_score_prints_one_json_object_with_hand_computed_points(rubrics, tmp_path):
    out, err = run(CODE, write_json(tmp_path, ETC_FIRM))
    data = parse(out)
    assert list(data) == ["base", "bonus", "total", "items", "missing", "eligible", "reasons"]
    # base 11 + 13 + 24 = 48, bonus min(6, 5) = 5, total 53 (see conftest)
    assert (data["base"], data["bonus"], data["total"]) == (48, 5, 53)
    assert {it["key"]: it["points"] for it in data["items"]} == {k: Decimal(v) for k, v in ETC_FIRM_POINTS.items()}
    assert all(set(it) == {"key", "label", "points", "max", "explanation"} for it in data["items"])
    first = data["items"][0]
    assert first["label"] == "研发人员人均研发经费支出" and first["max"] == 5
    assert "14.5" in first["explanation"]  # 290 ÷ 20, the inputs used are in the sentence
    assert data["missing"] == [] and data["eligible"] is True and data["reasons"] == []
    # exact decimal text, written as JSON numbers (not strings, not floats)
    assert '"points": 4.5' in out and '"total": 53' in out
    assert err == ""


def test_missing_and_ineligible_inputs_are_reported(rubrics, tmp_path):
    firm = dict(ETC_FIRM, rd_expenditure="150")  # 150万元 < 200; 150/10000 = 1.5 % < 2 %
    del firm["profit"]
    data = parse(run(CODE, write_json(tmp_path, firm))[0])
    assert data["missing"] == ["profit"]
    assert data["eligible"] is False and len(data["reasons"]) == 2
    assert "200" in data["reasons"][0] and "2%" in data["reasons"][1]
    items = {it["key"]: it for it in data["items"]}
    assert items["profit_margin"]["points"] == 0 and "缺少" in items["profit_margin"]["explanation"]
    # 1.5 % is below the 2 % threshold → 0; per capita 150/20 = 7.5万元 < 10 → 0
    assert items["rd_ratio"]["points"] == 0 and items["rd_per_capita"]["points"] == 0


def test_ratio_at_exact_boundary_is_not_lost_to_a_float(rubrics, tmp_path):
    # JSON numbers are read as decimals: 29 / 1000 = 2.9 % exactly → 1 + floor(0.9/0.5) = 2 points
    path = tmp_path / "boundary.json"
    path.write_text('{"rd_expenditure": 29, "main_revenue": 1000.0, "rd_staff": 1}', encoding="utf-8")
    data = parse(run(CODE, str(path))[0])
    assert {it["key"]: it["points"] for it in data["items"]}["rd_ratio"] == 2


def test_schema_lists_the_inputs(rubrics):
    data = json.loads(run(CODE, "--schema")[0])
    assert data["code"] == CODE and data["version"] == 1
    keys = [i["key"] for i in data["inputs"]]
    assert keys[:4] == ["rd_expenditure", "main_revenue", "rd_staff", "total_staff"] and len(keys) == 29
    first = data["inputs"][0]
    assert first["label_zh"] == "研发经费支出" and first["unit"] == "万元" and first["type"] == "decimal"
    assert first["used_by"] == ["rd_per_capita", "rd_ratio"]


def test_batch_scores_one_enterprise_per_row(rubrics, tmp_path):
    src = tmp_path / "firms.csv"
    keys = list(ETC_FIRM)
    with open(src, "w", encoding="utf-8-sig", newline="") as f:  # Excel writes a BOM
        w = csv.writer(f)
        w.writerow(["id", "name", *keys])
        w.writerow(["1", "甲公司", *[ETC_FIRM[k] for k in keys]])
        # every figure 0 and the revenue left blank: every item 0, main_revenue missing, not eligible
        w.writerow(["2", "乙公司", *["" if k == "main_revenue" else 0 for k in keys]])
    out_path = tmp_path / "scores.csv"
    run(CODE, "--batch", str(src), "--output", str(out_path))
    rows = list(csv.DictReader(open(out_path, encoding="utf-8-sig")))
    assert [r["id"] for r in rows] == ["1", "2"] and rows[0]["name"] == "甲公司"
    assert (rows[0]["base"], rows[0]["bonus"], rows[0]["total"], rows[0]["eligible"]) == ("48", "5", "53", "true")
    assert rows[0]["patent_applications"] == "4.5" and rows[0]["standards"] == "3.5"
    assert rows[0]["missing"] == "" and rows[0]["error"] == ""
    assert rows[1]["total"] == "0" and rows[1]["missing"] == "main_revenue" and rows[1]["eligible"] == "false"


def test_batch_to_stdout_marks_bad_rows_and_exits_non_zero(rubrics, tmp_path):
    src = tmp_path / "firms.csv"
    src.write_text("name,rd_expenditure,main_revenue\n好,300,10000\n坏,三百,10000\n", encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 rows"):
        call_command("score_rubric", CODE, "--batch", str(src), stdout=out, stderr=io.StringIO())
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["error"] == "" and rows[0]["rd_ratio"] == "3"  # 3 % → 1 + floor(1/0.5) = 3
    assert "rd_expenditure" in rows[1]["error"] and rows[1]["total"] == ""


@pytest.mark.parametrize("content,message", [
    ("{not json", "not valid JSON"),
    ('["a", "list"]', "JSON object"),
    ('{"rd_expenditure": "三百万"}', "rd_expenditure"),
    ('{"rd_staff": 2.5}', "rd_staff"),  # a head count must be whole
    ('{"main_revenue": -1}', "main_revenue"),
])
def test_bad_input_fails_with_a_message(rubrics, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        run(CODE, str(path))


def test_unknown_code_and_unreadable_file_fail(rubrics, tmp_path):
    with pytest.raises(CommandError, match="unknown rubric"):
        run("no-such-rubric", write_json(tmp_path, {}))
    with pytest.raises(CommandError, match="cannot read"):
        run(CODE, str(tmp_path / "absent.json"))
    with pytest.raises(CommandError, match="exactly one"):
        run(CODE)


def _cli(args, tmp_path, stdin=None):
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}")
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", "score_rubric", *args], cwd=settings.BASE_DIR, env=env,
        capture_output=True, text=True, input=stdin, timeout=120,
    )


def test_real_command_on_a_fresh_database_uses_the_fixture_file(tmp_path):
    # A database that was never migrated: the command falls back to fixtures/rubrics/CODE.yaml.
    done = _cli([CODE, "-"], tmp_path, stdin=json.dumps(ETC_FIRM))
    assert done.returncode == 0, done.stderr
    data = parse(done.stdout)
    assert (data["base"], data["bonus"], data["total"]) == (48, 5, 53)
    bad = _cli([CODE, "-"], tmp_path, stdin='{"rd_expenditure": "abc"}')
    assert bad.returncode != 0 and bad.stdout == ""
    assert "rd_expenditure" in bad.stderr


def test_load_rubrics_is_idempotent_and_versions_a_changed_file(world, tmp_path):
    call_command("load_rubrics", stdout=io.StringIO())
    assert Rubric.objects.count() == 5
    assert RubricVersion.objects.filter(status=RubricStatus.PUBLISHED, version=1).count() == 5
    etc = RubricVersion.objects.get(rubric__code=CODE)
    assert etc.province == world.gs and etc.definition["code"] == CODE and len(etc.sha256) == 64
    county = RubricVersion.objects.get(rubric__code="ganzhou-2023-county")
    assert county.province == world.jx
    itc = RubricVersion.objects.get(rubric__code="gansu-2022-itc")
    assert {w["code"] for w in itc.warnings} >= {"layout_mismatch"} and all(w["zh"] and w["en"] for w in itc.warnings)
    audits = AuditEntry.objects.filter(action="rubric_version.publish").count()
    assert audits == 5

    call_command("load_rubrics", stdout=io.StringIO())  # unchanged files: nothing new
    assert RubricVersion.objects.count() == 5
    assert AuditEntry.objects.filter(action="rubric_version.publish").count() == audits

    changed = tmp_path / f"{CODE}.yaml"
    text = (RUBRIC_DIR / f"{CODE}.yaml").read_text(encoding="utf-8")
    changed.write_text(text.replace('version: "2022.1"', 'version: "2022.2"'), encoding="utf-8")
    call_command("load_rubrics", str(changed), stdout=io.StringIO())
    versions = list(RubricVersion.objects.filter(rubric__code=CODE).order_by("version"))
    assert [(v.version, v.status, v.label) for v in versions] == [
        (1, "published", "2022.1"), (2, "published", "2022.2")]
    data = json.loads(run(CODE, "--schema")[0])
    assert data["version"] == 2  # the command takes the newest published version


def test_load_rubrics_refuses_a_broken_file(world, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("code: broken-one\nversion: '1'\n", encoding="utf-8")
    with pytest.raises(CommandError, match="refused"):
        call_command("load_rubrics", str(broken), stdout=io.StringIO(), stderr=io.StringIO())
    assert not Rubric.objects.filter(code="broken-one").exists()
