"""The demo region's emergency departments: ISTV extracts in four layouts, with planted defects.

The assaults are drawn so that the Cardiff Model's relation to police data holds and is known:

- each police-recorded "Violence and sexual offences" record is an ED-treated injury with
  probability ``ED_SHARE``: those assaults are *known to police* (the record's Crime ID is kept
  in the truth);
- assaults *unknown to police* are added at a rate that makes the reporting fraction ``REPORTED``
  (lower, ``REPORTED_LOW``, in a few planted neighbourhoods around licensed premises), drawn from
  the expected - not the realised - police count so that they carry no police noise.

Each assault goes to the nearest of four EDs. Each ED writes its own layout (CSV with codes,
XLSX with titles, the ISTV XML, semicolon CSV with optional fields) and carries one defect:
Kingsmere stops sending for two months, Redwater leaves 40% of locations blank, Northbrook
codes weapons as "other" after a system change, Eastford resubmits a month with
duplicates. Each defect is planted well clear of the scorecard's thresholds (see
``tests/test_istv.py``), so that finding it never depends on the draw.
``istv_truth.json`` lists the defects and the flags a correct scorecard raises, and
``istv_truth_assaults.csv`` the true place and police link of every assault.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from vrukit.demo._istv_layouts import _write_one
from vrukit.demo._stable import json_text, order
from vrukit.demo.region import LA_NAMES, Region
from vrukit.geo import to_wgs84
from vrukit.ingest.periods import month_period
from vrukit.schemas import ISTV_METHODS

__all__ = ["ED_SHARE", "REPORTED", "REPORTED_LOW", "SITES", "IstvDemo", "write_istv"]

ED_SHARE = 0.032
REPORTED = 0.35
REPORTED_LOW = 0.07

#: (site code, name, layout, town) of the four demo EDs.
SITES = (
    ("RKM01", "Kingsmere General Hospital", "csv", "Kingsmere"),
    ("RRW01", "Redwater Royal Infirmary", "xlsx", "Redwater"),
    ("RNB01", "Northbrook University Hospital", "xml", "Northbrook"),
    ("REH01", "Eastford and Hollins Hospital", "csv;", "Eastford"),
)
METHOD_P = {
    "bodily_force": 0.60,
    "blunt_object": 0.08,
    "knife": 0.14,
    "other_sharp": 0.06,
    "firearm": 0.005,
    "other": 0.065,
    "unknown": 0.05,
}
HOUR_P = np.array(
    [8, 7, 6, 4, 2, 1, 1, 1, 1, 1.5, 2, 2.5, 3, 3, 3, 3.5, 4, 4.5, 5, 5.5, 6, 7, 8, 8.5]
)
PUBS = (
    "Red Lion", "Crown", "Swan", "Plough", "Anchor", "Bell", "Kings Head", "Railway Tavern",
    "Royal Oak", "White Hart", "Black Horse", "Rose and Crown", "George", "Wheatsheaf",
    "Fox and Hounds", "Nags Head", "Greyhound", "Star", "Ship", "Golden Lion",
)  # fmt: skip
CLUBS = ("Club Tropicana", "Pulse", "Vortex", "Electric Ballroom", "Halo", "Neon Rooms", "Fusion")
ABBREV = {
    "Road": "Rd", "Street": "St", "Lane": "Ln", "Avenue": "Ave", "Drive": "Dr",
    "Crescent": "Cres", "Close": "Cl", "Grove": "Gr", "Way": "Way",
}  # fmt: skip
SUBMISSION_NS = "urn:vrukit:demo:istv"


@dataclass(frozen=True)
class IstvDemo:
    """Where the ISTV part of the demo was written."""

    folder: Path
    venues: Path
    truth: Path
    truth_assaults: Path
    assaults: int


def _venues(rng: np.random.Generator, region: Region, weight: np.ndarray) -> pd.DataFrame:
    """Licensed premises, clubs, stations, shopping centres and colleges, placed where violence
    is expected (town centres and the night-time economy)."""
    a = region.areas
    rows = []
    p = weight / weight.sum()
    picks = rng.choice(len(a), len(PUBS) * 3 + len(CLUBS), replace=False, p=p)
    names = [f"The {n}" for n in PUBS] + [f"The {n}" for n in PUBS[::-1]] + list(PUBS)
    for k, i in enumerate(picks[: len(names)]):
        town = a.lad_name.iloc[i]
        name = names[k] if k < len(PUBS) else f"{names[k]}, {town}"
        rows.append((name, "licensed_premises", i))
    for k, i in enumerate(picks[len(names) :]):
        rows.append((CLUBS[k], "licensed_premises", i))
    for town in LA_NAMES:
        idx = np.nonzero(a.lad_name.to_numpy() == town)[0]
        # hotspot areas tie on weight: a stable order, or the tie is broken by the CPU's sort
        top = idx[order(weight[idx], descending=True)[:4]]
        rows += [
            (f"{town} Bus Station", "public_transport", top[0]),
            (f"{town} Railway Station", "public_transport", top[1]),
            (f"{town} Shopping Centre", "shop_commercial", top[2]),
            (f"{town} College", "education", top[3]),
        ]
    v = pd.DataFrame(rows, columns=["name", "kind", "area"])
    jitter = rng.normal(0, 40, (len(v), 2))
    xy = a[["easting", "northing"]].to_numpy()[v.area] + jitter
    ll = to_wgs84(xy[:, 0], xy[:, 1])
    v["lsoa_code"] = a.lsoa_code.to_numpy()[v.area]
    v["longitude"], v["latitude"] = ll[:, 0].round(6), ll[:, 1].round(6)
    v["easting"], v["northing"] = xy[:, 0], xy[:, 1]
    return v


def _low_reporting(rng: np.random.Generator, region: Region, venues: pd.DataFrame) -> np.ndarray:
    """Two neighbourhoods around nightclubs where few assaults reach the police."""
    a = region.areas
    xy = a[["easting", "northing"]].to_numpy()
    clubs = venues[venues.name.isin(CLUBS)].sample(2, random_state=rng.integers(1 << 31))
    low = np.zeros(len(a), bool)
    for area in clubs.area:
        low[order(((xy - xy[area]) ** 2).sum(1))[:3]] = True
    return low


def _assaults(
    rng: np.random.Generator,
    police_v: pd.DataFrame,
    lam_v: np.ndarray,
    reported: np.ndarray,
) -> pd.DataFrame:
    """Known-to-police assaults (a share of the police records) plus unknown ones."""
    known = police_v[rng.random(len(police_v)) < ED_SHARE]
    rate = ED_SHARE * lam_v * ((1 - reported) / reported)[:, None]
    extra = rng.poisson(rate)
    i, t = np.nonzero(extra)
    reps = extra[i, t]
    unknown = pd.DataFrame({"area": np.repeat(i, reps), "month": np.repeat(t, reps)})
    unknown["crime_id"] = None
    both = pd.concat([known[["area", "month", "crime_id"]], unknown], ignore_index=True)
    both["known_to_police"] = both.crime_id.notna()
    return both


def _when(rng: np.random.Generator, df: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    first = pd.to_datetime([f"{m}-01" for m in labels])
    start = first[df.month.to_numpy()]
    days = start.days_in_month.to_numpy()
    # weekend nights are busier: draw a day, keep it with a weekday weight (rejection)
    n = len(df)
    day = np.zeros(n, int)
    todo = np.ones(n, bool)
    weight = np.array([0.55, 0.55, 0.6, 0.7, 0.9, 1.0, 0.8])  # Mon..Sun (Sat = 1)
    while todo.any():
        cand = (rng.random(todo.sum()) * days[todo]).astype(int)
        wd = (start[todo] + pd.to_timedelta(cand, "D")).day_of_week
        keep = rng.random(todo.sum()) < weight[wd]
        idx = np.nonzero(todo)[0][keep]
        day[idx] = cand[keep]
        todo[idx] = False
    hour = rng.choice(24, n, p=HOUR_P / HOUR_P.sum())
    minute = rng.integers(0, 60, n)
    assault = start + pd.to_timedelta(day * 1440 + hour * 60 + minute, "min")
    delay = np.clip(rng.lognormal(np.log(50), 0.8, n), 5, 24 * 60).astype(int)
    df["assault_at"] = assault
    df["arrival_at"] = assault + pd.to_timedelta(delay, "min")
    return df


def _street_names(names: np.ndarray) -> np.ndarray:
    """Per area, the police.uk 'On or near' names that are streets (not places)."""
    streets = np.empty(names.shape[0], dtype=object)
    for i, row in enumerate(names):
        s = [x.removeprefix("On or near ") for x in row if x.split()[-1] in ABBREV]
        streets[i] = s or [row[0].removeprefix("On or near ")]
    return streets


def _typo(rng: np.random.Generator, text: str) -> str:
    if len(text) < 8 or rng.random() > 0.12:
        return text
    k = int(rng.integers(2, len(text) - 2))
    return text[:k] + text[k + 1 :]


def _venue_text(rng: np.random.Generator, name: str) -> str:
    short = name.removeprefix("The ").split(",")[0]
    forms = (f"outside {short}", name, f"in {short}", f"{short} car park", short.lower())
    return _typo(rng, forms[int(rng.integers(0, len(forms)))])


def _street_text(rng: np.random.Generator, street: str, town: str) -> str:
    words = street.split()
    abbr = " ".join([*words[:-1], ABBREV.get(words[-1], words[-1])])
    forms = (street, f"{street}, {town}", abbr, f"near shops on {abbr}", street.lower())
    return _typo(rng, forms[int(rng.integers(0, len(forms)))])


GENERIC = {
    "home": ("home", "own home", "at home", "friend's house", "partner's flat", "HOME"),
    "workplace": ("at work", "workplace", "work"),
    "education": ("school", "college"),
    "other": ("park", "field", "canal towpath"),
    "unknown": ("not known", "unknown", "pt unable to say"),
}
OTHER_TYPES = {"street": 0.5, "home": 0.3, "workplace": 0.06, "education": 0.03, "other": 0.06,
               "unknown": 0.05}  # fmt: skip


def _places(
    rng: np.random.Generator, df: pd.DataFrame, region: Region, venues: pd.DataFrame,
    streets: np.ndarray, low: np.ndarray,
) -> pd.DataFrame:  # fmt: skip
    by_area = venues.groupby("area").indices
    n = len(df)
    has = np.array([a in by_area for a in df.area])
    p_venue = np.where(low[df.area], 0.85, 0.55)
    at_venue = has & (rng.random(n) < p_venue)
    kinds = list(OTHER_TYPES)
    other = rng.choice(kinds, n, p=np.array(list(OTHER_TYPES.values())))
    town = region.areas.lad_name.to_numpy()[df.area]
    venue = np.full(n, None, dtype=object)
    ltype = other.astype(object)
    desc = np.empty(n, dtype=object)
    street = np.full(n, None, dtype=object)
    names, vkinds = venues["name"].to_numpy(), venues["kind"].to_numpy()
    for k, a in enumerate(df.area.to_numpy()):
        if at_venue[k]:
            v = rng.choice(by_area[a])
            venue[k], ltype[k], desc[k] = names[v], vkinds[v], _venue_text(rng, names[v])
        elif other[k] == "street":
            street[k] = rng.choice(streets[a])
            desc[k] = _street_text(rng, street[k], town[k])
        else:
            desc[k] = rng.choice(GENERIC[other[k]])
    blank = rng.random(n) < 0.03
    desc[blank] = None
    df["venue"], df["street"], df["location_type"], df["location_description"] = (
        venue, street, ltype, desc,
    )  # fmt: skip
    return df


def _people(rng: np.random.Generator, df: pd.DataFrame, region: Region) -> pd.DataFrame:
    n = len(df)
    df["method"] = rng.choice(list(METHOD_P), n, p=np.array(list(METHOD_P.values())))
    bands = ["0-9", "10-17", "18-24", "25-34", "35-49", "50-64", "65+"]
    df["age_band"] = rng.choice(bands, n, p=[0.005, 0.1, 0.3, 0.28, 0.21, 0.08, 0.025])
    df["sex"] = rng.choice(["male", "female", "other", "unknown"], n, p=[0.69, 0.29, 0.005, 0.015])
    df["arrival_mode"] = rng.choice(
        ["ambulance", "police", "own_transport", "other", "unknown"], n,
        p=[0.35, 0.05, 0.55, 0.03, 0.02],
    )  # fmt: skip
    df["disposal"] = rng.choice(
        ["discharged", "admitted", "transferred", "left_before_treatment", "other", "unknown"], n,
        p=[0.79, 0.12, 0.02, 0.05, 0.01, 0.01],
    )  # fmt: skip
    codes = region.areas.lsoa_code.to_numpy()
    move = rng.random(n) < 0.4
    home = np.where(move, rng.integers(0, len(codes), n), df.area.to_numpy())
    df["residence_lsoa"] = codes[home]
    for col in ("age_band", "sex", "arrival_mode", "disposal", "residence_lsoa"):
        df.loc[rng.random(n) < 0.02, col] = None
    for col in ("method", "location_type"):
        df.loc[rng.random(n) < 0.005, col] = None
    return df


def _sites(region: Region) -> tuple[np.ndarray, np.ndarray]:
    """Each ED's position (population-weighted centre of its town) and each area's nearest ED."""
    a = region.areas
    xy = a[["easting", "northing"]].to_numpy()
    pos = []
    for _, _, _, town in SITES:
        m = a.lad_name.to_numpy() == town
        w = a.population.to_numpy()[m]
        pos.append((xy[m] * w[:, None]).sum(0) / w.sum())
    site_xy = np.array(pos)
    nearest = np.sqrt(((xy[:, None, :] - site_xy[None]) ** 2).sum(-1)).argmin(1)
    return site_xy, nearest


#: Redwater's extra share of blank locations; the share of rows Eastford's resubmission repeats.
RW_BLANK = 0.4
#: The weapons Northbrook's new system has no code for (more than a quarter of assaults), each
#: with what a clerk types in the free-text field instead.
NB_LOST_CODES = {
    "knife": ["stab wound", "stabbed", "knife"],
    "other_sharp": ["glassed", "bottle", "broken glass"],
    "blunt_object": ["hit with bat", "struck with object", "hammer"],
}
EH_DUPLICATES = 0.06


@dataclass(frozen=True)
class _DefectMonths:
    """When the planted defects happen, as month indices of a demo of ``n`` months: Northbrook
    codes weapons as "other" from the middle month, Kingsmere sends nothing for the two months
    after it, Eastford resubmits the month a quarter of the way in (18, (19, 20) and 9 in the
    default 36 months)."""

    n: int

    @property
    def nb_change(self) -> int:
        return self.n // 2

    @property
    def km_gap(self) -> tuple[int, int]:
        return (self.n // 2 + 1, self.n // 2 + 2)

    @property
    def eh_resubmit(self) -> int:
        return self.n // 4


def _received(path: Path, when: date) -> None:
    stamp = datetime(when.year, when.month, when.day, 9, 0, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))


def _period(label: str) -> tuple[date, date]:
    year, month = label.split("-")
    return month_period(int(year), int(month))


def _write_site(
    rng: np.random.Generator, site: int, df: pd.DataFrame, labels: list[str], out: Path
) -> list[dict[str, object]]:
    """Write one ED's monthly files; return the truth rows (file, line) of every assault."""
    code, name, layout, _town = SITES[site]
    folder = out / code.lower()
    folder.mkdir(parents=True, exist_ok=True)
    truth: list[dict[str, object]] = []
    planted = _DefectMonths(len(labels))
    for t, label in enumerate(labels):
        m = df[df.period == t].sort_values("arrival_at", kind="stable")
        start, end = _period(label)
        if code == "RKM01" and t in planted.km_gap:
            continue
        received = end + timedelta(days=int(rng.integers(3, 19)))
        files = [(m, received, "")]
        if code == "REH01" and t == planted.eh_resubmit:
            dup = m.sample(frac=EH_DUPLICATES, random_state=int(rng.integers(1 << 31)))
            again = pd.concat([m, dup]).sample(frac=1.0, random_state=int(rng.integers(1 << 31)))
            files.append((again, end + timedelta(days=75), "-resubmitted"))
        for frame, when, suffix in files:
            path, first = _write_one(layout, code, name, frame, folder, label, suffix, start, end)
            _received(path, when)
            lines = np.arange(len(frame)) + first
            truth += [
                {"file": path.name, "line": int(k), "assault": int(a)}
                for k, a in zip(lines, frame.assault_id, strict=True)
            ]
    return truth


