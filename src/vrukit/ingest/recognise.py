"""What a downloaded reference file is, from its header alone.

An analyst's download folder holds boundaries, lookups, the Indices of Deprivation and
population estimates under whatever names the publishers (or their browser) gave them.
``recognise`` reads only each file's header (a spatial file's field list, a CSV's first line, a
workbook's first row per sheet) and says what the file is and which LSOA vintage it is on, so
that ``vrukit build`` can load each with the right reader, in the right order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyogrio

from vrukit.ingest.reference import iod_edition

__all__ = ["KINDS", "Recognised", "find_reference", "recognise"]

#: What a reference file can be, in the order files are loaded.
KINDS = ("boundaries", "rollups", "lsoa-lookup", "population", "deprivation")

SPATIAL = (".geojson", ".json", ".gpkg", ".shp", ".fgb")
TABLES = (".csv", ".csv.gz", ".xlsx")


@dataclass(frozen=True)
class Recognised:
    """A reference file: its ``kind`` (one of ``KINDS``, or None when not recognised), LSOA
    ``vintage`` (2011 or 2021; None when it has none), and what it is in words."""

    path: Path
    kind: str | None
    vintage: int | None
    what: str


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return ".csv.gz" if name.endswith(".csv.gz") else path.suffix.lower()


def _header(path: Path) -> list[list[str]]:
    """The column names of a table file (one list per sheet of a workbook)."""
    if _suffix(path) == ".xlsx":
        sheets = pd.read_excel(path, sheet_name=None, nrows=0, engine="calamine")
        return [[str(c) for c in df.columns] for df in sheets.values()]
    return [[str(c) for c in pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns]]


def _spatial(path: Path) -> Recognised:
    fields = [str(f) for f in pyogrio.read_info(path)["fields"]]
    upper = {f.upper() for f in fields}
    for vintage in (2011, 2021):
        if f"LSOA{vintage % 100}CD" in upper:
            return Recognised(path, "boundaries", vintage, f"LSOA {vintage} boundaries")
    return Recognised(path, None, None, "spatial file without LSOA11CD or LSOA21CD (not LSOAs)")


def _table(path: Path) -> Recognised:
    for cols in _header(path):
        found = set(cols)
        edition = iod_edition(cols)
        if edition:
            vintage = 2011 if edition == "IoD2019" else 2021
            return Recognised(path, "deprivation", vintage, f"{edition} deprivation")
        if {"LSOA11CD", "LSOA21CD", "CHGIND"} <= found:
            return Recognised(path, "lsoa-lookup", None, "ONS LSOA 2011 to 2021 lookup")
        for v in (2011, 2021):
            if {f"LSOA{v % 100}CD", f"MSOA{v % 100}CD"} <= found and any(
                c.startswith("LAD") and c.endswith("CD") for c in cols
            ):
                return Recognised(path, "rollups", v, f"ONS LSOA {v} to MSOA and LA lookup")
        lower = {c.lower() for c in cols}
        if {"total", "mnemonic"} <= lower or (
            "geography code" in lower and "residence type: total; measures: value" in lower
        ):
            return Recognised(path, "population", 2021, "Census 2021 TS001 residents")
        if {"lsoa", "pop"} <= lower:
            return Recognised(path, "population", 2011, "mid-year estimates (LSOA 2011)")
        if {"lsoa_code", "year", "age_band", "residents"} <= lower:
            return Recognised(path, "population", None, "population (tidy form)")
        if {"crime id", "month", "lsoa code"} <= lower:
            return Recognised(path, None, None, "a police.uk street file: give it with --police")
    return Recognised(path, None, None, "not a reference file vrukit knows (header not matched)")


def recognise(path: Path | str) -> Recognised:
    """What ``path`` is, from its header. Never raises for a file it cannot read: it says so."""
    path = Path(path)
    suffix = _suffix(path)
    try:
        if suffix in SPATIAL:
            return _spatial(path)
        if suffix in TABLES:
            return _table(path)
    except Exception as exc:  # an unreadable download is reported, not fatal to the others
        return Recognised(path, None, None, f"cannot be read ({str(exc).strip()[:120]})")
    return Recognised(path, None, None, f"not a reference file type ({suffix or 'no suffix'})")


def find_reference(paths: Iterable[Path | str]) -> list[Recognised]:
    """Every file under ``paths`` (files, or folders searched recursively), recognised, in
    path order."""
    found: list[Recognised] = []
    for given in map(Path, paths):
        files = sorted(p for p in given.rglob("*") if p.is_file()) if given.is_dir() else [given]
        found += [recognise(p) for p in files if not p.name.startswith(".")]
    return found
