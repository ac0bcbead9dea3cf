"""The partitioned warehouse: police.uk crime as Parquet, one partition per force and month.

Layout (hive style, which DuckDB and Spark both read)::

    lake/
      manifest.json                              what is loaded, from which file, with its counts
      crimes/force=<slug>/month=<YYYY-MM>/part-0.parquet
      quarantine/force=<slug>/month=<YYYY-MM>/part-0.parquet   (only where rows were quarantined)

A street file is read and checked exactly as the embedded warehouse reads it
(:func:`vrukit.ingest.policeuk.scan_street`: same checks, same quarantine reasons, same line
numbers), a few whole months of files at a time (about ``batch_rows`` rows, which bounds memory).
Ingesting a file writes only its own partition; a file whose bytes are already loaded is skipped,
one with other bytes replaces its partition whole.
For every partition, rows read = accepted + quarantined, or nothing of that batch is written.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import ibis
import pandas as pd
from filelock import FileLock, Timeout

import vrukit.store._duckdb_compat  # noqa: F401  (Ibis 12 on DuckDB 2)
from vrukit import jsonio
from vrukit.errors import VrukitError
from vrukit.ingest._sources import (
    HeaderCheck,
    StreetFile,
    check_header,
    find_street_files,
    month_span,
    sql_literal,
)
from vrukit.ingest.policeuk import quarantine_whole_file, scan_street
from vrukit.schemas import QUARANTINE
from vrukit.store.engine import LAKE_CRIME_COLUMNS
from vrukit.store.planning import _last_per_source
from vrukit.store.reports import REPORT_COLUMNS, IngestReport

__all__ = ["MANIFEST", "Lake"]

MANIFEST = "manifest.json"
#: Held by the one ingest writing the lake (a lock file, released when the writer ends or dies).
LOCK = ".lock"
FORMAT = 1
#: Stored in each partition: the lake's crime columns less the partition's own force and month.
_CRIME_COLUMNS = ", ".join(c for c in LAKE_CRIME_COLUMNS if c not in ("force", "month"))
_QUARANTINE_COLUMNS = [c for c in QUARANTINE.names if c != "ingest_id"]

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class _Item:
    """One street file to store: its partition, bytes' hash and header check."""

    sf: StreetFile
    sha: str
    check: HeaderCheck
    replaces: bool

    @property
    def part(self) -> str:
        return f"force={self.sf.force}/month={self.sf.month_text}"


