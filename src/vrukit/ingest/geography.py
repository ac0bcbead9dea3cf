"""The LSOA 2011 to 2021 change lookup: read ONS's published file, or derive it from boundaries.

ONS classes every pair: U (unchanged), S (a 2011 LSOA split into several 2021 ones), M (several
2011 LSOAs merged into one) and X (redrawn, neither). Each row here also carries ``weight``, the
share of the 2011 area that lies in the 2021 area, used to apportion counts (best fit).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from vrukit.errors import SchemaError
from vrukit.ingest.reference import first_bad
from vrukit.schemas import LSOA_LOOKUP

__all__ = ["derive_lsoa_lookup", "read_area_lookup", "read_lsoa_lookup"]


def _classify(pairs: pd.DataFrame) -> pd.Series:
    n21 = pairs.groupby("lsoa11_code").lsoa21_code.transform("nunique")
    n11 = pairs.groupby("lsoa21_code").lsoa11_code.transform("nunique")
    many_to_many = pairs.assign(_m=(n11 > 1) & (n21 > 1))
    x21 = many_to_many.groupby("lsoa21_code")._m.transform("any")
    x11 = many_to_many.groupby("lsoa11_code")._m.transform("any")
    change = np.select(
        [x21 | x11, (n21 == 1) & (n11 == 1), n21 > 1, n11 > 1], ["X", "U", "S", "M"], "X"
    )
    return pd.Series(change, index=pairs.index)


def derive_lsoa_lookup(
    areas2011: pd.DataFrame, areas2021: pd.DataFrame, *, min_share: float = 0.02
) -> pd.DataFrame:
    """Derive the change lookup from two sets of boundaries (``areas`` rows with geometry).

    Overlaps smaller than ``min_share`` of both areas are treated as generalisation slivers.
    Weights are area shares (no population weighting: the shared data has no Output Areas).
    """
    g11 = shapely.from_wkb(areas2011.geometry_wkb.to_numpy())
    g21 = shapely.from_wkb(areas2021.geometry_wkb.to_numpy())
    tree = shapely.STRtree(g21)
    i11, i21 = tree.query(g11, predicate="intersects")
    inter = shapely.area(shapely.intersection(g11[i11], g21[i21]))
    share11 = inter / shapely.area(g11[i11])
    share21 = inter / shapely.area(g21[i21])
    keep = (share11 >= min_share) | (share21 >= min_share)
    pairs = pd.DataFrame(
        {
            "lsoa11_code": areas2011.lsoa_code.to_numpy()[i11[keep]],
            "lsoa21_code": areas2021.lsoa_code.to_numpy()[i21[keep]],
            "weight": share11[keep],
        }
    )
    pairs["weight"] = pairs.weight / pairs.groupby("lsoa11_code").weight.transform("sum")
    pairs["change"] = _classify(pairs)
    pairs["method"] = "spatial"
    return pairs[LSOA_LOOKUP.names].sort_values(["lsoa11_code", "lsoa21_code"], ignore_index=True)


def read_lsoa_lookup(path: Path | str) -> pd.DataFrame:
    """Read ONS's LSOA (2011) to LSOA (2021) lookup (columns LSOA11CD, LSOA21CD, CHGIND).

    Weights: 1 for U and M rows; for S and X rows the 2011 area is shared equally among its 2021
    areas (the published file carries no weights).
    """
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    need = {"LSOA11CD", "LSOA21CD", "CHGIND"}
    if missing := sorted(need - set(raw.columns)):
        raise SchemaError(
            str(path),
            f"missing column(s) {missing}; expected ONS's LSOA11-LSOA21 "
            f"lookup with {sorted(need)} (found {list(raw.columns)})",
            line=1,
        )
    valid = raw.CHGIND.isin(["U", "S", "M", "X"])
    first_bad(path, "CHGIND", raw.CHGIND, ~valid, "U, S, M or X")
    out = pd.DataFrame(
        {"lsoa11_code": raw.LSOA11CD, "lsoa21_code": raw.LSOA21CD, "change": raw.CHGIND}
    )
    out["weight"] = 1 / out.groupby("lsoa11_code").lsoa21_code.transform("count")
    out["method"] = "ons"
    return out[LSOA_LOOKUP.names]


def read_area_lookup(path: Path | str) -> pd.DataFrame:
    """LSOA to MSOA and local authority from ONS's Output Area lookup: 2011 (OA11CD, LSOA11CD,
    MSOA11CD, LAD17CD ...) or 2021 (OA21CD, LSOA21CD, MSOA21CD, LAD22CD ...).

    Returns one row per LSOA: ``lsoa_code, msoa_code, msoa_name, lad_code, lad_name``, with
    ``attrs["vintage"]`` 2011 or 2021.
    """
    path = Path(path)
    head = pd.read_csv(path, dtype=str, nrows=0, encoding="utf-8-sig")
    vintage = 2021 if "LSOA21CD" in head.columns else 2011
    yy = vintage % 100
    lad = next((c for c in head.columns if c.startswith("LAD") and c.endswith("CD")), None)
    need = [f"LSOA{yy}CD", f"MSOA{yy}CD", f"MSOA{yy}NM"]
    if lad is None or any(c not in head.columns for c in need):
        raise SchemaError(
            str(path),
            f"expected columns {need} and a LADxxCD column (found {list(head.columns)})",
            line=1,
        )
    cols = [*need, lad, lad[:-2] + "NM"]
    raw = pd.read_csv(path, dtype=str, usecols=cols, encoding="utf-8-sig")[cols].drop_duplicates()
    raw.columns = ["lsoa_code", "msoa_code", "msoa_name", "lad_code", "lad_name"]
    dup = raw[raw.lsoa_code.duplicated()]
    if len(dup):
        raise SchemaError(str(path), f"LSOA {dup.lsoa_code.iloc[0]!r} lies in two MSOAs or LAs")
    out = raw.reset_index(drop=True)
    out.attrs["vintage"] = vintage
    return out
