"""Reading a registry workbook: typed cells, and errors that name the file, sheet, row, column
and value (``vrukit.programme.exchange`` reads its sheets through this)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd

from vrukit.errors import InputFileError
from vrukit.programme.uploads import XLSX_MAX_INFLATED, check_xlsx

#: The most rows a registry sheet may reach.
MOST_ROWS = 100_000

__all__ = ["WorkbookReader"]


class WorkbookReader:
    """Typed cells of one workbook, with errors that name sheet, row, column and value."""

    def __init__(
        self, path: Path, sheets: dict[str, tuple[str, ...]],
        optional: dict[str, tuple[str, ...]] | None = None,
    ) -> None:  # fmt: skip
        """``sheets``: each sheet's columns; those of ``optional`` may be left out (columns
        added in later versions, so that older workbooks still read)."""
        self.path = path
        later = optional or {}
        # the checks an upload gets: a small zip may unpack to gigabytes, a sheet may reach far
        check_xlsx(path, XLSX_MAX_INFLATED, str(path), MOST_ROWS)
        try:
            book = pd.read_excel(path, sheet_name=None, dtype=object, engine="calamine")
        except Exception as e:  # calamine's and zip's errors: a file that is not a workbook
            raise InputFileError(str(path), f"cannot be read as a workbook: {e}") from None
        self.sheets = {str(k).strip().lower(): v for k, v in book.items()}
        for sheet, frame in self.sheets.items():
            if sheet in sheets:
                frame.columns = [str(c).strip().lower() for c in frame.columns]
                missing = [c for c in sheets[sheet]
                           if c not in frame.columns and c not in later.get(sheet, ())]  # fmt: skip
                if missing:
                    raise InputFileError(
                        str(path),
                        f"sheet {sheet!r}: column(s) {missing} are "
                        f"missing (expected {list(sheets[sheet])})",
                        line=1,
                    )

    def rows(self, sheet: str) -> list[tuple[int, dict[str, Any]]]:
        frame = self.sheets.get(sheet)
        if frame is None:
            return []
        out = []
        for k, rec in enumerate(frame.to_dict("records")):
            clean = {c: (None if _blank(v) else v) for c, v in rec.items()}
            if any(v is not None for v in clean.values()):
                out.append((k + 2, clean))
        return out

    def fail(self, sheet: str, line: int, column: str, value: Any, expected: str) -> NoReturn:
        raise InputFileError(
            str(self.path),
            f"sheet {sheet!r}: {column!r} is {value!r}, expected {expected}",
            line=line,
            column=column,
        )

    def text(
        self, sheet: str, line: int, rec: dict[str, Any], column: str, required: bool = False,
        most: int = 200,
    ) -> str | None:  # fmt: skip
        v = rec.get(column)
        if v is None:
            if required:
                self.fail(sheet, line, column, "", "a value")
            return None
        text = str(v).strip()
        if len(text) > most:
            self.fail(sheet, line, column, text[:40] + "...", f"at most {most} characters")
        return text

    def number(self, sheet: str, line: int, rec: dict[str, Any], column: str) -> float | None:
        v = rec.get(column)
        if v is None:
            return None
        try:
            x = float(v)
        except (TypeError, ValueError):
            x = float("nan")
        if x != x or x in (float("inf"), float("-inf")):
            self.fail(sheet, line, column, v, "a number")
        return x

    def day(
        self, sheet: str, line: int, rec: dict[str, Any], column: str, required: bool = False
    ) -> date | None:
        v = rec.get(column)
        if v is None:
            if required:
                self.fail(sheet, line, column, "", "a date YYYY-MM-DD")
            return None
        if hasattr(v, "date"):
            return v.date()
        try:
            return date.fromisoformat(str(v).strip()[:10])
        except ValueError:
            self.fail(sheet, line, column, v, "a date YYYY-MM-DD")

    def flag(self, sheet: str, line: int, rec: dict[str, Any], column: str, default: bool) -> bool:
        v = rec.get(column)
        if v is None:
            return default
        text = str(v).strip().lower()
        if text in ("true", "yes", "1", "1.0"):
            return True
        if text in ("false", "no", "0", "0.0"):
            return False
        self.fail(sheet, line, column, v, "yes or no")


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())
