"""Two years of synthetic referrals across the seed's pathways, as the providers' work would
leave them: realistic delays to first contact (some over target, a few never contacted), young
people who decline or cannot be reached, referrals the provider does not accept, a few referred
on, the same young person referred twice, consent withdrawn, and outcomes at 3, 6 and 12 months.

Re-offending on the criminal-justice pathways carries a **planted engagement effect**: each
young person's 12-month risk ``p0`` rises with prior offences, deprivation and being male, and
engaging lowers it by exactly ``EFFECT`` (percentage points). Engagement is more likely for those
at lower risk, so the naive engaged-against-declined gap is far larger than the effect.

Written as ``referrals.json`` (synthetic people: made-up names, dates of birth and demo
postcodes) and ``referrals_truth.json`` (the effect, and which referrals are overdue on
``REFERRALS_TODAY`` - computed here from the plan, independently of the store's SLA report).
Referrals are keyed by their ``received_at`` (unique in the demo).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vrukit import jsonio

__all__ = ["EFFECT", "REFERRALS_TODAY", "write_referrals"]

#: The demo's "now" for the SLA clocks (the programme demo's today, at noon).
REFERRALS_TODAY = datetime(2022, 5, 16, 12, 0)
START = REFERRALS_TODAY - timedelta(days=730)
#: Engaging changes the 12-month re-offending risk by this much, for everyone.
EFFECT = -0.15
#: Pathway key -> (referrals a year, who refers, referrer's role).
VOLUME = {
    "custody": (450, "Northbrook Police Custody Suite", "custody sergeant"),
    "ae": (200, "Kingsmere General Hospital Emergency Department", "emergency nurse"),
    "iris": (120, "Redwater Medical Practice", "GP"),
    "sports": (160, "Eastford Academy", "head of year"),
    "resettlement": (120, "Northbrook Probation Delivery Unit", "probation officer"),
    "county_lines": (60, "Northbrook Police Custody Suite", "custody sergeant"),
    "parents": (40, "Parents' Peer Support Network", "self-referral taken by phone"),
}
GIVEN = [
    "Aaliyah",
    "Amir",
    "Bethany",
    "Callum",
    "Chidi",
    "Darcy",
    "Declan",
    "Ebony",
    "Elif",
    "Fatima",
    "Finley",
    "Grace",
    "Harvey",
    "Ibrahim",
    "Isla",
    "Jayden",
    "Kacper",
    "Kai",
    "Keira",
    "Leon",
    "Maja",
    "Mason",
    "Nadia",
    "Oliwia",
    "Omar",
    "Priya",
    "Reece",
    "Rhys",
    "Ruby",
    "Sami",
    "Sienna",
    "Tariq",
    "Tyler",
    "Zara",
    "Zofia",
    "Logan",
    "Mia",
    "Kofi",
    "Amara",
    "Jodie",
]
FAMILY = [
    "Adeyemi",
    "Ahmed",
    "Barker",
    "Begum",
    "Bennett",
    "Campbell",
    "Clarke",
    "Dlamini",
    "Evans",
    "Fletcher",
    "Francis",
    "Graham",
    "Hussain",
    "Jackson",
    "Kaur",
    "Kowalski",
    "Lewis",
    "Mahmood",
    "Marsh",
    "Morgan",
    "Nowak",
    "Okafor",
    "Osei",
    "Patel",
    "Quinn",
    "Rahman",
    "Reid",
    "Robinson",
    "Shah",
    "Singh",
    "Sutton",
    "Thompson",
    "Walsh",
    "Wilson",
    "Wood",
    "Yilmaz",
    "Zielinski",
    "Doyle",
    "Hughes",
    "Mensah",
]
DECLINE = (
    "did not want support now",
    "family declined on their behalf",
    "already supported elsewhere",
    "moved out of the area",
)
NOT_ACCEPTED = ("outside the service's area", "already open to the service", "not eligible")
RANK = {
    "received": 0,
    "accepted": 1,
    "contacted": 2,
    "engaged": 3,
    "declined": 3,
    "unreachable": 3,
    "closed": 4,
    "not_accepted": 9,
    "referred_on": 9,
}
FINISHED = ("closed", "not_accepted", "referred_on")


def _logistic(x: float) -> float:
    return float(1 / (1 + np.exp(-x)))


class _Maker:
    def __init__(
        self, rng: np.random.Generator, pathways: dict[str, dict[str, Any]], homes: pd.DataFrame
    ) -> None:
        self.rng, self.pathways, self.homes = rng, pathways, homes
        self.used: set[datetime] = set()

    def unique(self, at: datetime) -> datetime:
        at = at.replace(microsecond=0)
        while at in self.used:
            at += timedelta(seconds=1)
        self.used.add(at)
        return at

    def person(self, pathway: dict[str, Any], at: datetime) -> dict[str, Any]:
        rng = self.rng
        lo, hi = pathway["min_age"] or 16, min(pathway["max_age"] or 45, 45)
        age = int(rng.integers(max(lo, 11), hi + 1))
        born = at - timedelta(days=365.25 * age + float(rng.uniform(1, 364)))
        home = self.homes.iloc[int(rng.integers(len(self.homes)))]
        male_share = 0.1 if pathway["key"] in ("iris", "parents") else 0.8
        return {
            "identity": {
                "given_name": str(rng.choice(GIVEN)),
                "family_name": str(rng.choice(FAMILY)),
                "date_of_birth": born.date().isoformat(),
                "postcode": home.postcode,
                "phone": f"07700 9{int(rng.integers(0, 100_000)):05d}",
                "contact_notes": "",
            },
            "age": age,
            "sex": "male" if rng.random() < male_share else "female",
            "prior_offences": int(rng.poisson(1.6)) if pathway["follows_reoffending"] else None,
            "decile": int(home.imd_decile),
        }

    def timeline(self, pathway: dict[str, Any], p: dict[str, Any]) -> list[tuple[float, str, Any]]:
        """(hours after receipt, status, note or recorded data) for one referral's whole life."""
        rng = self.rng
        target = {s["status"]: s["within_hours"] for s in pathway["steps"]}
        if rng.random() < 0.03:
            return [(float(rng.uniform(2, 20)), "not_accepted", str(rng.choice(NOT_ACCEPTED)))]
        acc = target.get("accepted", 24) * float(np.exp(rng.normal(np.log(0.5), 0.6)))
        out: list[tuple[float, str, Any]] = [(acc, "accepted", None)]
        if rng.random() < 0.01:  # forgotten: never contacted
            return out
        contact = max(
            acc + 0.5, target.get("contacted", 72) * float(np.exp(rng.normal(np.log(0.55), 0.55)))
        )
        if rng.random() < 0.06:
            return [*out, (contact + 72, "unreachable", None), (contact + 400, "closed", None)]
        data = {"contact_method": str(rng.choice(["in person", "phone", "home visit"]))}
        if "parent_or_carer_informed" in str(pathway["steps"]):
            data["parent_or_carer_informed"] = "yes"
        out.append((contact, "contacted", data))
        decide = contact + float(rng.uniform(24, 168))
        if rng.random() < p["engage"]:
            out.append((decide, "engaged", None))
            out.append((decide + float(rng.uniform(60, 200)) * 24, "closed", None))
        else:
            out.append((decide, "declined", str(rng.choice(DECLINE))))
            out.append((decide + float(rng.uniform(1, 14)) * 24, "closed", None))
        return out


