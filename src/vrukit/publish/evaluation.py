"""The evaluation's files and charts: every table as CSV, an event-study chart and a synthetic
control chart per pilot place (static SVG), and ``evaluation.html`` that puts them together with
what each design can and cannot show. The same chart functions draw the portal's pages.

These outputs are for the VRU's own analysts and board (place rates and programme aggregates,
no person-level rows); publishing them openly goes through the disclosure layer like any table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc
from jinja2 import Environment, PackageLoader, select_autoescape

from vrukit.csvio import write_csv
from vrukit.errors import t
from vrukit.publish._charts import ACCENT, CONFIG, INK, MUTED
from vrukit.publish._data import slug

__all__ = [
    "DESIGNS",
    "event_study_svg",
    "group_tables",
    "reoffending_table",
    "synthetic_svg",
    "theme_tables",
    "write_evaluation",
]

#: How each place design is named and what its Maryland SMS level means.
DESIGNS = {
    "did": t(
        "Difference-in-differences against comparison areas with the same history "
        "(SMS level 3: a comparison group and before/after measures). The interval and p come from "
        "placebo pilots drawn at random among the comparison areas: with a handful of pilot areas "
        "the usual cluster-robust interval is too narrow (on the demo region it left out the "
        "planted effect for one of three places), so it is only kept in the detail."
    ),
    "synthetic_control": t(
        "Synthetic control from donor places of similar size "
        "(SMS level 3: a constructed comparison matched on the whole history before the start). "
        "p ranks the place's ratio of prediction error after the start to before it among every "
        "donor's, each treated as if it had been the pilot (Abadie, Diamond and Hainmueller); the "
        "interval holds the changes that test does not reject, so it includes 0% exactly when p is "
        "above 0.05."
    ),
}


def _svg(chart: Any) -> str:
    return str(vlc.vegalite_to_svg(chart.configure(**CONFIG).to_dict()))


def event_study_svg(detail: dict[str, Any], title: str) -> str:
    """Effect on the monthly violence count by quarter relative to the start (quarter -1 the
    base), with 95% intervals: flat before the start is the parallel-trends check."""
    es = pd.DataFrame(detail["event_study"])
    es[["effect", "low", "high"]] = es[["effect", "low", "high"]] * 100
    span = alt.Scale(domain=[float(es.quarter.min()) - 0.5, float(es.quarter.max()) + 0.5])
    base = alt.Chart(es).encode(x=alt.X("quarter:Q", title="Quarters from the start",
                                        scale=span, axis=alt.Axis(tickMinStep=1)))  # fmt: skip
    bars = base.mark_rule(color=MUTED, strokeWidth=2).encode(
        y=alt.Y("low:Q", title="Change in violence against comparison (%)"), y2="high:Q"
    )
    dots = base.mark_point(filled=True, size=60, color=ACCENT).encode(y="effect:Q")
    zero = alt.Chart(pd.DataFrame({"v": [0]})).mark_rule(color=INK).encode(y="v:Q")
    start = (alt.Chart(pd.DataFrame({"q": [-0.5]}))
             .mark_rule(color=INK, strokeDash=[4, 3]).encode(x="q:Q"))  # fmt: skip
    return _svg(alt.layer(bars, dots, zero, start).properties(width=560, height=260,
                                                              title=title))  # fmt: skip


def synthetic_svg(detail: dict[str, Any], title: str) -> str:
    """The place's monthly violence rate beside its synthetic control, with the start marked."""
    s = pd.DataFrame(detail["series"]).melt("month", var_name="series", value_name="rate")
    s["month"] = pd.to_datetime(s.month)
    names = ["the place", "synthetic control"]
    s["series"] = s.series.map({"actual": names[0], "synthetic": names[1]})
    lines = alt.Chart(s).mark_line(strokeWidth=2).encode(
        x=alt.X("month:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0)),
        y=alt.Y("rate:Q", title="Violent crimes per 1,000 residents a month"),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=names, range=[ACCENT, MUTED])),
        strokeDash=alt.StrokeDash("series:N", legend=None,
                                  scale=alt.Scale(domain=names, range=[[1, 0], [6, 4]])),
    )  # fmt: skip
    start = alt.Chart(pd.DataFrame({"m": [pd.Timestamp(detail["start"] + "-01")]}))
    rule = start.mark_rule(color=INK, strokeDash=[4, 3]).encode(x="m:T")
    return _svg(alt.layer(lines, rule).properties(width=560, height=260, title=title))


def group_tables(groups: pd.DataFrame) -> list[dict[str, Any]]:
    """Group comparisons as the page shows them: one entry per intervention and outcome, with
    its two groups, the difference and the caution."""
    if groups.empty:
        return []
    out = []
    for (iv, outcome), g in groups.groupby(["intervention", "outcome"], sort=True):
        first = g.iloc[0]
        out.append({"intervention": iv, "outcome": outcome, "groups": g.to_dict("records"),
                    "difference": first.difference, "low": first.difference_low,
                    "high": first.difference_high, "sms_level": int(first.sms_level),
                    "caution": first.caution})  # fmt: skip
    return out