def _defects(rng: np.random.Generator, df: pd.DataFrame, months: int) -> pd.DataFrame:
    site = df.site.to_numpy()
    rw = (site == 1) & (rng.random(len(df)) < RW_BLANK)
    df.loc[rw, "location_description"] = None
    nb = (
        (site == 2)
        & (df.period.to_numpy() >= _DefectMonths(months).nb_change)
        & df.method.isin(NB_LOST_CODES).to_numpy()
    )
    described = nb & (rng.random(len(df)) < 0.6)
    for method, words in NB_LOST_CODES.items():
        these = described & (df.method == method).to_numpy()
        df.loc[these, "method_other"] = rng.choice(words, these.sum())
    df.loc[nb, "method"] = "other"
    return df


def _expected_flags(labels: list[str]) -> list[dict[str, str]]:
    planted = _DefectMonths(len(labels))
    flags = [
        {"site_code": "RKM01", "check": "coverage", "month": labels[t]} for t in planted.km_gap
    ]
    flags += [
        {"site_code": "RRW01", "check": "completeness:location_description", "month": m}
        for m in labels
    ]
    flags += [
        {"site_code": "RNB01", "check": "vague:method", "month": m}
        for m in labels[planted.nb_change :]
    ]
    flags.append(
        {"site_code": "REH01", "check": "duplicates", "month": labels[planted.eh_resubmit]}
    )
    return flags


