"""Reference data: LSOA boundaries, IoD2019/IoD2025 deprivation and population, read into
warehouse shapes.

Each reader checks the header first and names the file and the column that is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import shapely
from python_calamine import CalamineError

from vrukit.errors import InputFileError, SchemaError
from vrukit.geo import repair_polygons, to_wgs84, transformer
from vrukit.schemas import (
    AREAS,
    DEPRIVATION,
    DEPRIVATION_DOMAINS,
    POPULATION,
)

__all__ = [
    "iod_edition",
    "read_boundaries",
    "read_iod",
    "read_population",
    "read_postcodes",
    "read_wards",
]

LSOA_CODE = re.compile(r"^[EW]01\d{6}$")


def _find(columns: Iterable[str], pattern: str) -> str | None:
    """The first column whose name matches ``pattern`` (case-insensitive), if any."""
    hits = [c for c in columns if re.fullmatch(pattern, c, flags=re.IGNORECASE)]
    return hits[0] if hits else None


def _pick(columns: Iterable[str], pattern: str, path: Path, what: str) -> str:
    """Like ``_find``, but a missing column is a SchemaError naming the file and its columns."""
    found = _find(columns, pattern)
    if found is None:
        raise SchemaError(
            str(path), f"no {what} column (looked for /{pattern}/ among {list(columns)})"
        )
    return found


def _polygons_27700(meta: dict[str, Any], geom: Any) -> tuple[Any, list[Any]]:
    """A layer's polygons in EPSG:27700 (from any CRS; none said: WGS84), repaired."""
    shapes = shapely.from_wkb(geom)
    crs = meta.get("crs") or "EPSG:4326"
    if "27700" not in str(crs):
        tr = transformer(crs, 27700)
        shapes = shapely.transform(
            shapes, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))
        )
    return repair_polygons(shapes)


def read_boundaries(path: Path | str) -> pd.DataFrame:
    """LSOA polygons (GeoJSON or GeoPackage, any CRS) as ``areas`` rows, geometry in EPSG:27700.

    Invalid polygons are repaired (``vrukit.geo.repair_polygons``) and rows without any area
    left out; ``frame.attrs`` holds ``rows_read``, ``repairs`` (one dict per polygon changed:
    code, reason, action, area before and after) and ``message`` (a one-line summary for the
    ingest log, or None).
    """
    path = Path(path)
    meta, _, geom, fields = _read_layer(path)
    cols = list(meta["fields"])
    data = dict(zip(cols, fields, strict=True))
    code = _pick(cols, r"LSOA(11|21)CD", path, "LSOA code (LSOA11CD or LSOA21CD)")
    vintage = 2011 if "11" in code else 2021
    name = _find(cols, r"LSOA(11|21)NM")
    lad = _find(cols, r"LAD(\d\d)?CD(_ACTIVE)?")
    lad_nm = _find(cols, r"LAD(\d\d)?NM(_ACTIVE)?")
    msoa = _find(cols, r"MSOA(11|21)CD")
    msoa_nm = _find(cols, r"MSOA(11|21)NM")
    shapes, repairs = _polygons_27700(meta, geom)
    cent = shapely.centroid(shapes)
    lon, lat = to_wgs84(shapely.get_x(cent), shapely.get_y(cent)).T
    n = len(shapes)

    def col(c: str | None) -> object:
        return data[c] if c else [None] * n

    frame = pd.DataFrame(
        {
            "lsoa_code": data[code],
            "vintage": vintage,
            "lsoa_name": col(name),
            "msoa_code": col(msoa),
            "msoa_name": col(msoa_nm),
            "lad_code": col(lad),
            "lad_name": col(lad_nm),
            "population": pd.array([None] * n, dtype="Int64"),
            "population_source": None,
            "centroid_easting": shapely.get_x(cent),
            "centroid_northing": shapely.get_y(cent),
            "centroid_lon": lon,
            "centroid_lat": lat,
            "geometry_wkb": shapely.to_wkb(shapes),
        },
        columns=AREAS.names,
    )
    _check_codes(frame.lsoa_code, path, code)
    if lad_nm is None and name is not None:
        # ONS names an LSOA after its local authority ("Liverpool 001A"): the name, less its
        # MSOA number and letter, is the authority's
        frame["lad_name"] = frame.lsoa_name.astype(str).str.extract(_LAD_OF_LSOA_NAME)[0]
    codes = frame.lsoa_code.astype(str).to_numpy()
    listed = [
        {
            "lsoa_code": codes[r.index],
            "line": r.index + 1,
            "reason": r.reason,
            "action": r.action,
            "area_before_m2": round(r.area_before, 1),
            "area_after_m2": round(r.area_after, 1),
        }
        for r in repairs
    ]
    left_out = [r.index for r in repairs if r.action == "left out"]
    frame = frame.drop(index=left_out).reset_index(drop=True)
    frame.attrs.update(rows_read=n, repairs=listed, message=_repair_message(listed))
    return frame


