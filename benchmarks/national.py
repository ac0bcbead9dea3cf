"""National benchmark: the whole pipeline on the national synthetic region, DuckDB against Spark.

Generates the national region once (43 forces, 35,000 small areas, ~500,000 police.uk records a
month) for the longest run, then for each run length starts from an empty warehouse and lake and
times, with the peak memory of this process and its children (Spark's JVM) per step:

- reference: boundaries, population and IoD2019 into the warehouse;
- ingest: the police.uk files of N months into the partitioned lake (always DuckDB);
- aggregate: the area x month x crime type table with harm and rates (``relational.area_month``);
- hotspots: the surveillance job (`vrukit analyse`: rates, Gi*, Local Moran, emerging hotspots
  over every month, hexagons, the density surface) counting crimes in the lake;
- risk: the risk job (`vrukit risk`: profile, model, index with bootstrap, clusters).

DuckDB runs 12, 36 and 120 months; Spark (local[2], this machine's two cores) runs the 12-month
lake again from the aggregate step on. It prints each run's table, the scaling curve (seconds per
month) and the Spark / DuckDB ratio, and writes them as JSON.

    .venv/bin/python benchmarks/national.py                      # 12, 36, 120 + Spark 12
    .venv/bin/python benchmarks/national.py --months 12 --spark-months 0
    .venv/bin/python benchmarks/national.py --spark-master spark://host:7077 --months 12
"""

from __future__ import annotations

import argparse
import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psutil

from vrukit.analysis.harm import load_harm_table
from vrukit.demo.national import NationalFiles, build_national, national_files
from vrukit.jobs.analyse import areas_of_vintage, run_analysis
from vrukit.jobs.demo import load_reference
from vrukit.jobs.risk import run_risk
from vrukit.store.engine import Engine
from vrukit.store.lake import Lake
from vrukit.store.relational import Selection, area_month
from vrukit.store.warehouse import Warehouse

GB = 1024**3


class PeakMemory:
    """Samples the resident memory of this process and its children every 50 ms."""

    def __init__(self) -> None:
        self.me = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        total = self.me.memory_info().rss
        for child in self.me.children(recursive=True):
            with suppress(psutil.Error):
                total += child.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> PeakMemory:
        self.peak = self._rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


class Run:
    """Times and peaks of one run's steps."""

    def __init__(self, name: str, months: int) -> None:
        self.name, self.months = name, months
        self.steps: list[dict[str, object]] = []

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        with PeakMemory() as mem:
            yield
        seconds = time.perf_counter() - start
        self.steps.append({"step": name, "seconds": round(seconds, 2), "peak_gb": mem.peak / GB})
        print(
            f"  {self.name:>18} {name:<12} {seconds:8.1f} s  peak {mem.peak / GB:5.2f} GB",
            flush=True,
        )

    @property
    def total(self) -> float:
        return sum(float(s["seconds"]) for s in self.steps)  # type: ignore[arg-type]

    @property
    def peak(self) -> float:
        return max(float(s["peak_gb"]) for s in self.steps)  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, d: dict) -> Run:
        run = cls(str(d["run"]), int(d["months"]))
        run.steps = list(d["steps"])
        return run

    def as_dict(self) -> dict[str, object]:
        return {
            "run": self.name,
            "months": self.months,
            "total_seconds": round(self.total, 1),
            "peak_gb": round(self.peak, 2),
            "steps": self.steps,
        }


def _analyses(run: Run, engine: Engine, wh: Warehouse, lake: Path, out: Path) -> None:
    """Aggregate, hotspots and risk on ``engine`` over the lake."""
    crimes = engine.crimes(lake)
    with run.step("aggregate"):
        codes = engine.execute(crimes.select("lsoa_code").distinct()).lsoa_code
        areas = areas_of_vintage(wh, codes)
        table = engine.execute(
            area_month(crimes, areas, load_harm_table("css").weights, Selection())
        )
        assert len(table) > 0
    with run.step("hotspots"):
        run_analysis(wh, out / "analysis", crimes=crimes)
    with run.step("risk"):
        run_risk(wh, out / "risk", crimes=crimes)


def duckdb_run(files: NationalFiles, months: int, work: Path) -> Run:
    run = Run(f"duckdb {months} months", months)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    lake = work / "lake"
    with Warehouse(work / "vrukit.duckdb") as wh:
        with run.step("reference"):
            load_reference(wh, files.boundaries, files.population, files.deprivation)
        with run.step("ingest"):
            chosen = [files.policeuk / m for m in files.months[:months]]
            report = Lake(lake).ingest_police(chosen)
            assert report.balanced, "accounting failed"
        with Engine.connect("duckdb") as engine:
            _analyses(run, engine, wh, lake, work)
    return run


def spark_run(months: int, work: Path, master: str) -> Run:
    """Spark over the lake the DuckDB run of the same length left in ``work``."""
    run = Run(f"spark {months} months", months)
    with Warehouse(work / "vrukit.duckdb") as wh:
        with run.step("engine start"):
            engine = Engine.connect("spark", spark_master=master, memory="4GB")
        try:
            _analyses(run, engine, wh, work / "lake", work / "spark")
        finally:
            engine.close()
    return run


