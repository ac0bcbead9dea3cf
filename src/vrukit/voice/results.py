"""A survey's results, only ever through the disclosure layer.

For each question with a fixed set of answers (single, multi, scale), one release holds every
breakdown anyone is shown: all respondents, by place, by age band, by quarter, and by place and
quarter, with the sums that tie them (places add up to all, and so on; for single and scale
questions the answers add up to the respondents). ``vrukit.disclosure.protect`` suppresses every
count below ``MIN_GROUP`` and withholds whatever else would let one be worked out, across all the
breakdowns at once. A group whose number of respondents is not published shows none of its
answers either (not even zeros, which would say what everyone in a small group answered). Free
text is never in a result.

A scale question marked as the ``feel_safe`` measure also carries two counts, feeling safe (4 or
5) and not, summing to its respondents: ``safety_by_place`` gives their published share by place
and quarter, which place evaluation reads beside crime.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.disclosure import Derived, Policy, Release, Table, protect
from vrukit.voice.design import MEASURES
from vrukit.voice.models import Survey, SurveyResponse

__all__ = [
    "BREAKDOWNS",
    "MIN_GROUP",
    "question_results",
    "responses",
    "safety_before_after",
    "safety_by_place",
]

#: The fewest respondents a published group may have (and the smallest count shown).
MIN_GROUP = 10
#: The breakdowns a result is published in (every one in the same release).
BREAKDOWNS: tuple[tuple[str, ...], ...] = ((), ("place",), ("age_band",), ("period",),
                                           ("place", "period"))  # fmt: skip
DIMENSIONS = ("place", "age_band", "period")
ALL = "all"
ELSEWHERE_NAME = "Somewhere else, or not said"


def responses(s: Session, survey: Survey) -> pd.DataFrame:
    """One row per response: place (name), age band, quarter and each answer."""
    from vrukit.programme.models import Place

    names = dict(s.execute(select(Place.id, Place.name)).all())
    rows = s.execute(select(SurveyResponse.place_id, SurveyResponse.age_band,
                            SurveyResponse.submitted_on, SurveyResponse.answers)
                     .where(SurveyResponse.survey_id == survey.id)).all()  # fmt: skip
    out = pd.DataFrame(
        [{"place": names.get(p, ELSEWHERE_NAME) if p else ELSEWHERE_NAME, "age_band": a,
          "period": f"{d.year}-Q{(d.month - 1) // 3 + 1}", "answers": ans}
         for p, a, d, ans in rows],
        columns=["place", "age_band", "period", "answers"],
    )  # fmt: skip
    return out


def _answer_columns(q: dict[str, Any]) -> list[str]:
    if q["type"] == "scale":
        return [str(v) for v in range(q["min"], q["max"] + 1)]
    return [o["value"] for o in q["options"]]


def _counts(frame: pd.DataFrame, q: dict[str, Any]) -> pd.DataFrame:
    """One row per respondent who answered ``q``: the dimensions, and 0/1 per answer."""
    cols = _answer_columns(q)
    given = frame["answers"].map(lambda a: a.get(q["id"]))
    answered = frame[given.notna()].copy()
    given = given[given.notna()]
    for c in cols:
        if q["type"] == "multi":
            answered[c] = given.map(lambda v, c=c: int(c in v)).to_numpy()
        else:
            answered[c] = given.map(lambda v, c=c: int(str(v) == c)).to_numpy()
    answered["n"] = 1
    if q.get("measure") in MEASURES:
        safe = [str(v) for v in MEASURES[q["measure"]]]
        answered["feel_safe"] = answered[safe].sum(axis=1)
        answered["not_safe"] = 1 - answered["feel_safe"]
    return answered.drop(columns="answers")


def _table(rows: pd.DataFrame, counts: list[str]) -> pd.DataFrame:
    """Every breakdown's groups, one row each (unused dimensions say ``all``)."""
    parts = []
    for by in BREAKDOWNS:
        g = rows.groupby(list(by), sort=True)[counts].sum().reset_index() if by else \
            rows[counts].sum().to_frame().T  # fmt: skip
        for d in DIMENSIONS:
            if d not in by:
                g[d] = ALL
        g["breakdown"] = "+".join(by) or ALL
        parts.append(g)
    out = pd.concat(parts, ignore_index=True)
    out[counts] = out[counts].astype(np.int64)
    return out[["breakdown", *DIMENSIONS, *counts]]


def _ids(frame: pd.DataFrame) -> pd.Series:
    return (frame["breakdown"] + "|" + frame["place"] + "|" + frame["age_band"] + "|"
            + frame["period"]).reset_index(drop=True)  # fmt: skip


def _parent(frame: pd.DataFrame, keep: Sequence[str]) -> pd.Series:
    """For each row, the id of the row it adds into when only ``keep`` dimensions stay."""
    parent = frame.copy()
    for d in DIMENSIONS:
        if d not in keep:
            parent[d] = ALL
    parent["breakdown"] = "+".join(keep) or ALL
    return _ids(parent)


