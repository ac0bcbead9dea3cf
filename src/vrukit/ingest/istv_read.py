"""Reading an ISTV extract as it arrives (CSV, XLSX or the ISTV XML) into raw columns.

Nothing is interpreted here: values stay as read (text, or Excel's own dates and numbers), each
row keeps its line (CSV), sheet row (XLSX) or record number (XML), and lines the CSV parser
cannot split are kept aside with the parser's message so that they can be quarantined.
"""

from __future__ import annotations

import csv
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from python_calamine import CalamineError

from vrukit.errors import InputFileError
from vrukit.ingest._sources import sql_literal
from vrukit.ingest.istv_profile import Profile

__all__ = ["Extract", "read_extract"]


@dataclass(frozen=True)
class Extract:
    """One file as read.

    Attributes
    ----------
    frame
        One row per record, one column per source column (names as in the file).
    lines
        Line (CSV), sheet row (XLSX) or record number (XML) of each row, aligned with ``frame``.
    rejected
        Lines the parser could not split: columns ``line``, ``raw``, ``message``.
    header
        XML submission header values (``period_start``, ``period_end``, ``site_code``).
    """

    path: Path
    frame: pd.DataFrame
    lines: pd.Series
    rejected: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["line", "raw", "message"])
    )
    header: dict[str, str] = field(default_factory=dict)

    @property
    def rows_read(self) -> int:
        return len(self.frame) + len(self.rejected)


def _csv_header(path: Path, profile: Profile) -> list[str]:
    enc = "utf-8-sig" if profile.encoding.lower().replace("_", "-") == "utf-8" else profile.encoding
    try:
        with open(path, encoding=enc, newline="") as fh:
            first = next(csv.reader(fh, delimiter=profile.delimiter), None)
    except UnicodeDecodeError as exc:
        raise InputFileError(
            str(path),
            f"line 1 is not {profile.encoding} text ({exc.reason}); set encoding in {profile.name}",
        ) from exc
    if not first:
        raise InputFileError(str(path), "line 1: file is empty (no header, no rows)")
    return [c.strip() for c in first]


_LOCAL = threading.local()


def _scratch() -> duckdb.DuckDBPyConnection:
    """This thread's in-memory DuckDB for reading CSV extracts, opened once: a connection
    costs about 25 ms, more than reading a month's extract."""
    con = getattr(_LOCAL, "con", None)
    if con is None:
        con = _LOCAL.con = duckdb.connect()
    return con


def _read_csv(path: Path, profile: Profile) -> Extract:
    header = _csv_header(path, profile)
    columns = (
        "{" + ", ".join(f"{sql_literal(f'c{i}')}: 'VARCHAR'" for i in range(len(header))) + "}"
    )
    enc = profile.encoding.lower().replace("_", "-")
    con = _scratch()
    try:
        con.execute(
            f"CREATE TABLE raw AS SELECT * FROM read_csv({sql_literal(str(path))}, "
            f"columns={columns}, header=true, auto_detect=false, "
            f"delim={sql_literal(profile.delimiter)}, "
            f"quote='\"', escape='\"', encoding={sql_literal(enc)}, store_rejects=true, "
            "rejects_table='rej', rejects_scan='rejscan', strict_mode=true)"
        )
        frame = con.execute("SELECT * FROM raw ORDER BY rowid").df()
        rej = con.execute(
            "SELECT line::BIGINT AS line, trim(min(csv_line), chr(10) || chr(13)) AS raw, "
            "min(error_message) AS message FROM rej GROUP BY line ORDER BY line"
        ).df()
    except duckdb.Error as exc:
        raise InputFileError(
            str(path), f"cannot be read as {profile.encoding} CSV ({exc})"
        ) from exc
    finally:
        try:
            con.execute(
                "DROP TABLE IF EXISTS raw; DROP TABLE IF EXISTS rej; DROP TABLE IF EXISTS rejscan"
            )
        except duckdb.Error:  # a connection a failure left unusable: the next read opens anew
            _LOCAL.con = None
    frame.columns = header
    k = np.arange(1, len(frame) + 1)
    g = rej.line.to_numpy() - 1 - np.arange(1, len(rej) + 1)
    lines = pd.Series(k + 1 + np.searchsorted(g, k, side="left"), index=frame.index)
    return Extract(path, frame, lines, rej)


def _read_xlsx(path: Path, profile: Profile) -> Extract:
    try:
        frame = pd.read_excel(
            path,
            sheet_name=profile.sheet,
            header=profile.header_row - 1,
            dtype=object,
            engine="calamine",
        )
    except (ValueError, KeyError, OSError, CalamineError) as exc:
        raise InputFileError(str(path), f"cannot be read as an Excel workbook ({exc})") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.dropna(how="all")
    lines = pd.Series(frame.index.to_numpy() + profile.header_row + 1, index=frame.index)
    frame = frame.reset_index(drop=True)
    return Extract(path, frame, lines.reset_index(drop=True))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _read_xml(path: Path, profile: Profile) -> Extract:
    record = profile.xml["record"]
    wanted = {v: k for k, v in profile.xml.items() if k != "record"}
    header: dict[str, str] = {}
    rows: list[dict[str, str]] = []
    try:
        for _event, elem in ET.iterparse(path, events=("end",)):
            name = _local(elem.tag)
            if name == record:
                rows.append({_local(c.tag): (c.text or "") for c in elem})
                elem.clear()
            elif name in wanted and name not in header:
                header[wanted[name]] = (elem.text or "").strip()
    except ET.ParseError as exc:
        raise InputFileError(str(path), f"is not well-formed XML ({exc})") from exc
    frame = pd.DataFrame(rows, dtype=object)
    lines = pd.Series(np.arange(1, len(frame) + 1), index=frame.index)
    return Extract(path, frame, lines, header=header)


def read_extract(path: Path | str, profile: Profile) -> Extract:
    """Read ``path`` in the layout its profile declares."""
    p = Path(path)
    reader = {"csv": _read_csv, "xlsx": _read_xlsx, "xml": _read_xml}[profile.layout]
    return reader(p, profile)
