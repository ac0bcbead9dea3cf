"""Area indicators and pilot places that a VRU keeps in its own spreadsheets.

``read_indicators`` reads a CSV keyed by area code whose other columns are numbers (school
exclusions, hospital admissions for assault, children in care ...); ``read_pilots`` reads the
current place-based pilots, one row per pilot and area. Both refuse a bad file with the line,
column and value at fault, and what was expected.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from vrukit.errors import InputFileError, SchemaError

__all__ = ["read_indicators", "read_pilots"]

CODE_COLUMNS = ("area_code", "lsoa_code", "lsoa11cd", "lsoa21cd", "code")
AREA_CODE = re.compile(r"^[EW]0[12]\d{6}$")
#: Cells read as "no value" rather than as an error: blank, and the suppression marks that public
#: health tables use.
MISSING = ("", "NA", "N/A", "n/a", "*", "..", ":", "x", "c", "-")


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputFileError(str(path), "no such file")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _code_column(frame: pd.DataFrame, path: Path) -> str:
    lower = {c.strip().lower(): c for c in frame.columns}
    for name in CODE_COLUMNS:
        if name in lower:
            return lower[name]
    raise SchemaError(
        str(path), f"no area code column: expected one of {list(CODE_COLUMNS)}, "
        f"found {list(frame.columns)}"
    )  # fmt: skip


def _refuse(bad: pd.Series, path: Path, message: str, column: str, values: pd.Series) -> None:
    """Raise on the first flagged row, naming its file line (the header is line 1)."""
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise SchemaError(str(path), message, line=i + 2, column=column, value=values.iloc[i])


def _check_codes(codes: pd.Series, path: Path, column: str) -> None:
    _refuse(~codes.str.fullmatch(AREA_CODE), path, "expected an LSOA code such as E01006412",
            column, codes)  # fmt: skip


def read_indicators(path: Path | str) -> pd.DataFrame:
    """One row per area: ``area_code`` and one numeric column per indicator (missing is NaN).

    Raises
    ------
    SchemaError
        With the line, column and value of the first cell that is not a number, a malformed or
        repeated area code, or a file with no indicator column.
    """
    path = Path(path)
    raw = _read(path)
    code = _code_column(raw, path)
    codes = raw[code].str.strip()
    _check_codes(codes, path, code)
    _refuse(codes.duplicated(), path, "each area may appear once", code, codes)
    out = pd.DataFrame({"area_code": codes})
    for col in (c for c in raw.columns if c != code):
        text = raw[col].str.strip()
        missing = text.isin(MISSING)
        values = pd.to_numeric(text.where(~missing), errors="coerce")
        _refuse(values.isna() & ~missing, path, "expected a number (or blank for no value)",
                col, text)  # fmt: skip
        out[col.strip()] = values.astype(float)
    if out.shape[1] == 1:
        raise SchemaError(str(path), f"no indicator column besides {code!r}")
    return out


def read_pilots(path: Path | str) -> pd.DataFrame:
    """Current place-based pilots as ``pilot``, ``area_code`` (one row per pilot and area).

    The file has a pilot name column (``pilot`` or ``pilot_name``) and an area code column; an
    area may belong to more than one pilot.
    """
    path = Path(path)
    raw = _read(path)
    lower = {c.strip().lower(): c for c in raw.columns}
    name = lower.get("pilot") or lower.get("pilot_name")
    if name is None:
        raise SchemaError(
            str(path), f"no pilot name column: expected 'pilot' or 'pilot_name', "
            f"found {list(raw.columns)}"
        )  # fmt: skip
    code = _code_column(raw, path)
    out = pd.DataFrame({"pilot": raw[name].str.strip(), "area_code": raw[code].str.strip()})
    _refuse(out.pilot == "", path, "a pilot needs a name", name, out.pilot)
    _check_codes(out.area_code, path, code)
    return out.drop_duplicates().reset_index(drop=True)
