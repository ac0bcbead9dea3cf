"""police.uk street-level crime files: read, validate, and split into accepted and quarantined rows.

One DuckDB ``read_csv`` reads a batch of files into a staging table and evaluates every row check
on the way in (``_reason``: NULL for a row to accept, else why not), so the checks run once per
row. The accepted rows and the quarantined rows are then two SQL views over that table, which the
store inserts from; DuckDB's reader also reports the lines it cannot parse, and those are
quarantined too. Everything after reading is plain SQL over the staged text: the per-file facts a
check needs (the force, the month, the expected 'Reported by') are list literals indexed by the
file a row came from.

A row is *quarantined* (with a reason) when it cannot be trusted: a force or month that disagrees
with its file, an unknown crime type, an unreadable coordinate, invalid UTF-8, the wrong number of
columns. A row that is valid but incomplete (no Crime ID, no coordinates) is *accepted* with a flag.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.types as ir
import pandas as pd

from vrukit.ingest._sources import HeaderCheck, StreetFile, read_lines, sql_literal
from vrukit.ingest.forces import force_name
from vrukit.schemas import CRIME_TYPES, CRIMES, QUARANTINE, STREET_COLUMNS

__all__ = ["StreetScan", "quarantine_whole_file", "scan_street"]

#: Plausible WGS84 bounds for police.uk map points (Great Britain and Northern Ireland).
LON_RANGE = (-9.0, 2.5)
LAT_RANGE = (49.0, 61.5)

_CSV_OPTIONS = (
    "header=true, all_varchar=true, auto_detect=false, delim=',', quote='\"', escape='\"', "
    "store_rejects=true"
)
_RAW_LINE = "concat_ws(',', " + ", ".join(f"coalesce(\"{c}\", '')" for c in STREET_COLUMNS) + ")"


@dataclass(frozen=True)
class StreetScan:
    """Rows read from a batch of street files, split into the warehouse's two shapes.

    Attributes
    ----------
    accepted_view, quarantined_view
        Temporary views with the columns of ``crimes`` (``lsoa_unknown`` still NULL) and of
        ``quarantine``; ``quarantined_view`` is None when the batch has no row to quarantine.
    rows_read
        Per ``ingest_id``: ``rows_read`` (rows parsed plus lines the parser rejected), counted
        from the scan so that the store can check it against what it stored.
    """

    con: ibis.BaseBackend
    name: str
    accepted_view: str
    quarantined_view: str | None
    rows_read: pd.DataFrame

    @property
    def accepted(self) -> ir.Table:
        """The accepted rows as an Ibis table."""
        return self.con.table(self.accepted_view)

    @property
    def quarantined(self) -> ir.Table | None:
        """The quarantined rows as an Ibis table (None when there are none)."""
        return None if self.quarantined_view is None else self.con.table(self.quarantined_view)

    def drop(self) -> None:
        """Drop the scan's temporary tables and views (the next scan of its name does too)."""
        _drop(self.con, self.name)


# -- per-file facts as SQL ---------------------------------------------------------------------


def _literal(v: object) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, date):
        return f"DATE '{v:%Y-%m-%d}'"
    if isinstance(v, int):
        return str(int(v))
    return sql_literal(str(v))


def _cat(*parts: str) -> str:
    """SQL string concatenation of ``parts`` (SQL expressions)."""
    return "(" + " || ".join(parts) + ")"


def _shown(column: str) -> str:
    """A raw value quoted for a message: 'value' ('' for a missing one)."""
    return _cat("''''", f"coalesce({column}, '')", "''''")


@dataclass(frozen=True)
class _Files:
    """The files of one scan; ``pick`` gives a per-file value for the row being looked at."""

    files: list[StreetFile]
    ingest_ids: list[int]

    def pick(self, values: Sequence[object], sql_type: str = "VARCHAR") -> str:
        items = ", ".join(_literal(v) for v in values)
        return f"([{items}]::{sql_type}[])[_f + 1]"

    def each(self, fn: Callable[[StreetFile], object], sql_type: str = "VARCHAR") -> str:
        return self.pick([fn(f) for f in self.files], sql_type)

    @property
    def ingest_id(self) -> str:
        return self.pick(self.ingest_ids, "BIGINT")

    @property
    def display(self) -> str:
        return self.each(lambda f: f.display)


# -- the checks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Check:
    condition: str  # SQL over the staged columns: true for a row that fails this check
    reason: str
    column: str
    value: str  # SQL: the offending value
    explain: str  # SQL: why, for the message


