"""The synthetic region's crimes: a documented Poisson model written in the police.uk CSV schema.

For area *i*, month *t* and crime type *c* the expected count is

    lambda = pop_i / 1000 * rate_c / 12 * exp(b_c . x_i) * season_c(t) * trend(t) * H_i(t) * P_i(t)

where ``x_i`` holds standardised risk factors (income deprivation, share aged 10-24, living
environment), ``H_i(t)`` is the lift of any planted hotspot (persistent, emerging or
diminishing) and ``P_i(t)`` the planted intervention effect in pilot places from the start
month. ``H`` and ``P`` act on the violence types only. Every parameter is written to the ground
truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vrukit.schemas import CRIME_TYPES, VIOLENCE_TYPES

__all__ = ["CrimeModel", "Hotspot", "Pilot", "simulate_counts"]

#: Annual recorded rate per 1,000 residents, roughly England and Wales' police-recorded mix.
BASE_RATES: dict[str, float] = {
    "Violence and sexual offences": 34.0,
    "Anti-social behaviour": 20.0,
    "Public order": 9.0,
    "Criminal damage and arson": 8.0,
    "Other theft": 6.0,
    "Shoplifting": 5.0,
    "Vehicle crime": 5.0,
    "Burglary": 4.0,
    "Drugs": 3.0,
    "Other crime": 1.5,
    "Theft from the person": 1.5,
    "Robbery": 1.2,
    "Bicycle theft": 1.0,
    "Possession of weapons": 0.8,
}
RISK_FACTORS = ("income_z", "youth_share_z", "living_environment_z")
VIOLENCE_EFFECTS = (0.45, 0.20, 0.10)
OTHER_EFFECTS = (0.20, 0.05, 0.05)


@dataclass(frozen=True)
class Hotspot:
    """A planted hotspot: areas within ``radius_m`` of a centre, lifted to a high level of violence.

    Like a night-time economy or a drug market, a planted hotspot is defined by its level, not by
    its residents: each of its areas is lifted to ``peak`` times the region's 95th percentile of
    expected violence (``level_multipliers``), shaped over time by ``shape``.
    """

    name: str
    kind: str  # persistent | emerging | diminishing
    centre: tuple[float, float]
    radius_m: float
    peak: float
    areas: tuple[str, ...] = ()

    def shape(self, months: int) -> np.ndarray:
        """Share of the lift present each month. Persistent: 1 throughout. Emerging: 0, then 1
        from 60% of the period on. Diminishing: 1.5 falling steadily to 0.7 in the last month."""
        t = np.arange(months)
        if self.kind == "persistent":
            return np.ones(months)
        if self.kind == "emerging":
            return (t >= round(0.6 * months)).astype(float)
        return 1.5 - 0.8 * t / max(months - 1, 1)

    def level_multipliers(self, base: np.ndarray, reference: float) -> np.ndarray:
        """Per-area lift m_i = max(1, peak x reference / base_i) for the areas' base violence."""
        return np.maximum(1.0, self.peak * reference / base)

    def multiplier(self, base: np.ndarray, reference: float, months: int) -> np.ndarray:
        """H_i(t) = 1 + (m_i - 1) x shape(t), shape (areas, months)."""
        m = self.level_multipliers(base, reference)
        return 1 + (m[:, None] - 1) * self.shape(months)[None, :]

    @property
    def expected_pattern(self) -> str:
        """The Emerging Hot Spot Analysis class this plant should produce."""
        return {
            "persistent": "persistent hot spot",
            "emerging": "consecutive hot spot",
            "diminishing": "diminishing hot spot",
        }[self.kind]


@dataclass(frozen=True)
class Pilot:
    """A named place where an intervention started: violence falls by ``effect`` from ``start``."""

    name: str
    areas: tuple[str, ...]
    start_index: int
    effect: float


@dataclass
class CrimeModel:
    """Every parameter of the crime model (written to the ground truth)."""

    base_rates: dict[str, float] = field(default_factory=lambda: dict(BASE_RATES))
    risk_factors: tuple[str, ...] = RISK_FACTORS
    violence_effects: tuple[float, ...] = VIOLENCE_EFFECTS
    other_effects: tuple[float, ...] = OTHER_EFFECTS
    hotspot_reference: str = "95th percentile of areas' base violence"
    seasonal_amplitude: float = 0.12  # violence peaks in July
    annual_trend: float = 0.03
    hotspots: list[Hotspot] = field(default_factory=list)
    pilots: list[Pilot] = field(default_factory=list)


def risk_matrix(areas: pd.DataFrame) -> np.ndarray:
    """Standardised risk factors x_i, one column per ``RISK_FACTORS``."""
    youth = (areas["age_10-17"] + areas["age_18-24"]) / areas.population
    cols = [areas.income_score, youth, areas.living_environment_score]
    return np.column_stack([(c - c.mean()) / c.std() for c in cols])


def violence_base(model: CrimeModel, areas: pd.DataFrame) -> np.ndarray:
    """Expected violence per area and month before season, trend, hotspots and pilots."""
    x = risk_matrix(areas)
    rate = sum(model.base_rates[c] for c in VIOLENCE_TYPES)
    return areas.population.to_numpy() / 1000 * rate / 12 * np.exp(x @ model.violence_effects)


def expected_counts(model: CrimeModel, areas: pd.DataFrame, months: int) -> np.ndarray:
    """lambda with shape (areas, months, crime types), ordered as ``CRIME_TYPES``."""
    x = risk_matrix(areas)
    t = np.arange(months)
    calendar = (t + 3) % 12 + 1  # month index 0 is April
    out = np.empty((len(areas), months, len(CRIME_TYPES)))
    violent = np.array([c in VIOLENCE_TYPES for c in CRIME_TYPES])
    h = np.ones((len(areas), months))
    code_index = {c: i for i, c in enumerate(areas.lsoa_code)}
    base_violence = violence_base(model, areas)
    reference = float(np.percentile(base_violence, 95))
    for hs in model.hotspots:
        idx = [code_index[c] for c in hs.areas]
        h[idx] *= hs.multiplier(base_violence[idx], reference, months)
    p = np.ones((len(areas), months))
    for pilot in model.pilots:
        rows = np.array([code_index[c] for c in pilot.areas])
        p[np.ix_(rows, t[pilot.start_index :])] *= 1 - pilot.effect
    trend = (1 + model.annual_trend) ** (t / 12)
    for j, ctype in enumerate(CRIME_TYPES):
        beta = model.violence_effects if violent[j] else model.other_effects
        amp = model.seasonal_amplitude if violent[j] else model.seasonal_amplitude / 2
        season = 1 + amp * np.cos(2 * np.pi * (calendar - 7) / 12)
        base = areas.population.to_numpy() / 1000 * model.base_rates[ctype] / 12 * np.exp(x @ beta)
        lam = base[:, None] * (season * trend)[None, :]
        if violent[j]:
            lam = lam * h * p
        out[:, :, j] = lam
    return out


def simulate_counts(rng: np.random.Generator, lam: np.ndarray) -> np.ndarray:
    """Poisson draws of the expected counts."""
    return rng.poisson(lam)
