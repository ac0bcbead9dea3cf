"""A VRU's own list of venues (pubs, clubs, stations, shopping centres) for location resolution.

The file is a CSV with a header: ``name, kind, longitude, latitude`` and optionally
``lsoa_code``. ``kind`` is one of the standard ISTV location types (``licensed_premises``,
``public_transport``, ...). A bad value stops the load with the file, line, column and value.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vrukit.errors import SchemaError
from vrukit.ingest.reference import first_bad
from vrukit.schemas import ISTV_LOCATION_TYPES, ISTV_VENUES

__all__ = ["VENUE_COLUMNS", "read_venues"]

VENUE_COLUMNS = ("name", "kind", "longitude", "latitude")
#: Great Britain, generously: a coordinate outside is a swapped or projected pair.
_LON, _LAT = (-9.0, 2.5), (49.0, 61.5)


def read_venues(path: Path | str) -> pd.DataFrame:
    """Read a venues CSV as rows of ``istv_venues`` (``lsoa_code`` NULL where not given)."""
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw.columns = [c.strip().lower() for c in raw.columns]
    missing = [c for c in VENUE_COLUMNS if c not in raw.columns]
    if missing:
        raise SchemaError(
            str(path),
            f"missing column(s) {', '.join(missing)}; a venues file has the columns "
            f"{', '.join(VENUE_COLUMNS)} and optionally lsoa_code",
        )
    name = raw.name.str.strip()
    first_bad(path, "name", raw.name, name.eq(""), "a venue name")
    kind = raw.kind.str.strip().str.lower()
    first_bad(
        path, "kind", raw.kind, ~kind.isin(ISTV_LOCATION_TYPES),
        "one of " + ", ".join(ISTV_LOCATION_TYPES),
    )  # fmt: skip
    coords = {}
    for col, (lo, hi) in (("longitude", _LON), ("latitude", _LAT)):
        v = pd.to_numeric(raw[col].str.strip(), errors="coerce")
        first_bad(
            path, col, raw[col], v.isna() | (v < lo) | (v > hi),
            f"a WGS84 {col} in Great Britain ({lo} to {hi})",
        )  # fmt: skip
        coords[col] = v
    lsoa = raw.lsoa_code.str.strip() if "lsoa_code" in raw.columns else pd.Series("", raw.index)
    first_bad(
        path, "lsoa_code", lsoa, lsoa.ne("") & ~lsoa.str.fullmatch(r"[EW]0[01]\d{6}"),
        "an LSOA code such as E01006412, or nothing",
    )  # fmt: skip
    out = pd.DataFrame(
        {
            "name": name,
            "kind": kind,
            "longitude": coords["longitude"],
            "latitude": coords["latitude"],
            "lsoa_code": lsoa.where(lsoa.ne(""), None),
            "source_file": path.name,
            "source_line": raw.index + 2,
        }
    )
    return out[ISTV_VENUES.names]
