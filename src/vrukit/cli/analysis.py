"""The verbs on the warehouse: ``vrukit demo``, ``analyse``, ``risk``, ``sna``, ``evaluate`` and
``status``."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from vrukit.cli._app import (
    app,
    console,
)
from vrukit.cli._common import (
    DEMO_AREAS,
    DEMO_MONTHS,
    _crime_source,
    _demo_db,
    _reading,
    _settings,
    _store,
    _warehouse,
    build_demo_region,
    demo_inputs,
    steps,
)
from vrukit.cli._options import (
    _S,
    Alpha,
    Assets,
    CrimeTypes,
    DbOption,
    DemoAreas,
    DemoMonths,
    Draws,
    Each,
    EngineOption,
    Factors,
    FirstMonth,
    FixedEffects,
    HarmTable,
    HexResolutions,
    Indicators,
    KdeBandwidth,
    KdeCell,
    LakeOption,
    Languages,
    LastMonth,
    MapMonths,
    ModelBootstrap,
    ModelMonths,
    Neighbours,
    Permutations,
    PilotControl,
    Pilots,
    Postcodes,
    Region,
    RoundTo,
    Seed,
    SiteStore,
    SparkMasterOption,
    SpatialLag,
    StoreOption,
    SuppressMax,
    Tiles,
    TilesAttribution,
    Wards,
    Weights,
    Work,
    out_option,
)
from vrukit.errors import ConfigError
from vrukit.settings import get_settings

if TYPE_CHECKING:
    import pandas as pd

    from vrukit.publish.site import SiteOptions
    from vrukit.settings import Settings


@app.command()
def demo(
    out: Annotated[
        Path | None, typer.Option(help=_S["demo_dir"].description, show_default=False)
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help=_S["demo_seed"].description, show_default=False)
    ] = None,
    months: DemoMonths = DEMO_MONTHS,
    areas: DemoAreas = DEMO_AREAS,
) -> None:
    """Build the synthetic demo region and load it into its own warehouse (no files, no network)."""
    build_demo_region(out, seed, months, areas)


@app.command()
def analyse(
    out: Annotated[Path, out_option("Folder for the tables, GeoJSON and summary.")] = Path(
        "vrukit-analysis"
    ),
    db: DbOption = None,
    lake: LakeOption = None,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    crime_type: CrimeTypes = None,
    first_month: FirstMonth = None,
    last_month: LastMonth = None,
    harm_table: HarmTable = "css",
    neighbours: Neighbours = "queen",
    permutations: Permutations = 9999,
    seed: Seed = 2021,
    alpha: Alpha = 0.05,
    map_months: MapMonths = 12,
    hex_resolution: HexResolutions = None,
    kde_cell: KdeCell = 100.0,
    kde_bandwidth: KdeBandwidth = None,
) -> None:
    """Rates, harm, concentration, hotspots, emerging hotspots, hexagons and a density surface.

    The map covers the last 12 months of the selection (--map-months); trends use all of it.

    Without --db (or VRUKIT_DB) it analyses the embedded demo region, building it if needed.
    With --lake it counts the crimes in the partitioned lake, on --engine (duckdb or spark).
    """
    from vrukit.jobs.analyse import Selection, run_analysis
    from vrukit.jobs.analyse_text import summary_lines
    from vrukit.schemas import VIOLENCE_TYPES

    s = get_settings(db=db, lake=lake, engine=engine, spark_master=spark_master)
    path = _demo_db(s)
    sel = Selection(
        tuple(crime_type or VIOLENCE_TYPES), first_month, last_month, map_months or None
    )
    with _reading(s, path) as wh, _crime_source(s) as crimes, steps("analysis", 6) as say:
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
    _say_results(summary_lines(run), out, run.files)


def _say_results(lines: Sequence[str], out: Path, files: Sequence[Path]) -> None:
    """A job's summary lines and the files it wrote."""
    for line in lines:
        console.print(line)
    console.print(f"Tables written to [bold]{out.resolve()}[/bold]: "
                  + ", ".join(f.name for f in files))  # fmt: skip