def _risk(p: dict[str, Any]) -> tuple[float, float]:
    """12-month re-offending risk without engaging (never below the effect, so the effect is
    exactly EFFECT for everyone) and the chance of engaging."""
    male = p["sex"] == "male"
    p0 = _logistic(
        -1.3
        + 0.6 * p["prior_offences"]
        - 0.06 * (p["age"] - 16)
        + 0.3 * male
        + 0.12 * (5 - p["decile"])
    )
    engage = _logistic(
        1.4
        - 0.8 * p["prior_offences"]
        + 0.08 * (p["age"] - 16)
        - 0.3 * male
        + 0.15 * (p["decile"] - 5)
    )
    return min(max(p0, 0.2), 0.95), engage


def _referral(
    m: _Maker, key: str, at: datetime, person: dict[str, Any] | None, referrer: str, role: str
) -> dict[str, Any]:
    pathway = m.pathways[key]
    rng = m.rng
    p = person or m.person(pathway, at)
    if pathway["follows_reoffending"]:
        p0, p["engage"] = _risk(p)
    else:
        p0, p["engage"] = 0.0, 0.6
    events = []
    for hours, status, extra in m.timeline(pathway, p):
        when = at + timedelta(hours=hours)
        events.append(
            {
                "at": when.isoformat(timespec="seconds"),
                "status": status,
                "note": extra if isinstance(extra, str) else None,
                "data": extra if isinstance(extra, dict) else None,
            }
        )
    statuses = [e["status"] for e in events]
    engaged = "engaged" in statuses
    outcomes = []
    if engaged or "declined" in statuses:
        reoffended = None
        if pathway["follows_reoffending"]:
            reoffended = bool(rng.random() < p0 + (EFFECT if engaged else 0.0))
        for months in (3, 6, 12):
            if not engaged and months < 12:
                continue
            better = 0.55 if engaged else 0.3
            outcome = str(
                rng.choice(["improved", "no_change", "worse"], p=[better, 0.85 - better, 0.15])
            )
            outcomes.append(
                {
                    "months": months,
                    "outcome": outcome,
                    "reoffended": reoffended if months == 12 else None,
                    "at": (at + timedelta(days=30 * months + 10)).isoformat(),
                }
            )
    needs = [n for n in pathway["needs"] if rng.random() < 0.35]
    return {
        "pathway": key,
        "referrer": referrer,
        "referrer_role": role,
        "received_at": at.isoformat(timespec="seconds"),
        "identity": p["identity"],
        "age": p["age"],
        "sex": p["sex"],
        "prior_offences": p["prior_offences"],
        "decile": p["decile"],
        "needs": needs,
        "events": events,
        "outcomes": outcomes,
        "risk_without_engaging": round(p0, 6) if pathway["follows_reoffending"] else None,
    }


