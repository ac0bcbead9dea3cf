"""The surveillance job: read a selection from the warehouse, run the small-area analytics, write
tidy tables (CSV, JSON, GeoJSON) that docs/methods.md documents column by column.

The warehouse does the relational work (filter, group, count) through Ibis; the statistics take
frames from ``vrukit.analysis``; this module only joins them and writes files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import ibis.expr.types as ir
import numpy as np
import pandas as pd
import shapely

from vrukit import jsonio
from vrukit.analysis.concentration import concentration, lorenz
from vrukit.analysis.emerging import emerging_hotspots
from vrukit.analysis.harm import HarmTable, harm_weighted, load_harm_table
from vrukit.analysis.hexes import cells_of
from vrukit.analysis.hotspots import hotspots
from vrukit.analysis.neighbours import Neighbours, knn, queen
from vrukit.analysis.rates import monthly_trend, rates, year_on_year
from vrukit.errors import ConfigError, SchemaError, VrukitError
from vrukit.jobs.maps import density_surface, hex_emerging, hex_layer, peak_area, write_geojson
from vrukit.store import relational
from vrukit.store.relational import Selection
from vrukit.store.warehouse import Warehouse

__all__ = [
    "AREA_COLUMNS",
    "AreaPicture",
    "Selection",
    "SurveillanceRun",
    "area_neighbours",
    "area_picture",
    "areas_of_vintage",
    "monthly_counts",
    "run_analysis",
]

#: The fewest areas an analysis compares (Gi* and the risk model need neighbours and spread).
MIN_AREAS = 30

AREA_COLUMNS = [
    "area_code",
    "area_name",
    "lad_code",
    "lad_name",
    "population",
    "count",
    "rate_per_1000",
    "rate_lo",
    "rate_hi",
    "harm",
    "harm_per_1000",
]


@dataclass
class SurveillanceRun:
    """What ``run_analysis`` chose, found and wrote; ``choices`` are announced to the user."""

    out: Path
    choices: dict[str, object] = field(default_factory=dict)
    summary: dict[str, object] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def _crimes(wh: Warehouse, crimes: ir.Table | None) -> ir.Table:
    """The crimes to read: an engine's table over the lake when given, else the warehouse's."""
    return wh.table("crimes") if crimes is None else crimes


def _counts(wh: Warehouse, sel: Selection, crimes: ir.Table | None = None) -> pd.DataFrame:
    return relational.counts(_crimes(wh, crimes), sel).to_pandas()


def monthly_counts(
    wh: Warehouse, selection: Selection = Selection(), *, crimes: ir.Table | None = None
) -> pd.DataFrame:
    """Crimes of the selection per LSOA, month and crime type (``lsoa_code, month, crime_type,
    count``), over the selection's whole month range; from ``crimes`` (an engine's table over the
    lake) when given, else from the warehouse."""
    return _counts(wh, selection, crimes)


def _points(
    crimes: ir.Table,
    sel: Selection,
    first: dt.date,
    last: dt.date,
    codes: pd.Series,
    table: HarmTable | None = None,
) -> pd.DataFrame:
    """Crimes in the period at each location (lon, lat, count), in the loaded areas; with a harm
    table, their harm too (counted by crime type on the engine, weighted here in a fixed order,
    so every engine gives the same sums)."""
    if table is None:
        return relational.points(crimes, codes, sel, first, last).to_pandas()
    typed = relational.points(crimes, codes, sel, first, last, by_type=True).to_pandas()
    typed = harm_weighted(typed.sort_values(["lon", "lat", "crime_type"]), table)
    return typed.groupby(["lon", "lat"], as_index=False, sort=True)[["count", "harm"]].sum()


@dataclass
class _HexSeries:
    """The selection's located crimes over every month of the series, for emerging hotspots on
    hexagons: the distinct map points once, then per resolution a count per hexagon and month."""

    crimes: ir.Table
    selection: Selection
    codes: pd.Series
    months: list[object]

    @cached_property
    def locations(self) -> pd.DataFrame:
        return _points(self.crimes, self.selection, *self._span, self.codes)

    @property
    def _span(self) -> tuple[dt.date, dt.date]:
        return pd.Timestamp(self.months[0]).date(), pd.Timestamp(self.months[-1]).date()

    def cell_months(self, resolution: int) -> pd.DataFrame:
        """Crimes per hexagon and month (``cell, month, count``), each located crime once."""
        locs = self.locations[["lon", "lat"]]
        locs = locs.assign(cell=cells_of(locs.lon.to_numpy(), locs.lat.to_numpy(), resolution))
        per = relational.cell_months(self.crimes, self.codes, self.selection, *self._span, locs)
        out = per.to_pandas()
        located, counted = int(self.locations["count"].sum()), int(out["count"].sum())
        if counted != located:
            raise SchemaError(
                "hexagons",
                f"{located:,} crimes at map points but {counted:,} per hexagon and month: the "
                "join of map points to hexagons lost or doubled some",
            )
        return out

    def patterns(self, nb: Neighbours, resolution: int, alpha: float) -> pd.DataFrame:
        """The emerging hotspot pattern of each hexagon of ``nb`` (its ring-1 neighbours)."""
        return hex_emerging(self.cell_months(resolution), nb, self.months, alpha=alpha)


def _map_window(months: pd.Series, map_months: int | None) -> tuple[dt.date, dt.date]:
    """The first and last month the map covers: the last ``map_months`` calendar months."""
    last = pd.Timestamp(months.max())
    first = pd.Timestamp(months.min())
    if map_months is not None:
        if map_months < 1:
            raise ConfigError(f"map months is {map_months}: it must be 1 or more (or none)")
        first = max(first, last - pd.DateOffset(months=map_months - 1))
    return first.date(), last.date()


def areas_of_vintage(wh: Warehouse, codes: pd.Series) -> pd.DataFrame:
    """The warehouse's areas of the LSOA vintage that best covers ``codes``, sorted by code."""
    a = wh.table("areas").to_pandas()
    if a.empty:
        raise SchemaError(
            "areas", "the warehouse has no areas: load boundaries first (vrukit ingest boundaries)"
        )
    # distinct codes first: isin over 12 million counts' codes took a minute (national, 10 years)
    distinct = pd.Series(codes).drop_duplicates()
    best = a.groupby("vintage").lsoa_code.apply(lambda s: s.isin(distinct).sum()).idxmax()
    return a[a.vintage == best].sort_values("lsoa_code").reset_index(drop=True)


