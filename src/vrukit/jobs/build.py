"""``vrukit build``: a real area's warehouse from the files police.uk, ONS and MHCLG publish.

One call does what eight ``vrukit ingest`` commands and three geography vintages did by hand:

1. every reference file is recognised by its header (``vrukit.ingest.recognise``);
2. the police.uk street files (one force's with ``force``) are loaded first, as given, and their
   LSOA codes read back from the warehouse; the boundaries of each vintage found are matched
   against them: the vintage that places most crimes is the build's (police.uk moved from LSOA
   2011 to 2021 during 2023; a month may mix them), and crimes on codes of the other vintage are
   counted, named, and placed in the areas by their map points (``store.placement``);
3. the area is the local authorities holding at least ``min_share`` of those crimes (a force's
   files carry a few records placed over its border), or exactly the ``areas`` given (local
   authority or LSOA codes) - a Community Safety Partnership is one local authority;
4. boundaries (repaired where invalid), rollups, the change lookup, population and deprivation
   of that vintage are loaded in that order, each file through the same guard as ``vrukit
   ingest`` (a file of the other vintage is left out, with the reason), and a file already
   loaded with the same bytes is left alone.

The report has one row per file: what it is, its vintage, rows read and loaded, polygons
repaired, and why a file was left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import pandas as pd

from vrukit.errors import InputFileError, VrukitError
from vrukit.ingest._sources import sha256_file
from vrukit.ingest.geography import derive_lsoa_lookup, read_area_lookup, read_lsoa_lookup
from vrukit.ingest.recognise import Recognised, find_reference
from vrukit.ingest.reference import read_boundaries, read_iod, read_population
from vrukit.store.placement import known_codes, place_by_point
from vrukit.store.reports import IngestReport
from vrukit.store.warehouse import Warehouse

__all__ = ["BuildReport", "BuildRow", "build"]


@dataclass
class BuildRow:
    """One file of a build: what it is and what became of it."""

    file: str
    kind: str
    vintage: int | None
    rows_read: int = 0
    loaded: int = 0
    repaired: int = 0
    note: str = ""


@dataclass
class BuildReport:
    """What ``build`` loaded: one row per file, the vintage and area chosen, police accounting."""

    vintage: int
    local_authorities: list[str]
    areas: int
    rows: list[BuildRow] = field(default_factory=list)
    police: IngestReport | None = None
    other_vintage_crimes: int = 0
    crimes_read: int = 0
    #: street files holding crimes on codes found only in the other vintage's boundaries
    other_vintage_files: dict[str, int] = field(default_factory=dict)
    #: files not recognised, by the reason
    not_recognised: dict[str, list[str]] = field(default_factory=dict)
    #: crimes on LSOA codes outside the build's areas (over the border, or the other vintage)
    outside_crimes: int = 0
    #: crimes converted to the build's vintage by their map point, per street file
    converted: dict[str, int] = field(default_factory=dict)


def _codes(wh: Warehouse, police: IngestReport) -> pd.DataFrame:
    """Crimes per street file and LSOA code (``file``, ``lsoa_code``, ``n``) of the force-months
    the ingest ``police`` covered, read back from the warehouse (quarantined rows left out)."""
    keys = police.files.source_key.str.split("/", expand=True)
    cover = ibis.memtable(pd.DataFrame({
        "force": keys[0], "month": pd.to_datetime(keys[1] + "-01").dt.date,
    }))  # fmt: skip
    c = wh.table("crimes").semi_join(cover, ["force", "month"])
    # the code as published (an earlier build may have converted it)
    c = c.mutate(lsoa_code=c.lsoa_published.fill_null(c.lsoa_code))
    c = c.filter(c.lsoa_code.notnull())
    n = c.group_by(["source_file", "lsoa_code"]).aggregate(n=lambda t: t.count()).to_pandas()
    return pd.DataFrame(
        {"file": n.source_file.map(lambda f: Path(str(f)).name), "lsoa_code": n.lsoa_code,
         "n": n.n.astype(int)}
    ).sort_values(["file", "lsoa_code"], ignore_index=True)  # fmt: skip


def _unchanged(wh: Warehouse, kind: str, path: Path) -> bool:
    log = wh.table("ingest_log")
    rows = log.filter((log.kind == kind) & (log.source_key == path.name)).to_pandas()
    return bool(len(rows)) and rows.sha256.iloc[0] == sha256_file(path)


def _choose_areas(
    frames: pd.DataFrame, counts: pd.Series, areas: Sequence[str], min_share: float
) -> pd.DataFrame:
    """The boundary rows of the build's area: the given LA or LSOA codes, else the local
    authorities holding at least ``min_share`` of the crimes placed in the boundaries."""
    if areas:
        wanted = set(areas)
        chosen = frames[frames.lad_code.isin(wanted) | frames.lsoa_code.isin(wanted)]
        unknown = wanted - set(frames.lad_code.dropna()) - set(frames.lsoa_code)
        if unknown:
            raise VrukitError(
                f"area code(s) {sorted(unknown)[:5]} are in none of the boundary files "
                "(give local authority codes such as E08000012, or LSOA codes)"
            )
        return chosen
    if frames.lad_code.isna().all():
        raise VrukitError(
            "the boundaries carry no local authority codes and no rollup lookup was given: add "
            "ONS's OA-LSOA-MSOA-LA lookup to --reference, or name the areas with --area"
        )
    n = frames.assign(n=frames.lsoa_code.map(counts).fillna(0)).groupby("lad_code").n
    per_la, reached = n.sum(), n.apply(lambda s: (s > 0).mean())
    # a force's own LA holds many of its crimes, or has crimes in most of its areas however
    # small it is (the Isles of Scilly); a neighbour only has records near the border
    keep = per_la[(per_la >= min_share * per_la.sum()) | (reached >= 0.5)].index
    return frames[frames.lad_code.isin(keep)]


def _boundaries(
    refs: list[Recognised], counts: pd.Series
) -> tuple[int, dict[int, list[tuple[Recognised, pd.DataFrame]]], set[str]]:
    """Read the boundary files; pick the vintage that places most crimes. Returns the vintage,
    the files with their frames by vintage, and the codes found only in another vintage's
    boundaries."""
    frames: dict[int, list[tuple[Recognised, pd.DataFrame]]] = {}
    for r in refs:
        if r.kind == "boundaries" and r.vintage is not None:
            frames.setdefault(r.vintage, []).append((r, read_boundaries(r.path)))
    if not frames:
        raise VrukitError("no LSOA boundary file among the reference files (LSOA11CD/LSOA21CD)")
    codes = {v: set().union(*(set(f.lsoa_code) for _, f in fs)) for v, fs in frames.items()}
    placed = {v: int(counts[counts.index.isin(c)].sum()) for v, c in codes.items()}
    vintage = max(placed, key=lambda v: (placed[v], v))
    if placed[vintage] == 0:
        raise VrukitError(
            "none of the police files' LSOA codes is in the boundary files: are they for "
            f"another area? (first codes: {', '.join(counts.index[:3])})"
        )
    others = set().union(*(c for v, c in codes.items() if v != vintage)) - codes[vintage]
    return vintage, frames, others


def _rollups(refs: list[Recognised], vintage: int) -> pd.DataFrame | None:
    files = [r for r in refs if r.kind == "rollups" and r.vintage == vintage]
    return pd.concat([read_area_lookup(r.path) for r in files]) if files else None


def build(
    wh: Warehouse,
    police: Sequence[Path | str],
    reference: Sequence[Path | str],
    *,
    force: str | None = None,
    areas: Sequence[str] = (),
    min_share: float = 0.01,
    progress: Callable[[str], None] | None = None,
) -> BuildReport:
    """Load a real area into ``wh`` from published files (see the module docstring)."""
    say = progress or (lambda _m: None)
    say("recognising the reference files")
    missing = [str(p) for p in reference if not Path(p).exists()]
    if missing:
        raise VrukitError(f"--reference {', '.join(missing)}: no such file or folder")
    refs = find_reference(reference)
    broken = [r for r in refs if r.what.startswith("cannot be read")]
    if broken:  # a cut-short download would silently lose its areas or rows
        raise VrukitError(
            "; ".join(f"{r.path}: {r.what}" for r in broken[:5]) + ". Download the file again "
            "(a truncated download is the usual cause), or move it out of the reference folder"
        )
    # the police files first, as given (a zip's rows keep "archive!member" as their source):
    # their LSOA codes, read back, decide the vintage and the area
    say("loading the police.uk files")
    police_report = wh.ingest_police(police, force=force)
    per_file = _codes(wh, police_report)
    counts = per_file.groupby("lsoa_code").n.sum()
    say("matching the boundaries")
    vintage, by_vintage, others = _boundaries(refs, counts)
    bounds = by_vintage[vintage]
    lookup = _rollups(refs, vintage)
    frames = pd.concat([f for _, f in bounds]).drop_duplicates("lsoa_code")
    if lookup is not None and frames.lad_code.isna().any():
        lad = frames.lsoa_code.map(lookup.set_index("lsoa_code").lad_code)
        frames = frames.assign(lad_code=frames.lad_code.fillna(lad))
    chosen = _choose_areas(frames, counts, areas, min_share)
    report = BuildReport(vintage, sorted(set(chosen.lad_code.dropna())), len(chosen))
    report.police = police_report
    report.outside_crimes = int(counts[~counts.index.isin(chosen.lsoa_code)].sum())
    report.crimes_read = int(counts.sum())
    say(f"loading {len(chosen):,} LSOA {vintage} areas and their reference data")
    _load_boundaries(wh, bounds, set(chosen.lsoa_code), vintage, report)
    other_bounds = [rf for v, fs in by_vintage.items() if v != vintage for rf in fs]
    _load_tables(wh, refs, vintage, report, chosen, other_bounds)
    # codes of the other vintage: in no loaded file of the build's vintage (the national
    # population and IoD list every code), or, without them, in the other's boundaries only
    known = set(known_codes(wh, vintage).to_pandas().lsoa_code)
    national = len(known) > 2 * len(chosen)
    other = ~per_file.lsoa_code.isin(known) & (
        True if national else per_file.lsoa_code.isin(others)
    )
    off = per_file[other].groupby("file").n.sum()
    report.other_vintage_files = {str(f): int(n) for f, n in off.items()}
    report.other_vintage_crimes = int(off.sum())
    if report.other_vintage_crimes:
        say("placing crimes on the other vintage's codes by their map points")
        place_by_point(wh, vintage)
        # every converted record of these files, this build's or an earlier one's
        c = wh.table("crimes")
        done = (
            c.filter(c.lsoa_published.notnull())
            .group_by("source_file")
            .aggregate(converted=lambda t: t.count())
            .to_pandas()
        )
        names = set(report.other_vintage_files)
        report.converted = {
            Path(str(f)).name: int(n)
            for f, n in zip(done.source_file, done.converted, strict=True)
            if Path(str(f)).name in names
        }
        report.outside_crimes -= sum(report.converted.values())
    for r in refs:
        if r.kind == "boundaries" and r.vintage != vintage:
            report.rows.append(BuildRow(r.path.name, r.kind, r.vintage, note=_OTHER))
    for r in refs:
        if r.kind is None:
            report.not_recognised.setdefault(r.what, []).append(r.path.name)
    return report


#: Why a file of the other LSOA vintage is not loaded.
_OTHER = "other LSOA vintage"


def _load_boundaries(
    wh: Warehouse,
    bounds: list[tuple[Recognised, pd.DataFrame]],
    keep: set[str],
    vintage: int,
    report: BuildReport,
) -> None:
    for r, frame in bounds:
        mine = frame[frame.lsoa_code.isin(keep)]
        row = BuildRow(r.path.name, "boundaries", vintage, int(frame.attrs.get("rows_read", 0)))
        row.repaired = sum(1 for x in frame.attrs.get("repairs", []) if x["lsoa_code"] in keep)
        if len(mine):
            mine = mine.reset_index(drop=True)
            mine.attrs = {**frame.attrs, "rows_read": len(mine)}
            row.loaded = wh.load_reference("boundaries", mine, table="areas", source=r.path)
        if len(frame) > len(mine):
            row.note = f"{len(frame) - len(mine):,} areas outside the build"
        report.rows.append(row)
    wh.keep_areas(vintage, keep)


def _load_tables(
    wh: Warehouse,
    refs: list[Recognised],
    vintage: int,
    report: BuildReport,
    chosen: pd.DataFrame,
    other_bounds: list[tuple[Recognised, pd.DataFrame]],
) -> None:
    native = any(r.kind == "population" and r.vintage in (None, vintage) for r in refs)
    foreign = any(r.kind == "population" and r.vintage not in (None, vintage) for r in refs)
    for kind in ("rollups", "lsoa-lookup"):  # the change lookup before population
        for r in refs:
            if r.kind == kind:
                report.rows.append(_load_one(wh, r, vintage, convert=not native))
    if foreign and not native and other_bounds and not _has_lookup(wh):
        report.rows.append(_derive_lookup(wh, vintage, chosen, other_bounds))
    for r in refs:
        if r.kind == "population":
            report.rows.append(_load_one(wh, r, vintage, convert=not native))
    _load_iod(wh, refs, vintage, report)


def _load_iod(wh: Warehouse, refs: list[Recognised], vintage: int, report: BuildReport) -> None:
    """Load the IoD files of the build's vintage, each edition's files as one frame."""
    iod = [r for r in refs if r.kind == "deprivation"]
    for edition_vintage in sorted({r.vintage or 0 for r in iod}):
        group = [r for r in iod if (r.vintage or 0) == edition_vintage]
        names = " + ".join(r.path.name for r in group)
        if edition_vintage != vintage:
            report.rows.append(BuildRow(names, "deprivation", edition_vintage, note=_OTHER))
            continue
        frame = read_iod([r.path for r in group])
        kind = str(frame.edition.iloc[0]).lower()
        if all(_unchanged(wh, kind, r.path) for r in group):
            report.rows.append(BuildRow(names, "deprivation", vintage, note="unchanged"))
            continue
        try:
            n = wh.load_reference(kind, frame, table="deprivation", source=group[-1].path)
        except InputFileError as e:  # e.g. Welsh areas: the build goes on without deprivation
            report.rows.append(BuildRow(names, "deprivation", vintage, len(frame), note=str(e)))
            continue
        report.rows.append(BuildRow(names, "deprivation", vintage, len(frame), n))


def _load_one(wh: Warehouse, r: Recognised, vintage: int, *, convert: bool) -> BuildRow:
    """Load one rollup, change lookup or population file. A population file of the other
    vintage is converted through the change lookup when ``convert`` (no file of the build's
    own vintage was given) and a lookup is loaded; otherwise it is left out, saying why."""
    row = BuildRow(r.path.name, str(r.kind), r.vintage)
    other = r.vintage is not None and r.vintage != vintage and r.kind != "lsoa-lookup"
    if other and not (r.kind == "population" and convert and _has_lookup(wh)):
        row.note = _OTHER
        if r.kind == "population" and convert:
            row.note += (
                "; add ONS's LSOA 2011 to 2021 lookup (LSOA11CD, LSOA21CD, CHGIND) to "
                "--reference to convert it"
            )
        return row
    if _unchanged(wh, str(r.kind), r.path):
        row.note = "unchanged"
        return row
    if r.kind == "rollups":
        lookup = read_area_lookup(r.path)
        row.rows_read, row.loaded = len(lookup), wh.apply_area_lookup(lookup, source=r.path)
    elif r.kind == "lsoa-lookup":
        frame = read_lsoa_lookup(r.path)
        row.rows_read = len(frame)
        row.loaded = wh.load_reference("lsoa-lookup", frame, table="lsoa_lookup", source=r.path)
    else:
        frame = read_population(r.path)
        row.rows_read = len(frame)
        row.loaded = wh.load_reference("population", frame, table="population", source=r.path)
        if other:
            row.note = f"converted to LSOA {vintage} through the change lookup"
    return row


def _derive_lookup(
    wh: Warehouse,
    vintage: int,
    chosen: pd.DataFrame,
    other_bounds: list[tuple[Recognised, pd.DataFrame]],
) -> BuildRow:
    """The change lookup derived from the build's areas and the other vintage's boundaries
    (area shares; ONS's published lookup is better, and used when given)."""
    r = other_bounds[0][0]
    theirs = pd.concat([f for _, f in other_bounds]).drop_duplicates("lsoa_code")
    pair = (chosen, theirs) if vintage == 2011 else (theirs, chosen)
    lookup = derive_lsoa_lookup(*pair)
    lookup.attrs["message"] = (
        f"LSOA 2011 to 2021 change lookup derived from the boundaries in {r.path.name} and the "
        "build's (shares of area; ONS's published lookup is better: add it to --reference)"
    )
    n = wh.load_reference("lsoa-lookup", lookup, table="lsoa_lookup", source=r.path)
    return BuildRow(r.path.name, "lsoa-lookup (derived)", r.vintage, len(lookup), n)


def _has_lookup(wh: Warehouse) -> bool:
    [(n,)] = wh.con.raw_sql("SELECT count(*) FROM lsoa_lookup").fetchall()
    return bool(n)
