"""Local hotspot statistics: Getis-Ord Gi* and Local Moran's I, with FDR-corrected classes.

The statistics follow esda's definitions exactly (``esda.G_Local(star=True)`` and
``esda.Moran_Local``), so results can be checked against it to 1e-8; the permutation inference is
the same conditional randomisation with a faster engine (``_crand``). docs/methods.md explains
each column, its assumptions and its caveats.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from scipy.sparse.csgraph import connected_components

from vrukit.analysis._crand import SumCounts, neighbour_sum_counts
from vrukit.analysis.neighbours import Neighbours
from vrukit.errors import SchemaError

__all__ = [
    "GI_COLUMNS",
    "HOTSPOT_COLUMNS",
    "LISA_COLUMNS",
    "PERMUTATIONS",
    "fdr",
    "gi_analytic",
    "gi_star",
    "hot_groups",
    "hotspots",
    "local_moran",
]

GI_COLUMNS = ["area_code", "gi", "gi_z", "gi_p_norm", "gi_p_sim", "gi_p"]
LISA_COLUMNS = ["area_code", "lisa_i", "lisa_quadrant", "lisa_p_sim", "lisa_p"]
HOTSPOT_COLUMNS = [
    "area_code",
    "value",
    "neighbours",
    "gi_z",
    "gi_p",
    "gi_p_fdr",
    "gi_class",
    "lisa_i",
    "lisa_p",
    "lisa_p_fdr",
    "lisa_class",
    "hot_spot_group",
]
HOTSPOT_EXTRA = ["gi_p_norm", "gi_p_perm", "gi_p_sim", "lisa_p_sim", "lisa_quadrant"]
QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
#: A permutation p-value cannot fall below 2 / (permutations + 1) (two-sided). With 999, FDR over
#: 1,000 areas can only flag anything once 40 or more areas all reach that floor, so real hotspots
#: go unreported; 9,999 lowers the floor tenfold, and the engine makes it cheap.
PERMUTATIONS = 9999


def _check(y: np.ndarray, nb: Neighbours) -> np.ndarray:
    y = np.asarray(y, dtype=float)
    if y.shape != (nb.n,):
        raise SchemaError("hotspots", f"{len(y)} values for {nb.n} areas: they must align")
    if not np.isfinite(y).all():
        bad = nb.ids[~np.isfinite(y)]
        raise SchemaError("hotspots", f"value for {str(bad[0])!r} is not a finite number")
    return y


def _directed(counts_ge: np.ndarray, permutations: int) -> np.ndarray:
    """esda's pseudo p-value: the smaller tail, one-sided, (extreme + 1) / (permutations + 1)."""
    larger = np.minimum(counts_ge, permutations - counts_ge)
    return (larger + 1.0) / (permutations + 1.0)


