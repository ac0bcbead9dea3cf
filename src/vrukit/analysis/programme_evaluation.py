"""Programme-tier evaluation: across all interventions, reach, engagement, completion, cost per
participant, and each theory-of-change indicator against its target.

Inputs are the *current* version of every quarterly return (a resubmission replaces what it
supersedes) flattened to one row per participant and quarter. A participant counts once per
intervention however many quarters they appear in; engagement and completion are read from
their latest quarter. Shares carry Wilson intervals, so a small programme's 80% is not read as
better than a large one's 70% without saying how sure that is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vrukit.analysis.project_evaluation import wilson

__all__ = ["indicator_progress", "programme_summary"]


def _latest_per_participant(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.sort_values("period").groupby(["intervention", "participant_ref"]).tail(1)


def programme_summary(rows: pd.DataFrame, interventions: pd.DataFrame) -> pd.DataFrame:
    """Per intervention: participants reached, engaged (share, Wilson interval), completed among
    the engaged (share, interval), mean sessions per engaged participant-quarter, funding and
    cost per participant reached and per completer.

    ``rows``: ``intervention``, ``period``, ``participant_ref``, ``engaged``, ``completed``,
    ``sessions_attended``; ``interventions``: ``name``, ``funding``.
    """
    last = _latest_per_participant(rows)
    out = []
    for name, g in last.groupby("intervention", sort=True):
        n = len(g)
        engaged = int(g.engaged.astype(bool).sum())
        completed = int((g.engaged.astype(bool) & g.completed.astype(bool)).sum())
        q = rows[(rows.intervention == name) & rows.engaged.astype(bool)]
        out.append(
            {
                "intervention": name,
                "reached": n,
                "engaged": engaged,
                "engaged_share": engaged / n,
                **_ci("engaged", engaged, n),
                "completed": completed,
                "completed_share": completed / engaged if engaged else np.nan,
                **_ci("completed", completed, engaged),
                "sessions_per_quarter": q.sessions_attended.mean(),
            }
        )
    table = pd.DataFrame(out)
    funding = interventions.set_index("name").funding
    table["funding"] = table.intervention.map(funding)
    table["cost_per_participant"] = table.funding / table.reached
    table["cost_per_completer"] = table.funding / table.completed.replace(0, np.nan)
    return table


def _ci(prefix: str, k: int, n: int) -> dict[str, float]:
    lo, hi = wilson(k, n) if n else (np.nan, np.nan)
    return {f"{prefix}_low": lo, f"{prefix}_high": hi}


def indicator_progress(summary: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Each theory-of-change indicator against its target. ``indicators``: ``intervention``,
    ``indicator``, ``return_field``, ``target``, ``direction`` (at_least / at_most). A return
    field ``completed`` is measured as the completion share, ``engaged`` as the engagement
    share. ``status`` is ``met`` or ``not_met`` when the interval lies wholly on one side of
    the target, else ``uncertain``."""
    measures = {"completed": "completed", "engaged": "engaged"}
    rows = []
    s = summary.set_index("intervention")
    for r in indicators.itertuples():
        key = measures.get(str(r.return_field))
        if key is None or r.intervention not in s.index or pd.isna(r.target):
            rows.append(
                (r.intervention, r.indicator, r.target, np.nan, np.nan, np.nan, "not measured")
            )
            continue
        value, lo, hi = (
            s.at[r.intervention, f"{key}_share"],
            s.at[r.intervention, f"{key}_low"],
            s.at[r.intervention, f"{key}_high"],
        )
        up = r.direction != "at_most"
        if (lo >= r.target) if up else (hi <= r.target):
            status = "met"
        elif (hi < r.target) if up else (lo > r.target):
            status = "not_met"
        else:
            status = "uncertain"
        rows.append((r.intervention, r.indicator, r.target, value, lo, hi, status))
    return pd.DataFrame(
        rows, columns=["intervention", "indicator", "target", "value", "low", "high", "status"]
    )