def _say(prefix: str) -> Callable[[str], None]:
    start = time.perf_counter()
    return lambda m: print(f"  {prefix} {time.perf_counter() - start:7.1f} s  {m}", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--months", type=int, nargs="+", default=[12, 36, 120])
    p.add_argument("--spark-months", type=int, default=12, help="0: no Spark run")
    p.add_argument("--spark-master", default="local[2]")
    p.add_argument("--areas", type=int, default=35_000)
    p.add_argument("--folder", type=Path, default=Path("/tmp/vrukit-national"))
    p.add_argument("--out", type=Path, default=Path("benchmarks/national.json"))
    p.add_argument("--chart", type=Path, default=Path("docs/screenshots/national_benchmark.png"))
    p.add_argument("--from-json", type=Path, help="only print and chart a saved run")
    a = p.parse_args()
    if a.from_json:
        saved = json.loads(a.from_json.read_text())
        runs = [Run.from_dict(r) for r in saved["runs"]]
        _report(runs, saved["records_per_month"], saved["generate_seconds"], a.out)
        _chart(runs, a.chart)
        return
    longest = max([*a.months, a.spark_months])
    files_dir = a.folder / f"files-{a.areas}-{longest}"
    print(f"national region: {a.areas:,} areas, {longest} months -> {files_dir}", flush=True)
    start = time.perf_counter()
    if (files_dir / "truth.json").exists():
        print("  (already generated: reusing it)")
        files = national_files(files_dir)
    else:
        files = build_national(
            files_dir, months=longest, n_areas=a.areas, progress=_say("generate")
        )
    generated = time.perf_counter() - start
    per_month = files.crimes_written / longest
    print(f"  {files.crimes_written:,} records, {per_month:,.0f} a month, in {generated:.0f} s")
    runs: list[Run] = []
    for months in sorted(a.months):
        runs.append(duckdb_run(files, months, a.folder / f"run-{months}"))
    if a.spark_months:
        work = a.folder / f"run-{a.spark_months}"
        if not (work / "lake").exists():
            duckdb_run(files, a.spark_months, work)
        runs.append(spark_run(a.spark_months, work, a.spark_master))
    _report(runs, per_month, generated, a.out)
    _chart(runs, a.chart)


def _chart(runs: list[Run], path: Path) -> None:
    """Seconds per step for each run, stacked: the scaling curve at a glance."""
    import altair as alt
    import pandas as pd
    import vl_convert as vlc

    rows = [
        {"run": r.name, "step": s["step"], "seconds": s["seconds"], "order": k}
        for r in runs
        for k, s in enumerate(r.steps)
    ]
    bars = alt.Chart(pd.DataFrame(rows), title="National pipeline: seconds per step").mark_bar()
    chart = bars.encode(
        y=alt.Y("run:N", sort=[r.name for r in runs], title=None),
        x=alt.X("sum(seconds):Q", title="seconds (2 cores)"),
        color=alt.Color(
            "step:N",
            sort=list(dict.fromkeys(x["step"] for x in rows)),
            scale=alt.Scale(scheme="tableau10"),
        ),
        order=alt.Order("order:Q"),
        tooltip=["run", "step", "seconds"],
    ).properties(width=560, height=160)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(vlc.vegalite_to_png(chart.to_json(), scale=2))
    print(f"chart {path}")


def _report(runs: list[Run], per_month: float, generated: float, out: Path) -> None:
    names = list(dict.fromkeys(str(s["step"]) for r in runs for s in r.steps))
    print(
        "\nrun                       total     peak   s/month  "
        + "  ".join(f"{n:>12}" for n in names)
    )
    for r in runs:
        steps = {s["step"]: s["seconds"] for s in r.steps}
        cells = "  ".join(f"{steps.get(n, '-'):>12}" for n in names)
        print(f"{r.name:<22} {r.total:8.1f} s {r.peak:6.2f} GB {r.total / r.months:7.1f}  {cells}")
    duck = [r for r in runs if r.name.startswith("duckdb")]
    if len(duck) > 1:
        base = duck[0]
        print("\nscaling (DuckDB): time ratio against the month ratio")
        for r in duck[1:]:
            print(
                f"  {r.months:>4} / {base.months} months: x{r.months / base.months:.1f} "
                f"months, x{r.total / base.total:.2f} time"
            )
    spark = [r for r in runs if r.name.startswith("spark")]
    for s in spark:
        same = next((r for r in duck if r.months == s.months), None)
        if same:
            mine = sum(
                float(x["seconds"])
                for x in same.steps
                if x["step"]  # type: ignore[arg-type]
                in ("aggregate", "hotspots", "risk")
            )
            print(
                f"\nSpark / DuckDB, aggregate + hotspots + risk on {s.months} months: "
                f"{s.total:.1f} s / {mine:.1f} s = x{s.total / mine:.2f} (Spark incl. start)"
            )
    body = {
        "records_per_month": round(per_month),
        "generate_seconds": round(generated, 1),
        "runs": [r.as_dict() for r in runs],
    }
    out.write_text(json.dumps(body, indent=1))
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()
