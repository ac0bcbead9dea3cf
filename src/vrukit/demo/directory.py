"""The demo region's Youth Map: about 600 local youth services from some 250 voluntary and
community organisations, as an Open Referral (HSDS 3) JSON file of fully nested services, and
the region's own (fictional) postcode lookup.

Services sit where young people live: organisations are drawn towards populous areas, each
service is delivered at one or two locations inside its organisation's town, with realistic
categories, activities named as people search for them (boxing, football, mentoring...), age
ranges and weekly sessions. Most were verified in the last year; about 8% were last verified
more than 12 months before the demo's "today" (planted, for the stale flag). The sport services
nearest the busiest postcode are boxing clubs, one of them at two addresses (planted, for the
Youth Map's keyword search; ``directory_truth.json`` names them).
Postcodes are fictional (``Q`` + the town's initial - no UK postcode area starts with Q), one per
LSOA at its centroid.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vrukit import jsonio
from vrukit.demo._records import to_lonlat
from vrukit.demo.region import Region

__all__ = ["CATEGORIES", "DIRECTORY_TODAY", "DirectoryDemo", "write_directory"]

#: The demo's "today" for verification: the directory was last reviewed around then.
DIRECTORY_TODAY = date(2022, 5, 16)
#: Youth Map categories (taxonomy terms): (code, name, typical minimum and maximum age).
CATEGORIES = (
    ("sport", "Sport and physical activity", 8, 19),
    ("arts", "Arts, music and drama", 10, 19),
    ("youth-club", "Youth clubs and open access", 10, 19),
    ("mentoring", "Mentoring", 10, 25),
    ("education", "Education and alternative provision", 11, 18),
    ("employment", "Employment and training", 16, 25),
    ("mental-health", "Mental health and wellbeing", 11, 25),
    ("substance", "Drugs and alcohol", 12, 25),
    ("sexual-health", "Sexual health", 13, 25),
    ("family", "Family support", 0, 19),
    ("domestic-abuse", "Domestic abuse support", 11, 25),
    ("lgbtq", "LGBTQ+ support", 11, 25),
    ("diversion", "Diversion from crime and exploitation", 10, 25),
    ("housing", "Housing and homelessness", 16, 25),
)
_KINDS = ("Trust", "Foundation", "Youth Project", "CIC", "Community Association", "Club",
          "Partnership", "Collective")  # fmt: skip
_WORDS = ("Phoenix", "Bridge", "Harbour", "Lighthouse", "Compass", "Oak", "Riverside",
          "Northern Star", "Open Door", "Step Up", "Second Chance", "Youth Voice", "Kinship",
          "Crossroads", "Spark", "Anchor", "Pathway", "Unity", "Horizon", "Hope")  # fmt: skip
#: What each category's services do, as (name, description): the words people search for.
#: Drawn from their own random stream, so adding one changes no other draw of the demo.
ACTIVITIES: dict[str, tuple[tuple[str, str], ...]] = {
    "sport": (("Boxing Club", "Boxing training and fitness"),
              ("Football", "Football coaching and matches"), ("Basketball", "Basketball sessions"),
              ("Swimming", "Swimming lessons and open swims"),
              ("Netball", "Netball training and matches"), ("Cricket", "Cricket coaching"),
              ("Martial Arts", "Martial arts: judo and karate"), ("Climbing", "Indoor climbing"),
              ("Cycling", "Cycling and bike maintenance"), ("Rugby", "Rugby coaching")),
    "arts": (("Music Project", "Music: bands, singing and music production"),
             ("Drama Group", "Drama and theatre"), ("Dance", "Street dance and performance"),
             ("Art Studio", "Art, graffiti and design"),
             ("Film Club", "Film making and photography")),
    "youth-club": (("Youth Club", "An open-access youth club with games, food and trips"),
                   ("Detached Youth Work", "Youth workers who meet young people in parks and "
                    "streets"), ("Girls' Group", "A girls' group")),
    "mentoring": (("Mentoring", "One-to-one mentoring"),
                  ("Peer Mentoring", "Peer mentoring by trained young mentors")),
    "education": (("Alternative Provision", "Alternative provision and tutoring"),
                  ("Homework Club", "A homework club with tutors")),
    "employment": (("Jobs and Training", "Help into work, apprenticeships and training"),
                   ("Careers Advice", "Careers advice and help with a CV")),
    "mental-health": (("Wellbeing", "Wellbeing support"), ("Counselling", "Free counselling")),
    "substance": (("Drug and Alcohol Support", "Drug and alcohol advice and support"),),
    "sexual-health": (("Sexual Health", "Sexual health advice and a drop-in clinic"),),
    "family": (("Family Support", "Support for families and parents"),),
    "domestic-abuse": (("Domestic Abuse Support", "Support after domestic abuse"),),
    "lgbtq": (("LGBTQ+ Youth Group", "An LGBTQ+ youth group"),),
    "diversion": (("Diversion", "Diversion from crime, with trusted adults"),
                  ("Exploitation Support", "Support for young people at risk of exploitation")),
    "housing": (("Housing Advice", "Housing advice and supported housing"),),
}  # fmt: skip
#: The planted search: this activity, near the busiest postcode (the sport services nearest it).
PLANTED_ACTIVITY = ACTIVITIES["sport"][0]
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_STREETS = ("High Street", "Church Lane", "Station Road", "Park Road", "Mill Lane",
            "Victoria Road", "Canal Street", "Market Place", "School Lane",
            "Green Lane")  # fmt: skip


@dataclass(frozen=True)
class DirectoryDemo:
    folder: Path
    services: Path
    postcodes: Path
    truth: Path


def _id(rng: np.random.Generator) -> str:
    return str(uuid.UUID(bytes=rng.bytes(16), version=4))


def postcodes(region: Region, rng: np.random.Generator) -> pd.DataFrame:
    """One fictional postcode per LSOA at its centroid, unique by construction:
    ``Q<town initial><district> <sector><unit>``."""
    a = region.areas
    ll = to_lonlat(a[["easting", "northing"]].to_numpy(float))
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    j = a.groupby("lad_name").cumcount().to_numpy()
    last = rng.choice(letters, len(a))
    codes = [
        f"Q{town[0]}{k // 90 + 1} {(k // 9) % 10}{letters[k % 9]}{z}"
        for town, k, z in zip(a.lad_name, j, last, strict=True)
    ]
    return pd.DataFrame({"postcode": codes, "latitude": ll[:, 1].round(6),
                         "longitude": ll[:, 0].round(6), "lsoa_code": a.lsoa_code})  # fmt: skip


def _named(service: dict[str, Any], activity: tuple[str, str]) -> dict[str, Any]:
    """``service`` named and described for ``activity`` (from the parts kept in ``_parts``)."""
    short, k, lo, hi, town, org = service["_parts"]
    return service | {
        "name": f"{short} {activity[0]}" + (f" {k + 1}" if k else ""),
        "description": f"{activity[1]}. For young people aged {lo} to {hi} in {town}; run "
        f"by {org}.",
    }


def _service(
    rng: np.random.Generator, org: dict[str, Any], k: int, home: np.ndarray, region: Region,
    codes: pd.DataFrame, terms: dict[str, str], pick: np.random.Generator,
) -> dict[str, Any]:  # fmt: skip
    a = region.areas
    code, _, lo, hi = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
    activities = ACTIVITIES[code]
    activity = activities[int(pick.integers(len(activities)))]
    lo += max(0, int(rng.integers(-1, 3)))
    hi = min(25, max(lo + 3, hi + int(rng.integers(-3, 2))))
    stale = rng.random() < 0.08
    verified = DIRECTORY_TODAY - timedelta(days=int(rng.integers(380, 900) if stale
                                                    else rng.integers(5, 330)))  # fmt: skip
    sid = _id(rng)
    locations = []
    for _ in range(1 + int(rng.random() < 0.25)):
        i = int(rng.choice(home))
        ll = to_lonlat(np.array([[a.easting.iat[i] + rng.normal(0, 120),
                                  a.northing.iat[i] + rng.normal(0, 120)]]))[0]  # fmt: skip
        lid = _id(rng)
        locations.append({
            "id": _id(rng), "service_id": sid, "location_id": lid,
            "location": {
                "id": lid, "location_type": "physical", "organization_id": org["id"],
                "name": f"{org['name']} - {a.lsoa_name.iat[i]}",
                "latitude": round(float(ll[1]), 6), "longitude": round(float(ll[0]), 6),
                "addresses": [{
                    "id": _id(rng), "location_id": lid,
                    "address_1": f"{rng.integers(1, 180)} {rng.choice(_STREETS)}",
                    "city": a.lad_name.iat[i], "state_province": "Demo region",
                    "postal_code": codes.postcode.iat[i], "country": "GB",
                    "address_type": "physical",
                }],
            },
        })  # fmt: skip
    days = sorted(rng.choice(len(_DAYS), int(rng.integers(1, 4)), replace=False))
    opens = int(rng.integers(9, 19))
    return _named({
        "id": sid, "organization_id": org["id"], "name": "", "description": "",
        "_parts": (org["short"], k, lo, hi, a.lad_name.iat[home[0]], org["name"]),
        "_category": code,
        "status": "temporarily closed" if rng.random() < 0.03 else "active",
        "minimum_age": lo, "maximum_age": hi,
        "eligibility_description": f"Young people aged {lo} to {hi}.",
        "fees_description": "Free" if rng.random() < 0.85 else "Small charge; free for "
        "young people on free school meals",
        "assured_date": verified.isoformat(),
        "assurer_email": "verification@demo-youth-network.org",
        "last_modified": datetime(verified.year, verified.month, verified.day, 12).isoformat(
            timespec="milliseconds") + "Z",
        "email": f"hello@{org['slug']}.org",
        "service_at_locations": locations,
        "phones": [{"id": _id(rng), "service_id": sid,
                    "number": f"0121 496 {rng.integers(0, 10000):04d}"}],
        "schedules": [{"id": _id(rng), "service_id": sid, "freq": "WEEKLY",
                       "byday": ",".join(_DAYS[d] for d in days),
                       "opens_at": f"{opens:02d}:00", "closes_at": f"{opens + 2:02d}:00",
                       "description": "Weekly sessions in term time and holidays"}],
        "attributes": [{"id": _id(rng), "link_id": sid, "link_type": "category",
                        "link_entity": "service", "taxonomy_term_id": terms[code]}],
        "_stale": stale,
    }, activity)  # fmt: skip


def _plant(services: list[dict[str, Any]], codes: pd.DataFrame, region: Region) -> dict[str, Any]:
    """Make the active sport services nearest the busiest postcode boxing clubs: the nearest two
    at one address and the nearest at two. What a keyword search near there should find."""
    busiest = int(np.argmax(region.areas.population.to_numpy()))
    lat, lon = codes.latitude.iat[busiest], codes.longitude.iat[busiest]
    scale = np.cos(np.radians(lat))

    def far(s: dict[str, Any]) -> float:
        return min(np.hypot(x["location"]["latitude"] - lat,
                            (x["location"]["longitude"] - lon) * scale)
                   for x in s["service_at_locations"])  # fmt: skip

    sport = sorted((far(s), k) for k, s in enumerate(services)
                   if s["_category"] == "sport" and s["status"] == "active")  # fmt: skip
    one = [k for _, k in sport if len(services[k]["service_at_locations"]) == 1][:2]
    two = [k for _, k in sport if len(services[k]["service_at_locations"]) == 2][:1]
    for k in one + two:
        services[k] = _named(services[k], PLANTED_ACTIVITY)
    return {"postcode": codes.postcode.iat[busiest], "activity": PLANTED_ACTIVITY[0],
            "services": [services[k]["id"] for k in one + two],
            "at_two_addresses": [services[k]["id"] for k in two]}  # fmt: skip


def write_directory(
    folder: Path, seed: int, region: Region, organisations: int = 250
) -> DirectoryDemo:
    """Write ``services.json`` (a taxonomy, organisations and their nested services, about 2.4
    per organisation: ~600 for the demo's 250), ``postcodes.csv`` and ``directory_truth.json``
    into ``folder``."""
    rng = np.random.default_rng([seed, 8])
    folder.mkdir(parents=True, exist_ok=True)
    files = DirectoryDemo(folder, folder / "services.json", folder / "postcodes.csv",
                          folder / "directory_truth.json")  # fmt: skip
    codes = postcodes(region, rng)
    taxonomy = {"id": _id(rng), "name": "Youth Map categories", "version": "1",
                "description": "What a service offers young people (vrukit demo)."}  # fmt: skip
    terms = {c: _id(rng) for c, *_ in CATEGORIES}
    term_rows = [{"id": terms[c], "code": c, "name": n, "description": n,
                  "taxonomy_id": taxonomy["id"]} for c, n, *_ in CATEGORIES]  # fmt: skip
    a = region.areas
    weight = a.population.to_numpy(float) / a.population.sum()
    orgs, services = [], []
    pick = np.random.default_rng([seed, 9])
    for k in range(organisations):
        town = a.lad_name.iat[int(rng.choice(len(a), p=weight))]
        short = f"{rng.choice(_WORDS)} {town}"
        name = f"{short} {rng.choice(_KINDS)}"
        slug = "".join(c for c in name.lower() if c.isalnum())[:30] + f"{k}"
        org = {"id": _id(rng), "name": name, "short": short, "slug": slug,
               "description": f"A voluntary and community youth organisation ({name}).",
               "website": f"https://{slug}.org"}  # fmt: skip
        pool = np.flatnonzero(a.lad_name.to_numpy() == town)
        home = rng.choice(pool, min(5, pool.size), replace=False,
                          p=weight[pool] / weight[pool].sum())  # fmt: skip
        n = 1 + int(rng.poisson(1.4))
        services += [_service(rng, org, j, home, region, codes, terms, pick) for j in range(n)]
        orgs.append(org)
    planted = _plant(services, codes, region)
    stale = [s["id"] for s in services if s.pop("_stale")]
    for s in services:
        del s["_parts"], s["_category"]
    payload = {
        "taxonomies": [taxonomy], "taxonomy_terms": term_rows,
        "organizations": [{k: o[k] for k in ("id", "name", "description", "website")}
                          for o in orgs],
        "services": services,
    }  # fmt: skip
    files.services.write_text(jsonio.dumps(payload, indent=1))
    codes.to_csv(files.postcodes, index=False)
    truth = {"today": DIRECTORY_TODAY.isoformat(), "stale": stale, "services": len(services),
             "planted_search": planted}  # fmt: skip
    files.truth.write_text(jsonio.dumps(truth, indent=1))
    return files
