"""The programme's governance as the quarterly board reads it: spend against the forecast the
payment schedules make, the delivery plan's RAG as of any day, the risk register's scores and
their movements, and spend returns read in a documented layout (docs/commissioning.md).

Everything is computed from the store "as of" a day, so a board pack for a past quarter shows
what was known then (each action update and risk review is kept with its date).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.commissioning.models import (
    ACTION_STATUSES,
    BUDGET_CATEGORIES,
    Action,
    ActionUpdate,
    Application,
    Risk,
    RiskReview,
    Spend,
)
from vrukit.errors import ConfigError, t
from vrukit.ingest.periods import QUARTER, quarter_end
from vrukit.programme.models import Intervention, ReturnRow, ReturnSubmission
from vrukit.programme.returns import Field, Problem, ReturnRejected, read_upload, validate_rows
from vrukit.programme.uploads import XLSX_MAX_INFLATED

__all__ = [
    "RAG",
    "SPEND_FIELDS",
    "SpendLine",
    "action_status",
    "add_spend",
    "check_spend_return",
    "load_spend_return",
    "quarter_of",
    "quarters_to",
    "review_risk",
    "risk_at",
    "spend_by_intervention",
    "update_action",
]

#: How the board reads an action's status.
RAG = {"not_started": "grey", "on_track": "green", "at_risk": "amber", "off_track": "red",
       "complete": "complete"}  # fmt: skip
#: An underspend the board is told of: cumulative spend this far below the forecast...
UNDERSPEND_SHARE = 0.10
#: ...and by at least this much (a few pounds' rounding is not news).
UNDERSPEND_POUNDS = 1000.0

#: The most rows a spend return may hold (one per intervention and quarter: a few dozen).
MOST_SPEND_ROWS = 5_000

#: The columns of a spend return (CSV or XLSX): one row per intervention and quarter.
SPEND_FIELDS = [
    Field("intervention", "text", "the intervention's name as in the registry"),
    Field("quarter", "text", "the quarter, YYYY-Qn"),
    Field("amount", "number", "pounds spent in the quarter", min=0),
    Field("category", "choice", "budget category", required=False, allowed=BUDGET_CATEGORIES),
    Field("note", "text", "anything the board should know", required=False),
]


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarters_to(last: str, n: int) -> list[str]:
    """The ``n`` quarters ending with ``last``, oldest first."""
    year, q = int(last[:4]), int(last[-1])
    out = []
    for _ in range(n):
        out.append(f"{year}-Q{q}")
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    return out[::-1]


def _check_quarter(text: str) -> str:
    if not QUARTER.fullmatch(text):
        raise ConfigError(t("quarter %(text)s: expected YYYY-Qn, as 2021-Q3", text=repr(text)))
    return text


# -- the delivery plan -------------------------------------------------------------------------


def update_action(
    s: Session, action: Action, status: str, at: date, note: str | None = None,
    by: int | None = None,
) -> ActionUpdate:  # fmt: skip
    """Record an update of an action (kept, with its date) and set its status."""
    if status not in ACTION_STATUSES:
        raise ConfigError(
            t(
                "status %(status)s: expected one of %(choices)s",
                status=repr(status),
                choices=", ".join(ACTION_STATUSES),
            )
        )
    u = ActionUpdate(action_id=action.id, at=at, status=status, note=note, by=by)
    action.updates.append(u)
    latest = max(action.updates, key=lambda x: (x.at, x.id or 0))
    action.status = latest.status if latest is not u else status
    s.flush()
    return u


def action_status(action: Action, when: date) -> tuple[str, ActionUpdate | None]:
    """An action's status as of ``when`` (its latest update on or before it), and that update;
    "not_started" before any."""
    done = [u for u in action.updates if u.at <= when]
    if not done:
        return "not_started", None
    last = max(done, key=lambda u: (u.at, u.id or 0))
    return last.status, last


# -- the risk register -------------------------------------------------------------------------


def review_risk(
    s: Session, risk: Risk, likelihood: int, impact: int, at: date, note: str | None = None,
    by: int | None = None, review_by: date | None = None,
) -> RiskReview:  # fmt: skip
    """Record a review of a risk (kept, with its date) and set its scores from then on."""
    if not (1 <= likelihood <= 5 and 1 <= impact <= 5):
        raise ConfigError(t("likelihood and impact are each scored 1 to 5"))
    r = RiskReview(risk_id=risk.id, at=at, likelihood=likelihood, impact=impact, note=note,
                   by=by)  # fmt: skip
    risk.reviews.append(r)
    s.flush()  # its id first: a review on the same day as the last one is the later of the two
    latest = max(risk.reviews, key=lambda x: (x.at, x.id or 0))
    if latest is r:
        risk.likelihood, risk.impact = likelihood, impact
        risk.review_by = review_by or risk.review_by
        s.flush()
    return r


def risk_at(risk: Risk, when: date) -> tuple[int, int] | None:
    """A risk's (likelihood, impact) as of ``when``: its latest review on or before it (a
    risk's first scores are its first review); None before it was raised."""
    done = [r for r in risk.reviews if r.at <= when]
    if not done:
        return None if risk.raised > when else (risk.likelihood, risk.impact)
    last = max(done, key=lambda r: (r.at, r.id or 0))
    return last.likelihood, last.impact