_LAD_OF_LSOA_NAME = r"^(.+?) \d{3}[A-Z]$"


def read_wards(path: Path | str) -> pd.DataFrame:
    """Electoral ward polygons (ONS ``WDyyCD``/``WDyyNM``, GeoJSON or GeoPackage, any CRS) as
    ``ward_code``, ``ward_name``, ``lad_code`` (when given) and ``geometry_wkb`` in EPSG:27700.
    Invalid polygons are repaired and empty ones left out, as for LSOAs."""
    path = Path(path)
    meta, _, geom, fields = _read_layer(path)
    cols = list(meta["fields"])
    data = dict(zip(cols, fields, strict=True))
    code = _pick(cols, r"WD\d\dCD", path, "ward code (e.g. WD25CD)")
    name = _pick(cols, r"WD\d\dNM", path, "ward name (e.g. WD25NM)")
    lad = _find(cols, r"LAD(\d\d)?CD(_ACTIVE)?")
    shapes, repairs = _polygons_27700(meta, geom)
    frame = pd.DataFrame({
        "ward_code": data[code], "ward_name": [str(v).strip() for v in data[name]],
        "lad_code": data[lad] if lad else [None] * len(shapes),
        "geometry_wkb": shapely.to_wkb(shapes),
    })  # fmt: skip
    gone = [r.index for r in repairs if r.action == "left out"]
    return frame.drop(index=gone).reset_index(drop=True)


def _repair_message(repairs: list[dict[str, object]]) -> str | None:
    """One line for the ingest log: how many polygons were repaired or left out, and which."""
    if not repairs:
        return None
    parts = []
    for action in ("repaired", "left out"):
        rows = [r for r in repairs if r["action"] == action]
        if rows:
            named = "; ".join(f"{r['lsoa_code']} ({r['reason']})" for r in rows[:10])
            more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
            parts.append(f"{action} {len(rows)} invalid polygon(s): {named}{more}")
    return ". ".join(parts)


def _read_layer(path: Path) -> tuple:
    """pyogrio's raw read, any failure (missing, truncated, not a spatial file) as an
    InputFileError naming the file."""
    if not path.exists():
        raise InputFileError(str(path), "no such file")
    try:
        return pyogrio.raw.read(path)
    except Exception as exc:  # GDAL's errors name neither file nor cure
        raise InputFileError(
            str(path),
            f"cannot be read as GeoJSON or GeoPackage ({str(exc).strip()[:200]}); "
            "download it again - a truncated file is the usual cause",
        ) from exc


def first_bad(
    path: Path,
    column: str,
    values: pd.Series,
    bad: pd.Series,
    expected: str,
    *,
    label: str | None = None,
) -> None:
    """Raise a SchemaError naming the first value flagged in ``bad`` (file line = index + 2).

    ``label`` is how the message names the column (default: the column name itself).
    """
    if bad.any():
        i = int(bad.to_numpy().argmax())
        value = values.iloc[i]
        raise SchemaError(
            str(path),
            f"{label or column} is {value!r}, expected {expected}",
            line=int(values.index[i]) + 2,
            column=column,
            value=str(value),
        )


