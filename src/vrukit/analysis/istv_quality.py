"""The ISTV data-quality scorecard: per emergency department and month, what is missing or wrong.

Every measure is computed for every site and month; a *flag* is raised where a measure crosses
its rule (``Rules``). The rules are chosen so that ordinary variation raises nothing and each kind
of defect raises its own check:

==========================  =================================================================
check                        flag when
==========================  =================================================================
coverage                     a month between the site's first and the region's last has no
                             submission
completeness:<field>         under ``completeness`` of rows have the field (fields the site
                             never fills are reported as "not collected", not flagged)
validity:<rule>              over ``validity`` of rows break it (assault after arrival,
                             a future date, arrival outside the reporting period)
timeliness                   the first extract for the month came over ``late_days`` after
                             the period ended
duplicates                   any exact duplicate row was quarantined
quarantine:<reason>          rows were quarantined for another reason (unknown codes, bad dates)
vague:<field>                the share of "other"/"unknown" is higher than at the other sites
                             that month: one-sided Fisher's exact p < ``vague_p`` (the
                             other sites' share is estimated too, so both counts' noise is
                             counted) and ratio >= ``vague_ratio``
geocodable                   of the descriptions that name a place, the share the gazetteer
                             cannot find is higher than at the other sites (same test as
                             vague); needs ``location_status`` (``vrukit istv locate``)
series_break                 the monthly count shifts level: a two-segment Poisson likelihood
                             ratio with Bonferroni p < ``break_p`` and a change >= ``break_change``
==========================  =================================================================
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from vrukit.analysis.breaks import level_shift
from vrukit.schemas import ISTV_VAGUE

__all__ = ["COMPLETENESS_FIELDS", "SCORE_COLUMNS", "Rules", "Scorecard", "scorecard"]

#: Fields whose completeness is scored, with what "complete" means.
COMPLETENESS_FIELDS: dict[str, str] = {
    "arrival_at": "arrival date and time given",
    "assault_at": "assault date given",
    "assault_time_known": "assault time given",
    "method": "assault method given",
    "location_type": "location type given",
    "location_description": "location description given",
    "age_band": "age band given",
    "sex": "sex given",
    "residence_lsoa": "LSOA of residence given",
    "arrival_mode": "arrival mode given",
    "disposal": "disposal given",
}
VALIDITY = ("assault_after_arrival", "future_date", "outside_period")
#: Columns of ``Scorecard.measures``.
SCORE_COLUMNS = ("site_code", "month", "check", "value", "reference", "flag", "detail")


@dataclass(frozen=True)
class Rules:
    """Thresholds of the scorecard's flags (see the module docstring)."""

    completeness: float = 0.85
    validity: float = 0.01
    late_days: int = 30
    vague_p: float = 1e-4
    vague_ratio: float = 1.5
    break_p: float = 1e-3
    break_change: float = 0.25
    break_min_months: int = 3


@dataclass(frozen=True)
class Scorecard:
    """Every measure per site and month (``measures``), the flags among them, and the rules."""

    measures: pd.DataFrame
    rules: Rules

    @property
    def flags(self) -> pd.DataFrame:
        f = self.measures[self.measures.flag]
        return f.sort_values(["site_code", "month", "check"]).reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """Per site and check: months measured, months flagged, first and last flagged."""
        m = self.measures
        g = m.groupby(["site_code", "check"])
        out = g.agg(months=("month", "nunique"), flagged=("flag", "sum")).reset_index()
        fl = self.flags.groupby(["site_code", "check"]).month.agg(["min", "max"]).reset_index()
        out = out.merge(fl, on=["site_code", "check"], how="left")
        return out.rename(columns={"min": "first_flagged", "max": "last_flagged"})

    def choices(self) -> dict[str, object]:
        return asdict(self.rules)


def _month(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.strftime("%Y-%m")


def _rows(site, month, check, value, reference, flag, detail) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_code": site,
            "month": month,
            "check": check,
            "value": np.asarray(value, float),
            "reference": np.asarray(reference, float),
            "flag": np.asarray(flag, bool),
            "detail": detail,
        }
    )


def _coverage(subs: pd.DataFrame) -> pd.DataFrame:
    months = pd.period_range(subs.period_start.min(), subs.period_start.max(), freq="M")
    out = []
    for site, s in subs.groupby("site_code"):
        have = set(pd.to_datetime(s.period_start).dt.to_period("M"))
        span = [m for m in months if m >= min(have)]
        sent = np.array([m in have for m in span])
        out.append(
            _rows(
                site,
                [str(m) for m in span],
                "coverage",
                sent.astype(float),
                1.0,
                ~sent,
                np.where(sent, "received", "no submission for this month"),
            )
        )
    return pd.concat(out, ignore_index=True)