def _checks(fs: _Files) -> list[_Check]:
    """Every row check, in priority order (a row is quarantined for the first that fails)."""
    by, month, ctype = '"Reported by"', '"Month"', '"Crime type"'
    lon, lat = '"Longitude"', '"Latitude"'
    lonf, latf = f"TRY_CAST({lon} AS DOUBLE)", f"TRY_CAST({lat} AS DOUBLE)"
    folder = fs.each(lambda f: f.folder_force)
    expected = fs.each(lambda f: force_name(f.force))
    types = ", ".join(sql_literal(t) for t in CRIME_TYPES)
    return [
        _Check(
            f"{folder} IS NOT NULL",
            "force_mismatch",
            "Reported by",
            by,
            fs.each(
                lambda f: (
                    f"file is for force '{f.force}' but sits in the folder of force "
                    f"'{f.folder_force or ''}'; move it to its own force's folder"
                )
            ),
        ),
        _Check(
            f"{expected} IS NOT NULL AND ({by} IS NULL OR {by} <> {expected})",
            "force_mismatch",
            "Reported by",
            by,
            _cat(
                "'''Reported by'' is '",
                _shown(by),
                fs.each(lambda f: f", expected '{force_name(f.force)}' for a {f.force} file"),
            ),
        ),
        _Check(
            f"{month} IS NULL OR {month} <> {fs.each(lambda f: f.month_text)}",
            "month_mismatch",
            "Month",
            month,
            _cat(
                "'''Month'' is '",
                _shown(month),
                fs.each(lambda f: f" but the file name says {f.month_text}"),
            ),
        ),
        _Check(
            f"{ctype} IS NULL OR {ctype} NOT IN ({types})",
            "unknown_crime_type",
            "Crime type",
            ctype,
            _cat(
                "'''Crime type'' is '",
                _shown(ctype),
                "', expected one of the 14 police.uk crime types (see docs/data-model.md)'",
            ),
        ),
        _Check(
            f"{lon} IS NOT NULL AND ({lonf} IS NULL "
            f"OR NOT ({lonf} BETWEEN {LON_RANGE[0]} AND {LON_RANGE[1]}) OR {lat} IS NULL)",
            "bad_coordinate",
            "Longitude",
            lon,
            _cat(
                "'''Longitude'' is '",
                _shown(lon),
                sql_literal(f", expected a number in {LON_RANGE} with a latitude"),
            ),
        ),
        _Check(
            f"{lat} IS NOT NULL AND ({latf} IS NULL "
            f"OR NOT ({latf} BETWEEN {LAT_RANGE[0]} AND {LAT_RANGE[1]}) OR {lon} IS NULL)",
            "bad_coordinate",
            "Latitude",
            lat,
            _cat(
                "'''Latitude'' is '",
                _shown(lat),
                sql_literal(f", expected a number in {LAT_RANGE} with a longitude"),
            ),
        ),
    ]


def _case(checks: list[_Check], field: Callable[[_Check], str]) -> str:
    whens = " ".join(f"WHEN {c.condition} THEN {field(c)}" for c in checks)
    return f"CASE {whens} END"


# -- reading -----------------------------------------------------------------------------------


def _drop(con: ibis.BaseBackend, name: str) -> None:
    for view in ("accepted", "quarantined", "rejects", "gaps"):
        con.raw_sql(f"DROP VIEW IF EXISTS {name}_{view}")
    for table in ("raw", "rej", "rejscan", "files"):
        con.raw_sql(f"DROP TABLE IF EXISTS {name}_{table}")


def _read(con: ibis.BaseBackend, fs: _Files, name: str) -> None:
    """Scan the files into ``{name}_raw``, checks evaluated; rejected lines in ``{name}_rejects``.

    The staging table keeps the scan's order (insertion order is preserved), so a row's
    ``rowid`` counts the rows before it: the basis of line numbers.
    """
    paths = [str(f.path) for f in fs.files]
    columns = "{" + ", ".join(f"{sql_literal(c)}: 'VARCHAR'" for c in STREET_COLUMNS) + "}"
    reason = _case(_checks(fs), lambda c: sql_literal(c.reason))
    con.raw_sql(
        f"CREATE TEMP TABLE {name}_raw AS SELECT *, {reason} AS _reason FROM ("
        f"SELECT *, file_index::INTEGER AS _f FROM read_csv("
        f"[{', '.join(sql_literal(p) for p in paths)}], columns={columns}, {_CSV_OPTIONS}, "
        f"rejects_table='{name}_rej', rejects_scan='{name}_rejscan'))"
    )
    index = f"list_position([{', '.join(sql_literal(p) for p in paths)}], s.file_path) - 1"
    con.raw_sql(
        f"CREATE TEMP VIEW {name}_rejects AS SELECT ({index})::INTEGER AS _f, "
        "e.line::BIGINT AS line, min(e.column_name) AS column_name, "
        "min(e.error_type::VARCHAR) AS error_type, min(e.error_message) AS error_message, "
        "trim(min(e.csv_line), chr(10) || chr(13)) AS raw "
        f"FROM {name}_rej e JOIN {name}_rejscan s USING (scan_id, file_id) GROUP BY ALL"
    )


