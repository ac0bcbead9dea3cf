"""What the SNA site shows, before disclosure control: the surveillance and risk jobs' tables,
regrouped into the tables the site publishes, and the sums that tie them together."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from vrukit.disclosure import Derived, Release, Table

__all__ = ["SiteData", "add_coverage", "load_site_data", "release"]

ALL = "ALL"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


@dataclass
class SiteData:
    """Raw tables (true counts) for the site, and what the jobs chose and found."""

    areas: pd.DataFrame
    las: pd.DataFrame
    monthly: pd.DataFrame
    monthly_types: pd.DataFrame
    types: list[str]
    window: tuple[str, str]
    months: tuple[str, str]
    analysis: dict[str, Any]
    risk: dict[str, Any]
    geometry: dict[str, bytes] = field(default_factory=dict)
    hexes: pd.DataFrame | None = None
    hex_geometry: dict[str, Any] = field(default_factory=dict)
    deciles: pd.DataFrame | None = None
    clusters: pd.DataFrame | None = None
    pilots: pd.DataFrame | None = None
    factors: pd.DataFrame | None = None
    gaps: pd.DataFrame | None = None
    coverage: pd.DataFrame | None = None
    lorenz: pd.DataFrame | None = None
    fitted: pd.DataFrame | None = None
    #: hospital (ISTV) tables of the mapped year: ``assaults``, ``hours``, ``days``, ``weapons``,
    #: ``age_sex`` (counts) and ``unknown`` (the share unknown to police), or None
    istv: dict[str, Any] | None = None
    #: The forecast's check for local authorities and, where it passed, their forecast
    #: (``vrukit.jobs.sna``): ``group`` (the decision and its figures), ``months``, ``table``.
    forecast: dict[str, Any] | None = None
    #: Each area method's out-of-sample scores (``vrukit.analysis.predictive`` summary).
    accuracy: pd.DataFrame | None = None
    #: Electoral wards (``vrukit.ingest.reference.read_wards``), for the maps' search and
    #: context: ``ward_code``, ``ward_name``, ``geometry_wkb`` (EPSG:27700).
    wards: pd.DataFrame | None = None
    #: Live postcodes of the site's areas (``vrukit.ingest.reference.read_postcodes``), so the
    #: maps' search finds a street by its postcode.
    postcodes: pd.DataFrame | None = None


def _month_str(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.strftime("%Y-%m")


def _windows(months: list[str], window: tuple[str, str]) -> tuple[list[str], list[str]]:
    """The mapped window's months and the same span just before it (when the data reach back)."""
    latest = [m for m in months if window[0] <= m <= window[1]]
    first = months.index(latest[0])
    prev = months[max(0, first - len(latest)) : first]
    return latest, prev if len(prev) == len(latest) else []


def load_site_data(
    analysis: Path, risk: Path | None, counts: pd.DataFrame, areas_geo: pd.DataFrame
) -> SiteData:
    """Read the jobs' output folders; ``counts`` is ``monthly_counts`` of the same selection and
    ``areas_geo`` the warehouse's areas (``lsoa_code``, ``geometry_wkb``)."""
    a_sum = json.loads((analysis / "summary.json").read_text())
    window = tuple(a_sum["choices"]["map_months"])
    areas = pd.read_csv(analysis / "areas.csv", dtype={"area_code": str, "lad_code": str})
    hs = pd.read_csv(analysis / "hotspots.csv", usecols=["area_code", "gi_class"])
    areas = areas.merge(hs, on="area_code", how="left")
    if (analysis / "emerging.csv").exists():
        em = pd.read_csv(analysis / "emerging.csv", usecols=["area_code", "pattern"])
        areas = areas.merge(em, on="area_code", how="left")
    counts = counts[counts.lsoa_code.isin(areas.area_code)].assign(
        month=lambda d: _month_str(d.month)
    )
    types = [t for t in a_sum["choices"]["crime_types"] if t in set(counts.crime_type)]
    months = sorted(counts.month.unique())
    latest, prev = _windows(months, window)
    lad = areas.set_index("area_code").lad_code
    counts = counts.assign(lad_code=counts.lsoa_code.map(lad))
    data = SiteData(
        areas=areas, las=_las(areas, counts, types, latest, prev),
        monthly=_monthly(counts, areas), monthly_types=_monthly_types(counts, types),
        types=types, window=window, months=(months[0], months[-1]),
        analysis=a_sum, risk={},
    )  # fmt: skip
    data.geometry = dict(zip(areas_geo.lsoa_code, areas_geo.geometry_wkb, strict=True))
    data.lorenz = pd.read_csv(analysis / "lorenz.csv")
    m = pd.read_csv(analysis / "monthly.csv")
    data.fitted = m if "fitted" in m else None
    hex_files = sorted(analysis.glob("hexes_r*.csv"))
    if hex_files:
        data.hexes = pd.read_csv(hex_files[0])
        data.hex_geometry = json.loads(hex_files[0].with_suffix(".geojson").read_text())
    if risk is not None:
        _add_risk(data, risk)
    return data