# -- spend -------------------------------------------------------------------------------------


@dataclass
class SpendLine:
    """One intervention's money in a financial year: its allocation for the year, and forecast
    and actual spend by quarter; ``underspent`` when spend so far is more than
    ``UNDERSPEND_SHARE`` and ``UNDERSPEND_POUNDS`` below the forecast so far."""

    intervention: str
    #: The YEF Toolkit approach ("" for none).
    strand: str
    allocation: float
    forecast: dict[str, float]
    actual: dict[str, float]
    from_returns: set[str]

    def through(self, quarter: str) -> tuple[float, float]:
        """Forecast and actual spend from the start of the year to ``quarter``."""
        f = sum(v for q, v in self.forecast.items() if q <= quarter)
        a = sum(v for q, v in self.actual.items() if q <= quarter)
        return f, a

    def underspent(self, quarter: str) -> bool:
        f, a = self.through(quarter)
        return f - a > max(UNDERSPEND_POUNDS, UNDERSPEND_SHARE * f)

    def overspent(self, quarter: str) -> bool:
        """Spend so far more than the same margin above the forecast so far."""
        f, a = self.through(quarter)
        return a - f > max(UNDERSPEND_POUNDS, UNDERSPEND_SHARE * f)


def financial_year(quarter: str) -> list[str]:
    """The four quarters of the financial year (April to March) ``quarter`` falls in."""
    year, q = int(_check_quarter(quarter)[:4]), int(quarter[-1])
    first = year if q >= 2 else year - 1
    return [f"{first}-Q2", f"{first}-Q3", f"{first}-Q4", f"{first + 1}-Q1"]


def forecast_profile(funding: float, start: date, end: date | None) -> dict[str, float]:
    """An intervention's funding spread over its contract by days, as spend by quarter: the
    forecast where the VRU has typed none (a contract with no end is spread over a year)."""
    last = end or date.fromordinal(start.toordinal() + 364)
    days = (last - start).days + 1
    out: dict[str, float] = {}
    q = quarter_of(start)
    while True:
        first, final = quarter_dates(q)
        overlap = (min(final, last) - max(first, start)).days + 1
        if overlap > 0:
            out[q] = funding * overlap / days
        if final >= last:
            return out
        q = quarters_to_next(q)


def quarters_to_next(q: str) -> str:
    year, n = int(q[:4]), int(q[-1])
    return f"{year + 1}-Q1" if n == 4 else f"{year}-Q{n + 1}"


