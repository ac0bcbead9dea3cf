"""Where the risk is: a transparent risk index per area, its uncertainty and sensitivity, clusters
of high-risk areas, and the gap list of high-risk areas that no current pilot reaches.

The index is a weighted mean of four components, each on a 0-1 scale:

- ``rate``: the area's percentile among areas on the observed violence rate per 1,000;
- ``harm``: its percentile on the harm-weighted rate;
- ``expected``: its percentile on the rate the risk-factor model expects from its inequalities;
- ``hotspot``: 1 if Gi* flags it a hot spot after FDR correction, else 0.

``risk_score`` = 100 x sum(w_c x component_c) / sum(w_c). Percentiles rather than raw values keep
one skewed measure from swamping the others and make the weights read as shares of the score.
docs/methods.md gives the defaults, the bootstrap and the caveats.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from scipy.sparse.csgraph import connected_components

from vrukit.analysis.hotspots import gi_analytic
from vrukit.analysis.neighbours import Neighbours
from vrukit.errors import ConfigError, SchemaError

__all__ = [
    "COMPONENTS",
    "GAP_COLUMNS",
    "INDEX_COLUMNS",
    "PLACE_LABELS",
    "RISK_WEIGHTS",
    "SENSITIVITY_WEIGHTS",
    "TIERS",
    "clusters",
    "gap_list",
    "place_names",
    "rank_intervals",
    "risk_index",
    "sensitivity",
]

#: Default weights: what happened (rate and harm) counts for 60%, what the area's inequalities
#: predict for 20%, and being part of a significant cluster for 20%.
RISK_WEIGHTS: dict[str, float] = {"rate": 0.3, "harm": 0.3, "expected": 0.2, "hotspot": 0.2}
COMPONENTS: dict[str, str] = {
    "rate": "observed violence rate",
    "harm": "harm-weighted rate",
    "expected": "rate its inequalities predict",
    "hotspot": "Gi* hot spot",
}
#: Other weightings the sensitivity view re-ranks under.
SENSITIVITY_WEIGHTS: dict[str, dict[str, float]] = {
    "equal": {"rate": 1, "harm": 1, "expected": 1, "hotspot": 1},
    "observed only": {"rate": 1, "harm": 1, "expected": 0, "hotspot": 0},
    "harm led": {"rate": 0.2, "harm": 0.6, "expected": 0.1, "hotspot": 0.1},
    "model only": {"rate": 0, "harm": 0, "expected": 1, "hotspot": 0},
    "no hotspot": {"rate": 0.375, "harm": 0.375, "expected": 0.25, "hotspot": 0},
}
#: Tiers by rank: the top 5% of areas, the next 15%, the next 30%, the rest.
TIERS: tuple[tuple[float, str], ...] = (
    (0.05, "very high"),
    (0.20, "high"),
    (0.50, "medium"),
    (1.00, "lower"),
)
INDEX_COLUMNS = [
    "area_code",
    "risk_score",
    "rank",
    "rank_lo",
    "rank_hi",
    "tier",
    *(f"{c}_component" for c in COMPONENTS),
]
GAP_COLUMNS = [
    "area_code",
    "risk_score",
    "rank",
    "tier",
    "reasons",
    "nearest_pilot",
    "nearest_pilot_km",
    "cluster",
]
NEEDED = ("area_code", "population", "count", "harm", "expected", "hotspot")


def _weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    w = dict(RISK_WEIGHTS if weights is None else weights)
    unknown = set(w) - set(COMPONENTS)
    if unknown:
        raise ConfigError(f"unknown risk component(s) {sorted(unknown)}: use {list(COMPONENTS)}")
    if any(v < 0 for v in w.values()) or sum(w.values()) <= 0:
        raise ConfigError(f"risk weights {w} must be 0 or more, and not all 0")
    return {c: float(w.get(c, 0.0)) for c in COMPONENTS}


def _percentile(values: np.ndarray) -> np.ndarray:
    """Mid-rank percentile of each value among areas (axis 0), 0 to 1; ties share a value."""
    return (stats.rankdata(values, axis=0) - 0.5) / values.shape[0]


def _components(
    count: np.ndarray, harm: np.ndarray, expected: np.ndarray, hot: np.ndarray, pop: np.ndarray
) -> dict[str, np.ndarray]:
    p = pop if count.ndim == 1 else pop[:, None]
    return {
        "rate": _percentile(count / p),
        "harm": _percentile(harm / p),
        "expected": _percentile(expected / p),
        "hotspot": hot.astype(float),
    }


def _score(parts: Mapping[str, np.ndarray], w: Mapping[str, float]) -> np.ndarray:
    total = sum(w[c] * parts[c] for c in COMPONENTS)
    return np.asarray(100 * total / sum(w.values()))


def _rank(score: np.ndarray) -> np.ndarray:
    """Rank 1 = highest score (ties share the best rank), along axis 0."""
    return stats.rankdata(-score, axis=0, method="min").astype(int)


def _tier(rank: np.ndarray) -> np.ndarray:
    share = rank / len(rank)
    out = np.full(len(rank), TIERS[-1][1], dtype=object)
    for cut, name in reversed(TIERS):
        out[share <= cut] = name
    return out


def _check(frame: pd.DataFrame) -> None:
    missing = [c for c in NEEDED if c not in frame]
    if missing:
        raise SchemaError("risk index", f"missing column(s) {missing}; expected {list(NEEDED)}")
    unrated = ~(frame.population.astype(float) > 0)  # NaN compares False: counted as missing
    if unrated.any():
        raise SchemaError("risk index", f"{int(unrated.sum())} areas have no population")


def risk_index(frame: pd.DataFrame, *, weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Score, rank and tier every area from ``area_code, population, count, harm, expected``
    (the model's expected count) and ``hotspot`` (bool). Rank intervals come from
    :func:`rank_intervals`; here ``rank_lo`` and ``rank_hi`` equal ``rank``.

    Examples
    --------
    >>> f = pd.DataFrame({"area_code": ["a", "b", "c", "d"], "population": [1000] * 4,
    ...                   "count": [40, 10, 20, 5], "harm": [400.0, 50, 300, 20],
    ...                   "expected": [30.0, 12, 25, 8], "hotspot": [True, False, False, False]})
    >>> out = risk_index(f)
    >>> out.risk_score.tolist(), out["rank"].tolist()
    ([90.0, 30.0, 50.0, 10.0], [1, 3, 2, 4])
    """
    _check(frame)
    w = _weights(weights)
    pop = frame.population.to_numpy(float)
    parts = _components(
        frame["count"].to_numpy(float), frame.harm.to_numpy(float),
        frame.expected.to_numpy(float), frame.hotspot.to_numpy(bool), pop,
    )  # fmt: skip
    score = _score(parts, w)
    rank = _rank(score)
    out = pd.DataFrame({"area_code": frame.area_code.to_numpy(), "risk_score": score.round(3)})
    out["rank"], out["rank_lo"], out["rank_hi"] = rank, rank, rank
    out["tier"] = _tier(rank)
    for c in COMPONENTS:
        out[f"{c}_component"] = parts[c].round(4)
    return out[INDEX_COLUMNS]