def _las(
    areas: pd.DataFrame, counts: pd.DataFrame, types: list[str], latest: list[str], prev: list[str]
) -> pd.DataFrame:
    names = areas.groupby("lad_code").agg(
        lad_name=("lad_name", "first"), population=("population", "sum")
    )
    region = pd.DataFrame({"lad_name": ["Whole region"], "population": [areas.population.sum()]},
                          index=pd.Index([ALL], name="lad_code"))  # fmt: skip
    names = pd.concat([names, region])
    out = names.reset_index()
    for window, suffix in ((latest, ""), (prev, "_prev")):
        if not window and suffix:
            continue
        w = counts[counts.month.isin(window)]
        by = w.pivot_table(index="lad_code", columns="crime_type", values="count", aggfunc="sum")
        by = by.reindex(index=names.index[:-1], columns=types).fillna(0)
        by.loc[ALL] = by.sum()
        for t in types:
            out[slug(t) + suffix] = by[t].reindex(out.lad_code).to_numpy(np.int64)
        out["count" + suffix] = by.sum(axis=1).reindex(out.lad_code).to_numpy(np.int64)
    harm = areas.groupby("lad_code").harm.sum()
    harm.loc[ALL] = areas.harm.sum()
    out["harm"] = out.lad_code.map(harm)
    return out