def area_neighbours(areas: pd.DataFrame, rule: str) -> Neighbours:
    """Queen contiguity from the boundaries (``rule="queen"``, when every area has one), else
    the 8 nearest centroids."""
    if rule not in ("queen", "knn"):
        raise ConfigError(f"neighbour rule {rule!r} is not one of: queen, knn")
    ids = areas.lsoa_code.to_numpy()
    if rule == "queen" and areas.geometry_wkb.notna().all():
        return queen(shapely.from_wkb(areas.geometry_wkb.to_numpy()), ids)
    xy = areas[["centroid_easting", "centroid_northing"]].to_numpy()
    return knn(xy, ids, k=8)


def _area_table(areas: pd.DataFrame, counts: pd.DataFrame, table: HarmTable) -> pd.DataFrame:
    weighted = harm_weighted(counts, table)
    per = weighted.groupby("lsoa_code")[["count", "harm"]].sum()
    out = areas[["lsoa_code", "lsoa_name", "lad_code", "lad_name", "population"]].copy()
    out = out.join(per, on="lsoa_code").fillna({"count": 0, "harm": 0.0})
    out["count"] = out["count"].astype(int)
    out = rates(out)
    out["harm_per_1000"] = 1000 * out.harm / out.population.astype(float).where(out.population > 0)
    out = out.rename(columns={"lsoa_code": "area_code", "lsoa_name": "area_name"})
    return out[AREA_COLUMNS]


def _rollup(area_table: pd.DataFrame) -> pd.DataFrame:
    g = area_table.groupby(["lad_code", "lad_name"], as_index=False, dropna=False)
    la = g[["population", "count", "harm"]].sum()
    total = pd.DataFrame(
        [{"lad_code": "ALL", "lad_name": "Whole region", **area_table[["population", "count",
                                                                        "harm"]].sum()}]
    )  # fmt: skip
    out = rates(pd.concat([la, total], ignore_index=True))
    out["count"] = out["count"].astype(int)
    return out