def _share(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    def share(t: pd.DataFrame) -> pd.Series:
        return t[column] / t["n"]

    return share


def _release(table: pd.DataFrame, q: dict[str, Any], counts: list[str]) -> Release:
    answers = _answer_columns(q)
    shared = answers + (["feel_safe"] if "feel_safe" in counts else [])
    derived = {f"share_{c}": Derived(("n", c), _share(c)) for c in shared}
    release = Release()
    release.add(Table("results", table, ("breakdown", *DIMENSIONS), tuple(counts), derived))
    if q["type"] != "multi":
        release.sum_within_rows("results", "n", answers)
    if "feel_safe" in counts:
        release.sum_within_rows("results", "n", ["feel_safe", "not_safe"])
    b = table["breakdown"]
    for part, keeps in (("place", [()]), ("age_band", [()]), ("period", [()]),
                        ("place+period", [("place",), ("period",)])):  # fmt: skip
        for keep in keeps:
            into = _parent(table, keep).where((b == part).to_numpy())
            release.sum_rows("results", "results", counts, into)
    return release


def question_results(frame: pd.DataFrame, q: dict[str, Any], least: int = MIN_GROUP
                     ) -> pd.DataFrame:  # fmt: skip
    """The published results of question ``q`` over the ``responses`` frame: every breakdown,
    counts as numbers or markers and the share of each answer (NaN where not published)."""
    rows = _counts(frame, q)
    counts = ["n", *_answer_columns(q)] + (["feel_safe", "not_safe"]
                                          if "feel_safe" in rows else [])  # fmt: skip
    if rows.empty:
        return pd.DataFrame(columns=["breakdown", *DIMENSIONS, *counts])
    table = _table(rows, counts)
    published = protect(_release(table, q, counts), Policy(suppress_max=least - 1))
    out = published.tables["results"]
    hidden = ~out["n"].astype(str).str.fullmatch(r"\d+")
    for c in counts[1:]:  # a group not shown shows none of its answers, zeros included
        out.loc[hidden, c] = Policy.blank
    for c in [c for c in out.columns if c.startswith("share_")]:
        out.loc[hidden, c] = np.nan
    return out


def safety_by_place(s: Session, least: int = MIN_GROUP) -> pd.DataFrame:
    """For every survey's ``feel_safe`` question: by place and quarter, the respondents and
    those feeling safe as published (None where suppressed), and the published share."""
    rows = []
    for survey in s.scalars(select(Survey).order_by(Survey.id)):
        for q in survey.definition.get("questions", []):
            if q.get("measure") != "feel_safe":
                continue
            res = question_results(responses(s, survey), q, least)
            grid = res[res["breakdown"] == "place+period"]
            for r in grid.itertuples():
                n = int(r.n) if str(r.n).isdigit() else None
                safe = int(r.feel_safe) if str(r.feel_safe).isdigit() else None
                rows.append({"survey": survey.key, "question": q["id"], "place": r.place,
                             "period": r.period, "respondents": n, "feel_safe": safe,
                             "share": safe / n if n and safe is not None else None})  # fmt: skip
    return pd.DataFrame(rows, columns=["survey", "question", "place", "period", "respondents",
                                       "feel_safe", "share"])  # fmt: skip


def safety_before_after(s: Session, least: int = MIN_GROUP) -> pd.DataFrame:
    """For each programme place with a start date: the share of young people feeling safe in
    the quarters before it started and after, from the published place-by-quarter counts (a
    quarter whose counts are not published is left out, and said so), beside the crime
    results of place evaluation."""
    from vrukit.programme.models import Place

    cells = safety_by_place(s, least)
    cols = ["place", "start", "before_respondents", "before_share", "after_respondents",
            "after_share", "change", "quarters_not_published"]  # fmt: skip
    rows = []
    for p in s.scalars(select(Place).order_by(Place.name)):
        mine = cells[cells["place"] == p.name]
        if mine.empty:
            continue
        first = f"{p.start_date.year}-Q{(p.start_date.month - 1) // 3 + 1}"
        shown = mine.dropna(subset=["respondents", "feel_safe"])
        row: dict[str, Any] = {"place": p.name, "start": p.start_date.isoformat(),
                               "quarters_not_published": int(len(mine) - len(shown))}  # fmt: skip
        for side, part in (("before", shown[shown["period"] < first]),
                           ("after", shown[shown["period"] >= first])):  # fmt: skip
            n = int(part["respondents"].sum())
            row[f"{side}_respondents"] = n
            row[f"{side}_share"] = float(part["feel_safe"].sum()) / n if n else None
        both = row["before_share"] is not None and row["after_share"] is not None
        row["change"] = row["after_share"] - row["before_share"] if both else None
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)
