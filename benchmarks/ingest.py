"""Ingest benchmark: vrukit vs pandas.read_csv + concat vs a bare DuckDB read_csv, same run.

(a) every police.uk file in ../shared/data/policeuk; (b) a ten-times larger set made by replaying
those files under ten other force names. Each contender runs in a fresh process so that its peak
memory (ru_maxrss) is its own. Prints rows/s, peak memory and the ratios.

    .venv/bin/python benchmarks/ingest.py [--scale 10]
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "policeuk"
FORCES = [
    "cheshire",
    "lancashire",
    "cumbria",
    "durham",
    "cleveland",
    "northumbria",
    "kent",
    "essex",
    "surrey",
    "sussex",
    "dorset",
    "gwent",
]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_vrukit(files: list[str], work: str) -> dict:
    from vrukit.store.warehouse import Warehouse

    t = time.perf_counter()
    with Warehouse(Path(work) / "bench.duckdb") as wh:
        report = wh.ingest_police(files)
    return {
        "seconds": time.perf_counter() - t,
        "rows": report.rows_accepted + report.rows_quarantined,
    }


def run_pandas(files: list[str], work: str) -> dict:
    import pandas as pd

    t = time.perf_counter()
    frame = pd.concat([pd.read_csv(f, dtype={"Crime ID": str}) for f in files], ignore_index=True)
    return {"seconds": time.perf_counter() - t, "rows": len(frame)}


def run_duckdb(files: list[str], work: str) -> dict:
    import duckdb

    t = time.perf_counter()
    con = duckdb.connect(str(Path(work) / "bare.duckdb"))
    con.execute("SET memory_limit = '1GB'")
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv($files, header = true)", {"files": files})
    rows = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
    con.close()
    return {"seconds": time.perf_counter() - t, "rows": rows}


RUNNERS = {"vrukit": run_vrukit, "pandas": run_pandas, "duckdb": run_duckdb}
assert all(f"run_{k}" == v.__name__ for k, v in RUNNERS.items())


def replay(scale: int, out: Path) -> list[str]:
    """Copy every shared month under ``scale`` other force names (names in rows changed too)."""
    files = []
    from vrukit.ingest.forces import force_name

    for force in FORCES[:scale]:
        name = force_name(force)
        assert name is not None
        for src in sorted(SHARED.rglob("*-street.csv.gz")):
            month = src.name[:7]
            text = gzip.decompress(src.read_bytes()).replace(b"Merseyside Police", name.encode())
            dest = out / force / f"{month}-{force}-street.csv.gz"
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(gzip.compress(text, compresslevel=1))
            files.append(str(dest))
    return files


def measure(who: str, files: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as work:
        lst = Path(work) / "files.json"
        lst.write_text(json.dumps(files))
        out = subprocess.run(
            [sys.executable, __file__, "--one", who, str(lst), work],
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(label: str, files: list[str]) -> None:
    res = {who: measure(who, files) for who in RUNNERS}
    print(f"\n{label}: {len(files)} files, {res['duckdb']['rows']:,} rows")
    for who, r in res.items():
        print(
            f"  {who:7s} {r['seconds']:7.2f} s  {r['rows'] / r['seconds']:>11,.0f} rows/s  "
            f"peak {r['peak_mb']:6.0f} MB"
        )
    v = res["vrukit"]["seconds"]
    print(
        f"  vrukit is {res['pandas']['seconds'] / v:.2f}x the speed of pandas read_csv + concat "
        f"(target >= 2x)"
    )
    print(
        f"  vrukit takes {v / res['duckdb']['seconds']:.2f}x the time of a bare DuckDB read_csv "
        f"(target <= 2x); peak {res['vrukit']['peak_mb']:.0f} MB (target < 1024 MB)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--one", nargs=3, metavar=("WHO", "FILES", "WORK"))
    args = ap.parse_args()
    if args.one:
        who, lst, work = args.one
        r = RUNNERS[who](json.loads(Path(lst).read_text()), work)
        print(json.dumps({**r, "peak_mb": _peak_mb()}))
        return
    if not SHARED.exists():
        sys.exit(f"no police.uk data at {SHARED}: see ../shared/data/SOURCES.md")
    shared = [str(p) for p in sorted(SHARED.rglob("*-street.csv.gz"))]
    report("(a) shared police.uk files", shared)
    with tempfile.TemporaryDirectory() as tmp:
        big = replay(args.scale, Path(tmp))
        report(f"(b) replayed x{args.scale}", big)


if __name__ == "__main__":
    main()
