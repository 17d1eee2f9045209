"""Throughput of the scoring engine on one core.

Run:  .venv/bin/python tests/bench/bench_scoring.py [--n 5000] [--runs 5] [--min 10000]

Prints evaluations per second (median of several runs) for the Gansu enterprise technology
center rubric (gansu-2022-etc) with realistic, varied inputs (money as strings the way a form
posts them, counts as ints), for:

  evaluate            evaluate(): points, groups, totals, eligibility, missing inputs
                      (explanations are built lazily, on first access)
  evaluate+to_dict    evaluate() then to_dict(): every explanation sentence rendered
  what_if             what_if(): improvement hints for every item below its max

With --min N the script exits with status 1 when ``evaluate`` is below N per second.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scoring.engine import evaluate, what_if  # noqa: E402
from scoring.rubric_loader import load_rubric_file  # noqa: E402


def make_inputs(rnd: random.Random) -> dict:
    """One plausible applicant: revenue 20 million to 2 billion yuan, R&D 1-8 % of it, etc."""
    revenue = rnd.randint(2_000, 200_000)  # 万元
    rd = round(revenue * rnd.uniform(0.01, 0.08), 2)
    rd_staff = rnd.randint(5, 300)
    total_staff = rd_staff + rnd.randint(50, 5_000)
    d = {
        "rd_expenditure": f"{rd:.2f}",
        "main_revenue": str(revenue),
        "rd_staff": rd_staff,
        "total_staff": total_staff,
        "senior_or_phd": rnd.randint(0, 9),
        "invention_patents_valid": rnd.randint(0, 12),
        "achievements_filed_3y": rnd.randint(0, 14),
        "equipment_value": f"{rnd.uniform(80, 1500):.2f}",
        "provincial_platforms": rnd.randint(0, 4),
        "certified_labs": rnd.randint(0, 3),
        "applications_invention": rnd.randint(0, 4),
        "applications_utility": rnd.randint(0, 6),
        "applications_software": rnd.randint(0, 3),
        "applications_design": rnd.randint(0, 4),
        "new_product_projects": rnd.randint(0, 14),
        "std_intl_lead": rnd.choice((0, 0, 0, 0, 1)),
        "std_intl_part": rnd.choice((0, 0, 0, 1)),
        "std_national_lead": rnd.randint(0, 1),
        "std_national_part": rnd.randint(0, 2),
        "std_industry_lead": rnd.randint(0, 2),
        "std_industry_part": rnd.randint(0, 3),
        "std_group_lead": rnd.randint(0, 2),
        "std_group_part": rnd.randint(0, 3),
        "std_enterprise": rnd.randint(0, 6),
        "new_product_revenue": f"{revenue * rnd.uniform(0, 0.35):.2f}",
        "profit": f"{revenue * rnd.uniform(-0.05, 0.2):.2f}",
        "awards_special": rnd.choice((0, 0, 0, 0, 0, 1)),
        "awards_first": rnd.randint(0, 1),
        "awards_second": rnd.randint(0, 3),
    }
    # a few incomplete forms, as in real life
    if rnd.random() < 0.05:
        d.pop(rnd.choice(list(d)))
    return d


def rate(fn, data: list, runs: int) -> float:
    """Median calls per second of CPU time (process time, so other processes on a shared machine
    do not count against the engine)."""
    speeds = []
    for _ in range(runs):
        t0 = time.process_time()
        for d in data:
            fn(d)
        speeds.append(len(data) / (time.process_time() - t0))
    return statistics.median(speeds)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000, help="inputs per run (default 5000)")
    ap.add_argument("--runs", type=int, default=5, help="runs; the median is reported (default 5)")
    ap.add_argument("--min", type=float, default=0, help="fail if evaluate/s is below this")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    rubric = load_rubric_file(ROOT / "fixtures" / "rubrics" / "gansu-2022-etc.yaml")
    load_ms = (time.perf_counter() - t0) * 1000
    rnd = random.Random(20220315)
    data = [make_inputs(rnd) for _ in range(args.n)]
    for d in data[:200]:  # warm-up
        evaluate(rubric, d).to_dict()
        what_if(rubric, d)

    ev = rate(lambda d: evaluate(rubric, d), data, args.runs)
    full = rate(lambda d: evaluate(rubric, d).to_dict(), data, args.runs)
    wi = rate(lambda d: what_if(rubric, d), data, args.runs)
    print(f"rubric gansu-2022-etc loaded and compiled in {load_ms:.1f} ms")
    print(f"{args.n} varied inputs, median of {args.runs} runs, one core (CPU time), Python {sys.version.split()[0]}")
    print(f"evaluate            {ev:>10,.0f} evaluations/s  ({1e6 / ev:6.1f} µs each)")
    print(f"evaluate+to_dict    {full:>10,.0f} evaluations/s  ({1e6 / full:6.1f} µs each)")
    print(f"what_if             {wi:>10,.0f} calls/s        ({1e6 / wi:6.1f} µs each)")
    if args.min and ev < args.min:
        print(f"FAIL: evaluate {ev:,.0f}/s is below {args.min:,.0f}/s")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
