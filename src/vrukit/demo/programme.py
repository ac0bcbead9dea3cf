"""The demo region's programme: providers, interventions like the seed report's, eight quarters of
monitoring returns as providers send them (some late, some missing, some refused and sent
again), and a trauma-informed training course with pre/post questionnaires.

Written as files a VRU receives: ``registry.json`` (what the commissioner registered),
``returns/<intervention>/<YYYY-Qn>[-v2].csv|xlsx`` (file dates are when they arrived) and
``training.csv``. ``programme_truth.json`` lists what was planted: late and missing returns,
refused files with the row and column of their error, and the training's true changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vrukit import jsonio
from vrukit.demo._stable import json_text, stamp_workbook
from vrukit.ingest.periods import DUE_DAYS, quarter_end, return_folder

__all__ = ["PROGRAMME_TODAY", "ProgrammeDemo", "write_programme"]

#: The demo's "today" for lateness: after the last quarter's return was due.
PROGRAMME_TODAY = date(2022, 5, 16)
QUARTERS = [f"{y}-Q{q}" for y, q in [(2020, 2), (2020, 3), (2020, 4), (2021, 1), (2021, 2),
                                     (2021, 3), (2021, 4), (2022, 1)]]  # fmt: skip
ORGANISATIONS = [
    ("Demo Violence Reduction Unit", "vru"), ("Kingsmere General Hospital Youth Work", "provider"),
    ("Northbrook Custody Youth Work", "provider"), ("Eastford Boxing Club", "provider"),
    ("Redwater Resettlement Service", "provider"), ("Safer Families Northbrook", "provider"),
    ("Trauma Informed Practice Collective", "provider"), ("MVP Schools Partnership", "provider"),
    ("Canalside Residents' Association", "partner"), ("Police and Crime Commissioner", "funder"),
    # who refers, and the two referral-only services (vrukit.demo.referrals)
    ("Northbrook Police Custody Suite", "partner"),
    ("Kingsmere General Hospital Emergency Department", "partner"),
    ("Redwater Medical Practice", "partner"), ("Eastford Academy", "partner"),
    ("Northbrook Probation Delivery Unit", "partner"),
    ("Rescue and Recovery Case Workers", "provider"), ("Parents' Peer Support Network", "provider"),
]  # fmt: skip
#: name, provider, thematic area, tier, setting, YEF strand, impact band (illustrative), funding,
#: contract start, contract end.
INTERVENTIONS = [
    ("Teachable Moments in A&E", 1, "health", "secondary", "emergency department",
     "A&E navigators", "moderate", 180_000, "2020-04-01", "2022-03-31"),
    ("Teachable Moments in Custody", 2, "criminal_justice", "tertiary", "police custody",
     "Diversion", "moderate", 150_000, "2020-04-01", "2022-03-31"),
    ("Sports Diversion & Impact Programme", 3, "sport", "secondary", "community",
     "Sports programmes", "high", 120_000, "2020-04-01", "2022-03-31"),
    ("Resettlement", 4, "criminal_justice", "tertiary", "community", "Mentoring", "moderate",
     90_000, "2020-07-01", "2022-03-31"),
    ("IRIS (GP domestic-abuse referrals)", 5, "health", "secondary", "general practice",
     None, None, 60_000, "2020-04-01", "2022-03-31"),
    ("Trauma-informed training", 6, "trauma_informed", "primary", "workforce", None, None,
     40_000, "2020-04-01", "2022-03-31"),
    ("Mentors in Violence Prevention", 7, "education", "primary", "secondary schools",
     "Bystander interventions", "moderate", 70_000, "2020-10-01", "2022-03-31"),
]  # fmt: skip
REFERRERS = ["school", "police", "a&e", "social care", "self", "family"]
FIELDS = [
    {"name": "participant_ref", "type": "text", "label": "pseudonymous reference (never a name)"},
    {"name": "age", "type": "integer", "min": 8, "max": 25, "label": "age at referral"},
    {"name": "referred_by", "type": "choice", "allowed": REFERRERS, "label": "who referred"},
    {"name": "engaged", "type": "boolean", "label": "took up the offer"},
    {"name": "sessions_attended", "type": "integer", "min": 0, "label": "this quarter"},
    {"name": "completed", "type": "boolean", "label": "finished the programme this quarter"},
]
#: Teachable Moments in Custody also reports whether each young person reoffended within a year
#: (blank until the year has passed). Planted self-selection, like the seed's 11% against 66%:
#: those who engage were at far lower risk to begin with; engaging itself lowers it only a little.
OUTCOME = {
    "name": "reoffended_12m",
    "type": "boolean",
    "required": False,
    "outcome": True,
    "label": "proven reoffence within 12 months of referral (blank until known)",
}
SELECTION = {"intervention": 1, "risk_if_engaged": 0.16, "risk_if_refused": 0.62, "effect": -0.05}
_CUSTODY = INTERVENTIONS[1][0]
STATEMENTS = {
    "I can recognise the signs of trauma in a young person": 0.60,
    "I know where to refer a young person affected by violence": 0.50,
    "I feel confident talking to a young person about what happened": 0.40,
    "I feel able to manage my own stress at work": 0.0,
}
#: Planted: (intervention index, quarter index) of late, missing and refused-then-resent returns.
LATE = [(0, 2), (3, 5), (6, 7)]
MISSING = [(2, 4), (4, 6)]
REFUSED = {(1, 3): ("age", "seventeen"), (5, 1): ("referred_by", "youth club")}


@dataclass(frozen=True)
class ProgrammeDemo:
    folder: Path
    registry: Path
    returns: Path
    training: Path
    truth: Path


def _registry(pilots: list[dict[str, Any]]) -> dict[str, Any]:
    places: list[dict[str, Any]] = [
        {"name": p["name"], "start_date": f"{p['start_month']}-01", "areas": p["areas"]}
        for p in pilots
    ]
    interventions = []
    for name, prov, area, tier, setting, strand, band, funding, start, end in INTERVENTIONS:
        interventions.append({
            "name": name, "provider": ORGANISATIONS[prov][0], "thematic_area": area,
            "prevention_tier": tier, "setting": setting, "yef_strand": strand,
            "yef_impact": band, "funding": funding, "contract_start": start,
            "contract_end": end,
            "template": [*FIELDS, OUTCOME] if name == _CUSTODY else FIELDS,
            "theory": [
                {"stage": "activity", "text": f"{setting}: trusted adult offers support"},
                {"stage": "output", "text": "young people attend sessions",
                 "indicators": [{"name": "completion rate", "return_field": "completed",
                                 "target": 0.6}]},
                {"stage": "short_term", "text": "young people engage with services"},
                {"stage": "long_term", "text": "less violence involving young people"},
            ],
        })  # fmt: skip
    interventions.append({
        "name": f"{places[2]['name']} place-based pilot", "provider": ORGANISATIONS[8][0],
        "thematic_area": "places", "prevention_tier": "primary", "setting": "neighbourhood",
        "yef_strand": None, "yef_impact": None, "funding": 250_000,
        "contract_start": places[2]["start_date"], "contract_end": "2022-03-31",
        "place": places[2]["name"], "template": None, "theory": [],
    })  # fmt: skip
    boards = [
        {"name": "Violence Reduction Board", "kind": "board",
         "members": [o for o, _ in ORGANISATIONS if o != ORGANISATIONS[8][0]]},
        {"name": f"{places[2]['name']} stakeholder network", "kind": "network",
         "place": places[2]["name"], "members": [ORGANISATIONS[8][0], ORGANISATIONS[3][0]]},
    ]  # fmt: skip
    return {"organisations": [{"name": n, "kind": k} for n, k in ORGANISATIONS],
            "places": places, "interventions": interventions, "boards": boards}  # fmt: skip


def _return_rows(rng: np.random.Generator, n: int, start: int) -> pd.DataFrame:
    engaged = rng.random(n) < 0.75
    return pd.DataFrame({
        "participant_ref": [f"P{start + k:05d}" for k in range(n)],
        "age": rng.integers(10, 25, n),
        "referred_by": rng.choice(REFERRERS, n),
        "engaged": np.where(engaged, "yes", "no"),
        "sessions_attended": np.where(engaged, rng.integers(1, 13, n), 0),
        "completed": np.where(engaged & (rng.random(n) < 0.6), "yes", "no"),
    })  # fmt: skip


def _arrived(path: Path, when: date) -> None:
    stamp = datetime(when.year, when.month, when.day, 10, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))


def _write_return(frame: pd.DataFrame, path: Path, when: date) -> None:
    if path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
        stamp_workbook(path, when)
    else:
        frame.to_csv(path, index=False)
    _arrived(path, when)


def _reoffended(rng: np.random.Generator, frame: pd.DataFrame, end: date) -> list[str]:
    """A year on, whether each young person reoffended (blank while the year runs)."""
    if end > PROGRAMME_TODAY - timedelta(days=365):
        return [""] * len(frame)
    engaged = frame.engaged.to_numpy() == "yes"
    risk = np.where(engaged, SELECTION["risk_if_engaged"] + SELECTION["effect"],
                    SELECTION["risk_if_refused"])  # fmt: skip
    return ["yes" if r else "no" for r in rng.random(len(frame)) < risk]


def _returns(rng: np.random.Generator, out: Path) -> dict[str, Any]:
    truth: dict[str, Any] = {"late": [], "missing": [], "refused": [], "selection": SELECTION}
    # outcomes draw from their own stream, so the rest of the demo is as it was without them
    outcomes = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])  # type: ignore[attr-defined]
    for i, (name, *_rest) in enumerate(INTERVENTIONS):
        folder = out / return_folder(name)
        folder.mkdir(parents=True, exist_ok=True)
        start = date.fromisoformat(INTERVENTIONS[i][8])
        suffix = ".xlsx" if i % 3 == 1 else ".csv"
        for q, period in enumerate(QUARTERS):
            end = quarter_end(period)
            if end < start:
                continue
            if (i, q) in MISSING:
                truth["missing"].append({"intervention": name, "period": period})
                continue
            late = (i, q) in LATE
            when = end + timedelta(days=int(rng.integers(DUE_DAYS + 5, DUE_DAYS + 40) if late
                                             else rng.integers(5, DUE_DAYS)))  # fmt: skip
            frame = _return_rows(rng, int(rng.integers(15, 40)), 1000 * i + 40 * q)
            if i == SELECTION["intervention"]:
                frame[OUTCOME["name"]] = _reoffended(outcomes, frame, end)
            if late:
                truth["late"].append({"intervention": name, "period": period})
            if (i, q) in REFUSED:
                column, value = REFUSED[(i, q)]
                bad = frame.astype(object)
                bad.loc[4, column] = value
                path = folder / f"{period}{suffix}"
                _write_return(bad, path, when)
                truth["refused"].append({"intervention": name, "period": period,
                                         "file": f"{return_folder(name)}/{path.name}", "row": 6,
                                         "column": column, "value": value})  # fmt: skip
                _write_return(frame, folder / f"{period}-v2{suffix}", when + timedelta(days=3))
            else:
                _write_return(frame, folder / f"{period}{suffix}", when)
    return truth


def _training(rng: np.random.Generator, n: int = 120) -> pd.DataFrame:
    rows = []
    orgs = ["Kingsmere schools", "Northbrook social care", "Eastford youth services",
            "Redwater police", "Southmoor health visitors"]  # fmt: skip
    for k in range(n):
        ref, org = f"T{k:04d}", orgs[k % len(orgs)]
        day = date(2020, 6, 1) + timedelta(days=int(rng.integers(0, 600)))
        reached = int(rng.integers(2, 40))
        for statement, lift in STATEMENTS.items():
            pre = int(rng.integers(1, 5))
            post = (
                min(5, pre + int(rng.random() < lift))
                if lift
                else int(np.clip(pre + rng.integers(-1, 2), 1, 5))
            )
            rows.append((ref, org, day.isoformat(), reached, statement, pre, post))
    t = pd.DataFrame(rows, columns=["participant_ref", "organisation", "trained_on",
                                    "reached_per_week", "statement", "pre", "post"])  # fmt: skip
    t.loc[rng.random(len(t)) < 0.03, "post"] = None  # some never filled in the "after" form
    return t


def write_programme(folder: Path, seed: int, pilots: list[dict[str, Any]]) -> ProgrammeDemo:
    """Write the programme's files into ``folder`` (``pilots`` as in ``truth.json``)."""
    rng = np.random.default_rng([seed, 7])
    folder.mkdir(parents=True, exist_ok=True)
    files = ProgrammeDemo(folder, folder / "registry.json", folder / "returns",
                          folder / "training.csv", folder / "programme_truth.json")  # fmt: skip
    files.registry.write_text(jsonio.dumps(_registry(pilots), indent=1))
    truth = _returns(rng, files.returns)
    _training(rng).to_csv(files.training, index=False)
    truth["training"] = [{"statement": s, "lift_probability": p} for s, p in STATEMENTS.items()]
    truth["today"] = PROGRAMME_TODAY.isoformat()
    files.truth.write_text(json_text(truth))
    return files
