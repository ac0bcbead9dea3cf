"""Feedback on ISTV data quality: one report per emergency department, and a regional summary.

Each ED's data lead gets a CSV of every measure and an HTML page: the findings in plain words,
then a grid of checks by month with the flags in red. The regional summary puts every site on one
page - the data-collection review the seed report asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import altair as alt
import jinja2
import pandas as pd
import vl_convert as vlc

from vrukit.analysis.istv_patterns import WEEKDAYS
from vrukit.analysis.istv_quality import Scorecard
from vrukit.publish._charts import CONFIG

if TYPE_CHECKING:  # statsmodels, which triangulate needs, is not needed to write a report
    from vrukit.analysis.triangulate import UnknownShare

__all__ = ["FeedbackFiles", "write_analysis", "write_feedback"]

PLAIN = {
    "coverage": "no extract was received for {months}",
    "duplicates": "exact duplicate rows were sent for {months} (kept once; tell us if they are "
    "different patients)",
    "timeliness": "the extract came more than {late} days after the month ended for {months}",
    "geocodable": "more of the places named in {months} could not be found than at the other "
    "EDs: write street and venue names in full",
    "series_break": "the number of attendances changes level from {months}: was the recording "
    "or the extract changed?",
}


def _version() -> str:
    try:
        return version("vrukit")
    except PackageNotFoundError:
        return "dev"


def _span(months: list[str]) -> str:
    months = sorted(months)
    if len(months) <= 3:
        return ", ".join(months)
    return f"{len(months)} months ({months[0]} to {months[-1]})"


def _finding(check: str, months: list[str], sc: Scorecard, detail: str) -> str:
    if check in PLAIN:
        return PLAIN[check].format(months=_span(months), late=sc.rules.late_days)
    kind, _, what = check.partition(":")
    field = what.replace("_", " ")
    if kind == "completeness":
        return (
            f"{field} is blank in more than {1 - sc.rules.completeness:.0%} of rows in "
            f"{_span(months)}"
        )
    if kind == "vague":
        return f"{field} is 'other' or 'unknown' unusually often in {_span(months)}: {detail}"
    if kind == "validity":
        return f"rows with {field} in {_span(months)}"
    return f"rows quarantined ({what.replace('_', ' ')}) in {_span(months)}"


def _site_view(site: str, name: str, sc: Scorecard, months: list[str]) -> dict[str, object]:
    m = sc.measures[sc.measures.site_code == site]
    flags = m[m.flag]
    order = flags.groupby("check").size().sort_values(ascending=False).index
    findings = [
        _finding(
            c, list(flags[flags.check == c].month), sc, str(flags[flags.check == c].detail.iloc[-1])
        )
        for c in order
    ]
    grid = []
    for check, rows in m.groupby("check", sort=True):
        by_month = rows.set_index("month")
        cells = []
        for mo in months:
            if mo not in by_month.index:
                cells.append({"css": "na", "title": f"{mo}: not measured"})
                continue
            r = by_month.loc[mo]
            r = r.iloc[0] if isinstance(r, pd.DataFrame) else r
            collected = "not collected" not in str(r.detail)
            css = "flag" if r.flag else ("ok" if collected else "na")
            cells.append({"css": css, "title": f"{mo}: {r.detail} (value {r.value:.3g})"})
        grid.append({"check": check, "cells": cells})
    return {
        "code": site, "name": name, "findings": findings, "grid": grid,
        "flagged": int(m.flag.sum()), "cells": len(m),
    }  # fmt: skip


@dataclass(frozen=True)
class FeedbackFiles:
    """What ``write_feedback`` wrote."""

    folder: Path
    regional_html: Path
    regional_csv: Path
    measures_csv: Path
    sites: dict[str, tuple[Path, Path]]


def _render(template: str, **context: object) -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("vrukit.publish", "templates/istv"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template(template).render(**context)


def write_feedback(sc: Scorecard, names: dict[str, str], out: Path | str) -> FeedbackFiles:
    """Write the per-ED feedback (HTML and CSV) and the regional summary into ``out``."""
    folder = Path(out)
    (folder / "feedback").mkdir(parents=True, exist_ok=True)
    months = sorted(sc.measures.month.unique())
    rules = ", ".join(f"{k} {v}" for k, v in sc.choices().items())
    common = {"months": months, "rules": rules, "version": _version(), "today": date.today()}
    views = {s: _site_view(s, names.get(s, s), sc, months) for s in sorted(names)}
    sites = {}
    for s, view in views.items():
        html = folder / "feedback" / f"{s}.html"
        csv = folder / "feedback" / f"{s}.csv"
        sc.measures[sc.measures.site_code == s].to_csv(csv, index=False)
        html.write_text(
            _render(
                "feedback.html",
                title=f"ISTV data quality: {view['name']}",
                lead="Feedback on the assault data this emergency department shares under the "
                "Information Sharing to Tackle Violence standard. Each check is explained in "
                "docs/istv.md.",
                sites=[view],
                **common,
            ),
            encoding="utf-8",
        )
        sites[s] = (html, csv)
    files = FeedbackFiles(
        folder, folder / "regional_summary.html", folder / "regional_summary.csv",
        folder / "scorecard.csv", sites,
    )  # fmt: skip
    sc.measures.to_csv(files.measures_csv, index=False)
    sc.summary().to_csv(files.regional_csv, index=False)
    files.regional_html.write_text(
        _render(
            "feedback.html",
            title="ISTV data quality: regional summary",
            lead=f"{len(views)} emergency departments, {len(months)} months, "
            f"{int(sc.measures.flag.sum())} flags. The data-collection review: which department "
            "sends what, how complete, how timely, and where the recording differs.",
            sites=list(views.values()),
            **common,
        ),
        encoding="utf-8",
    )
    return files


def _svg(chart: alt.Chart, path: Path) -> None:
    path.write_text(vlc.vegalite_to_svg(chart.configure(**CONFIG).to_dict()), encoding="utf-8")


def write_analysis(
    tables: dict[str, pd.DataFrame], unknown: UnknownShare, out: Path | str,
    *, months: tuple[str, str], q: float = 0.05,
) -> dict[str, Path]:  # fmt: skip
    """Write the analysis tables (CSV), two charts (SVG) and ``analysis.html`` into ``out``."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, t in tables.items():
        files[name] = folder / f"{name}.csv"
        t.to_csv(files[name], index=False)
    heat = alt.Chart(tables["hour_weekday"]).mark_rect().encode(
        x=alt.X("hour:O", title="hour of the assault"),
        y=alt.Y("weekday:O", sort=list(WEEKDAYS), title=None),
        color=alt.Color("count:Q", title="assaults", scale=alt.Scale(scheme="reds")),
        tooltip=["weekday", "hour", "count"],
    )  # fmt: skip
    files["hour_weekday_svg"] = folder / "hour_weekday.svg"
    _svg(heat.properties(width=560, height=180), files["hour_weekday_svg"])
    mix = tables["weapon_mix"]
    bars = alt.Chart(mix).mark_bar().encode(
        y=alt.Y("site_code:N", title=None),
        x=alt.X("share:Q", stack="normalize", axis=alt.Axis(format="%"), title="share"),
        color=alt.Color("method:N", title="method", scale=alt.Scale(scheme="tableau10")),
        tooltip=["site_code", "method", "count", alt.Tooltip("share:Q", format=".1%")],
    )  # fmt: skip
    files["weapon_mix_svg"] = folder / "weapon_mix.svg"
    _svg(bars.properties(width=560, height=160), files["weapon_mix_svg"])
    high = tables["ed_high_police_low"]
    files["html"] = folder / "analysis.html"
    files["html"].write_text(
        _render(
            "analysis.html",
            title="ISTV analysis: ED-treated violence and the police picture",
            assaults=f"{int(tables['monthly']['count'].sum()):,}",
            period=f"{months[0]} to {months[1]}",
            unknown_pct=f"{unknown.share:.0%}",
            unknown_ci=f"{unknown.low:.0%} to {unknown.high:.0%}",
            used=f"{unknown.assaults:,}",
            trustworthy=unknown.trustworthy,
            dispersion=f"{unknown.dispersion:.2f}",
            high=list(high[high.flag].itertuples()),
            q=q,
            files=sorted(p.name for k, p in files.items() if k != "html"),
            version=_version(),
            today=date.today(),
        ),
        encoding="utf-8",
    )
    return files