def _per_file(con: ibis.BaseBackend, sql: str, n: int) -> list[tuple[int, int]]:
    """(count, first rowid) for each of ``n`` files from ``sql`` grouped by ``_f``."""
    out = [(0, 0)] * n
    for f, count, first in con.raw_sql(sql).fetchall():
        out[int(f)] = (int(count), int(first))
    return out


def _files_table(con: ibis.BaseBackend, fs: _Files, name: str, first: list[int]) -> None:
    """``{name}_files``: one row per file of the scan with what its accepted rows carry (month,
    force, source, ingest id) and ``_first``, the rowid of its first parsed row. Joined on
    ``_f``, it costs less per row than picking each value from a list literal."""
    rows = ", ".join(
        f"({k}, {first[k]}, {_literal(f.month)}, {_literal(f.force)}, {_literal(f.display)}, "
        f"{int(fs.ingest_ids[k])})"
        for k, f in enumerate(fs.files)
    )
    con.raw_sql(
        f"CREATE TEMP TABLE {name}_files AS SELECT _f::INTEGER AS _f, _first::BIGINT AS _first, "
        "_month::DATE AS _month, _force::VARCHAR AS _force, _display::VARCHAR AS _display, "
        f"_ingest_id::BIGINT AS _ingest_id FROM (VALUES {rows}) "
        "AS t(_f, _first, _month, _force, _display, _ingest_id)"
    )


def _lined(name: str, any_rejects: bool) -> str:
    """``{name}_raw`` with its file's columns (``{name}_files``) and ``line``: the physical line
    of each parsed row.

    Row k (0-based) of a file sits on line k + 2, plus the lines DuckDB rejected before it. A
    rejected line r_i (i-th, 1-based) has r_i - 1 - i parsed rows before it, so the rejects
    before row k are those with r_i - 1 - i <= k: an as-of join.
    """
    numbered = (
        f"(SELECT r.*, r.rowid - f._first AS _k, f._month, f._force, f._display, f._ingest_id "
        f"FROM {name}_raw r JOIN {name}_files f USING (_f))"
    )
    if not any_rejects:
        return f"(SELECT *, _k + 2 AS line FROM {numbered})"
    return (
        f"(SELECT n.*, n._k + 2 + coalesce(g._before, 0) AS line FROM {numbered} n "
        f"ASOF LEFT JOIN {name}_gaps g ON n._f = g._gf AND n._k >= g._g)"
    )


def _gaps(con: ibis.BaseBackend, name: str) -> None:
    con.raw_sql(
        f"CREATE TEMP VIEW {name}_gaps AS SELECT _f AS _gf, line - 1 - i AS _g, max(i) AS _before "
        "FROM (SELECT _f, line, row_number() OVER (PARTITION BY _f ORDER BY line) AS i "
        f"FROM {name}_rejects) GROUP BY ALL"
    )


# -- the two shapes ----------------------------------------------------------------------------


def _accepted(con: ibis.BaseBackend, name: str, lined: str) -> str:
    cols = {
        "crime_id": '"Crime ID"',
        "month": "_month",  # every accepted row's 'Month' is its file's
        "force": "_force",
        "reported_by": '"Reported by"',
        "falls_within": '"Falls within"',
        "longitude": 'CAST("Longitude" AS DOUBLE)',
        "latitude": 'CAST("Latitude" AS DOUBLE)',
        "location": '"Location"',
        "lsoa_code": '"LSOA code"',
        "lsoa_name": '"LSOA name"',
        "crime_type": '"Crime type"',
        "last_outcome": '"Last outcome category"',
        "context": '"Context"',
        "no_crime_id": '"Crime ID" IS NULL',
        "no_location": '"Longitude" IS NULL',
        "lsoa_unknown": "NULL::BOOLEAN",
        "source_file": "_display",
        "source_line": "line",
        "ingest_id": "_ingest_id",
        "lsoa_published": "NULL::VARCHAR",
    }
    assert list(cols) == CRIMES.names
    select = ", ".join(f"{sql} AS {col}" for col, sql in cols.items())
    view = f"{name}_accepted"
    con.raw_sql(f"CREATE TEMP VIEW {view} AS SELECT {select} FROM {lined} WHERE _reason IS NULL")
    return view


def _message(fs: _Files, why: str) -> str:
    return _cat(fs.display, "' line '", "line::VARCHAR", "': '", why)


def _from_checks(fs: _Files, lined: str) -> str:
    checks = _checks(fs)
    cols = {
        "ingest_id": fs.ingest_id,
        "source_file": fs.display,
        "line": "line",
        "column_name": _case(checks, lambda c: sql_literal(c.column)),
        "value": _case(checks, lambda c: c.value),
        "reason": "_reason",
        "message": _message(fs, _case(checks, lambda c: c.explain)),
        "raw": _RAW_LINE,
    }
    assert list(cols) == QUARANTINE.names
    select = ", ".join(f"{sql} AS {col}" for col, sql in cols.items())
    return f"SELECT {select} FROM {lined} WHERE _reason IS NOT NULL"


