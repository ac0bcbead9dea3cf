"""``vrukit sna --each csp|force``: one SNA website per Community Safety Partnership (local
authority) or per force, and an index page, in one run.

The groups come from one count of the crimes (shared by every site): a CSP is a local
authority's LSOAs; a force is the LSOAs where most of an LSOA's crimes were recorded by that
force. Each site is then the ordinary ``run_sna`` on its areas alone (its own hot spots, trend,
risk model and disclosure control), reading the same warehouse or lake connection. A group whose
site cannot be built (no population for its areas, no crimes) is listed on the index with the
reason, and the others are still built.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import ibis.expr.types as ir
import pandas as pd

from vrukit.errors import ConfigError, VrukitError
from vrukit.ingest.forces import force_name
from vrukit.jobs.analyse import Selection, areas_of_vintage, monthly_counts
from vrukit.jobs.risk import RiskOptions
from vrukit.jobs.sna import run_sna
from vrukit.publish._data import slug
from vrukit.publish.site import SiteOptions
from vrukit.publish.sites_index import Entry, write_index
from vrukit.store.warehouse import Warehouse

__all__ = ["EACH", "Group", "area_groups", "run_sna_each"]

#: What ``--each`` can split by.
EACH = ("csp", "force")


@dataclass(frozen=True)
class Group:
    """One site's areas: a folder-safe ``slug``, the ``name`` its pages say, its LSOA codes."""

    slug: str
    name: str
    areas: tuple[str, ...]


def area_groups(wh: Warehouse, by: str, crimes: ir.Table | None = None) -> list[Group]:
    """The sites of ``by`` ("csp" or "force"): the areas (of the LSOA vintage that best covers
    the crimes) grouped by local authority, or by the force recording most of each area's
    crimes. Sorted by name."""
    if by not in EACH:
        raise ConfigError(f"--each {by!r}: choose one of {', '.join(EACH)}")
    counts = monthly_counts(wh, Selection(map_months=None), crimes=crimes)
    areas = areas_of_vintage(wh, counts.lsoa_code)
    if by == "csp":
        a = areas.dropna(subset=["lad_code"])
        if a.empty:
            raise VrukitError(
                "no area has a local authority: load the rollups lookup (vrukit ingest rollups)"
            )
        groups = []
        for code, g in a.groupby("lad_code"):
            names = g.lad_name.dropna()
            name = str(names.iloc[0]) if len(names) else str(code)
            groups.append(Group(f"{slug(name)}_{str(code).lower()}", name,
                                tuple(sorted(g.lsoa_code))))  # fmt: skip
    else:
        c = crimes if crimes is not None else wh.table("crimes")
        per = c.filter(c.lsoa_code.isin(list(areas.lsoa_code)))
        per = per.group_by(["lsoa_code", "force"]).aggregate(n=per.count()).to_pandas()
        per = per.sort_values(["lsoa_code", "n", "force"], ascending=[True, False, True])
        top = per.drop_duplicates("lsoa_code")
        groups = [
            Group(slug(str(f)), force_name(str(f)) or str(f), tuple(sorted(g.lsoa_code)))
            for f, g in top.groupby("force")
        ]
    return sorted(groups, key=lambda g: g.name)


def run_sna_each(
    wh: Warehouse,
    out: Path,
    by: str,
    *,
    options: SiteOptions = SiteOptions(),
    risk_options: RiskOptions | None = None,
    indicators: Sequence[Path] = (),
    crimes: ir.Table | None = None,
    only: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
) -> list[Entry]:
    """One site per group under ``out/<slug>/`` and ``out/index.html`` listing them (``only``:
    just the groups with these slugs). Returns the index's entries."""
    say = progress or (lambda _m: None)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file: give a folder for the websites")
    groups = area_groups(wh, by, crimes)
    if only:
        groups = [g for g in groups if g.slug in set(only)]
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for k, g in enumerate(groups, 1):
        say(f"site {k} of {len(groups)}: {g.name}")
        began = time.perf_counter()
        try:
            run = run_sna(
                wh,
                out / g.slug,
                indicators=indicators,
                risk_options=risk_options,
                options=replace(options, region=g.name),
                selection=Selection(areas=g.areas),
                crimes=crimes,
            )
        except VrukitError as e:
            entries.append(Entry(g.slug, g.name, len(g.areas), None, str(e)))
            continue
        seconds = time.perf_counter() - began
        entries.append(Entry(g.slug, g.name, len(g.areas), len(run.pages), None, seconds))
    title = "Strategic needs assessments" + (f" in {options.region}" if options.region else "")
    title += " by " + ("Community Safety Partnership" if by == "csp" else "police force")
    write_index(out / "index.html", title, entries)
    return entries


def entries_frame(entries: Sequence[Entry]) -> pd.DataFrame:
    """The entries as a table (for printing and benchmarks)."""
    return pd.DataFrame([e.__dict__ for e in entries])
