"""The hotspot accuracy job: monthly counts per area from the warehouse, every way vrukit finds
hotspots fitted and scored by rolling origin (``vrukit.analysis.predictive``), and the tables
written (docs/methods.md, "Do the hotspots predict?")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import shapely

from vrukit import jsonio
from vrukit.analysis.predictive import Accuracy, hotspot_accuracy
from vrukit.csvio import write_csv
from vrukit.errors import ConfigError
from vrukit.jobs.analyse import MIN_AREAS, Selection, area_neighbours
from vrukit.jobs.forecast import area_series
from vrukit.store.warehouse import Warehouse

__all__ = ["ACCURACY_FILES", "AccuracyRun", "area_units", "run_accuracy"]

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


def run_accuracy(
    wh: Warehouse, out: Path | str, *, selection: Selection | None = None,
    neighbours: str = "queen", fit_months: int = 12, horizon: int = 3, step: int = 3,
    top_n: int | None = None, alpha: float = 0.05, say: Callable[[str], None] = lambda _m: None,
) -> AccuracyRun:  # fmt: skip
    """Score every hotspot method by rolling origin over the selection's months and write the
    tables (``ACCURACY_FILES``) into ``out``."""
    out = Path(out)
    say("counting crimes per area and month")
    wide, areas, months = area_series(wh, selection or Selection())
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
    acc = hotspot_accuracy(
        wide, units, nb, fit_months=fit_months, horizon=horizon, step=step, top_n=top_n,
        alpha=alpha, say=say,
    )  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    run = AccuracyRun(acc)
    for role, frame in (("table", acc.table), ("summary", acc.summary),
                        ("stability", acc.stability), ("selections", acc.selections)):  # fmt: skip
        run.files.append(out / ACCURACY_FILES[role])
        write_csv(frame, run.files[-1])
    sel = selection or Selection()
    meta = {
        "data": {"first_month": months[0], "last_month": months[-1], "areas": len(units),
                 "crime_types": list(sel.crime_types)},
        "choices": acc.choices,
    }  # fmt: skip
    run.files.append(out / ACCURACY_FILES["choices"])
    run.files[-1].write_text(jsonio.dumps(meta, indent=1))
    return run
