"""ISTV extracts into the standard model: map, check, and split into accepted and quarantined rows.

``scan_istv`` reads one extract with its site's profile and returns the submission (site and
reporting period), the accepted rows in the shape of ``istv_assaults`` and the quarantined rows
in the shape of ``quarantine``. Every step is a column operation (no loops over rows).

A row is quarantined when it cannot be trusted: a date or time that does not parse with the
profile's format, a local code the profile does not map (reported, never guessed), a value in the
wrong form, or an exact duplicate of an earlier row of the same submission. A row that is valid
but incomplete (a blank field) is accepted: completeness is scored, not enforced. A row that
parses but is implausible (assault after arrival, a future date, outside the reporting period) is
accepted with a flag, so that the quality scorecard can count it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from vrukit.errors import InputFileError, SchemaError
from vrukit.ingest.identifiers import IdentifierError, find_identifiers
from vrukit.ingest.istv_profile import CODED_FIELDS, Profile
from vrukit.ingest.istv_read import Extract, read_extract
from vrukit.ingest.periods import month_period
from vrukit.schemas import ISTV_ASSAULTS, QUARANTINE

__all__ = ["IstvScan", "Submission", "find_extracts", "month_period", "scan_istv"]

LSOA_CODE = re.compile(r"^[EW]0[1]\d{6}$")
TEXT_FIELDS = ("method_other", "location_description")
#: Standard columns compared to find duplicate rows.
DUPLICATE_KEY = (
    "arrival_at",
    "assault_at",
    "method",
    "method_other",
    "location_type",
    "location_description",
    "age_band",
    "sex",
    "residence_lsoa",
    "arrival_mode",
    "disposal",
)


@dataclass(frozen=True)
class Submission:
    """What a file is: which site, which reporting period, received when."""

    site_code: str
    period_start: date
    period_end: date
    received: date

    @property
    def key(self) -> str:
        return f"{self.site_code}/{self.period_start:%Y-%m-%d}/{self.period_end:%Y-%m-%d}"


@dataclass(frozen=True)
class IstvScan:
    """One extract, mapped: its submission, accepted rows, quarantined rows and accounting."""

    submission: Submission
    accepted: pd.DataFrame
    quarantined: pd.DataFrame
    rows_read: int
    unknown_codes: pd.DataFrame

    @property
    def balanced(self) -> bool:
        return self.rows_read == len(self.accepted) + len(self.quarantined)


class _Problems:
    """Collects, per row, the first reason to quarantine it."""

    def __init__(self, n: int) -> None:
        self.reason = np.full(n, None, dtype=object)
        self.column = np.full(n, None, dtype=object)
        self.value = np.full(n, None, dtype=object)
        self.message = np.full(n, None, dtype=object)

    def add(
        self,
        mask: np.ndarray,
        reason: str,
        column: str,
        values: pd.Series,
        message: Callable[[pd.Series], pd.Series],
    ) -> None:
        """Mark rows in ``mask`` not yet marked; ``message`` turns their values into messages."""
        new = np.asarray(mask, bool) & (self.reason == None)  # noqa: E711 - elementwise
        if not new.any():
            return
        shown = values.iloc[np.nonzero(new)[0]].astype(str)
        self.reason[new] = reason
        self.column[new] = column
        self.value[new] = shown.to_numpy(dtype=object)
        self.message[new] = message(shown).to_numpy(dtype=object)

    @property
    def bad(self) -> np.ndarray:
        return self.reason != None  # noqa: E711 - elementwise


_BLANK_TEXT = frozenset({"", "nan", "NaT", "None"})


def _texts(s: pd.Series) -> list[str | None]:
    """Each value as stripped text; None where blank (missing, empty, or a missing-value word).

    A plain loop: a monthly extract holds hundreds of rows, where pandas' string methods cost
    more in overhead per call than the work (0.4 ms against 2.2 ms for a column of 480 cells;
    no slower on the benchmark's 83,000-row extracts, docs/benchmarks.md).
    """
    out: list[str | None] = []
    for v, missing in zip(s.to_numpy(dtype=object), s.isna().to_numpy(), strict=True):
        t = None if missing else str(v).strip()
        out.append(None if t in _BLANK_TEXT else t)
    return out


def _blank(s: pd.Series) -> pd.Series:
    return pd.Series([t is None for t in _texts(s)], index=s.index, dtype=bool)


def _as_text(s: pd.Series) -> pd.Series:
    return pd.Series(_texts(s), index=s.index, dtype=object)


def _parse_dt(s: pd.Series, fmt: str) -> pd.Series:
    """Parse text with ``fmt``; Excel's own dates and times pass through."""
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind in ("datetime", "datetime64", "date"):
        return pd.to_datetime(s, errors="coerce")
    if kind == "time":
        return pd.to_datetime(s.astype(str), format="%H:%M:%S", errors="coerce")
    text = s.astype(object).where(~_blank(s), None)
    return pd.to_datetime(text, format=fmt, errors="coerce")


class _Mapper:
    """Maps one extract's raw columns to standard columns, recording problems."""

    def __init__(self, ex: Extract, profile: Profile) -> None:
        self.ex, self.profile = ex, profile
        self.frame = ex.frame
        self.n = len(ex.frame)
        self.problems = _Problems(self.n)
        self._texts: dict[str, pd.Series] = {}

    def raw_text(self, fld: str) -> pd.Series | None:
        """The field's column as stripped text (None where blank), computed once per field."""
        raw = self.raw(fld)
        if raw is None:
            return None
        if fld not in self._texts:
            self._texts[fld] = _as_text(raw)
        return self._texts[fld]

    def where(self, subset: pd.Series) -> pd.Series:
        """'file line N' for the rows of ``subset`` (by index)."""
        return self.ex.path.name + " line " + self.ex.lines.loc[subset.index].astype(str)

    def raw(self, fld: str) -> pd.Series | None:
        col = self.profile.columns.get(fld)
        return None if col is None else self.frame[col]

    def _bad_dt(self, fld: str, raw: pd.Series, parsed: pd.Series, fmt: str) -> None:
        bad = (~_blank(raw) & parsed.isna()).to_numpy()
        col = self.profile.columns[fld]
        tail = (
            f" is not a date/time in the form {fmt} (formats in {self.profile.name}); "
            "fix the value or the profile's [formats]"
        )
        reason = "bad_time" if fld.endswith("_time") else "bad_date"
        self.problems.add(
            bad,
            reason,
            col,
            raw,
            lambda v: self.where(v) + f", column '{col}': " + v.map(repr) + tail,
        )

    def moment(self, stem: str) -> tuple[pd.Series, pd.Series]:
        """(timestamp, time known) for 'arrival' or 'assault'."""
        p = self.profile
        joined = self.raw(f"{stem}_at")
        if joined is not None:
            t = _parse_dt(joined, p.datetime_format)
            self._bad_dt(f"{stem}_at", joined, t, p.datetime_format)
            return t, t.notna()
        day_raw = self.raw(f"{stem}_date")
        if day_raw is None:
            none = pd.Series(pd.NaT, index=self.frame.index, dtype="datetime64[ns]")
            return none, pd.Series(False, index=self.frame.index)
        day = _parse_dt(day_raw, p.date_format).dt.normalize()
        self._bad_dt(f"{stem}_date", day_raw, day, p.date_format)
        time_raw = self.raw(f"{stem}_time")
        if time_raw is None:
            return day, pd.Series(False, index=self.frame.index)
        clock = _parse_dt(time_raw, p.time_format)
        self._bad_dt(f"{stem}_time", time_raw, clock, p.time_format)
        offset = clock - clock.dt.normalize()
        return day + offset.fillna(pd.Timedelta(0)), clock.notna()

    def coded(self, fld: str) -> pd.Series:
        text = self.raw_text(fld)
        if text is None:
            return pd.Series(None, index=self.frame.index, dtype=object)
        uniques = text.dropna().unique()
        table = {u: self.profile.code(fld, u) for u in uniques}
        std = text.map(table)
        unknown = (text.notna() & std.isna()).to_numpy()
        col = self.profile.columns[fld]
        allowed = ", ".join(CODED_FIELDS[fld])
        tail = (
            f" is not in {self.profile.name} [codes.{fld}]; add it with its standard "
            f"category (one of {allowed}) and ingest again - vrukit never guesses a code"
        )
        self.problems.add(
            unknown, "unknown_code", col, text,
            lambda v: self.where(v) + f", column '{col}': " + v.map(repr) + tail,
        )  # fmt: skip
        return std.where(~unknown, None)

    def lsoa(self) -> pd.Series:
        text = self.raw_text("residence_lsoa")
        if text is None:
            return pd.Series(None, index=self.frame.index, dtype=object)
        bad = (text.notna() & ~text.fillna("").str.match(LSOA_CODE)).to_numpy()
        col = self.profile.columns["residence_lsoa"]
        tail = " is not an LSOA code (E01... or W01...); send the LSOA, never the postcode"
        self.problems.add(
            bad, "bad_value", col, text,
            lambda v: self.where(v) + f", column '{col}': " + v.map(repr) + tail,
        )  # fmt: skip
        return text.where(~bad, None)

    def text(self, fld: str) -> pd.Series:
        text = self.raw_text(fld)
        if text is None:
            return pd.Series(None, index=self.frame.index, dtype=object)
        return text.copy()


def _period(ex: Extract, profile: Profile) -> tuple[date, date]:
    if profile.layout == "xml":
        try:
            start = date.fromisoformat(ex.header["period_start"])
            end = date.fromisoformat(ex.header["period_end"])
        except (KeyError, ValueError) as exc:
            raise InputFileError(
                str(ex.path),
                f"the submission header has no readable reporting period ({exc}); expected "
                f"elements {profile.xml.get('period_start')} and {profile.xml.get('period_end')} "
                "holding YYYY-MM-DD",
            ) from exc
    else:
        start, end = _period_from_name(ex.path, profile)
    if end < start:
        raise InputFileError(str(ex.path), f"reporting period ends ({end}) before it starts")
    return start, end


def _period_from_name(path: Path, profile: Profile) -> tuple[date, date]:
    m = re.search(profile.period_pattern or "", path.name)
    if not m:
        raise InputFileError(
            str(path),
            f"the file name does not match {profile.name} [period] pattern "
            f"{profile.period_pattern!r}, so its reporting period is unknown; rename the file "
            "or fix the pattern",
        )
    g = m.groupdict()
    if g.get("year") and g.get("month"):
        return month_period(int(g["year"]), int(g["month"]))
    parse = lambda v: date.fromisoformat(v) if "-" in v else datetime.strptime(v, "%Y%m%d").date()  # noqa: E731
    return parse(g["start"]), parse(g["end"])


def _check_columns(ex: Extract, profile: Profile) -> None:
    missing = [c for c in profile.columns.values() if c not in ex.frame.columns]
    if missing and len(ex.frame):
        have = ", ".join(map(str, ex.frame.columns))
        raise SchemaError(
            str(ex.path),
            f"column {missing[0]!r} named in {profile.name} is not in the file (it has: {have}); "
            "is this the right site's profile? Nothing was stored",
            column=missing[0],
        )


def _raw_text(ex: Extract, rows: np.ndarray, delimiter: str) -> list[str]:
    """The quarantined rows as read: joined by the delimiter (CSV) or as column=value pairs."""
    part = ex.frame.iloc[rows]
    cells = part.to_numpy(dtype=object)
    values = [
        ["" if m else str(v) for v, m in zip(r, n, strict=True)]
        for r, n in zip(cells, part.isna().to_numpy(), strict=True)
    ]
    if ex.path.suffix.lower() == ".csv":
        return [delimiter.join(r) for r in values]
    cols = [str(c) for c in part.columns]
    return ["; ".join(f"{c}={v}" for c, v in zip(cols, r, strict=True) if v) for r in values]


def _standard(m: _Mapper, sub: Submission) -> pd.DataFrame:
    arrival, _ = m.moment("arrival")
    assault, known = m.moment("assault")
    out = pd.DataFrame(
        {
            "arrival_at": arrival,
            "assault_at": assault,
            "assault_time_known": known,
            "method": m.coded("method"),
            "method_local": m.text("method"),
            "method_other": m.text("method_other"),
            "location_type": m.coded("location_type"),
            "location_type_local": m.text("location_type"),
            "location_description": m.text("location_description"),
            "age_band": m.coded("age_band"),
            "sex": m.coded("sex"),
            "residence_lsoa": m.lsoa(),
            "arrival_mode": m.coded("arrival_mode"),
            "disposal": m.coded("disposal"),
        }
    )
    return _validity(out, sub)


def _validity(out: pd.DataFrame, sub: Submission) -> pd.DataFrame:
    a, s = out.arrival_at, out.assault_at
    same_day_only = ~out.assault_time_known
    after = (s > a) & ~(same_day_only & (s.dt.normalize() <= a.dt.normalize()))
    horizon = pd.Timestamp(sub.received) + pd.Timedelta(days=1)
    day = a.fillna(s).dt.normalize()
    start, end = pd.Timestamp(sub.period_start), pd.Timestamp(sub.period_end)
    out["assault_after_arrival"] = after.fillna(False).astype(bool)
    out["future_date"] = ((a >= horizon) | (s >= horizon)).fillna(False).astype(bool)
    out["outside_period"] = (day.notna() & ((day < start) | (day > end))).astype(bool)
    return out


def _duplicates(m: _Mapper, out: pd.DataFrame) -> None:
    ok = ~m.problems.bad
    fields = out[list(DUPLICATE_KEY)]
    if not fields.duplicated(keep="first").to_numpy()[ok].any():  # the usual case, cheaply
        return
    key = pd.util.hash_pandas_object(fields.astype(str), index=False)
    dup = key.duplicated(keep="first").to_numpy() & ok
    if not dup.any():
        return
    first_line = m.ex.lines.groupby(key.to_numpy()).transform("first")
    tail = " (every field the same); kept once - if these are two patients, tell the VRU"
    m.problems.add(
        dup, "duplicate_row", "", first_line,
        lambda v: m.where(v) + ": exact duplicate of line " + v + tail,
    )  # fmt: skip


def _quarantine(m: _Mapper, ingest_id: int, profile: Profile) -> pd.DataFrame:
    ex, pr = m.ex, m.problems
    rows = np.nonzero(pr.bad)[0]
    if not len(rows) and not len(ex.rejected):  # most extracts: skip building empty frames
        return pd.DataFrame(columns=QUARANTINE.names)
    q = pd.DataFrame(
        {
            "ingest_id": ingest_id,
            "source_file": str(ex.path),
            "line": ex.lines.to_numpy()[rows],
            "column_name": pr.column[rows],
            "value": pr.value[rows],
            "reason": pr.reason[rows],
            "message": pr.message[rows],
            "raw": _raw_text(ex, rows, profile.delimiter),
        }
    )
    rej = ex.rejected
    parsed = pd.DataFrame(
        {
            "ingest_id": ingest_id,
            "source_file": str(ex.path),
            "line": rej.line.astype("int64"),
            "column_name": None,
            "value": None,
            "reason": "wrong_column_count",
            "message": ex.path.name + " line " + rej.line.astype(str) + ": cannot be split into "
            "the header's columns (" + rej.message.astype(str) + ")",
            "raw": rej.raw,
        }
    )
    parts = [df for df in (q, parsed) if len(df)]
    if not parts:
        return pd.DataFrame(columns=QUARANTINE.names)
    both = pd.concat(parts, ignore_index=True)
    return both[QUARANTINE.names].sort_values("line", kind="stable").reset_index(drop=True)


def _unknown_codes(q: pd.DataFrame) -> pd.DataFrame:
    u = q[q.reason == "unknown_code"]
    if u.empty:
        return pd.DataFrame(columns=["column_name", "value", "rows"])
    return u.groupby(["column_name", "value"]).size().rename("rows").reset_index()


def scan_istv(
    path: Path | str, profile: Profile, *, received: date, ingest_id: int = 0
) -> IstvScan:
    """Read one extract and map it to the standard model.

    Raises
    ------
    IdentifierError
        The file carries an identifier column (named in the message); nothing should be stored.
    InputFileError, SchemaError
        The file cannot be read, or does not match its profile.
    """
    ex = read_extract(path, profile)
    findings = find_identifiers(ex.frame, ex.lines)
    if findings:
        raise IdentifierError(str(ex.path), findings)
    _check_columns(ex, profile)
    if (
        profile.layout == "xml"
        and ex.header.get("site_code", profile.site_code) != profile.site_code
    ):
        raise InputFileError(
            str(ex.path),
            f"the header's site code {ex.header['site_code']!r} is not {profile.site_code!r} "
            f"of {profile.name}; nothing was stored",
        )
    start, end = _period(ex, profile)
    sub = Submission(profile.site_code, start, end, received)
    m = _Mapper(ex, profile)
    out = _standard(m, sub)
    _duplicates(m, out)
    quarantined = _quarantine(m, ingest_id, profile)
    accepted = out.loc[~m.problems.bad].copy()
    accepted.insert(0, "source_line", ex.lines.to_numpy()[~m.problems.bad])
    accepted.insert(0, "source_file", str(ex.path))
    accepted.insert(0, "period_start", pd.Timestamp(start))
    accepted.insert(0, "site_code", profile.site_code)
    accepted.insert(0, "ingest_id", ingest_id)
    accepted = accepted[ISTV_ASSAULTS.names].reset_index(drop=True)
    return IstvScan(sub, accepted, quarantined, ex.rows_read, _unknown_codes(quarantined))


def find_extracts(
    paths: list[Path | str], profiles: dict[str, Profile]
) -> tuple[list[tuple[Path, Profile]], list[tuple[str, str]]]:
    """Files under ``paths`` that some profile claims, and the files passed over (with why).

    A file given explicitly that no profile claims is an error; inside folders, files other than
    .csv, .xlsx and .xml are passed over silently and unclaimed extracts are listed.
    """
    found: list[tuple[Path, Profile]] = []
    skipped: list[tuple[str, str]] = []
    for given in paths:
        p = Path(given)
        if not p.exists():
            raise InputFileError(str(p), "does not exist")
        children = sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p]
        for f in children:
            owners = [pr for pr in profiles.values() if pr.matches(f)]
            if len(owners) > 1:
                names = ", ".join(o.name for o in owners)
                raise InputFileError(str(f), f"is claimed by more than one profile ({names})")
            if owners:
                found.append((f, owners[0]))
            elif not p.is_dir():
                raise InputFileError(
                    str(f), "matches no profile's files pattern; add one (see docs/istv.md)"
                )
            elif f.suffix.lower() in (".csv", ".xlsx", ".xml"):
                skipped.append((str(f), "no profile's files pattern matches this name"))
    return found, skipped
