"""Reporting periods: the calendar month an ISTV extract covers, the quarter a monitoring return
covers, when a return is due and the folder an intervention's returns are kept under. Shared by
the readers, the programme store (``programme.returns``) and the demo, which writes files as
partners send them."""

from __future__ import annotations

import re
from datetime import date, timedelta

from vrukit.errors import ConfigError

__all__ = ["DUE_DAYS", "QUARTER", "month_period", "quarter_end", "return_folder"]

#: A quarter's return is due this many days after the quarter ends.
DUE_DAYS = 30
#: A quarter as written everywhere in vrukit: 2022-Q1 (years 1900 to 2099, in ASCII digits).
QUARTER = re.compile(r"(19\d\d|20\d\d)-Q([1-4])")


def return_folder(intervention: str) -> str:
    """The folder name an intervention's return files are kept under: its name, slugged.

    >>> return_folder("Teachable Moments in Custody")
    'teachable-moments-in-custody'
    """
    return re.sub(r"[^a-z0-9]+", "-", intervention.lower()).strip("-")


def quarter_end(period: str) -> date:
    """Last day of a ``YYYY-Qn`` quarter; anything else is a ConfigError naming it.

    >>> quarter_end("2021-Q4")
    datetime.date(2021, 12, 31)
    """
    found = QUARTER.fullmatch(period) if isinstance(period, str) else None
    if found is None:
        shown = str(period)[:40]
        raise ConfigError(f"{shown!r} is not a quarter: write it as YYYY-Qn, e.g. 2022-Q1")
    year, q = int(found[1]), int(found[2])
    first_next = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return first_next - timedelta(days=1)


def month_period(year: int, month: int) -> tuple[date, date]:
    """First and last day of a calendar month: a monthly reporting period.

    >>> month_period(2024, 2)
    (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    """
    start = date(year, month, 1)
    nxt = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start, nxt - timedelta(days=1)
