"""The synthetic demo region: a fictional force area generated from a seed, with its ground truth.

``build_demo(folder)`` writes the region in the formats partners really publish - police.uk street
CSVs (one per month), LSOA boundaries as GeoJSON, IoD2019-style deprivation and population by age
band - together with ``truth.json`` and ``truth_areas.csv``: every planted parameter and area.
Nothing is read from disk or the network; the same seed gives the same files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from vrukit.demo import _records
from vrukit.demo._stable import json_text, order
from vrukit.demo._writers import REFERENCE_FILES, write_reference
from vrukit.demo.commissioning import write_programme_year
from vrukit.demo.crimes import (
    CrimeModel,
    Hotspot,
    Pilot,
    expected_counts,
    simulate_counts,
    violence_base,
)
from vrukit.demo.directory import write_directory
from vrukit.demo.incidents import write_incidents
from vrukit.demo.istv import write_istv
from vrukit.demo.referrals import write_referrals
from vrukit.demo.region import LA_NAMES, Region, make_region
from vrukit.errors import ConfigError
from vrukit.ingest.forces import DEMO_FORCE
from vrukit.ingest.pathways import PATHWAYS_FILE
from vrukit.ingest.reference import read_iod
from vrukit.schemas import CRIME_TYPES, VIOLENCE_TYPES

__all__ = ["DEMO_PROFILES", "DemoFiles", "build_demo", "build_steps", "demo_files", "make_region"]

#: Mapping profiles of the demo's four emergency departments (examples for docs/istv.md).
DEMO_PROFILES = Path(__file__).parent / "istv_profiles"

FIRST_MONTH = (2019, 4)
#: The risk model's names for the generator's risk factors (``crimes.RISK_FACTORS``, in order).
PLANTED_FACTORS = ("income_score", "youth_share", "living_environment_score")
#: Factors the risk model sees that have no effect on violence in the demo.
NULL_FACTORS = (
    "employment_score",
    "education_score",
    "health_score",
    "barriers_score",
    "school_exclusions_per_1000",
)
#: Fewest months a whole demo region can have (crime alone needs one), and fewest areas.
MIN_MONTHS = 5
MIN_AREAS = 100
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
    indicators: Path
    pilots: Path
    istv: Path
    programme: Path
    directory: Path

    @property
    def referrals(self) -> Path:
        """The folder of ``referrals.json`` and its truth."""
        return self.folder / "referrals"

    @property
    def incidents(self) -> Path:
        """``incidents.json``: a year of significant incidents and the response to each."""
        return self.folder / "incidents.json"


def month_labels(months: int) -> list[str]:
    y, m = FIRST_MONTH
    out = []
    for k in range(months):
        mm = m - 1 + k
        out.append(f"{y + mm // 12}-{mm % 12 + 1:02d}")
    return out


def _nearest(xy: np.ndarray, centre: np.ndarray, k: int) -> np.ndarray:
    return order(((xy - centre) ** 2).sum(1))[:k]


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
    for name, c in zip(PILOT_NAMES, _pilot_centres(model, a, centres[:12]), strict=True):
        idx = _nearest(xy, c, 10)
        model.pilots.append(Pilot(name, tuple(a.lsoa_code.iloc[idx]), months // 2, 0.25))
    return model


def _pilot_centres(model: CrimeModel, areas: pd.DataFrame, hotspots: list[np.ndarray]) -> list:
    """Where a first needs assessment would have put its pilots: the areas whose deprivation
    predicts the most violence, 3.5 km apart and away from the planted hotspots - which, like
    the seed report's "higher and equivalent risk in other neighbourhoods", it missed."""
    xy = areas[["easting", "northing"]].to_numpy()
    chosen: list[np.ndarray] = []
    for i in order(violence_base(model, areas), descending=True):
        if all(np.hypot(*(xy[i] - c)) > 3500 for c in [*hotspots, *chosen]):
            chosen.append(xy[i])
        if len(chosen) == len(PILOT_NAMES):
            break
    return chosen


def _indicators(
    rng: np.random.Generator, model: CrimeModel, region: Region, lam: np.ndarray
) -> pd.DataFrame:
    """Two area indicators of the kind a VRU adds to IoD2019 (``area_indicators.csv``).

    ``night_time_economy_index`` stands for what an analyst would build from licensed premises
    and footfall. It is planted so that a correctly specified model can hold the hotspots fixed:
    it is the log of the hotspots' lift to the area's expected violence over the last 12 months
    (0 outside hotspots), so its true coefficient is 1 per unit. ``school_exclusions_per_1000``
    follows deprivation but has no effect on violence: a planted null (true rate ratio 1).
    """
    violent = [CRIME_TYPES.index(c) for c in VIOLENCE_TYPES]
    calm = replace(model, hotspots=[])
    months = lam.shape[1]
    last = slice(max(months - 12, 0), months)
    with_hotspots = lam[:, last][:, :, violent].sum((1, 2))
    without = expected_counts(calm, region.areas, months)[:, last][:, :, violent].sum((1, 2))
    latent = region.areas.latent_deprivation.to_numpy()
    exclusions = 6.0 * np.exp(0.5 * latent + rng.normal(0, 0.3, len(latent)))
    return pd.DataFrame(
        {
            "area_code": region.areas.lsoa_code,
            "night_time_economy_index": np.log(with_hotspots / without).round(8),
            "school_exclusions_per_1000": exclusions.round(2),
        }
    )