def _monthly(counts: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    by = counts.pivot_table(index="month", columns="lad_code", values="count", aggfunc="sum")
    by = by.reindex(columns=sorted(areas.lad_code.unique())).fillna(0)
    by[ALL] = by.sum(axis=1)
    out = by.stack().rename("count").reset_index()
    out.columns = ["month", "lad_code", "count"]
    out["count"] = out["count"].astype(np.int64)
    return out


def _monthly_types(counts: pd.DataFrame, types: list[str]) -> pd.DataFrame:
    by = counts.pivot_table(index="month", columns="crime_type", values="count", aggfunc="sum")
    by = by.reindex(columns=types).fillna(0).astype(np.int64)
    out = by.rename(columns={t: slug(t) for t in types}).reset_index()
    out["count"] = by.sum(axis=1).to_numpy()
    return out


def _add_risk(data: SiteData, risk: Path) -> None:
    data.risk = json.loads((risk / "risk_summary.json").read_text())
    index = pd.read_csv(risk / "risk_index.csv", dtype={"area_code": str})
    keep = ["area_code", "risk_score", "rank", "rank_lo", "rank_hi", "tier", "rate_component",
            "harm_component", "expected_component", "hotspot_component", "cluster",
            "pilot"]  # fmt: skip
    data.areas = data.areas.merge(
        index[[c for c in keep if c in index]], on="area_code", how="left"
    )
    prof = pd.read_csv(risk / "area_profile.csv", dtype={"area_code": str})
    if "imd_decile" in prof:
        data.areas = data.areas.merge(prof[["area_code", "imd_decile"]], on="area_code", how="left")
    data.factors = pd.read_csv(risk / "risk_factors.csv")
    if (risk / "gradient.csv").exists() and "imd_decile" in data.areas:
        g = pd.read_csv(risk / "gradient.csv")
        g["count"] = g["count"].astype(np.int64)
        data.deciles = g
    clusters = pd.read_csv(risk / "priority_clusters.csv")
    if len(clusters):
        clusters = clusters.rename(columns={"violence": "count"})
        clusters["count"] = clusters["count"].astype(np.int64)
        data.clusters = clusters.drop(columns=["members"])
    if "pilot" in data.areas and data.areas.pilot.fillna("").ne("").any():
        members = data.areas[data.areas.pilot.fillna("") != ""]
        rows = []
        for names, grp in members.groupby("pilot"):
            for name in str(names).split("; "):
                rows.append(grp.assign(pilot_name=name))
        m = pd.concat(rows)
        data.pilots = m.groupby("pilot_name", as_index=False).agg(
            areas=("area_code", "size"), population=("population", "sum"), count=("count", "sum"),
            lad_name=("lad_name", lambda s: "; ".join(sorted(set(s)))),
        ).rename(columns={"pilot_name": "pilot"})  # fmt: skip
    if (risk / "gaps.csv").exists():
        gaps = pd.read_csv(risk / "gaps.csv", dtype={"area_code": str})
        data.gaps = gaps


def _rate(d: pd.DataFrame) -> pd.Series:
    return 1000 * d["count"] / d["population"].where(d["population"] > 0)


def _change(d: pd.DataFrame) -> pd.Series:
    return 100 * (d["count"] / d["count_prev"].where(d["count_prev"] > 0) - 1)


def _per_km2(d: pd.DataFrame) -> pd.Series:
    return d["count"] / d["area_km2"].where(d["area_km2"] > 0)


def release(data: SiteData) -> Release:
    """Every table the site publishes, with each additive relation a reader could use."""
    rel = Release()
    rate = Derived(("count",), _rate)
    masked = Derived(("count",))
    areas = data.areas.copy()
    areas["rate_per_1000"] = np.nan
    area_cols = [c for c in ("area_code", "area_name", "lad_code", "lad_name", "population",
                             "imd_decile", "count", "rate_per_1000", "harm", "gi_class", "pattern",
                             "risk_score", "rank", "rank_lo", "rank_hi", "tier", "cluster", "pilot")
                 if c in areas]  # fmt: skip
    rel.add(Table("areas", areas[area_cols], ("area_code",), ("count",),
                  {"rate_per_1000": rate, "harm": masked}))  # fmt: skip
    las = data.las.copy()
    type_cols = [slug(t) for t in data.types]
    counts = ["count", *type_cols]
    derived = {"rate_per_1000": rate, "harm": masked}
    if "count_prev" in las:
        counts += ["count_prev", *(c + "_prev" for c in type_cols)]
        derived["change_pct"] = Derived(("count", "count_prev"), _change)
        las["change_pct"] = np.nan
    las["rate_per_1000"] = np.nan
    rel.add(Table("local_authorities", las, ("lad_code",), tuple(counts), derived))
    rel.sum_within_rows("local_authorities", "count", type_cols)
    if "count_prev" in las:
        rel.sum_within_rows("local_authorities", "count_prev", [c + "_prev" for c in type_cols])
    not_all = pd.Series([None if c == ALL else ALL for c in las.lad_code])
    rel.sum_rows("local_authorities", "local_authorities", counts, not_all)
    rel.sum_rows("areas", "local_authorities", ["count"], areas.lad_code)
    _monthly_release(rel, data, type_cols)
    _risk_release(rel, data, areas, rate)
    if data.forecast is not None and data.forecast["table"] is not None:
        # model estimates, not counts of events: published as they are, through the layer
        rel.add(Table("forecast", data.forecast["table"], ("lad_code", "month")))
    if data.accuracy is not None:  # shares of the whole region's violence: nothing small
        rel.add(Table("hotspot_accuracy", data.accuracy, ("method", "horizon")))
    _istv_release(rel, data)
    return rel


#: The hospital tables the site publishes: (table, the istv key, its key column).
ISTV_TABLES = (("ed_hours", "hours", "hour"), ("ed_days", "days", "weekday"),
               ("ed_weapons", "weapons", "method"))  # fmt: skip


#: The row of an ED table counting the assaults whose field was not recorded.
NOT_RECORDED = "not recorded"


def _istv_release(rel: Release, data: SiteData) -> None:
    """The ED tables. Each counts the year's assaults by one field, with a "not recorded" row,
    so that every table adds up to ``ed_total`` (every assault): a reader who subtracts one
    table's sum from the total meets a protected cell, not a published difference. Hours and
    days leave out the same assaults (no time recorded): their "not recorded" cells are one."""
    if not data.istv:
        return
    n = int(data.istv["assaults"])
    rel.add(Table("ed_total", pd.DataFrame({"what": ["assaults"], "count": [n]}), ("what",),
                  ("count",)))  # fmt: skip
    into_total = "assaults"
    for name, key, col in ISTV_TABLES:
        frame = data.istv[key][[col, "count"]].astype({col: str})
        missing = pd.DataFrame({col: [NOT_RECORDED], "count": [n - int(frame["count"].sum())]})
        frame = pd.concat([frame, missing], ignore_index=True)
        rel.add(Table(name, frame, (col,), ("count",)))
        rel.sum_rows(name, "ed_total", ["count"], pd.Series([into_total] * len(frame)))
    days = rel.tables["ed_days"].frame
    rel.sum_rows("ed_days", "ed_hours", ["count"],
                 pd.Series([NOT_RECORDED if v == NOT_RECORDED else None
                            for v in days.weekday]))  # fmt: skip
    a = data.istv["age_sex"][["age_band", "sex", "count"]]
    missing = pd.DataFrame({"age_band": [NOT_RECORDED], "sex": [NOT_RECORDED],
                            "count": [n - int(a["count"].sum())]})  # fmt: skip
    a = pd.concat([a, missing], ignore_index=True)
    rel.add(Table("ed_age_sex", a, ("age_band", "sex"), ("count",)))
    rel.sum_rows("ed_age_sex", "ed_total", ["count"], pd.Series([into_total] * len(a)))


def _monthly_release(rel: Release, data: SiteData, type_cols: list[str]) -> None:
    m, mt = data.monthly, data.monthly_types
    rel.add(Table("monthly", m, ("month", "lad_code"), ("count",)))
    rel.add(Table("monthly_types", mt, ("month",), ("count", *type_cols)))
    rel.sum_within_rows("monthly_types", "count", type_cols)
    rel.sum_rows("monthly", "monthly", ["count"],
                 pd.Series(np.where(m.lad_code == ALL, None, m.month + "|" + ALL)))  # fmt: skip
    rel.sum_rows("monthly_types", "monthly", ["count"], mt.month + "|" + ALL)
    months = sorted(m.month.unique())
    latest, prev = _windows(months, data.window)
    for window, suffix in ((latest, ""), (prev, "_prev")):
        if not window:
            continue
        inside = m.month.isin(window)
        rel.sum_rows("monthly", "local_authorities", {"count": "count" + suffix},
                     m.lad_code.where(inside))  # fmt: skip
        into = pd.Series([ALL if m_ in window else None for m_ in mt.month])
        rel.sum_rows("monthly_types", "local_authorities",
                     {c: c + suffix for c in type_cols}, into)  # fmt: skip


def _risk_release(rel: Release, data: SiteData, areas: pd.DataFrame, rate: Derived) -> None:
    if data.deciles is not None:
        d = data.deciles[["decile", "count", "population"]].assign(rate_per_1000=np.nan)
        rel.add(Table("deciles", d, ("decile",), ("count",), {"rate_per_1000": rate}))
        rel.sum_rows("deciles", "local_authorities", ["count"], pd.Series([ALL] * len(d)))
        rel.sum_rows("areas", "deciles", ["count"], areas.imd_decile.astype("Int64").astype(str)
                     .where(areas.imd_decile.notna()))  # fmt: skip
    if data.clusters is not None:
        c = data.clusters.assign(rate_per_1000=np.nan)
        rel.add(Table("clusters", c, ("cluster",), ("count",), {"rate_per_1000": rate}))
        into = areas.cluster.astype("Int64").astype(str).where(areas.cluster.notna())
        into = into.where(into.isin(set(c.cluster.astype(str))))
        rel.sum_rows("areas", "clusters", ["count"], into)
    if data.pilots is not None:
        p = data.pilots.assign(rate_per_1000=np.nan)
        rel.add(Table("pilots", p, ("pilot",), ("count",), {"rate_per_1000": rate}))
        for name in p.pilot:
            inside = areas.pilot.fillna("").str.split("; ").map(lambda names, n=name: n in names)
            rel.sum_rows("areas", "pilots", ["count"], pd.Series(np.where(inside, name, None)))
    if data.hexes is not None:
        shown = ["hex_id", "area_km2", "count", "gi_class", "pattern"]
        h = data.hexes[[c for c in shown if c in data.hexes]].assign(per_km2=np.nan)
        h["count"] = h["count"].astype(np.int64)
        rel.add(
            Table("hexes", h, ("hex_id",), ("count",), {"per_km2": Derived(("count",), _per_km2)})
        )
        total = int(data.las.loc[data.las.lad_code == ALL, "count"].iloc[0])
        if int(h["count"].sum()) == total:
            rel.sum_rows("hexes", "local_authorities", ["count"], pd.Series([ALL] * len(h)))
    if data.factors is not None:
        rel.add(Table("risk_factors", data.factors, ("factor",)))
    if data.gaps is not None:
        rel.add(Table("gaps", data.gaps, ("area_code",)))
    if data.coverage is not None:
        rel.add(Table("coverage", data.coverage, ("area_code",)))


def add_coverage(data: SiteData, areas_geo: pd.DataFrame, services: pd.DataFrame) -> None:
    """The Youth Map services near each high-risk area (``services``: ``latitude``,
    ``longitude`` of each service location) as ``data.coverage``."""
    from vrukit.analysis.coverage import service_coverage
    from vrukit.geo import to_bng

    if "tier" not in data.areas:
        return
    high = data.areas.loc[data.areas.tier.isin(["very high", "high"]),
                          ["area_code", "area_name", "lad_name", "rank"]]  # fmt: skip
    centre = shapely.centroid(shapely.from_wkb(areas_geo.geometry_wkb.to_numpy()))
    xy = pd.DataFrame({"area_code": areas_geo.lsoa_code.to_numpy(),
                       "x": shapely.get_x(centre), "y": shapely.get_y(centre)})  # fmt: skip
    at = to_bng(services.longitude.to_numpy(float), services.latitude.to_numpy(float))
    found = service_coverage(high.merge(xy, on="area_code"),
                             pd.DataFrame({"x": at[:, 0], "y": at[:, 1]}))  # fmt: skip
    data.coverage = found.drop(columns=["x", "y"]).assign(rank=lambda f: f["rank"].astype(int))


def lorenz_points(lz: pd.DataFrame) -> pd.DataFrame:
    """The concentration curve as the site says it, busiest areas first: ``area_share`` of the
    areas (the busiest) hold ``value_share`` of the violence, on a grid of 101 points. (The
    analysis's Lorenz curve runs from the quietest areas: the busiest x hold 1 - L(1 - x).)"""
    grid = np.linspace(0, 1, 101)
    quietest = np.interp(1 - grid, lz.area_share.to_numpy(), lz.value_share.to_numpy())
    return pd.DataFrame({"area_share": grid.round(2), "value_share": (1 - quietest).round(3)})
