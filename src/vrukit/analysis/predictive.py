"""Do the hotspots predict? Each way vrukit finds hotspots, fitted on past months and scored on
the months that followed, by rolling origin.

At each origin a method sees only the ``fit_months`` months before it and picks its hotspots;
they are then scored on the next one to ``horizon`` months. The scores (Chainey, Tompson and
Uhlig 2008; Hunt 2016; Levine 2008; docs/methods.md, "Do the hotspots predict?"):

- **hit rate**: the share of the scoring window's crimes that fall in the hotspots;
- **area share**: the hotspots' area over the study region's;
- **PAI** (predictive accuracy index): hit rate / area share; 1 is what areas picked at random
  would do on average;
- **PEI** (predictive efficiency index): PAI / PAI*, where PAI* is the PAI of the best selection
  of the same total area in the scoring window (``best_crimes``: the areas with the most crimes
  per km² first, the last one taken in part, its crimes counted in proportion to the part);
- **RRI** (recapture rate index): (n2 / n1) / (N2 / N1), with n1, n2 the crimes in the hotspots in
  the fit and scoring windows and N1, N2 those in the whole region;
- **hit rate at fixed coverage**: the method's ranking of every area (its own score), taken until
  1% (5%) of the region's area is covered, the last area in part as for PAI*;
- **stability**: the Jaccard similarity of the hotspot sets one origin and ``stability_lag``
  months later (the previous origin when no two origins are that far apart).

Every metric is a small pure function of arrays (one value per unit: area, hexagon or cell), so
any of them can be checked by hand (``vrukit.analysis._scores``, re-exported here);
``hotspot_accuracy`` runs them all over the origins, for the methods in ``METHODS``. A value
that is undefined (no hotspot selected, no crime to score) is missing (``None``, a blank cell),
never NaN or infinity. ``vrukit.analysis.predictive_points`` builds hexagons and density cells
as units from crimes at map points.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from vrukit.analysis._scores import (
    area_share,
    best_crimes,
    fill,
    hit_rate,
    hit_rate_at,
    jaccard,
    pai,
    pai_best,
    pei,
    ranking,
    rri,
)
from vrukit.analysis.emerging import emerging_hotspots
from vrukit.analysis.hotspots import fdr, gi_analytic
from vrukit.analysis.kde import kde_surface
from vrukit.analysis.neighbours import Neighbours
from vrukit.errors import ConfigError, SchemaError

__all__ = [
    "ACCURACY_COLUMNS",
    "AREA_METHODS",
    "COVERAGES",
    "METHODS",
    "SELECTION_COLUMNS",
    "STABILITY_COLUMNS",
    "SUMMARY_COLUMNS",
    "TOP_SHARE",
    "Accuracy",
    "FitWindow",
    "area_share",
    "best_crimes",
    "fill",
    "hit_rate",
    "hit_rate_at",
    "hotspot_accuracy",
    "jaccard",
    "origins",
    "pai",
    "pai_best",
    "pei",
    "ranking",
    "rri",
]

#: The shares of the region's area at which every method's ranking is scored.
COVERAGES = (0.01, 0.05)
#: Top-n methods take this share of the units (rounded up) unless ``top_n`` is given.
TOP_SHARE = 0.05

#: Each method by name, as the tables name it, with what it selects.
METHODS = {
    "gi_star": "Gi* hot spots (analytic p-value, FDR) on the fit window's counts; ranked by z",
    "top_count": "the top n areas by count in the fit window",
    "top_rate": "the top n areas by rate per 1,000 residents in the fit window",
    "top_density": "the top n areas by crimes per km² in the fit window",
    "prior_count": "the top n areas by count in the last `horizon` months before the origin",
    "emerging": "emerging hot spots over the fit window's months (every hot pattern but "
    "historical); ranked by the final month's Gi* z",
    "kde": "the top n units by kernel density (quartic, ArcGIS's search radius) of the fit "
    "window's crimes placed at the units' centres",
}
#: The methods run on areas unless others are asked for (``kde`` needs units on a grid).
AREA_METHODS = ("gi_star", "top_count", "top_rate", "top_density", "prior_count", "emerging")


def _coverage_column(c: float) -> str:
    return f"hit_rate_at_{100 * c:g}pct"


ACCURACY_COLUMNS = [
    "method",
    "origin",
    "horizon",
    "fit_first",
    "fit_last",
    "score_first",
    "score_last",
    "selected",
    "selected_km2",
    "area_share",
    "crimes_fit",
    "crimes_fit_selected",
    "crimes_scored",
    "crimes_scored_selected",
    "hit_rate",
    "pai",
    "pai_best",
    "pei",
    "rri",
    *[_coverage_column(c) for c in COVERAGES],
]
SUMMARY_COLUMNS = [
    "method",
    "horizon",
    "origins",
    "selected",
    "area_share",
    "hit_rate",
    "pai",
    "pei",
    "rri",
    *[_coverage_column(c) for c in COVERAGES],
    "stability",
    "stability_pairs",
]
STABILITY_COLUMNS = ["method", "origin", "later_origin", "lag_months", "jaccard"]
SELECTION_COLUMNS = ["method", "origin", "area_code", "rank"]


# --- the methods: what each picks from a fit window ------------------------------------------


@dataclass(frozen=True)
class FitWindow:
    """What a method may see at an origin: the counts of the ``fit_months`` months before it
    (units x months, oldest first), the residents, the neighbours and the settings; ``recent``
    is the horizon, the months the prior-period method reads (the last before the origin);
    ``km2`` the units' areas; ``xy`` the units' centres (EPSG:27700 metres) and ``cell`` the
    density grid's cell size, for the kernel density method."""

    counts: np.ndarray
    population: np.ndarray
    nb: Neighbours | None
    top_n: int
    alpha: float
    recent: int
    km2: np.ndarray | None = None
    xy: np.ndarray | None = None
    cell: float = 100.0

    @property
    def neighbours(self) -> Neighbours:
        """The units' neighbours, for the methods that compare a unit with them."""
        if self.nb is None:
            raise ConfigError("Gi* and emerging hot spots need the units' neighbours")
        return self.nb