class Lake:
    """A partitioned lake at ``path`` (created on first ingest)."""

    def __init__(
        self, path: Path | str, *, memory_limit: str = "1GB", batch_rows: int = 1_000_000
    ) -> None:
        self.path = Path(path)
        self.memory_limit = memory_limit
        self.batch_rows = batch_rows

    # -- the manifest ------------------------------------------------------------------------
    def manifest(self) -> dict[str, dict[str, object]]:
        """Loaded partitions by ``force/YYYY-MM``: source file, sha256, counts, status, when."""
        f = self.path / MANIFEST
        if not f.exists():
            return {}
        data = json.loads(f.read_text())
        if data.get("format") != FORMAT:
            raise VrukitError(f"{f}: manifest format {data.get('format')!r}, expected {FORMAT}")
        return dict(data["partitions"])

    def partitions(self) -> pd.DataFrame:
        """The manifest as a table, one row per force and month, sorted."""
        rows = [{"partition": k, **v} for k, v in sorted(self.manifest().items())]
        return pd.DataFrame(rows)

    def _save(self, partitions: dict[str, dict[str, object]]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        body = {"format": FORMAT, "layout": "hive: force=<slug>/month=<YYYY-MM>"}
        body["partitions"] = dict(sorted(partitions.items()))
        tmp = self.path / f".{MANIFEST}.{uuid.uuid4().hex}"
        tmp.write_text(jsonio.dumps(body, indent=1))
        os.replace(tmp, self.path / MANIFEST)

    # -- ingest ------------------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the lake for one writer. Two ingests at once would each save the manifest they
        read, losing the other's partitions; so a second, from any process, is refused while
        the first runs."""
        self.path.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.path / LOCK)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise VrukitError(
                f"the lake {self.path} is being written by another ingest (it holds "
                f"{self.path / LOCK}); run this again when that one has finished"
            ) from None
        try:
            yield
        finally:
            lock.release()

    def ingest_police(
        self,
        paths: Iterable[str | Path],
        *,
        progress: Progress | None = None,
        total: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Store police.uk street files (folders, files, zip archives) in their partitions.

        Returns the per-file accounting, as :meth:`vrukit.store.warehouse.Warehouse.ingest_police`.
        Once the files are checked, ``total`` is told how many will be stored; then ``progress``
        gets each batch's months and its number of files.
        """
        with self.writing(), tempfile.TemporaryDirectory(prefix="vrukit-") as work:
            manifest = self.manifest()
            report: list[dict[str, object]] = []
            found = find_street_files(paths, workdir=Path(work))
            todo: list[_Item] = []
            for sf in _last_per_source(found.files):
                sha = sf.sha256()
                before = manifest.get(sf.source_key)
                if before is not None and before.get("sha256") == sha:
                    report.append(_row(sf, "unchanged", 0, 0, 0, "identical to the loaded copy"))
                    continue
                todo.append(_Item(sf, sha, check_header(sf), before is not None))
            if total:
                total(len(todo))
            for months, items in _batches(todo, self.batch_rows):
                entries = self._store(items)
                manifest.update(entries)
                self._save(manifest)
                report.extend(_report_row(it, entries[it.sf.source_key]) for it in items)
                if progress:
                    progress(f"police.uk {months}", len(items))
        return IngestReport(pd.DataFrame(report, columns=list(REPORT_COLUMNS)), found.skipped)

    def _store(self, items: list[_Item]) -> dict[str, dict[str, object]]:
        """Scan one batch, write its partitions into a staging folder, then swap them in."""
        stage = self.path / ".staging" / uuid.uuid4().hex
        stage.mkdir(parents=True)
        try:
            entries = self._write_batch(items, stage)
            for it in items:
                for kind in ("crimes", "quarantine"):
                    _swap(stage / kind / it.part, self.path / kind / it.part)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        return entries

    def _write_batch(self, items: list[_Item], stage: Path) -> dict[str, dict[str, object]]:
        con = ibis.duckdb.connect()
        con.raw_sql(f"SET memory_limit = '{self.memory_limit}'")
        con.raw_sql(f"SET temp_directory = {sql_literal(str(stage / 'spill'))}")
        con.raw_sql("SET preserve_insertion_order = true")
        try:
            good = [k for k, it in enumerate(items) if it.check.ok]
            scanned = _scan_to_stage(con, [items[k] for k in good], stage) if good else []
            counts = dict(zip(good, scanned, strict=True))
            for k, it in enumerate(items):
                if k not in counts:
                    counts[k] = _reject_whole(it, stage)
        finally:
            con.disconnect()
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
        out = {}
        for k, it in enumerate(items):
            c = counts[k]
            if c["rows_read"] != c["rows_accepted"] + c["rows_quarantined"]:  # type: ignore[operator]
                raise VrukitError(
                    f"{it.sf.display}: accounting failed: read {c['rows_read']} rows but "
                    f"accepted {c['rows_accepted']} and quarantined {c['rows_quarantined']}; "
                    "nothing from this batch was written. Please report."
                )
            status = "rejected" if not it.check.ok else "replaced" if it.replaces else "loaded"
            out[it.sf.source_key] = {
                "force": it.sf.force,
                "month": it.sf.month_text,
                "source_file": it.sf.display,
                "sha256": it.sha,
                **c,
                "status": status,
                "written_at": now,
            }
        return out


def _batches(items: list[_Item], batch_rows: int) -> list[tuple[str, list[_Item]]]:
    """Whole months, in order, gathered into batches of about ``batch_rows`` rows (by file
    size); each batch is named by its months."""
    months: dict[str, list[_Item]] = {}
    for it in items:
        months.setdefault(it.sf.month_text, []).append(it)
    out: list[tuple[str, list[_Item]]] = []
    names: list[str] = []
    batch: list[_Item] = []
    size = 0
    for month, group in sorted(months.items()):
        est = sum(it.sf.estimated_rows() for it in group)
        if batch and size + est > batch_rows:
            out.append((month_span(names), batch))
            names, batch, size = [], [], 0
        names.append(month)
        batch.extend(group)
        size += est
    if batch:
        out.append((month_span(names), batch))
    return out


def _scan_to_stage(
    con: ibis.BaseBackend, good: list[_Item], stage: Path
) -> list[dict[str, object]]:
    """Scan the files with good headers; write each one's accepted and quarantined rows into
    ``stage``; return each file's counts, in order."""
    ids = list(range(len(good)))
    scan = scan_street(con, [it.sf for it in good], ids, name="lake")
    con.create_table("lake_acc", scan.accepted, temp=True, overwrite=True)
    quarantined = scan.quarantined is not None
    if quarantined:
        con.create_table("lake_q", scan.quarantined, temp=True, overwrite=True)
    read = dict(zip(scan.rows_read.ingest_id, scan.rows_read.rows_read, strict=True))
    acc = _counts(con, "lake_acc")
    qua = _counts(con, "lake_q") if quarantined else {}
    first = _first_messages(con) if quarantined else {}
    _copy(con, f"SELECT {_CRIME_COLUMNS}, force, strftime(month, '%Y-%m') AS month "
          "FROM lake_acc", stage / "crimes")  # fmt: skip
    if quarantined:
        months = ", ".join(f"({i}, {sql_literal(it.sf.force)}, {sql_literal(it.sf.month_text)})"
                           for i, it in enumerate(good))  # fmt: skip
        cols = ", ".join(f"q.{c}" for c in _QUARANTINE_COLUMNS)
        _copy(con, f"SELECT {cols}, f.force, f.month FROM lake_q q JOIN (VALUES {months}) "
              "f(ingest_id, force, month) USING (ingest_id) ORDER BY q.ingest_id, q.line",
              stage / "quarantine")  # fmt: skip
    out: list[dict[str, object]] = []
    for i in range(len(good)):
        out.append(
            {
                "rows_read": int(read.get(i, 0)),
                "rows_accepted": int(acc.get(i, 0)),
                "rows_quarantined": int(qua.get(i, 0)),
                "message": first.get(i),
            }
        )
    return out


def _counts(con: ibis.BaseBackend, table: str) -> dict[int, int]:
    rows = con.raw_sql(f"SELECT ingest_id, count(*) FROM {table} GROUP BY ALL").fetchall()
    return {int(i): int(n) for i, n in rows}


def _first_messages(con: ibis.BaseBackend) -> dict[int, str]:
    rows = con.raw_sql("SELECT ingest_id, arg_min(message, line) FROM lake_q GROUP BY ALL")
    return {int(i): str(m) for i, m in rows.fetchall()}


def _copy(con: ibis.BaseBackend, query: str, folder: Path) -> None:
    """Write the query's rows into ``folder`` as Parquet partitioned by force and month."""
    con.raw_sql(
        f"COPY ({query}) TO {sql_literal(str(folder))} (FORMAT parquet, COMPRESSION snappy, "
        "PARTITION_BY (force, month), FILENAME_PATTERN 'part-{i}')"
    )


def _reject_whole(it: _Item, stage: Path) -> dict[str, object]:
    """A file whose header is wrong: every data line is quarantined, with the header's reason."""
    frame = quarantine_whole_file(it.sf, it.check, 0)
    if len(frame):
        folder = stage / "quarantine" / it.part
        folder.mkdir(parents=True, exist_ok=True)
        frame[_QUARANTINE_COLUMNS].to_parquet(folder / "part-0.parquet", index=False)
    return {
        "rows_read": len(frame),
        "rows_accepted": 0,
        "rows_quarantined": len(frame),
        "message": f"{it.sf.display} {it.check.message}",
    }


def _swap(staged: Path, target: Path) -> None:
    """Put ``staged`` where ``target`` is (or remove ``target`` when nothing was staged)."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        os.replace(target, old)
    if staged.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)
    if old is not None:
        shutil.rmtree(old)


def _row(sf: StreetFile, status: str, read: int, acc: int, qua: int, msg: str | None) -> dict:
    return {
        "source_file": sf.display,
        "source_key": sf.source_key,
        "status": status,
        "rows_read": read,
        "rows_accepted": acc,
        "rows_quarantined": qua,
        "message": msg,
    }


def _report_row(it: _Item, e: dict[str, object]) -> dict[str, object]:
    return _row(
        it.sf,
        str(e["status"]),
        int(e["rows_read"]),  # type: ignore[call-overload]
        int(e["rows_accepted"]),  # type: ignore[call-overload]
        int(e["rows_quarantined"]),  # type: ignore[call-overload]
        e["message"],  # type: ignore[arg-type]
    )
