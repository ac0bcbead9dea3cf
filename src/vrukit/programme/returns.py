"""Monitoring returns: templates defined as data, downloads, validated uploads, history, lateness.

A template is a list of fields - ``{"name", "type", "label", "required", "allowed", "min",
"max"}`` with ``type`` one of ``FIELD_TYPES`` - stored in ``return_template.fields``. Providers
download it as CSV or XLSX (with a guide sheet and drop-down lists), fill it in and upload it.
An upload is checked whole: every problem is reported with its row (the file's line or sheet
row) and column, and if there is any, **nothing is stored**. An accepted upload becomes a new
``return_submission`` that supersedes the latest one for its quarter - never an overwrite.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from vrukit.csvio import neutralise, sheet_text
from vrukit.errors import ConfigError, InputFileError, joined, t
from vrukit.ingest.periods import DUE_DAYS, QUARTER, quarter_end, return_folder
from vrukit.programme.db import lock_row
from vrukit.programme.models import (
    Intervention,
    ReturnRow,
    ReturnSubmission,
    ReturnTemplate,
)
from vrukit.programme.uploads import XLSX_MAX_INFLATED, read_upload

__all__ = [
    "DUE_DAYS",
    "FIELD_TYPES",
    "CheckedReturn",
    "Field",
    "Problem",
    "ReturnRejected",
    "check_return",
    "fields_of",
    "latest_template",
    "quarter_end",
    "read_upload",
    "return_folder",
    "return_status",
    "store_return",
    "submit_return",
    "submit_table",
    "validate_rows",
    "write_template",
]

FIELD_TYPES = ("integer", "number", "text", "date", "choice", "boolean")
_TRUE, _FALSE = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}


@dataclass(frozen=True)
class Field:
    """One field of a return template."""

    name: str
    type: str
    label: str = ""
    required: bool = True
    allowed: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    #: A yes/no outcome of the participant (reoffended, excluded...) that the evaluation
    #: compares between those who engaged and those who did not.
    outcome: bool = False

    def describe(self) -> str:
        """What the field takes, for a person (said in a page's language: ``errors.t``)."""
        parts: list[str] = [t(self.type)]
        if self.allowed:
            parts.append(t("one of %(choices)s", choices=", ".join(self.allowed)))
        if self.min is not None or self.max is not None:
            parts.append(t("from %(low)s to %(high)s",
                           low=self.min if self.min is not None else "...",
                           high=self.max if self.max is not None else "..."))  # fmt: skip
        if self.type == "date":
            parts.append("YYYY-MM-DD")
        parts.append(t("required") if self.required else t("optional"))
        return joined(parts)


def fields_of(definition: list[dict[str, Any]]) -> list[Field]:
    """Check a template's field list and return it as ``Field`` objects."""
    out: list[Field] = []
    for k, f in enumerate(definition):
        name = str(f.get("name", "")).strip()
        if not name or name in {x.name for x in out}:
            raise ConfigError(f"template field {k + 1}: a unique name is needed, got {name!r}")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_ .()/-]{0,99}", name):
            raise ConfigError(f"template field {name!r}: a name starts with a letter or digit "
                              "and holds letters, digits, spaces and _ . ( ) / - only")  # fmt: skip
        kind = f.get("type")
        if kind not in FIELD_TYPES:
            raise ConfigError(f"template field {name!r}: type {kind!r} is not one of "
                              f"{', '.join(FIELD_TYPES)}")  # fmt: skip
        allowed = tuple(str(a) for a in f.get("allowed", ()))
        bad = [a for a in allowed if '"' in a or "," in a or neutralise(a) != a]
        if bad:
            raise ConfigError(f"template field {name!r}: the choice {bad[0]!r} may not hold a "
                              "comma or a double quote, or start as a formula does")  # fmt: skip
        if kind == "choice" and not allowed:
            raise ConfigError(f"template field {name!r}: a choice needs its allowed values")
        if kind not in ("integer", "number") and (
            f.get("min") is not None or f.get("max") is not None
        ):
            raise ConfigError(f"template field {name!r}: min and max are for numbers only")
        if f.get("outcome") and kind != "boolean":
            raise ConfigError(f"template field {name!r}: an outcome must be a yes/no (boolean)")
        out.append(
            Field(name, kind, str(f.get("label", name)), bool(f.get("required", True)), allowed,
                  f.get("min"), f.get("max"), bool(f.get("outcome", False)))
        )  # fmt: skip
    return out


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an upload: where (row as the provider sees it, column) and what."""

    row: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = ", ".join(
            p for p in (f"row {self.row}" if self.row else "", self.column or "") if p
        )
        return f"{where}: {self.message}" if where else self.message


class ReturnRejected(InputFileError):
    """An upload with problems: all of them, each with its row and column. Nothing was stored."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        first = problems[0]
        super().__init__(
            path,
            f"return refused, nothing stored - {len(problems)} problem(s): {shown}{more}",
            line=first.row, column=first.column, value=first.value,
        )  # fmt: skip


