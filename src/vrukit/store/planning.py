"""Planning a load: which file wins for each source, the ids and previous loads of one run, and
the ISTV extracts of a run grouped by submission (the warehouse's ingest methods carry them
out)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from vrukit.errors import InputFileError, VrukitError
from vrukit.ingest._sources import HeaderCheck, StreetFile, sha256_file
from vrukit.ingest.identifiers import IdentifierError
from vrukit.ingest.istv import IstvScan, scan_istv
from vrukit.ingest.istv_profile import Profile
from vrukit.store.reports import REPORT_COLUMNS

log = logging.getLogger(__name__)


def _last_per_source(files: list[StreetFile]) -> list[StreetFile]:
    """Keep the last file given for each force-month (later arguments win), warning on others."""
    chosen: dict[str, StreetFile] = {}
    for sf in files:
        if sf.source_key in chosen:
            log.warning(
                "%s replaces %s for %s", sf.display, chosen[sf.source_key].display, sf.source_key
            )
        chosen[sf.source_key] = sf
    return list(chosen.values())


class _Plan:
    """Book-keeping for one ingest run: ids, previous ids, header results and the report."""

    def __init__(self, first_id: int) -> None:
        self.next_id = first_id
        self.ids: dict[str, int] = {}
        self.old: dict[str, int | None] = {}
        self.sha: dict[str, str] = {}
        self.good: list[StreetFile] = []
        self.estimates: dict[str, int] = {}  # rows, by source key, of the files to load
        self.bad_headers: list[tuple[StreetFile, object]] = []
        self.rows: list[dict[str, object]] = []

    def unchanged(self, sf: StreetFile) -> None:
        self.rows.append(
            {
                "source_file": sf.display,
                "source_key": sf.source_key,
                "status": "unchanged",
                "rows_read": 0,
                "rows_accepted": 0,
                "rows_quarantined": 0,
                "message": "identical to the loaded copy; nothing to do",
            }
        )

    def sort_out(
        self,
        files: list[StreetFile],
        previous: pd.DataFrame,
        *,
        check: Callable[[StreetFile], HeaderCheck],
    ) -> None:
        """Set aside the files whose bytes are loaded already (``previous``: the loaded sources'
        ``sha256`` and ``ingest_id`` by ``source_key``); ``check`` the others' headers and add
        them.

        The files are hashed two at a time, on two threads (hashlib releases the GIL).
        """
        with ThreadPoolExecutor(max_workers=2) as pool:
            hashes = list(pool.map(StreetFile.sha256, files))
        for sf, sha in zip(files, hashes, strict=True):
            if sf.source_key in previous.index and previous.at[sf.source_key, "sha256"] == sha:
                self.unchanged(sf)
                continue
            old = previous.ingest_id.get(sf.source_key)
            self.add(sf, sha, None if old is None else int(old), check(sf))

    def add(self, sf: StreetFile, sha: str, old: int | None, check: object) -> None:
        self.ids[sf.source_key] = self.next_id
        self.next_id += 1
        self.old[sf.source_key] = old
        self.sha[sf.source_key] = sha
        if check.ok:  # type: ignore[attr-defined]
            self.good.append(sf)
            self.estimates[sf.source_key] = sf.estimated_rows()
        else:
            self.bad_headers.append((sf, check))

    def batches(self, batch_rows: int) -> Iterable[list[StreetFile]]:
        batch: list[StreetFile] = []
        size = 0
        for sf in self.good:
            est = self.estimates[sf.source_key]
            if batch and size + est > batch_rows:
                yield batch
                batch, size = [], 0
            batch.append(sf)
            size += est
        if batch:
            yield batch

    def old_ids(self, files: list[StreetFile]) -> list[int]:
        return [i for sf in files if (i := self.old[sf.source_key]) is not None]

    def new_ids(self) -> list[int]:
        return list(self.ids.values())

    def log_row(
        self, sf: StreetFile, counts: pd.Series, *, rejected: bool = False
    ) -> dict[str, object]:
        read, accepted, quarantined = (
            int(counts[k]) for k in ("rows_read", "rows_accepted", "rows_quarantined")
        )
        if read != accepted + quarantined:
            raise VrukitError(
                f"{sf.display}: accounting failed: read {read} rows but accepted {accepted} "
                f"and quarantined {quarantined}; nothing from this batch was kept. Please report."
            )
        status = "rejected" if rejected else ("replaced" if self.old[sf.source_key] else "loaded")
        message = counts["message"]
        msg = None if message is None or pd.isna(message) else str(message)
        row = {
            "ingest_id": self.ids[sf.source_key],
            "kind": "policeuk-street",
            "source_key": sf.source_key,
            "source_file": sf.display,
            "sha256": self.sha[sf.source_key],
            "rows_read": read,
            "rows_accepted": accepted,
            "rows_quarantined": quarantined,
            "status": status,
            "message": msg,
            "loaded_at": datetime.now(UTC).replace(tzinfo=None),
        }
        self.rows.append({k: row[k] for k in REPORT_COLUMNS})
        return row

    def report(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=list(REPORT_COLUMNS))


def _file_date(path: Path) -> date:
    """The day a file was last modified (UTC): when it was received, unless told otherwise."""
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).date()


@dataclass
class _IstvItem:
    path: Path
    profile: Profile
    scan: IstvScan | None  # None: identical to the loaded copy, not read again
    sha: str
    superseded: int = 0

    @property
    def got(self) -> IstvScan:
        """The scan of a changed file (only changed files are stored)."""
        assert self.scan is not None
        return self.scan


class _IstvBatch:
    """Book-keeping for one ISTV ingest: the latest extract per site and period, and the report."""

    def __init__(self, previous: pd.DataFrame) -> None:
        self.previous = previous
        self.stored = {
            (sha, Path(str(f)).name): key
            for key, sha, f in zip(
                previous.index, previous.sha256, previous.source_file, strict=True
            )
        }
        self.latest: dict[str, _IstvItem] = {}
        self.first_received: dict[str, date] = {}
        self.rows: list[dict[str, object]] = []

    def _row(self, path: Path, key: str, status: str, message: str, **counts: int) -> None:
        self.rows.append(
            {
                "source_file": str(path), "source_key": key, "status": status,
                "rows_read": counts.get("rows_read", 0),
                "rows_accepted": counts.get("rows_accepted", 0),
                "rows_quarantined": counts.get("rows_quarantined", 0), "message": message,
            }
        )  # fmt: skip

    def read(self, path: Path, profile: Profile, when: date) -> None:
        sha = sha256_file(path)
        key = self.stored.get((sha, path.name))
        if key is not None:
            self._keep(key, _IstvItem(path, profile, None, sha), when)
            return
        try:
            scan = scan_istv(path, profile, received=when)
        except IdentifierError as exc:
            self._row(path, "", "refused", str(exc))
            return
        except InputFileError as exc:
            self._row(path, "", "rejected", str(exc))
            return
        self._keep(scan.submission.key, _IstvItem(path, profile, scan, sha), when)

    def _keep(self, key: str, item: _IstvItem, when: date) -> None:
        """``item`` is the latest for ``key`` (files are read in the order received)."""
        path = item.path
        before = self.latest.get(key)
        if before is not None:
            item.superseded = before.superseded + 1
            self._row(before.path, key, "superseded", f"replaced by {path.name} (received later)")
        self.latest[key] = item
        self.first_received[key] = min(self.first_received.get(key, when), when)

    def unchanged(self, key: str, item: _IstvItem) -> bool:
        if item.scan is None:
            self._row(item.path, key, "unchanged", "identical to the loaded copy; nothing to do")
            return True
        return False

    def log_row(
        self, key: str, item: _IstvItem, ingest_id: int, counts: dict[str, int], old: bool
    ) -> dict[str, object]:
        q = item.got.quarantined
        message = None if q.empty else f"{len(q)} rows quarantined; first: {q.message.iloc[0]}"
        status = "replaced" if old or item.superseded else "loaded"
        self._row(item.path, key, status, message or "", **counts)
        return {
            "ingest_id": ingest_id, "kind": "istv", "source_key": key,
            "source_file": str(item.path), "sha256": item.sha, **counts, "status": status,
            "message": message, "loaded_at": datetime.now(UTC).replace(tzinfo=None),
        }  # fmt: skip

    def report(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=list(REPORT_COLUMNS))


def _submission_row(item: _IstvItem, ingest_id: int, first: date, old: bool) -> dict[str, object]:
    sub = item.got.submission
    return {
        "ingest_id": ingest_id, "site_code": sub.site_code, "site_name": item.profile.site_name,
        "period_start": sub.period_start, "period_end": sub.period_end, "received": sub.received,
        "first_received": first, "profile": item.profile.name, "layout": item.profile.layout,
        "source_file": str(item.path), "replaced": old or item.superseded > 0,
    }  # fmt: skip
