"""Start-up benchmark: a fresh-process `vrukit analyse` on the Merseyside 2022 warehouse.

Builds the warehouse once (police.uk 2022 on LSOA 2011, Liverpool City Region boundaries,
mid-2019 population, IoD2019 Files 1, 2 and 6, all from ../shared/data), then times, each in a
fresh process and three times over:

- `vrukit analyse --db W` as a user runs it, with the bytecode `make install` compiled;
- the same with that bytecode out of reach (an empty ``PYTHONPYCACHEPREFIX`` and no writing), as
  in an environment installed without ``--compile-bytecode``: the peer this run is compared with;
- the imports alone: everything the analyse command loads, summed from ``-X importtime``.

Prints seconds (median of three) and the ratios.

    .venv/bin/python benchmarks/startup.py
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
VRUKIT = Path(sys.executable).with_name("vrukit")


def build(db: Path) -> None:
    """The Merseyside 2022 warehouse, loaded through vrukit's own loaders."""
    from vrukit.ingest.reference import read_boundaries, read_iod, read_population
    from vrukit.store.warehouse import Warehouse

    b = SHARED / "geography" / "lsoa11_boundaries_bgc_liverpool-city-region_E47000004.geojson"
    pop = SHARED / "population" / "uk_lsoa_dz_soa_population_mid2019_mysociety.csv"
    iod = [
        SHARED / "imd2019" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx",
        SHARED / "imd2019" / "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz",
        SHARED / "imd2019" / "File_6_-_IoD2019_Population_Denominators.csv.gz",
    ]
    with Warehouse(db) as wh:
        wh.ingest_police([SHARED / "policeuk" / "merseyside"])
        wh.load_reference("boundaries", read_boundaries(b), table="areas", source=b)
        wh.load_reference("population", read_population(pop), table="population", source=pop)
        wh.load_reference("iod2019", read_iod(iod), table="deprivation", source=iod[-1])


def timed(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    run = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, run.stderr


def import_seconds(stderr: str) -> float:
    """Total import time from ``-X importtime``: the cumulative times of top-level imports."""
    total = 0
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if m and not m.group(2).startswith(" "):
            total += int(m.group(1))
    return total / 1e6


def main() -> None:
    if not (SHARED / "policeuk" / "merseyside").exists():
        sys.exit(f"skipped: {SHARED} is absent (see ../shared/data/SOURCES.md)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = work / "merseyside.duckdb"
        build(db)
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        cold = {**env, "PYTHONPYCACHEPREFIX": str(work / "no-bytecode")}
        analyse = [str(VRUKIT), "analyse", "--db", str(db), "--out", str(work / "out")]
        runs: dict[str, list[float]] = {"compiled": [], "not compiled": [], "imports": []}
        for _ in range(3):
            runs["compiled"].append(timed(analyse, env)[0])
            runs["not compiled"].append(timed(analyse, cold)[0])
            traced = [sys.executable, "-X", "importtime", "-m", "vrukit.cli", *analyse[1:]]
            runs["imports"].append(import_seconds(timed(traced, env)[1]))
    med = {k: statistics.median(v) for k, v in runs.items()}
    print("fresh-process `vrukit analyse`, Merseyside 2022 (median of 3):")
    print(f"  with compiled bytecode     {med['compiled']:6.2f} s")
    print(f"    of which imports         {med['imports']:6.2f} s")
    print(f"    the analysis itself      {med['compiled'] - med['imports']:6.2f} s")
    print(f"  without (peer)             {med['not compiled']:6.2f} s")
    print(f"  ratio compiled / peer      {med['compiled'] / med['not compiled']:6.2f}")


if __name__ == "__main__":
    main()