def write_template(fields: list[Field], path: Path | str) -> Path:
    """The blank template a provider fills in: CSV (header row), or XLSX (``.xlsx``: a data
    sheet with drop-down lists for choices, and a guide sheet explaining every field)."""
    path = Path(path)
    names = [f.name for f in fields]
    if path.suffix.lower() != ".xlsx":
        pd.DataFrame(columns=names).to_csv(path, index=False)
        return path
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "return"
    ws.append([neutralise(sheet_text(n)) for n in names])
    for j, f in enumerate(fields, start=1):
        listed = '"' + ",".join(map(sheet_text, f.allowed)) + '"'
        if f.allowed and len(listed) <= 257:  # Excel's list holds 255 characters; longer ones
            dv = DataValidation(type="list", formula1=listed)  # are in the guide sheet only
            col = get_column_letter(j)
            dv.add(f"{col}2:{col}1000")
            ws.add_data_validation(dv)
    guide = wb.create_sheet("guide")
    guide.append(["column", "meaning", "what to enter"])
    for f in fields:  # a label is the commissioner's text: never a live formula in a sheet
        guide.append([neutralise(sheet_text(v)) for v in (f.name, f.label, f.describe())])
    wb.save(path)
    return path


#: The largest integer a return stores (what a 64-bit column holds).
MAX_INTEGER = 2**63 - 1
#: The largest number a return takes: no count of people or amount in pounds comes near it,
#: and sums of such numbers stay finite (1e308 in a spend column made every board pack fail).
MAX_NUMBER = 1e15
#: A number as a spreadsheet or a person writes it, in ASCII digits (Python's float() also
#: reads "1_000" and other scripts' digits, which a return should not hold).
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def _parse(kind: str, text: str) -> Any:
    """The typed value of a non-empty cell; ValueError when it is not of ``kind`` (infinite,
    not a number, or too large to store are not values of any kind)."""
    if kind in ("integer", "number"):
        if not _NUMBER.fullmatch(text.strip()):
            raise ValueError(text)
        number = float(text)
        if not math.isfinite(number) or abs(number) > MAX_NUMBER:
            raise ValueError(text)
        if kind == "number":
            return number
        if number != int(number) or abs(number) > MAX_INTEGER:
            raise ValueError(text)
        return int(number)
    if kind == "date":
        # a date cell typed in Excel reads back as "YYYY-MM-DD 00:00:00"
        if text.endswith((" 00:00:00", "T00:00:00")):
            text = text[:-9]
        return date.fromisoformat(text).isoformat()
    if kind == "boolean":
        if text.lower() not in _TRUE | _FALSE:
            raise ValueError(text)
        return text.lower() in _TRUE
    return text


