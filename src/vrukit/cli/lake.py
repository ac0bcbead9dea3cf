"""``vrukit lake ...``: the partitioned Parquet lake, the Spark engine and the national region."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from vrukit.cli._app import (
    console,
    lake_app,
)
from vrukit.cli._common import (
    _LAKE_NEEDS_DB,
    _crime_source,
    _progress,
    _warehouse,
    print_lake_report,
)
from vrukit.cli._options import (
    CrimeTypes,
    DbOption,
    EngineOption,
    FirstMonth,
    HarmTable,
    LakePath,
    LastMonth,
    SparkMasterOption,
)
from vrukit.errors import ConfigError
from vrukit.settings import get_settings

if TYPE_CHECKING:
    pass


@lake_app.command("ingest")
def lake_ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Folders, street CSV files (.csv/.csv.gz) or zip archives.")
    ],
    lake: LakePath = Path("vrukit-lake"),
) -> None:
    """Store police.uk street files in the lake, one partition per force and month.

    Same checks and quarantine as `vrukit ingest police`; a file already loaded byte for byte is
    skipped, a changed one replaces only its own partition; manifest.json records what is loaded.
    """
    from vrukit.store.lake import Lake

    with _progress() as bar:
        task = bar.add_task("checking police.uk files", total=None)
        report = Lake(lake, memory_limit=get_settings().memory_limit).ingest_police(
            paths,
            total=lambda n: bar.update(task, total=n, description="storing police.uk files"),
            progress=lambda d, n: bar.update(task, description=d, advance=n),
        )
    print_lake_report(report, "police.uk street files into the lake")
    console.print(f"Lake: [bold]{lake.resolve()}[/bold]")


@lake_app.command("status")
def lake_status(lake: LakePath = Path("vrukit-lake")) -> None:
    """What the lake holds: partitions per force, months, rows accepted and quarantined."""
    from vrukit.store.lake import Lake

    parts = Lake(lake).partitions()
    if parts.empty:
        console.print(f"The lake {lake} is empty: load files with `vrukit lake ingest`.")
        return
    console.print(f"Lake [bold]{lake.resolve()}[/bold]")
    t = Table(title=f"{len(parts):,} partitions (force and month)")
    for col in ("force", "months", "first", "last", "accepted", "quarantined"):
        t.add_column(
            col, justify="right" if col in ("months", "accepted", "quarantined") else "left"
        )
    for force, g in parts.groupby("force"):
        t.add_row(
            str(force), f"{len(g)}", min(g.month), max(g.month), f"{g.rows_accepted.sum():,}",
            f"{g.rows_quarantined.sum():,}",
        )  # fmt: skip
    console.print(t)


@lake_app.command("aggregate")
def lake_aggregate(
    out: Annotated[Path, typer.Option(help="Output file: .csv or .parquet.")] = Path(
        "area_month.csv"
    ),
    lake: LakePath = Path("vrukit-lake"),
    db: DbOption = None,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    crime_type: CrimeTypes = None,
    first_month: FirstMonth = None,
    last_month: LastMonth = None,
    harm_table: HarmTable = "css",
) -> None:
    """Crimes per area, month and type, with harm, population and rate, on DuckDB or Spark.

    Areas and population come from the warehouse (--db); the aggregation runs on --engine.
    """
    from vrukit.analysis.harm import load_harm_table
    from vrukit.jobs.analyse import areas_of_vintage
    from vrukit.schemas import VIOLENCE_TYPES
    from vrukit.store.relational import Selection, area_month

    s = get_settings(db=db, lake=lake, engine=engine, spark_master=spark_master)
    if out.suffix not in (".csv", ".parquet"):
        raise ConfigError(f"--out {out}: name a .csv or .parquet file")
    sel = Selection(tuple(crime_type or VIOLENCE_TYPES), first_month, last_month)
    started = time.perf_counter()
    if s.db is None:
        raise ConfigError(_LAKE_NEEDS_DB)
    with _warehouse(s, for_ingest=False) as wh, _crime_source(s) as crimes:
        assert crimes is not None
        codes = crimes.select("lsoa_code").distinct().to_pandas().lsoa_code
        areas = areas_of_vintage(wh, codes)
        frame = area_month(crimes, areas, load_harm_table(harm_table).weights, sel).to_pandas()
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".csv":
        frame.to_csv(out, index=False)
    else:
        frame.to_parquet(out, index=False)
    console.print(
        f"{len(frame):,} rows ({frame['count'].sum():,} crimes in {frame.lsoa_code.nunique():,} "
        f"areas) on {s.engine} in {time.perf_counter() - started:.1f} s: [bold]{out}[/bold]"
    )


@lake_app.command("national")
def lake_national(
    out: Annotated[Path, typer.Option(help="Folder for the files, warehouse and lake.")] = Path(
        "vrukit-national"
    ),
    months: Annotated[int, typer.Option(help="Months of crime, from April 2019.")] = 12,
    areas: Annotated[
        int, typer.Option(help="Small areas across the 43 forces (at least 4,300).")
    ] = 35_000,
    seed: Annotated[int, typer.Option(help="Seed.")] = 2021,
    load: Annotated[bool, typer.Option(help="Load the warehouse and lake after writing.")] = True,
) -> None:
    """Generate the national synthetic region (43 forces, ~500,000 records a month) as police.uk
    files, and load it: reference data into OUT/vrukit.duckdb, crimes into OUT/lake."""
    from vrukit.demo.national import NATIONAL_FORCES, build_national
    from vrukit.jobs.demo import load_national
    from vrukit.store.lake import Lake
    from vrukit.store.warehouse import Warehouse

    with _progress() as bar:
        task = bar.add_task("national region", total=len(NATIONAL_FORCES) + 1)
        files = build_national(
            out / "files", months=months, n_areas=areas, seed=seed,
            progress=lambda m: bar.update(task, description=m, advance=1),
        )  # fmt: skip
    console.print(
        f"{files.areas:,} areas, {files.crimes_written:,} police.uk records over {months} months "
        f"written to [bold]{files.folder}[/bold]"
    )
    if not load:
        return
    db, lake = out / "vrukit.duckdb", out / "lake"
    with Warehouse(db) as wh, _progress() as bar:
        task = bar.add_task("loading", total=months)
        report = load_national(
            files, wh, Lake(lake), progress=lambda d, _n: bar.update(task, description=d, advance=1)
        )
    print_lake_report(report, "national police.uk files into the lake")
    console.print(f"Try: vrukit analyse --db {db} --lake {lake} [--engine spark]")
