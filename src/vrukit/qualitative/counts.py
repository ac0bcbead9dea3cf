"""Theme counts beside the quantitative evaluation: how many excerpts, and from how many
interviews and focus groups, each theme has by place, by intervention and by Theory of Change
step.

An excerpt counts for the place and intervention it is linked to, or else its source's (an
interview held in a place speaks of it unless the coder said otherwise); for a Theory of Change
step, the step it is linked to, or else its theme's. A theme's counts include only the excerpts
coded with it, not those of the themes under it. Counts only: no excerpt text leaves here.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from vrukit.ingest.qdpx import toc_case_name
from vrukit.qualitative._plan import Registry
from vrukit.qualitative.exchange import theme_paths
from vrukit.qualitative.models import Excerpt

__all__ = ["THEME_COUNT_COLUMNS", "theme_counts"]

#: ``theme_counts``' columns: the theme's path ("Parent / Child"), what it is counted by
#: (place, intervention, toc_step or all), the place's, intervention's or step's name ("all"
#: for the theme's total), and the excerpts and distinct sources counted.
THEME_COUNT_COLUMNS = ("theme", "by", "value", "excerpts", "sources")


def _rows(s: Session) -> pd.DataFrame:
    """One row per excerpt and theme with the excerpt's place, intervention and step."""
    reg = Registry(s)
    paths = theme_paths(s)
    rows = []
    query = select(Excerpt).options(selectinload(Excerpt.themes), selectinload(Excerpt.source))
    for e in s.scalars(query):
        place = e.place_id or e.source.place_id
        iv = e.intervention_id or e.source.intervention_id
        for t in e.themes:
            step = e.toc_step_id or t.toc_step_id
            key = reg.step_keys.get(step or 0)
            rows.append({
                "theme": " / ".join(paths[t.id]), "excerpt": e.id, "source": e.source_id,
                "place": reg.place_names.get(place or 0),
                "intervention": reg.intervention_names.get(iv or 0),
                "toc_step": toc_case_name(*key) if key else None,
            })  # fmt: skip
    columns = ["theme", "excerpt", "source", "place", "intervention", "toc_step"]
    return pd.DataFrame(rows, columns=columns)


def theme_counts(s: Session) -> pd.DataFrame:
    """Excerpts and sources per theme: overall (``by`` "all") and by place, intervention and
    Theory of Change step (only those with any), sorted by theme, ``by`` and value."""
    rows = _rows(s)
    parts = [rows.assign(by="all", value="all")]
    for by in ("place", "intervention", "toc_step"):
        parts.append(rows[rows[by].notna()].assign(by=by, value=rows[by]))
    long = pd.concat(parts, ignore_index=True)
    if long.empty:
        return pd.DataFrame(columns=list(THEME_COUNT_COLUMNS))
    out = (
        long.groupby(["theme", "by", "value"], sort=True)
        .agg(excerpts=("excerpt", "nunique"), sources=("source", "nunique"))
        .reset_index()
    )
    return out[list(THEME_COUNT_COLUMNS)]