def _completeness(a: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    present = pd.DataFrame(
        {f: a[f].notna() for f in COMPLETENESS_FIELDS if f != "assault_time_known"}
    )
    present["assault_time_known"] = a.assault_time_known.astype(bool) & a.assault_at.notna()
    present[["site_code", "month"]] = a[["site_code", "month"]]
    share = present.groupby(["site_code", "month"]).mean()
    collected = present.drop(columns="month").groupby("site_code").any()
    out = []
    for f in COMPLETENESS_FIELDS:
        s = share[f].reset_index()
        col = collected[f].reindex(s.site_code).to_numpy()
        detail = np.where(col, COMPLETENESS_FIELDS[f], "not collected by this site")
        flag = col & (s[f].to_numpy() < rules.completeness)
        out.append(
            _rows(s.site_code, s.month, f"completeness:{f}", s[f], rules.completeness, flag, detail)
        )
    return pd.concat(out, ignore_index=True)


def _validity(a: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    share = a.groupby(["site_code", "month"])[list(VALIDITY)].mean().reset_index()
    out = []
    for v in VALIDITY:
        flag = share[v] > rules.validity
        out.append(
            _rows(
                share.site_code,
                share.month,
                f"validity:{v}",
                share[v],
                rules.validity,
                flag,
                v.replace("_", " "),
            )
        )
    return pd.concat(out, ignore_index=True)


def _timeliness(subs: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    days = (pd.to_datetime(subs.first_received) - pd.to_datetime(subs.period_end)).dt.days
    return _rows(
        subs.site_code, _month(subs.period_start), "timeliness", days, rules.late_days,
        days > rules.late_days, "days from the end of the period to the first extract",
    )  # fmt: skip


def _quarantine(subs: pd.DataFrame, quarantine: pd.DataFrame, a: pd.DataFrame) -> pd.DataFrame:
    rows = subs[["ingest_id", "site_code", "period_start"]].copy()
    rows["month"] = _month(rows.period_start)
    q = quarantine.merge(rows, on="ingest_id")
    if q.empty:
        return _rows([], [], [], [], [], [], [])
    n = q.groupby(["site_code", "month", "reason"]).size().rename("n").reset_index()
    base = a.groupby(["site_code", "month"]).size().rename("accepted").reset_index()
    n = n.merge(base, on=["site_code", "month"], how="left").fillna({"accepted": 0})
    check = np.where(n.reason == "duplicate_row", "duplicates", "quarantine:" + n.reason)
    detail = n.n.astype(int).astype(str) + " rows quarantined (" + n.reason + ")"
    return _rows(n.site_code, n.month, check, n.n, 0, n.n > 0, detail)


def _vague(a: pd.DataFrame, field: str, rules: Rules) -> pd.DataFrame:
    known = a[a[field].notna()]
    g = known.assign(v=known[field].isin(ISTV_VAGUE)).groupby(["site_code", "month"]).v
    c = pd.DataFrame({"k": g.sum(), "n": g.size()}).reset_index()
    return _above_others(c, f"vague:{field}", "other/unknown", rules)


def _geocodable(a: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Of the descriptions that name a place, the share the gazetteer could not find."""
    named = a[a.location_status.isin(["resolved", "unmatched"])]
    g = named.assign(v=named.location_status.eq("unmatched")).groupby(["site_code", "month"]).v
    c = pd.DataFrame({"k": g.sum(), "n": g.size()}).reset_index()
    return _above_others(c, "geocodable", "of named places not found", rules)


def _above_others(c: pd.DataFrame, check: str, what: str, rules: Rules) -> pd.DataFrame:
    """Flag a site-month whose share k/n is well above the other sites' that month."""
    month_k = c.groupby("month").k.transform("sum")
    month_n = c.groupby("month").n.transform("sum")
    others = ((month_k - c.k) / (month_n - c.n)).where(month_n > c.n)
    share = c.k / c.n
    # One-sided Fisher's exact test of the 2x2 table (this site, the others) x (k, n - k): given
    # the month's margins, the site's count is hypergeometric. A binomial test against the
    # others' share would treat that share as known, and flags chance months where the other
    # sites had few rows (measured on the demo: 20 of 421 against 5 of 331, binomial p 1e-5,
    # Fisher p 0.01).
    p = stats.hypergeom.sf(c.k - 1, month_n, month_k, c.n)
    flag = (p < rules.vague_p) & (share >= rules.vague_ratio * others) & others.notna()
    detail = (
        (share * 100).round(1).astype(str) + f"% {what} against "
        + (others * 100).round(1).astype(str) + "% at the other sites"
    )  # fmt: skip
    return _rows(c.site_code, c.month, check, share, others, flag, detail)


def _breaks(a: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    counts = a.groupby(["site_code", "month"]).size().rename("n").reset_index()
    out = []
    for site, s in counts.groupby("site_code"):
        s = s.sort_values("month")
        k, p, change = level_shift(s.n.to_numpy(), min_months=rules.break_min_months)
        flag = np.zeros(len(s), bool)
        if k >= 0 and p < rules.break_p and abs(change) >= rules.break_change:
            flag[k] = True
        detail = np.where(flag, f"level changes by {change:+.0%} from this month (p={p:.1g})", "")
        out.append(_rows(site, s.month, "series_break", s.n, np.nan, flag, detail))
    return pd.concat(out, ignore_index=True)


def scorecard(
    assaults: pd.DataFrame,
    submissions: pd.DataFrame,
    quarantine: pd.DataFrame,
    *,
    rules: Rules | None = None,
) -> Scorecard:
    """Score every site and month.

    Parameters
    ----------
    assaults
        Rows of ``istv_assaults`` (all columns, or at least the scored ones and ``period_start``),
        optionally with ``location_status`` (``istv_locations.status``) for geocodability.
    submissions
        Rows of ``istv_submissions``.
    quarantine
        Rows of ``quarantine`` for the submissions' ingest ids (``ingest_id``, ``reason``).
    """
    rules = rules or Rules()
    a = assaults.assign(month=_month(assaults.period_start))
    parts = [
        _coverage(submissions),
        _completeness(a, rules),
        _validity(a, rules),
        _timeliness(submissions, rules),
        _quarantine(submissions, quarantine, a),
        _vague(a, "method", rules),
        _vague(a, "location_type", rules),
        _breaks(a, rules),
    ]
    if "location_status" in a.columns:
        parts.append(_geocodable(a, rules))
    measures = pd.concat([p for p in parts if len(p)], ignore_index=True)
    measures = measures.sort_values(["site_code", "month", "check"]).reset_index(drop=True)
    return Scorecard(measures[list(SCORE_COLUMNS)], rules)
