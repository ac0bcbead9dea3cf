"""The monthly ISTV package for Community Safety Partnerships, through the disclosure layer.

For one month, each CSP (local authority) gets the ED-treated assaults placed in its area: by
LSOA, by method and by location type, and the region's age and sex profile. Every count passes
:func:`vrukit.disclosure.protect` once, with the sums that tie the tables together
(LSOAs add up to the CSP, methods and location types add up to the CSP's total), so no
suppressed count can be worked back from the others.

Assaults count where they happened when the location was resolved with confidence at or above
the threshold (or confirmed in review); the rest appear only in ``unplaced`` (per ED).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vrukit import jsonio
from vrukit.analysis.istv_patterns import assault_month
from vrukit.disclosure import Policy, Protected, Release, Table, protect
from vrukit.publish._data import slug
from vrukit.schemas import ISTV_AGE_BANDS, ISTV_LOCATION_TYPES, ISTV_METHODS, ISTV_SEXES

__all__ = ["SharePackage", "write_share_package"]


@dataclass(frozen=True)
class SharePackage:
    """What ``write_share_package`` wrote, and the protected tables."""

    folder: Path
    month: str
    protected: Protected
    csps: dict[str, Path]


def _wide(frame: pd.DataFrame, field: str, order: tuple[str, ...], key: str) -> pd.DataFrame:
    given = frame[field].fillna("not_given")
    t = pd.crosstab(frame[key], given).reindex(columns=[*order, "not_given"], fill_value=0)
    t.columns = [f"{field}_{c}" for c in t.columns]
    t.insert(0, "total", t.sum(axis=1))
    return t.rename_axis(index=key).reset_index()


def _release(placed: pd.DataFrame, unplaced: pd.DataFrame, everyone: pd.DataFrame) -> Release:
    r = Release()
    csps = sorted(set(placed.lad_name))
    methods = _wide(placed, "method", ISTV_METHODS, "lad_name").set_index("lad_name")
    methods = methods.reindex(csps, fill_value=0).reset_index()
    r.add(Table("csp_method", methods, ("lad_name",), tuple(methods.columns[1:])))
    r.sum_within_rows("csp_method", "total", list(methods.columns[2:]))
    places = _wide(placed, "location_type", ISTV_LOCATION_TYPES, "lad_name").set_index("lad_name")
    places = places.reindex(csps, fill_value=0).reset_index()
    r.add(Table("csp_location_type", places, ("lad_name",), tuple(places.columns[1:])))
    r.sum_within_rows("csp_location_type", "total", list(places.columns[2:]))
    lsoa = placed.groupby(["lad_name", "lsoa_code"]).size().rename("assaults").reset_index()
    r.add(Table("csp_lsoa", lsoa, ("lad_name", "lsoa_code"), ("assaults",)))
    r.sum_rows("csp_lsoa", "csp_method", {"assaults": "total"}, lsoa.lad_name)
    r.sum_rows("csp_lsoa", "csp_location_type", {"assaults": "total"}, lsoa.lad_name)
    un = unplaced.groupby("site_code").size().rename("assaults").reset_index()
    r.add(Table("unplaced", un, ("site_code",), ("assaults",)))
    both = everyone.assign(
        age_band=everyone.age_band.fillna("not_given"), sex=everyone.sex.fillna("not_given")
    )
    ages = pd.crosstab(both.age_band, both.sex).reindex(
        index=[*ISTV_AGE_BANDS, "not_given"], columns=[*ISTV_SEXES, "not_given"], fill_value=0
    )
    ages.insert(0, "total", ages.sum(axis=1))
    ages = ages.rename_axis(index="age_band", columns=None).reset_index()
    r.add(Table("region_age_sex", ages, ("age_band",), tuple(ages.columns[1:])))
    r.sum_within_rows("region_age_sex", "total", list(ages.columns[2:]))
    return r


def write_share_package(
    assaults: pd.DataFrame,
    month: str,
    out: Path | str,
    *,
    min_confidence: float = 0.6,
    policy: Policy | None = None,
) -> SharePackage:
    """Write the CSP package for ``month`` (``YYYY-MM`` of the assault) into ``out/<month>``.

    ``assaults``: accepted assaults with their location (``status``, ``lsoa_code``, ``lad_name``,
    ``confidence``, ``kind``), ``assault_at``/``arrival_at``, ``method``, ``location_type``,
    ``age_band``, ``sex``, ``site_code``.
    """
    m = assaults[assault_month(assaults) == month]
    good = m.status.eq("resolved") & m.lad_name.notna() & (
        (m.confidence >= min_confidence) | m.kind.eq("reviewed")
    )  # fmt: skip
    protected = protect(_release(m[good], m[~good], m), policy or Policy())
    folder = Path(out) / month
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, t in protected.tables.items():
        t.to_csv(data / f"{name}.csv", index=False)
        files[name] = [f"{name}.csv"]
    (data / "manifest.json").write_text(jsonio.dumps(protected.manifest(files), indent=1))
    csps = {}
    for lad in sorted(set(m[good].lad_name)):
        part = folder / "csp" / slug(lad)
        part.mkdir(parents=True, exist_ok=True)
        for name in ("csp_method", "csp_location_type", "csp_lsoa"):
            t = protected.tables[name]
            t[t.lad_name == lad].to_csv(part / f"{name}.csv", index=False)
        for name in ("unplaced", "region_age_sex"):
            protected.tables[name].to_csv(part / f"{name}.csv", index=False)
        csps[lad] = part
    return SharePackage(folder, month, protected, csps)