def write_istv(
    folder: Path,
    seed: int,
    region: Region,
    labels: list[str],
    police_v: pd.DataFrame,
    lam_v: np.ndarray,
    street_names: np.ndarray,
) -> IstvDemo:
    """Write the four EDs' extracts, the venues file and the truth into ``folder``.

    ``police_v`` holds the police "Violence and sexual offences" rows written (columns ``area``,
    ``month`` index and ``crime_id``); ``lam_v`` their expected counts (areas x months);
    ``street_names`` the police.uk snap-point names of each area.
    """
    rng = np.random.default_rng([seed, 6])
    folder.mkdir(parents=True, exist_ok=True)
    venues = _venues(rng, region, lam_v[:, -12:].sum(1))
    low = _low_reporting(rng, region, venues)
    reported = np.where(low, REPORTED_LOW, REPORTED)
    df = _assaults(rng, police_v, lam_v, reported)
    df = _when(rng, df, labels)
    df = _places(rng, df, region, venues, _street_names(street_names), low)
    df = _people(rng, df, region)
    df["method_other"] = None
    df.loc[df.method == "other", "method_other"] = rng.choice(
        ["bitten", "kicked by group", "pushed", "thrown object", ""],
        int((df.method == "other").sum()),
    )
    _, nearest = _sites(region)
    df["site"] = nearest[df.area]
    first = pd.Timestamp(labels[0] + "-01")
    df["period"] = (df.arrival_at.dt.year - first.year) * 12 + df.arrival_at.dt.month - first.month
    df = df[df.period < len(labels)].sort_values(["site", "arrival_at"], kind="stable")
    df = df.reset_index(drop=True)
    df["assault_id"] = np.arange(len(df))
    df["true_method"] = df.method
    df = _defects(rng, df, len(labels))
    truth_rows: list[dict[str, object]] = []
    for s in range(len(SITES)):
        truth_rows += _write_site(rng, s, df[df.site == s], labels, folder)
    where = pd.DataFrame(truth_rows)
    a = region.areas
    assaults = df.assign(
        site_code=np.array([c for c, *_ in SITES])[df.site],
        lsoa_code=a.lsoa_code.to_numpy()[df.area],
        lad_name=a.lad_name.to_numpy()[df.area],
        month=np.array(labels)[df.month],
    )[["assault_id", "site_code", "month", "lsoa_code", "lad_name", "venue", "street",
       "location_type", "method", "true_method", "known_to_police", "crime_id"]]  # fmt: skip
    truth_assaults = where.merge(assaults, left_on="assault", right_on="assault_id").drop(
        columns="assault"
    )
    files = IstvDemo(
        folder, folder / "venues.csv", folder / "istv_truth.json",
        folder / "istv_truth_assaults.csv", len(df),
    )  # fmt: skip
    venues[["name", "kind", "longitude", "latitude", "lsoa_code"]].to_csv(files.venues, index=False)
    truth_assaults.to_csv(files.truth_assaults, index=False)
    files.truth.write_text(json_text(_truth(df, labels, a.lsoa_code.to_numpy()[low])))
    return files


