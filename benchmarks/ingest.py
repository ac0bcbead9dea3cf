"""Ingest benchmark: vrukit against DuckDB's CREATE TABLE AS into a file, polars and pandas.

The file set is pinned (``PINNED``: eleven Merseyside months of 2022, each by name and SHA-256),
so files added to ../shared/data/policeuk later (such as the 24 LSOA 2021 months beside them)
cannot change the figure: (a) the eleven files as published, 173,287 rows; (b) the same replayed
under ``--scale`` other force names (``REPLAY_FORCES``; ten: 1,732,870 rows). Each contender
runs in a fresh process, so its peak memory (ru_maxrss) is its own; imports are outside every
timer (their seconds are printed beside it). The contenders run ``--rounds`` times in turn, the
order rotating each round, and the medians are compared: the machines are shared and timings move
by a third from run to run.

    .venv/bin/python benchmarks/ingest.py [--scale 10] [--rounds 3] [--current-duckdb]

``--current-duckdb`` also runs the DuckDB peer on the newest DuckDB release, installed with uv
into a side environment (``--current-env``): vrukit runs on the DuckDB its lock file pins
(2.0.1 since issue 28), and a newer release may move the peer before the lock follows.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "policeuk"
#: The files every figure is measured on: police.uk's Merseyside street files for 2022-01 to
#: 2022-11 (LSOA 2011 codes), as ../shared/data/SOURCES.md lists them, with their SHA-256.
PINNED_FOLDER = "merseyside"
PINNED = {
    "2022-01": "0459a7ea7b5227dde0acc5b74c206d4c26da2d6520b2d579f7edeb7014aa213c",
    "2022-02": "19d440487537fae4b40242defff2a67780829fc0cfe20520a1d973b41639ef34",
    "2022-03": "b7c0698090ca9b7a92cc8eb30d70093a0ecb65c147259164528d979cb86773c0",
    "2022-04": "371bacf19b120555cd300e2197a347508a333ae01460b38237110dceeb2437ff",
    "2022-05": "e1e4dd03ab8b1858a3e608b03d6d060d10429372ee37651e67396d6c95d1526f",
    "2022-06": "d075e831000d9571c4790b77a84d59a7572413865292dfd7c45d5d5c714b76b0",
    "2022-07": "a571802386b90315ff1333079519f0e3060c51be31dd88c1f192679f1006597d",
    "2022-08": "81e27cd717c942ea19845d6959ab0f9f32e8c7b447607d9c48a99fbc269b06bd",
    "2022-09": "168a903f6c73f6a636027525117f102983a33998b3c2a798e2cad9c82325aa87",
    "2022-10": "9c7904dbadaee71ef2d9d40f93ea53d1ddb2660c1094456c324081361f5f30ad",
    "2022-11": "92cdd2ec2bdefaf35a81ed2efae3163c9a3d49a79bb1f73cd50f8c06ecbb388c",
}
PINNED_ROWS = 173_287
#: The force names the pinned files are replayed under, in order (``--scale`` takes the first n).
REPLAY_FORCES = [
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
TARGET_DUCKDB = 1.5
TARGET_PEAK_MB = 1024
CURRENT_ENV = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "vrukit-bench"


# -- the contenders, each run in its own process -----------------------------------------------
# Each imports what it needs and returns its version and `go`, the part that is timed.


def run_vrukit(files: list[str], work: str) -> dict:
    import ibis.backends.duckdb  # noqa: F401  (Ibis loads its DuckDB backend lazily: an import)

    import vrukit
    from vrukit.store.warehouse import Warehouse

    def go() -> dict:
        with Warehouse(Path(work) / "bench.duckdb") as wh:
            r = wh.ingest_police(files)
        f = r.files
        balanced = bool((f.rows_read == f.rows_accepted + f.rows_quarantined).all())
        return {
            "rows": int(f.rows_read.sum()),
            "accepted": int(f.rows_accepted.sum()),
            "quarantined": int(f.rows_quarantined.sum()),
            "balanced": balanced,
        }

    return {"version": vrukit.__version__, "go": go}


def _duckdb(files: list[str], work: str, select: str) -> dict:
    import duckdb

    def go() -> dict:
        con = duckdb.connect(str(Path(work) / "peer.duckdb"))
        con.execute(f"CREATE TABLE t AS SELECT * FROM {select}", {"files": files})
        rows = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
        con.close()
        return {"rows": rows}

    return {"version": duckdb.__version__, "go": go}


def run_duckdb(files: list[str], work: str) -> dict:
    """The issue's peer: CREATE TABLE AS read_csv(files) into a file, DuckDB's defaults."""
    return _duckdb(files, work, "read_csv($files)")


def run_duckdb_columns(files: list[str], work: str) -> dict:
    """The same, told the twelve columns as text (no type sniffing: what vrukit asks for)."""
    from vrukit.schemas import STREET_COLUMNS  # this contender runs in the project's env

    cols = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in STREET_COLUMNS) + "}"
    return _duckdb(files, work, f"read_csv($files, header=true, auto_detect=false, columns={cols})")


def run_polars(files: list[str], work: str) -> dict:
    import polars as pl

    def go() -> dict:
        out = Path(work) / "peer.parquet"
        pl.scan_csv(files).sink_parquet(out)
        return {"rows": pl.scan_parquet(out).select(pl.len()).collect().item()}

    return {"version": pl.__version__, "go": go}


def _pandas(files: list[str], work: str, *, parquet: bool) -> dict:
    import pandas as pd
    import pyarrow  # noqa: F401  (to_parquet's engine)

    def go() -> dict:
        frame = pd.concat(
            [pd.read_csv(f, dtype={"Crime ID": str}) for f in files], ignore_index=True
        )
        if parquet:
            frame.to_parquet(Path(work) / "peer.parquet")
        return {"rows": len(frame)}

    return {"version": pd.__version__, "go": go}


def run_pandas(files: list[str], work: str) -> dict:
    """pandas read_csv + concat, in memory."""
    return _pandas(files, work, parquet=False)


def run_pandas_parquet(files: list[str], work: str) -> dict:
    """pandas read_csv + concat + to_parquet."""
    return _pandas(files, work, parquet=True)


RUNNERS: dict[str, Callable[[list[str], str], dict]] = {
    "vrukit": run_vrukit,
    "duckdb": run_duckdb,
    "duckdb-columns": run_duckdb_columns,
    "polars": run_polars,
    "pandas": run_pandas,
    "pandas-parquet": run_pandas_parquet,
}
LABELS = {
    "vrukit": "vrukit ingest_police into a file",
    "duckdb": "DuckDB CTAS read_csv into a file",
    "duckdb-columns": "DuckDB CTAS, columns given",
    "duckdb-current": "DuckDB CTAS, current release",
    "polars": "polars scan_csv -> sink_parquet",
    "pandas": "pandas read_csv + concat",
    "pandas-parquet": "pandas + to_parquet",
}


def one(who: str, files: list[str], work: str) -> dict:
    """Run one contender in this (fresh) process; its imports first, then the timed part."""
    runner = RUNNERS["duckdb" if who == "duckdb-current" else who]
    t = time.perf_counter()
    prepared = runner(files, work)
    imports = time.perf_counter() - t
    before = resource.getrusage(resource.RUSAGE_SELF)
    t = time.perf_counter()
    out = prepared["go"]()
    seconds = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        **out,
        "version": prepared["version"],
        "imports": imports,
        "seconds": seconds,
        "cpu": cpu,
        "peak_mb": after.ru_maxrss / 1024,
    }


# -- the file set ------------------------------------------------------------------------------


def pinned_files() -> list[Path]:
    """The pinned files, each checked against its SHA-256; exits when one is missing or differs."""
    files = []
    for month, sha in PINNED.items():
        path = SHARED / PINNED_FOLDER / f"{month}-{PINNED_FOLDER}-street.csv.gz"
        if not path.exists():
            sys.exit(f"{path} is missing: the benchmark's files are pinned (see PINNED)")
        if hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            sys.exit(f"{path} is not the file the benchmark pins (SHA-256 differs; see PINNED)")
        files.append(path)
    return files


def replay(sources: list[Path], forces: list[str], out: Path) -> list[str]:
    """Copy each pinned month under each force name (the name in the rows changed too)."""
    from vrukit.ingest.forces import force_name

    files = []
    for force in forces:
        name = force_name(force)
        assert name is not None
        for src in sources:
            month = src.name[:7]
            text = gzip.decompress(src.read_bytes()).replace(b"Merseyside Police", name.encode())
            dest = out / force / f"{month}-{force}-street.csv.gz"
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(gzip.compress(text, compresslevel=1, mtime=0))
            files.append(str(dest))
    return files


# -- measuring and reporting -------------------------------------------------------------------


def current_python(env: Path) -> str:
    """A Python with the current DuckDB release, in ``env`` (made and upgraded with uv)."""
    python = env / "bin" / "python"
    uv = shutil.which("uv") or str(Path(__file__).resolve().parents[1] / ".tools/bin/uv")
    no_downloads = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}  # packages only, no Pythons
    if not python.exists():
        subprocess.run(
            [uv, "venv", "-q", "-p", sys.executable, str(env)], check=True, env=no_downloads
        )
    install = [uv, "pip", "install", "-q", "--upgrade", "-p", str(python), "duckdb"]
    subprocess.run(install, check=True, env=no_downloads)
    return str(python)


def measure(who: str, files: list[str], python: str) -> dict:
    with tempfile.TemporaryDirectory() as work:
        lst = Path(work) / "files.json"
        lst.write_text(json.dumps(files))
        out = subprocess.run(
            [python, __file__, "--one", who, str(lst), work],
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def rounds(files: list[str], pythons: dict[str, str], n: int) -> dict[str, list[dict]]:
    """Every contender ``n`` times, in turn, the order rotating by one each round."""
    names = list(pythons)
    runs: dict[str, list[dict]] = {who: [] for who in names}
    for r in range(n):
        for who in names[r % len(names) :] + names[: r % len(names)]:
            runs[who].append(measure(who, files, pythons[who]))
    return runs


def summary(runs: list[dict]) -> dict:
    secs = [r["seconds"] for r in runs]
    last = runs[-1]
    return {
        **last,
        "seconds": statistics.median(secs),
        "lo": min(secs),
        "hi": max(secs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "imports": statistics.median(r["imports"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
    }


def report(label: str, files: list[str], pythons: dict[str, str], n: int) -> dict[str, dict]:
    res = {who: summary(rs) for who, rs in rounds(files, pythons, n).items()}
    v = res["vrukit"]
    print(f"\n{label}: {len(files)} files, {v['rows']:,} rows; median of {n} rounds")
    print(
        f"  {'contender':34s} {'version':>10s} {'seconds':>7s} {'(min-max)':>13s} {'cpu s':>6s} "
        f"{'imports':>7s} {'rows/s':>10s} {'peak MB':>7s} {'vrukit/peer':>11s}"
    )
    for who, r in res.items():
        print(
            f"  {LABELS[who]:34s} {r['version']:>10s} {r['seconds']:7.2f} "
            f"{'(' + format(r['lo'], '.2f') + '-' + format(r['hi'], '.2f') + ')':>13s} "
            f"{r['cpu']:6.2f} {r['imports']:7.2f} {r['rows'] / r['seconds']:10,.0f} "
            f"{r['peak_mb']:7.0f} {v['seconds'] / r['seconds']:11.2f}"
        )
        if r["rows"] != v["rows"]:
            print(f"    ! {who} read {r['rows']:,} rows, vrukit {v['rows']:,}")
    print(
        f"  vrukit's accounting: read {v['rows']:,} = accepted {v['accepted']:,} + quarantined "
        f"{v['quarantined']:,} for every file: {'yes' if v['balanced'] else 'NO'}"
    )
    return res


def verdict(res: dict[str, dict]) -> None:
    v = res["vrukit"]
    for who in ("duckdb", "duckdb-current"):
        if who in res:
            ratio = v["seconds"] / res[who]["seconds"]
            met = "met" if ratio <= TARGET_DUCKDB else "NOT met"
            print(
                f"  vrukit / DuckDB {res[who]['version']} CTAS into a file: {ratio:.2f} "
                f"(target <= {TARGET_DUCKDB}): {met}"
            )
    met = "met" if v["peak_mb"] < TARGET_PEAK_MB else "NOT met"
    print(f"  vrukit peak {v['peak_mb']:.0f} MB (target < {TARGET_PEAK_MB} MB): {met}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=10, help="force names to replay the files under")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each contender (median)")
    ap.add_argument("--current-duckdb", action="store_true", help="add the current DuckDB")
    ap.add_argument("--current-env", type=Path, default=CURRENT_ENV / "duckdb-current")
    ap.add_argument("--one", nargs=3, metavar=("WHO", "FILES", "WORK"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        who, lst, work = args.one
        print(json.dumps(one(who, json.loads(Path(lst).read_text()), work)))
        return
    if not SHARED.exists():
        sys.exit(f"no police.uk data at {SHARED}: see ../shared/data/SOURCES.md")
    sources = pinned_files()
    forces = REPLAY_FORCES[: args.scale]
    pythons = {who: sys.executable for who in RUNNERS}
    if args.current_duckdb:
        pythons["duckdb-current"] = current_python(args.current_env)
    print(f"Pinned files: {PINNED_FOLDER} {', '.join(PINNED)} (SHA-256 checked), ", end="")
    print(f"{PINNED_ROWS:,} rows; replayed as: {', '.join(forces)}")
    print(f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}")
    report("(a) the pinned police.uk files", [str(p) for p in sources], pythons, args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        big = replay(sources, forces, Path(tmp))
        res = report(f"(b) replayed x{args.scale}", big, pythons, args.rounds)
    verdict(res)


if __name__ == "__main__":
    main()
