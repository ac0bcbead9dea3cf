"""What the commands share: opening the warehouse (read-only for readers), the crime source
(warehouse or lake), the demo fallback, progress bars and the ingest report tables."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from vrukit.cli._app import console
from vrukit.errors import ConfigError
from vrukit.settings import Settings, get_settings

if TYPE_CHECKING:  # imported where used: `vrukit --help` need not load pandas, Ibis or DuckDB
    import ibis.expr.types as ir

    from vrukit.store.warehouse import IngestReport, Warehouse

_LAKE_NEEDS_DB = (
    "--lake needs --db: the warehouse holding the lake's areas, population and deprivation "
    "(vrukit ingest boundaries|population|iod)"
)


def _engine_has_a_lake(s: Settings) -> None:
    if s.lake is None and s.engine != "duckdb":
        raise ConfigError(f"--engine {s.engine} reads a lake: give --lake (or VRUKIT_LAKE)")


@contextmanager
def _crime_source(s: Settings) -> Iterator[ir.Table | None]:
    """The crimes an analysis counts: the lake's on the chosen engine, else None (the warehouse)."""
    if s.lake is None:
        _engine_has_a_lake(s)
        yield None
        return
    from vrukit.store.engine import Engine

    memory = s.memory_limit if s.engine == "duckdb" else "2GB"
    with Engine.connect(s.engine, spark_master=s.spark_master, memory=memory) as engine:
        console.print(
            f"[dim]Counting crimes in the lake {s.lake} on {engine.name}"
            + (f" ({engine.master})" if engine.master else "")
            + ".[/dim]"
        )
        yield engine.crimes(s.lake)


def _settings(db: Path | None = None) -> Settings:
    return get_settings(db=db)


def _warehouse(settings: Settings, *, for_ingest: bool) -> Warehouse:
    """The warehouse at --db (or ./vrukit.duckdb); an ingest may create it, a reader may not."""
    from vrukit.store.warehouse import Warehouse

    path = settings.db
    if path is None:
        path = Path("vrukit.duckdb")
        console.print(
            f"[dim]No --db given: using {path.resolve()} (set VRUKIT_DB to choose).[/dim]"
        )
    if not for_ingest:
        return _reading(settings, _existing(path))
    return Warehouse(path, memory_limit=settings.memory_limit, threads=settings.threads)


def _reading(settings: Settings, path: Path) -> Warehouse:
    """The warehouse at ``path`` opened read-only: the analysis commands can run side by side."""
    from vrukit.store.warehouse import Warehouse

    return Warehouse(
        path, memory_limit=settings.memory_limit, threads=settings.threads, read_only=True
    )


def _existing(path: Path) -> Path:
    """``path`` when a warehouse is there; else a ConfigError, rather than a new empty one."""
    if not path.exists():
        raise ConfigError(
            f"no warehouse at {path}: load data into it first (`vrukit ingest police` and the "
            "other `vrukit ingest` commands), or leave out --db to use the demo region"
        )
    return path


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@contextmanager
def steps(label: str, total: int | None = None) -> Iterator[Callable[[str], None]]:
    """A progress bar for a job: yields the ``say`` the job calls as it starts each step."""
    with _progress() as bar:
        task = bar.add_task(label, total=total)

        def say(msg: str) -> None:
            bar.update(task, description=msg, advance=1)

        yield say


def print_report(report: IngestReport, title: str) -> None:
    """Per-file accounting and the run's totals."""
    t = Table(title=title, show_lines=False)
    for col in ("file", "covers", "status", "read", "accepted", "quarantined"):
        t.add_column(col, justify="right" if col in ("read", "accepted", "quarantined") else "left")
    for r in report.files.itertuples():
        t.add_row(
            Path(str(r.source_file)).name,
            r.source_key,
            r.status,
            f"{r.rows_read:,}",
            f"{r.rows_accepted:,}",
            f"{r.rows_quarantined:,}",
        )
    console.print(t)
    for r in report.files.itertuples():
        if r.rows_quarantined or r.status == "rejected":
            console.print(f"[yellow]{r.message}[/yellow]")
    for name, why in report.skipped[:10]:
        console.print(f"[dim]skipped {name}: {why}[/dim]")
    ok = "[green]balanced[/green]" if report.balanced else "[red]NOT balanced[/red]"
    console.print(
        f"rows read {report.rows_read:,} = accepted {report.rows_accepted:,} "
        f"+ quarantined {report.rows_quarantined:,} ({ok})"
    )


