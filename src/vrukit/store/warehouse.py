"""The warehouse: an embedded DuckDB file holding vrukit's tidy tables.

It owns storage only. Reading and checking files is done by :mod:`vrukit.ingest`, which hands
back tables in the warehouse's shapes; the warehouse replaces what a source covered before and
keeps ``ingest_log`` so that loading the same content twice changes nothing.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import ibis.expr.types as ir
import numpy as np
import pandas as pd
import shapely

from vrukit.errors import VrukitError
from vrukit.geo import to_bng
from vrukit.ingest._sources import (
    StreetFile,
    check_header,
    find_street_files,
    month_span,
    sha256_file,
    sql_literal,
)
from vrukit.ingest.geography import derive_lsoa_lookup
from vrukit.ingest.istv import find_extracts
from vrukit.ingest.istv_profile import Profile
from vrukit.ingest.policeuk import quarantine_whole_file, scan_street
from vrukit.ingest.vintage import check_fit, convert_population, file_vintages
from vrukit.schemas import INGEST_LOG, TABLES, Table, validate_frame
from vrukit.store._connect import connect as _connect
from vrukit.store.planning import (
    _file_date,
    _IstvBatch,
    _IstvItem,
    _last_per_source,
    _Plan,
    _submission_row,
)
from vrukit.store.reports import IngestReport

if TYPE_CHECKING:
    pass

__all__ = ["IngestReport", "Warehouse"]

log = logging.getLogger(__name__)

Progress = Callable[[str, int], None]
"""Called with (description, rows just processed)."""


class Warehouse:
    """An open warehouse file.

    Parameters
    ----------
    path
        DuckDB file; created with every table when new. ``":memory:"`` for a throwaway one.
    memory_limit, threads
        Passed to DuckDB.
    read_only
        Open an existing file for reading only, so that other programs may read it at the same
        time (the analysis commands do). A file that lacks one of today's tables (made by an
        older vrukit) is opened for writing once, to add them.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        memory_limit: str = "512MB",
        threads: int | None = None,
        read_only: bool = False,
    ) -> None:
        self.path = str(path)
        self.read_only = read_only and self.path != ":memory:" and Path(self.path).exists()
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.con = _connect(self.path, read_only=self.read_only)
        if self.read_only and (
            not set(TABLES) <= set(self.con.list_tables()) or self._needs_upgrade()
        ):  # made by an older vrukit: brought up to date once, then read as asked
            self.con.disconnect()
            self.con, self.read_only = _connect(self.path), False
        self.con.raw_sql(f"SET memory_limit = '{memory_limit}'")
        self.con.raw_sql("SET preserve_insertion_order = true")
        self.con.raw_sql("SET enable_progress_bar = false")
        if threads:
            self.con.raw_sql(f"SET threads = {int(threads)}")
        if not self.read_only:
            for table in TABLES.values():
                self.con.raw_sql(table.ddl())
            self._upgrade()

    def _needs_upgrade(self) -> bool:
        return "lsoa_published" not in self.con.table("crimes").columns or (
            "edition" not in self.con.table("deprivation").columns
        )

    def _upgrade(self) -> None:
        """Bring a warehouse made by an older vrukit up to date: columns added since are added
        (deprivation's ``edition``: every row then was IoD2019)."""
        if "lsoa_published" not in self.con.table("crimes").columns:
            self.con.raw_sql("ALTER TABLE crimes ADD COLUMN lsoa_published VARCHAR")
        have = set(self.con.table("deprivation").columns)
        if "edition" not in have:  # the key changes too: the table is made again
            self.con.raw_sql("BEGIN TRANSACTION")
            try:
                self.con.raw_sql("ALTER TABLE deprivation RENAME TO _deprivation_old")
                self.con.raw_sql(TABLES["deprivation"].ddl())
                self.con.raw_sql(
                    "INSERT INTO deprivation SELECT *, 'IoD2019' FROM _deprivation_old"
                )
                self.con.raw_sql("DROP TABLE _deprivation_old")
                self.con.raw_sql("COMMIT")
            except Exception:
                self.con.raw_sql("ROLLBACK")
                raise

    # -- generic -----------------------------------------------------------------------------
    def table(self, name: str) -> ir.Table:
        """The named table as an Ibis expression."""
        return self.con.table(name)

    def lsoa_at(
        self, lon: Sequence[float], lat: Sequence[float], *, vintage: int | None = None
    ) -> pd.DataFrame:
        """The LSOA (``lsoa_code``, ``lsoa_name``) each point (WGS84) lies in, from the areas'
        boundaries (of ``vintage`` only, when given); None for a point outside them. Needs
        boundaries (``vrukit ingest boundaries``)."""
        a = self.table("areas")
        a = a.filter(a.geometry_wkb.notnull() & ((a.vintage == vintage) if vintage else True))
        a = a.select("lsoa_code", "lsoa_name", "geometry_wkb")
        areas = a.to_pandas()
        if areas.empty:
            raise VrukitError(
                "placing points in LSOAs needs LSOA boundaries in the warehouse; load them with "
                "`vrukit ingest boundaries`"
            )
        tree = shapely.STRtree(shapely.from_wkb(areas.geometry_wkb.to_numpy()))
        xy = to_bng(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        pts, hit = tree.query(shapely.points(xy), predicate="within")
        out = pd.DataFrame({"lsoa_code": None, "lsoa_name": None}, index=range(len(xy)))
        out.iloc[pts] = areas[["lsoa_code", "lsoa_name"]].to_numpy()[hit]
        return out

    def counts(self) -> dict[str, int]:
        """Row count of every table."""
        return {name: int(self.con.table(name).count().execute()) for name in TABLES}

    def close(self) -> None:
        self.con.disconnect()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _next_ingest_id(self) -> int:
        current = self.con.table("ingest_log").ingest_id.max().execute()
        return 1 if current is None or pd.isna(current) else int(current) + 1

    def _previous(self, kind: str) -> pd.DataFrame:
        t = self.con.table("ingest_log")
        return (
            t.filter(t.kind == kind)
            .select("source_key", "ingest_id", "sha256", "source_file")
            .to_pandas()
        )

    def _forget(self, ingest_ids: Sequence[int], tables: Iterable[str]) -> None:
        if not ingest_ids:
            return
        ids = ", ".join(str(int(i)) for i in ingest_ids)
        for name in tables:
            self.con.raw_sql(f"DELETE FROM {name} WHERE ingest_id IN ({ids})")

    def _log(self, rows: pd.DataFrame) -> None:
        keys = rows[["kind", "source_key"]]
        self.con.create_table("_log_keys", keys, temp=True, overwrite=True)
        self.con.raw_sql(
            "DELETE FROM ingest_log WHERE (kind, source_key) IN "
            "(SELECT (kind, source_key) FROM _log_keys)"
        )
        self.con.insert("ingest_log", rows[INGEST_LOG.names])

    # -- police.uk ---------------------------------------------------------------------------
    def ingest_police(
        self,
        paths: Iterable[str | Path],
        *,
        batch_rows: int = 1_000_000,
        progress: Progress | None = None,
        total: Callable[[int], None] | None = None,
        force: str | None = None,
    ) -> IngestReport:
        """Load police.uk street-level files (folders, files, zip archives; only ``force``'s,
        when given).

        A force-month already loaded with identical bytes is left alone; one loaded with other
        bytes (a corrected re-publication) is replaced whole. Returns the per-file accounting.
        Once the files are checked, ``total`` is told the rows to load (estimated from the files'
        sizes); then ``progress`` gets each batch's months and its share of that estimate.
        """
        with tempfile.TemporaryDirectory(prefix="vrukit-") as work:
            found = find_street_files(paths, workdir=Path(work))
            files = [f for f in _last_per_source(found.files) if force in (None, f.force)]
            if force and not files:
                seen = ", ".join(sorted({f.force for f in found.files})) or "none"
                raise VrukitError(f"no police.uk street files for {force!r} (forces found: {seen})")
            previous = self._previous("policeuk-street").set_index("source_key")
            plan = _Plan(self._next_ingest_id())
            plan.sort_out(files, previous, check=check_header)
            if total:
                total(sum(plan.estimates.values()))
            for batch in plan.batches(batch_rows):
                self._load_street_batch(plan, batch)
                if progress:
                    months = sorted({sf.month_text for sf in batch})
                    progress(
                        f"police.uk {month_span(months)}",
                        sum(plan.estimates[sf.source_key] for sf in batch),
                    )
            for sf, check in plan.bad_headers:
                self._load_rejected_file(plan, sf, check)
            self.refresh_lsoa_flags(plan.new_ids())
        return IngestReport(plan.report(), found.skipped)

    def _load_street_batch(self, plan: _Plan, batch: list[StreetFile]) -> None:
        ids = [plan.ids[sf.source_key] for sf in batch]
        scan = scan_street(self.con, batch, ids)
        self.con.raw_sql("BEGIN TRANSACTION")
        try:
            self._forget(plan.old_ids(batch), ("crimes", "quarantine"))
            self.con.raw_sql(f"INSERT INTO crimes BY NAME SELECT * FROM {scan.accepted_view}")
            if scan.quarantined_view is not None:
                self.con.raw_sql(
                    f"INSERT INTO quarantine BY NAME SELECT * FROM {scan.quarantined_view}"
                )
            counts = self._stored_counts(scan.rows_read)
            log_rows = [plan.log_row(sf, counts.loc[i]) for sf, i in zip(batch, ids, strict=True)]
            self._log(pd.DataFrame(log_rows))
            self.con.raw_sql("COMMIT")
        except Exception:
            self.con.raw_sql("ROLLBACK")
            raise
        finally:
            scan.drop()

    def _stored_counts(self, read: pd.DataFrame) -> pd.DataFrame:
        """Rows read (from the scan) beside rows stored (from the tables), per ingest_id."""
        ids = ", ".join(str(int(i)) for i in read.ingest_id)
        accepted = self.con.raw_sql(
            f"SELECT ingest_id, count(*) AS rows_accepted FROM crimes WHERE ingest_id IN ({ids}) "
            "GROUP BY ingest_id"
        ).df()
        quarantined = self.con.raw_sql(
            "SELECT ingest_id, count(*) AS rows_quarantined, arg_min(message, line) AS message "
            f"FROM quarantine WHERE ingest_id IN ({ids}) GROUP BY ingest_id"
        ).df()
        out = read.merge(accepted, "left", "ingest_id").merge(quarantined, "left", "ingest_id")
        n = ["rows_accepted", "rows_quarantined"]
        out[n] = out[n].fillna(0).astype("int64")
        return out.set_index("ingest_id")

    def _load_rejected_file(self, plan: _Plan, sf: StreetFile, check: object) -> None:
        ingest_id = plan.ids[sf.source_key]
        frame = quarantine_whole_file(sf, check, ingest_id)  # type: ignore[arg-type]
        self._forget(plan.old_ids([sf]), ("crimes", "quarantine"))
        if len(frame):
            self.con.insert("quarantine", frame)
        message = f"{sf.display} {check.message}"  # type: ignore[attr-defined]
        counts = pd.Series(
            {
                "rows_read": len(frame),
                "rows_accepted": 0,
                "rows_quarantined": len(frame),
                "message": message,
            }
        )
        self._log(pd.DataFrame([plan.log_row(sf, counts, rejected=True)]))

    # -- ISTV (A&E assault data) -------------------------------------------------------------
    def ingest_istv(
        self,
        paths: Iterable[str | Path],
        profiles: dict[str, Profile],
        *,
        received: date | None = None,
        progress: Callable[[str, int], None] | None = None,
    ) -> IngestReport:
        """Load ISTV extracts, each read with the profile whose ``files`` pattern claims it.

        A file that carries identifiers, or cannot be read as its profile says, is refused and
        nothing from it is stored. For each site and reporting period the latest extract (by
        ``received``, else the file's modification date) replaces any earlier one; loading the
        same content again changes nothing.
        """
        found, skipped = find_extracts(list(paths), profiles)
        batch = _IstvBatch(self._previous("istv").set_index("source_key"))
        dated = sorted((received or _file_date(f), str(f), f, prof) for f, prof in found)
        for when, _, f, prof in dated:
            batch.read(f, prof, when)
            if progress:
                progress("reading ISTV extracts", 1)
        changed = {k: it for k, it in batch.latest.items() if not batch.unchanged(k, it)}
        if changed:
            self._store_istv(batch, changed)
        return IngestReport(batch.report(), skipped)

    def _store_istv(self, batch: _IstvBatch, items: dict[str, _IstvItem]) -> None:
        """Store the changed submissions in one transaction, replacing what they supersede."""
        first_id = self._next_ingest_id()
        ids = {key: first_id + k for k, key in enumerate(items)}
        old = {
            k: int(batch.previous.at[k, "ingest_id"]) for k in items if k in batch.previous.index
        }
        first = self._first_received(batch, old)
        self.con.raw_sql("BEGIN TRANSACTION")
        try:
            self._forget(list(old.values()), ("istv_assaults", "quarantine", "istv_submissions"))
            accepted = [it.got.accepted.assign(ingest_id=ids[k]) for k, it in items.items()]
            self._insert_typed(pd.concat(accepted, ignore_index=True), TABLES["istv_assaults"])
            quarantined = [
                it.got.quarantined.assign(ingest_id=ids[k])
                for k, it in items.items()
                if len(it.got.quarantined)
            ]
            if quarantined:
                self._insert_typed(pd.concat(quarantined, ignore_index=True), TABLES["quarantine"])
            subs = [_submission_row(it, ids[k], first[k], k in old) for k, it in items.items()]
            self._insert_typed(pd.DataFrame(subs), TABLES["istv_submissions"])
            counts = self._istv_counts({ids[k]: it.got.rows_read for k, it in items.items()})
            log = [
                batch.log_row(k, it, ids[k], counts[ids[k]], k in old) for k, it in items.items()
            ]
            self._log(pd.DataFrame(log))
            self.con.raw_sql("COMMIT")
        except Exception:
            self.con.raw_sql("ROLLBACK")
            raise

    def _first_received(self, batch: _IstvBatch, old: dict[str, int]) -> dict[str, date]:
        first = dict(batch.first_received)
        if old:
            s = self.con.table("istv_submissions")
            prior = s.filter(s.ingest_id.isin(list(old.values()))).to_pandas()
            by_id = dict(zip(prior.ingest_id, prior.first_received, strict=True))
            for key, i in old.items():
                if i in by_id:
                    first[key] = min(first[key], pd.Timestamp(by_id[i]).date())
        return first

    def _insert_typed(self, frame: pd.DataFrame, spec: Table) -> None:
        self._stage(frame[spec.names], spec, "_typed")
        self.con.raw_sql(f"INSERT INTO {spec.name} SELECT * FROM _typed")

    def _istv_counts(self, read: dict[int, int]) -> dict[int, dict[str, int]]:
        """Rows read (from the scans) beside rows stored, per ingest_id; raises when they differ."""
        ids = list(read)
        a, q = self.con.table("istv_assaults"), self.con.table("quarantine")
        acc = a.filter(a.ingest_id.isin(ids)).group_by("ingest_id").aggregate(n=lambda t: t.count())
        qua = q.filter(q.ingest_id.isin(ids)).group_by("ingest_id").aggregate(n=lambda t: t.count())
        n_acc = dict(acc.to_pandas().itertuples(index=False, name=None))
        n_qua = dict(qua.to_pandas().itertuples(index=False, name=None))
        out = {}
        for i, rows_read in read.items():
            accepted, quarantined = int(n_acc.get(i, 0)), int(n_qua.get(i, 0))
            if rows_read != accepted + quarantined:
                raise VrukitError(
                    f"ISTV ingest {i}: accounting failed: read {rows_read} rows but stored "
                    f"{accepted} accepted and {quarantined} quarantined; nothing was kept. "
                    "Please report."
                )
            out[i] = {
                "rows_read": rows_read,
                "rows_accepted": accepted,
                "rows_quarantined": quarantined,
            }
        return out

    # -- reference data ----------------------------------------------------------------------
    def load_reference(
        self, kind: str, frame: pd.DataFrame, *, table: str, source: Path | str
    ) -> int:
        """Insert or replace rows of a reference ``table`` (by its key) and log the source.

        Returns the number of rows loaded. Loading the same file twice leaves every count as it was.
        """
        spec = TABLES[table]
        validate_frame(frame, spec, where=str(source))
        fit = None
        if table in ("population", "deprivation"):
            areas = self.table("areas").select("lsoa_code", "vintage").to_pandas()
            if table == "population":
                frame = self._to_vintage_of(areas, frame)
            fit = check_fit(areas, frame, table=table, source=source)
        notes = [m for m in (frame.attrs.get("message"), fit and fit.message) if m]
        self.con.raw_sql("BEGIN TRANSACTION")
        try:
            self._stage(frame, spec, "_ref")
            keys = ", ".join(f'"{k}"' for k in spec.key)
            if table == "areas":
                self._keep_rollups()
            self.con.raw_sql(f"DELETE FROM {table} WHERE ({keys}) IN (SELECT ({keys}) FROM _ref)")
            self.con.raw_sql(f"INSERT INTO {table} SELECT * FROM _ref")
            read = int(frame.attrs.get("rows_read", len(frame)))
            accepted = int(frame.attrs.get("rows_in", len(frame)))  # a converted file's rows
            files = frame.attrs.get("files") or [(Path(source), read)]
            first, note = self._next_ingest_id(), "; ".join(notes) or None
            rows = [
                _file_row(first + k, kind, Path(path), n, n, note)
                if len(files) > 1
                else _file_row(first, kind, Path(path), read, accepted, note)
                for k, (path, n) in enumerate(files)
            ]
            self._log(pd.DataFrame(rows))
            self.con.raw_sql("COMMIT")
        except Exception:
            self.con.raw_sql("ROLLBACK")
            raise
        if table == "areas" or table == "population":
            self.refresh_area_population()
        if table == "areas":
            self.refresh_lsoa_flags()
        return len(frame)

    def _to_vintage_of(self, areas: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
        """A population frame of no loaded vintage, converted through ``lsoa_lookup`` when one
        is loaded (else as it is: the fit check then refuses it, naming the cure)."""
        have, found = set(areas.vintage.astype(int)), file_vintages("population", frame)
        if not have or have & found or len(found) != 1:
            return frame
        lookup = self.table("lsoa_lookup").to_pandas()
        return frame if lookup.empty else convert_population(frame, lookup, to=max(have))

    def keep_areas(self, vintage: int, codes: set[str]) -> int:
        """Remove the areas of ``vintage`` that are not in ``codes`` (a build defines its area:
        a rebuild on fewer local authorities leaves none of the others behind). Returns how
        many were removed."""
        before = int(self.table("areas").count().execute())
        frame = pd.DataFrame({"lsoa_code": sorted(codes)})
        self.con.create_table("_keep", frame, temp=True, overwrite=True)
        self.con.raw_sql(
            f"DELETE FROM areas WHERE vintage = {int(vintage)} "
            "AND lsoa_code NOT IN (SELECT lsoa_code FROM _keep)"
        )
        removed = before - int(self.table("areas").count().execute())
        if removed:
            self.refresh_lsoa_flags()
        return removed

    def _keep_rollups(self) -> None:
        """Boundaries reloaded without MSOA or local-authority columns (LSOA 2011 files) keep the
        rollups already loaded (from ``vrukit ingest rollups``) instead of emptying them."""
        cols = ("msoa_code", "msoa_name", "lad_code", "lad_name")
        sets = ", ".join(f'"{c}" = coalesce(_ref."{c}", a."{c}")' for c in cols)
        self.con.raw_sql(
            f"UPDATE _ref SET {sets} FROM areas a "
            "WHERE _ref.lsoa_code = a.lsoa_code AND _ref.vintage = a.vintage"
        )

    def replace_rows(
        self, table: str, frame: pd.DataFrame, *, where: dict[str, str] | None = None
    ) -> int:
        """Replace the rows of a derived ``table`` (all, or those matching ``where``) by ``frame``.

        One transaction: readers see the old rows or the new ones, never a mixture.
        """
        spec = TABLES[table]
        validate_frame(frame, spec, where=table)
        cond = " AND ".join(f'"{k}" = {sql_literal(v)}' for k, v in (where or {}).items())
        self.con.raw_sql("BEGIN TRANSACTION")
        try:
            self.con.raw_sql(f"DELETE FROM {table}" + (f" WHERE {cond}" if cond else ""))
            if len(frame):
                self._insert_typed(frame, spec)
            self.con.raw_sql("COMMIT")
        except Exception:
            self.con.raw_sql("ROLLBACK")
            raise
        return len(frame)

    def _stage(self, frame: pd.DataFrame, spec: Table, name: str) -> None:
        """Copy a pandas frame into a temp table typed as ``spec`` declares."""
        raw = self.con.con  # the DuckDB connection: storage is engine-bound by design
        raw.register("_frame", frame)
        casts = ", ".join(f'CAST("{c.name}" AS {c.sql_type}) AS "{c.name}"' for c in spec.columns)
        raw.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {casts} FROM _frame")
        raw.unregister("_frame")

    def derive_lsoa_lookup(self, *, min_share: float = 0.02) -> int:
        """Derive ``lsoa_lookup`` from 2011 and 2021 boundaries in ``areas``; return its rows."""

        a = self.con.table("areas")
        by = {v: a.filter(a.vintage == v).to_pandas() for v in (2011, 2021)}
        for v, frame in by.items():
            if frame.empty or frame.geometry_wkb.isna().any():
                raise VrukitError(
                    f"deriving the LSOA lookup needs {v} boundaries in areas; "
                    f"load them with `vrukit ingest boundaries`"
                )
        lookup = derive_lsoa_lookup(by[2011], by[2021], min_share=min_share)
        self._stage(lookup, TABLES["lsoa_lookup"], "_ref")
        self.con.raw_sql("DELETE FROM lsoa_lookup")
        self.con.raw_sql("INSERT INTO lsoa_lookup SELECT * FROM _ref")
        return len(lookup)

    def apply_area_lookup(self, lookup: pd.DataFrame, *, source: Path | str | None = None) -> int:
        """Fill MSOA and local authority of ``areas`` from an LSOA lookup frame (of the vintage
        in ``lookup.attrs["vintage"]``, 2011 by default; read from ``source``, which the ingest
        log then records)."""
        vintage = int(lookup.attrs.get("vintage", 2011))
        if source is not None:
            row = _file_row(self._next_ingest_id(), "rollups", Path(source), len(lookup),
                            len(lookup), None)  # fmt: skip
            self._log(pd.DataFrame([row]))
        raw = self.con.con
        raw.register("_lk", lookup)
        raw.execute(
            "UPDATE areas SET msoa_code = l.msoa_code, msoa_name = l.msoa_name, "
            "lad_code = l.lad_code, lad_name = l.lad_name FROM _lk l "
            f"WHERE areas.lsoa_code = l.lsoa_code AND areas.vintage = {vintage}"
        )
        raw.unregister("_lk")
        a = self.con.table("areas")
        return int(a.filter((a.vintage == vintage) & a.msoa_code.notnull()).count().execute())

    def refresh_area_population(self) -> None:
        """Set ``areas.population`` from the latest year of ``population`` for each area."""
        self.con.raw_sql(
            "UPDATE areas SET population = p.residents, population_source = p.source FROM ("
            "  SELECT lsoa_code, vintage, sum(residents) AS residents, any_value(source) AS source"
            "  FROM population p1 WHERE year = (SELECT max(year) FROM population p2"
            "    WHERE p2.lsoa_code = p1.lsoa_code AND p2.vintage = p1.vintage)"
            "  GROUP BY lsoa_code, vintage) p "
            "WHERE areas.lsoa_code = p.lsoa_code AND areas.vintage = p.vintage"
        )

    def refresh_lsoa_flags(self, ingest_ids: Sequence[int] | None = None) -> None:
        """Recompute ``crimes.lsoa_unknown`` against ``areas`` (all rows, or some ingests)."""
        scope = ""
        if ingest_ids is not None:
            if not ingest_ids:
                return
            scope = " AND ingest_id IN (" + ", ".join(str(int(i)) for i in ingest_ids) + ")"
        self.con.raw_sql(
            "UPDATE crimes SET lsoa_unknown = CASE "
            "WHEN NOT EXISTS (SELECT 1 FROM areas) THEN NULL "
            "WHEN lsoa_code IS NULL THEN false "
            "ELSE lsoa_code NOT IN (SELECT lsoa_code FROM areas) END WHERE true" + scope
        )


def _file_row(
    ingest_id: int, kind: str, path: Path, read: int, accepted: int, message: str | None
) -> dict[str, object]:
    """An ``ingest_log`` row for a reference file loaded whole (the rest read is left out)."""
    return {
        "ingest_id": ingest_id, "kind": kind, "source_key": path.name, "source_file": str(path),
        "sha256": sha256_file(path), "rows_read": read, "rows_accepted": accepted,
        "rows_quarantined": read - accepted, "status": "loaded", "message": message,
        "loaded_at": datetime.now(UTC).replace(tzinfo=None),
    }  # fmt: skip