def rank_intervals(
    frame: pd.DataFrame,
    nb: Neighbours,
    expected_draws: np.ndarray,
    *,
    weights: Mapping[str, float] | None = None,
    alpha: float = 0.05,
    level: float = 0.95,
    seed: int | None = None,
) -> pd.DataFrame:
    """Parametric-bootstrap intervals on each area's rank: one draw per column of
    ``expected_draws`` (areas x draws, e.g. ``RiskModel.draw_expected``).

    In each draw every area's count is redrawn as Poisson around its observed count, its harm
    scaled with it (same harm per crime), its expected count taken from the model's draw, and
    the hot-spot flag recomputed (analytic Gi* on the drawn counts, FDR at ``alpha``) over
    ``nb``, aligned with ``frame``. The interval is the central ``level`` range of the ranks.
    """
    _check(frame)
    if expected_draws.shape[0] != len(frame) or len(frame) != nb.n:
        raise SchemaError(
            "rank intervals", f"{len(frame)} areas, {nb.n} neighbour rows and "
            f"{expected_draws.shape[0]} rows of draws must align"
        )  # fmt: skip
    w = _weights(weights)
    rng = np.random.default_rng(seed)
    draws = expected_draws.shape[1]
    count = frame["count"].to_numpy(float)
    per_crime = np.divide(frame.harm.to_numpy(float), count, out=np.zeros(len(count)),
                          where=count > 0)  # fmt: skip
    y = rng.poisson(np.repeat(count[:, None], draws, axis=1)).astype(float)
    _, z = gi_analytic(y, nb)
    p = 2 * stats.norm.sf(np.abs(np.nan_to_num(z)))
    hot = (stats.false_discovery_control(p, axis=0) <= alpha) & (z > 0)
    parts = _components(y, y * per_crime[:, None], expected_draws, hot,
                        frame.population.to_numpy(float))  # fmt: skip
    ranks = _rank(_score(parts, w))
    tail = (1 - level) / 2 * 100
    out = risk_index(frame, weights=weights)
    out["rank_lo"] = np.floor(np.percentile(ranks, tail, axis=1)).astype(int)
    out["rank_hi"] = np.ceil(np.percentile(ranks, 100 - tail, axis=1)).astype(int)
    return out