def _check_codes(codes: pd.Series, path: Path, column: str) -> None:
    bad = ~codes.astype(str).str.match(LSOA_CODE)
    first_bad(path, column, codes, bad, "a code like E01006412")


_MEASURE = re.compile(r"^(?P<name>.+?) (?P<measure>Score|Rank|Decile)\b", re.IGNORECASE)
#: The published files' key columns, per edition (IoD2019 on LSOA 2011, IoD2025 on LSOA 2021).
_IOD_KEYS = {
    "IoD2019": {
        "LSOA code (2011)": "lsoa_code",
        "LSOA name (2011)": "lsoa_name",
        "Local Authority District code (2019)": "lad_code",
        "Local Authority District name (2019)": "lad_name",
    },
    "IoD2025": {
        "LSOA code (2021)": "lsoa_code",
        "LSOA name (2021)": "lsoa_name",
        "Local Authority District code (2024)": "lad_code",
        "Local Authority District name (2024)": "lad_name",
    },
}
#: The IoD2025 scores as humaniverse/IMD republish File 7 (``lsoa21_code``, ``IMD_score`` ...).
_HUMANIVERSE = {
    "IMD": "imd", "Income": "income", "Employment": "employment", "Education": "education",
    "Health": "health", "Crime": "crime", "Housing_and_Services": "barriers",
    "Environment": "living_environment",
}  # fmt: skip
#: Population denominators by how their published names begin (the mid-year and the working
#: age range change between editions: "mid 2015", "18-59/64" in 2019; "mid 2022" in 2025).
_DENOMINATOR_PREFIX = {
    "total population": "denominator_total",
    "dependent children": "denominator_children_0_15",
    "population aged 16-": "denominator_16_59",
    "older population": "denominator_60_plus",
    "working age population": "denominator_working_age",
}


def _denominator(column: str) -> str | None:
    low = column.lower()
    return next((c for p, c in _DENOMINATOR_PREFIX.items() if low.startswith(p)), None)


def iod_edition(columns: Iterable[str]) -> str | None:
    """'IoD2019' or 'IoD2025' from a file's header (its LSOA code column), or None."""
    cols = set(columns)
    for edition, keys in _IOD_KEYS.items():
        if next(iter(keys)) in cols:
            return edition
    return "IoD2025" if "lsoa21_code" in cols else None


def _iod_mapping(columns: list[str], path: Path) -> tuple[str, dict[str, str]]:
    edition = iod_edition(columns)
    if edition is None:
        raise SchemaError(
            str(path),
            "no 'LSOA code (2011)' (IoD2019) or 'LSOA code (2021)' (IoD2025) column; "
            f"is this an English Indices of Deprivation file? (columns: {columns[:6]})",
            line=1,
        )
    if "lsoa21_code" in columns:
        return edition, _humaniverse_mapping(columns, path)
    keys = _IOD_KEYS[edition]
    names = {n.lower(): stem for stem, n in DEPRIVATION_DOMAINS}
    mapping: dict[str, str] = {}
    for c in columns:
        if c in keys:
            mapping[c] = keys[c]
        elif denominator := _denominator(c):
            mapping[c] = denominator
        elif (m := _MEASURE.match(c)) and m["name"].lower() in names:
            mapping[c] = f"{names[m['name'].lower()]}_{m['measure'].lower()}"
        elif edition != "IoD2019":
            continue  # a newer edition may add columns: the known ones are read, others left
        else:
            raise SchemaError(
                str(path),
                f"column {c!r} is not an {edition} column; expected the "
                "headers of the published File 1, 2, 3, 4, 5, 6 or 7",
                line=1,
                column=c,
            )
    return edition, mapping


