"""ISTV ingest and scoring of 1 million synthetic assault rows, against pandas.read_csv.

Writes twelve monthly extracts of ~83,000 rows in the Eastford layout (semicolon CSV with every
optional field, mapped by the demo profile reh01.toml), then times, in one process:

- vrukit: ``Warehouse.ingest_istv`` (read, identifier guard, mapping, validity, duplicates,
  storage with accounting) plus ``scorecard`` (every check, every site-month);
- peer: ``pandas.read_csv`` of the same files, nothing else - the floor for reading them.

Run: .venv/bin/python benchmarks/istv.py [rows]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from vrukit.analysis.istv_quality import scorecard
from vrukit.demo import DEMO_PROFILES
from vrukit.demo.istv import EH_DISPOSAL, EH_METHOD, EH_MODE, EH_PLACE, EH_SEX, METHOD_P
from vrukit.ingest.istv_profile import load_profiles
from vrukit.jobs.istv import scorecard_inputs
from vrukit.store.warehouse import Warehouse


def write_extracts(folder: Path, rows: int, seed: int = 1) -> list[Path]:
    rng = np.random.default_rng(seed)
    per = rows // 12
    paths = []
    for m in range(12):
        start = pd.Timestamp(2023, m + 1, 1)
        minutes = rng.integers(0, start.days_in_month * 1440 - 300, per)
        assault = start + pd.to_timedelta(minutes, "min")
        arrival = assault + pd.to_timedelta(rng.integers(5, 240, per), "min")
        pick = lambda table: rng.choice(list(table.values()), per)  # noqa: E731
        frame = pd.DataFrame(
            {
                "arrival_datetime": arrival.strftime("%Y-%m-%d %H:%M"),
                "incident_datetime": assault.strftime("%Y-%m-%d %H:%M"),
                "method": rng.choice(
                    [EH_METHOD[k] for k in METHOD_P], per, p=list(METHOD_P.values())
                ),
                "method_other": "",
                "location_type": pick(EH_PLACE),
                "location": rng.choice(["home", "Park Road", "outside The Crown", ""], per),
                "age_band": rng.choice(["10-17", "18-24", "25-34", "35-49"], per),
                "sex": pick(EH_SEX),
                "home_lsoa": [f"E01{900001 + k:06d}" for k in rng.integers(0, 1750, per)],
                "arrived_by": pick(EH_MODE),
                "outcome": pick(EH_DISPOSAL),
            }
        )
        path = folder / f"reh01-2023-{m + 1:02d}.csv"
        frame.to_csv(path, sep=";", index=False)
        paths.append(path)
    return paths


def main(rows: int = 1_000_000) -> None:
    profiles = load_profiles(DEMO_PROFILES)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = write_extracts(folder, rows)
        t0 = time.perf_counter()
        frames = [pd.read_csv(p, sep=";", dtype=str, keep_default_na=False) for p in paths]
        peer = time.perf_counter() - t0
        n = sum(len(f) for f in frames)
        del frames
        with Warehouse(folder / "w.duckdb", memory_limit="2GB") as wh:
            t0 = time.perf_counter()
            report = wh.ingest_istv(paths, profiles)
            t_ingest = time.perf_counter() - t0
            t0 = time.perf_counter()
            sc = scorecard(*scorecard_inputs(wh))
            t_score = time.perf_counter() - t0
        assert report.balanced and report.rows_read == n
        ours = t_ingest + t_score
        print(f"rows: {n:,} in {len(paths)} extracts")
        print(f"vrukit ingest {t_ingest:.1f} s + scorecard {t_score:.1f} s = {ours:.1f} s "
              f"({len(sc.measures):,} measures)")  # fmt: skip
        print(f"peer pandas.read_csv alone: {peer:.1f} s")
        print(f"ratio vrukit / read_csv: {ours / peer:.1f}x; target under 60 s: "
              f"{'met' if ours < 60 else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
