"""A national-sized synthetic region: every territorial force of England and Wales, with about
35,000 small areas and about 500,000 police.uk records a month, for any number of months.

Each force is a region of its own drawn as the demo region is (:func:`vrukit.demo.make_region`,
with its own planted hotspots and the same crime model), laid on a grid across England and Wales
in British National Grid, with codes that are unique nationally. Crimes are written force by
force and month by month as police.uk publishes them (``YYYY-MM/YYYY-MM-<force>-street.csv``),
so memory holds one force's expected counts and one month's rows, never the whole period.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from vrukit.demo import MIN_AREAS, _plant, _records, month_labels
from vrukit.demo._stable import json_text
from vrukit.demo._writers import write_reference
from vrukit.demo.crimes import expected_counts, violence_base
from vrukit.demo.region import IMD_WEIGHTS, Region, make_region
from vrukit.errors import ConfigError
from vrukit.ingest.forces import DEMO_FORCE, FORCES

__all__ = ["NATIONAL_FORCES", "NationalFiles", "build_national", "national_files"]

#: The 43 territorial forces of England and Wales (police.uk slugs).
NATIONAL_FORCES = tuple(f for f in FORCES if f not in (DEMO_FORCE[0], "btp", "northern-ireland"))
#: Grid of force regions: 7 columns, 50 km apart, from this south-west corner (EPSG:27700).
_GRID = (7, 50_000.0, 40_000.0, np.array([200_000.0, 140_000.0]))
_REGION_CENTRE = np.array([420_000.0, 285_000.0])  # where make_region draws every region
#: The demo's rates and hotspots give ~680,000 records a month over 35,000 areas; the country
#: records about 500,000 (police.uk, 2023), so every expected count is scaled by this.
RATE_SCALE = 0.73


@dataclass(frozen=True)
class NationalFiles:
    """Where ``build_national`` wrote each part."""

    folder: Path
    policeuk: Path
    boundaries: Path
    deprivation: Path
    population: Path
    truth: Path
    months: tuple[str, ...]
    areas: int
    crimes_written: int


def national_files(folder: Path | str) -> NationalFiles:
    """The files of a national region ``build_national`` already wrote into ``folder``."""
    out = Path(folder)
    truth = json.loads((out / "truth.json").read_text())
    return NationalFiles(
        out,
        out / "policeuk",
        out / "lsoa_boundaries.geojson",
        out / "iod2019_file7.csv",
        out / "population.csv",
        out / "truth.json",
        tuple(truth["months"]),
        int(truth["areas"]),
        int(truth["crimes_written"]),
    )


def _sizes(n_areas: int, forces: int) -> list[int]:
    """Areas per force: near equal, summing to ``n_areas``."""
    base, extra = divmod(n_areas, forces)
    return [base + (1 if k < extra else 0) for k in range(forces)]


def _force_region(seed: int, k: int, n: int, first_code: int) -> Region:
    """Force ``k``'s region, moved to its place on the grid and given national codes."""
    cols, dx, dy, corner = _GRID
    offset = corner + np.array([(k % cols) * dx, (k // cols) * dy]) - _REGION_CENTRE
    r = make_region(seed * 1000 + k, n)
    a = r.areas.copy()
    title = NATIONAL_FORCES[k].replace("-", " ").title()
    a["lsoa_code"] = [f"E01{first_code + i:06d}" for i in range(n)]
    a["msoa_code"] = [f"E02{k:02d}{c[-4:]}" for c in a.msoa_code]
    a["lad_code"] = [f"E06{k:02d}{int(i):04d}" for i in a.lad_index]
    a["lad_name"] = title + " " + a.lad_name
    a["lsoa_name"] = title + " " + a.lsoa_name
    a["msoa_name"] = title + " " + a.msoa_name
    a["easting"] += offset[0]
    a["northing"] += offset[1]
    geometry = shapely.transform(r.geometry, lambda xy: xy + offset)
    return Region(a, geometry, shapely.transform(r.boundary, lambda xy: xy + offset))


def _national_ranks(areas: pd.DataFrame) -> pd.DataFrame:
    """Deprivation ranks and deciles over all the country's areas, as IoD2019 ranks them."""
    n = len(areas)
    for stem in ("imd", *IMD_WEIGHTS, "idaci", "idaopi"):
        rank = areas[f"{stem}_score"].rank(ascending=False, method="first").astype(int)
        areas[f"{stem}_rank"] = rank
        areas[f"{stem}_decile"] = np.ceil(rank * 10 / n).astype(int)
    return areas


def build_national(
    folder: Path | str,
    *,
    months: int = 12,
    seed: int = 2021,
    n_areas: int = 35_000,
    forces: int = len(NATIONAL_FORCES),
    progress: Callable[[str], None] | None = None,
) -> NationalFiles:
    """Write the national region into ``folder``: police.uk files for ``months`` months from
    April 2019, boundaries, IoD2019-style deprivation, population and ``truth.json``."""
    say = progress or (lambda _m: None)
    if not 1 <= forces <= len(NATIONAL_FORCES):
        raise ConfigError(f"forces is {forces}: 1 to {len(NATIONAL_FORCES)}")
    if n_areas < MIN_AREAS * forces:
        raise ConfigError(
            f"the national region needs at least {MIN_AREAS} small areas per force "
            f"({MIN_AREAS * forces:,} for {forces}); got {n_areas:,}"
        )
    out = Path(folder)
    police = out / "policeuk"
    police.mkdir(parents=True, exist_ok=True)
    labels = month_labels(months)
    sizes = _sizes(n_areas, forces)
    regions: list[Region] = []
    truth: dict[str, object] = {"seed": seed, "months": labels, "forces": {}}
    written = 0
    for k, n in enumerate(sizes):
        slug = NATIONAL_FORCES[k]
        say(f"force {k + 1} of {forces}: {slug}, {n} areas, {months} months")
        region = _force_region(seed, k, n, 900_001 + sum(sizes[:k]))
        regions.append(region)
        written += _write_force(police, region, slug, labels, seed, k, truth)
    say("writing boundaries, deprivation and population")
    areas = _national_ranks(pd.concat([r.areas for r in regions], ignore_index=True))
    national = Region(areas, np.concatenate([r.geometry for r in regions]), regions[0].boundary)
    files = NationalFiles(
        out,
        police,
        *write_reference(national, out),
        out / "truth.json",
        tuple(labels),
        len(areas),
        written,
    )
    truth.update(areas=len(areas), crimes_written=written)
    files.truth.write_text(json_text(truth))
    return files


def _write_force(
    police: Path, region: Region, slug: str, labels: list[str], seed: int, k: int, truth: dict
) -> int:
    """Plant the force's hotspots, draw its crimes and write one file per month."""
    rng = np.random.default_rng([seed, 7, k])
    model = _plant(rng, region, len(labels))
    lam = RATE_SCALE * expected_counts(model, region.areas, len(labels))
    pts, names = _records.snap_points(rng, region.geometry)
    pts_text = _records.point_text(_records.to_lonlat(pts))
    written = 0
    for t, month in enumerate(labels):
        counts = rng.poisson(lam[:, t, :])
        rows = _records.month_rows(rng, counts, region.areas, pts_text, names, month, FORCES[slug])
        _records.write_month(rows, police, month, slug)
        written += len(rows)
    truth["forces"][slug] = {
        "areas": len(region.areas),
        "expected_crimes": float(lam.sum()),
        "expected_violence_per_month": RATE_SCALE * float(violence_base(model, region.areas).sum()),
        "hotspots": {h.name: {"kind": h.kind, "areas": list(h.areas)} for h in model.hotspots},
    }
    return written
