"""Reading an uploaded return or records file (CSV or XLSX) as text cells, after checks that
refuse what would take the server's memory before it is read: an XLSX that unpacks too far,
whose shared strings fill too many cells, or whose cells reach too far; a CSV whose header is
too wide. Messages name the file by the name it was sent under, never a server path."""

from __future__ import annotations

import contextlib
import re
import zipfile
from itertools import zip_longest
from pathlib import Path

import pandas as pd
from python_calamine import CalamineError

from vrukit.errors import InputFileError

__all__ = [
    "MAX_CELLS",
    "MAX_COLUMNS",
    "SPARE_ROWS",
    "XLSX_MAX_INFLATED",
    "check_xlsx",
    "read_upload",
]


#: An XLSX is a zip: what its parts unpack to, at most, unless the caller says otherwise.
XLSX_MAX_INFLATED = 200 * 1024 * 1024
#: The most columns an upload may have: a template has a few dozen at most. A sheet whose
#: cells reach further (a 1.6 KB file with a cell at XFD1048576), or a CSV header wider, is
#: refused before it is read: the reader would allocate the whole rectangle.
MAX_COLUMNS = 200
#: Rows a sheet may reach beyond the data rows allowed (blank lines at the end of a sheet).
SPARE_ROWS = 1000
#: The most cells the rectangle a sheet's cells reach may hold (the reader fills all of it):
#: 100,000 rows of 40 columns. A 1.5 KB file reaching row 101,001 of column 200, within both
#: limits above, cost 12 s and 1.4 GB to read.
MAX_CELLS = 4_000_000


def check_xlsx(path: Path, limit: int, name: str, max_rows: int | None = None) -> None:
    """Refuse an XLSX that would unpack past ``limit`` bytes, before any of it is unpacked (a
    few megabytes of zip can inflate to gigabytes and take the server's memory with them), or
    whose cells reach past ``MAX_COLUMNS`` columns or ``max_rows`` (and ``SPARE_ROWS``) rows."""
    try:
        with zipfile.ZipFile(path) as z:
            size = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile:
        raise InputFileError(
            name, "cannot be read as CSV or XLSX: not a zip file, as every XLSX is"
        ) from None
    if size > limit:
        raise InputFileError(
            name,
            f"unpacks to {size / 2**20:,.0f} MB, more than the {limit / 2**20:,.0f} MB a "
            "return may; save it again from the template, or send it as CSV",
        )
    text, rows, columns = _xlsx_text_size(path, name)
    if columns > MAX_COLUMNS or (max_rows is not None and rows > max_rows + 1 + SPARE_ROWS):
        raise InputFileError(
            name,
            f"has cells as far as row {rows:,} and column {columns:,}: more than a return "
            f"holds ({MAX_COLUMNS} columns"
            + (f", {max_rows:,} rows" if max_rows is not None else "")
            + "); save the filled "
            "template again, or send it as CSV",
        )
    if rows * columns > MAX_CELLS:
        raise InputFileError(
            name,
            f"has cells as far as row {rows:,} and column {columns:,}: a rectangle of "
            f"{rows * columns:,} cells, more than the {MAX_CELLS:,} an upload may reach; delete "
            "the empty rows and columns past the data, or send it as CSV",
        )
    if text > limit:
        raise InputFileError(
            name,
            f"holds {text / 2**20:,.0f} MB of cell text once its shared strings are filled in, "
            f"more than the {limit / 2**20:,.0f} MB a return may; send it as CSV",
        )


def _local(tag: str) -> str:
    """An XML tag without its namespace: the spreadsheet reader matches by local name only,
    so a workbook under any namespace is counted as it will be read."""
    return tag.rsplit("}", 1)[-1]


def _root(z: zipfile.ZipFile, member: str) -> str:
    from xml.etree.ElementTree import iterparse

    with z.open(member) as f:
        for _, el in iterparse(f, events=("start",)):
            return _local(el.tag)
    return ""


def _xlsx_text_size(path: Path, name: str) -> tuple[int, int, int]:
    """The characters a workbook's cells hold once each shared string is put in every cell that
    uses it: what reading it costs. A 12 KB file whose one 1 MB string fills 1,000 cells holds
    1 GB; its zip sizes look small. Counted so that no part can hide from it, whatever the
    reader makes of the file: every part that is, or is named, a shared-strings table counts
    (an index takes the longest string any of them has there), and cells are counted in every
    other part that parses as XML, whatever its name or root. Streamed, never held whole.
    Also the furthest row and column any cell, row or sheet dimension names."""
    from xml.etree.ElementTree import ParseError, iterparse

    with zipfile.ZipFile(path) as z:
        members = [i.filename for i in z.infolist() if not i.is_dir()]
        for m in members:  # an XLSX has no DTD; one could only be an entity bomb
            with z.open(m) as f:
                if b"<!DOCTYPE" in f.read(2048).upper():
                    raise InputFileError(name, f"{m} declares a DTD, which no XLSX does")
        roots = {}
        for m in members:
            try:
                roots[m] = _root(z, m)
            except ParseError:
                roots[m] = ""  # not XML: no reader takes cells from it
        tables = [
            m for m, r in roots.items() if r == "sst" or m.lower().endswith("sharedstrings.xml")
        ]
        shared: list[int] = []
        for m in tables:
            lengths = []
            try:
                with z.open(m) as f:
                    for _, el in iterparse(f):
                        if _local(el.tag) == "si":
                            texts = (t.text or "" for t in el.iter() if _local(t.tag) == "t")
                            lengths.append(sum(map(len, texts)))
                            el.clear()
            except ParseError:
                pass
            shared = [max(a, b) for a, b in zip_longest(shared, lengths, fillvalue=0)]
        longest = max(shared, default=0)
        parts = [m for m, r in roots.items() if r and m not in tables]
        found = [_cells_text(z, m, shared, longest) for m in parts]
        return (sum(f[0] for f in found), max((f[1] for f in found), default=0),
                max((f[2] for f in found), default=0))  # fmt: skip


