"""Charts as static SVG: Vega-Lite specs (Altair) rendered at build time by vl-convert, with the
page's language for titles and its locale for numbers and month names. No script runs in the
reader's browser to draw them, and each is shown beside its data table."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

from vrukit.publish._i18n import Lang

__all__ = ["Figure", "render"]

INK = "#1f2933"
ACCENT = "#b3261e"
MUTED = "#52606d"
CONFIG: dict[str, Any] = {
    "font": "system-ui, sans-serif",
    "axis": {
        "labelColor": INK,
        "titleColor": INK,
        "labelFontSize": 12,
        "titleFontSize": 12,
        "labelLimit": 280,
    },
    "legend": {"labelColor": INK, "titleColor": INK, "labelFontSize": 12},
    "view": {"stroke": None},
}


@dataclass
class Figure:
    """One chart: its file, title, one-sentence summary and the table a reader can use instead."""

    name: str
    title: str
    summary: str
    columns: list[str]
    rows: list[list[str]]
    chart: Any = field(default=None, repr=False)
    src: str = ""


def render(fig: Figure, lang: Lang, folder: Path, prefix: str) -> None:
    """Write the figure's SVG into ``folder`` and set its ``src`` (``prefix`` + file name)."""
    if fig.chart is None:
        return
    spec = fig.chart.configure(**CONFIG).to_dict()
    svg = vlc.vegalite_to_svg(
        spec, format_locale=lang.vega_format(), time_format_locale=lang.vega_time()
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{fig.name}.svg").write_text(svg)
    fig.src = f"{prefix}{fig.name}.svg"


def line(
    frame: pd.DataFrame,
    x: str,
    y: str,
    *,
    x_title: str,
    y_title: str,
    series: str | None = None,
    dashed: str | None = None,
) -> Any:
    """A monthly line chart (``x`` holds YYYY-MM); ``dashed`` names a second y column."""
    base = alt.Chart(frame.assign(**{x: pd.to_datetime(frame[x])})).properties(
        width="container", height=260
    )
    enc: dict[str, Any] = {
        "x": alt.X(
            f"{x}:T", title=x_title, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=6)
        ),
        "y": alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=False)),
    }
    if series:
        enc["color"] = alt.Color(f"{series}:N", title=None, legend=alt.Legend(orient="bottom"))
    chart = base.mark_line(color=ACCENT, strokeWidth=2, point=True).encode(**enc)
    if dashed:
        trend = base.mark_line(color=MUTED, strokeDash=[6, 4]).encode(
            x=enc["x"], y=alt.Y(f"{dashed}:Q")
        )
        return alt.layer(chart, trend).properties(width=640)
    return chart.properties(width=640)


def bars(
    frame: pd.DataFrame,
    x: str,
    y: str,
    *,
    x_title: str,
    y_title: str,
    highlight: str | None = None,
    rule: float | None = None,
    sort: bool = True,
) -> Any:
    """Horizontal bars of ``x`` per ``y`` category; ``highlight`` colours one category."""
    colour = (
        alt.condition(alt.datum[y] == highlight, alt.value(ACCENT), alt.value(MUTED))
        if highlight
        else alt.value(ACCENT)
    )
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(f"{x}:Q", title=x_title),
            y=alt.Y(f"{y}:N", title=y_title, sort="-x" if sort else None),
            color=colour,
        )
        .properties(width=560, height=alt.Step(22))
    )
    if rule is not None:
        r = alt.Chart(pd.DataFrame({"v": [rule]})).mark_rule(color=INK, strokeDash=[4, 3])
        return alt.layer(chart, r.encode(x="v:Q"))
    return chart


def forest(frame: pd.DataFrame, *, x_title: str) -> Any:
    """Rate ratios with 95% intervals, on a log scale, with a rule at 1."""
    base = alt.Chart(frame).encode(y=alt.Y("label:N", title=None, sort=None))
    scale = alt.Scale(type="log")
    ci = base.mark_rule(color=MUTED, strokeWidth=2).encode(
        x=alt.X("irr_lo:Q", title=x_title, scale=scale), x2="irr_hi:Q"
    )
    dot = base.mark_point(filled=True, size=70, color=ACCENT).encode(x=alt.X("irr:Q", scale=scale))
    one = alt.Chart(pd.DataFrame({"v": [1.0]})).mark_rule(color=INK, strokeDash=[4, 3])
    return alt.layer(ci, dot, one.encode(x="v:Q")).properties(width=520, height=alt.Step(26))


def ranges(frame: pd.DataFrame, *, x_title: str) -> Any:
    """Values with a range each (``irr``, ``irr_lo``, ``irr_hi`` by ``label``), from zero."""
    base = alt.Chart(frame).encode(y=alt.Y("label:N", title=None, sort=None))
    scale = alt.Scale(zero=True)
    span = base.mark_rule(color=MUTED, strokeWidth=2).encode(
        x=alt.X("irr_lo:Q", title=x_title, scale=scale), x2="irr_hi:Q"
    )
    dot = base.mark_point(filled=True, size=70, color=ACCENT).encode(x=alt.X("irr:Q", scale=scale))
    return alt.layer(span, dot).properties(width="container", height=alt.Step(26))


def lorenz(frame: pd.DataFrame, *, x_title: str, y_title: str) -> Any:
    """The concentration curve: share of areas against share of violence, with equality."""
    pts = frame.iloc[:: max(1, len(frame) // 200)]
    curve = (
        alt.Chart(pts)
        .mark_line(color=ACCENT, strokeWidth=2)
        .encode(
            x=alt.X("area_share:Q", title=x_title, axis=alt.Axis(format="%")),
            y=alt.Y("value_share:Q", title=y_title, axis=alt.Axis(format="%")),
        )
    )
    eq = alt.Chart(pd.DataFrame({"a": [0.0, 1.0]})).mark_line(color=MUTED, strokeDash=[4, 3])
    return alt.layer(curve, eq.encode(x="a:Q", y="a:Q")).properties(width=360, height=300)
