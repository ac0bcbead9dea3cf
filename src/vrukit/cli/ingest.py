"""``vrukit ingest ...`` and ``vrukit fetch police``: partners' published files into the
warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from vrukit.cli._app import (
    console,
    fetch_app,
    ingest_app,
)
from vrukit.cli._common import (
    _progress,
    _settings,
    _warehouse,
    print_report,
)
from vrukit.cli._options import (
    ApiFirstMonth,
    ApiLastMonth,
    DbOption,
    Neighbourhood,
    Polygon,
)
from vrukit.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from vrukit.store.warehouse import Warehouse


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

    frame = read_boundaries(path)
    _load_reference(db, "boundaries", frame, "areas", path, "areas")
    repairs = frame.attrs.get("repairs", [])
    if repairs:
        table = Table(
            title=f"{len(repairs)} invalid polygon(s) mended on load", title_justify="left"
        )
        for col in ("LSOA", "line", "problem", "action", "area before m2", "after m2"):
            table.add_column(col)
        for r in repairs:
            table.add_row(
                str(r["lsoa_code"]), str(r["line"]), str(r["reason"]), str(r["action"]),
                f"{r['area_before_m2']:,.0f}", f"{r['area_after_m2']:,.0f}",
            )  # fmt: skip
        console.print(table)


@ingest_app.command("iod")
def ingest_iod(
    paths: Annotated[
        list[Path], typer.Argument(help="IoD2019 or IoD2025: File 7, or Files 1 to 6 together.")
    ],
    db: DbOption = None,
) -> None:
    """Load the English Indices of Deprivation (2019 on LSOA 2011, 2025 on LSOA 2021)."""
    from vrukit.ingest.reference import read_iod

    frame = read_iod(paths)
    edition = str(frame.edition.iloc[0])
    _load_reference(db, edition.lower(), frame, "deprivation", paths[-1], f"{edition} LSOAs")


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
        n = wh.apply_area_lookup(read_area_lookup(path), source=path)
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
    neighbourhood: Neighbourhood = None,
    polygon: Polygon = None,
    first: ApiFirstMonth = None,
    last: ApiLastMonth = None,
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
