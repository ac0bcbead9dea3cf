"""The quarterly board pack as one HTML file, each chart beside its table, printed to PDF by
Chromium (``print_pdf``). Takes the plain tables ``jobs.board_pack.collect`` reads from the
store; a public pack's counts pass through the disclosure layer here, once."""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc
from jinja2 import Environment, PackageLoader, select_autoescape

from vrukit.disclosure import Policy, Release, Table, protect
from vrukit.errors import ConfigError
from vrukit.publish._charts import ACCENT, CONFIG, INK, MUTED, RTL_FONT
from vrukit.publish._i18n import N_, Lang

__all__ = ["heat_map", "print_pdf", "write_pack"]

RAG_COLOURS = {"green": "#2e7d32", "amber": "#b26a00", "red": ACCENT, "grey": MUTED,
               "complete": "#1f4e79"}  # fmt: skip
RAG_ORDER = ["red", "amber", "green", "complete", "grey"]
#: How a RAG rating reads in the pack ("grey" is an action not started).
RAG_LABELS = {"grey": "not started"}


def pounds(value: float, sign: bool = False) -> str:
    """£1,234 (whole pounds); with ``sign``, +£47 and −£205 (a true minus sign). A value that
    is not a finite number (bad data that got past its checks) says so rather than failing
    the whole pack."""
    if not math.isfinite(float(value)):
        return "not a number"
    whole = round(float(value))
    mark = "−" if whole < 0 else ("+" if sign and whole > 0 else "")
    return f"{mark}£{abs(whole):,}"


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]  # fmt: skip


def _svg(chart: Any, **config: Any) -> str:
    return str(vlc.vegalite_to_svg(chart.configure(**(CONFIG | config)).to_dict()))