Picked = tuple[np.ndarray, np.ndarray]  # (selected mask, score ranking every unit)
Method = Callable[[FitWindow], Picked]


def _top(score: np.ndarray, n: int) -> Picked:
    mask = np.zeros(len(score), dtype=bool)
    mask[ranking(score)[:n]] = True
    return mask, score


def _gi_star(w: FitWindow) -> Picked:
    _, z = gi_analytic(w.counts.sum(axis=1).astype(float), w.neighbours)
    z = np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0)
    q = fdr(2 * stats.norm.sf(np.abs(z)))
    return (q <= w.alpha) & (z > 0), z


def _top_count(w: FitWindow) -> Picked:
    return _top(w.counts.sum(axis=1).astype(float), w.top_n)


def _top_rate(w: FitWindow) -> Picked:
    pop = np.nan_to_num(np.asarray(w.population, dtype=float), nan=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(pop > 0, 1000 * w.counts.sum(axis=1) / pop, -np.inf)
    return _top(rate, w.top_n)


def _top_density(w: FitWindow) -> Picked:
    if w.km2 is None:
        raise ConfigError("crimes per km² need each unit's area")
    return _top(w.counts.sum(axis=1) / w.km2, w.top_n)


def _prior_count(w: FitWindow) -> Picked:
    return _top(w.counts[:, -w.recent :].sum(axis=1).astype(float), w.top_n)


def _emerging(w: FitWindow) -> Picked:
    e = emerging_hotspots(w.counts, w.neighbours, alpha=w.alpha)
    hot = e.pattern.str.endswith("hot spot") & (e.pattern != "historical hot spot")
    return hot.to_numpy(), np.nan_to_num(e.final_gi_z.to_numpy(float), nan=0.0)


def _kde(w: FitWindow) -> Picked:
    """The top n units by kernel density (quartic kernel, ArcGIS's default search radius) of
    the fit window's crimes, placed at the units' centres, read at each unit's centre."""
    if w.xy is None:
        raise ConfigError("kernel density needs each unit's centre (columns x and y of units)")
    weight = w.counts.sum(axis=1).astype(float)
    keep = weight > 0
    if keep.sum() < 2:
        return _top(weight, w.top_n)
    s = kde_surface(w.xy[keep], weights=weight[keep], cell=w.cell)
    col = np.floor((w.xy[:, 0] - s.x0) / s.cell).astype(int)
    row = s.shape[0] - 1 - np.floor((w.xy[:, 1] - s.y0) / s.cell).astype(int)
    on = (col >= 0) & (col < s.shape[1]) & (row >= 0) & (row < s.shape[0])
    density = np.zeros(len(weight))
    density[on] = s.density[row[on], col[on]]
    return _top(density, w.top_n)


_METHODS: dict[str, Method] = {
    "gi_star": _gi_star,
    "top_count": _top_count,
    "top_rate": _top_rate,
    "top_density": _top_density,
    "prior_count": _prior_count,
    "emerging": _emerging,
    "kde": _kde,
}


# --- the rolling origin ----------------------------------------------------------------------


@dataclass(frozen=True)
class Accuracy:
    """What ``hotspot_accuracy`` found: one row per method, origin and horizon (``table``,
    ``ACCURACY_COLUMNS``), the means per method and horizon (``summary``, ``SUMMARY_COLUMNS``),
    the Jaccard similarity of each method's hotspots between origins (``stability``,
    ``STABILITY_COLUMNS``), every hotspot selected (``selections``, ``SELECTION_COLUMNS``) and
    every choice made (``choices``)."""

    table: pd.DataFrame
    summary: pd.DataFrame
    stability: pd.DataFrame
    selections: pd.DataFrame
    choices: dict[str, object] = field(default_factory=dict)


def origins(months: int, fit_months: int, horizon: int, step: int) -> list[int]:
    """The origins, as the number of months before each: the first after ``fit_months``, then
    every ``step`` months while ``horizon`` months remain to score.

    Examples
    --------
    >>> origins(24, 12, 3, 3)
    [12, 15, 18, 21]
    """
    return list(range(fit_months, months - horizon + 1, step))


def _check_inputs(counts: pd.DataFrame, units: pd.DataFrame, nb: Neighbours | None) -> None:
    ids = list(units.area_code)
    if list(counts.index) != ids or (nb is not None and list(nb.ids) != ids):
        raise SchemaError(
            "accuracy", "counts, units and neighbours must list the same units in the same order"
        )
    values = counts.to_numpy(dtype=float)
    if not np.isfinite(values).all() or (values < 0).any():
        raise SchemaError("accuracy", "a count is negative or not a finite number")
    km2 = units.area_km2.to_numpy(dtype=float)
    if not (np.isfinite(km2).all() and (km2 > 0).all()):
        bad = units.area_code[~(np.isfinite(km2) & (km2 > 0))].iloc[0]
        raise SchemaError("accuracy", f"area {bad!r} has no positive area in km²")


def _check_options(
    n_units: int, months: int, fit_months: int, horizon: int, step: int, top_n: int
) -> None:
    if fit_months < 3 or horizon < 1 or step < 1:
        raise ConfigError(
            f"fit months {fit_months}, horizon {horizon}, step {step}: the fit window needs at "
            "least 3 months (emerging hot spots read a trend), horizon and step at least 1"
        )
    if months < fit_months + horizon:
        raise ConfigError(
            f"{months} months of data: a fit window of {fit_months} and a horizon of {horizon} "
            f"need {fit_months + horizon}; load more months or fit on fewer"
        )
    if not 1 <= top_n < n_units:
        raise ConfigError(f"top n is {top_n}: it must be between 1 and {n_units - 1}")


def _scores(sel: np.ndarray, score: np.ndarray, fitted: np.ndarray, scored: np.ndarray,
            km2: np.ndarray, coverages: Sequence[float]) -> dict[str, object]:  # fmt: skip
    """Every metric of one selection against one scoring window."""
    return {
        "selected": int(sel.sum()),
        "selected_km2": float(km2[sel].sum()),
        "area_share": area_share(sel, km2),
        "crimes_fit": int(fitted.sum()),
        "crimes_fit_selected": int(fitted[sel].sum()),
        "crimes_scored": int(scored.sum()),
        "crimes_scored_selected": int(scored[sel].sum()),
        "hit_rate": hit_rate(sel, scored),
        "pai": pai(sel, scored, km2),
        "pai_best": pai_best(sel, scored, km2),
        "pei": pei(sel, scored, km2),
        "rri": rri(sel, fitted, scored),
        **{_coverage_column(c): hit_rate_at(score, scored, km2, c) for c in coverages},
    }


def _stability(
    picked: dict[tuple[str, int], np.ndarray], starts: list[int], lag: int, months: list[str]
) -> pd.DataFrame:
    rows = [
        {"method": m, "origin": months[t], "later_origin": months[t + lag], "lag_months": lag,
         "jaccard": jaccard(sel, picked[(m, t + lag)])}
        for (m, t), sel in picked.items() if t + lag in starts
    ]  # fmt: skip
    return _nullable(pd.DataFrame(rows, columns=STABILITY_COLUMNS), ["jaccard"])


def _nullable(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Float columns where a missing value is <NA> (a blank cell in CSV), never NaN."""
    for c in columns:
        frame[c] = pd.array([None if v is None or pd.isna(v) else float(v) for v in frame[c]],
                            dtype="Float64")  # fmt: skip
    return frame


#: The columns of the table that can be undefined (blank).
_MAYBE = ["hit_rate", "pai", "pai_best", "pei", "rri"]


def _summary(table: pd.DataFrame, stability: pd.DataFrame) -> pd.DataFrame:
    """Each method's mean scores per horizon over the origins (undefined values left out), and
    its mean stability."""
    cover = [c for c in table.columns if c.startswith("hit_rate_at_")]
    metrics = ["selected", "area_share", "hit_rate", "pai", "pei", "rri", *cover]
    g = table.groupby(["method", "horizon"], sort=False)
    out = g[metrics].mean().reset_index()
    out.insert(2, "origins", g.size().to_numpy())
    stab = stability.groupby("method", sort=False).jaccard
    out["stability"] = out.method.map(stab.mean()).astype("Float64")
    out["stability_pairs"] = out.method.map(stab.count()).fillna(0).astype(int)
    columns = [*SUMMARY_COLUMNS[:3], *metrics, "stability", "stability_pairs"]
    return _nullable(out, [*metrics[1:], "stability"])[columns]


def hotspot_accuracy(
    counts: pd.DataFrame,
    units: pd.DataFrame,
    nb: Neighbours | None,
    *,
    fit_months: int = 12,
    horizon: int = 3,
    step: int = 3,
    top_n: int | None = None,
    alpha: float = 0.05,
    methods: Sequence[str] = AREA_METHODS,
    coverages: Sequence[float] = COVERAGES,
    stability_lag: int = 12,
    kde_cell: float = 100.0,
    say: Callable[[str], None] = lambda _m: None,
) -> Accuracy:
    """Fit every method on the ``fit_months`` months before each origin and score its hotspots
    on each of the next 1..``horizon`` months together (the scoring window of horizon h is the
    first h months from the origin).

    ``counts``: crimes per unit (rows, in the order of ``units``) and month (columns, oldest
    first, labelled e.g. ``YYYY-MM``). ``units``: ``area_code`` (any unit's id), ``area_km2``,
    and for some methods ``population`` (the rate method; missing or 0 ranks last) and ``x, y``
    (the kernel density method: each unit's centre, EPSG:27700 metres; ``kde_cell`` the density
    grid's cell). ``nb``: the units' neighbours in the same order (None when no method asked
    for reads them). ``top_n`` defaults to ``TOP_SHARE`` of the units, rounded up.

    Examples
    --------
    >>> import shapely
    >>> from vrukit.analysis.neighbours import queen
    >>> boxes = [shapely.box(x, y, x + 1, y + 1) for y in range(6) for x in range(6)]
    >>> ids = np.array([f"a{i:02d}" for i in range(36)])
    >>> nb = queen(np.array(boxes), ids)
    >>> y = np.ones((36, 15)); y[[0, 1, 6, 7]] = 20
    >>> counts = pd.DataFrame(y, index=ids, columns=[f"m{k:02d}" for k in range(15)])
    >>> units = pd.DataFrame({"area_code": ids, "area_km2": 1.0, "population": 1000})
    >>> acc = hotspot_accuracy(counts, units, nb, methods=["top_count"], top_n=4)
    >>> acc.table.pai.round(2).tolist()  # 80 of 112 crimes a month in 4 of 36 km²
    [6.43, 6.43, 6.43]
    """
    _check_inputs(counts, units, nb)
    unknown = sorted(set(methods) - set(_METHODS))
    if unknown:
        raise ConfigError(f"method {unknown[0]!r} is not one of: {', '.join(_METHODS)}")
    ids = units.area_code.to_numpy()
    n_top = top_n if top_n is not None else math.ceil(TOP_SHARE * len(ids))
    y = counts.to_numpy(dtype=float)
    _check_options(len(ids), y.shape[1], fit_months, horizon, step, n_top)
    months = [str(m) for m in counts.columns]
    km2 = units.area_km2.to_numpy(dtype=float)
    pop = units.population.to_numpy(dtype=float) if "population" in units else np.zeros(len(ids))
    xy = units[["x", "y"]].to_numpy(dtype=float) if {"x", "y"} <= set(units) else None
    starts = origins(y.shape[1], fit_months, horizon, step)
    rows: list[dict[str, object]] = []
    picked: dict[tuple[str, int], np.ndarray] = {}
    chosen: list[pd.DataFrame] = []
    for k, t in enumerate(starts, 1):
        say(f"origin {k} of {len(starts)}: fitting on {months[t - fit_months]} to "
            f"{months[t - 1]}, scoring {months[t]} to {months[t + horizon - 1]}")  # fmt: skip
        window = FitWindow(
            y[:, t - fit_months : t], pop, nb, n_top, alpha, horizon, km2, xy, kde_cell
        )
        for m in methods:
            sel, score = _METHODS[m](window)
            picked[(m, t)] = sel
            chosen.append(_chosen(m, months[t], sel, score, ids))
            rows += _origin_rows(m, sel, score, y, t, window, months, km2, coverages)
    cover = [_coverage_column(c) for c in coverages]
    columns = [c for c in ACCURACY_COLUMNS if not c.startswith("hit_rate_at_")] + cover
    table = _nullable(pd.DataFrame(rows, columns=columns), [*_MAYBE, *cover])
    lag = stability_lag if any(t + stability_lag in starts for t in starts) else step
    stability = _stability(picked, starts, lag, months)
    choices = {
        "methods": {m: METHODS[m] for m in methods}, "fit_months": fit_months,
        "horizon": horizon, "step": step, "origins": [months[t] for t in starts],
        "top_n": n_top, "alpha": alpha, "correction": "Benjamini-Hochberg FDR",
        "neighbours": nb.rule if nb is not None else None, "coverages": list(coverages),
        "stability_lag_months": lag, "units": len(ids), "region_km2": float(km2.sum()),
    }  # fmt: skip
    selections = pd.concat(chosen, ignore_index=True)
    return Accuracy(table, _summary(table, stability), stability, selections, choices)


def _origin_rows(method: str, sel: np.ndarray, score: np.ndarray, y: np.ndarray, t: int,
                 window: FitWindow, months: list[str], km2: np.ndarray,
                 coverages: Sequence[float]) -> list[dict[str, object]]:  # fmt: skip
    """One method's rows at origin ``t``: its selection scored on each horizon."""
    fit = window.counts.shape[1]
    fitted = window.counts.sum(axis=1)
    return [
        {"method": method, "origin": months[t], "horizon": h, "fit_first": months[t - fit],
         "fit_last": months[t - 1], "score_first": months[t], "score_last": months[t + h - 1]}
        | _scores(sel, score, fitted, y[:, t : t + h].sum(axis=1), km2, coverages)
        for h in range(1, window.recent + 1)
    ]  # fmt: skip


def _chosen(method: str, origin: str, sel: np.ndarray, score: np.ndarray,
            ids: np.ndarray) -> pd.DataFrame:  # fmt: skip
    """The units a method selected at an origin, with their place in its ranking (1 = first)."""
    place = np.empty(len(score), dtype=int)
    place[ranking(score)] = np.arange(1, len(score) + 1)
    hit = np.nonzero(sel)[0]
    return pd.DataFrame(
        {"method": method, "origin": origin, "area_code": ids[hit], "rank": place[hit]},
        columns=SELECTION_COLUMNS,
    ).sort_values("rank", kind="stable")