@app.command()
def risk(
    out: Annotated[Path, out_option("Folder for the tables and summary.")] = Path("vrukit-risk"),
    db: DbOption = None,
    lake: LakeOption = None,
    engine: EngineOption = None,
    spark_master: SparkMasterOption = None,
    indicators: Indicators = None,
    pilots: Pilots = None,
    factor: Factors = None,
    weight: Weights = None,
    fixed_effects: FixedEffects = False,
    spatial_lag: SpatialLag = False,
    pilot_control: PilotControl = True,
    first_month: FirstMonth = None,
    last_month: LastMonth = None,
    months: ModelMonths = 12,
    draws: Draws = 500,
    model_bootstrap: ModelBootstrap = 0,
    seed: Seed = 2021,
) -> None:
    """Which inequalities go with violence, the risk index, priority clusters and the gap list.

    Without --db (or VRUKIT_DB) it runs on the embedded demo region with its indicator and
    pilot files. With --lake it counts the crimes in the partitioned lake, on --engine.
    """
    from vrukit.jobs.analyse import Selection
    from vrukit.jobs.risk import RiskOptions, run_risk, summary_lines

    s = get_settings(db=db, lake=lake, engine=engine, spark_master=spark_master)
    path = _demo_db(s)
    indicators, pilots = demo_inputs(s, indicators, pilots)
    options = RiskOptions(
        factors=tuple(factor) if factor else None,
        weights=_parse_weights(weight) if weight else None,
        fixed_effects=fixed_effects, spatial_lag=spatial_lag, pilot_control=pilot_control,
        draws=draws, model_draws=model_bootstrap, seed=seed,
    )  # fmt: skip
    sel = Selection(first_month=first_month, last_month=last_month, map_months=months or None)
    with _reading(s, path) as wh, _crime_source(s) as crimes, steps("risk", 6) as say:
        run = run_risk(
            wh, out, selection=sel, indicators=indicators, pilots=pilots, options=options,
            progress=say, crimes=crimes,
        )  # fmt: skip
    _say_risk_choices(run.choices)
    _say_results(summary_lines(run), out, run.files)


def _say_risk_choices(c: dict[str, Any]) -> None:
    console.print(
        f"[dim]Chose: {c['family']} on {len(c['factors'])} factors "
        f"({', '.join(c['factors'])}); months {' to '.join(c['map_months'])}; "
        f"{c['bootstrap_draws']} bootstrap draws.[/dim]"
    )
    for note in c["not_used"]:
        console.print(f"[yellow]not modelled: {note}[/yellow]")
    for name, why in c["dropped"].items():
        console.print(f"[yellow]dropped {name}: {why}[/yellow]")


@app.command()
def sna(
    out: Annotated[Path, out_option("Folder for the website.")] = Path("vrukit-sna"),
    db: DbOption = None,
    lake: LakeOption = None,
    engine: EngineOption = None,
    each: Each = None,
    indicators: Indicators = None,
    pilots: Pilots = None,
    region: Region = "",
    language: Languages = None,
    suppress_max: SuppressMax = 4,
    round_to: RoundTo = 1,
    assets: Assets = None,
    work: Work = None,
    store: SiteStore = None,
    tiles: Tiles = None,
    tiles_attribution: TilesAttribution = "",
    wards: Wards = None,
    postcodes: Postcodes = None,
) -> None:
    """Publish the open-access Strategic Needs Assessment: a static, multilingual website.

    It runs the surveillance and risk jobs, applies disclosure control to every count and writes
    pages, charts, maps and downloads into OUT. Without --db it publishes the demo region.
    With --lake it counts the crimes in the lake; --each csp|force writes one site per
    Community Safety Partnership or force into OUT, with an index page.
    """
    from vrukit.disclosure import Policy
    from vrukit.jobs.sna import run_sna
    from vrukit.publish.site import SiteOptions

    s = get_settings(db=db, lake=lake, engine=engine)
    path = _demo_db(s)
    indicators, pilots = demo_inputs(s, indicators, pilots)
    demo = s.db is None
    if demo and store is None and (s.demo_dir / "programme.sqlite").exists():
        store = _store(None)
    options = SiteOptions(
        policy=Policy(suppress_max, round_to), region=region, assets=assets, demo=demo,
        languages=tuple(language) if language else SiteOptions().languages,
        tiles=tiles or "", tiles_attribution=tiles_attribution,
        wards=wards or _demo_file(s, demo, "wards.geojson"),
        postcodes=postcodes or _demo_file(s, demo, "directory/postcodes.csv"),
    )  # fmt: skip
    if each:
        _sna_each(s, path, out, each, options, indicators)
        return
    services = _service_locations(store) if store else None
    began = time.perf_counter()
    with _reading(s, path) as wh, _crime_source(s) as crimes, steps("sna") as say:
        run = run_sna(wh, out, indicators=indicators, pilots=pilots, options=options,
                      work=work, progress=say, services=services, crimes=crimes)  # fmt: skip
    sup = run.suppressed
    console.print(
        f"{len(run.pages)} pages in {len(options.languages)} languages; "
        f"{sup['primary']} counts suppressed, {sup['secondary']} withheld, "
        f"{sup['blanked']} not published; took {time.perf_counter() - began:.1f} s."
    )
    index = (out / "index.html").resolve()
    console.print(f"Site written to [bold]{out.resolve()}[/bold]: open {index} in a browser.")