def _rag_chart(plan: pd.DataFrame) -> str:
    counts = plan.groupby("rag").size().reindex(RAG_ORDER, fill_value=0).reset_index()
    counts.columns = ["rag", "actions"]
    counts["rag"] = counts.rag.map(lambda r: RAG_LABELS.get(r, r))
    chart = alt.Chart(counts).mark_bar().encode(
        x=alt.X("actions:Q", title="Actions", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("rag:N", title=None, sort=[RAG_LABELS.get(r, r) for r in RAG_ORDER]),
        color=alt.Color("rag:N", scale=alt.Scale(
            domain=[RAG_LABELS.get(r, r) for r in RAG_COLOURS],
            range=list(RAG_COLOURS.values())), legend=None),
    ).properties(width=420, height=alt.Step(24))  # fmt: skip
    return _svg(chart)


#: The heat map's axis titles, in the catalogue so the portal can say them in its reader's
#: language.
HEAT_TITLES = (N_("Impact (1 to 5)"), N_("Likelihood (1 to 5)"))


def heat_map(risks: pd.DataFrame, titles: tuple[str, str] = HEAT_TITLES,
             lang: Lang | None = None) -> tuple[str, pd.DataFrame]:  # fmt: skip
    """The 5 x 5 grid of likelihood against impact with the number of risks in each cell,
    and the same as a table. Given a ``lang``, the chart is drawn for a page in it (its font,
    and no English description of its own: the page describes it and gives the table)."""
    grid = pd.DataFrame([(lk, im) for lk in range(1, 6) for im in range(1, 6)],
                        columns=["likelihood", "impact"])  # fmt: skip
    got = risks.groupby(["likelihood", "impact"]).size().rename("risks").reset_index() \
        if len(risks) else pd.DataFrame(columns=["likelihood", "impact", "risks"])  # fmt: skip
    grid = grid.merge(got, how="left").fillna({"risks": 0})
    grid["risks"] = grid["risks"].astype(int)
    grid["score"] = grid.likelihood * grid.impact
    base = alt.Chart(grid).encode(
        x=alt.X("impact:O", title=titles[0], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("likelihood:O", title=titles[1], sort="descending"),
    )
    cells = base.mark_rect(stroke="white").encode(color=alt.Color(
        "score:Q", scale=alt.Scale(domain=[1, 25], range=["#e8f1e4", "#f6d7a7", "#e8a8a4"]),
        legend=None))  # fmt: skip
    text = base.mark_text(fontSize=14, color=INK).encode(
        text=alt.condition(alt.datum.risks > 0, "risks:Q", alt.value(""))
    )
    chart = alt.layer(cells, text).properties(width=300, height=300)
    drawn = {} if lang is None else {"aria": False} | (
        {"font": RTL_FONT} if lang.dir == "rtl" else {})  # fmt: skip
    svg = _svg(chart, **drawn)
    if lang is not None:  # its marks would otherwise be images without a name (axe)
        svg = svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)
    return svg, grid[grid.risks > 0].sort_values(["likelihood", "impact"],
                                                          ascending=False)  # fmt: skip


def _spend_chart(spend: pd.DataFrame) -> str:
    long = spend.melt(id_vars="intervention", value_vars=["forecast", "actual"],
                      var_name="what", value_name="pounds")  # fmt: skip
    chart = alt.Chart(long).mark_bar().encode(
        x=alt.X("pounds:Q", title="Pounds, year to date", axis=alt.Axis(format=",.0f")),
        y=alt.Y("intervention:N", title=None, axis=alt.Axis(labelLimit=230)),
        yOffset=alt.YOffset("what:N", sort=["forecast", "actual"]),
        color=alt.Color("what:N", title=None, sort=["forecast", "actual"],
                        scale=alt.Scale(range=[MUTED, ACCENT]),
                        legend=alt.Legend(orient="bottom")),
    ).properties(width=420, height=alt.Step(11), padding={"left": 24, "right": 8,
                                                          "top": 4, "bottom": 4})  # fmt: skip
    return _svg(chart)


def _public_reach(reach: pd.DataFrame) -> pd.DataFrame:
    """The reach table as published: counts of young people through the disclosure layer
    (small counts shown as <5, and whatever would give them away withheld)."""
    release = Release()
    frame = reach.assign(young_people=reach.young_people.astype(int))
    release.add(Table("reach", frame, key=("intervention",), counts=("young_people",)))
    return protect(release, Policy()).tables["reach"]


def _compliance(status: pd.DataFrame) -> pd.DataFrame:
    if status.empty:
        return pd.DataFrame(columns=["intervention", "on_time", "late", "missing"])
    t = status.pivot_table(index="intervention", columns="status", values="period",
                           aggfunc="count", fill_value=0)  # fmt: skip
    for c in ("on_time", "late", "missing", "not_yet_due"):
        if c not in t:
            t[c] = 0
    return t[["on_time", "late", "missing", "not_yet_due"]].reset_index()


def _describe(quarter: str, start: Any, end: Any) -> str:
    return f"{MONTHS[start.month - 1]} to {MONTHS[end.month - 1]} {end.year}"


def write_pack(data: Any, out: Path, *, public: bool = False, title: str = "Programme board",
               organisation: str = "Violence Reduction Unit") -> Path:  # fmt: skip
    """Write the board pack for ``data`` (``jobs.board_pack.PackData``) as one HTML file in
    ``out``; its path."""
    env = Environment(loader=PackageLoader("vrukit.publish", "templates"),
                      autoescape=select_autoescape(["html"]))  # fmt: skip
    env.filters["pounds"] = pounds
    env.filters["rag"] = lambda r: RAG_LABELS.get(r, r)
    risks_svg, risk_cells = heat_map(data.risks) if len(data.risks) else ("", pd.DataFrame())
    compliance = _compliance(data.compliance)
    reach = _public_reach(data.reach) if public and len(data.reach) else data.reach
    data.spend["strand"] = data.spend.strand.fillna("")
    underspent = data.spend[data.spend.underspent] if len(data.spend) else data.spend
    html = env.get_template("board_pack.html").render(
        d=data, public=public, title=title, organisation=organisation,
        period=_describe(data.quarter, data.start, data.end),
        rag_svg=_rag_chart(data.plan) if len(data.plan) else "",
        rag_counts=(data.plan.groupby("rag").size().reindex(RAG_ORDER, fill_value=0)
                    if len(data.plan) else pd.Series(dtype=int)),
        risks_svg=risks_svg, risk_cells=risk_cells,
        spend_svg=_spend_chart(data.spend) if len(data.spend) else "",
        underspent=underspent, compliance=compliance, reach=reach,
        late=int(compliance.late.sum()) if len(compliance) else 0,
        missing=int(compliance.missing.sum()) if len(compliance) else 0,
    )  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"board-pack-{data.quarter}{'-public' if public else ''}.html"
    path.write_text(html, encoding="utf-8")
    return path


def print_pdf(html: Path, chromium: str | None = None, timeout: float = 120) -> Path:
    """Print ``html`` to a PDF beside it with headless Chromium (A4, the page's own print
    styles, no browser header or footer); ConfigError naming what to install without it."""
    exe = chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        raise ConfigError(
            "printing the board pack to PDF needs Chromium (Debian: apt-get "
            "install chromium; or give its path); the HTML is written"
        )
    pdf = html.with_suffix(".pdf")
    with tempfile.TemporaryDirectory() as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", f"--user-data-dir={profile}",
               "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
               html.resolve().as_uri()]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    if done.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
        why = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise ConfigError(f"Chromium could not print {html.name} to PDF: {why[0]}")
    return pdf