def _humaniverse_mapping(columns: list[str], path: Path) -> dict[str, str]:
    mapping = {"lsoa21_code": "lsoa_code"}
    for c in columns:
        if c == "lsoa21_code":
            continue
        stem, _, measure = c.rpartition("_")
        if stem not in _HUMANIVERSE or measure not in ("score", "rank", "decile"):
            raise SchemaError(
                str(path),
                f"column {c!r} is not one of the IoD2025 scores as humaniverse/IMD publish them "
                f"({', '.join(_HUMANIVERSE)} with _score, _rank or _decile)",
                line=1,
                column=c,
            )
        mapping[c] = f"{_HUMANIVERSE[stem]}_{measure}"
    return mapping


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix in (".xlsx", ".xls"):
        try:
            sheets = pd.read_excel(path, sheet_name=None, dtype=str, engine="calamine")
        except (ValueError, OSError, CalamineError) as exc:
            raise InputFileError(str(path), f"cannot be read as an Excel workbook ({exc})") from exc
        for df in sheets.values():
            if iod_edition(df.columns):
                return df
        raise SchemaError(
            str(path),
            "no sheet has an 'LSOA code (2011)' or 'LSOA code (2021)' column "
            f"(sheets: {list(sheets)})",
        )
    if not path.exists():
        raise InputFileError(str(path), "no such file")
    return pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)


def _numbers(s: pd.Series, path: Path, column: str) -> pd.Series:
    clean = s.str.replace(",", "", regex=False).str.strip()
    out = pd.to_numeric(clean.replace("", None), errors="coerce")
    first_bad(path, column, s, out.isna() & clean.ne(""), "a number", label=repr(column))
    return out


def read_iod(paths: Iterable[Path | str]) -> pd.DataFrame:
    """English Indices of Deprivation files as rows of ``deprivation``: IoD2019 (File 7 alone,
    or Files 1 to 6 together, on LSOA 2011) or IoD2025 (the same files on LSOA 2021, or the
    scores as humaniverse/IMD republish File 7). One edition per call.

    ``frame.attrs["files"]`` lists ``(path, rows)`` of each file read, for the ingest log.
    """
    merged: pd.DataFrame | None = None
    sources: list[str] = []
    read: list[tuple[Path, int]] = []
    editions: dict[str, Path] = {}
    for p in map(Path, paths):
        raw = _read_table(p)
        edition, mapping = _iod_mapping(list(raw.columns), p)
        editions.setdefault(edition, p)
        if len(editions) > 1:
            (e1, p1), (e2, p2) = editions.items()
            raise SchemaError(
                str(p), f"{p2.name} is {e2} but {p1.name} is {e1}: load one edition at a time"
            )
        df = raw.rename(columns=mapping)
        for c in mapping.values():
            if c not in ("lsoa_code", "lsoa_name", "lad_code", "lad_name"):
                df[c] = _numbers(df[c], p, c)
        _check_codes(df.lsoa_code, p, next(k for k, v in mapping.items() if v == "lsoa_code"))
        merged = (
            df if merged is None else merged.combine_first(df.set_index("lsoa_code").reset_index())
        )
        sources.append(p.name)
        read.append((p, len(raw)))
    if merged is None:
        raise SchemaError("(no files)", "give at least one Indices of Deprivation file")
    merged = merged.groupby("lsoa_code", as_index=False).first()
    out = merged.reindex(columns=DEPRIVATION.names)
    out["source"] = " + ".join(sources)
    out["edition"] = next(iter(editions))
    out.attrs["files"] = read
    return out


#: Population files with one total per LSOA: (columns, code column, count column, year, source).
_TOTAL_FORMATS = (
    ({"total", "mnemonic"}, "mnemonic", "total", 2021, "census2021-ts001"),
    # Nomis's bulk download of TS001 (census2021-ts001-lsoa.csv)
    (
        {"geography code", "Residence type: Total; measures: Value"},
        "geography code",
        "Residence type: Total; measures: Value",
        2021,
        "census2021-ts001",
    ),
    ({"lsoa", "pop"}, "lsoa", "pop", 2019, "mid2019"),
)
_TIDY = {"lsoa_code", "age_band", "residents", "year"}


