"""The hospital (ISTV) tables of the SNA site: when, to whom and with what emergency departments
saw assaults in the site's mapped year - what police.uk cannot say (it gives no day or hour, age,
sex or weapon) - and the estimated share of them unknown to police.

Counts only (the site's disclosure layer protects them); None when no ISTV data are loaded.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from vrukit.analysis.istv_patterns import assault_month, patterns, placed
from vrukit.jobs.istv import located_assaults, police_violence
from vrukit.store.warehouse import Warehouse

__all__ = ["istv_tables"]


def _window_months(first: str, last: str) -> list[str]:
    return pd.period_range(first, last, freq="M").strftime("%Y-%m").tolist()


def istv_tables(
    wh: Warehouse, window: tuple[str, str], areas: Sequence[str] = ()
) -> dict[str, object] | None:
    """Hour of day, day of week, weapon, age and sex of the ED assaults from ``window[0]`` to
    ``window[1]`` (the month the assault happened, else of arrival), placed in ``areas`` when
    given (a CSP's site), and the share unknown to police; None without ISTV data."""
    counts = wh.counts()
    if not counts.get("istv_assaults"):
        return None
    located = bool(counts.get("istv_locations"))
    a = located_assaults(wh) if located else wh.table("istv_assaults").to_pandas()
    a = a[assault_month(a).isin(_window_months(*window))]
    if areas:
        if not located:
            return None  # a CSP's assaults need their places: `vrukit istv locate`
        a = a[a.lsoa_code.isin(set(areas))]
    if a.empty:
        return None
    t = patterns(a)
    hw = t["hour_weekday"]
    days = hw.groupby("weekday", sort=False)["count"].sum().reset_index()
    hours = hw.groupby("hour")["count"].sum().reset_index()
    mix = t["weapon_mix"]
    weapons = mix[mix.site_code == "all"][["method", "count"]].reset_index(drop=True)
    out: dict[str, object] = {
        "assaults": len(a),
        "hours": hours.assign(hour=hours.hour.astype(str)),
        "days": days,
        "weapons": weapons,
        "age_sex": t["age_sex"],
        "unknown": _unknown(wh, a) if located else None,
    }
    return out


def _unknown(wh: Warehouse, a: pd.DataFrame) -> dict[str, float] | None:
    """The share of the window's placed assaults unknown to police, with its interval."""
    from vrukit.analysis.triangulate import share_unknown_to_police

    here = placed(a)
    if here.empty:
        return None
    u = share_unknown_to_police(here[["lsoa_code", "month", "confidence"]], police_violence(wh))
    if not u.trustworthy:  # police counts too overdispersed for the estimator: not published
        return None
    return {"share": u.share, "low": u.low, "high": u.high}
