"""Charts as static SVG: Vega-Lite specs (Altair) rendered at build time by vl-convert, with the
page's language for titles and its locale for numbers and month names. No script runs in the
reader's browser to draw them, and each is shown beside its data table.

Each chart is drawn twice, so that its text is never shown below 12 px: ``WIDE`` px across for
screens that hold it, ``NARROW`` px for phones (the page picks one with ``<picture>``), both sized
to fit in full (axes and labels included). Long category labels wrap onto lines on the narrow one.
Text is measured with a wide font (Verdana's metrics, DejaVu Sans on the build machine) so that a
reader's font, most often narrower, never pushes a label past the chart's edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

from vrukit.publish._i18n import Lang

__all__ = ["NARROW", "RTL_FONT", "WIDE", "Figure", "render"]

INK = "#1f2933"
ACCENT = "#b3261e"
MUTED = "#52606d"
#: Widths in CSS px of the two drawings: a 390 px phone's column (1 rem of margin each side, less
#: the image's border) and a wide screen's.
NARROW, WIDE = 354, 680
#: Characters per line of a wrapped category label on the narrow and the wide drawing.
WRAP = {NARROW: 22, WIDE: 38}
#: Urdu text is measured and drawn with a font that has every Urdu letter (a Latin font's
#: Arabic leaves some to the reader's fallback, wider than what was measured).
RTL_FONT = "Noto Naskh Arabic, Noto Sans Arabic, DejaVu Sans, sans-serif"
CONFIG: dict[str, Any] = {
    "font": "Verdana, DejaVu Sans, sans-serif",
    "axis": {
        "labelColor": INK,
        "titleColor": INK,
        "labelFontSize": 12,
        "titleFontSize": 12,
        "labelLimit": 280,
    },
    "legend": {"labelColor": INK, "titleColor": INK, "labelFontSize": 12, "labelLimit": 0},
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
    src_narrow: str = ""


def render(fig: Figure, lang: Lang, folder: Path, prefix: str) -> None:
    """Write the figure's two SVGs into ``folder`` and set ``src`` and ``src_narrow``
    (``prefix`` + file name)."""
    if fig.chart is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    # no ARIA text inside the drawing: Vega writes it in English, and the page's alt text and
    # table already say what the chart shows
    config = CONFIG | {"aria": False} | ({"font": RTL_FONT} if lang.dir == "rtl" else {})
    for width, suffix in ((WIDE, ""), (NARROW, "-narrow")):
        spec = sized(fig.chart.configure(**config).to_dict(), width)
        svg = vlc.vegalite_to_svg(
            spec, format_locale=lang.vega_format(), time_format_locale=lang.vega_time()
        )
        (folder / f"{fig.name}{suffix}.svg").write_text(svg)
    fig.src = f"{prefix}{fig.name}.svg"
    fig.src_narrow = f"{prefix}{fig.name}-narrow.svg"


def sized(spec: dict[str, Any], width: int) -> dict[str, Any]:
    """``spec`` drawn ``width`` px across in all (axes, labels and legend inside it); long
    labels of nominal y axes wrap at ``WRAP[width]`` characters (never cut short) and their rows
    grow to hold them."""
    chars = WRAP.get(width, WRAP[NARROW])
    lines = _label_lines(spec, chars)
    step = 16 * lines + 8 if lines > 1 else None
    for key in ("layer", "encoding", "mark"):
        _unsized(spec.get(key), step)
    if step and isinstance(spec.get("height"), dict) and "step" in spec["height"]:
        spec["height"] = {"step": max(step, spec["height"]["step"])}
    spec.pop("width", None)
    # room at the start for a reader's font wider than the build machine's (right-to-left
    # scripts above all); the end labels of an x axis kept inside the plot
    spec |= {"width": width, "autosize": {"type": "fit-x", "contains": "padding"},
             "padding": {"left": 24, "right": 16, "top": 5, "bottom": 5}}  # fmt: skip
    spec["config"]["axisX"] = {"labelFlush": True}
    if width < WIDE:
        _wrap_titles(spec, chars=30)
    spec["config"]["axisY"] = {"labelLimit": 0}  # wrapped below when long: never cut short
    if lines > 1:
        wrap = (f"split(trim(replace(datum.label, regexp('(.{{1,{chars}}})(\\\\s+|$)', 'g'), "
                "'$1\\n')), '\\n')")  # fmt: skip
        spec["config"]["axisY"]["labelExpr"] = wrap
    return spec


def _unsized(node: Any, step: int | None) -> None:
    """Inner charts lose their widths (the drawing's is set once, on top); with ``step``, band
    heights grow to it."""
    if isinstance(node, dict):
        node.pop("width", None)
        if step and isinstance(node.get("height"), dict) and "step" in node["height"]:
            node["height"] = {"step": max(step, node["height"]["step"])}
        for v in node.values():
            _unsized(v, step)
    elif isinstance(node, list):
        for v in node:
            _unsized(v, step)


def _wrap_titles(node: Any, chars: int) -> None:
    """Axis titles longer than ``chars`` characters as lines (Vega draws a list as lines)."""
    import textwrap

    if isinstance(node, dict):
        for key in ("x", "y"):
            enc = node.get("encoding", {}).get(key)
            title = enc.get("title") if isinstance(enc, dict) else None
            if isinstance(title, str) and len(title) > chars:
                enc["title"] = textwrap.wrap(title, chars)
        for v in node.get("layer", []):
            _wrap_titles(v, chars)


def _label_lines(spec: dict[str, Any], chars: int) -> int:
    """How many lines the longest nominal y label takes once wrapped at ``chars`` characters."""
    import textwrap

    fields = set()
    for node in [spec, *spec.get("layer", [])]:
        y = node.get("encoding", {}).get("y", {})
        if y.get("type") == "nominal" and "field" in y:
            fields.add(y["field"])
    values = [str(row[f]) for rows in spec.get("datasets", {}).values() for row in rows
              for f in fields if f in row]  # fmt: skip
    return max((len(textwrap.wrap(v, chars)) or 1 for v in values), default=1)


def line(
    frame: pd.DataFrame,
    x: str,
    y: str,
    *,
    x_title: str,
    y_title: str,
    series: str | None = None,
    dashed: str | None = None,
    names: tuple[str, str] = ("", ""),
) -> Any:
    """A monthly line chart (``x`` holds YYYY-MM), its count axis from zero; ``dashed`` names a
    second y column drawn dashed, the two lines in a legend as ``names``."""
    data = frame.assign(**{x: pd.to_datetime(frame[x])})
    enc: dict[str, Any] = {
        "x": alt.X(
            f"{x}:T", title=x_title, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=6)
        ),
        "y": alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=True)),
    }
    if dashed:
        long = data[[x, y, dashed]].melt(id_vars=[x], var_name="line", value_name="_v")
        long = long.rename(columns={"_v": y})
        long["line"] = long.line.map({y: names[0], dashed: names[1]})
        legend = alt.Legend(orient="bottom", title=None, symbolStrokeWidth=2, symbolSize=300)
        return (
            alt.Chart(long.dropna(subset=[y]))
            .mark_line(strokeWidth=2)
            .encode(
                **enc,
                color=alt.Color(
                    "line:N",
                    sort=list(names),
                    legend=legend,
                    scale=alt.Scale(domain=list(names), range=[ACCENT, MUTED]),
                ),
                strokeDash=alt.StrokeDash(
                    "line:N",
                    sort=list(names),
                    legend=legend,
                    scale=alt.Scale(domain=list(names), range=[[1, 0], [6, 4]]),
                ),
            )
            .properties(height=260)
        )
    if series:
        enc["color"] = alt.Color(f"{series}:N", title=None, legend=alt.Legend(orient="bottom"))
    chart = alt.Chart(data).mark_line(color=ACCENT, strokeWidth=2, point=True).encode(**enc)
    return chart.properties(height=260)


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
        .properties(height=alt.Step(22))
    )
    if rule is not None:
        r = alt.Chart(pd.DataFrame({"v": [rule]})).mark_rule(color=INK, strokeDash=[4, 3])
        return alt.layer(chart, r.encode(x="v:Q"))
    return chart


def forest(frame: pd.DataFrame, *, x_title: str) -> Any:
    """Rate ratios with 95% intervals, on a log scale, with a rule at 1."""
    base = alt.Chart(frame).encode(y=alt.Y("label:N", title=None, sort=None))
    scale = alt.Scale(type="log")
    ticks = alt.Axis(values=[0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20])  # a log axis's own crowd
    ci = base.mark_rule(color=MUTED, strokeWidth=2).encode(
        x=alt.X("irr_lo:Q", title=x_title, scale=scale, axis=ticks), x2="irr_hi:Q"
    )
    dot = base.mark_point(filled=True, size=70, color=ACCENT).encode(x=alt.X("irr:Q", scale=scale))
    one = alt.Chart(pd.DataFrame({"v": [1.0]})).mark_rule(color=INK, strokeDash=[4, 3])
    return alt.layer(ci, dot, one.encode(x="v:Q")).properties(height=alt.Step(26))


def ranges(frame: pd.DataFrame, *, x_title: str) -> Any:
    """Values with a range each (``irr``, ``irr_lo``, ``irr_hi`` by ``label``), from zero."""
    base = alt.Chart(frame).encode(y=alt.Y("label:N", title=None, sort=None))
    scale = alt.Scale(zero=True)
    span = base.mark_rule(color=MUTED, strokeWidth=2).encode(
        x=alt.X("irr_lo:Q", title=x_title, scale=scale), x2="irr_hi:Q"
    )
    dot = base.mark_point(filled=True, size=70, color=ACCENT).encode(x=alt.X("irr:Q", scale=scale))
    return alt.layer(span, dot).properties(height=alt.Step(26))


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
    return alt.layer(curve, eq.encode(x="a:Q", y="a:Q")).properties(height=300)
