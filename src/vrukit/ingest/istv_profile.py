"""Mapping profiles: how one emergency department's ISTV extract maps to the standard model.

Each ED sends its own layout. A profile is a small TOML file, written once by the ED's data lead
or the VRU analyst, that names the site, the file layout, which column holds each standard field,
the date formats, and how the site's local codes map to vrukit's standard categories.
docs/istv.md walks through writing one; the demo EDs' profiles are worked examples.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from vrukit.errors import ConfigError
from vrukit.schemas import (
    ISTV_AGE_BANDS,
    ISTV_ARRIVAL_MODES,
    ISTV_DISPOSALS,
    ISTV_LOCATION_TYPES,
    ISTV_METHODS,
    ISTV_SEXES,
)

__all__ = ["CODED_FIELDS", "FIELDS", "Profile", "load_profile", "load_profiles"]

#: Standard fields a profile may map, with what each holds.
FIELDS: dict[str, str] = {
    "arrival_at": "arrival date and time in one column",
    "arrival_date": "arrival date (with arrival_time)",
    "arrival_time": "arrival time (with arrival_date)",
    "assault_at": "assault date and time in one column",
    "assault_date": "assault date (with assault_time)",
    "assault_time": "assault time (with assault_date)",
    "method": "ASSAULT METHOD (coded)",
    "method_other": "ASSAULT METHOD OTHER DESCRIPTION",
    "location_type": "ASSAULT LOCATION TYPE (coded)",
    "location_description": "ASSAULT LOCATION DESCRIPTION",
    "age_band": "age band (optional, coded)",
    "sex": "sex (optional, coded)",
    "residence_lsoa": "LSOA of residence (optional)",
    "arrival_mode": "arrival mode (optional, coded)",
    "disposal": "disposal (optional, coded)",
}

#: Coded fields and their standard categories.
CODED_FIELDS: dict[str, tuple[str, ...]] = {
    "method": ISTV_METHODS,
    "location_type": ISTV_LOCATION_TYPES,
    "age_band": ISTV_AGE_BANDS,
    "sex": ISTV_SEXES,
    "arrival_mode": ISTV_ARRIVAL_MODES,
    "disposal": ISTV_DISPOSALS,
}

LAYOUTS = ("csv", "xlsx", "xml")


@dataclass(frozen=True)
class Profile:
    """One site's mapping profile (see the module docstring and docs/istv.md).

    Attributes
    ----------
    site_code, site_name
        SITE CODE (OF TREATMENT) and the department's name.
    files
        A glob on the file name that picks out this site's extracts, e.g. ``"RKM01_*.csv"``.
    layout
        'csv', 'xlsx' or 'xml'.
    columns
        Standard field -> the column (CSV, XLSX) or element (XML) that holds it.
    codes
        Coded field -> {local code: standard category}, local codes folded to lower case and
        stripped. A coded field without a table must already hold the standard categories.
    period_pattern
        For CSV and XLSX: a regular expression on the file name with groups ``year`` and
        ``month`` (a monthly extract) or ``start`` and ``end`` (YYYYMMDD or YYYY-MM-DD).
    xml
        For XML: ``record`` (the element of one assault) and the header elements
        ``period_start``, ``period_end`` and ``site_code``.
    """

    path: Path
    site_code: str
    site_name: str
    layout: str
    columns: Mapping[str, str]
    files: str = "*"
    date_format: str = "%Y-%m-%d"
    time_format: str = "%H:%M"
    datetime_format: str = "%Y-%m-%d %H:%M"
    codes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    delimiter: str = ","
    encoding: str = "utf-8"
    sheet: str | int = 0
    header_row: int = 1
    period_pattern: str | None = None
    xml: Mapping[str, str] = field(default_factory=dict)
    location: tuple[float, float] | None = None

    @property
    def name(self) -> str:
        return self.path.name

    def matches(self, path: Path) -> bool:
        """Whether ``path`` is one of this site's extracts (by its file name)."""
        return fnmatch.fnmatch(path.name.casefold(), self.files.casefold())

    def code(self, fld: str, local: str) -> str | None:
        """The standard category for a local value (matched case- and space-insensitively)."""
        table = self.codes.get(fld)
        key = local.strip().casefold()
        if table is None:
            return key if key in CODED_FIELDS[fld] else None
        return table.get(key)


