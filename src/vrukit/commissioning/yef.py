"""The YEF Toolkit's headline estimates as a versioned table, and the expected effect of what a
round funds: reach × the cohort's baseline rate of violent offending × the strand's estimated
reduction, against cost (docs/commissioning.md gives the method and its caveats).

``yef_toolkit.csv`` beside this module holds one row per Toolkit approach: its impact band, the
headline estimate where YEF states one, the interval carried with it, the evidence-security
rating, the page it was read from and whether it was checked there. Its first line names the
edition (the date it was read). A VRU can point ``VRUKIT_YEF_TABLE`` at a newer copy.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from vrukit.errors import ConfigError, InputFileError, t

__all__ = [
    "BANDS",
    "TABLE",
    "Expected",
    "Strand",
    "band_of",
    "expected_effect",
    "portfolio",
    "strands",
]

TABLE = Path(__file__).with_name("yef_toolkit.csv")
#: The Toolkit's impact bands and the reductions in violence each stands for: YEF's
#: definitions ("HIGH (30%+ less violence)", "MODERATE (10%-30%...)", "LOW (2%-9%...)"),
#: with HIGH's open top closed at the largest reduction YEF states for a HIGH approach (45%,
#: trauma-specific therapies); "harmful" raises violence and "unclear" (insufficient
#: evidence of impact) has no estimate.
BANDS = {"high": (0.30, 0.45), "moderate": (0.10, 0.30), "low": (0.02, 0.09),
         "unclear": (None, None), "harmful": (None, None)}  # fmt: skip
#: The registry's impact values (``Intervention.yef_impact``) for each band.
_REGISTRY_BAND = {"high": "high", "moderate": "moderate", "low": "low", "unclear": "unclear",
                  "harmful": "unclear"}  # fmt: skip


@dataclass(frozen=True)
class Strand:
    """One Toolkit approach: ``estimate`` is the reduction in violence as a fraction (0.21
    for 21%), ``basis`` where it comes from ("stated" by YEF, or the band's "midpoint" or
    "floor" where YEF states no number), ``low``/``high`` the band's range carried with it,
    ``security`` YEF's confidence in the estimate in its own words ("high", "low") where
    stated."""

    name: str
    band: str
    estimate: float | None
    low: float | None
    high: float | None
    basis: str
    security: str | None
    source: str
    status: str


def _number(text: str, where: str, line: int, column: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InputFileError(
            where,
            "expected a number (a fraction, 0.21 for 21%)",
            line=line,
            column=column,
            value=text,
        ) from None


@cache
def strands(path: Path = TABLE) -> dict[str, Strand]:
    """The table's approaches by lower-case name."""
    with path.open(encoding="utf-8", newline="") as f:
        edition = f.readline()
        if not edition.startswith("#"):
            raise InputFileError(str(path), "the first line names the edition ('# ...')", line=1)
        out = {}
        for k, row in enumerate(csv.DictReader(f), start=3):
            band = row["band"].strip().lower()
            if band not in BANDS:
                raise InputFileError(str(path), f"band is one of {', '.join(BANDS)}", line=k,
                                     column="band", value=row["band"])  # fmt: skip
            nums = {c: _number(row[c], str(path), k, c) for c in ("estimate", "low", "high")}
            out[row["strand"].strip().lower()] = Strand(
                row["strand"].strip(), band, nums["estimate"], nums["low"], nums["high"],
                row["estimate_basis"].strip(), row["evidence_security"].strip() or None,
                row["source_url"].strip(), row["status"].strip(),
            )  # fmt: skip
    return out


def strand(name: str | None) -> Strand | None:
    return strands().get((name or "").strip().lower()) if name else None


def band_of(name: str | None) -> str | None:
    """The registry's impact band for a Toolkit strand (None for a strand not in the table)."""
    found = strand(name)
    return _REGISTRY_BAND[found.band] if found else None


@dataclass(frozen=True)
class Expected:
    """Violent offences a year expected to be prevented (``prevented``, with ``low``..``high``)
    and the cost of each, with the evidence behind it. ``why`` says when there is no
    estimate."""

    prevented: float | None
    low: float | None
    high: float | None
    cost_each: float | None
    cost_low: float | None
    cost_high: float | None
    band: str | None
    security: str | None
    why: str | None = None
    basis: str | None = None


def _per(amount: float, prevented: float | None) -> float | None:
    return amount / prevented if prevented and prevented > 0 else None


def expected_effect(
    reach: int, baseline: float | None, strand_name: str | None, amount: float
) -> Expected:
    """Expected violent offences prevented in a year: ``reach`` young people × ``baseline``
    (the violent offences each would commit in a year without the work) × the strand's
    estimated reduction; the interval carries the strand's; cost per offence prevented is
    ``amount`` divided by each (an upper cost is None where the lower bound prevents none)."""
    found = strand(strand_name)
    if found is None:
        why = (t("%(strand)s is not in the YEF Toolkit table", strand=strand_name) if strand_name
               else t("no strand is given"))  # fmt: skip
        return Expected(None, None, None, None, None, None, None, None, why)
    if baseline is None or baseline < 0:
        return Expected(None, None, None, None, None, None, found.band, found.security,
                        t("the round gives no baseline rate for this prevention tier"))  # fmt: skip
    if found.estimate is None:
        why = (t("the Toolkit finds %(strand)s harmful: it is expected to raise violence",
                 strand=found.name) if found.band == "harmful" else
               t("the Toolkit finds too little evidence of the impact of %(strand)s",
                 strand=found.name))  # fmt: skip
        return Expected(None, None, None, None, None, None, found.band, found.security, why)
    scale = reach * baseline
    lo = scale * (found.low if found.low is not None else found.estimate)
    hi = scale * (found.high if found.high is not None else found.estimate)
    point = scale * found.estimate
    return Expected(point, lo, hi, _per(amount, point), _per(amount, hi), _per(amount, lo),
                    found.band, found.security, None, found.basis)  # fmt: skip


def portfolio(items: Iterable[tuple[Expected, float]]) -> Expected:
    """The sum over a portfolio of ``(expected, amount)``: points add, and so do the lower and
    the upper bounds (the range if every strand fell at the same end of its interval). Items
    without an estimate are left out of the offences but not of the cost."""
    given = list(items)
    known = [e for e, _ in given if e.prevented is not None]
    cost = sum(a for _, a in given)
    if not known:
        return Expected(None, None, None, None, None, None, None, None, t("no estimate"))
    p = sum(e.prevented or 0.0 for e in known)
    lo = sum(e.low or 0.0 for e in known)
    hi = sum(e.high or 0.0 for e in known)
    left = len(given) - len(known)
    why = t("%(left)s item(s) without an estimate left out of the offences",
            left=left) if left else None  # fmt: skip
    return Expected(p, lo, hi, _per(cost, p), _per(cost, hi), _per(cost, lo), None, None, why)


def check_baseline(baseline: dict[str, float]) -> dict[str, float]:
    """A round's baseline rates, one per prevention tier, each 0 or more."""
    out = {}
    for tier, rate in baseline.items():
        try:
            value = float(rate)
        except (TypeError, ValueError):
            raise ConfigError(f"baseline for {tier!r}: expected a number, got {rate!r}") from None
        if not value >= 0:
            raise ConfigError(f"baseline for {tier!r}: expected 0 or more, got {rate!r}")
        out[tier] = value
    return out