def _population_frame(raw: pd.DataFrame, path: Path, year: int | None) -> tuple[pd.DataFrame, str]:
    cols = set(raw.columns)
    if cols >= _TIDY:
        return raw, "tidy"
    for need, code, count, default_year, source in _TOTAL_FORMATS:
        if need <= cols:
            rows = raw[raw[code].str.match(LSOA_CODE)]  # drops footnote lines
            frame = pd.DataFrame(
                {
                    "lsoa_code": rows[code],
                    "year": year or default_year,
                    "age_band": "all",
                    "residents": rows[count],
                }
            )
            return frame, source
    raise SchemaError(
        str(path),
        f"unrecognised population columns {sorted(cols)}; expected "
        "Census 2021 TS001 (total, mnemonic; or the bulk file's geography code and "
        "'Residence type: Total; measures: Value'), mid-year (lsoa, pop) or tidy "
        "(lsoa_code, year, age_band, residents)",
        line=1,
    )


def read_population(path: Path | str, *, year: int | None = None) -> pd.DataFrame:
    """Population by LSOA as rows of ``population``.

    Understands Census 2021 TS001 from Nomis (``total``, ``mnemonic``; footnote lines at the end
    are skipped), mySociety's mid-2019 file (``lsoa``, ``pop``) and vrukit's tidy form
    (``lsoa_code, year, age_band, residents``).
    """
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    df, source = _population_frame(raw, path, year)
    df["residents"] = _numbers(df.residents.astype(str), path, "residents").astype("int64")
    df["year"] = df.year.astype(int)
    df["vintage"] = np.where(df.year >= 2021, 2021, 2011)
    df["source"] = f"{source}:{path.name}"
    return df[POPULATION.names].reset_index(drop=True)


#: The columns of a postcode lookup, as ONS names them (the postcode directory, ONSPD, and the
#: National Statistics Postcode Lookup, NSPL) and as simpler lookups do.
_PC_COLUMNS = {
    "postcode": r"pcds|pcd|pcd7|pcd8|postcode",
    "lsoa_code": r"lsoa21cd|lsoa21|lsoa11cd|lsoa11|lsoa_code|lsoa",
    "lat": r"lat|latitude",
    "lon": r"long|longitude|lon",
}


def read_postcodes(path: Path | str, areas: Iterable[str]) -> pd.DataFrame:
    """The live postcodes of a postcode lookup (CSV, gzip or not) whose LSOA is one of
    ``areas``: ``postcode`` (upper case, one space before the last three characters),
    ``lsoa_code``, ``lat``, ``lon``. Terminated postcodes (a ``doterm`` date) and postcodes
    with no position are left out. The file is read in chunks, so a whole country's directory
    (2.7 million rows) needs no more memory than a region's."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(str(path), "no such file")
    try:
        header = pd.read_csv(path, nrows=0, dtype=str).columns
    except (ValueError, UnicodeDecodeError, OSError) as e:
        raise InputFileError(str(path), f"cannot be read as CSV: {e}") from None
    cols = {k: _pick(header, v, path, f"{k} column") for k, v in _PC_COLUMNS.items()}
    term = _find(header, r"doterm")
    wanted = set(areas)
    parts = []
    use = [*cols.values(), *([term] if term else [])]
    for chunk in pd.read_csv(path, usecols=use, dtype=str, chunksize=500_000):
        keep = chunk[cols["lsoa_code"]].isin(wanted)
        if term:
            keep &= chunk[term].fillna("").str.strip() == ""
        part = chunk[keep].rename(columns={v: k for k, v in cols.items()})
        parts.append(part[list(cols)])
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(cols))
    code = out["postcode"].fillna("").str.replace(r"\s+", "", regex=True).str.upper()
    out["postcode"] = code.str[:-3] + " " + code.str[-3:]
    for c in ("lat", "lon"):
        out[c] = pd.to_numeric(out[c], errors="coerce")
    placed = out["lat"].between(49, 61) & out["lon"].between(-9, 3) & (code.str.len() >= 5)
    return out[placed].sort_values("postcode").reset_index(drop=True)
