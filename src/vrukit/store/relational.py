"""The relational steps of the surveillance and risk jobs, as engine-neutral Ibis expressions.

Every function here takes and returns Ibis tables and never executes anything, so the same
expression runs on whichever backend its input table lives on: the embedded DuckDB warehouse,
DuckDB over the partitioned Parquet lake, or Spark over the same lake (:mod:`vrukit.store.engine`).
Reference frames (areas, harm weights) join in as ``ibis.memtable``, which each backend uploads
itself. What comes out is small (one row per area, month and crime type): the spatial statistics
take it from there in Python. docs/scale.md draws the boundary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pandas as pd

from vrukit.errors import SchemaError
from vrukit.schemas import CRIME_TYPES, VIOLENCE_TYPES

__all__ = [
    "AREA_MONTH_COLUMNS",
    "Selection",
    "area_month",
    "cell_months",
    "counts",
    "located",
    "month_of",
    "points",
    "selected",
]

#: Columns of :func:`area_month`, in order; its rows are sorted by the first three.
AREA_MONTH_COLUMNS = [
    "lsoa_code",
    "month",
    "crime_type",
    "lad_code",
    "count",
    "harm",
    "population",
    "rate_per_1000",
]


@dataclass(frozen=True)
class Selection:
    """Which crimes to analyse: crime types and an inclusive month range (``YYYY-MM``).

    The time series (monthly trend, year-on-year change, emerging hotspots) use every month in the
    range. The map (areas, hotspots, concentration, rollups, hexagons, density) covers its last
    ``map_months`` months, 12 by default as an SNA reports "the year to ..."; so rates are annual.
    ``map_months=None`` maps the whole range. ``areas`` (LSOA codes) narrows the selection to
    those areas, e.g. one Community Safety Partnership's; empty means every area.
    """

    crime_types: tuple[str, ...] = VIOLENCE_TYPES
    first_month: str | None = None
    last_month: str | None = None
    map_months: int | None = 12
    areas: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """The one place a selection is checked: its crime types and its months."""
        bad = [c for c in self.crime_types if c not in CRIME_TYPES]
        if bad or not self.crime_types:
            raise SchemaError(
                "selection",
                f"crime type {bad[0]!r} is not one of: {', '.join(CRIME_TYPES)}"
                if bad
                else "no crime type selected",
            )
        first, last = month_of(self.first_month), month_of(self.last_month)
        if first and last and first > last:
            raise SchemaError(
                "selection",
                f"the first month ({self.first_month}) is after the last ({self.last_month})",
            )


def month_of(value: str | None) -> dt.date | None:
    """``YYYY-MM`` as the first day of that month (None stays None)."""
    if value is None:
        return None
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise SchemaError("selection", f"month {value!r} is not YYYY-MM") from None


def selected(
    crimes: ir.Table, sel: Selection, first: dt.date | None = None, last: dt.date | None = None
) -> ir.Table:
    """Crimes of the selection's types with an LSOA, from ``first`` to ``last`` (inclusive)."""
    f = crimes.crime_type.isin(list(sel.crime_types)) & crimes.lsoa_code.notnull()
    if sel.areas:
        f &= crimes.lsoa_code.isin(list(sel.areas))
    if first:
        f &= crimes.month >= first
    if last:
        f &= crimes.month <= last
    return crimes.filter(f)


def without_lsoa(crimes: ir.Table, sel: Selection, first: dt.date, last: dt.date) -> int:
    """How many crimes of the selection's types from ``first`` to ``last`` police.uk publishes
    without a location (no LSOA): in no area table or map, so counted apart."""
    f = crimes.crime_type.isin(list(sel.crime_types)) & crimes.lsoa_code.isnull()
    f &= (crimes.month >= first) & (crimes.month <= last)
    return int(crimes.filter(f).count().execute())


def counts(crimes: ir.Table, sel: Selection) -> ir.Table:
    """Crimes of the selection per LSOA, month and crime type (``lsoa_code, month, crime_type,
    count``) over the selection's whole month range."""
    s = selected(crimes, sel, month_of(sel.first_month), month_of(sel.last_month))
    return s.group_by(["lsoa_code", "month", "crime_type"]).aggregate(count=s.count())


