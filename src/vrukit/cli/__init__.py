"""The `vrukit` command: a thin shell over the library."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from vrukit.errors import ConfigError, VrukitError
from vrukit.settings import Settings, get_settings

if TYPE_CHECKING:  # imported where used: `vrukit --help` need not load pandas, Ibis or DuckDB
    import ibis.expr.types as ir
    import pandas as pd

    from vrukit.store.warehouse import IngestReport, Warehouse

app = typer.Typer(
    help="vrukit: the public-health approach to serious violence, run on data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _command_group(name: str, help: str) -> typer.Typer:
    """A ``vrukit NAME ...`` group of commands."""
    group = typer.Typer(help=help, no_args_is_help=True)
    app.add_typer(group, name=name)
    return group


ingest_app = _command_group("ingest", "Load partners' published data into the warehouse.")
istv_app = _command_group(
    "istv", "A&E assault data (ISTV): ingest extracts, score their quality, feed back to EDs."
)
directory_app = _command_group(
    "directory", "The Youth Map directory: import and export Open Referral UK (HSDS) data."
)
referrals_app = _command_group(
    "referrals",
    "Referral pathways: keys, pathways, the SLA and evaluation report, pseudonymised export and "
    "retention.",
)
lake_app = _command_group(
    "lake",
    "National scale: the partitioned Parquet lake (force and month), the Spark engine, and the "
    "national synthetic region.",
)
fetch_app = _command_group(
    "fetch",
    "Fetch public data from APIs into the files vrukit ingests (the only commands that use the "
    "network).",
)
console = Console(stderr=False)
err = Console(stderr=True)

_S = Settings.model_fields


def _setting_option(name: str, shown: str | bool = False) -> Any:
    """A command-line option for the setting ``name``: its flag, help and VRUKIT_ variable."""
    return typer.Option(
        f"--{name.replace('_', '-')}",
        help=_S[name].description,
        envvar=f"VRUKIT_{name.upper()}",
        show_default=shown,
    )


DbOption = Annotated[Path | None, _setting_option("db")]


LakeOption = Annotated[Path | None, _setting_option("lake")]
EngineOption = Annotated[str | None, _setting_option("engine", "duckdb")]
SparkMasterOption = Annotated[str | None, _setting_option("spark_master", "local[2]")]


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


StoreOption = Annotated[
    str | None,
    typer.Option(
        help="Programme store URL (sqlite:///FILE or postgresql+psycopg://...); "
        "default: the demo region's.",
        show_default=False,
    ),
]


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


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False)],
    )


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


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


def _load_reference(
    db: Path | None, kind: str, frame: pd.DataFrame, table: str, source: Path, noun: str
) -> None:
    """Load one reference frame and say how many rows went where."""
    with _warehouse(_settings(db), for_ingest=True) as wh:
        n = wh.load_reference(kind, frame, table=table, source=source)
    console.print(f"{source}: {n:,} {noun} loaded into {table}")


@ingest_app.command("boundaries")
def ingest_boundaries(
    path: Annotated[Path, typer.Argument(help="LSOA boundaries: GeoJSON or GeoPackage, any CRS.")],
    db: DbOption = None,
) -> None:
    """Load LSOA boundaries (2011 or 2021) into `areas`, with centroids and rollup codes."""
    from vrukit.ingest.reference import read_boundaries

    _load_reference(db, "boundaries", read_boundaries(path), "areas", path, "areas")


@ingest_app.command("iod")
def ingest_iod(
    paths: Annotated[list[Path], typer.Argument(help="IoD2019 File 7, or Files 1/2/5/6 together.")],
    db: DbOption = None,
) -> None:
    """Load the English Indices of Deprivation 2019 into `deprivation`."""
    from vrukit.ingest.reference import read_iod

    _load_reference(db, "iod2019", read_iod(paths), "deprivation", paths[-1], "LSOAs")


@ingest_app.command("population")
def ingest_population(
    path: Annotated[
        Path, typer.Argument(help="Census 2021 TS001, mid-year estimates or tidy CSV.")
    ],
    db: DbOption = None,
) -> None:
    """Load population by LSOA into `population` (and `areas.population`)."""
    from vrukit.ingest.reference import read_population

    _load_reference(db, "population", read_population(path), "population", path, "rows")


@ingest_app.command("lookup")
def ingest_lookup(
    path: Annotated[Path | None, typer.Argument(help="ONS LSOA11-LSOA21 lookup CSV.")] = None,
    derive: Annotated[bool, typer.Option(help="Derive it from 2011 and 2021 boundaries.")] = False,
    db: DbOption = None,
) -> None:
    """Load (or derive from boundaries) the LSOA 2011 to 2021 change lookup (U/S/M/X)."""
    from vrukit.ingest.geography import read_lsoa_lookup

    with _warehouse(_settings(db), for_ingest=True) as wh:
        if derive:
            n = wh.derive_lsoa_lookup()
        elif path is not None:
            n = wh.load_reference(
                "lsoa-lookup", read_lsoa_lookup(path), table="lsoa_lookup", source=path
            )
        else:
            raise typer.BadParameter("give the lookup file, or --derive")
    console.print(f"lsoa_lookup: {n:,} rows")


@ingest_app.command("rollups")
def ingest_rollups(
    path: Annotated[Path, typer.Argument(help="ONS OA11-LSOA11-MSOA11-LAD lookup CSV (.gz ok).")],
    db: DbOption = None,
) -> None:
    """Fill each 2011 LSOA's MSOA and local authority in `areas` from ONS's lookup."""
    from vrukit.ingest.geography import read_area_lookup

    with _warehouse(_settings(db), for_ingest=True) as wh:
        n = wh.apply_area_lookup(read_area_lookup(path))
    console.print(f"areas with MSOA and local authority: {n:,}")


@ingest_app.command("police")
def ingest_police(
    paths: Annotated[
        list[Path], typer.Argument(help="Folders, street CSV files (.csv/.csv.gz) or zip archives.")
    ],
    db: DbOption = None,
) -> None:
    """Load police.uk street-level crime files (bulk download folders or zips)."""
    s = _settings(db)
    with _warehouse(s, for_ingest=True) as wh, _progress() as bar:
        task = bar.add_task("checking police.uk files", total=None)
        report = wh.ingest_police(
            paths,
            batch_rows=s.batch_rows,
            total=lambda n: bar.update(task, total=n, description="loading police.uk files"),
            progress=lambda d, n: bar.update(task, description=d, advance=n),
        )
    print_report(report, "police.uk street files")


@fetch_app.command("police")
def fetch_police(
    force: Annotated[str, typer.Option(help="The force's police.uk slug, e.g. merseyside.")],
    out: Annotated[
        Path, typer.Option(help="Folder for the street files: YYYY-MM/YYYY-MM-<force>-street.csv.")
    ],
    neighbourhood: Annotated[
        str | None,
        typer.Option(help="A neighbourhood id of the force: its boundary is the polygon."),
    ] = None,
    polygon: Annotated[
        Path | None, typer.Option(help="A GeoJSON file holding one polygon (WGS84).")
    ] = None,
    first: Annotated[
        str | None, typer.Option(help="First month, YYYY-MM (default: the latest published).")
    ] = None,
    last: Annotated[
        str | None, typer.Option(help="Last month, YYYY-MM (default: the latest published).")
    ] = None,
    ingest: Annotated[
        bool, typer.Option("--ingest", help="Load the files into the warehouse (--db) too.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Street crimes of a force's neighbourhood or a polygon from the police.uk API, written as
    police.uk street files (LSOAs placed from the warehouse's boundaries when it has them)."""
    from vrukit.ingest import policeuk_api as pa

    if (neighbourhood is None) == (polygon is None):
        raise ConfigError("give one of --neighbourhood or --polygon")
    s = _settings(db)
    api = pa.PoliceAPI(s.police_api_url, rate=s.police_api_rate)
    ring = (
        pa.read_polygon(polygon)
        if polygon is not None
        else api.neighbourhood_boundary(force, str(neighbourhood))
    )
    latest = api.crime_last_updated() if first is None or last is None else ""
    months = pa.months_between(first or last or latest, last or latest)
    wh = _warehouse(s, for_ingest=True) if ingest or s.db is not None else None
    try:
        lsoa_at = wh.lsoa_at if wh is not None and _has_boundaries(wh) else None
        with _progress() as bar:
            task = bar.add_task("fetching street crimes", total=len(months))
            rows = pa.fetch_street_rows(
                api, ring, months, force, lsoa_at=lsoa_at,
                progress=lambda m: bar.update(task, description=f"fetching {m}", advance=1),
            )  # fmt: skip
        files = pa.write_street_files(rows, out)
        console.print(
            f"{len(rows):,} crimes in {len(months)} month(s), {api.requests:,} API requests: "
            f"{len(files)} street file(s) in {out}"
        )
        if lsoa_at is None:
            console.print("[yellow]LSOA columns left blank: no warehouse boundaries (--db).[/]")
        if ingest and wh is not None and files:
            print_report(wh.ingest_police(files), "police.uk street files (from the API)")
        elif files:
            console.print(f"Load them with: vrukit ingest police {out}")
    finally:
        if wh is not None:
            wh.close()