def _upto(record: dict[str, Any], today: datetime) -> dict[str, Any]:
    """The record as the store holds it on ``today``: nothing later, nothing after consent
    was withdrawn."""
    stop = today
    if record.get("consent_withdrawn_at"):
        stop = min(stop, datetime.fromisoformat(record["consent_withdrawn_at"]))
    record["events"] = [e for e in record["events"] if datetime.fromisoformat(e["at"]) <= stop]
    record["outcomes"] = [o for o in record["outcomes"] if datetime.fromisoformat(o["at"]) <= stop]
    return record


def _overdue(record: dict[str, Any], pathway: dict[str, Any], today: datetime) -> bool:
    """Whether the referral is waiting, on ``today``, for a step whose target time has passed."""
    if record.get("consent_withdrawn_at"):
        return False
    reached = [e["status"] for e in record["events"]]
    if any(s in FINISHED for s in reached):
        return False
    top = max((RANK[s] for s in reached), default=0)
    received = datetime.fromisoformat(record["received_at"])
    return any(
        received + timedelta(hours=s["within_hours"]) < today and top < RANK[s["status"]]
        for s in pathway["steps"]
    )


def write_referrals(
    folder: Path,
    seed: int,
    pathways_file: Path,
    homes: pd.DataFrame,
    today: datetime = REFERRALS_TODAY,
) -> Path:
    """Write ``referrals.json`` and ``referrals_truth.json`` into ``folder``; ``homes`` holds
    the demo's postcodes with their areas' deprivation deciles (postcode, imd_decile)."""
    rng = np.random.default_rng([seed, 9])
    pathways = {p["key"]: p for p in json.loads(pathways_file.read_text())["pathways"]}
    m = _Maker(rng, pathways, homes.reset_index(drop=True))
    records: list[dict[str, Any]] = []
    span = (today - START).total_seconds()
    for key, (per_year, referrer, role) in VOLUME.items():
        for _ in range(int(rng.poisson(per_year * 2))):
            at = m.unique(START + timedelta(seconds=float(rng.uniform(0, span))))
            records.append(_referral(m, key, at, None, referrer, role))
    records.sort(key=lambda r: r["received_at"])
    _plant_extras(m, records, today)
    records.sort(key=lambda r: r["received_at"])
    for r in records:
        _upto(r, today)
    truth = {
        "today": today.isoformat(),
        "effect": EFFECT,
        "overdue": sorted(
            r["received_at"] for r in records if _overdue(r, pathways[r["pathway"]], today)
        ),
        "withdrawn": sorted(r["received_at"] for r in records if r.get("consent_withdrawn_at")),
        "duplicates": sorted(r["received_at"] for r in records if r.get("again")),
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "referrals.json").write_text(jsonio.dumps({"referrals": records}, indent=0))
    (folder / "referrals_truth.json").write_text(jsonio.dumps(truth, indent=1))
    return folder / "referrals.json"


