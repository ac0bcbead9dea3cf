"""Charts for every screen (issue 32, item 2), in Debian's Chromium: each chart is shown at its
own size or larger on a 390 px phone and a 1280 px screen, in English and Urdu, so its 12 px text
is never shrunk; no label runs past a chart's edge in the browser's font; count axes start at zero;
every line is in the legend and in the table."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from conftest import open_page
from vrukit.publish import _charts as charts

PAGES = ["index.html", "where.html", "when.html", "why.html", "la/E08900001.html"]


@pytest.mark.parametrize(("lang", "width"), [("en", 390), ("ur", 390), ("en", 1280), ("ur", 1280)])
def test_no_chart_is_shrunk_below_its_own_size(browser, site_server, lang, width) -> None:
    page, problems = open_page(browser, f"{site_server}{lang}/data.html", width=width)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400
            else None)  # fmt: skip
    seen = 0
    for rel in PAGES:
        page.goto(f"{site_server}{lang}/{rel}", wait_until="load")
        page.evaluate("() => document.querySelectorAll('img').forEach(i => i.loading = 'eager')")
        page.wait_for_function("() => [...document.images].every(i => i.complete)")
        shown = page.evaluate(
            "() => [...document.querySelectorAll('figure.chart img')].map(i =>"
            " [i.currentSrc, i.naturalWidth, i.getBoundingClientRect().width - 2])"
        )
        for src, natural, drawn in shown:
            assert natural > 0, src
            narrow = src.endswith("-narrow.svg")
            assert narrow == (width < 600), src  # the phone gets the narrow drawing
            assert drawn >= natural - 0.5, (src, natural, drawn)  # never scaled down
            seen += 1
    assert seen >= 12 and not problems
    page.close()


def test_every_svg_text_is_12px_or_more(demo_site) -> None:
    run, _ = demo_site
    files = list((run.out / "charts").rglob("*.svg"))
    assert len(files) >= 60
    sizes = set()
    for f in files:
        text = f.read_text()
        sizes |= {float(x) for x in re.findall(r'font-size="([\d.]+)px"', text)}
        sizes |= {float(x) for x in re.findall(r"font-size:\s*([\d.]+)px", text)}
        assert "…" not in text, f  # no label truncated by the renderer
    assert sizes and min(sizes) >= 12


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_no_label_runs_past_a_chart_edge_in_the_browser_font(browser, site_server, demo_site,
                                                             lang) -> None:  # fmt: skip
    run, _ = demo_site
    svgs = sorted((run.out / "charts" / lang).glob("*.svg"))
    page, problems = open_page(browser, f"{site_server}{lang}/data.html")
    # an image opened as a page makes the browser ask for /favicon.ico, which a site need not have
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    outside = []
    for svg in svgs:
        page.goto(f"{site_server}charts/{lang}/{svg.name}", wait_until="load")
        outside += page.evaluate(
            """name => { const s = document.documentElement; const W = s.width.baseVal.value;
               return [...s.querySelectorAll('text')].filter(t => t.textContent.trim())
                 .map(t => { const b = t.getBoundingClientRect();
                             return [name, t.textContent, b.left, b.right, W]; })
                 .filter(([, , l, r, w]) => l < -0.5 || r > w + 0.5); }""",
            svg.name,
        )
    assert not outside, outside[:5]
    assert not problems
    page.close()


def test_count_axes_start_at_zero_and_the_trend_is_in_legend_and_table(demo_site) -> None:
    frame = pd.DataFrame({"month": ["2024-01", "2024-02"], "value": [14_000, 15_000],
                          "fitted": [14_200.0, 14_800.0]})  # fmt: skip
    plain = charts.line(frame, "month", "value", x_title="Month", y_title="Crimes").to_dict()
    assert plain["encoding"]["y"]["scale"]["zero"] is True
    two = charts.line(frame, "month", "value", x_title="Month", y_title="Crimes",
                      dashed="fitted", names=("Crimes", "Trend")).to_dict()  # fmt: skip
    assert two["encoding"]["y"]["scale"]["zero"] is True
    assert two["encoding"]["color"]["scale"]["domain"] == ["Crimes", "Trend"]
    assert two["encoding"]["strokeDash"]["legend"] is not None
    run, _ = demo_site
    page = (run.out / "en" / "index.html").read_text()
    trend = page.split('id="fig-trend"', 1)[1].split("</figure>", 1)[0]
    assert "Trend and season (model)" in trend  # the dashed line's column in the table
    svg = (run.out / "charts" / "en" / "trend.svg").read_text()
    assert "Trend and season (model)" in svg and re.search(r">0</text>", svg)
