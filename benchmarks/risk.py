"""Risk benchmark: planted truth over 20 demo seeds, and the time `vrukit risk` takes.

(a) For 20 seeds of the default demo region (1,750 areas, 36 months) it builds the region, loads
it, runs the risk job and counts, per factor, the seeds whose 95% interval holds the planted rate
ratio (planted risk factors, the planted night-time-economy control, the planted nulls), and
whether every planted high-risk unserved area is on the gap list. The issue's bar: 18 of 20 for
every planted risk factor. (b) Times `vrukit risk` on the demo region from the command line
against `vrukit analyse` on the same warehouse (the surveillance job analysts already run), and
prints the ratio. Use ``--seeds N`` for fewer seeds.

    .venv/bin/python benchmarks/risk.py
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from vrukit.demo import build_demo
from vrukit.jobs.demo import load_demo
from vrukit.jobs.risk import RiskOptions, run_risk
from vrukit.store.warehouse import Warehouse

VRUKIT = Path(sys.executable).with_name("vrukit")


def _seed(seed: int, folder: Path) -> tuple[dict[str, bool], float, int]:
    files = build_demo(folder, seed=seed)
    with Warehouse(folder / "w.duckdb") as wh:
        load_demo(wh, files)
        run_risk(wh, folder / "risk", indicators=[files.indicators], pilots=files.pilots,
                 options=RiskOptions(draws=100))  # fmt: skip
    truth = json.loads(files.truth.read_text())["risk_factors"]
    f = pd.read_csv(folder / "risk" / "risk_factors.csv").set_index("factor")
    inside = {
        k: bool(f.irr_lo[k] <= v <= f.irr_hi[k])
        for group in ("planted", "control", "null")
        for k, v in truth[group].items()
    }
    areas = pd.read_csv(files.truth_areas)
    planted = areas.lsoa_code[areas.high_risk_unserved]
    gaps = pd.read_csv(folder / "risk" / "gaps.csv")
    return inside, float(planted.isin(gaps.area_code).mean()), len(gaps)


def coverage(seeds: int) -> None:
    rows, recall = [], []
    for s in range(seeds):
        with tempfile.TemporaryDirectory() as d:
            inside, found, n_gaps = _seed(1000 + s, Path(d))
        rows.append(inside)
        recall.append(found)
        missed = [k for k, v in inside.items() if not v]
        print(f"seed {1000 + s}: gap recall {found:.3f} ({n_gaps} gaps); outside: {missed}")
    table = pd.DataFrame(rows).sum().rename("seeds with truth inside the 95% CI")
    print(table.to_string())
    print(f"planted high-risk unserved areas on the gap list: min recall {min(recall):.3f}")


def timing() -> None:
    with tempfile.TemporaryDirectory() as d:
        demo = Path(d) / "demo"
        subprocess.run([VRUKIT, "demo", "--out", demo], check=True, capture_output=True)
        db = demo / "vrukit.duckdb"
        t = {}
        for job, extra in (
            ("risk", ["--indicators", demo / "area_indicators.csv", "--pilots",
                      demo / "pilots.csv"]),
            ("analyse", []),
        ):  # fmt: skip
            start = time.perf_counter()
            subprocess.run([VRUKIT, job, "--db", db, "--out", Path(d) / job, *extra], check=True,
                           capture_output=True)  # fmt: skip
            t[job] = time.perf_counter() - start
    print(f"vrukit risk (demo, command line): {t['risk']:.1f} s")
    print(f"vrukit analyse (same warehouse):   {t['analyse']:.1f} s")
    print(f"ratio risk / analyse: {t['risk'] / t['analyse']:.2f}")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=20)
    args = p.parse_args()
    timing()
    coverage(args.seeds)