def _time(counts: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, object]]:
    series = counts.groupby("month", as_index=False)["count"].sum().sort_values("month")
    series["month"] = pd.to_datetime(series.month).dt.strftime("%Y-%m")
    info: dict[str, object] = {"months": len(series)}
    if len(series) >= 3:
        trend = monthly_trend(series)
        series["fitted"] = trend.pop("fitted")
        info["trend"] = trend
    if len(series) >= 24:
        last12, prev12 = series["count"].iloc[-12:].sum(), series["count"].iloc[-24:-12].sum()
        info["year_on_year"] = year_on_year(prev12, last12)
    else:
        info["year_on_year"] = f"needs 24 months, the selection has {len(series)}"
    return series, info


@dataclass(frozen=True)
class AreaPicture:
    """One selection seen area by area: the areas and their neighbours, the counts inside and
    outside them, the mapped window's rates and harm (``area_table``, ``AREA_COLUMNS``) and its
    hotspots. The shared first step of the surveillance and risk jobs."""

    areas: pd.DataFrame
    inside: pd.DataFrame
    outside: pd.DataFrame
    mapped: pd.DataFrame
    map_first: dt.date
    map_last: dt.date
    table: HarmTable
    nb: Neighbours
    area_table: pd.DataFrame
    hotspots: pd.DataFrame
    choices: dict[str, object]


def _nothing_selected(sel: Selection, *, lake: bool) -> str:
    """Why there is nothing to analyse, in words, with what to do about it."""
    months = f"{sel.first_month or 'the first month loaded'} to {sel.last_month or 'the last'}"
    where = "lake" if lake else "warehouse"
    return (
        f"no crimes of the types {', '.join(sel.crime_types)} from {months} are in the {where}; "
        f"check the crime types and months, or load police.uk files (`vrukit "
        f"{'lake ingest' if lake else 'ingest police'}`, or `vrukit demo` for the demo region)"
    )


def area_picture(
    wh: Warehouse,
    selection: Selection = Selection(),
    *,
    harm_table: str | Path = "css",
    neighbours: str = "queen",
    permutations: int = 9999,
    seed: int = 2021,
    alpha: float = 0.05,
    progress: Callable[[str], None] | None = None,
    crimes: ir.Table | None = None,
) -> AreaPicture:
    """Count the selection per area, rate and harm-weight the mapped window, find hotspots.

    The counting runs on ``crimes`` when given (an :class:`vrukit.store.engine.Engine`'s table over
    the Parquet lake, on DuckDB or Spark), else on the warehouse; areas come from the warehouse.
    """
    say = progress or (lambda _m: None)
    say("counting crimes in the warehouse" if crimes is None else "counting crimes in the lake")
    counts = _counts(wh, selection, crimes)
    if counts.empty:
        raise SchemaError("selection", _nothing_selected(selection, lake=crimes is not None))
    areas = areas_of_vintage(wh, counts.lsoa_code)
    if selection.areas:
        areas = areas[areas.lsoa_code.isin(selection.areas)].reset_index(drop=True)
    if len(areas) < MIN_AREAS:
        raise VrukitError(
            f"the selection covers {len(areas)} small area(s): hot spots, trends by area and the "
            f"risk model compare areas with their neighbours and need at least {MIN_AREAS}; "
            "choose a whole local authority or more"
        )
    inside = counts[counts.lsoa_code.isin(areas.lsoa_code)]
    map_first, map_last = _map_window(inside.month, selection.map_months)
    mapped = inside[pd.to_datetime(inside.month) >= pd.Timestamp(map_first)]
    table = load_harm_table(harm_table)
    nb = area_neighbours(areas, neighbours)
    choices: dict[str, object] = {
        "crime_types": list(selection.crime_types),
        "months": [str(inside.month.min())[:7], str(inside.month.max())[:7]],
        "map_months": [str(map_first)[:7], str(map_last)[:7]],
        "areas": len(areas),
        "neighbours": nb.rule,
        "islands": len(nb.islands),
        "permutations": permutations,
        "seed": seed,
        "alpha": alpha,
        "correction": "Benjamini-Hochberg FDR",
        "harm_table": f"{table.name} {table.edition}",
    }
    say("rates and harm")
    area_table = _area_table(areas, mapped, table)
    say("hotspots")
    hs = hotspots(
        area_table["count"].to_numpy(), nb, permutations=permutations, seed=seed, alpha=alpha
    )
    return AreaPicture(
        areas, inside, counts[~counts.lsoa_code.isin(areas.lsoa_code)], mapped, map_first,
        map_last, table, nb, area_table, hs, choices,
    )  # fmt: skip