def _cell(f: Field, text: str) -> tuple[Any, Callable[[], str] | None]:
    """The value of one cell, or what says why it is not acceptable (made only for a problem
    that is listed: a file of bad rows past ``MAX_PROBLEMS`` only counts them)."""
    if text == "":
        return None, (partial(t, "is required") if f.required else None)
    try:
        value = _parse(f.type, text)
    except ValueError:
        return None, lambda: t("is not a valid %(what)s", what=f.describe())
    if f.allowed and value not in f.allowed:
        return None, partial(t, "is not one of %(choices)s", choices=", ".join(f.allowed))
    if f.min is not None and value < f.min:
        return None, partial(t, "is below the minimum %(least)s", least=f"{f.min:g}")
    if f.max is not None and value > f.max:
        return None, partial(t, "is above the maximum %(most)s", most=f"{f.max:g}")
    return value, None


def _header_problems(names: list[str], columns: list[str]) -> list[Problem]:
    """Columns the template has and the file lacks, and the other way round (at most
    ``MAX_PROBLEMS`` of each, the rest counted)."""
    missing = [n for n in names if n not in columns]
    extra = [c for c in columns if c not in names]
    problems = [Problem(1, n, None, t("column is missing from the header"))
                for n in missing[:MAX_PROBLEMS]]  # fmt: skip
    problems += [Problem(1, c, None, t("column is not in the template (expected: %(names)s)",
                                       names=", ".join(names)))
                 for c in extra[:MAX_PROBLEMS]]  # fmt: skip
    more = max(0, len(missing) - MAX_PROBLEMS) + max(0, len(extra) - MAX_PROBLEMS)
    if more:
        problems.append(Problem(1, None, None, t("and %(more)s more header problems like these",
                                                 more=f"{more:,}")))  # fmt: skip
    return problems


