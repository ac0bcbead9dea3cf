"""``vrukit istv ...``: A&E assault data (ISTV) in, quality scored, fed back and shared."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from vrukit.cli._app import (
    console,
    err,
    istv_app,
)
from vrukit.cli._common import (
    _demo_db,
    _progress,
    _reading,
    _settings,
    _warehouse,
    print_report,
)
from vrukit.cli._options import (
    DbOption,
    RoundTo,
    SuppressMax,
)
from vrukit.csvio import write_csv
from vrukit.errors import ConfigError
from vrukit.settings import Settings

if TYPE_CHECKING:
    import pandas as pd


@istv_app.command("ingest")
def istv_ingest(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Extracts, or folders holding them (none: the demo region's)."),
    ] = None,
    profiles: Annotated[
        Path | None,
        typer.Option(
            help="A profile (.toml) or a folder of them; see docs/istv.md.", show_default=False
        ),
    ] = None,
    db: DbOption = None,
    received: Annotated[
        str | None,
        typer.Option(
            help="Date the extracts were received, YYYY-MM-DD (default: each file's date).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Load ISTV extracts (CSV, XLSX, XML), each read with its site's mapping profile.

    A file carrying identifiers (NHS numbers, names, dates of birth, full postcodes) is refused
    and nothing from it is stored. A resubmission replaces the earlier extract for its period.
    With no extracts and no options it loads the demo region's four EDs (again: nothing changes).
    """
    from datetime import date

    from vrukit.demo import DEMO_PROFILES
    from vrukit.ingest.istv_profile import load_profiles

    s = _settings(db)
    if not paths:
        if profiles is not None or db is not None:
            raise ConfigError("give the extracts to load (files or folders) before --profiles")
        s = s.model_copy(update={"db": _demo_db(s)})
        paths, profiles = [s.demo_dir / "istv"], DEMO_PROFILES
    elif profiles is None:
        raise ConfigError("--profiles is needed: the mapping profile(s) of the extracts' sites")
    when = date.fromisoformat(received) if received else None
    profs = load_profiles(profiles)
    with _warehouse(s, for_ingest=True) as wh, _progress() as bar:
        task = bar.add_task("ISTV extracts", total=None)
        report = wh.ingest_istv(
            paths, profs, received=when, progress=lambda d, n: bar.update(task, advance=n)
        )
    print_report(report, "ISTV extracts")
    if report.files.status.isin(["loaded", "replaced"]).any():
        _relocate(s)
    refused = report.files[report.files.status.isin(["refused", "rejected"])]
    if len(refused):
        for r in refused.itertuples():
            err.print(f"[red]{r.message}[/red]")
        raise typer.Exit(1)


