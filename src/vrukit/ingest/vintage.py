"""Which LSOA vintage a file is on, and whether an area-level file fits the loaded areas.

LSOA codes come in two vintages: 2011 (police.uk until 2023, IoD2019, mid-year estimates to
2020) and 2021 (police.uk since, IoD2025, Census 2021). About 95% of codes are the same in both,
so a file of the other vintage *looks* as if it fits and silently leaves the changed areas out;
worse, tables keyed by vintage (population) match nothing. ``check_fit`` is the guard an
area-level file passes before it is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vrukit.errors import InputFileError

__all__ = ["Fit", "check_fit", "convert_population", "file_vintages"]

#: Below this share of the loaded areas matched, a file is refused: it is of another area or
#: vintage, and loading it would leave most areas without a value.
MIN_SHARE = 0.5

#: What a user of each vintage should load instead (population, deprivation).
_OTHER = {
    ("population", 2011): "mid-year estimates on LSOA 2011 (mid-2020 or earlier)",
    ("population", 2021): "Census 2021 TS001 or mid-2022 onwards estimates on LSOA 2021",
    ("deprivation", 2011): "IoD2019 (File 7, or Files 1 to 6)",
    ("deprivation", 2021): "IoD2025 (File 7, or Files 1 to 6)",
}


@dataclass(frozen=True)
class Fit:
    """How an area-level file fits the loaded areas of its vintage."""

    vintage: int
    areas: int
    matched: int
    missing: tuple[str, ...]

    @property
    def message(self) -> str | None:
        """A line for the ingest log when some loaded areas get no row, else None."""
        if not self.missing:
            return None
        named = ", ".join(self.missing[:10]) + (" ..." if len(self.missing) > 10 else "")
        return (
            f"{len(self.missing):,} of {self.areas:,} loaded LSOA {self.vintage} areas have no "
            f"row in this file: {named}"
        )


def file_vintages(table: str, frame: pd.DataFrame) -> set[int]:
    """The LSOA vintage(s) of an area-level frame (population carries it; deprivation by
    edition)."""
    if "vintage" in frame:
        return {int(v) for v in frame.vintage.dropna().unique()}
    if "edition" in frame:
        return {2011 if e == "IoD2019" else 2021 for e in frame.edition.dropna().unique()}
    raise ValueError(f"{table}: no vintage or edition column")


def check_fit(
    areas: pd.DataFrame, frame: pd.DataFrame, *, table: str, source: Path | str
) -> Fit | None:
    """Refuse ``frame`` (an area-level file bound for ``table``) when it cannot serve the loaded
    ``areas`` (``lsoa_code``, ``vintage``): none of them is of its vintage, or fewer than half get
    a row. Returns how it fits (None when no areas are loaded yet: nothing to check against).
    """
    if areas.empty:
        return None
    have = sorted({int(v) for v in areas.vintage.unique()})
    found = file_vintages(table, frame)
    shown = " and ".join(f"LSOA {v}" for v in sorted(found))
    usable = [v for v in have if v in found]
    if not usable:
        want = have[-1]
        raise InputFileError(
            str(source),
            f"this {table} file is on {shown} codes, but the loaded boundaries are LSOA "
            f"{' and '.join(map(str, have))}: load {_OTHER.get((table, want), 'a file')} "
            f"instead; or load ONS's LSOA 2011 to 2021 lookup (`vrukit ingest lookup FILE`, "
            "or `--derive` it from both vintages' boundaries) and load this file again, which "
            f"then converts it; or load LSOA {max(found)} boundaries (`vrukit ingest "
            "boundaries`) and analyse on those",
        )
    vintage = usable[-1]
    mine = areas[areas.vintage == vintage].lsoa_code.astype(str)
    if table == "deprivation":  # the English Indices cover England's LSOAs (E01) only
        mine = mine[mine.str.startswith("E")]
        if mine.empty:
            raise InputFileError(
                str(source),
                "the English Indices of Deprivation cover England only, and the loaded areas are "
                "in Wales (W01): the Welsh Index of Multiple Deprivation is not supported yet",
            )
    codes = set(frame.lsoa_code.astype(str))
    hit = mine.isin(codes)
    if hit.mean() < MIN_SHARE:
        raise InputFileError(
            str(source),
            f"only {int(hit.sum()):,} of the {len(mine):,} loaded LSOA {vintage} areas have a row "
            f"in this {table} file (first missing: {', '.join(sorted(mine[~hit])[:3])}); is it "
            "for another area or another LSOA vintage?",
        )
    return Fit(vintage, len(mine), int(hit.sum()), tuple(sorted(mine[~hit])))


def convert_population(frame: pd.DataFrame, lookup: pd.DataFrame, *, to: int) -> pd.DataFrame:
    """Convert a population frame to LSOA vintage ``to`` through the change ``lookup``.

    Residents of an unchanged (U) area carry over. From 2011 to 2021 a 2011 area's residents
    are shared among its 2021 areas by the lookup's ``weight`` (S and X); merged (M) areas add
    up. From 2021 to 2011 the weights are turned round: each 2021 area is shared among the 2011
    areas it came from in proportion to their weights (equal shares for ONS's M rows, which
    carry no weights). Shares are rounded by largest remainder within each source area, year
    and age band, so every source area's residents are kept exactly. Rows whose code is not in
    the lookup are left out and counted. ``attrs["message"]`` says what was converted.
    """
    src, dst = ("lsoa11_code", "lsoa21_code") if to == 2021 else ("lsoa21_code", "lsoa11_code")
    pairs = lookup[["lsoa11_code", "lsoa21_code", "weight", "change"]].copy()
    if to == 2011:
        pairs["weight"] = pairs.weight / pairs.groupby("lsoa21_code").weight.transform("sum")
    m = frame.merge(pairs, how="inner", left_on="lsoa_code", right_on=src)
    # largest-remainder rounding within each source row
    m["_share"] = m.residents.astype("float64") * m.weight
    m["_floor"] = np.floor(m._share + 1e-9).astype("int64")
    m["_rem"] = m._share - m._floor
    keys = ["lsoa_code", "year", "age_band", "source"]
    left = m.groupby(keys).residents.transform("first") - m.groupby(keys)._floor.transform("sum")
    m = m.sort_values([*keys, "_rem", dst], ascending=[True] * len(keys) + [False, True])
    m["_rank"] = m.groupby(keys).cumcount()
    m["residents"] = m._floor + (m._rank < left.loc[m.index]).astype("int64")
    out = (
        m.assign(lsoa_code=m[dst], vintage=to)
        .groupby(["lsoa_code", "vintage", "year", "age_band", "source"], as_index=False)
        .residents.sum()
    )
    out["source"] = out.source + f" (converted to LSOA {to})"
    out = out[list(frame.columns)].astype(frame.dtypes.to_dict())
    codes = frame.lsoa_code.drop_duplicates()
    known = codes.isin(pairs[src])
    changed = set(pairs.loc[pairs.change != "U", src])
    moved = int(codes[known].isin(changed).sum())
    frm = 2011 if to == 2021 else 2021
    msg = (
        f"converted from LSOA {frm} to LSOA {to} through the change lookup: {int(known.sum()):,} "
        f"of {len(codes):,} codes converted ({moved:,} split, merged or redrawn, their residents "
        "shared by the lookup's weights)"
    )
    if not known.all():
        msg += f"; {int((~known).sum()):,} codes not in the lookup left out"
    out.attrs.update(frame.attrs)
    out.attrs.setdefault("rows_read", len(frame))
    out.attrs["rows_in"] = int(frame.lsoa_code.isin(pairs[src]).sum())  # the rest left out
    out.attrs["message"] = "; ".join(m for m in (frame.attrs.get("message"), msg) if m)
    out.attrs["converted"] = {"from": frm, "codes": int(known.sum()), "moved": moved}
    return out