def _fold_codes(path: Path, codes: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """Code tables keyed case- and space-insensitively; two keys that fold alike must agree."""
    out: dict[str, dict[str, str]] = {}
    for fld, table in codes.items():
        folded: dict[str, str] = {}
        for local, std in table.items():
            key = local.strip().casefold()
            if folded.get(key, std) != std:
                raise _fail(path, f"[codes.{fld}] maps {local!r} two ways (case is ignored)")
            folded[key] = std
        out[fld] = folded
    return out


def _fail(path: Path, what: str) -> ConfigError:
    return ConfigError(f"{path}: {what}; see docs/istv.md, 'Writing a profile'")


def _check_columns(path: Path, columns: Mapping[str, str], layout: str) -> None:
    unknown = [k for k in columns if k not in FIELDS]
    if unknown:
        raise _fail(path, f"[columns] has {unknown[0]!r}, expected one of {', '.join(FIELDS)}")
    for stem in ("arrival", "assault"):
        joined, date = f"{stem}_at", f"{stem}_date"
        if joined in columns and date in columns:
            raise _fail(path, f"[columns] gives both {joined} and {date}; use one")
    if "assault_at" not in columns and "assault_date" not in columns:
        raise _fail(path, "[columns] must map assault_at or assault_date (a mandatory field)")
    for required in ("method", "location_type"):
        if required not in columns:
            raise _fail(path, f"[columns] must map {required} (a mandatory field)")


def _check_codes(path: Path, codes: Mapping[str, Mapping[str, str]]) -> None:
    for fld, table in codes.items():
        if fld not in CODED_FIELDS:
            raise _fail(path, f"[codes.{fld}]: {fld!r} is not coded; coded: {list(CODED_FIELDS)}")
        for local, std in table.items():
            if std not in CODED_FIELDS[fld]:
                raise _fail(
                    path,
                    f"[codes.{fld}] maps {local!r} to {std!r}, "
                    f"expected one of {', '.join(CODED_FIELDS[fld])}",
                )


def _period_pattern(path: Path, data: Mapping[str, object], layout: str) -> str | None:
    pattern = data.get("period", {}).get("pattern")  # type: ignore[attr-defined]
    if layout == "xml":
        return None
    if not pattern:
        raise _fail(path, "[period] pattern is needed for csv and xlsx extracts")
    try:
        groups = set(re.compile(str(pattern)).groupindex)
    except re.error as exc:
        raise _fail(path, f"[period] pattern is not a regular expression ({exc})") from exc
    if not ({"year", "month"} <= groups or {"start", "end"} <= groups):
        raise _fail(path, "[period] pattern needs groups (?P<year>..)(?P<month>..) or start/end")
    return str(pattern)


def load_profile(path: Path | str) -> Profile:
    """Read and check one profile file."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise _fail(p, f"cannot be read as TOML ({exc})") from exc
    for key in ("site_code", "layout", "columns", "files"):
        if key not in data:
            raise _fail(p, f"has no {key!r}")
    layout = str(data["layout"]).lower()
    if layout not in LAYOUTS:
        raise _fail(p, f"layout is {layout!r}, expected one of {', '.join(LAYOUTS)}")
    columns = {str(k): str(v) for k, v in data["columns"].items()}
    _check_columns(p, columns, layout)
    codes = {
        str(k): {str(a): str(b) for a, b in v.items()} for k, v in data.get("codes", {}).items()
    }
    _check_codes(p, codes)
    codes = _fold_codes(p, codes)
    fmt = data.get("formats", {})
    xml = {str(k): str(v) for k, v in data.get("xml", {}).items()}
    if layout == "xml" and "record" not in xml:
        raise _fail(p, "[xml] record (the element of one assault) is needed for xml extracts")
    loc = data.get("location")
    return Profile(
        path=p,
        site_code=str(data["site_code"]),
        site_name=str(data.get("site_name", data["site_code"])),
        layout=layout,
        columns=columns,
        files=str(data["files"]),
        date_format=str(fmt.get("date", "%Y-%m-%d")),
        time_format=str(fmt.get("time", "%H:%M")),
        datetime_format=str(fmt.get("datetime", "%Y-%m-%d %H:%M")),
        codes=codes,
        delimiter=str(data.get("delimiter", ",")),
        encoding=str(data.get("encoding", "utf-8")),
        sheet=data.get("sheet", 0),
        header_row=int(data.get("header_row", 1)),
        period_pattern=_period_pattern(p, data, layout),
        xml=xml,
        location=None if loc is None else (float(loc[0]), float(loc[1])),
    )


def load_profiles(paths: list[Path | str] | Path | str) -> dict[str, Profile]:
    """Every profile under the given files or folders (``*.toml``), by site code."""
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    out: dict[str, Profile] = {}
    for item in items:
        p = Path(item)
        files = sorted(p.glob("*.toml")) if p.is_dir() else [p]
        for f in files:
            prof = load_profile(f)
            if prof.site_code in out:
                raise _fail(f, f"site {prof.site_code} already has {out[prof.site_code].path}")
            out[prof.site_code] = prof
    if not out:
        raise ConfigError(f"no ISTV profiles (*.toml) found in {', '.join(map(str, items))}")
    return out