def run_analysis(
    wh: Warehouse,
    out: Path,
    *,
    selection: Selection = Selection(),
    harm_table: str | Path = "css",
    neighbours: str = "queen",
    permutations: int = 9999,
    seed: int = 2021,
    alpha: float = 0.05,
    hex_resolutions: Sequence[int] = (8,),
    kde_cell: float = 100.0,
    kde_bandwidth: float | None = None,
    progress: Callable[[str], None] | None = None,
    crimes: ir.Table | None = None,
) -> SurveillanceRun:
    """Analyse the selection and write every table into ``out`` (crimes from ``crimes``, an
    engine's table over the lake, when given; else from the warehouse)."""
    say = progress or (lambda _m: None)
    out.mkdir(parents=True, exist_ok=True)
    run = SurveillanceRun(out)
    pic = area_picture(
        wh, selection, harm_table=harm_table, neighbours=neighbours, permutations=permutations,
        seed=seed, alpha=alpha, progress=say, crimes=crimes,
    )  # fmt: skip
    areas, inside, mapped, table, nb = pic.areas, pic.inside, pic.mapped, pic.table, pic.nb
    area_table, hs = pic.area_table, pic.hotspots
    polygons = areas.geometry_wkb.notna().all()
    run.choices = {**pic.choices, "hex_resolutions": list(hex_resolutions) if polygons else []}
    say("emerging hotspots")
    cube = (
        inside.groupby(["lsoa_code", "month"])["count"].sum().unstack(fill_value=0)
        .reindex(index=nb.ids, fill_value=0)
    )  # fmt: skip
    emerging = emerging_hotspots(cube.to_numpy(), nb, alpha=alpha) if cube.shape[1] >= 3 else None
    say("concentration, rollups and trend")
    conc = concentration(
        {"count": area_table["count"].to_numpy(), "harm": area_table.harm.to_numpy()}
    )
    la = _rollup(area_table)
    series, time_info = _time(inside)

    def write(name: str, frame: pd.DataFrame) -> None:
        frame.to_csv(out / name, index=False)
        run.files.append(out / name)

    write("areas.csv", area_table)
    write("hotspots.csv", hs)
    if emerging is not None:
        write("emerging.csv", emerging)
    write("local_authorities.csv", la)
    write("monthly.csv", series)
    write("lorenz.csv", lorenz(area_table["count"].to_numpy()))
    (out / "concentration.json").write_text(jsonio.dumps(conc, indent=1))
    run.files.append(out / "concentration.json")
    maps: dict[str, object] = {}
    if polygons:
        geoms = shapely.from_wkb(areas.geometry_wkb.to_numpy())
        merged = area_table.merge(
            hs[["area_code", "gi_z", "gi_class", "lisa_class"]], on="area_code"
        )
        if emerging is not None:
            merged = merged.merge(emerging[["area_code", "pattern"]], on="area_code")
        write_geojson(geoms, merged, out / "areas.geojson")
        run.files.append(out / "areas.geojson")
        say("hexagons and density surface")
        located = _crimes(wh, crimes)
        points = _points(located, selection, pic.map_first, pic.map_last, areas.lsoa_code, table)
        series = None
        if emerging is not None:
            series = _HexSeries(located, selection, areas.lsoa_code, list(cube.columns))
        maps = _point_layers(
            run, points, areas, geoms, hex_resolutions, permutations, seed, alpha, kde_cell,
            kde_bandwidth, series,
        )  # fmt: skip
    outside = pic.outside[pd.to_datetime(pic.outside.month) >= pd.Timestamp(pic.map_first)]
    run.summary = _summary(area_table, hs, emerging, conc, time_info, outside, mapped, table)
    # a crime without a location belongs to no area: counted only where the areas are the
    # files' whole area (not one CSP of a force's files, where most crimes fall outside them)
    part = selection.areas or outside["count"].sum() > mapped["count"].sum()
    run.summary["crimes_no_location"] = (
        None
        if part
        else relational.without_lsoa(_crimes(wh, crimes), selection, pic.map_first, pic.map_last)
    )
    run.summary["maps"] = maps
    meta = {"choices": run.choices, "summary": run.summary, "harm_table": table.describe()}
    (out / "summary.json").write_text(jsonio.dumps(meta, indent=1, default=str))
    run.files.append(out / "summary.json")
    return run


