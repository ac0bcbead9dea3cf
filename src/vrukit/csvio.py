"""CSV for people: files that analysts and providers open in a spreadsheet.

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula, and a formula typed into a referral note or
an ED's location field (``=HYPERLINK(...)``, ``=WEBSERVICE(...)``) would run on the reader's
machine. Such text is written with a leading apostrophe, which spreadsheets show as text and
do not display (OWASP's advice on CSV injection). Numbers stay numbers: only text columns
change. Machine exchange formats (HSDS, police.uk) are not written through this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported by the callers' frames; `vrukit --help` loads none
    import pandas as pd

__all__ = ["FORMULA_START", "neutralise", "spreadsheet_safe", "write_csv"]

#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` with a leading apostrophe when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) cannot run as formulas."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    out = frame.copy()
    for c in out.columns:
        if not (is_numeric_dtype(out[c]) or is_bool_dtype(out[c])):
            out[c] = out[c].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: Path | str | None = None, **kwargs: Any) -> str | None:
    """``frame`` as CSV for a spreadsheet (no index), to ``path`` or returned as text."""
    return spreadsheet_safe(frame).to_csv(path, index=False, **kwargs)
