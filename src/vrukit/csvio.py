"""CSV for people: files that analysts and providers open in a spreadsheet.

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or their
full-width forms, or any of them after invisible characters) is read by
Excel, LibreOffice and Google Sheets as a formula, and a formula typed into a referral note or
an ED's location field (``=HYPERLINK(...)``, ``=WEBSERVICE(...)``) would run on the reader's
machine. Such text is written with a leading apostrophe, which spreadsheets show as text and
do not display (OWASP's advice on CSV injection). A spreadsheet set to split on ';' (as in many
European locales) would start a new cell after one inside a text, so a formula start there gets
the apostrophe too; and text cells are quoted.
Numbers stay numbers: only text columns change. Machine exchange formats (HSDS, police.uk)
are not written through this module.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported by the callers' frames; `vrukit --help` loads none
    import pandas as pd

__all__ = [
    "FORMULA_START",
    "neutralise",
    "sheet_text",
    "spreadsheet_safe",
    "visible_text",
    "write_csv",
]

#: The first characters that make a spreadsheet read a cell as a formula, and their
#: full-width forms (which some spreadsheets, set for East Asian input, read as the same).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
#: Invisible characters a cell may begin with before its formula start (zero-width spaces and
#: joiners, the byte-order mark, direction marks): they do not stop a formula being read.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e"


#: Where some spreadsheets start a new cell inside a text (';' in many locales, a tab, a line
#: break), then a formula start (after any invisible characters).
_SPLIT_FORMULA = re.compile(
    f"([;\\t\\r\\n])(?=[{_INVISIBLE}]*[=+\\-@\\uff1d\\uff0b\\uff0d\\uff20])"
)


def neutralise(value: Any) -> Any:
    """``value`` with an apostrophe before anything a spreadsheet would run: at its start, and
    after a ';', a tab or a line break inside it (a spreadsheet that splits on those would
    start a cell there)."""
    if not isinstance(value, str):
        return value
    value = _SPLIT_FORMULA.sub(r"\1'", value)
    return "'" + value if value.lstrip(_INVISIBLE).startswith(FORMULA_START) else value


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
    kwargs.setdefault("quoting", csv.QUOTE_NONNUMERIC)  # text quoted: a ';' splits no cell
    return spreadsheet_safe(frame).to_csv(path, index=False, **kwargs)


#: Characters that change how text looks or reads without being seen: zero-width space, word
#: joiner, byte-order mark, soft hyphen, the direction embeddings, overrides and isolates
#: ("Eastford Boxing Club" + a zero-width space is a second club that looks like the first),
#: and every other format character, such as invisible operators, tags and the Mongolian vowel
#: separator (the twentieth probe), the combining grapheme joiner, and letters drawn as
#: nothing (the Hangul fillers, the braille blank: the twenty-first). Kept, as Urdu, Persian
#: and emoji need them: the zero-width joiner and non-joiner, the left-to-right and
#: right-to-left marks and the Arabic letter mark.
_KEPT_FORMAT = frozenset("\u200c\u200d\u200e\u200f\u061c")
_HIDDEN_MARKS = dict.fromkeys(map(ord, "\u00ad\u034f\u115f\u1160\u3164\uffa0\u2800"))
#: Line and paragraph separators read as line breaks.
_BREAKS = {0x2028: "\n", 0x2029: "\n"}


def _shown(ch: str, keep: str) -> bool:
    """Whether ``ch`` is kept: a visible character, one of ``keep`` (line breaks, tabs) or a
    format character Urdu and emoji need; never a control, format, surrogate, private-use or
    unassigned one (U+FFFE and U+FFFF made a worksheet refuse its cell)."""
    if ch in keep or ch in _KEPT_FORMAT:
        return True
    return unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")


def visible_text(text: str, *, lines: bool = False) -> str:
    """``text`` without hidden marks, control and format characters (line breaks and tabs kept
    when ``lines``; other breaks are spaces), and without spaces at its ends."""
    keep = "\n\t" if lines else ""
    text = text.translate(_HIDDEN_MARKS).translate(_BREAKS)
    if not lines:
        text = text.replace("\n", " ")
    return "".join(ch for ch in text if _shown(ch, keep)).strip()


#: What a worksheet cannot hold (XML 1.0 forbids these control characters; openpyxl refuses
#: a cell holding one, and a vertical tab is what Word puts in for a line break in a cell).
_NOT_IN_SHEETS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def sheet_text(value: Any) -> Any:
    """``value`` as an XLSX cell can hold it: a text without the control characters worksheets
    refuse (a vertical tab becomes a line break); anything else as it is. (Whether a text may
    be read as a formula is the writer's to settle: ``neutralise``, or a text cell.)"""
    if isinstance(value, str):
        return _NOT_IN_SHEETS.sub("", value.replace("\x0b", "\n"))
    return value
