"""The hotspot accuracy job: monthly counts per area (and per map point) from the warehouse,
every way vrukit finds hotspots fitted and scored by rolling origin on areas, H3 hexagons and
density grid cells (``vrukit.analysis.predictive``), and the tables written (docs/methods.md,
"Do the hotspots predict?")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd
import shapely

from vrukit import jsonio
from vrukit.analysis.predictive import Accuracy, hotspot_accuracy
from vrukit.analysis.predictive_points import POINT_COLUMNS, PointUnits, grid_units, hex_units
from vrukit.csvio import write_csv
from vrukit.errors import ConfigError, SchemaError
from vrukit.jobs.analyse import MIN_AREAS, Selection, area_neighbours
from vrukit.jobs.forecast import area_series
from vrukit.store import relational
from vrukit.store.warehouse import Warehouse

__all__ = ["ACCURACY_FILES", "HEX_METHODS", "AccuracyRun", "area_units", "map_points",
           "run_accuracy"]  # fmt: skip

#: The methods scored on hexagons (as ``vrukit analyse`` maps them: counts, Gi*, emerging).
HEX_METHODS = ("gi_star", "top_count", "prior_count", "emerging")

#: What the job writes, by role.
ACCURACY_FILES = {
    "table": "hotspot_accuracy.csv",
    "summary": "hotspot_accuracy_summary.csv",
    "stability": "hotspot_stability.csv",
    "selections": "hotspot_selections.csv",
    "choices": "hotspot_accuracy.json",
}


@dataclass
class AccuracyRun:
    """What ``run_accuracy`` found and wrote."""

    accuracy: Accuracy
    files: list[Path] = field(default_factory=list)


def area_units(areas: pd.DataFrame) -> pd.DataFrame:
    """``area_code, area_km2, population`` of the warehouse's areas, the area from their
    boundaries (EPSG:27700 metres); a clear error when any area has none."""
    missing = areas.lsoa_code[areas.geometry_wkb.isna()]
    if len(missing):
        raise ConfigError(
            f"{len(missing)} area(s) have no boundary, e.g. {missing.iloc[0]!r}: hotspot "
            "accuracy divides by each area's size; load boundaries (`vrukit ingest boundaries`)"
        )
    km2 = shapely.area(shapely.from_wkb(areas.geometry_wkb.to_numpy())) / 1e6
    return pd.DataFrame(
        {"area_code": areas.lsoa_code.to_numpy(), "area_km2": km2,
         "population": areas.population.astype(float).to_numpy()}
    )  # fmt: skip


def map_points(
    wh: Warehouse, selection: Selection, codes: pd.Series, months: list[str]
) -> pd.DataFrame:
    """The selection's crimes at each police.uk map point and month (``POINT_COLUMNS``), in the
    areas ``codes``: the distinct points once, their months counted on the engine."""
    crimes = wh.table("crimes")
    first, last = (pd.Period(m, freq="M").to_timestamp().date() for m in (months[0], months[-1]))
    locs = relational.points(crimes, codes, selection, first, last).to_pandas()
    locs = locs.sort_values(["lon", "lat"]).reset_index(drop=True)
    locs["cell"] = [f"p{i}" for i in range(len(locs))]
    per = relational.cell_months(crimes, codes, selection, first, last, locs).to_pandas()
    if int(per["count"].sum()) != int(locs["count"].sum()):
        raise SchemaError(
            "points", f"{int(locs['count'].sum()):,} crimes at map points but "
            f"{int(per['count'].sum()):,} per point and month: the join lost or doubled some",
        )  # fmt: skip
    out = per.merge(locs[["cell", "lon", "lat"]], on="cell", validate="m:1")
    out["month"] = pd.to_datetime(out.month).dt.strftime("%Y-%m")
    return out.sort_values(["lon", "lat", "month"], ignore_index=True)[POINT_COLUMNS]


def _labelled(acc: Accuracy, labels: dict[str, str]) -> Accuracy:
    """``acc`` with its methods renamed (e.g. gi_star on hexagons as hex_r8_gi_star)."""
    table, summary, stability, selections = (
        f.assign(method=f.method.map(labels))
        for f in (acc.table, acc.summary, acc.stability, acc.selections)
    )
    return Accuracy(table, summary, stability, selections, acc.choices)


def _combined(parts: dict[str, Accuracy]) -> Accuracy:
    def joined(name: str) -> pd.DataFrame:
        return pd.concat([getattr(a, name) for a in parts.values()], ignore_index=True)

    return Accuracy(joined("table"), joined("summary"), joined("stability"),
                    joined("selections"), {k: a.choices for k, a in parts.items()})  # fmt: skip


def _point_parts(
    wh: Warehouse, sel: Selection, areas: pd.DataFrame, months: list[str], hex_resolution: int,
    kde_cell: float, score: Callable[..., Accuracy], say: Callable[[str], None],
) -> dict[str, Accuracy]:  # fmt: skip
    """Hotspots from map points: the hexagon methods and the kernel density cells."""
    say("placing crimes at their map points")
    points = map_points(wh, sel, areas.lsoa_code, months)
    polygons = shapely.from_wkb(areas.geometry_wkb.to_numpy())
    hexes = f"hex_r{hex_resolution}"
    kde = f"kde_{kde_cell:g}m"
    built: dict[str, tuple[PointUnits, tuple[str, ...], dict[str, str]]] = {
        hexes: (hex_units(points, months, polygons, resolution=hex_resolution), HEX_METHODS,
                {m: f"{hexes}_{m}" for m in HEX_METHODS}),
        kde: (grid_units(points, months, polygons, cell=kde_cell), ("kde",), {"kde": kde}),
    }  # fmt: skip
    parts = {}
    for key, (pu, methods, labels) in built.items():

        def said(message: str, kind: str = pu.kind) -> None:
            say(f"{kind}: {message}")

        acc = score(pu.counts, pu.units, pu.nb, methods=methods, kde_cell=kde_cell, say=said)
        acc.choices.update(units_kind=pu.kind, crimes_left_out=pu.left_out)
        parts[key] = _labelled(acc, labels)
    return parts


def run_accuracy(
    wh: Warehouse, out: Path | str, *, selection: Selection | None = None,
    neighbours: str = "queen", fit_months: int = 12, horizon: int = 3, step: int = 3,
    top_n: int | None = None, alpha: float = 0.05, points: bool = True, hex_resolution: int = 8,
    kde_cell: float = 100.0, say: Callable[[str], None] = lambda _m: None,
) -> AccuracyRun:  # fmt: skip
    """Score every hotspot method by rolling origin over the selection's months and write the
    tables (``ACCURACY_FILES``) into ``out``: on areas, and with ``points`` also on H3 hexagons
    at ``hex_resolution`` and on density grid cells of ``kde_cell`` metres (``top_n`` is for
    areas; hexagons and cells take the default share). ``choices`` holds each unit set's."""
    out = Path(out)
    sel = selection or Selection()
    say("counting crimes per area and month")
    wide, areas, months = area_series(wh, sel)
    if len(areas) < MIN_AREAS:
        raise ConfigError(
            f"the warehouse has {len(areas)} small area(s): hotspots are found by comparing "
            f"areas with their neighbours, and scoring them needs at least {MIN_AREAS}"
        )
    if len(months) < fit_months + horizon:
        raise ConfigError(
            f"the selection has {len(months)} month(s) ({months[0]} to {months[-1]}): fitting "
            f"on {fit_months} and scoring the next {horizon} needs at least "
            f"{fit_months + horizon}; load more months or lower --fit-months"
        )
    units = area_units(areas)
    nb = area_neighbours(areas, neighbours)
    score = partial(hotspot_accuracy, fit_months=fit_months, horizon=horizon, step=step,
                    alpha=alpha)  # fmt: skip
    parts = {"areas": score(wide, units, nb, top_n=top_n, say=say)}
    if points:
        parts |= _point_parts(wh, sel, areas, months, hex_resolution, kde_cell, score, say)
    acc = _combined(parts)
    out.mkdir(parents=True, exist_ok=True)
    run = AccuracyRun(acc)
    for role, frame in (("table", acc.table), ("summary", acc.summary),
                        ("stability", acc.stability), ("selections", acc.selections)):  # fmt: skip
        run.files.append(out / ACCURACY_FILES[role])
        write_csv(frame, run.files[-1])
    meta = {
        "data": {"first_month": months[0], "last_month": months[-1], "areas": len(units),
                 "crime_types": list(sel.crime_types)},
        "choices": acc.choices,
    }  # fmt: skip
    run.files.append(out / ACCURACY_FILES["choices"])
    run.files[-1].write_text(jsonio.dumps(meta, indent=1))
    return run