def _from_parser(fs: _Files, name: str) -> str:
    encoding = "error_type = 'INVALID ENCODING'"
    explain = (
        f"CASE WHEN {encoding} THEN 'bytes that are not valid UTF-8 in column ''' || "
        "coalesce(column_name, '?') || '''; police.uk files are UTF-8: re-download the file' "
        "ELSE coalesce(error_message, '') || ' (police.uk rows have 12 columns; a short last "
        "line usually means a truncated download)' END"
    )
    cols = {
        "ingest_id": fs.ingest_id,
        "source_file": fs.display,
        "line": "line",
        "column_name": "column_name",
        "value": "NULL::VARCHAR",
        "reason": f"CASE WHEN {encoding} THEN 'invalid_encoding' WHEN error_type IN "
        "('MISSING COLUMNS', 'TOO MANY COLUMNS') THEN 'wrong_column_count' "
        "ELSE 'unparseable_line' END",
        "message": _message(fs, explain),
        "raw": "raw",
    }
    assert list(cols) == QUARANTINE.names
    select = ", ".join(f"{sql} AS {col}" for col, sql in cols.items())
    return f"SELECT {select} FROM {name}_rejects"


def _quarantined(
    con: ibis.BaseBackend, fs: _Files, name: str, lined: str, *, checks: bool, parser: bool
) -> str | None:
    """A view of the rows from failed checks and the lines the parser rejected (None if none)."""
    parts = ([_from_checks(fs, lined)] if checks else []) + (
        [_from_parser(fs, name)] if parser else []
    )
    if not parts:
        return None
    view = f"{name}_quarantined"
    con.raw_sql(f"CREATE TEMP VIEW {view} AS " + " UNION ALL ".join(parts))
    return view


def scan_street(
    con: ibis.BaseBackend, files: list[StreetFile], ingest_ids: list[int], *, name: str = "street"
) -> StreetScan:
    """Read and validate a batch of street files whose headers have been checked.

    Parameters
    ----------
    con
        A DuckDB Ibis backend with insertion order preserved; temporary tables and views named
        ``{name}_*`` are made on it (replacing those of the previous scan of that name).
    files, ingest_ids
        The files and the ``ingest_log`` id each one's rows will carry.
    """
    fs = _Files(list(files), list(ingest_ids))
    _drop(con, name)
    _read(con, fs, name)
    n = len(fs.files)
    parsed = _per_file(con, f"SELECT _f, count(*), min(rowid) FROM {name}_raw GROUP BY _f", n)
    rejected = _per_file(con, f"SELECT _f, count(*), 0 FROM {name}_rejects GROUP BY _f", n)
    any_rejects = any(c for c, _ in rejected)
    if any_rejects:
        _gaps(con, name)
    _files_table(con, fs, name, [first for _, first in parsed])
    lined = _lined(name, any_rejects)
    [(any_bad,)] = con.raw_sql(
        f"SELECT count(*) > 0 FROM {name}_raw WHERE _reason IS NOT NULL"
    ).fetchall()
    accepted = _accepted(con, name, lined)
    quarantined = _quarantined(con, fs, name, lined, checks=bool(any_bad), parser=any_rejects)
    rows_read = pd.DataFrame(
        {
            "ingest_id": pd.Series(fs.ingest_ids, dtype="int64"),
            "rows_read": pd.Series(
                [p + r for (p, _), (r, _) in zip(parsed, rejected, strict=True)], dtype="int64"
            ),
        }
    )
    return StreetScan(con, name, accepted, quarantined, rows_read)


def quarantine_whole_file(sf: StreetFile, check: HeaderCheck, ingest_id: int) -> pd.DataFrame:
    """Quarantine every data line of a file whose header is wrong or missing.

    Returns a frame with the columns of ``quarantine``; an empty file gives an empty frame.
    """
    lines = [] if check.empty else read_lines(sf)
    data = lines[check.data_starts_at - 1 :]
    numbers = range(check.data_starts_at, check.data_starts_at + len(data))
    reason = "missing_header" if check.data_starts_at == 1 else "bad_header"
    frame = pd.DataFrame(
        {
            "ingest_id": ingest_id,
            "source_file": sf.display,
            "line": list(numbers),
            "column_name": check.column,
            "value": check.value,
            "reason": reason,
            "message": [
                f"{sf.display} line {n}: row not loaded because {check.message}" for n in numbers
            ],
            "raw": data,
        },
        columns=QUARANTINE.names,
    )
    return frame.astype({"line": "int64", "ingest_id": "int64"})