def _truth(df: pd.DataFrame, labels: list[str], low: np.ndarray) -> dict[str, object]:
    known = int(df.known_to_police.sum())
    planted = _DefectMonths(len(labels))
    gap = " and ".join(labels[t] for t in planted.km_gap)
    return {
        "sites": [{"site_code": c, "name": n, "layout": lay, "town": t} for c, n, lay, t in SITES],
        "defects": [
            {
                "site_code": "RKM01",
                "defect": f"stopped sending in {gap}",
            },
            {"site_code": "RRW01", "defect": f"leaves {RW_BLANK:.0%} of locations blank"},
            {
                "site_code": "RNB01",
                "defect": f"codes weapons as 'other' from {labels[planted.nb_change]}",
            },
            {
                "site_code": "REH01",
                "defect": f"resubmitted {labels[planted.eh_resubmit]} with "
                f"{EH_DUPLICATES:.0%} of rows duplicated",
            },
        ],
        "expected_flags": _expected_flags(labels),
        "linkage": {
            "ed_share_of_police_violence": ED_SHARE,
            "reported": REPORTED,
            "reported_low": REPORTED_LOW,
            "assaults": len(df),
            "known_to_police": known,
            "share_unknown_to_police": 1 - known / len(df),
            "low_reporting_lsoas": sorted(map(str, low)),
        },
        "methods": list(ISTV_METHODS),
        "note": "Flags a correct scorecard raises (and no others). Site-level months are the "
        "reporting periods (arrival month).",
    }
