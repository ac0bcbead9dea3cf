"""``vrukit sna --each``: sites per minute and peak memory on the national synthetic lake, against
the peer a user would otherwise run - one ``vrukit sna`` process per area, each reading the lake.

Makes the national region once (``vrukit lake national``: 43 forces, ~35,000 small areas, a
police.uk lake and a warehouse of reference data) unless ``--national`` names one, then times:

- ``--each csp`` over the first ``--csps`` local authorities (``vrukit sna --each csp`` builds
  one run; groups are found once and every site reads the same lake connection);
- the same sites as separate ``vrukit sna`` processes (one per CSP, as a script would), the peer;
- ``--each force`` over the first ``--forces`` forces.

Each run is a fresh process; its peak resident memory (with children) is sampled. Prints sites
per minute, peak GB and the ratio of the separate processes' time to ``--each``'s.

    .venv/bin/python benchmarks/sna_each.py [--national DIR] [--csps 8] [--forces 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import psutil

GB = 1024**3
VRUKIT = str(Path(sys.executable).with_name("vrukit"))


def _timed(args: list[str]) -> tuple[float, float]:
    """Seconds and peak resident GB (the process and its children) of one command."""
    began = time.perf_counter()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    proc, peak = psutil.Process(p.pid), 0
    while p.poll() is None:
        try:
            rss = proc.memory_info().rss + sum(
                c.memory_info().rss for c in proc.children(recursive=True)
            )
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    if p.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{p.stderr.read() if p.stderr else ''}")
    return time.perf_counter() - began, peak / GB


def _groups(national: Path, by: str, n: int) -> list[tuple[str, tuple[str, ...]]]:
    from vrukit.jobs.sna_each import area_groups
    from vrukit.store.engine import Engine
    from vrukit.store.warehouse import Warehouse

    with Engine.connect("duckdb") as e, Warehouse(national / "vrukit.duckdb", read_only=True) as wh:
        return [(g.slug, g.areas) for g in area_groups(wh, by, e.crimes(national / "lake"))[:n]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--national", type=Path, help="an existing `vrukit lake national` folder")
    ap.add_argument("--work", type=Path, default=Path("bench-sna-each"))
    ap.add_argument("--csps", type=int, default=8)
    ap.add_argument("--forces", type=int, default=2)
    a = ap.parse_args()
    national = a.national or a.work / "national"
    if not (national / "lake").exists():
        print(f"making the national region in {national} ...", flush=True)
        _timed([VRUKIT, "lake", "national", "--out", str(national), "--months", "12"])
    db, lake = str(national / "vrukit.duckdb"), str(national / "lake")
    results = {}

    csps = _groups(national, "csp", a.csps)
    out = a.work / "each-csp"
    # what `vrukit sna --each csp` runs, on the first CSPs only
    each_args = [sys.executable, "-c", _ONLY, "csp", ",".join(s for s, _ in csps), str(out),
                 db, lake]  # fmt: skip
    results["each csp"] = _timed(each_args)
    seconds = 0.0
    peak = 0.0
    for slug, _areas in csps:
        # the peer: a separate `vrukit sna` per CSP over the areas of that CSP alone
        s, p = _timed([sys.executable, "-c", _ONE, slug, str(a.work / "one" / slug), db, lake])
        seconds, peak = seconds + s, max(peak, p)
    results["separate csp"] = (seconds, peak)
    forces = _groups(national, "force", a.forces)
    results["each force"] = _timed([sys.executable, "-c", _ONLY, "force",
                                    ",".join(s for s, _ in forces), str(a.work / "each-force"),
                                    db, lake])  # fmt: skip
    n = {"each csp": len(csps), "separate csp": len(csps), "each force": len(forces)}
    print(f"{'run':<14} {'sites':>5} {'seconds':>8} {'sites/min':>9} {'peak GB':>8}")
    for k, (s, p) in results.items():
        print(f"{k:<14} {n[k]:>5} {s:>8.1f} {60 * n[k] / s:>9.1f} {p:>8.2f}")
    ratio = results["separate csp"][0] / results["each csp"][0]
    print(f"separate processes / --each: {ratio:.2f}x")
    (a.work / "sna_each.json").write_text(json.dumps({
        "runs": {k: {"sites": n[k], "seconds": round(s, 1), "peak_gb": round(p, 2)}
                 for k, (s, p) in results.items()},
        "ratio_separate_over_each": round(ratio, 2),
    }, indent=1))  # fmt: skip


#: ``run_sna_each`` on the named groups only, as ``vrukit sna --each`` runs it.
_ONLY = """
import sys
from pathlib import Path
from vrukit.jobs.sna_each import run_sna_each
from vrukit.publish.site import SiteOptions
from vrukit.store.engine import Engine
from vrukit.store.warehouse import Warehouse
by, only, out, db, lake = sys.argv[1:6]
with Engine.connect("duckdb") as e, Warehouse(db, read_only=True) as wh:
    run_sna_each(wh, Path(out), by, options=SiteOptions(languages=("en",)),
                 crimes=e.crimes(Path(lake)), only=only.split(","))
"""

#: One CSP's site in its own process (the peer): the groups found, then ``run_sna`` on one.
_ONE = """
import sys
from pathlib import Path
from vrukit.jobs.analyse import Selection
from vrukit.jobs.sna import run_sna
from vrukit.jobs.sna_each import area_groups
from vrukit.publish.site import SiteOptions
from vrukit.store.engine import Engine
from vrukit.store.warehouse import Warehouse
slug, out, db, lake = sys.argv[1:5]
with Engine.connect("duckdb") as e, Warehouse(db, read_only=True) as wh:
    crimes = e.crimes(Path(lake))
    g = next(g for g in area_groups(wh, "csp", crimes) if g.slug == slug)
    run_sna(wh, Path(out), options=SiteOptions(languages=("en",), region=g.name),
            selection=Selection(areas=g.areas), crimes=crimes)
"""


if __name__ == "__main__":
    main()
