"""The plain-English summary of a surveillance run (``vrukit analyse`` prints it; the SNA's
overview says the same)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vrukit.jobs.analyse import SurveillanceRun

__all__ = ["summary_lines"]


def _months_between(first: str, last: str) -> int:
    (y0, m0), (y1, m1) = (map(int, first.split("-")), map(int, last.split("-")))
    return (y1 - y0) * 12 + m1 - m0 + 1


def _places(n: object) -> str:
    """' in N places' for the summary (touching hot-spot areas are one place)."""
    if not isinstance(n, int) or n == 0:
        return ""
    return " in one place" if n == 1 else f" in {n} places"


def summary_lines(run: SurveillanceRun) -> Sequence[str]:
    """A short plain-English summary of a run."""
    s, c = run.summary, run.choices
    conc = s["concentration"]["count"]  # type: ignore[index]
    types = ", ".join(c["crime_types"])  # type: ignore[arg-type]
    map_months: list[str] = c["map_months"]  # type: ignore[assignment]
    first, last = map_months
    span = _months_between(first, last)
    per = "a year" if span == 12 else f"over the {span} months"
    rate = s.get("rate_per_1000")
    lines = [
        f"{s['crimes']:,} crimes ({types}) in {c['areas']:,} areas, {first} to {last}: "
        + (
            f"{rate:.1f} per 1,000 residents {per}."
            if isinstance(rate, float)
            else "no rate, as no area has a population loaded (`vrukit ingest population`)."
        ),
        f"The busiest 5% of areas hold {conc['top_5pct_share']:.0%} of them "
        f"(10%: {conc['top_10pct_share']:.0%}; Gini {conc['gini']:.2f}).",
        f"Gi* finds {s['hot_spots']} hot-spot areas{_places(s.get('hot_spot_places'))} and "
        f"{s['cold_spots']} cold-spot areas (FDR {c['alpha']:.0%}, {c['neighbours']}).",
    ]
    maps: dict[str, dict[str, object]] = s.get("maps") or {}  # type: ignore[assignment]
    for key, m in maps.items():
        if key.startswith("hexes_r"):
            lines.append(
                f"On H3 resolution {key[7:]} hexagons (about {m['mean_area_km2']:.2g} km² each): "
                f"{m['hot_spots']} hot spots among {m['hexagons']:,}"
                + _hex_concentration(m.get("concentration"))
                + "."
                + _named_patterns(m.get("emerging_patterns"), " Emerging: ")
            )
    dens = maps.get("density")
    if dens:
        peak: dict[str, object] = dens["peak_at"]  # type: ignore[assignment]
        lines.append(
            f"Density peaks at {peak['density']:,.0f} crimes per km² in {peak['area_name']} "
            f"(quartic kernel, {dens['bandwidth_m']:,.0f} m bandwidth)."
        )
    lines += _left_out_lines(s)
    months: list[str] = c["months"]  # type: ignore[assignment]
    if months != [first, last]:
        lines.append(f"The trends below use every month from {months[0]} to {months[1]}.")
    yoy = s["time"].get("year_on_year")  # type: ignore[attr-defined]
    if isinstance(yoy, dict):
        lines.append(
            f"Last 12 months against the 12 before: {yoy['ratio']:.2f}x "
            f"(95% CI {yoy['ratio_lo']:.2f} to {yoy['ratio_hi']:.2f}, p = {yoy['p_value']:.3g})."
        )
    patterns = _named_patterns(s.get("emerging_patterns"), "Emerging hotspot patterns: ")
    if patterns:
        lines.append(patterns)
    return lines


def _left_out_lines(s: dict[str, object]) -> list[str]:
    """What the tables leave out: crimes without a place, outside the areas, areas unrated."""
    out = []
    nowhere, outside = s.get("crimes_no_location") or 0, s.get("crimes_outside_areas") or 0
    total = int(s["crimes"]) + int(nowhere) + int(outside)  # type: ignore[call-overload]
    if nowhere:
        out.append(f"{nowhere:,} crimes ({nowhere / total:.1%}) have no location in the police.uk "
                   "files and are not in the area tables or maps.")  # fmt: skip
    if outside:
        out.append(f"{outside:,} crimes fall in LSOAs outside the loaded areas and are not in "
                   "the tables.")  # fmt: skip
    unrated: list[str] = s.get("areas_without_population") or []  # type: ignore[assignment]
    if unrated and s.get("rate_per_1000") is not None:
        named = ", ".join(unrated[:5]) + (
            f" and {len(unrated) - 5} more" if len(unrated) > 5 else ""
        )
        out.append(f"{len(unrated):,} areas have no population loaded and no rate: {named}.")
    return out


def _hex_concentration(conc: object) -> str:
    """The clause '; the busiest 5% of them hold N% of the crimes' ('' without the figures)."""
    if not isinstance(conc, dict):
        return ""
    return f"; the busiest 5% of them hold {conc['top_5pct_share']:.0%} of the crimes"


def _named_patterns(patterns: object, lead: str) -> str:
    """``lead`` and the count of each pattern other than "no pattern"; "" when there are none."""
    if not isinstance(patterns, dict):
        return ""
    named = [f"{v} {k}" for k, v in patterns.items() if k != "no pattern"]
    return lead + ", ".join(named) + "." if named else ""