def write_evaluation(
    folder: Path,
    places: pd.DataFrame,
    details: list[tuple[str, str, dict[str, Any]]],
    training: pd.DataFrame,
    groups: pd.DataFrame,
    programme: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    referrals: pd.DataFrame | None = None,
    reoffending: Any = None,
    reach: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    themes: pd.DataFrame | None = None,
    safety: pd.DataFrame | None = None,
) -> list[Path]:
    """Write the tables, charts and ``evaluation.html`` into ``folder``; the paths written.
    ``referrals`` and ``reoffending``: the referral figures (``vrukit.referrals.report``);
    ``themes``: qualitative theme counts (``vrukit.qualitative.theme_counts``: counts only,
    never an excerpt's words); ``safety``: feeling safe by place before and after it began
    (``vrukit.voice.results.safety_before_after``, from published counts only)."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def csv(frame: pd.DataFrame, name: str) -> None:  # opened in spreadsheets: no live formula
        path = folder / name
        write_csv(frame, path)
        written.append(path)

    csv(places, "place_effects.csv")
    es = [pd.DataFrame(d["event_study"]).assign(place=p) for p, k, d in details if k == "did"]
    sc = [pd.DataFrame(d["series"]).assign(place=p) for p, k, d in details
          if k == "synthetic_control"]  # fmt: skip
    if es:
        csv(pd.concat(es)[["place", "quarter", "effect", "low", "high"]], "event_study.csv")
    if sc:
        csv(pd.concat(sc)[["place", "month", "actual", "synthetic"]], "synthetic_control.csv")
    csv(training, "training_change.csv")
    csv(groups, "group_comparisons.csv")
    csv(programme, "programme_summary.csv")
    csv(indicators, "indicator_progress.csv")
    if referrals is not None and not referrals.empty:
        csv(referrals, "referrals_by_pathway.csv")
    if reoffending is not None:
        csv(reoffending_table(reoffending), "referrals_reoffending.csv")
    if reach is not None and not reach[1].empty:
        csv(reach[0], "training_sessions.csv")
        csv(reach[1], "training_reach.csv")
    if themes is not None and not themes.empty:
        csv(themes, "qualitative_themes.csv")
    if safety is not None and not safety.empty:
        csv(safety, "safety_by_place.csv")
    charts = []
    for place, design, detail in details:
        name = f"{slug(place)}-{'event-study' if design == 'did' else 'synthetic-control'}.svg"
        draw = event_study_svg if design == "did" else synthetic_svg
        (folder / name).write_text(draw(detail, place), encoding="utf-8")
        written.append(folder / name)
        charts.append((place, design, name))
    env = Environment(loader=PackageLoader("vrukit.publish", "templates"),
                      autoescape=select_autoescape(), extensions=["jinja2.ext.i18n"])  # fmt: skip
    env.policies["ext.i18n.trimmed"] = True  # as the catalogue extracts them
    env.install_null_translations()  # type: ignore[attr-defined]  # the report is in English
    env.filters["tr"] = str  # a message the portal says in its reader's language (``errors.t``)
    env.filters["iso"] = str  # a signed number the portal keeps whole in right-to-left text
    html = env.get_template("evaluation.html").render(
        places=places.to_dict("records"), charts=charts, designs=DESIGNS,
        training=training.to_dict("records"), groups=group_tables(groups),
        programme=programme.to_dict("records"),
        indicators=indicators.to_dict("records"),
        referral_summary=[] if referrals is None else referrals.to_dict("records"),
        reoffending=reoffending,
        reach=[] if reach is None else reach[1].to_dict("records"),
        themes=theme_tables(themes),
        safety=[] if safety is None else safety.to_dict("records"),
    )  # fmt: skip
    (folder / "evaluation.html").write_text(html, encoding="utf-8")
    written.append(folder / "evaluation.html")
    return written


def theme_tables(themes: pd.DataFrame | None) -> dict[str, Any]:
    """Theme counts as the page shows them: for places and for interventions, a table of
    excerpts (sources in brackets) with a theme per row and a place or intervention per
    column; the total per theme."""
    if themes is None or themes.empty:
        return {}
    out: dict[str, Any] = {"totals": themes[themes.by == "all"].to_dict("records")}
    for by in ("place", "intervention"):
        part = themes[themes.by == by]
        out[by] = {
            "columns": sorted(part.value.unique()),
            "cells": {(r.theme, r.value): (int(r.excerpts), int(r.sources))
                      for r in part.itertuples()},
        }  # fmt: skip
    return out


def reoffending_table(c: Any) -> pd.DataFrame:
    """Re-offending of engaged against declined, naive and matched, as one table."""
    rows = [{"comparison": "naive (engaged minus declined)", "difference": c.naive_gap,
             "low": None, "high": None, "n": c.engaged_n + c.declined_n,
             "engaged_rate": c.engaged_rate, "declined_rate": c.declined_rate}]  # fmt: skip
    if c.matched is not None:
        m = c.matched
        rows.append({"comparison": f"{m.method} ({m.matched_group} matched)",
                     "difference": m.effect, "low": m.low, "high": m.high, "n": 2 * m.pairs,
                     "engaged_rate": None, "declined_rate": None})  # fmt: skip
        for r in [] if m.sensitivity is None else m.sensitivity.itertuples():
            rows.append({"comparison": f"sensitivity: {r.method}", "difference": r.effect,
                         "low": r.low, "high": r.high, "n": None, "engaged_rate": None,
                         "declined_rate": None})  # fmt: skip
    return pd.DataFrame(rows)
