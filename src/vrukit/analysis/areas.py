"""Moving counts between geographies: best-fit LSOA 2011 to 2021, and rollups to MSOA and LA."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from vrukit.errors import SchemaError

__all__ = ["best_fit", "rollup"]

LEVELS = {"msoa": ("msoa_code", "msoa_name"), "lad": ("lad_code", "lad_name")}


def best_fit(
    counts: pd.DataFrame, lookup: pd.DataFrame, *, values: Sequence[str], by: Sequence[str] = ()
) -> pd.DataFrame:
    """Convert counts keyed by ``lsoa_code`` (2011) to LSOA 2021 codes.

    Each 2011 count is apportioned over its 2021 areas by the lookup's ``weight`` (U and M rows
    have weight 1), so totals are preserved for every 2011 code present in the lookup. Codes
    absent from the lookup are returned unchanged in a separate frame via ``attrs['unmatched']``.

    Examples
    --------
    >>> counts = pd.DataFrame({"lsoa_code": ["A", "B"], "n": [10, 4]})
    >>> lookup = pd.DataFrame({"lsoa11_code": ["A", "A", "B"], "lsoa21_code": ["A1", "A2", "C"],
    ...                        "weight": [0.25, 0.75, 1.0]})
    >>> best_fit(counts, lookup, values=["n"]).to_dict("list")
    {'lsoa_code': ['A1', 'A2', 'C'], 'n': [2.5, 7.5, 4.0]}
    """
    m = counts.merge(
        lookup[["lsoa11_code", "lsoa21_code", "weight"]],
        how="left",
        left_on="lsoa_code",
        right_on="lsoa11_code",
    )
    unmatched = m[m.lsoa21_code.isna()][counts.columns]
    m = m[m.lsoa21_code.notna()].copy()
    for v in values:
        m[v] = m[v] * m.weight
    out = m.groupby([*by, "lsoa21_code"], as_index=False)[list(values)].sum()
    out = out.rename(columns={"lsoa21_code": "lsoa_code"})[[*by, "lsoa_code", *values]]
    out.attrs["unmatched"] = unmatched
    return out


def rollup(
    counts: pd.DataFrame,
    areas: pd.DataFrame,
    *,
    level: str = "lad",
    values: Sequence[str],
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Sum counts keyed by ``lsoa_code`` up to MSOA (``level="msoa"``) or local authority ("lad").

    Every LSOA must be known to ``areas``; an unknown one is an error naming it, so no count is
    silently lost.
    """
    if level not in LEVELS:
        raise SchemaError("rollup", f"level is {level!r}, expected one of {sorted(LEVELS)}")
    code, name = LEVELS[level]
    keyed = counts.merge(
        areas[["lsoa_code", code, name]].drop_duplicates("lsoa_code"), how="left", on="lsoa_code"
    )
    unknown = keyed[keyed[code].isna()].lsoa_code.unique()
    if len(unknown):
        raise SchemaError(
            "rollup",
            f"{len(unknown)} LSOA code(s) have no {level}, e.g. "
            f"{unknown[0]!r}; load boundaries or a lookup that covers them",
        )
    return keyed.groupby([*by, code, name], as_index=False)[list(values)].sum()
