"""The synthetic demo region: a fictional force area generated from a seed, with its ground truth.

``build_demo(folder)`` writes the region in the formats partners really publish - police.uk street
CSVs (one per month), LSOA boundaries as GeoJSON, IoD2019-style deprivation and population by age
band - together with ``truth.json`` and ``truth_areas.csv``: every planted parameter and area.
Nothing is read from disk or the network; the same seed gives the same files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vrukit.demo import _records
from vrukit.demo._writers import write_boundaries, write_iod, write_population
from vrukit.demo.crimes import (
    CrimeModel,
    Hotspot,
    Pilot,
    expected_counts,
    simulate_counts,
    violence_base,
)
from vrukit.demo.region import LA_NAMES, Region, make_region
from vrukit.ingest.forces import DEMO_FORCE
from vrukit.schemas import CRIME_TYPES, VIOLENCE_TYPES

__all__ = ["DemoFiles", "build_demo", "make_region"]

FIRST_MONTH = (2019, 4)
PILOT_NAMES = ("Redwater Central", "Northbrook Fields", "Eastford Canalside")


@dataclass(frozen=True)
class DemoFiles:
    """Where ``build_demo`` wrote each part of the region."""

    folder: Path
    policeuk: Path
    boundaries: Path
    deprivation: Path
    population: Path
    truth: Path
    truth_areas: Path
    crimes_written: int


def month_labels(months: int) -> list[str]:
    y, m = FIRST_MONTH
    out = []
    for k in range(months):
        mm = m - 1 + k
        out.append(f"{y + mm // 12}-{mm % 12 + 1:02d}")
    return out


def _nearest(xy: np.ndarray, centre: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(((xy - centre) ** 2).sum(1))[:k]


def _plant(rng: np.random.Generator, region: Region, months: int) -> CrimeModel:
    a = region.areas
    xy = a[["easting", "northing"]].to_numpy()
    weight = np.exp(1.2 * a.latent_deprivation.to_numpy())
    order = rng.choice(len(a), len(a), replace=False, p=weight / weight.sum())
    centres: list[np.ndarray] = []
    for i in order:
        if all(np.hypot(*(xy[i] - c)) > 3500 for c in centres):
            centres.append(xy[i])
        if len(centres) == 15:
            break
    model = CrimeModel()
    kinds = ["persistent", "emerging", "diminishing"] * 4
    for h, (kind, c) in enumerate(zip(kinds, centres[:12], strict=True)):
        radius = float(rng.uniform(700, 1200))
        inside = np.nonzero(np.hypot(*(xy - c).T) <= radius)[0]
        if len(inside) < 6:
            inside = _nearest(xy, c, 6)
        model.hotspots.append(
            Hotspot(
                f"H{h + 1:02d}",
                kind,
                (float(c[0]), float(c[1])),
                radius,
                float(rng.uniform(2.5, 3.5)),
                tuple(a.lsoa_code.iloc[inside]),
            )
        )
    for name, c in zip(PILOT_NAMES, centres[12:15], strict=True):
        idx = _nearest(xy, c, 10)
        model.pilots.append(Pilot(name, tuple(a.lsoa_code.iloc[idx]), months // 2, 0.25))
    return model


def _truth(
    seed: int, months: list[str], model: CrimeModel, region: Region, lam: np.ndarray
) -> dict:
    d = asdict(model)
    for h, hs in zip(d["hotspots"], model.hotspots, strict=True):
        h["expected_pattern"] = hs.expected_pattern
        h["shape_by_month"] = dict(
            zip(months, hs.shape(len(months)).round(4).tolist(), strict=True)
        )
    for p in d["pilots"]:
        p["start_month"] = months[p.pop("start_index")]
    return {
        "seed": seed,
        "force": {"slug": DEMO_FORCE[0], "name": DEMO_FORCE[1]},
        "months": months,
        "local_authorities": list(LA_NAMES),
        "areas": len(region.areas),
        "violence_types": list(VIOLENCE_TYPES),
        "model": d,
        "expected_crimes": float(lam.sum()),
        "note": "Expected counts are Poisson means; see vrukit/demo/crimes.py for the model.",
    }


def _truth_areas(model: CrimeModel, region: Region, lam: np.ndarray) -> pd.DataFrame:
    a = region.areas
    violent = [CRIME_TYPES.index(c) for c in VIOLENCE_TYPES]
    out = pd.DataFrame(
        {
            "lsoa_code": a.lsoa_code,
            "latent_deprivation": a.latent_deprivation.round(4),
            "expected_violence": lam[:, :, violent].sum((1, 2)).round(3),
            "hotspot": "",
            "hotspot_kind": "",
            "expected_pattern": "",
            "pilot": "",
        }
    )
    base = violence_base(model, a)
    reference = float(np.percentile(base, 95))
    out["hotspot_lift"] = 1.0
    for hs in model.hotspots:
        m = out.lsoa_code.isin(hs.areas)
        out.loc[m, "hotspot_lift"] = hs.level_multipliers(base[m.to_numpy()], reference).round(4)
        out.loc[m, "hotspot"], out.loc[m, "hotspot_kind"] = hs.name, hs.kind
        out.loc[m, "expected_pattern"] = hs.expected_pattern
    for p in model.pilots:
        out.loc[out.lsoa_code.isin(p.areas), "pilot"] = p.name
    return out


def build_demo(
    folder: Path | str,
    *,
    seed: int = 2021,
    months: int = 36,
    n_areas: int = 1750,
    progress: Callable[[str], None] | None = None,
) -> DemoFiles:
    """Generate the demo region into ``folder`` (deterministic for a given seed)."""
    say = progress or (lambda _msg: None)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    say("drawing small areas")
    region = make_region(seed, n_areas)
    rng = np.random.default_rng([seed, 2])
    labels = month_labels(months)
    model = _plant(rng, region, months)
    lam = expected_counts(model, region.areas, months)
    counts = simulate_counts(rng, lam)
    pts, names = _records.snap_points(rng, region.geometry)
    pts_ll = _records.to_lonlat(pts)
    police = out / "policeuk"
    written = 0
    for t, month in enumerate(labels):
        say(f"writing police.uk month {month}")
        rows = _records.month_rows(
            rng, counts[:, t, :], region.areas, pts_ll, names, month, DEMO_FORCE[1]
        )
        _records.write_month(rows, police, month, DEMO_FORCE[0])
        written += len(rows)
    say("writing boundaries, deprivation, population and truth")
    files = DemoFiles(
        out,
        police,
        write_boundaries(region, out / "lsoa_boundaries.geojson"),
        write_iod(region, out / "iod2019_file7.csv"),
        write_population(region, out / "population.csv"),
        out / "truth.json",
        out / "truth_areas.csv",
        written,
    )
    truth = _truth(seed, labels, model, region, lam)
    files.truth.write_text(json.dumps(truth, indent=1))
    _truth_areas(model, region, lam).to_csv(files.truth_areas, index=False)
    return files