def fdr(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); compare them with alpha.

    Examples
    --------
    >>> fdr(np.array([0.01, 0.04, 0.03, 0.2])).round(3).tolist()
    [0.04, 0.053, 0.053, 0.2]
    """
    p = np.asarray(p, dtype=float)
    return stats.false_discovery_control(p, method="bh") if len(p) else p


def gi_analytic(
    y: np.ndarray, nb: Neighbours, *, transform: str = "B"
) -> tuple[np.ndarray, np.ndarray]:
    """Gi* and its analytic z-score; ``y`` is one value per area, or areas x columns (e.g. months),
    each column standardised against its own map. A column with no variation gets NaN z-scores.
    """
    k = nb.cardinalities
    star = nb.matrix + sp.identity(nb.n, format="csr")
    if transform.upper() == "R":
        star = sp.diags(1.0 / (k + 1.0)) @ star
    n = nb.n
    card = np.asarray(star.sum(axis=1)).ravel()
    if y.ndim == 2:
        card = card[:, None]
    total = y.sum(axis=0)
    mean = total / n
    var = (y**2).sum(axis=0) / n - mean**2
    with np.errstate(invalid="ignore", divide="ignore"):
        gi = (star @ y) / total
        ev = card * (n - card) / (n - 1) / n**2 * var / mean**2
        z = (gi - card / n) / np.sqrt(ev)
    return gi, z


def gi_star(
    y: np.ndarray,
    nb: Neighbours,
    *,
    permutations: int = PERMUTATIONS,
    seed: int | None = None,
    transform: str = "B",
) -> pd.DataFrame:
    """Getis-Ord Gi* for every area: the focal area and its neighbours against the whole map.

    ``transform="B"`` uses binary weights with self-weight 1 (the classic Getis-Ord and ArcGIS
    form); ``"R"`` row-standardises them (esda's default). ``gi_z`` is the analytic z-score,
    ``gi_p_norm`` its two-sided normal p-value, ``gi_p_sim`` esda's one-sided ("directed")
    permutation pseudo p-value and ``gi_p`` the two-sided permutation p-value (twice it, capped at
    1) that FDR and classes use.
    """
    y = _check(y, nb)
    if transform.upper() not in ("B", "R"):
        raise SchemaError("hotspots", f"transform is {transform!r}, expected 'B' or 'R'")
    k = nb.cardinalities
    gi, z = gi_analytic(y, nb, transform=transform)
    frame = pd.DataFrame({"area_code": nb.ids, "gi": gi, "gi_z": z})
    frame["gi_p_norm"] = 2 * stats.norm.sf(np.abs(z))
    sums = nb.matrix @ y
    c = neighbour_sum_counts(y, k, sums, permutations=permutations, seed=seed)
    frame["gi_p_sim"] = _directed(c.ge, permutations)
    frame["gi_p"] = np.minimum(1.0, 2 * frame.gi_p_sim)
    return frame[GI_COLUMNS]


def local_moran(
    y: np.ndarray, nb: Neighbours, *, permutations: int = PERMUTATIONS, seed: int | None = None
) -> pd.DataFrame:
    """Local Moran's I with row-standardised weights, as esda's ``Moran_Local``.

    ``lisa_quadrant`` is HH, LH, LL or HL (the area's value, then its neighbours' average, above
    or below the mean); ``lisa_p_sim`` is esda's directed pseudo p-value and ``lisa_p`` the
    two-sided one.
    """
    y = _check(y, nb)
    n = nb.n
    k = nb.cardinalities
    z = (y - y.mean()) / y.std()
    sums = nb.matrix @ y
    with np.errstate(invalid="ignore", divide="ignore"):
        lag = np.where(k > 0, (nb.matrix @ z) / k, 0.0)
    i_stat = (n - 1) * z * lag / (z * z).sum()
    quad = np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3))
    c: SumCounts = neighbour_sum_counts(y, k, sums, permutations=permutations, seed=seed)
    # I_sim >= I_obs means S >= S_obs where z > 0, S <= S_obs where z < 0, always where z == 0.
    ge = np.where(z > 0, c.ge, np.where(z < 0, c.le, permutations))
    frame = pd.DataFrame(
        {
            "area_code": nb.ids,
            "lisa_i": i_stat,
            "lisa_quadrant": [QUADRANTS[q] for q in quad],
            "lisa_p_sim": _directed(ge, permutations),
        }
    )
    frame["lisa_p"] = np.minimum(1.0, 2 * frame.lisa_p_sim)
    return frame[LISA_COLUMNS]


def hotspots(
    y: np.ndarray,
    nb: Neighbours,
    *,
    permutations: int = PERMUTATIONS,
    seed: int | None = None,
    alpha: float = 0.05,
    correction: str = "fdr",
    transform: str = "B",
    gi_inference: str = "analytic",
) -> pd.DataFrame:
    """Gi* and Local Moran's I side by side, with FDR-corrected (by default) classes.

    ``gi_class`` is "hot spot", "cold spot" or "not significant"; ``lisa_class`` is HH, LL, HL,
    LH or "not significant". ``correction="none"`` compares the raw p-values with ``alpha``.

    ``gi_p`` (which FDR and ``gi_class`` use) is the analytic two-sided p-value of ``gi_z`` by
    default, as in Getis and Ord (1992) and ArcGIS; ``gi_inference="permutation"`` uses the
    conditional-permutation p-value instead. Both are always reported (``gi_p_norm``,
    ``gi_p_perm``). Permutation is conservative when a few areas carry very large counts, as
    hotspots do: random neighbourhoods often draw one of them (docs/methods.md). Local Moran's I
    always uses permutation inference, as GeoDa and esda do.

    Examples
    --------
    >>> import shapely
    >>> from vrukit.analysis.neighbours import queen
    >>> boxes = [shapely.box(x, y, x + 1, y + 1) for y in range(6) for x in range(6)]
    >>> nb = queen(np.array(boxes), np.array([f"a{i}" for i in range(36)]))
    >>> y = np.ones(36); y[[0, 1, 6, 7]] = 20
    >>> out = hotspots(y, nb, seed=1)
    >>> sorted(out.loc[out.gi_class == "hot spot", "area_code"])
    ['a0', 'a1', 'a6', 'a7']
    """
    if gi_inference not in ("analytic", "permutation"):
        raise SchemaError(
            "hotspots", f"gi_inference is {gi_inference!r}, expected 'analytic' or 'permutation'"
        )
    if correction not in ("fdr", "none"):
        raise SchemaError("hotspots", f"correction is {correction!r}, expected 'fdr' or 'none'")
    y = _check(y, nb)
    gi = gi_star(y, nb, permutations=permutations, seed=seed, transform=transform)
    li = local_moran(y, nb, permutations=permutations, seed=None if seed is None else seed + 1)
    out = pd.DataFrame({"area_code": nb.ids, "value": y, "neighbours": nb.cardinalities})
    out = out.merge(gi, on="area_code").merge(li, on="area_code")
    out["gi_p_perm"] = out.gi_p
    if gi_inference == "analytic":
        out["gi_p"] = out.gi_p_norm
    adjust = fdr if correction == "fdr" else (lambda p: np.asarray(p, dtype=float))
    out["gi_p_fdr"] = adjust(out.gi_p.to_numpy())
    out["lisa_p_fdr"] = adjust(out.lisa_p.to_numpy())
    sig = out.gi_p_fdr <= alpha
    out["gi_class"] = np.where(
        sig & (out.gi_z > 0),
        "hot spot",
        np.where(sig & (out.gi_z < 0), "cold spot", "not significant"),
    )
    out["lisa_class"] = np.where(out.lisa_p_fdr <= alpha, out.lisa_quadrant, "not significant")
    group = hot_groups(out.gi_class.to_numpy(), y, nb)
    out["hot_spot_group"] = pd.Series(group, dtype="Int64").replace(0, pd.NA).array
    return out[HOTSPOT_COLUMNS + HOTSPOT_EXTRA]


def hot_groups(gi_class: np.ndarray, value: np.ndarray, nb: Neighbours) -> np.ndarray:
    """The places Gi* finds: each connected group of "hot spot" areas (by ``nb``, either
    direction) gets one number, 1 for the group holding the most ``value`` (ties: the group
    with the earliest area first); 0 for areas that are not hot spots.

    Gi* flags an area when its neighbourhood's sum is high, so one concentrated place comes out
    as several touching flagged areas; counting groups says how many places there are.

    Examples
    --------
    >>> import shapely
    >>> from vrukit.analysis.neighbours import queen
    >>> boxes = [shapely.box(x, 0, x + 1, 1) for x in range(5)]
    >>> nb = queen(np.array(boxes), np.array(list("abcde")))
    >>> cls = np.array(["hot spot", "hot spot", "not significant", "hot spot", "cold spot"])
    >>> hot_groups(cls, np.array([1.0, 1.0, 0.0, 5.0, 0.0]), nb).tolist()
    [2, 2, 0, 1, 0]
    """
    hot = np.nonzero(np.asarray(gi_class) == "hot spot")[0]
    out = np.zeros(len(gi_class), dtype=np.int64)
    if not len(hot):
        return out
    n, label = connected_components(nb.matrix[hot][:, hot], directed=False)
    total = np.bincount(label, weights=np.asarray(value, dtype=float)[hot], minlength=n)
    first = np.full(n, len(hot))
    np.minimum.at(first, label, np.arange(len(hot)))
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((first, -total))] = np.arange(1, n + 1)
    out[hot] = rank[label]
    return out