def _true_rate_ratios(model: CrimeModel, indicators: pd.DataFrame) -> dict[str, object]:
    """The rate ratio per standard deviation of each factor the risk model sees: the planted
    risk factors, the planted control (night-time economy) and the planted nulls."""
    nte_sd = float(indicators.night_time_economy_index.std())
    planted = dict(zip(PLANTED_FACTORS, model.violence_effects, strict=True))
    return {
        "planted": {k: float(np.exp(b)) for k, b in planted.items()},
        "control": {"night_time_economy_index": float(np.exp(nte_sd))},
        "null": dict.fromkeys(NULL_FACTORS, 1.0),
        "window": "the last 12 months",
        "note": "Per standard deviation over all areas. The night-time economy index is the log "
        "of the hotspot lift over the window, so a model with it holds the hotspots fixed; the "
        "pilots' effect (unmodelled) biases its very precise estimate slightly. School "
        "exclusions follow deprivation but have no effect.",
    }


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
    out["high_risk_unserved"] = (out.hotspot != "") & (out.pilot == "")
    return out


def _pilot_file(model: CrimeModel) -> pd.DataFrame:
    """The pilot places as a VRU would list them: one row per pilot and LSOA."""
    rows = [(p.name, code) for p in model.pilots for code in p.areas]
    return pd.DataFrame(rows, columns=["pilot", "area_code"])


def demo_files(folder: Path | str, crimes_written: int = 0) -> DemoFiles:
    """Where ``build_demo`` writes each part of the region in ``folder`` (written or not)."""
    out = Path(folder)
    boundaries, deprivation, population = (out / name for name in REFERENCE_FILES)
    return DemoFiles(
        out, out / "policeuk", boundaries, deprivation, population, out / "truth.json",
        out / "truth_areas.csv", crimes_written, out / "area_indicators.csv", out / "pilots.csv",
        out / "istv", out / "programme", out / "directory",
    )  # fmt: skip


def build_steps(months: int, *, crime_only: bool = False) -> int:
    """How many progress messages ``build_demo`` sends: one per month and one per other part."""
    return months + (2 if crime_only else 6)


def build_demo(
    folder: Path | str,
    *,
    seed: int = 2021,
    months: int = 36,
    n_areas: int = 1750,
    progress: Callable[[str], None] | None = None,
    crime_only: bool = False,
) -> DemoFiles:
    """Generate the demo region into ``folder`` (deterministic for a given seed). With
    ``crime_only``, only police.uk crime, boundaries, deprivation, population and the truth:
    no A&E extracts, programme, directory or referrals (their paths are not written)."""
    if months < 1 or (months < MIN_MONTHS and not crime_only):
        raise ConfigError(
            f"the demo needs at least {MIN_MONTHS} months (its A&E extracts plant defects in the "
            f"months after the middle one), or 1 with crime only; got {months}"
        )
    if n_areas < MIN_AREAS:
        raise ConfigError(
            f"the demo needs at least {MIN_AREAS} small areas (twelve planted hotspots, three "
            f"pilots and their comparison areas); got {n_areas}"
        )
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
    pts, names = _records.snap_points(rng, region.geometry, region.areas.lad_name.to_numpy())
    pts_text = _records.point_text(_records.to_lonlat(pts))
    police = out / "policeuk"
    written = 0
    violence: list[pd.DataFrame] = []
    area_index = pd.Series(np.arange(len(region.areas)), index=region.areas.lsoa_code)
    for t, month in enumerate(labels):
        say(f"writing police.uk month {month}")
        rows = _records.month_rows(
            rng, counts[:, t, :], region.areas, pts_text, names, month, DEMO_FORCE[1]
        )
        _records.write_month(rows, police, month, DEMO_FORCE[0])
        violence.append(_violence_rows(rows, area_index, t))
        written += len(rows)
    say("writing boundaries, deprivation, population and truth")
    write_reference(region, out)
    files = demo_files(out, written)
    indicators = _indicators(rng, model, region, lam)
    indicators.to_csv(files.indicators, index=False)
    _pilot_file(model).to_csv(files.pilots, index=False)
    truth = _truth(seed, labels, model, region, lam)
    truth["risk_factors"] = _true_rate_ratios(model, indicators)
    files.truth.write_text(json_text(truth))
    _truth_areas(model, region, lam).to_csv(files.truth_areas, index=False)
    if crime_only:
        return files
    say("writing the emergency departments' ISTV extracts")
    v = CRIME_TYPES.index("Violence and sexual offences")
    write_istv(
        files.istv,
        seed,
        region,
        labels,
        pd.concat(violence, ignore_index=True),
        lam[:, :, v],
        names,
    )
    say("writing the programme: registry, monitoring returns, training, interviews")
    write_programme_year(files.programme, seed, truth["model"]["pilots"])
    say("writing the Youth Map: ~600 services in Open Referral (HSDS) JSON, postcodes")
    directory = write_directory(files.directory, seed, region)
    say("writing two years of referrals across the seed's pathways")
    homes = pd.read_csv(directory.postcodes, dtype=str).merge(
        read_iod([files.deprivation])[["lsoa_code", "imd_decile"]], on="lsoa_code"
    )
    write_referrals(files.referrals, seed, PATHWAYS_FILE, homes)
    pilot_areas = {a for p in truth["model"]["pilots"] for a in p["areas"]}
    write_incidents(files.incidents, seed, pd.read_csv(directory.postcodes, dtype=str)
                    .astype({"latitude": float, "longitude": float}), pilot_areas)  # fmt: skip
    return files


def _violence_rows(rows: pd.DataFrame, index: pd.Series, month: int) -> pd.DataFrame:
    """The police violence records of a month that have a place: area index and Crime ID."""
    v = rows[(rows["Crime type"] == "Violence and sexual offences") & (rows["LSOA code"] != "")]
    return pd.DataFrame(
        {"area": index[v["LSOA code"]].to_numpy(), "month": month, "crime_id": v["Crime ID"]}
    )
