"""Training reach (issue 33, item 5): who the training programme reached, as the seed report
counts it. A *session* is one provider's training of one intervention on one day; its
*attendees* are the professionals trained; each says how many young people they work with in a
week (``reached_per_week``), and the sum is the people the training *reaches*. Rolled up by the
attendees' sector (school, police, social care...) and quarter, with the share of before/after
statement answers that improved.

Every figure is a sum or count over the sessions, so the totals equal the sum of the sessions
(``tests/test_training_reach.py`` checks it on the demo)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "NOT_RECORDED",
    "REACH_COLUMNS",
    "SESSION_COLUMNS",
    "training_reach",
    "training_sessions",
]

#: The sector of an attendee whose organisation was not recorded.
NOT_RECORDED = "not recorded"
SESSION_COLUMNS = ["intervention", "provider", "trained_on", "quarter", "attendees", "reached"]
REACH_COLUMNS = ["sector", "quarter", "sessions", "attendees", "reached", "answers",
                 "improved_share"]  # fmt: skip


def _quarter(day: pd.Series) -> pd.Series:
    d = pd.to_datetime(day)
    return d.dt.year.astype(str) + "-Q" + d.dt.quarter.astype(str)


def training_sessions(records: pd.DataFrame) -> pd.DataFrame:
    """One row per session. ``records``: one row per attendee with ``intervention``,
    ``provider``, ``trained_on`` and ``reached_per_week`` (missing: reaches no one counted)."""
    if records.empty:
        return pd.DataFrame(columns=SESSION_COLUMNS)
    r = records.assign(reached=records.reached_per_week.fillna(0).astype(np.int64))
    by = r.groupby(["intervention", "provider", "trained_on"], sort=True)
    out = by.agg(attendees=("reached", "size"), reached=("reached", "sum")).reset_index()
    out["quarter"] = _quarter(out.trained_on)
    return out[SESSION_COLUMNS]


def training_reach(records: pd.DataFrame, scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """Sessions, attendees and people reached by sector and quarter, with a row for every
    sector over all quarters and one for the whole programme (``sector`` "all", ``quarter``
    "all"). ``scores`` (``record``, ``pre``, ``post``; ``records`` then needs ``record``): the
    share of answered statement pairs whose answer after training is higher."""
    if records.empty:
        return pd.DataFrame(columns=REACH_COLUMNS)
    r = records.assign(
        sector=records.participant_organisation.fillna("").str.strip().replace("", NOT_RECORDED),
        quarter=_quarter(records.trained_on),
        reached=records.reached_per_week.fillna(0).astype(np.int64),
        session=records.intervention.astype(str) + "|" + records.provider.astype(str) + "|"
        + records.trained_on.astype(str),
    )  # fmt: skip
    if scores is not None and not scores.empty:
        pairs = scores.dropna(subset=["pre", "post"])
        per = pairs.assign(up=pairs.post > pairs.pre).groupby("record").up.agg(["size", "sum"])
        r = r.join(per.rename(columns={"size": "answers", "sum": "improved"}), on="record")
    r["answers"] = r.get("answers", pd.Series(0, index=r.index)).fillna(0).astype(np.int64)
    r["improved"] = r.get("improved", pd.Series(0, index=r.index)).fillna(0).astype(np.int64)
    rows = []
    for keys, label in ((["sector", "quarter"], None), (["sector"], "all"), ([], "all")):
        groups = r.groupby(keys, sort=True) if keys else [((), r)]
        for key, g in groups:
            key = key if isinstance(key, tuple) else (key,)
            sector = key[0] if keys else "all"
            quarter = key[1] if len(keys) == 2 else label
            rows.append({"sector": sector, "quarter": quarter, "sessions": g.session.nunique(),
                         "attendees": len(g), "reached": int(g.reached.sum()),
                         "answers": int(g.answers.sum()),
                         "improved_share": (g.improved.sum() / g.answers.sum())
                         if g.answers.sum() else np.nan})  # fmt: skip
    return pd.DataFrame(rows, columns=REACH_COLUMNS)
