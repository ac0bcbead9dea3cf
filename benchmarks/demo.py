"""The demo's two slowest writers against the way they used to run, in one process.

- Writing the 36 police.uk months: ``_records.write_month`` (Arrow's CSV writer, same bytes)
  against pandas ``to_csv(lineterminator="\\r\\n")`` of the same frames; the bytes are compared.
- Loading the 2,424 referrals through the workflow: flushed in batches of ``FLUSH_EVERY``
  (``load_referrals``'s default) against a flush after every referral; the stored rows are
  compared table by table (all but the random pseudonyms and sealed identities).

Builds a demo region in a temporary folder first (about 25 s, not timed).

Run: .venv/bin/python benchmarks/demo.py
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import pandas as pd

from vrukit.demo import build_demo
from vrukit.demo._records import write_month
from vrukit.ingest.pathways import PATHWAYS_FILE
from vrukit.ingest.reference import read_iod
from vrukit.jobs.demo import demo_key, load_directory, load_programme
from vrukit.programme.db import session, sqlite_url
from vrukit.referrals.crypto import Keyring
from vrukit.referrals.load import FLUSH_EVERY, load_deprivation, load_referrals
from vrukit.referrals.workflow import load_pathways

RANDOM_COLUMNS = {"pseudonym", "identity", "row_key"}


def months(files, out: Path) -> None:
    paths = sorted(files.policeuk.rglob("*-street.csv"))
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in paths]
    t = time.perf_counter()
    for p, f in zip(paths, frames, strict=True):
        write_month(f, out / "arrow", p.parent.name, "kingsmere")
    arrow = time.perf_counter() - t
    t = time.perf_counter()
    for p, f in zip(paths, frames, strict=True):
        dest = out / "pandas" / p.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        f.to_csv(dest, index=False, lineterminator="\r\n")
    pandas = time.perf_counter() - t
    same = all(
        (out / "arrow" / p.parent.name / p.name).read_bytes()
        == (out / "pandas" / p.name).read_bytes()
        for p in paths
    )
    rows = sum(len(f) for f in frames)
    print(f"police.uk months: {len(paths)} files, {rows:,} rows, identical bytes: {same}")
    print(f"  write_month (Arrow)  {arrow:6.2f} s")
    print(f"  pandas to_csv        {pandas:6.2f} s   -> {pandas / arrow:.1f}x faster")


def _rows(db: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(db)
    out = {}
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        cols = [c[1] for c in con.execute(f"PRAGMA table_info({table})")]
        keep = ", ".join(c for c in cols if c not in RANDOM_COLUMNS)
        out[table] = con.execute(f"SELECT {keep} FROM {table} ORDER BY rowid").fetchall()
    con.close()
    return out


def referrals(files, out: Path) -> None:
    base = out / "base.sqlite"
    load_programme(sqlite_url(base), files.programme)
    load_directory(sqlite_url(base), files.directory)
    keyring = Keyring.from_file(demo_key(files))
    seconds, stored = {}, {}
    for every in (FLUSH_EVERY, 1):
        db = out / f"flush{every}.sqlite"
        shutil.copy(base, db)
        with session(sqlite_url(db)) as s:
            load_pathways(s, PATHWAYS_FILE)
            load_deprivation(s, read_iod([files.deprivation]))
            t = time.perf_counter()
            n = load_referrals(s, keyring, files.referrals / "referrals.json", flush_every=every)
            s.flush()
            seconds[every] = time.perf_counter() - t
        stored[every] = _rows(db)
    same = stored[FLUSH_EVERY] == stored[1]
    print(f"referrals: {n:,} through the workflow, identical rows and ids: {same}")
    print(f"  flushed every {FLUSH_EVERY:<4d}   {seconds[FLUSH_EVERY]:6.2f} s")
    ratio = seconds[1] / seconds[FLUSH_EVERY]
    print(f"  flushed every 1      {seconds[1]:6.2f} s   -> {ratio:.1f}x faster")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        files = build_demo(Path(tmp) / "demo")
        months(files, Path(tmp) / "months")
        referrals(files, Path(tmp))


if __name__ == "__main__":
    main()