def print_lake_report(report: IngestReport, title: str) -> None:
    """Per-file accounting (collapsed to totals by status when there are many files)."""
    if len(report.files) <= 60:
        print_report(report, title)
        return
    f = report.files
    t = Table(title=f"{title}: {len(f):,} files")
    for col in ("status", "files", "read", "accepted", "quarantined"):
        t.add_column(col, justify="left" if col == "status" else "right")
    for st, g in f.groupby("status"):
        t.add_row(
            str(st), f"{len(g):,}", f"{g.rows_read.sum():,}", f"{g.rows_accepted.sum():,}",
            f"{g.rows_quarantined.sum():,}",
        )  # fmt: skip
    console.print(t)
    bad = f[(f.rows_quarantined > 0) | (f.status == "rejected")]
    for r in bad.head(20).itertuples():
        console.print(f"  {r.source_key}: {r.rows_quarantined:,} quarantined; {r.message}")
    console.print(
        f"Read {report.rows_read:,} rows: {report.rows_accepted:,} accepted + "
        f"{report.rows_quarantined:,} quarantined"
        + ("." if report.balanced else " [red](accounting does not balance)[/red]")
    )


#: The demo region a command builds when it finds none (`vrukit demo`'s defaults).
DEMO_MONTHS, DEMO_AREAS = 36, 1750


def build_demo_region(out: Path | None, seed: int | None, months: int, areas: int) -> None:
    """Build the demo region and load it (``vrukit demo``), then say what was written."""
    from vrukit.jobs.demo import demo_steps, run_demo

    s = get_settings(demo_dir=out, demo_seed=seed)
    with steps("demo region", demo_steps(months)) as say:
        result = run_demo(s.demo_dir, seed=s.demo_seed, months=months, n_areas=areas,
                          memory_limit=s.memory_limit, progress=say)  # fmt: skip
    print_report(result.police, "demo police.uk files")
    t = Table(title="warehouse tables")
    t.add_column("table")
    t.add_column("rows", justify="right")
    for name, n in result.counts.items():
        t.add_row(name, f"{n:,}")
    console.print(t)
    console.print(f"Demo region written to [bold]{result.files.folder.resolve()}[/bold]")
    console.print(f"  warehouse     {result.warehouse.resolve()}")
    console.print(f"  police.uk     {result.files.policeuk.resolve()}")
    console.print(f"  ground truth  {result.files.truth.resolve()}")
    console.print(f"Try: vrukit status --db {result.warehouse}")


def _demo_db(s: Settings) -> Path:
    """The warehouse to analyse: --db, or the demo region's (built first if need be)."""
    if s.db is not None:
        _engine_has_a_lake(s)  # the likelier mistake, said first
        return _existing(s.db)
    if s.lake is not None:
        raise ConfigError(_LAKE_NEEDS_DB)
    path = s.demo_dir / "vrukit.duckdb"
    console.print(f"[dim]No --db given: analysing the demo region in {path}.[/dim]")
    if not path.exists():
        build_demo_region(s.demo_dir, None, DEMO_MONTHS, DEMO_AREAS)
    return path


def demo_inputs(
    s: Settings, indicators: list[Path] | None, pilots: Path | None
) -> tuple[list[Path], Path | None]:
    """The indicator and pilot files: as given, or the demo region's when there is no --db."""
    if s.db is not None:
        return indicators or [], pilots
    if not (s.demo_dir / "pilots.csv").exists():
        raise ConfigError(
            f"the demo region in {s.demo_dir} predates its pilot and indicator files: "
            "run `vrukit demo` again"
        )
    return indicators or [s.demo_dir / "area_indicators.csv"], pilots or s.demo_dir / "pilots.csv"


def _store(store: str | None) -> str:
    from vrukit.programme.db import sqlite_url

    s = _settings(None)
    return store or s.store or sqlite_url(s.demo_dir / "programme.sqlite")


def _referral_key(store: str | None) -> Path:
    """The key file: the setting, or the demo's beside the demo store."""
    s = _settings(None)
    if s.referral_key_file:
        return s.referral_key_file
    if store is None:
        return s.demo_dir / "referral.key"
    raise ConfigError("set VRUKIT_REFERRAL_KEY_FILE to the file made by `vrukit referrals keygen`")


def _now(store: str | None) -> datetime:
    """Now, or the demo's "now" on the demo store (no --store and no VRUKIT_STORE)."""
    from vrukit.demo.referrals import REFERRALS_TODAY

    return REFERRALS_TODAY if store is None and not _settings(None).store else datetime.now()


def _demo_clock() -> Callable[[], datetime]:
    """The demo's clock: its referrals' "now" when the server started, moving on from there."""
    from vrukit.demo.referrals import REFERRALS_TODAY

    started = time.monotonic()
    return lambda: REFERRALS_TODAY + timedelta(seconds=time.monotonic() - started)