def validate_rows(
    fields: list[Field], raw: pd.DataFrame, first_row: int = 2
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Typed rows of an upload, and every problem in it."""
    names = [f.name for f in fields]
    problems = _header_problems(names, list(raw.columns))
    if problems:
        return [], problems
    raw = raw[~(raw == "").all(axis=1)]  # blank lines at the end of a sheet are not rows
    if raw.empty:
        return [], [Problem(None, None, None, t("the return has no rows"))]
    rows: list[dict[str, Any]] = []
    more = 0
    for k, (_, r) in enumerate(raw.iterrows()):
        row: dict[str, Any] = {}
        for f in fields:
            value, why = _cell(f, r[f.name])
            if why and len(problems) >= MAX_PROBLEMS:
                more += 1
            elif why:
                shown, reason = _shown(r[f.name]), why()
                said = t("%(value)s %(why)s", value=repr(shown), why=reason) if shown else reason
                problems.append(Problem(first_row + k, f.name, shown, said))
            row[f.name] = value
        rows.append(row)
    if more:
        problems.append(Problem(None, None, None, t("and %(more)s more problems like these",
                                                    more=f"{more:,}")))  # fmt: skip
    return rows, problems


#: The most problems listed one by one (the rest are counted): a page of a million problems
#: helps nobody and costs the server its memory.
MAX_PROBLEMS = 1000


def _shown(text: str) -> str:
    """A cell as a problem quotes it: at most 60 characters of it."""
    return text if len(text) <= 60 else text[:57] + "..."


def _check_period(period: str) -> None:
    if QUARTER.fullmatch(period) is None:  # ASCII digits: ２０２１ is not 2021
        raise ConfigError(f"period {period!r}: expected a quarter such as 2021-Q2")


def _check_contract(intervention: Intervention, period: str, today: date) -> None:
    """A return is for a quarter that has begun, from the intervention's contract start to a
    year after its end (late returns and follow-up quarters): one for 1950 or 9999 would only
    add rows every report then reads."""
    end = quarter_end(period)
    begins = date(end.year, end.month - 2, 1)
    if end < intervention.contract_start:
        raise ConfigError(f"period {period}: {intervention.name}'s contract starts on "
                          f"{intervention.contract_start}, after that quarter")  # fmt: skip
    last = intervention.contract_end
    if last is not None and begins > date(last.year + 1, last.month, min(last.day, 28)):
        raise ConfigError(f"period {period}: {intervention.name}'s contract ended on "
                          f"{last}, more than a year before that quarter")  # fmt: skip
    if begins > today:
        raise ConfigError(f"period {period}: that quarter has not begun")


@dataclass(frozen=True)
class CheckedReturn:
    """A return that passed every check, ready to store: what ``check_return`` gives
    ``store_return``."""

    intervention_id: int
    template_id: int
    period: str
    rows: list[dict[str, Any]]
    source: str
    name: str | None


def check_return(
    s: Session, intervention: Intervention, period: str, upload: Path | str, *,
    max_rows: int = 100_000, max_inflated: int = XLSX_MAX_INFLATED, name: str | None = None,
) -> CheckedReturn:  # fmt: skip
    """Read and check an uploaded return against the intervention's latest template, writing
    nothing. Raises ``ReturnRejected`` with every problem (one for a file that cannot be read,
    would unpack too far, or holds more than ``max_rows`` rows)."""
    name = name or Path(upload).name
    try:
        raw, first = read_upload(upload, max_inflated=max_inflated, name=name, max_rows=max_rows)
    except InputFileError as e:
        raise ReturnRejected(name, [Problem(None, None, None, str(e))]) from None
    if len(raw) > max_rows:
        why = f"the return has more than {max_rows:,} rows, the most one return may hold"
        raise ReturnRejected(name, [Problem(None, None, None, why)])
    return _checked(s, intervention, period, raw, first, "upload", name, name)


def store_return(
    s: Session, checked: CheckedReturn, *, organisation_id: int,
    submitted_by: int | None = None, submitted_at: datetime | None = None,
) -> ReturnSubmission:  # fmt: skip
    """Store a checked return as a new submission superseding any earlier one for its period."""
    return _store(s, checked, organisation_id, submitted_by, submitted_at)


def submit_return(
    s: Session,
    intervention: Intervention,
    period: str,
    upload: Path | str,
    *,
    organisation_id: int,
    submitted_by: int | None = None,
    submitted_at: datetime | None = None,
) -> ReturnSubmission:
    """Validate an uploaded return against the intervention's latest template and store it as
    a new submission superseding any earlier one for ``period``. Raises ``ReturnRejected`` (with
    every problem) and stores nothing if anything is wrong."""
    checked = check_return(s, intervention, period, upload)
    return store_return(s, checked, organisation_id=organisation_id,
                        submitted_by=submitted_by, submitted_at=submitted_at)  # fmt: skip


def _checked(
    s: Session, intervention: Intervention, period: str, raw: pd.DataFrame, first_row: int,
    source: str, name: str | None, where: str,
) -> CheckedReturn:  # fmt: skip
    _check_period(period)
    _check_contract(intervention, period, date.today())
    template = latest_template(s, intervention)
    rows, problems = validate_rows(fields_of(template.fields), raw, first_row)
    if problems:
        raise ReturnRejected(where, problems)
    return CheckedReturn(intervention.id, template.id, period, rows, source, name)


def submit_table(
    s: Session,
    intervention: Intervention,
    period: str,
    raw: pd.DataFrame,
    first_row: int = 2,
    *,
    organisation_id: int,
    submitted_by: int | None = None,
    submitted_at: datetime | None = None,
    source: str = "form",
    name: str | None = None,
    where: str = "web form",
) -> ReturnSubmission:
    """``submit_return`` for cells already in a table (text, one column per template field):
    what the web form sends. Same validation, same all-or-nothing storage."""
    checked = _checked(s, intervention, period, raw, first_row, source, name, where)
    return _store(s, checked, organisation_id, submitted_by, submitted_at)


def latest_template(s: Session, intervention: Intervention) -> ReturnTemplate:
    """The template an intervention's returns are checked against now (its highest version)."""
    template = s.scalars(
        select(ReturnTemplate)
        .where(ReturnTemplate.intervention_id == intervention.id)
        .order_by(ReturnTemplate.version.desc())
    ).first()
    if template is None:
        raise ConfigError(f"{intervention.name!r} has no return template yet")
    return template


def _store(
    s: Session, c: CheckedReturn, organisation_id: int, submitted_by: int | None,
    submitted_at: datetime | None,
) -> ReturnSubmission:  # fmt: skip
    # one version at a time for an intervention: two uploads of a quarter's first return at
    # once would each find nothing to supersede and both stay current (PostgreSQL)
    iv = s.get(Intervention, c.intervention_id)
    if iv is not None:
        lock_row(s, iv)
    latest = _latest(s, c.intervention_id, c.period, organisation_id)
    sub = ReturnSubmission(
        intervention_id=c.intervention_id, organisation_id=organisation_id,
        template_id=c.template_id, period=c.period, submitted_at=submitted_at or datetime.now(),
        submitted_by=submitted_by, source=c.source, file_name=c.name,
        supersedes_id=latest.id if latest else None,
    )  # fmt: skip
    s.add(sub)
    s.flush()
    # the rows in one executemany, not one ORM object each: the store's write lock is held
    # 1.7-2.0 s instead of 6.6-6.9 s for 100,000 rows (SQLite, measured 2026-12-03)
    if c.rows:
        s.execute(insert(ReturnRow), [{"submission_id": sub.id, "row_number": k + 1, "data": r}
                                      for k, r in enumerate(c.rows)])  # fmt: skip
    s.expire(sub, ["rows"])
    return sub


def _latest(
    s: Session, intervention_id: int, period: str, organisation_id: int
) -> ReturnSubmission | None:
    """The current version of a provider's return for a quarter: the one nothing supersedes
    (each provider of an intervention makes its own return)."""
    superseded = select(ReturnSubmission.supersedes_id).where(
        ReturnSubmission.supersedes_id.is_not(None)
    )
    return s.scalars(
        select(ReturnSubmission).where(
            ReturnSubmission.intervention_id == intervention_id,
            ReturnSubmission.period == period,
            ReturnSubmission.organisation_id == organisation_id,
            ReturnSubmission.id.not_in(superseded),
        )
    ).first()


def return_status(s: Session, periods: list[str], today: date) -> pd.DataFrame:
    """For every intervention with a return template and under contract in each period, and
    each of its providers: when the return was due, when it
    first came, how many versions, and ``on_time``, ``late``, ``missing`` or ``not_yet_due``."""
    for p in periods:
        _check_period(p)
    subs = s.execute(
        select(
            ReturnSubmission.intervention_id, ReturnSubmission.organisation_id,
            ReturnSubmission.period, func.min(ReturnSubmission.submitted_at), func.count(),
        ).group_by(ReturnSubmission.intervention_id, ReturnSubmission.organisation_id,
                   ReturnSubmission.period)
    ).all()  # fmt: skip
    got = {(i, o, p): (first, n) for i, o, p, first, n in subs}
    rows = []
    reporting = select(ReturnTemplate.intervention_id)
    for iv in s.scalars(
        select(Intervention).where(Intervention.id.in_(reporting)).order_by(Intervention.name)
    ):
        for p in periods:
            end = quarter_end(p)
            start = date(end.year, end.month - 2, 1)
            if iv.contract_start > end or (iv.contract_end and iv.contract_end < start):
                continue
            due = end + timedelta(days=DUE_DAYS)
            for org in sorted(iv.provider_ids):  # each provider owes its own return
                first, n = got.get((iv.id, org, p), (None, 0))
                if first is not None:
                    status = "on_time" if first.date() <= due else "late"
                else:
                    status = "missing" if today > due else "not_yet_due"
                rows.append((iv.id, iv.name, p, due, first, n, status, org))
    return pd.DataFrame(
        rows, columns=["intervention_id", "intervention", "period", "due", "first_received",
                       "versions", "status", "organisation_id"],
    )  # fmt: skip
