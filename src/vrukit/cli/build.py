"""``vrukit build``: a real area's warehouse from published files, in one command."""

from __future__ import annotations

from rich.table import Table

from vrukit.cli._app import app, console
from vrukit.cli._common import _settings, _warehouse, print_report, steps
from vrukit.cli._options import (
    AreaCodes,
    DbOption,
    ForceSlug,
    MinShare,
    PolicePaths,
    ReferencePaths,
)


@app.command("build")
def build(
    police: PolicePaths,
    reference: ReferencePaths,
    db: DbOption = None,
    force: ForceSlug = None,
    area: AreaCodes = None,
    min_share: MinShare = 0.01,
) -> None:
    """Load a force's or a CSP's published files (police.uk, ONS, MHCLG) into the warehouse:
    each reference file recognised by its header, the LSOA vintage found from the police
    files, invalid polygons repaired, files of the other vintage left out with the reason."""
    from vrukit.jobs.build import build as run_build

    with _warehouse(_settings(db), for_ingest=True) as wh, steps("building") as say:
        report = run_build(
            wh, police, reference, force=force, areas=area or (), min_share=min_share,
            progress=say,
        )  # fmt: skip
    t = Table(title=f"Reference files (the build is on LSOA {report.vintage})")
    for col in ("file", "kind", "vintage", "read", "loaded", "repaired", "note"):
        right = col in ("read", "loaded", "repaired")
        t.add_column(col, justify="right" if right else "left", overflow="fold")
    for r in report.rows:
        t.add_row(
            r.file, r.kind, str(r.vintage or "-"), f"{r.rows_read:,}", f"{r.loaded:,}",
            str(r.repaired or ""), r.note,
        )  # fmt: skip
    console.print(t)
    for why, names in report.not_recognised.items():
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        console.print(f"[dim]not loaded ({why}): {shown}[/dim]")
    if report.police is not None:
        print_report(report.police, "police.uk street files")
    console.print(
        f"{report.areas:,} LSOA {report.vintage} areas in "
        f"{len(report.local_authorities)} local authorities: "
        f"{', '.join(report.local_authorities)}."
    )
    if report.outside_crimes:
        console.print(
            f"{report.outside_crimes:,} of {report.crimes_read:,} crimes fall in LSOAs outside "
            "these areas (over the border, or codes of the other vintage): the analyses count "
            "them apart."
        )
    if report.other_vintage_crimes:
        console.print(
            f"[yellow]{report.other_vintage_crimes:,} of {report.crimes_read:,} crimes carry "
            "LSOA codes found only in boundary files of the other vintage:[/]"
        )
        for name, n in list(report.other_vintage_files.items())[:10]:
            console.print(f"[yellow]  {name}: {n:,}[/]")
        n = sum(report.converted.values())
        console.print(
            f"{n:,} of them were placed in LSOA {report.vintage} areas by their map points, as "
            "police.uk places records (the published code is kept in crimes.lsoa_published); "
            f"the other {report.other_vintage_crimes - n:,} count as outside the areas."
        )