def _return_spend(s: Session, through: str) -> dict[tuple[int, str], float]:
    """Spend providers reported in their monitoring returns (a ``spend`` column), by
    intervention and quarter: the newest version of each provider's return only."""
    newest: dict[tuple[int, int, str], int] = {}
    for sid, iid, org, period in s.execute(select(
            ReturnSubmission.id, ReturnSubmission.intervention_id,
            ReturnSubmission.organisation_id, ReturnSubmission.period)
            .where(ReturnSubmission.period <= through).order_by(ReturnSubmission.id)):  # fmt: skip
        newest[(iid, org, period)] = sid
    if not newest:
        return {}
    by_sub = {sid: (iid, period) for (iid, _, period), sid in newest.items()}
    out: dict[tuple[int, str], float] = defaultdict(float)
    for sid, data in s.execute(select(ReturnRow.submission_id, ReturnRow.data)
                               .where(ReturnRow.submission_id.in_(by_sub))):  # fmt: skip
        value = data.get("spend") if isinstance(data, dict) else None
        if isinstance(value, int | float) and value >= 0:
            out[by_sub[sid]] += float(value)
    return dict(out)


def _profile(iv: Intervention, awards: list[Application]) -> dict[str, float]:
    """An intervention's forecast: each award spread over its own contract, and the rest of
    the funding over the intervention's."""
    rest = float(iv.funding or 0.0) - sum(a.awarded or 0.0 for a in awards)
    out: dict[str, float] = defaultdict(float)
    parts: list[tuple[float, date, date | None]] = (
        [(rest, iv.contract_start, iv.contract_end)] if rest > 0.005 else []
    )
    parts += [(a.awarded or 0.0, a.contract_start, a.contract_end) for a in awards
              if a.contract_start is not None]  # fmt: skip
    for amount, start, end in parts:
        for q, v in forecast_profile(amount, start, end).items():
            out[q] += v
    return dict(out)


def latest_spend(rows: list[Spend]) -> dict[tuple[int, str], float]:
    """Each intervention's spend per quarter: the sum of its newest entry's lines (a spend
    return's lines for the quarter, or one typed figure). A later entry replaces an earlier
    one, so a correction is a new entry and a return sent twice is not counted twice."""
    newest: dict[tuple[int, str], Any] = {}
    for r in rows:
        key = (r.intervention_id, r.quarter)
        newest[key] = max(newest.get(key, r.entered_at), r.entered_at)
    out: dict[tuple[int, str], float] = defaultdict(float)
    for r in rows:
        if r.entered_at == newest[(r.intervention_id, r.quarter)]:
            out[(r.intervention_id, r.quarter)] += r.amount
    return dict(out)


def spend_by_intervention(s: Session, quarter: str) -> list[SpendLine]:
    """Every funded intervention's forecast and actual spend in the financial year of
    ``quarter``, up to it. The forecast spreads the funding over the contract by days; actual
    spend in a quarter is what was typed or uploaded for it, or where nothing was, what the
    providers' returns reported (those quarters are in ``from_returns``)."""
    year = [q for q in financial_year(quarter) if q <= quarter]
    actual: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    rows = list(s.scalars(select(Spend).where(Spend.quarter.in_(year))))
    for (iid, q), amount in latest_spend(rows).items():
        actual[iid][q] += amount
    reported = _return_spend(s, quarter)
    awards: dict[int, list[Application]] = defaultdict(list)
    dated = select(Application).where(Application.status == "awarded",
                                      Application.contract_start.is_not(None))  # fmt: skip
    for a in s.scalars(dated):
        awards[a.intervention_id or 0].append(a)
    lines = []
    for iv in s.scalars(select(Intervention).where(Intervention.funding.is_not(None))
                        .order_by(Intervention.name)):  # fmt: skip
        profile = _profile(iv, awards.get(iv.id, []))
        whole_year = {q: v for q, v in profile.items() if q in financial_year(quarter)}
        if not whole_year:
            continue  # no contract in this year
        got = dict(actual.get(iv.id, {}))
        filled = {q for (i, q) in reported if i == iv.id and q in year and q not in got}
        for q in filled:
            got[q] = reported[(iv.id, q)]
        lines.append(SpendLine(iv.name, iv.yef_strand or "", sum(whole_year.values()),
                               {q: v for q, v in whole_year.items() if q in year}, got,
                               filled))  # fmt: skip
    return lines


