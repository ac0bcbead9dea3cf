"""``vrukit hotspots-accuracy``: would the hotspots have predicted the next months' violence?
Every way vrukit finds hotspots, fitted and scored by rolling origin (PAI, PEI, RRI, hit rates
at fixed coverage, stability)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

from rich import box
from rich.table import Table

from vrukit.cli._app import app, console
from vrukit.cli._common import _demo_db, _reading
from vrukit.cli._options import (
    Alpha,
    CrimeTypes,
    DbOption,
    FirstMonth,
    FitMonths,
    HexResolution,
    Horizon,
    KdeCell,
    LastMonth,
    Neighbours,
    PointMethods,
    Step,
    TopN,
    out_option,
)
from vrukit.settings import get_settings

if TYPE_CHECKING:  # `vrukit --help` loads no pandas
    import pandas as pd


def _cell(value: object, form: str) -> str:
    """A summary figure, or a dash where it is undefined (no hotspot, no crime to score)."""
    import pandas as pd

    return "-" if value is None or pd.isna(value) else format(value, form)


@app.command("hotspots-accuracy")
def hotspots_accuracy(
    out: Annotated[Path, out_option("Folder for the accuracy tables.")] = Path(
        "vrukit-hotspot-accuracy"
    ),
    db: DbOption = None,
    crime_type: CrimeTypes = None,
    first_month: FirstMonth = None,
    last_month: LastMonth = None,
    neighbours: Neighbours = "queen",
    fit_months: FitMonths = 12,
    horizon: Horizon = 3,
    step: Step = 3,
    top_n: TopN = None,
    alpha: Alpha = 0.05,
    points: PointMethods = True,
    hex_resolution: HexResolution = 8,
    kde_cell: KdeCell = 100.0,
) -> None:
    """Would these hotspots have predicted the next months' violence? Each method (Gi* hot
    spots, the top areas by count, by rate and by crimes per km², last period's top areas,
    emerging hot spots; with --points the same on H3 hexagons, and kernel density cells) is
    fitted on --fit-months months and scored on the next --horizon, from rolling origins
    --step months apart: hit rate, PAI, PEI, RRI, hit rates at 1% and 5% of the area, and
    stability (docs/methods.md, "Do the hotspots predict?").

    Without --db (or VRUKIT_DB) it scores the embedded demo region.
    """
    from vrukit.jobs.accuracy import run_accuracy
    from vrukit.jobs.analyse import Selection
    from vrukit.schemas import VIOLENCE_TYPES

    s = get_settings(db=db)
    path = _demo_db(s)
    sel = Selection(tuple(crime_type or VIOLENCE_TYPES), first_month, last_month)
    with _reading(s, path) as wh:
        run = run_accuracy(
            wh, out, selection=sel, neighbours=neighbours, fit_months=fit_months,
            horizon=horizon, step=step, top_n=top_n, alpha=alpha, points=points,
            hex_resolution=hex_resolution, kde_cell=kde_cell,
            say=lambda m: console.print(f"[dim]{m}[/dim]"),
        )  # fmt: skip
    _say_choices(cast(dict[str, Any], run.accuracy.choices))
    _print_summary(run.accuracy.summary, horizon)
    console.print(f"Files in [bold]{Path(out).resolve()}[/bold]: "
                  + ", ".join(f.name for f in run.files))  # fmt: skip


def _say_choices(choices: dict[str, Any]) -> None:
    """What was chosen for areas, and what each set of point-based units holds."""
    c = choices["areas"]
    console.print(
        f"[dim]Chose: top n = {c['top_n']} areas, Gi* at {c['alpha']} after {c['correction']}, "
        f"{c['neighbours']}; stability over {c['stability_lag_months']} months.[/dim]"
    )
    for key, p in choices.items():
        if key != "areas":
            console.print(f"[dim]{p['units_kind']}: {p['units']:,} units, top n = {p['top_n']:,}, "
                          f"{p['crimes_left_out']:,} crimes outside them.[/dim]")  # fmt: skip


def _print_summary(summary: pd.DataFrame, horizon: int) -> None:
    """Each method's means over the origins, scored on the full horizon."""
    t = Table(title=f"Scored on the {horizon} month(s) after each origin, mean over origins",
              box=box.SIMPLE_HEAD, padding=(0, 0, 0, 1), show_edge=False)  # fmt: skip
    heads = ("method", "units", "hits", "PAI", "PEI", "RRI", "hit@1%", "hit@5%", "stable")
    for col in heads:
        t.add_column(col, justify="left" if col == "method" else "right", no_wrap=True)
    for r in summary[summary.horizon == horizon].itertuples():
        t.add_row(str(r.method), f"{r.selected:,.0f}",
                  _cell(r.hit_rate, ".1%"), _cell(r.pai, ".2f"), _cell(r.pei, ".2f"),
                  _cell(r.rri, ".2f"), _cell(r.hit_rate_at_1pct, ".1%"),
                  _cell(r.hit_rate_at_5pct, ".1%"), _cell(r.stability, ".2f"))  # fmt: skip
    console.print(t)
