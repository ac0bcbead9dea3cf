"""What an ingest returns: one row per source file, with the rows read, accepted and quarantined
(the warehouse's and the lake's ingests report alike)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["REPORT_COLUMNS", "IngestReport"]

#: Columns of ``IngestReport.files``.
REPORT_COLUMNS = (
    "source_file",
    "source_key",
    "status",
    "rows_read",
    "rows_accepted",
    "rows_quarantined",
    "message",
)


@dataclass
class IngestReport:
    """What one ingest run did, one row per source file.

    ``files`` has the columns ``source_file``, ``source_key``, ``status`` ('loaded', 'replaced',
    'unchanged', 'rejected'), ``rows_read``, ``rows_accepted``, ``rows_quarantined``, ``message``.
    """

    files: pd.DataFrame
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return int(self.files["rows_read"].sum())

    @property
    def rows_accepted(self) -> int:
        return int(self.files["rows_accepted"].sum())

    @property
    def rows_quarantined(self) -> int:
        return int(self.files["rows_quarantined"].sum())

    @property
    def balanced(self) -> bool:
        """True when rows read = accepted + quarantined for every file."""
        f = self.files
        return bool((f.rows_read == f.rows_accepted + f.rows_quarantined).all())