def _has_boundaries(wh: Warehouse) -> bool:
    a = wh.table("areas")
    return bool(a.filter(a.geometry_wkb.notnull()).count().execute())


@app.command()
def demo(
    out: Annotated[
        Path | None, typer.Option(help=_S["demo_dir"].description, show_default=False)
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help=_S["demo_seed"].description, show_default=False)
    ] = None,
    months: Annotated[int, typer.Option(help="Months of crime to generate (at least 5).")] = 36,
    areas: Annotated[int, typer.Option(help="Number of small areas (at least 100).")] = 1750,
) -> None:
    """Build the synthetic demo region and load it into its own warehouse (no files, no network)."""
    from vrukit.jobs.demo import demo_steps, run_demo

    s = get_settings(demo_dir=out, demo_seed=seed)
    with _progress() as bar:
        task = bar.add_task("demo region", total=demo_steps(months))

        def say(msg: str) -> None:
            bar.update(task, description=msg, advance=1)

        result = run_demo(
            s.demo_dir,
            seed=s.demo_seed,
            months=months,
            n_areas=areas,
            memory_limit=s.memory_limit,
            progress=say,
        )
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


@app.command()
def analyse(
    out: Annotated[Path, typer.Option(help="Folder for the tables, GeoJSON and summary.")] = Path(
        "vrukit-analysis"
    ),
    db: DbOption = None,
    lake: LakeOption = None,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    crime_type: Annotated[
        list[str] | None,
        typer.Option(
            "--crime-type",
            help="police.uk crime type to include (repeat). Default: the violence selection.",
            show_default=False,
        ),
    ] = None,
    first_month: Annotated[str | None, typer.Option(help="First month, YYYY-MM.")] = None,
    last_month: Annotated[str | None, typer.Option(help="Last month, YYYY-MM.")] = None,
    harm_table: Annotated[
        str, typer.Option(help="Harm weights: 'css', 'cchi' or a CSV with crime_type,weight.")
    ] = "css",
    neighbours: Annotated[
        str, typer.Option(help="'queen' (polygons; falls back to knn without them) or 'knn'.")
    ] = "queen",
    permutations: Annotated[int, typer.Option(help="Conditional permutations.")] = 9999,
    seed: Annotated[int, typer.Option(help="Random seed for the permutations.")] = 2021,
    alpha: Annotated[float, typer.Option(help="Significance level after FDR.")] = 0.05,
    map_months: Annotated[
        int,
        typer.Option(help="Months the map covers, ending at the last month (0: every month)."),
    ] = 12,
    hex_resolution: Annotated[
        list[int] | None,
        typer.Option(
            "--hex-resolution",
            help="H3 resolution to map (repeat; 7-9 suit LSOAs).",
            show_default="8",
        ),
    ] = None,
    kde_cell: Annotated[float, typer.Option(help="Density surface cell size, metres.")] = 100.0,
    kde_bandwidth: Annotated[
        float | None,
        typer.Option(
            help="Density bandwidth, metres. Default: ArcGIS's search-radius rule.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Rates, harm, concentration, hotspots, emerging hotspots, hexagons and a density surface.

    The map covers the last 12 months of the selection (--map-months); trends use all of it.

    Without --db (or VRUKIT_DB) it analyses the embedded demo region, building it if needed.
    With --lake it counts the crimes in the partitioned lake, on --engine (duckdb or spark).
    """
    from vrukit.jobs.analyse import Selection, run_analysis, summary_lines
    from vrukit.schemas import VIOLENCE_TYPES

    s = get_settings(db=db, lake=lake, engine=engine, spark_master=spark_master)
    path = _demo_db(s)
    sel = Selection(
        tuple(crime_type or VIOLENCE_TYPES), first_month, last_month, map_months or None
    )
    with (
        _reading(s, path) as wh,
        _crime_source(s) as crimes,
        _progress() as bar,
    ):
        task = bar.add_task("analysis", total=6)

        def say(msg: str) -> None:
            bar.update(task, description=msg, advance=1)

        run = run_analysis(
            wh, out, selection=sel, harm_table=harm_table, neighbours=neighbours,
            permutations=permutations, seed=seed, alpha=alpha,
            hex_resolutions=tuple(hex_resolution or (8,)), kde_cell=kde_cell,
            kde_bandwidth=kde_bandwidth, progress=say, crimes=crimes,
        )  # fmt: skip
    c = run.choices
    console.print(
        f"[dim]Chose: neighbours {c['neighbours']}, {c['permutations']:,} permutations "
        f"(seed {c['seed']}), {c['correction']} at {c['alpha']}, harm table {c['harm_table']}; "
        f"map {' to '.join(c['map_months'])}"  # type: ignore[arg-type]
        + (f"; density: {c['density']}" if "density" in c else "")
        + ".[/dim]"
    )
    for line in summary_lines(run):
        console.print(line)
    console.print(f"Tables written to [bold]{out.resolve()}[/bold]: "
                  + ", ".join(f.name for f in run.files))  # fmt: skip


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
        demo(out=s.demo_dir, seed=None)
    return path


@app.command()
def risk(
    out: Annotated[Path, typer.Option(help="Folder for the tables and summary.")] = Path(
        "vrukit-risk"
    ),
    db: DbOption = None,
    lake: LakeOption = None,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    indicators: Annotated[
        list[Path] | None,
        typer.Option(
            "--indicators",
            help="CSV of extra area indicators keyed by area_code (repeat). "
            "Demo: the region's area_indicators.csv.",
            show_default=False,
        ),
    ] = None,
    pilots: Annotated[
        Path | None,
        typer.Option(
            help="CSV of current pilots: pilot, area_code (one row per area). Demo: pilots.csv.",
            show_default=False,
        ),
    ] = None,
    factor: Annotated[
        list[str] | None,
        typer.Option(
            "--factor",
            help="Profile column to model (repeat); replaces the default set "
            "(IoD2019 domains but crime, youth share, the indicators).",
            show_default=False,
        ),
    ] = None,
    weight: Annotated[
        list[str] | None,
        typer.Option(
            "--weight",
            help="Risk index weight as component=value (rate, harm, expected, hotspot).",
            show_default="rate=0.3 harm=0.3 expected=0.2 hotspot=0.2",
        ),
    ] = None,
    fixed_effects: Annotated[
        bool, typer.Option(help="Add local-authority fixed effects to the model.")
    ] = False,
    spatial_lag: Annotated[
        bool, typer.Option(help="Add neighbours' violence (spatial lag) to the model.")
    ] = False,
    pilot_control: Annotated[
        bool, typer.Option(help="Hold pilot areas apart in the model (with --pilots).")
    ] = True,
    first_month: Annotated[str | None, typer.Option(help="First month, YYYY-MM.")] = None,
    last_month: Annotated[str | None, typer.Option(help="Last month, YYYY-MM.")] = None,
    months: Annotated[int, typer.Option(help="Months modelled, ending at the last month.")] = 12,
    draws: Annotated[int, typer.Option(help="Bootstrap draws for the rank intervals.")] = 500,
    model_bootstrap: Annotated[
        int,
        typer.Option(help="Refit the model on N resamples of areas to show its stability (0: no)."),
    ] = 0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2021,
) -> None:
    """Which inequalities go with violence, the risk index, priority clusters and the gap list.

    Without --db (or VRUKIT_DB) it runs on the embedded demo region with its indicator and
    pilot files. With --lake it counts the crimes in the partitioned lake, on --engine.
    """
    from vrukit.jobs.analyse import Selection
    from vrukit.jobs.risk import RiskOptions, run_risk, summary_lines

    s = get_settings(db=db, lake=lake, engine=engine, spark_master=spark_master)
    path = _demo_db(s)
    if s.db is None:
        if not (s.demo_dir / "pilots.csv").exists():
            raise ConfigError(
                f"the demo region in {s.demo_dir} predates its pilot and indicator files: "
                "run `vrukit demo` again"
            )
        indicators = indicators or [s.demo_dir / "area_indicators.csv"]
        pilots = pilots or s.demo_dir / "pilots.csv"
    options = RiskOptions(
        factors=tuple(factor) if factor else None,
        weights=_parse_weights(weight) if weight else None,
        fixed_effects=fixed_effects,
        spatial_lag=spatial_lag,
        pilot_control=pilot_control,
        draws=draws,
        model_draws=model_bootstrap,
        seed=seed,
    )
    sel = Selection(first_month=first_month, last_month=last_month, map_months=months or None)
    with (
        _reading(s, path) as wh,
        _crime_source(s) as crimes,
        _progress() as bar,
    ):
        task = bar.add_task("risk", total=6)

        def say(msg: str) -> None:
            bar.update(task, description=msg, advance=1)

        run = run_risk(
            wh, out, selection=sel, indicators=indicators or (), pilots=pilots, options=options,
            progress=say, crimes=crimes,
        )  # fmt: skip
    c = run.choices
    console.print(
        f"[dim]Chose: {c['family']} on {len(c['factors'])} factors "  # type: ignore[arg-type]
        f"({', '.join(c['factors'])}); months {' to '.join(c['map_months'])}; "  # type: ignore[arg-type]
        f"{c['bootstrap_draws']} bootstrap draws.[/dim]"
    )
    for note in c["not_used"]:  # type: ignore[attr-defined]
        console.print(f"[yellow]not modelled: {note}[/yellow]")
    for name, why in c["dropped"].items():  # type: ignore[attr-defined]
        console.print(f"[yellow]dropped {name}: {why}[/yellow]")
    for line in summary_lines(run):
        console.print(line)
    console.print(f"Tables written to [bold]{out.resolve()}[/bold]: "
                  + ", ".join(f.name for f in run.files))  # fmt: skip


@app.command()
def sna(
    out: Annotated[Path, typer.Option(help="Folder for the website.")] = Path("vrukit-sna"),
    db: DbOption = None,
    indicators: Annotated[
        list[Path] | None,
        typer.Option(
            "--indicators",
            help="CSV of extra area indicators (repeat), as for risk.",
            show_default=False,
        ),
    ] = None,
    pilots: Annotated[
        Path | None,
        typer.Option(help="CSV of current pilots: pilot, area_code.", show_default=False),
    ] = None,
    region: Annotated[str, typer.Option(help="The region's name, as the pages say it.")] = "",
    language: Annotated[
        list[str] | None,
        typer.Option(
            "--language", help="Language code (repeat): en, ur, pl.", show_default="en ur pl"
        ),
    ] = None,
    suppress_max: Annotated[
        int, typer.Option(help="Counts from 1 to this are suppressed (shown as <N+1).")
    ] = 4,
    round_to: Annotated[int, typer.Option(help="Round other counts to this (1: exact).")] = 1,
    assets: Annotated[
        Path | None,
        typer.Option(
            help="node_modules folder holding Leaflet (default: the project's).", show_default=False
        ),
    ] = None,
    work: Annotated[
        Path | None,
        typer.Option(
            help="Keep the unprotected analysis tables here (default: discarded).",
            show_default=False,
        ),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            help='Programme store holding the Youth Map, for "high risk, few services" '
            "(default: the demo's, when publishing the demo).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Publish the open-access Strategic Needs Assessment: a static, multilingual website.

    It runs the surveillance and risk jobs, applies disclosure control to every count and writes
    pages, charts, maps and downloads into OUT. Without --db it publishes the demo region.
    """
    from vrukit.jobs.sna import run_sna
    from vrukit.publish import Policy
    from vrukit.publish.site import SiteOptions

    s = _settings(db)
    path = _demo_db(s)
    if s.db is None:
        if not (s.demo_dir / "pilots.csv").exists():
            raise ConfigError(
                f"the demo region in {s.demo_dir} predates its pilot and indicator files: "
                "run `vrukit demo` again"
            )
        indicators = indicators or [s.demo_dir / "area_indicators.csv"]
        pilots = pilots or s.demo_dir / "pilots.csv"
        region = region or "the demo region"
        if store is None and (s.demo_dir / "programme.sqlite").exists():
            store = _store(None)
    services = None
    if store:
        from vrukit.directory.search import service_locations
        from vrukit.programme.db import session

        with session(store) as ses:
            services = service_locations(ses)
    options = SiteOptions(
        policy=Policy(suppress_max, round_to),
        languages=tuple(language) if language else SiteOptions().languages,
        region=region,
        assets=assets,
    )
    with (
        _reading(s, path) as wh,
        _progress() as bar,
    ):
        task = bar.add_task("sna", total=None)

        def say(msg: str) -> None:
            bar.update(task, description=msg)

        began = time.perf_counter()
        run = run_sna(wh, out, indicators=indicators or (), pilots=pilots, options=options,
                      work=work, progress=say, services=services)  # fmt: skip
    sup = run.suppressed
    console.print(
        f"{len(run.pages)} pages in {len(options.languages)} languages; "
        f"{sup['primary']} counts suppressed, {sup['secondary']} withheld, "
        f"{sup['blanked']} not published; took {time.perf_counter() - began:.1f} s."
    )
    index = (out / "index.html").resolve()
    console.print(f"Site written to [bold]{out.resolve()}[/bold]: open {index} in a browser.")


def _parse_weights(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(
                f"--weight {item!r}: expected component=number, e.g. harm=0.5"
            ) from None
    return out


@istv_app.command("ingest")
def istv_ingest(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Extracts, or folders holding them (none: the demo region's)."),
    ] = None,
    profiles: Annotated[
        Path | None,
        typer.Option(
            help="A profile (.toml) or a folder of them; see docs/istv.md.", show_default=False
        ),
    ] = None,
    db: DbOption = None,
    received: Annotated[
        str | None,
        typer.Option(
            help="Date the extracts were received, YYYY-MM-DD (default: each file's date).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Load ISTV extracts (CSV, XLSX, XML), each read with its site's mapping profile.

    A file carrying identifiers (NHS numbers, names, dates of birth, full postcodes) is refused
    and nothing from it is stored. A resubmission replaces the earlier extract for its period.
    With no extracts and no options it loads the demo region's four EDs (again: nothing changes).
    """
    from datetime import date

    from vrukit.demo import DEMO_PROFILES
    from vrukit.ingest.istv_profile import load_profiles

    s = _settings(db)
    if not paths:
        if profiles is not None or db is not None:
            raise ConfigError("give the extracts to load (files or folders) before --profiles")
        s = s.model_copy(update={"db": _demo_db(s)})
        paths, profiles = [s.demo_dir / "istv"], DEMO_PROFILES
    elif profiles is None:
        raise ConfigError("--profiles is needed: the mapping profile(s) of the extracts' sites")
    when = date.fromisoformat(received) if received else None
    profs = load_profiles(profiles)
    with _warehouse(s, for_ingest=True) as wh, _progress() as bar:
        task = bar.add_task("ISTV extracts", total=None)
        report = wh.ingest_istv(
            paths, profs, received=when, progress=lambda d, n: bar.update(task, advance=n)
        )
    print_report(report, "ISTV extracts")
    if report.files.status.isin(["loaded", "replaced"]).any():
        _relocate(s)
    refused = report.files[report.files.status.isin(["refused", "rejected"])]
    if len(refused):
        for r in refused.itertuples():
            err.print(f"[red]{r.message}[/red]")
        raise typer.Exit(1)


@istv_app.command("venues")
def istv_venues(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="CSV: name, kind, longitude, latitude[, lsoa_code] (none: the demo's)."
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Load (or reload) the venues used to resolve ISTV locations: licensed premises, transport
    hubs, shopping centres, colleges. Then run `vrukit istv locate`."""
    from vrukit.jobs.istv import load_venues

    s = _settings(db)
    if path is None:
        s = s.model_copy(update={"db": _demo_db(s)})
        path = s.demo_dir / "istv" / "venues.csv"
    with _warehouse(s, for_ingest=True) as wh:
        n = load_venues(wh, path)
    console.print(f"{n:,} venues loaded from {path}.")


@istv_app.command("locate")
def istv_locate(
    out: Annotated[Path, typer.Option(help="Folder for the match rates and review queue.")] = Path(
        "vrukit-istv"
    ),
    db: DbOption = None,
    min_confidence: Annotated[
        float, typer.Option(help="Matches below this confidence go to the review queue.")
    ] = 0.6,
    reviewed: Annotated[
        Path | None,
        typer.Option(
            help="A review queue with confirmed_lsoa filled in: those answers are applied.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Resolve each assault's free-text location to an LSOA and a point, against police.uk
    street names and the loaded venues; write match rates and the review queue.

    Without --db (or VRUKIT_DB) it works on the embedded demo region's four EDs.
    """
    import pandas as pd

    from vrukit.jobs.istv import locate
    from vrukit.store.warehouse import Warehouse

    s = _settings(db)
    path = _demo_db(s)
    answers = pd.read_csv(reviewed, dtype=str, keep_default_na=False) if reviewed else None
    with Warehouse(path, memory_limit=s.memory_limit, threads=s.threads) as wh:
        run = locate(wh, min_confidence=min_confidence, reviewed=answers)
    out.mkdir(parents=True, exist_ok=True)
    run.rates.to_csv(out / "location_match_rates.csv", index=False)
    run.queue.to_csv(out / "location_review_queue.csv", index=False)
    _print_match_rates(run.rates, min_confidence)
    console.print(f"Review queue: {len(run.queue):,} names ({int(run.queue.rows.sum()):,} rows) "
                  f"in {(out / 'location_review_queue.csv').resolve()}")  # fmt: skip


def _relocate(s: Settings) -> None:
    """After new extracts, resolve locations again (when there are police.uk names to use)."""
    from vrukit.jobs.istv import locate

    with _warehouse(s, for_ingest=True) as wh:
        if wh.table("crimes").count().execute() == 0:
            console.print("[dim]No police.uk records loaded: locations not resolved.[/dim]")
            return
        run = locate(wh)
    _print_match_rates(run.rates, 0.6)


def _print_match_rates(rates: pd.DataFrame, min_confidence: float) -> None:
    t = Table(title="ISTV location resolution")
    for col in ("site", "rows", "blank", "non-specific", "named a place", "found",
                f"found, confidence >= {min_confidence:g}"):  # fmt: skip
        t.add_column(col, justify="left" if col == "site" else "right")
    for r in rates.itertuples():
        named = int(r.resolved + r.unmatched)
        t.add_row(
            r.site_code, f"{r.rows:,}", f"{r.blank:,}", f"{r.non_specific:,}", f"{named:,}",
            f"{r.match_rate:.1%}", f"{r.confident_rate:.1%}",
        )  # fmt: skip
    console.print(t)


@istv_app.command("score")
def istv_score(
    out: Annotated[Path, typer.Option(help="Folder for the scorecard and feedback.")] = Path(
        "vrukit-istv"
    ),
    db: DbOption = None,
    completeness: Annotated[float, typer.Option(help="Flag fields complete in fewer rows.")] = 0.85,
    late_days: Annotated[
        int, typer.Option(help="Flag extracts later than this after the month.")
    ] = 30,
) -> None:
    """Score every ED and month (coverage, completeness, validity, timeliness, duplicates,
    vague codes, series breaks) and write per-ED feedback and a regional summary.

    Without --db (or VRUKIT_DB) it scores the embedded demo region's four EDs.
    """
    from vrukit.analysis.istv_quality import Rules
    from vrukit.jobs.istv import run_score

    s = _settings(db)
    path = _demo_db(s)
    rules = Rules(completeness=completeness, late_days=late_days)
    with _reading(s, path) as wh:
        run = run_score(wh, out, rules=rules)
    summary = run.scorecard.summary()
    t = Table(title=f"ISTV flags ({int(run.scorecard.measures.flag.sum())} of "
                    f"{len(run.scorecard.measures):,} site-month measures)")  # fmt: skip
    for col in ("site", "check", "months flagged", "first", "last"):
        t.add_column(col)
    for r in summary[summary.flagged > 0].itertuples():
        t.add_row(r.site_code, r.check, str(r.flagged), r.first_flagged, r.last_flagged)
    console.print(t)
    console.print(f"Feedback for each ED in [bold]{run.files.folder.resolve()}/feedback[/bold]; "
                  f"regional summary {run.files.regional_html.resolve()}")  # fmt: skip


@istv_app.command("analyse")
def istv_analyse(
    out: Annotated[Path, typer.Option(help="Folder for the tables, charts and page.")] = Path(
        "vrukit-istv/analysis"
    ),
    db: DbOption = None,
    fdr: Annotated[float, typer.Option(help="False discovery rate for the area list.")] = 0.05,
) -> None:
    """Weapon mix, location types, hour x weekday, age and sex, hotspots of where assaults
    happened, and triangulation with police-recorded violence: the share of ED-treated assaults
    unknown to police, and the areas where ED violence outruns police-recorded violence.

    Restricted output (small numbers): share `vrukit istv share`, not this.
    """
    from vrukit.jobs.istv import run_analysis

    s = _settings(db)
    path = _demo_db(s)
    with _reading(s, path) as wh:
        run = run_analysis(wh, out, q=fdr)
    u = run.unknown
    high = run.tables["ed_high_police_low"]
    console.print(
        f"Unknown to police: [bold]{u.share:.0%}[/bold] of ED-treated assaults "
        f"(95% interval {u.low:.0%} to {u.high:.0%}; {u.assaults:,} placed assaults)."
    )
    console.print(
        f"Areas where ED violence outruns police-recorded violence: {int(high.flag.sum())}"
    )
    console.print(f"Tables, charts and page in [bold]{run.files['html'].resolve()}[/bold]")


@istv_app.command("share")
def istv_share(
    out: Annotated[Path, typer.Option(help="Folder for the monthly packages.")] = Path(
        "vrukit-istv/share"
    ),
    db: DbOption = None,
    month: Annotated[
        str | None,
        typer.Option(
            help="YYYY-MM (default: the latest month every ED has sent).", show_default=False
        ),
    ] = None,
    min_confidence: Annotated[
        float, typer.Option(help="Place an assault in a CSP only at this location confidence.")
    ] = 0.6,
    suppress_max: Annotated[int, typer.Option(help="Suppress counts from 1 to this.")] = 4,
    round_to: Annotated[int, typer.Option(help="Round published counts to this base.")] = 1,
) -> None:
    """Write the monthly aggregate package for Community Safety Partnerships: assaults by LSOA,
    method and location type for each CSP, through the disclosure-control layer."""
    from vrukit.disclosure import Policy
    from vrukit.jobs.istv import run_share

    s = _settings(db)
    path = _demo_db(s)
    with _reading(s, path) as wh:
        pk = run_share(
            wh, out, month=month, min_confidence=min_confidence,
            policy=Policy(suppress_max, round_to),
        )  # fmt: skip
    sup = pk.protected.suppressed()
    console.print(
        f"Package for {pk.month}: {len(pk.csps)} CSPs, {sup['primary']} cells suppressed, "
        f"{sup['secondary']} withheld, {sup['blanked']} not published."
    )
    console.print(f"In [bold]{pk.folder.resolve()}[/bold] (csp/<name>/ for each CSP).")


@app.command()
def evaluate(
    out: Annotated[Path, typer.Option(help="Folder for the tables, charts and page.")] = Path(
        "vrukit-evaluation"
    ),
    db: DbOption = None,
    store: StoreOption = None,
) -> None:
    """Evaluate at three tiers: each pilot place (difference-in-differences and synthetic
    control against the warehouse's violence), each training project (pre/post change) and the
    programme (reach, engagement, completion, cost, indicators against targets). Place results
    are kept in the programme store for the portal."""
    from vrukit.jobs.evaluate import run_evaluation

    s = _settings(db)
    path = _demo_db(s)
    store = _store(store)
    with _reading(s, path) as wh:
        run = run_evaluation(wh, store, out, say=lambda m: console.print(f"[dim]{m}[/dim]"))
    t = Table(title="Place tier: change in violence after each pilot started")
    for col in ("place", "design", "change", "95% interval", "p", "SMS"):
        t.add_column(col, justify="left" if col in ("place", "design") else "right")
    for r in run.places.itertuples():
        t.add_row(r.place, r.design.replace("_", " "), f"{r.effect:+.1%}",
                  f"{r.low:+.1%} to {r.high:+.1%}", f"{r.p:.3f}", str(r.sms_level))  # fmt: skip
    console.print(t)
    if not run.indicators.empty:
        met = run.indicators.status.value_counts()
        console.print("Indicators: " + ", ".join(f"{n} {k.replace('_', ' ')}"
                                                for k, n in met.items()))  # fmt: skip
    console.print(f"Tables, charts and page in [bold]{(run.folder / 'evaluation.html').resolve()}"
                  "[/bold]")  # fmt: skip


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    store: StoreOption = None,
    tiles: Annotated[
        str | None,
        typer.Option(
            help="Map tiles for the Youth Map, as a URL template ({z}/{x}/{y}); none by default, "
            "so no search is sent to a third party."
        ),
    ] = None,
    tiles_attribution: Annotated[
        str, typer.Option(help="The attribution the tile server requires.")
    ] = "",
) -> None:
    """Start the programme portal (providers submit returns; commissioners, analysts and admins
    read them). Without --store it serves the demo programme and prints a demo login per role."""
    import uvicorn

    from vrukit.programme.accounts import DEMO_LOGINS
    from vrukit.programme.db import sqlite_url
    from vrukit.referrals.crypto import Keyring
    from vrukit.web.open_referral import create_directory_app
    from vrukit.web.portal.app import create_app
    from vrukit.web.youth_map import create_youth_map_app

    s = _settings(None)
    today, now = None, None
    key = _referral_key(store) if (store is None or s.referral_key_file) else None
    if store is None:
        from vrukit.demo.directory import DIRECTORY_TODAY

        today = lambda: DIRECTORY_TODAY  # noqa: E731 - the demo's listings are dated to it
        now = _demo_clock()
        path = s.demo_dir / "programme.sqlite"
        if not path.exists():
            demo(out=s.demo_dir, seed=None)
        store = sqlite_url(path)
        t = Table(title="Demo sign-ins (demo data only)")
        for col in ("role", "e-mail", "password", "organisation"):
            t.add_column(col, no_wrap=col != "organisation", overflow="fold")
        for role, email, password, org in DEMO_LOGINS:
            t.add_row(role, email, password, org or "")
        console.print(t)
    if key is None:
        console.print("No VRUKIT_REFERRAL_KEY_FILE: referrals can be seen pseudonymised, but not "
                      "made, nor who they are about read.")  # fmt: skip
    portal = create_app(store, today=today, now=now,
                        referral_key=Keyring.from_file(key) if key else None,
                        duplicate_window=timedelta(days=s.referral_duplicate_days))  # fmt: skip
    api = create_directory_app(store, migrate=False)
    portal.mount("/api", api)
    portal.mount("/youth-map", create_youth_map_app(
        store, migrate=False, root="/youth-map", api="/api/", today=today, tiles=tiles,
        tiles_attribution=tiles_attribution, index=api.state.index))  # fmt: skip
    base = f"http://{host}:{port}"
    console.print(f"Portal on {base}/, the Youth Map's search on {base}/youth-map/ and its Open "
                  f"Referral UK API on {base}/api/ (OpenAPI: /api/openapi.json). Ctrl+C stops "
                  "them.")  # fmt: skip
    console.file.flush()  # seen at once when the output is a pipe or a log
    uvicorn.run(portal, host=host, port=port, log_level="warning")


def _demo_clock() -> Callable[[], datetime]:
    """The demo's clock: its referrals' "now" when the server started, moving on from there."""
    from vrukit.demo.referrals import REFERRALS_TODAY

    started = time.monotonic()
    return lambda: REFERRALS_TODAY + timedelta(seconds=time.monotonic() - started)


def _store(store: str | None) -> str:
    from vrukit.programme.db import sqlite_url

    return store or sqlite_url(_settings(None).demo_dir / "programme.sqlite")


@directory_app.command("import")
def directory_import(
    source: Annotated[
        Path,
        typer.Argument(
            help="An HSDS JSON file, or a folder holding the "
            "HSDS tabular package (one CSV per table)."
        ),
    ],
    postcodes: Annotated[
        Path | None,
        typer.Option(
            help="A postcode lookup CSV (postcode, "
            "latitude, longitude[, lsoa_code]) for searches near a postcode."
        ),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Load services into the directory; records are matched by their HSDS id, so loading the
    same data again changes nothing and a newer export updates what it carries."""
    from vrukit.directory.load import load_hsds, load_postcodes
    from vrukit.programme.db import session, upgrade

    url = _store(store)
    upgrade(url)
    with session(url) as s:
        if postcodes:
            console.print(f"{load_postcodes(s, postcodes):,} postcodes")
        got = load_hsds(s, source)
    console.print(f"Loaded {got.services:,} services at {got.locations:,} locations from "
                  f"{got.organizations:,} organisations ({got.terms:,} terms).")  # fmt: skip


@directory_app.command("export")
def directory_export(
    out: Annotated[Path, typer.Argument(help="The JSON file, or the folder for the CSVs.")],
    format: Annotated[
        str, typer.Option(help="json (nested services) or csv (the HSDS tabular package).")
    ] = "json",
    store: StoreOption = None,
) -> None:
    """Write the directory as Open Referral UK (HSDS 3): for other councils' directories."""
    from vrukit.directory.exchange import export_csv, export_json
    from vrukit.programme.db import session

    if format not in ("json", "csv"):
        raise typer.BadParameter("expected json or csv", param_hint="--format")
    with session(_store(store)) as s:
        if format == "json":
            console.print(f"{export_json(s, out):,} services written to {out}")
        else:
            counts = export_csv(s, out)
            console.print(f"{counts['services']:,} services in {len(counts)} tables written to "
                          f"{out}")  # fmt: skip


def _referral_key(store: str | None) -> Path:
    """The key file: the setting, or the demo's beside the demo store."""
    s = _settings(None)
    if s.referral_key_file:
        return s.referral_key_file
    if store is None:
        return s.demo_dir / "referral.key"
    raise ConfigError("set VRUKIT_REFERRAL_KEY_FILE to the file made by `vrukit referrals keygen`")


@referrals_app.command("keygen")
def referrals_keygen(
    path: Annotated[Path, typer.Argument(help="Where to write the key (never beside backups).")],
) -> None:
    """Write a new key for identifying details (readable by its owner only)."""
    from vrukit.referrals.crypto import write_key

    console.print(
        f"Key written to {write_key(path)}. Set VRUKIT_REFERRAL_KEY_FILE={path} and keep a copy "
        "somewhere safe: without it no identifying detail can be read."
    )


@referrals_app.command("pathways")
def referrals_pathways(
    path: Annotated[
        Path | None, typer.Argument(help="A pathways JSON file; default: the seed's examples.")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Add or update referral pathways (each names its provider, who is eligible, its steps
    with target times and what each step records)."""
    from vrukit.ingest.pathways import PATHWAYS_FILE
    from vrukit.programme.db import session
    from vrukit.referrals.workflow import load_pathways

    with session(_store(store)) as s:
        for p in load_pathways(s, path or PATHWAYS_FILE):
            steps = ", ".join(f"{x['status']} within {x['within_hours']} h" for x in p.steps)
            console.print(f"{p.name}: {steps}")


@referrals_app.command("deprivation")
def referrals_deprivation(
    files: Annotated[list[Path], typer.Argument(help="IoD2019 File 7 CSV(s).")],
    store: StoreOption = None,
) -> None:
    """Load LSOA deprivation deciles, which new referrals take from their home area."""
    from vrukit.ingest.reference import read_iod
    from vrukit.programme.db import session
    from vrukit.referrals.load import load_deprivation

    with session(_store(store)) as s:
        console.print(f"{load_deprivation(s, read_iod(files)):,} areas loaded")


def _now(store: str | None) -> datetime:
    """Now, or the demo's "now" on the demo store."""
    from vrukit.demo.referrals import REFERRALS_TODAY

    return REFERRALS_TODAY if store is None else datetime.now()


@referrals_app.command("report")
def referrals_report(
    out: Annotated[Path, typer.Option(help="Folder for the CSV tables.")] = Path(
        "vrukit-referrals"
    ),
    store: StoreOption = None,
) -> None:
    """The SLA report (overdue referrals) and the evaluation figures by pathway and provider,
    with re-offending of engaged against declined, naive and matched."""
    from vrukit.programme.db import session
    from vrukit.referrals.report import evaluation_figures, sla

    now = _now(store)
    with session(_store(store)) as s:
        frame, table, c = evaluation_figures(s)
        clocks = sla(s, now)
    out.mkdir(parents=True, exist_ok=True)
    clocks[clocks.overdue].to_csv(out / "overdue.csv", index=False)
    table.to_csv(out / "by_pathway_and_provider.csv", index=False)
    t = Table(
        title=f"Referrals by pathway and provider ({len(frame):,}; consent withdrawn left out)"
    )
    for col in ("pathway", "provider", "referred", "conversion", "median h to contact", "in time"):
        t.add_column(col, justify="left" if col in ("pathway", "provider") else "right")
    for r in table.itertuples():
        t.add_row(r.pathway_name, r.provider, f"{r.referred:,}", f"{r.conversion:.0%}",
                  f"{r.median_hours_to_contact:.0f}", f"{r.share_in_time:.0%}")  # fmt: skip
    console.print(t)
    console.print(f"Overdue at {now:%d %b %Y %H:%M}: {int(clocks.overdue.sum())} of "
                  f"{len(clocks)} referrals waiting for a step")  # fmt: skip
    if c:
        console.print(f"Re-offending within 12 months: engaged {c.engaged_rate:.0%} "
                      f"(n={c.engaged_n}), declined {c.declined_rate:.0%} (n={c.declined_n}); "
                      f"naive gap {c.naive_gap * 100:+.0f} points - mostly who chooses to "
                      "engage, not what engaging does.")  # fmt: skip
        if c.matched:
            m = c.matched
            console.print(f"Matched on age, sex, prior offences and deprivation ({m.pairs} "
                          f"pairs): {m.effect * 100:+.0f} points (95% interval "
                          f"{m.low * 100:+.0f} to {m.high * 100:+.0f}).")  # fmt: skip
        else:
            console.print(f"No matched comparison: {c.why_not_matched}.")
    console.print(f"Tables in [bold]{out.resolve()}[/bold]")


@referrals_app.command("export")
def referrals_export(
    out: Annotated[Path, typer.Argument(help="The CSV file to write.")],
    store: StoreOption = None,
) -> None:
    """Every referral, pseudonymised (no identifying details), leaving out anyone whose
    consent is withdrawn."""
    from vrukit.programme.db import session
    from vrukit.referrals.report import referral_frame

    with session(_store(store)) as s:
        frame = referral_frame(s)
    frame.to_csv(out, index=False)
    console.print(f"{len(frame):,} referrals written to {out}")


@referrals_app.command("retain")
def referrals_retain(
    days: Annotated[
        int | None,
        typer.Option(help=_S["referral_retention_days"].description, show_default=False),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Delete identifying details held longer than the retention period, and say whose (by
    pseudonym). Counts, history and outcomes stay."""
    from vrukit.programme.db import session
    from vrukit.referrals.workflow import retain

    keep = days if days is not None else _settings(None).referral_retention_days
    with session(_store(store)) as s:
        report = retain(s, timedelta(days=keep), _now(store))
    console.print(
        f"Identifying details of {len(report.deleted):,} subjects with nothing recorded since "
        f"before {report.cutoff:%d %b %Y} deleted; {report.kept:,} still held."
    )
    for p in report.deleted[:20]:
        console.print(f"  {p}")
    if len(report.deleted) > 20:
        console.print(f"  ... and {len(report.deleted) - 20:,} more (all in the audit trail)")


LakePath = Annotated[Path, _setting_option("lake", True)]


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
    crime_type: Annotated[
        list[str] | None,
        typer.Option(
            "--crime-type", help="police.uk crime type (repeat).", show_default="violence"
        ),
    ] = None,
    first_month: Annotated[str | None, typer.Option(help="First month, YYYY-MM.")] = None,
    last_month: Annotated[str | None, typer.Option(help="Last month, YYYY-MM.")] = None,
    harm_table: Annotated[
        str, typer.Option(help="Harm weights: 'css', 'cchi' or a CSV with crime_type,weight.")
    ] = "css",
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


@app.command()
def status(db: DbOption = None) -> None:
    """Row counts of every table in the warehouse."""
    with _warehouse(_settings(db), for_ingest=False) as wh:
        t = Table(title=f"warehouse {wh.path}")
        t.add_column("table")
        t.add_column("rows", justify="right")
        for name, n in wh.counts().items():
            t.add_row(name, f"{n:,}")
        console.print(t)


def main() -> None:
    from pydantic import ValidationError

    try:
        app()
    except VrukitError as e:
        err.print(f"[red]error:[/red] {e}")
        raise SystemExit(2) from e
    except ValidationError as e:  # a setting given on the command line or as VRUKIT_*
        for problem in e.errors():
            name = ".".join(str(p) for p in problem["loc"])
            err.print(
                f"[red]error:[/red] setting {name} (--{name.replace('_', '-')} or "
                f"VRUKIT_{name.upper()}) is {problem.get('input')!r}: {problem['msg']}"
            )
        raise SystemExit(2) from e