def located(
    crimes: ir.Table, area_codes: pd.Series, sel: Selection, first: dt.date, last: dt.date
) -> ir.Table:
    """Crimes of the selection from ``first`` to ``last`` with a map point, in the areas
    ``area_codes`` only."""
    s = selected(crimes, sel, first, last)
    s = s.filter(s.longitude.notnull() & s.latitude.notnull())
    codes = ibis.memtable(pd.DataFrame({"lsoa_code": pd.Series(area_codes, dtype="string")}))
    return s.semi_join(codes, "lsoa_code")


def points(
    crimes: ir.Table,
    area_codes: pd.Series,
    sel: Selection,
    first: dt.date,
    last: dt.date,
    *,
    by_type: bool = False,
) -> ir.Table:
    """Crimes from ``first`` to ``last`` at each map point (``lon, lat, count``; ``lon, lat,
    crime_type, count`` with ``by_type``), in the areas ``area_codes`` only."""
    s = located(crimes, area_codes, sel, first, last)
    keys = ["longitude", "latitude", *(["crime_type"] if by_type else [])]
    g = s.group_by(keys).aggregate(count=s.count())
    return g.rename(lon="longitude", lat="latitude")


def cell_months(
    crimes: ir.Table,
    area_codes: pd.Series,
    sel: Selection,
    first: dt.date,
    last: dt.date,
    cells: pd.DataFrame,
) -> ir.Table:
    """Crimes per cell and month (``cell, month, count``) from ``first`` to ``last``, in the areas
    ``area_codes``; ``cells`` (``lon, lat, cell``) gives each map point's cell (an H3 hexagon).

    The point-to-cell step is done once per distinct map point in Python (H3 is not an engine
    function); the grouping by cell and month, over every crime, stays on the engine."""
    s = located(crimes, area_codes, sel, first, last)
    ref = ibis.memtable(
        pd.DataFrame(
            {
                "longitude": cells.lon.astype(float),
                "latitude": cells.lat.astype(float),
                "cell": cells.cell.astype("string"),
            }
        )
    )
    j = s.inner_join(ref, ["longitude", "latitude"])
    return j.group_by(["cell", "month"]).aggregate(count=j.count())


def area_month(
    crimes: ir.Table, areas: pd.DataFrame, weights: dict[str, float], sel: Selection
) -> ir.Table:
    """The aggregation to areas and months, joined to reference data: per LSOA of ``areas``, month
    and crime type, the count, its harm (count x the type's weight), the area's local authority
    and population, and the rate per 1,000 residents (NULL where the population is unknown).

    Only areas in ``areas`` (one LSOA vintage) are kept. Every value of a row comes from one
    multiplication or division, so two engines give bit-identical results.
    """
    missing = sorted(set(sel.crime_types) - set(weights))
    if missing:
        raise SchemaError("harm", f"the harm table has no weight for {missing[0]!r}; add it")
    ref = ibis.memtable(
        pd.DataFrame(
            {
                "lsoa_code": areas.lsoa_code.astype("string"),
                "lad_code": areas.lad_code.astype("string"),
                "population": pd.to_numeric(areas.population).astype("Int64"),
            }
        )
    )
    w = ibis.memtable(
        pd.DataFrame(
            {
                "crime_type": pd.Series(list(weights), dtype="string"),
                "weight": pd.Series(list(weights.values()), dtype="float64"),
            }
        )
    )
    c = counts(crimes, sel)
    j = c.join(ref, "lsoa_code").join(w, "crime_type")
    pop = j.population.cast("float64")
    rate = ibis.ifelse(j.population > 0, j["count"].cast("float64") * 1000.0 / pop, ibis.null())
    out = j.select(
        lsoa_code=j.lsoa_code,
        month=j.month,
        crime_type=j.crime_type,
        lad_code=j.lad_code,
        count=j["count"].cast("int64"),
        harm=j["count"].cast("float64") * j.weight,
        population=j.population.cast("int64"),
        rate_per_1000=rate.cast("float64"),
    )
    return out.order_by(["lsoa_code", "month", "crime_type"])
