"""``vrukit sna``: run the surveillance and risk jobs, then build the open-access Strategic
Needs Assessment website from their tables (``vrukit.publish.site``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from vrukit.jobs.analyse import Selection, monthly_counts, run_analysis
from vrukit.jobs.risk import RiskOptions, run_risk
from vrukit.jobs.sna_istv import istv_tables
from vrukit.publish._data import add_coverage, load_site_data
from vrukit.publish.assets import find_assets
from vrukit.publish.site import SiteOptions, SiteRun, build_site, check_out
from vrukit.store.warehouse import Warehouse

__all__ = ["run_sna"]


def run_sna(
    wh: Warehouse,
    out: Path,
    *,
    indicators: Sequence[Path] = (),
    pilots: Path | None = None,
    risk_options: RiskOptions | None = None,
    options: SiteOptions = SiteOptions(),
    work: Path | None = None,
    progress: Callable[[str], None] | None = None,
    services: pd.DataFrame | None = None,
    selection: Selection | None = None,
    crimes: ir.Table | None = None,
) -> SiteRun:
    """Run the surveillance and risk jobs on ``wh`` (the default selection: the last 12 months
    mapped; ``selection.areas`` narrows it to some areas, e.g. one CSP's), then build the site
    into ``out``. Crimes are counted from ``crimes`` (an engine's table over the lake) when
    given, else from the warehouse. The jobs' unprotected tables go to ``work`` (a temporary
    folder unless given), never into the site. ``services`` (the Youth Map's service locations:
    ``latitude``, ``longitude``) adds "high risk, few services"."""
    import tempfile

    say = progress or (lambda _m: None)
    selection = selection or Selection()
    find_assets(options.assets)  # fail before the long work, not after
    check_out(out)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="vrukit-sna-") as tmp:
        folder = work or Path(tmp)
        analysis = run_analysis(
            wh, folder / "analysis", selection=selection, progress=say, crimes=crimes
        )
        t1 = time.perf_counter()
        has_iod = wh.counts().get("deprivation", 0) > 0
        risk_dir = None
        if has_iod:
            run_risk(wh, folder / "risk", selection=selection, indicators=tuple(indicators),
                     pilots=pilots, options=risk_options or RiskOptions(), progress=say,
                     crimes=crimes)  # fmt: skip
            risk_dir = folder / "risk"
        t2 = time.perf_counter()
        say("reading the tables")
        counts = monthly_counts(wh, selection, crimes=crimes)
        geo = wh.table("areas").select("lsoa_code", "geometry_wkb").to_pandas()
        if selection.areas:
            geo = geo[geo.lsoa_code.isin(selection.areas)].reset_index(drop=True)
        data = load_site_data(analysis.out, risk_dir, counts, geo)
        data.istv = istv_tables(wh, data.window, selection.areas)
        data.forecast = _forecast(wh, folder / "forecast", selection, say)
        data.accuracy = _accuracy(wh, folder / "accuracy", selection, say)
        if services is not None and risk_dir is not None:
            add_coverage(data, geo, services)
        run = build_site(data, out, options, say)
    run.seconds = {"analysis": round(t1 - t0, 3), "risk": round(t2 - t1, 3), **run.seconds}
    return run


def _forecast(
    wh: Warehouse, out: Path, selection: Selection, say: Callable[[str], None]
) -> dict[str, Any] | None:
    """The forecast's check and, where it passed for local authorities, their forecast, for the
    "When" page (``vrukit.jobs.forecast``, as ``vrukit forecast`` runs it). None when the
    selection has too few months to check a forecast."""
    import json

    from vrukit.errors import ConfigError
    from vrukit.jobs.forecast import run_forecast

    say("forecast: checking it against the baselines")
    try:
        run = run_forecast(wh, out, selection=selection)
    except ConfigError:
        return None
    meta = json.loads((out / "forecast.json").read_text())
    table = None
    if run.forecast is not None:
        las = run.forecast[run.forecast.level == "local authority"]
        if len(las):
            table = las.drop(columns="level").rename(columns={"code": "lad_code"})
    methods = run.summary[run.summary.level == "group"][["model", "mase", "coverage_95"]]
    return {
        "group": meta["published"]["group"],
        "months": meta["forecast_months"],
        "methods": methods.to_dict("records"),
        "table": None if table is None else table.reset_index(drop=True),
    }


def _accuracy(
    wh: Warehouse, out: Path, selection: Selection, say: Callable[[str], None]
) -> pd.DataFrame | None:
    """Whether the ways of finding hot spots on areas would have predicted the next three
    months (``vrukit.jobs.accuracy``, areas only), for the "Where" page. None when there are
    too few months or areas, or no boundaries."""
    from vrukit.errors import ConfigError
    from vrukit.jobs.accuracy import run_accuracy

    say("hot spots: would they have predicted what came next?")
    try:
        run = run_accuracy(wh, out, selection=selection, points=False)
    except ConfigError:
        return None
    s = run.accuracy.summary
    s = s[(s.horizon == s.horizon.max()) & s.pai.notna()]  # the whole three months
    return s.reset_index(drop=True)