def _plant_extras(m: _Maker, records: list[dict[str, Any]], today: datetime) -> None:
    """The same young person referred again within weeks (3%, names in other case), consent
    withdrawn (2%) and engaged custody referrals referred on to sports diversion (3%)."""
    rng = m.rng
    for r in list(records):
        received = datetime.fromisoformat(r["received_at"])
        u = rng.random()
        if u < 0.03 and r["pathway"] in ("custody", "ae", "sports"):
            at = m.unique(received + timedelta(days=float(rng.uniform(5, 60))))
            if at < today:
                person = {
                    "identity": {
                        **r["identity"],
                        "family_name": r["identity"]["family_name"].upper(),
                    },
                    "age": r["age"],
                    "sex": r["sex"],
                    "prior_offences": r["prior_offences"],
                    "decile": r["decile"],
                }
                again = _referral(m, r["pathway"], at, person, r["referrer"], r["referrer_role"])
                again["again"] = r["received_at"]
                records.append(again)
        elif u < 0.05:
            end = min(today, received + timedelta(days=120))
            if end > received:
                at = received + (end - received) * float(rng.uniform(0.05, 1))
                r["consent_withdrawn_at"] = at.isoformat(timespec="seconds")
        elif u < 0.08 and r["pathway"] == "custody":
            _refer_on(m, r, records)


def _refer_on(m: _Maker, r: dict[str, Any], records: list[dict[str, Any]]) -> None:
    """Replace an engaged custody referral's closure by a referral on to sports diversion."""
    statuses = [e["status"] for e in r["events"]]
    if "engaged" not in statuses or r["age"] > m.pathways["sports"]["max_age"]:
        return
    at = m.unique(
        datetime.fromisoformat(r["events"][statuses.index("engaged")]["at"]) + timedelta(days=14)
    )
    r["events"] = [e for e in r["events"] if e["status"] != "closed"]
    r["events"].append(
        {
            "at": at.isoformat(timespec="seconds"),
            "status": "referred_on",
            "note": "to sports diversion",
            "data": None,
        }
    )
    person = {
        "identity": r["identity"],
        "age": r["age"],
        "sex": r["sex"],
        "prior_offences": r["prior_offences"],
        "decile": r["decile"],
    }
    new = _referral(m, "sports", at, person, "Northbrook Custody Youth Work", "referred on")
    new["referred_on_from"] = r["received_at"]
    r["outcomes"] = [o for o in r["outcomes"] if o["months"] == 12]
    records.append(new)