def sensitivity(
    index: pd.DataFrame, schemes: Mapping[str, Mapping[str, float]] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How ranks move under other weights: a frame of each area's rank per scheme, and one row
    per scheme with the Spearman correlation with the main ranking, the share of the main top
    20% still in the top 20%, and the median absolute change in rank."""
    schemes = SENSITIVITY_WEIGHTS if schemes is None else schemes
    parts = {c: index[f"{c}_component"].to_numpy(float) for c in COMPONENTS}
    ranks = pd.DataFrame({"area_code": index.area_code, "main": index["rank"]})
    rows = []
    n = len(index)
    top = index["rank"] <= 0.2 * n
    for name, w in schemes.items():
        r = _rank(_score(parts, _weights(w)))
        ranks[name] = r
        rows.append(
            {
                "scheme": name,
                "weights": ", ".join(f"{c} {v:g}" for c, v in w.items()),
                "spearman": float(stats.spearmanr(index["rank"], r).statistic),
                "top20_kept": float((r[top.to_numpy()] <= 0.2 * n).mean()),
                "median_rank_change": float(np.median(np.abs(r - index["rank"]))),
            }
        )
    return ranks, pd.DataFrame(rows)


def clusters(index: pd.DataFrame, nb: Neighbours, *, tiers: tuple[str, ...] = ("very high",
             "high")) -> pd.Series:  # fmt: skip
    """Contiguous groups of areas in ``tiers``: a cluster number per area (1 = the cluster with
    the highest total score), 0 for areas outside those tiers. ``nb`` aligns with ``index``."""
    member = index.tier.isin(tiers).to_numpy()
    keep = sp.diags(member.astype(float))
    graph = keep @ nb.matrix @ keep
    _, label = connected_components(graph, directed=False)
    label = np.where(member, label, -1)
    scores = pd.Series(index.risk_score.to_numpy()).groupby(label).sum().drop(-1, errors="ignore")
    order = {lab: k + 1 for k, lab in enumerate(scores.sort_values(ascending=False).index)}
    return pd.Series([order.get(v, 0) for v in label], index=index.index, name="cluster")


#: Columns that name the neighbourhood an area lies in, the most local first: the electoral ward,
#: the House of Commons Library's MSOA name, ONS's MSOA name, the local authority.
PLACE_LABELS = ("ward_name", "msoa_hcl_name", "msoa_name", "lad_name")


def place_names(members: pd.DataFrame) -> pd.DataFrame:
    """A name for each priority place from where it is: the neighbourhood (the first of
    ``PLACE_LABELS`` that ``members`` holds for an area) carrying most of the place's risk score,
    and how many other neighbourhoods the place reaches into. Places take names in cluster order;
    a name a higher place took gives way to the place's next neighbourhood (a number is added
    only when every one is taken). ``members``: ``cluster`` (> 0), ``risk_score`` and any of
    ``PLACE_LABELS``. Returns ``cluster``, ``name``, ``other_neighbourhoods``."""
    cols = [c for c in PLACE_LABELS if c in members]
    label = pd.Series(pd.NA, index=members.index, dtype="object")
    for c in cols:
        label = label.fillna(members[c].where(members[c].astype("string").str.strip() != ""))
    weights = (
        members.assign(label=label.fillna("?"))
        .groupby(["cluster", "label"], sort=True)
        .risk_score.sum()
        .reset_index()
        .sort_values(["cluster", "risk_score", "label"], ascending=[True, False, True])
    )
    taken: set[str] = set()
    rows = []
    for cluster, group in weights.groupby("cluster", sort=True):
        free = [x for x in group.label if x not in taken]
        name = free[0] if free else f"{group.label.iloc[0]} ({cluster})"
        taken.add(name)
        rows.append((cluster, name, len(group) - 1))
    return pd.DataFrame(rows, columns=["cluster", "name", "other_neighbourhoods"])


def _reasons(row: pd.Series) -> str:
    said = [
        f"{COMPONENTS[c]} in the top {max(1, round(100 * (1 - row[f'{c}_component'])))}%"
        for c in ("rate", "harm", "expected")
        if row[f"{c}_component"] >= 0.9
    ]
    if row.hotspot_component:
        said.append("a Gi* hot spot")
    if not said:
        c = max(("rate", "harm", "expected"), key=lambda k: row[f"{k}_component"])
        said.append(f"{COMPONENTS[c]} at the {100 * row[f'{c}_component']:.0f}th percentile")
    return "; ".join(said)


def gap_list(
    index: pd.DataFrame, pilots: pd.DataFrame, xy: np.ndarray, cluster: pd.Series
) -> tuple[pd.DataFrame, float]:
    """Areas at or above the median pilot area's risk score that no pilot covers, highest first,
    with the reasons (which components drive the score) and the nearest pilot by centroid
    distance (``xy``: metres, aligned with ``index``). Returns the list and that threshold."""
    covered = index.area_code.isin(pilots.area_code).to_numpy()
    if not covered.any():
        raise SchemaError(
            "pilots", "none of the pilot areas is among the analysed areas: check the codes"
        )
    threshold = float(np.median(index.risk_score[covered]))
    gap = index[(index.risk_score >= threshold) & ~covered].copy()
    names = pilots.groupby("area_code").pilot.first()
    pilot_xy = xy[covered]
    pilot_names = names.reindex(index.area_code[covered]).to_numpy()
    d = np.hypot(*(xy[~covered][:, None, :] - pilot_xy[None]).transpose(2, 0, 1))
    nearest = pd.DataFrame(
        {"nearest_pilot": pilot_names[d.argmin(1)], "nearest_pilot_km": (d.min(1) / 1000).round(2)},
        index=index.index[~covered],
    )  # fmt: skip
    gap = gap.join(nearest)
    gap["reasons"] = gap.apply(_reasons, axis=1)
    gap["cluster"] = cluster.loc[gap.index]
    return gap.sort_values("rank")[GAP_COLUMNS].reset_index(drop=True), threshold