def check_spend_return(
    s: Session, path: Path | str, *, name: str | None = None,
    max_inflated: int = XLSX_MAX_INFLATED,
) -> list[dict[str, Any]]:  # fmt: skip
    """The rows of a spend return (``SPEND_FIELDS``), checked: every problem (an unknown
    intervention, a malformed quarter, a negative amount) is named by row and column in
    ``ReturnRejected``. Only reads, so it may run outside any write lock."""
    where = name or str(path)
    raw, first = read_upload(Path(path), name=where, max_rows=MOST_SPEND_ROWS,
                             max_inflated=max_inflated)  # fmt: skip
    if len(raw) > MOST_SPEND_ROWS:
        why = f"more than {MOST_SPEND_ROWS:,} rows, the most a spend return may hold"
        raise ReturnRejected(where, [Problem(None, None, None, why)])
    rows, problems = validate_rows(SPEND_FIELDS, raw, first)
    known = set(s.scalars(select(Intervention.name)))
    for k, r in enumerate(rows):
        if r["intervention"] is not None and r["intervention"] not in known:
            problems.append(Problem(first + k, "intervention", r["intervention"],
                                    "is not an intervention in the registry"))  # fmt: skip
        if r["quarter"] is not None and not re.fullmatch(r"(199[0-9]|20[0-9]{2})-Q[1-4]",
                                                         r["quarter"]):  # fmt: skip
            problems.append(Problem(first + k, "quarter", r["quarter"],
                                    "is not YYYY-Qn from 1990 to 2099"))  # fmt: skip
    if problems:
        ordered = sorted(problems, key=lambda p: (p.row or 0, p.column or ""))
        raise ReturnRejected(where, ordered[:1000])
    return rows


def add_spend(
    s: Session, rows: list[dict[str, Any]], *, name: str, by: int | None = None,
    source: str = "upload",
) -> int:  # fmt: skip
    """Add checked spend rows (``check_spend_return``) as one entry: its lines replace earlier
    entries for their quarters. An intervention removed since the check refuses the whole."""
    known = dict(s.execute(select(Intervention.name, Intervention.id)).all())
    gone = sorted({r["intervention"] for r in rows} - known.keys())
    if gone:
        why = f"the intervention {gone[0]!r} was removed while the file was being checked"
        raise ReturnRejected(name, [Problem(None, "intervention", gone[0], why)])
    now = datetime.now()
    s.add_all(Spend(intervention_id=known[r["intervention"]], quarter=r["quarter"],
                    amount=float(r["amount"]), category=r["category"], note=r["note"],
                    source=source, entered_by=by, entered_at=now) for r in rows)  # fmt: skip
    s.flush()
    return len(rows)


def load_spend_return(
    s: Session, path: Path | str, *, name: str | None = None, by: int | None = None,
    source: str = "upload",
) -> int:  # fmt: skip
    """Check a spend return and add it, all or nothing (``check_spend_return``, then
    ``add_spend``). Returns the rows added."""
    where = name or str(path)
    rows = check_spend_return(s, path, name=where)
    return add_spend(s, rows, name=where, by=by, source=source)


def quarter_dates(quarter: str) -> tuple[date, date]:
    end = quarter_end(_check_quarter(quarter))
    return date(end.year, end.month - 2, 1), end


def as_dict(line: SpendLine, quarter: str) -> dict[str, Any]:
    f, a = line.through(quarter)
    return {"intervention": line.intervention, "strand": line.strand,
            "allocation": line.allocation, "forecast": f, "actual": a,
            "underspent": line.underspent(quarter),
            "overspent": line.overspent(quarter)}  # fmt: skip