def _point_layers(
    run: SurveillanceRun,
    points: pd.DataFrame,
    areas: pd.DataFrame,
    geoms: np.ndarray,
    resolutions: Sequence[int],
    permutations: int,
    seed: int,
    alpha: float,
    cell: float,
    bandwidth: float | None,
    series: _HexSeries | None,
) -> dict[str, object]:
    """Hexagon tables and GeoJSON per resolution (with each hexagon's emerging hotspot pattern
    given the ``series``), and the density grid; what they found."""
    info: dict[str, object] = {"located_crimes": int(points["count"].sum())}
    pop = areas.population.fillna(0).to_numpy(float)
    for res in resolutions:
        table, polys, nb = hex_layer(points, geoms, pop, res, permutations=permutations,
                                     seed=seed, alpha=alpha)  # fmt: skip
        info[f"hexes_r{res}"] = _write_hexes(run, table, polys, nb, res, series, alpha)
    if len(points) >= 2:
        x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(geoms))
        surface = density_surface(points, (x0, y0, x1, y1), cell=cell, bandwidth=bandwidth)
        run.files += surface.write_ascii_grid(run.out / "density.asc")
        described = surface.describe()
        described["peak_at"] = peak_area(surface, geoms, areas.lsoa_name.to_numpy())
        info["density"] = described
        run.choices["density"] = (
            f"quartic kernel, bandwidth {described['bandwidth_m']:,.0f} m "
            f"({surface.bandwidth_rule}), "
            f"{surface.cell:g} m cells"
        )
    return info


def _write_hexes(
    run: SurveillanceRun,
    table: pd.DataFrame,
    polygons: np.ndarray,
    nb: Neighbours,
    res: int,
    series: _HexSeries | None,
    alpha: float,
) -> dict[str, object]:
    """One resolution's files: the hexagon table and GeoJSON, their concentration and (given the
    ``series``) emerging hotspot patterns; what they found."""
    conc = concentration({"count": table["count"].to_numpy(float), "harm": table.harm.to_numpy()})
    found: dict[str, object] = {
        "hexagons": len(table),
        "hot_spots": int((table.gi_class == "hot spot").sum()),
        "mean_area_km2": float(table.area_km2.mean()),
        "concentration": conc["count"],
    }
    (run.out / f"concentration_r{res}.json").write_text(jsonio.dumps(conc, indent=1))
    run.files.append(run.out / f"concentration_r{res}.json")
    if series is not None:
        emerging = series.patterns(nb, res, alpha)
        emerging.to_csv(run.out / f"emerging_r{res}.csv", index=False)
        run.files.append(run.out / f"emerging_r{res}.csv")
        table = table.merge(emerging[["hex_id", "pattern"]], on="hex_id", validate="1:1")
        found["emerging_patterns"] = emerging.pattern.value_counts().to_dict()
    table.to_csv(run.out / f"hexes_r{res}.csv", index=False)
    write_geojson(polygons, table, run.out / f"hexes_r{res}.geojson")
    run.files += [run.out / f"hexes_r{res}.csv", run.out / f"hexes_r{res}.geojson"]
    return found


def _summary(
    area_table: pd.DataFrame,
    hs: pd.DataFrame,
    emerging: pd.DataFrame | None,
    conc: dict[str, dict[str, float]],
    time_info: dict[str, object],
    outside: pd.DataFrame,
    inside: pd.DataFrame,
    table: HarmTable,
) -> dict[str, object]:
    top = area_table.sort_values("count", ascending=False).head(5)
    has_pop = area_table.population.fillna(0) > 0
    s: dict[str, object] = {
        "crimes": int(inside["count"].sum()),
        "crimes_outside_areas": int(outside["count"].sum()),
        # a rate only over areas with residents; the others are counted and named, never NaN
        "rate_per_1000": (
            float(1000 * area_table["count"][has_pop].sum() / area_table.population[has_pop].sum())
            if has_pop.any()
            else None
        ),
        "areas_without_population": sorted(area_table.area_code[~has_pop].astype(str)),
        "hot_spots": int((hs.gi_class == "hot spot").sum()),
        "hot_spot_places": int(hs.hot_spot_group.max()) if hs.hot_spot_group.notna().any() else 0,
        "cold_spots": int((hs.gi_class == "cold spot").sum()),
        "top_areas": top[["area_code", "area_name", "count"]].to_dict("records"),
        "concentration": conc,
        "time": time_info,
        "harm_unit": table.unit,
    }
    if emerging is not None:
        s["emerging_patterns"] = emerging.pattern.value_counts().to_dict()
    return s
