"""police.uk street-level crime files: read, validate, and split into accepted and quarantined rows.

The CSV scan is the one engine-specific step (DuckDB's ``read_csv``, which also reports the lines it
cannot parse); every step after it - numbering lines, checking values, typing columns, counting -
is an Ibis expression, so the same code can later run on another engine.

A row is *quarantined* (with a reason) when it cannot be trusted: a force or month that disagrees
with its file, an unknown crime type, an unreadable coordinate, invalid UTF-8, the wrong number of
columns. A row that is valid but incomplete (no Crime ID, no coordinates) is *accepted* with a flag.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    "header=true, all_varchar=true, filename=true, auto_detect=false, delim=',', quote='\"', "
    "escape='\"', store_rejects=true"
)


@dataclass(frozen=True)
class StreetScan:
    """Rows read from a batch of street files, split into the warehouse's two shapes.

    Attributes
    ----------
    accepted
        Rows with the columns of ``crimes`` (``lsoa_unknown`` still NULL).
    quarantined
        Rows with the columns of ``quarantine``; None when the batch has none.
    rows_read
        Per ``ingest_id``: ``rows_read`` (rows parsed plus lines the parser rejected), counted
        from the scan so that the warehouse can check it against what it stored.
    """

    accepted: ir.Table
    quarantined: ir.Table | None
    rows_read: pd.DataFrame


def _temp_table(con: ibis.BaseBackend, name: str, obj: ir.Table) -> ir.Table:
    """Materialise ``obj`` as a temporary table, replacing any of that name."""
    return con.create_table(name, obj, temp=True, overwrite=True)


def _read(con: ibis.BaseBackend, files: list[StreetFile], name: str) -> tuple[ir.Table, ir.Table]:
    """Scan the files with DuckDB into a staging table; return (rows, rejected lines)."""
    paths = "[" + ", ".join(sql_literal(str(f.path)) for f in files) + "]"
    columns = "{" + ", ".join(f"{sql_literal(c)}: 'VARCHAR'" for c in STREET_COLUMNS) + "}"
    con.raw_sql(
        f"CREATE OR REPLACE TEMP TABLE {name}_raw AS SELECT * FROM read_csv({paths}, "
        f"columns={columns}, {_CSV_OPTIONS}, rejects_table='{name}_rej', "
        f"rejects_scan='{name}_rejscan')"
    )
    # rowid follows the scan's order (insertion order is preserved): the basis for line numbers.
    con.raw_sql(
        f"CREATE OR REPLACE TEMP VIEW {name}_rows AS SELECT rowid AS _rowid, * FROM {name}_raw"
    )
    con.raw_sql(
        f"CREATE OR REPLACE TEMP VIEW {name}_rejects AS SELECT s.file_path AS filename, "
        "e.line::BIGINT AS line, min(e.column_name) AS column_name, "
        "min(e.error_type::VARCHAR) AS error_type, min(e.error_message) AS error_message, "
        "trim(min(e.csv_line), chr(10) || chr(13)) AS raw "
        f"FROM {name}_rej e JOIN {name}_rejscan s USING (scan_id, file_id) GROUP BY ALL"
    )
    return con.table(f"{name}_rows"), con.table(f"{name}_rejects")


def _files_table(files: list[StreetFile], ingest_ids: list[int]) -> ir.Table:
    return ibis.memtable(
        pd.DataFrame(
            {
                "filename": [str(f.path) for f in files],
                "display": [f.display for f in files],
                "force": [f.force for f in files],
                "file_month": [f.month_text for f in files],
                "expected_by": [force_name(f.force) for f in files],
                "folder_force": [f.folder_force for f in files],
                "ingest_id": ingest_ids,
            }
        ).astype({"expected_by": "string", "folder_force": "string"})
    )


def _with_lines(rows: ir.Table, rejects: ir.Table, any_rejects: bool) -> ir.Table:
    """Add ``line``: the physical line of each parsed row, skipping the lines DuckDB rejected.

    Good row k (1-based) of a file sits on line k + 1 + (rejected lines before it); k comes from
    the scan order (``_rowid``). A rejected line r_i (i-th, 1-based) has r_i - 1 - i good rows
    before it, so the rejects before row k are those with r_i - 1 - i < k: an as-of join.
    """
    first = rows.group_by("filename").aggregate(_first=rows._rowid.min())
    rows = rows.join(first, "filename")
    rows = rows.mutate(_k=rows._rowid - rows._first + 1).drop("_first")
    if not any_rejects:
        return rows.mutate(line=rows._k + 1).drop("_k")
    i = ibis.row_number().over(group_by=rejects.filename, order_by=rejects.line) + 1
    gaps = (
        rejects.mutate(_g=rejects.line - 1 - i, _i=i)
        .group_by(["filename", "_g"])
        .aggregate(_before=lambda t: t._i.max())
        .rename(_rfile="filename")
    )
    joined = rows.mutate(_km1=rows._k - 1).asof_join(
        gaps, on=ibis._._km1 >= gaps._g, predicates=ibis._.filename == gaps._rfile
    )
    return joined.mutate(line=joined._k + 1 + joined._before.fill_null(0)).drop(
        "_rfile", "_g", "_before", "_km1", "_k"
    )


def _q(s: str) -> ir.StringValue:
    return ibis.literal(s)


def _checks(t: ir.Table) -> list[tuple[ir.BooleanValue, str, str, ir.Value, ir.StringValue]]:
    """(condition, reason, column, value, explanation) for each row check, in priority order."""
    by, month, ctype = t["Reported by"], t["Month"], t["Crime type"]
    lon, lat = t["Longitude"], t["Latitude"]
    lonf, latf = lon.try_cast("float64"), lat.try_cast("float64")
    bad_lon = lon.notnull() & (lonf.isnull() | ~lonf.between(*LON_RANGE) | lat.isnull())
    bad_lat = lat.notnull() & (latf.isnull() | ~latf.between(*LAT_RANGE) | lon.isnull())
    shown = lambda v: _q("'") + v.fill_null("") + _q("'")  # noqa: E731
    return [
        (
            t.folder_force.notnull(),
            "force_mismatch",
            "Reported by",
            by,
            _q("file is for force '")
            + t.force
            + _q("' but sits in the folder of force '")
            + t.folder_force.fill_null("")
            + _q("'; move it to its own force's folder"),
        ),
        (
            t.expected_by.notnull() & (by.isnull() | (by != t.expected_by)),
            "force_mismatch",
            "Reported by",
            by,
            _q("'Reported by' is ")
            + shown(by)
            + _q(", expected '")
            + t.expected_by.fill_null("")
            + _q("' for a ")
            + t.force
            + _q(" file"),
        ),
        (
            month.isnull() | (month != t.file_month),
            "month_mismatch",
            "Month",
            month,
            _q("'Month' is ") + shown(month) + _q(" but the file name says ") + t.file_month,
        ),
        (
            ctype.isnull() | ~ctype.isin(CRIME_TYPES),
            "unknown_crime_type",
            "Crime type",
            ctype,
            _q("'Crime type' is ")
            + shown(ctype)
            + _q(", expected one of the 14 police.uk crime types (see docs/data-model.md)"),
        ),
        (
            bad_lon,
            "bad_coordinate",
            "Longitude",
            lon,
            _q("'Longitude' is ")
            + shown(lon)
            + _q(f", expected a number in {LON_RANGE} with a latitude"),
        ),
        (
            bad_lat,
            "bad_coordinate",
            "Latitude",
            lat,
            _q("'Latitude' is ")
            + shown(lat)
            + _q(f", expected a number in {LAT_RANGE} with a longitude"),
        ),
    ]


def _validate(t: ir.Table) -> ir.Table:
    """Add ``_reason``: NULL for a row to accept, else why it is quarantined."""
    reason = ibis.cases(*[(c, r) for c, r, _, _, _ in _checks(t)], else_=None)
    return t.mutate(_reason=reason)


def _explain(bad: ir.Table) -> ir.Table:
    """Add column, value and message to quarantined rows (computed for those rows only)."""
    checks = _checks(bad)
    column = ibis.cases(*[(c, col) for c, _, col, _, _ in checks], else_=None)
    value = ibis.cases(*[(c, v) for c, _, _, v, _ in checks], else_=None)
    why = ibis.cases(*[(c, m) for c, _, _, _, m in checks], else_=None)
    message = bad.display + _q(" line ") + bad.line.cast("string") + _q(": ") + why
    return bad.mutate(_column=column, _value=value, _message=message)


def _accepted(v: ir.Table) -> ir.Table:
    ok = v.filter(v._reason.isnull())
    year_month = ok["Month"] + _q("-01")
    cols = {
        "crime_id": ok["Crime ID"],
        "month": year_month.cast("date"),
        "force": ok.force,
        "reported_by": ok["Reported by"],
        "falls_within": ok["Falls within"],
        "longitude": ok["Longitude"].cast("float64"),
        "latitude": ok["Latitude"].cast("float64"),
        "location": ok["Location"],
        "lsoa_code": ok["LSOA code"],
        "lsoa_name": ok["LSOA name"],
        "crime_type": ok["Crime type"],
        "last_outcome": ok["Last outcome category"],
        "context": ok["Context"],
        "no_crime_id": ok["Crime ID"].isnull(),
        "no_location": ok["Longitude"].isnull(),
        "lsoa_unknown": ibis.null("boolean"),
        "source_file": ok.display,
        "source_line": ok.line.cast("int64"),
        "ingest_id": ok.ingest_id.cast("int64"),
    }
    assert list(cols) == CRIMES.names
    return ok.select(**cols)


def _raw_line(t: ir.Table) -> ir.StringValue:
    parts = [t[c].fill_null("") for c in STREET_COLUMNS]
    out = parts[0]
    for p in parts[1:]:
        out = out + _q(",") + p
    return out


def _quarantined(
    bad: ir.Table, rejects: ir.Table, files: ir.Table, *, checks: bool, parser: bool
) -> ir.Table | None:
    """Quarantine rows from failed checks and from lines the parser rejected (None if neither)."""
    parts = []
    if checks:
        parts.append(_from_checks(bad))
    if parser:
        parts.append(_from_parser(rejects, files))
    if not parts:
        return None
    out = parts[0] if len(parts) == 1 else parts[0].union(parts[1])
    assert out.columns == tuple(QUARANTINE.names)
    return out


def _from_checks(bad: ir.Table) -> ir.Table:
    bad = _explain(bad)
    from_checks = bad.select(
        ingest_id=bad.ingest_id.cast("int64"),
        source_file=bad.display,
        line=bad.line.cast("int64"),
        column_name=bad._column,
        value=bad._value,
        reason=bad._reason,
        message=bad._message,
        raw=_raw_line(bad),
    )
    return from_checks


def _from_parser(rejects: ir.Table, files: ir.Table) -> ir.Table:
    r = rejects.join(files, "filename")
    reason = ibis.cases(
        (r.error_type == "INVALID ENCODING", "invalid_encoding"),
        (r.error_type.isin(["MISSING COLUMNS", "TOO MANY COLUMNS"]), "wrong_column_count"),
        else_="unparseable_line",
    )
    explain = ibis.cases(
        (
            r.error_type == "INVALID ENCODING",
            _q("bytes that are not valid UTF-8 in column '")
            + r.column_name.fill_null("?")
            + _q("'; police.uk files are UTF-8: re-download the file"),
        ),
        else_=r.error_message.fill_null("")
        + _q(
            " (police.uk rows have 12 columns; a short last "
            "line usually means a truncated download)"
        ),
    )
    from_parser = r.select(
        ingest_id=r.ingest_id.cast("int64"),
        source_file=r.display,
        line=r.line.cast("int64"),
        column_name=r.column_name,
        value=ibis.null("string"),
        reason=reason,
        message=r.display + _q(" line ") + r.line.cast("string") + _q(": ") + explain,
        raw=r.raw,
    )
    return from_parser


def scan_street(
    con: ibis.BaseBackend, files: list[StreetFile], ingest_ids: list[int], *, name: str = "street"
) -> StreetScan:
    """Read and validate a batch of street files whose headers have been checked.

    Parameters
    ----------
    con
        A DuckDB Ibis backend; temporary tables named ``{name}_*`` are created on it.
    files, ingest_ids
        The files and the ``ingest_log`` id each one's rows will carry.
    """
    rows, rejects = _read(con, files, name)
    ftab = _temp_table(con, f"{name}_files", _files_table(files, ingest_ids))
    any_rejects = bool(rejects.count().execute())
    validated = _validate(_with_lines(rows, rejects, any_rejects).join(ftab, "filename"))
    accepted = _accepted(validated)
    # The few bad rows are materialised once, so their messages never touch the good rows.
    bad = _temp_table(con, f"{name}_bad", validated.filter(validated._reason.notnull()))
    any_bad = bool(bad.count().execute())
    quarantined = _quarantined(bad, rejects, ftab, checks=any_bad, parser=any_rejects)
    return StreetScan(accepted, quarantined, _rows_read(rows, rejects, ftab))


def _rows_read(rows: ir.Table, rejects: ir.Table, files: ir.Table) -> pd.DataFrame:
    """Rows read per file: rows the parser returned plus lines it rejected."""
    parsed = rows.group_by("filename").aggregate(_parsed=rows.count())
    rejected = rejects.group_by("filename").aggregate(_rejected=rejects.count())
    return (
        files.left_join(parsed, "filename")
        .left_join(rejected, "filename")
        .select(
            "ingest_id",
            rows_read=(ibis._._parsed.fill_null(0) + ibis._._rejected.fill_null(0)).cast("int64"),
        )
        .to_pandas()
    )


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
