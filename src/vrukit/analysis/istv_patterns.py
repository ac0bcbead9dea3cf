"""What the ED data say about the assaults: weapons, places, hours, who.

Every table counts accepted assault rows; shares are of the rows where the field is given.
Northbrook's weapons-as-"other" defect shows here as a weapon mix that changes at the break:
read ``vrukit istv score`` first.
"""

from __future__ import annotations

import pandas as pd

from vrukit.schemas import ISTV_AGE_BANDS, ISTV_LOCATION_TYPES, ISTV_METHODS, ISTV_SEXES

__all__ = ["WEEKDAYS", "assault_month", "patterns", "placed"]

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _mix(a: pd.DataFrame, field: str, order: tuple[str, ...]) -> pd.DataFrame:
    given = a[a[field].notna()]
    counts = pd.crosstab(given.site_code, given[field]).reindex(columns=list(order), fill_value=0)
    counts.loc["all"] = counts.sum()
    counts = counts.rename_axis(index="site_code", columns=field)
    long = counts.stack().rename("count").reset_index()
    long["share"] = long["count"] / long.groupby("site_code")["count"].transform("sum")
    return long


def assault_month(assaults: pd.DataFrame) -> pd.Series:
    """Each assault's month (``YYYY-MM``): when it happened, else when the person arrived."""
    return pd.to_datetime(assaults.assault_at.fillna(assaults.arrival_at)).dt.strftime("%Y-%m")


def placed(assaults: pd.DataFrame) -> pd.DataFrame:
    """The assaults resolved to an LSOA, with their ``month`` (for triangulation)."""
    out = assaults[assaults.status.eq("resolved") & assaults.lsoa_code.notna()]
    return out.assign(month=assault_month(out))


def patterns(assaults: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Tables of ``istv_assaults`` rows: ``weapon_mix``, ``location_types`` (per site and all),
    ``hour_weekday`` (assaults with a known time, by weekday and hour of the assault),
    ``age_sex`` (where the site collects them) and ``monthly`` (per site, by arrival month)."""
    a = assaults
    timed = a[a.assault_time_known.astype(bool) & a.assault_at.notna()]
    at = pd.to_datetime(timed.assault_at)
    hw = pd.crosstab(at.dt.day_of_week.rename("weekday"), at.dt.hour.rename("hour"))
    hw = hw.reindex(index=range(7), columns=range(24), fill_value=0)
    hour_weekday = hw.stack().rename("count").reset_index()
    hour_weekday["weekday"] = [WEEKDAYS[d] for d in hour_weekday.weekday]
    both = a[a.age_band.notna() & a.sex.notna()]
    age_sex = (
        pd.crosstab(both.age_band, both.sex)
        .reindex(index=list(ISTV_AGE_BANDS), columns=list(ISTV_SEXES), fill_value=0)
        .rename_axis(index="age_band", columns="sex")
        .stack()
        .rename("count")
        .reset_index()
    )
    month = pd.to_datetime(a.arrival_at.fillna(a.period_start)).dt.strftime("%Y-%m")
    monthly = a.assign(month=month).groupby(["site_code", "month"]).size()
    return {
        "weapon_mix": _mix(a, "method", ISTV_METHODS),
        "location_types": _mix(a, "location_type", ISTV_LOCATION_TYPES),
        "hour_weekday": hour_weekday,
        "age_sex": age_sex,
        "monthly": monthly.rename("count").reset_index(),
    }