def _extent(ref: str | None) -> tuple[int, int]:
    """The (row, column) a cell reference reaches ("XFD1048576" -> (1048576, 16384)); the end
    of a range ("A1:C10"); a bare row number for ``<row r>``; (0, 0) when unreadable."""
    if not ref:
        return 0, 0
    m = re.fullmatch(r"\$?([A-Za-z]*)\$?([0-9]*)", ref.strip().split(":")[-1].strip())
    if m is None:  # a reference the check cannot read: as far as any can reach
        return 10**9, 10**9
    column = 0
    for ch in m.group(1).upper()[:8]:
        column = column * 26 + ord(ch) - 64
    digits = m.group(2).lstrip("0")[:12]
    return int(digits or 0), column


def _cells_text(
    z: zipfile.ZipFile, member: str, shared: list[int], longest: int
) -> tuple[int, int, int]:
    """The characters in one worksheet's cells, shared strings counted where they are used (a
    reference that cannot be read as an index counts as the longest shared string), and the
    furthest row and column its cells, rows and dimension name."""
    from xml.etree.ElementTree import ParseError, iterparse

    total = rows = columns = 0
    row_at = col_at = 0  # where a row or cell without a reference falls: after the last
    with z.open(member) as f, contextlib.suppress(ParseError):
        for event, el in iterparse(f, events=("start", "end")):
            tag = _local(el.tag)
            if event == "start":
                if tag == "row":
                    row_at = _extent(el.get("r"))[0] if el.get("r") else row_at + 1
                    col_at = 0
                    rows = max(rows, row_at)
                elif tag == "c":
                    r, c = _extent(el.get("r")) if el.get("r") else (row_at, col_at + 1)
                    col_at = c
                    rows, columns = max(rows, r), max(columns, c)
                elif tag == "dimension":
                    r, c = _extent(el.get("ref"))
                    rows, columns = max(rows, r), max(columns, c)
                continue
            if tag != "c":
                continue
            v = next((c for c in el if _local(c.tag) == "v"), None)
            value = (v.text or "") if v is not None else ""
            if el.get("t") == "s":
                try:
                    total += shared[int(value.strip())]
                except (ValueError, IndexError):
                    total += longest
            else:
                total += len(value)
            el.clear()
    return total, rows, columns


def _check_csv_header(path: Path, name: str) -> None:
    """Refuse a CSV any line of which is wider than ``MAX_COLUMNS`` before it is parsed (a
    3 MB header took 1.8 GB; one row of a million commas, 4.6 GB). Lines are split at any line
    break, so a header hidden behind a blank or quoted line break is found too."""
    line = 1
    with path.open("rb") as f:
        carry = 0
        while chunk := f.read(1024 * 1024):
            for k, part in enumerate(re.split(rb"[\r\n]", chunk)):
                carry = (carry if k == 0 else 0) + part.count(b",")
                line += k > 0
                if carry + 1 > MAX_COLUMNS:
                    raise InputFileError(name, f"has more than {MAX_COLUMNS} columns in a line, "
                                         "more than a return may have", line=line)  # fmt: skip


def read_upload(
    path: Path | str, *, max_inflated: int = XLSX_MAX_INFLATED, name: str | None = None,
    max_rows: int | None = None,
) -> tuple[pd.DataFrame, int]:  # fmt: skip
    """An uploaded return as text cells, and the row number of its first data row. Messages
    name the file by its name only (never the folder it was saved in). An XLSX whose cells
    reach past ``max_rows`` data rows (or ``MAX_COLUMNS``) is refused before it is read."""
    path = Path(path)
    name = name or path.name
    if path.suffix.lower() == ".xlsx":
        check_xlsx(path, max_inflated, name, max_rows)
    else:
        _check_csv_header(path, name)
    try:
        if path.suffix.lower() == ".xlsx":
            raw = pd.read_excel(
                path, sheet_name=0, dtype=str, keep_default_na=False, engine="calamine"
            )
        else:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, CalamineError) as e:
        raise InputFileError(name, f"cannot be read as CSV or XLSX: {e}") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    return raw.map(lambda v: str(v).strip()), 2