@istv_app.command("venues")
def istv_venues(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="CSV: name, kind, longitude, latitude[, lsoa_code] (none: the demo's)."
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Load (or reload) the venues used to resolve ISTV locations: licensed premises, transport
    hubs, shopping centres, colleges. Then run `vrukit istv locate`."""
    from vrukit.jobs.istv import load_venues

    s = _settings(db)
    if path is None:
        s = s.model_copy(update={"db": _demo_db(s)})
        path = s.demo_dir / "istv" / "venues.csv"
    with _warehouse(s, for_ingest=True) as wh:
        n = load_venues(wh, path)
    console.print(f"{n:,} venues loaded from {path}.")


@istv_app.command("locate")
def istv_locate(
    out: Annotated[Path, typer.Option(help="Folder for the match rates and review queue.")] = Path(
        "vrukit-istv"
    ),
    db: DbOption = None,
    min_confidence: Annotated[
        float, typer.Option(help="Matches below this confidence go to the review queue.")
    ] = 0.6,
    reviewed: Annotated[
        Path | None,
        typer.Option(
            help="A review queue with confirmed_lsoa filled in: those answers are applied.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Resolve each assault's free-text location to an LSOA and a point, against police.uk
    street names and the loaded venues; write match rates and the review queue.

    Without --db (or VRUKIT_DB) it works on the embedded demo region's four EDs.
    """
    import pandas as pd

    from vrukit.jobs.istv import locate
    from vrukit.store.warehouse import Warehouse

    s = _settings(db)
    path = _demo_db(s)
    answers = pd.read_csv(reviewed, dtype=str, keep_default_na=False) if reviewed else None
    with Warehouse(path, memory_limit=s.memory_limit, threads=s.threads) as wh:
        run = locate(wh, min_confidence=min_confidence, reviewed=answers)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(run.rates, out / "location_match_rates.csv")
    write_csv(run.queue, out / "location_review_queue.csv")
    _print_match_rates(run.rates, min_confidence)
    console.print(f"Review queue: {len(run.queue):,} names ({int(run.queue.rows.sum()):,} rows) "
                  f"in {(out / 'location_review_queue.csv').resolve()}")  # fmt: skip


def _relocate(s: Settings) -> None:
    """After new extracts, resolve locations again (when there are police.uk names to use)."""
    from vrukit.jobs.istv import locate

    with _warehouse(s, for_ingest=True) as wh:
        if wh.table("crimes").count().execute() == 0:
            console.print("[dim]No police.uk records loaded: locations not resolved.[/dim]")
            return
        run = locate(wh)
    _print_match_rates(run.rates, 0.6)


def _print_match_rates(rates: pd.DataFrame, min_confidence: float) -> None:
    t = Table(title="ISTV location resolution")
    for col in ("site", "rows", "blank", "non-specific", "named a place", "found",
                f"found, confidence >= {min_confidence:g}"):  # fmt: skip
        t.add_column(col, justify="left" if col == "site" else "right")
    for r in rates.itertuples():
        named = int(r.resolved + r.unmatched)
        t.add_row(
            r.site_code, f"{r.rows:,}", f"{r.blank:,}", f"{r.non_specific:,}", f"{named:,}",
            f"{r.match_rate:.1%}", f"{r.confident_rate:.1%}",
        )  # fmt: skip
    console.print(t)


@istv_app.command("score")
def istv_score(
    out: Annotated[Path, typer.Option(help="Folder for the scorecard and feedback.")] = Path(
        "vrukit-istv"
    ),
    db: DbOption = None,
    completeness: Annotated[float, typer.Option(help="Flag fields complete in fewer rows.")] = 0.85,
    late_days: Annotated[
        int, typer.Option(help="Flag extracts later than this after the month.")
    ] = 30,
) -> None:
    """Score every ED and month (coverage, completeness, validity, timeliness, duplicates,
    vague codes, series breaks) and write per-ED feedback and a regional summary.

    Without --db (or VRUKIT_DB) it scores the embedded demo region's four EDs.
    """
    from vrukit.analysis.istv_quality import Rules
    from vrukit.jobs.istv import run_score

    s = _settings(db)
    path = _demo_db(s)
    rules = Rules(completeness=completeness, late_days=late_days)
    with _reading(s, path) as wh:
        run = run_score(wh, out, rules=rules)
    summary = run.scorecard.summary()
    t = Table(title=f"ISTV flags ({int(run.scorecard.measures.flag.sum())} of "
                    f"{len(run.scorecard.measures):,} site-month measures)")  # fmt: skip
    for col in ("site", "check", "months flagged", "first", "last"):
        t.add_column(col)
    for r in summary[summary.flagged > 0].itertuples():
        t.add_row(r.site_code, r.check, str(r.flagged), r.first_flagged, r.last_flagged)
    console.print(t)
    console.print(f"Feedback for each ED in [bold]{run.files.folder.resolve()}/feedback[/bold]; "
                  f"regional summary {run.files.regional_html.resolve()}")  # fmt: skip


@istv_app.command("analyse")
def istv_analyse(
    out: Annotated[Path, typer.Option(help="Folder for the tables, charts and page.")] = Path(
        "vrukit-istv/analysis"
    ),
    db: DbOption = None,
    fdr: Annotated[float, typer.Option(help="False discovery rate for the area list.")] = 0.05,
) -> None:
    """Weapon mix, location types, hour x weekday, age and sex, hotspots of where assaults
    happened, and triangulation with police-recorded violence: the share of ED-treated assaults
    unknown to police, and the areas where ED violence outruns police-recorded violence.

    Restricted output (small numbers): share `vrukit istv share`, not this.
    """
    from vrukit.jobs.istv import run_analysis

    s = _settings(db)
    path = _demo_db(s)
    with _reading(s, path) as wh:
        run = run_analysis(wh, out, q=fdr)
    u = run.unknown
    high = run.tables["ed_high_police_low"]
    console.print(
        f"Unknown to police: [bold]{u.share:.0%}[/bold] of ED-treated assaults "
        f"(95% interval {u.low:.0%} to {u.high:.0%}; {u.assaults:,} placed assaults)."
    )
    if not u.trustworthy:
        console.print(
            f"[yellow]Not to be published: police counts vary {u.dispersion:.2f} times as much "
            "as the estimator assumes (or the interval leaves 0-100%), which biases the share "
            "downwards; the SNA site leaves it out (docs/istv.md).[/]"
        )
    console.print(
        f"Areas where ED violence outruns police-recorded violence: {int(high.flag.sum())}"
    )
    console.print(f"Tables, charts and page in [bold]{run.files['html'].resolve()}[/bold]")


@istv_app.command("share")
def istv_share(
    out: Annotated[Path, typer.Option(help="Folder for the monthly packages.")] = Path(
        "vrukit-istv/share"
    ),
    db: DbOption = None,
    month: Annotated[
        str | None,
        typer.Option(
            help="YYYY-MM (default: the latest month every ED has sent).", show_default=False
        ),
    ] = None,
    min_confidence: Annotated[
        float, typer.Option(help="Place an assault in a CSP only at this location confidence.")
    ] = 0.6,
    suppress_max: SuppressMax = 4,
    round_to: RoundTo = 1,
) -> None:
    """Write the monthly aggregate package for Community Safety Partnerships: assaults by LSOA,
    method and location type for each CSP, through the disclosure-control layer."""
    from vrukit.disclosure import Policy
    from vrukit.jobs.istv import run_share

    s = _settings(db)
    path = _demo_db(s)
    with _reading(s, path) as wh:
        pk = run_share(
            wh, out, month=month, min_confidence=min_confidence,
            policy=Policy(suppress_max, round_to),
        )  # fmt: skip
    sup = pk.protected.suppressed()
    console.print(
        f"Package for {pk.month}: {len(pk.csps)} CSPs, {sup['primary']} cells suppressed, "
        f"{sup['secondary']} withheld, {sup['blanked']} not published."
    )
    console.print(f"In [bold]{pk.folder.resolve()}[/bold] (csp/<name>/ for each CSP).")
