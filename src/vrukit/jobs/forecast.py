"""The forecast job: monthly counts per area from the warehouse, the rolling-origin check of the
count model against its baselines, and the forecast of the next three months for every area
and local authority, written only where the check says it is worth publishing
(``vrukit.analysis.forecast``; docs/methods.md, "A forecast of the next three months")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from vrukit import jsonio
from vrukit.analysis.forecast import (
    HORIZON,
    MIN_HISTORY,
    MIN_TRAINING_ORIGINS,
    count_model,
    forecast_table,
    rolling_origin,
    summary,
    worth_publishing,
)
from vrukit.csvio import write_csv
from vrukit.errors import ConfigError
from vrukit.jobs.analyse import Selection, area_neighbours, areas_of_vintage, monthly_counts
from vrukit.store.warehouse import Warehouse

__all__ = ["ForecastRun", "area_series", "run_forecast"]


@dataclass
class ForecastRun:
    """What ``run_forecast`` found and wrote."""

    evaluation: pd.DataFrame
    summary: pd.DataFrame
    published: dict[str, tuple[bool, str]]
    forecast: pd.DataFrame | None
    files: list[Path] = field(default_factory=list)


def area_series(
    wh: Warehouse, selection: Selection
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The selection's count per area and month (areas x months, every month of the span, in
    the order of the warehouse's areas), the areas, and the months (``YYYY-MM``)."""
    c = monthly_counts(wh, selection)
    if c.empty:
        raise ConfigError("the selection has no crimes with an area: ingest police.uk first")
    areas = areas_of_vintage(wh, c.lsoa_code)
    if selection.areas:
        areas = areas[areas.lsoa_code.isin(selection.areas)].reset_index(drop=True)
    month = pd.to_datetime(c.month)
    span = pd.period_range(month.min(), month.max(), freq="M").strftime("%Y-%m").tolist()
    c = c.assign(month=month.dt.strftime("%Y-%m"))
    wide = c.groupby(["lsoa_code", "month"])["count"].sum().unstack(fill_value=0)
    wide = wide.reindex(index=areas.lsoa_code, columns=span, fill_value=0)
    return wide, areas, span


def _next_months(last: str) -> list[str]:
    start = pd.Period(last, freq="M")
    return [(start + k).strftime("%Y-%m") for k in range(1, HORIZON + 1)]


def _judged(table: pd.DataFrame, level: str) -> dict[str, object]:
    """The figures the decision rests on, for pages that say it in their own words."""
    s = table[table.level == level].set_index("model")
    model, others = s.loc["negative binomial model"], s.drop(index="negative binomial model")
    return {"mase": float(model.mase), "baseline": str(others.mase.idxmin()),
            "baseline_mase": float(others.mase.min()), "coverage_95": float(model.coverage_95),
            "origins": int(model.origins)}  # fmt: skip


def run_forecast(
    wh: Warehouse, out: Path | str, *, selection: Selection | None = None,
    neighbours: str = "queen", step: int = 1, say: Callable[[str], None] = lambda _m: None,
) -> ForecastRun:  # fmt: skip
    """Check the count model against the baselines by rolling origin (every ``step`` months),
    then forecast the next three months from all the data; write the check always and the
    forecast only where it is worth publishing (areas and local authorities judged apart)."""
    out = Path(out)
    wide, areas, months = area_series(wh, selection or Selection())
    need = MIN_HISTORY + MIN_TRAINING_ORIGINS + HORIZON
    if len(months) < need:
        raise ConfigError(
            f"a forecast needs {need} months of data to be checked before it is shown "
            f"(12 of history, 3 to fit on, 3 to score); the selection has {len(months)}"
        )
    nb = area_neighbours(areas, neighbours)
    groups = areas.lad_code.fillna("unknown").to_numpy()
    counts = wide.to_numpy()
    evaluation = rolling_origin(counts, nb.matrix, groups=groups, step=step, say=say)
    evaluation["origin"] = [months[t] for t in evaluation.origin]  # the first month scored
    table = summary(evaluation)
    published = {level: worth_publishing(table, level) for level in ("area", "group")}
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "forecast_evaluation.csv", out / "forecast_summary.csv"]
    write_csv(evaluation, files[0])
    write_csv(table, files[1])
    say("forecasting the next three months from all the data")
    fitted = count_model(counts, nb.matrix)
    ahead = _next_months(months[-1])
    parts = []
    if published["area"][0]:
        parts.append(forecast_table(fitted.forecast, wide.index.to_numpy(), ahead))
    if published["group"][0]:
        labels = np.unique(groups)
        parts.append(forecast_table(fitted.summed(groups), labels, ahead, "local authority"))
    forecast = pd.concat(parts, ignore_index=True) if parts else None
    if forecast is not None:
        files.append(out / "forecast.csv")
        write_csv(forecast, files[-1])
    files.append(out / "forecast.json")
    files[-1].write_text(jsonio.dumps({
        "data": {"first_month": months[0], "last_month": months[-1], "areas": len(wide)},
        "forecast_months": ahead,
        "published": {k: {"published": v[0], "why": v[1]} | _judged(table, k)
                      for k, v in published.items()},
        "summary": table.to_dict("records"),
    }, indent=1))  # fmt: skip
    return ForecastRun(evaluation, table, published, forecast, files)
