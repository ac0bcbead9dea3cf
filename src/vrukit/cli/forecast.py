"""``vrukit forecast``: the next three months of violence for every area and local authority,
shown only after a rolling-origin check against two baselines says it is worth showing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from rich.table import Table

from vrukit.cli._app import app, console
from vrukit.cli._common import _demo_db, _reading, steps
from vrukit.cli._options import (
    CrimeTypes,
    DbOption,
    FirstMonth,
    LastMonth,
    Neighbours,
    out_option,
)
from vrukit.settings import get_settings


@app.command()
def forecast(
    out: Annotated[Path, out_option("Folder for the forecast and its check.")] = Path(
        "vrukit-forecast"
    ),
    db: DbOption = None,
    crime_type: CrimeTypes = None,
    first_month: FirstMonth = None,
    last_month: LastMonth = None,
    neighbours: Neighbours = "queen",
) -> None:
    """Forecast the next three months for every area and local authority, with 80% and 95%
    intervals, after checking the model against the seasonal naive forecast and a rolling mean
    by rolling origin (MASE, CRPS, interval coverage). The forecast is written only where the
    model beats both baselines and its 95% intervals cover 90-98% of what happened.

    Without --db (or VRUKIT_DB) it forecasts the embedded demo region.
    """
    from vrukit.jobs.forecast import run_forecast
    from vrukit.schemas import VIOLENCE_TYPES

    s = get_settings(db=db)
    path = _demo_db(s)
    from vrukit.jobs.analyse import Selection

    sel = Selection(tuple(crime_type or VIOLENCE_TYPES), first_month, last_month)
    with _reading(s, path) as wh, steps("forecast") as say:
        run = run_forecast(wh, out, selection=sel, neighbours=neighbours, say=say)
    t = Table(title="Rolling-origin check (lower MASE, CRPS and interval score are better)")
    for col in ("level", "model", "MASE", "CRPS", "80% covered", "95% covered", "origins"):
        t.add_column(col, justify="left" if col in ("level", "model") else "right")
    for r in run.summary.itertuples():
        level = "areas" if r.level == "area" else "local authorities"
        t.add_row(level, r.model, f"{r.mase:.3f}", f"{r.crps:.3f}", f"{r.coverage_80:.1%}",
                  f"{r.coverage_95:.1%}", str(r.origins))  # fmt: skip
    console.print(t)
    for level, (ok, why) in run.published.items():
        name = "areas" if level == "area" else "local authorities"
        verdict = "[green]written[/green]" if ok else "[yellow]not written[/yellow]"
        console.print(f"Forecast for {name}: {verdict} - {why}.")
    console.print(f"Files in [bold]{Path(out).resolve()}[/bold]: "
                  + ", ".join(f.name for f in run.files))  # fmt: skip