def _demo_file(s: Settings, demo: bool, name: str) -> Path | None:
    """A file of the demo region's (its wards, its postcodes) when it is the demo published."""
    path = s.demo_dir / name
    return path if demo and path.exists() else None


def _sna_each(
    s: Settings, path: Path, out: Path, each: str, options: SiteOptions, indicators: list[Path]
) -> None:
    """``sna --each``: a site per CSP or force, and the index."""
    from vrukit.jobs.sna_each import run_sna_each

    began = time.perf_counter()
    with _reading(s, path) as wh, _crime_source(s) as crimes, steps("sna") as say:
        entries = run_sna_each(wh, out, each, options=options, indicators=indicators,
                               crimes=crimes, progress=say)  # fmt: skip
    built = [e for e in entries if e.pages is not None]
    for e in entries:
        if e.pages is None:
            console.print(f"[yellow]{e.name}: not built: {e.problem}[/]")
    minutes = (time.perf_counter() - began) / 60
    console.print(
        f"{len(built)} of {len(entries)} sites written in {minutes:.1f} minutes "
        f"({len(built) / max(minutes, 1e-9):.1f} a minute); open {(out / 'index.html').resolve()}"
    )


def _service_locations(store: str) -> pd.DataFrame:
    """The Youth Map's service locations in the programme store at ``store``."""
    from vrukit.directory.search import service_locations
    from vrukit.programme.db import session

    with session(store) as ses:
        return service_locations(ses)


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


@app.command()
def evaluate(
    out: Annotated[Path, out_option("Folder for the tables, charts and page.")] = Path(
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
def status(db: DbOption = None) -> None:
    """Row counts of every table in the warehouse."""
    with _warehouse(_settings(db), for_ingest=False) as wh:
        t = Table(title=f"warehouse {wh.path}")
        t.add_column("table")
        t.add_column("rows", justify="right")
        for name, n in wh.counts().items():
            t.add_row(name, f"{n:,}")
        console.print(t)
        _print_log(wh.table("ingest_log").to_pandas())


def _print_log(log: pd.DataFrame) -> None:
    """The reference files loaded (each with its note: repairs, areas without a row), and how
    many police.uk and ISTV files."""
    ref = log[~log.kind.isin(["policeuk-street", "istv"])].sort_values("ingest_id")
    if len(ref):
        t = Table(title="Reference files loaded")
        for col in ("kind", "file", "read", "loaded", "left out", "note"):
            t.add_column(col, overflow="fold")
        for r in ref.itertuples():
            note = r.message if isinstance(r.message, str) else ""
            t.add_row(str(r.kind), str(r.source_key), f"{r.rows_read:,}", f"{r.rows_accepted:,}",
                      f"{r.rows_quarantined:,}", note)  # fmt: skip
        console.print(t)
    for kind, g in log[log.kind.isin(["policeuk-street", "istv"])].groupby("kind"):
        console.print(f"{len(g):,} {kind} files: {int(g.rows_read.sum()):,} rows read, "
                      f"{int(g.rows_quarantined.sum()):,} quarantined")  # fmt: skip
