"""The demo region's commissioning and governance year (April 2021 to March 2022), as files:

- ``commissioning.json``: two funding rounds with their panels (each with a declared
  conflict), applications, scores, a moderation and the decisions; the payment schedules of
  the interventions already running; spend typed by quarter; the delivery plan with its
  updates, the risk register with its reviews, and the decision and issue log;
- ``commissioning_returns/<intervention>/<YYYY-Qn>.csv``: the monitoring returns of the
  Community Initiatives Fund's awards (October 2021 to March 2022);
- ``spend_return_2022-Q1.csv``: the last quarter's spend as a spend return, in the layout of
  docs/commissioning.md.

The sports round is for 2022/23, like the seed report's sports diversion programme: 28 clubs
apply, 26 are funded (its contracts start after the demo's last quarter, so no returns are due
yet). What was planted is in ``commissioning_truth.json``: the rounds' order of merit (scores
are drawn around a planted quality, with margins a scorer's noise cannot cross), the
conflicts, the moderation, and the intervention whose spend falls behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vrukit.demo._stable import json_text
from vrukit.demo.partnerships import write_partnerships
from vrukit.demo.programme import (
    ORGANISATIONS,
    ProgrammeDemo,
    _arrived,
    _return_rows,
    write_programme,
)
from vrukit.demo.qualitative import write_qualitative
from vrukit.demo.voice import write_voice
from vrukit.ingest.periods import quarter_end, return_folder

__all__ = ["CommissioningDemo", "write_commissioning", "write_programme_year"]

YEAR = ["2021-Q2", "2021-Q3", "2021-Q4", "2022-Q1"]
PANEL = ["commissioner@demo.vru", "analyst@demo.vru", "panel@demo.vru"]
CRITERIA = [["Need and reach", 3.0], ["Quality of the approach and its evidence", 2.0],
            ["Value for money", 1.0]]  # fmt: skip
QUESTIONS = [
    {"key": "q1", "text": "Are you a registered charity, social enterprise or constituted group?",
     "must": "yes"},
    {"key": "q2", "text": "Do you have a safeguarding policy?", "must": "yes"},
]  # fmt: skip
TOWNS = ["Eastford", "Northbrook", "Kingsmere", "Redwater", "Southmoor", "Canalside",
         "Westholme", "Hillcrest", "Millbank", "Oakfield", "Ashgrove", "Brookside", "Fernhill",
         "Stonebridge"]  # fmt: skip
SPORTS = ["Boxing Club", "Football Club", "Basketball Club", "Judo Club", "Athletics Club",
          "Netball Club", "Cricket Club"]  # fmt: skip
SPORTS_PROGRAMME = "Sports Diversion & Impact Programme 2022/23"
#: Community Initiatives Fund applicants: organisation, title, strand, tier, reach, amount,
#: planted quality (0-5; the top four are funded: 1.4 above the rest, a margin no scorer's
#: noise crosses).
CIF = [
    ("Canalside Youth Mentors", "Canalside mentoring for 12 to 16s", "Mentoring", "secondary",
     60, 24_000, 4.6),
    ("Westholme Detached Youth Work", "Friday night detached youth work", "After-school programmes",
     "primary", 150, 18_000, 4.0),
    ("Kingsmere Parents Together", "Parenting together in Kingsmere", "Parenting programmes",
     "primary", 45, 12_000, 3.4),
    ("Redwater Boxing Academy", "Boxing and mentoring in Redwater", "Sports programmes",
     "secondary", 80, 20_000, 3.0),
    ("Southmoor Arts Collective", "Street art in Southmoor", "Arts programmes", "primary", 90,
     15_000, 1.6),
    ("Fernhill Knife Awareness", "Knife crime talks in schools", "Knife crime education programmes",
     "primary", 900, 9_000, 1.0),
]  # fmt: skip
#: Planted: the intervention whose spend falls behind its forecast, from which quarter.
UNDERSPEND = ("Resettlement", "2021-Q3", 0.45)


@dataclass(frozen=True)
class CommissioningDemo:
    data: Path
    returns: Path
    spend_return: Path
    truth: Path


def _scores(rng: np.random.Generator, quality: float, n: int = 3) -> list[list[int]]:
    """Each scorer's scores on the three criteria: the planted quality, plus a scorer's noise
    of at most 0.3 before rounding (so scorers differ by a point at most, and a quality 1.4
    above another always scores higher)."""
    noise = rng.uniform(-0.3, 0.3, (n, len(CRITERIA)))
    return np.clip(np.rint(quality + noise), 0, 5).astype(int).tolist()


def _application(
    org: str, title: str, strand: str, tier: str, reach: int, amount: int, area: str,
    ages: tuple[int, int], answers: str = "yes",
) -> dict[str, Any]:  # fmt: skip
    staff = round(amount * 0.7)
    return {"organisation": org, "title": title, "summary": f"{title}: weekly sessions with "
            f"young people referred by schools and youth workers.", "reach": reach,
            "thematic_area": area, "prevention_tier": tier, "yef_strand": strand,
            "ages": list(ages), "answers": {"q1": answers, "q2": "yes"},
            "budget": [["Sessional staff", "staff", staff],
                       ["Venue and equipment", "venue", amount - staff]]}  # fmt: skip


def _cif(rng: np.random.Generator) -> tuple[dict[str, Any], dict[str, Any]]:
    apps: list[dict[str, Any]] = []
    for org, title, strand, tier, reach, amount, quality in CIF:
        a = _application(org, title, strand, tier, reach, amount, "sport" if "Box" in org
                         else "education", (11, 17))  # fmt: skip
        a["submitted"] = "2021-06-0" + str(2 + len(apps) % 7)
        a["scores"] = _scores(rng, quality)
        apps.append(a)
    # planted disagreement: the second scorer marks the third applicant's need far down; the
    # panel moderates it back to 3
    apps[2]["scores"][1][0] = max(0, apps[2]["scores"][0][0] - 3)
    apps[2]["moderation"] = [{"criterion": CRITERIA[0][0], "score": 3, "by": PANEL[0],
                              "note": "Agreed at panel: need is evidenced by the SNA"}]  # fmt: skip
    apps[1]["conflict"] = {"by": PANEL[1], "reason": "A relative volunteers with the applicant"}
    apps[1]["scores"][1] = None  # the conflicted member does not score it
    for k, a in enumerate(apps):
        if k < 4:
            a["decision"] = {"award": a["budget"][0][2] + a["budget"][1][2], "start": "2021-10-01",
                             "end": "2022-03-31", "instalments": 2, "at": "2021-07-21",
                             "conditions": "Quarterly returns through the portal"}  # fmt: skip
        else:
            a["decision"] = {
                "decline": "Scored below the funding line: the Toolkit finds too "
                "little evidence for this approach",
                "at": "2021-07-21",
            }
    rnd = {"name": "Community Initiatives Fund 2021/22", "fund": "Community Initiatives Fund",
           "budget": 80_000, "opens": "2021-05-04", "closes": "2021-06-11", "scoring": "2021-06-14",
           "description": "Small grants for community groups working with 10 to 25s in the "
                          "priority places.",
           "criteria": CRITERIA, "questions": QUESTIONS, "panel": PANEL, "min_scorers": 2,
           "baseline": {"primary": 0.02, "secondary": 0.12, "tertiary": 0.6},
           "applications": apps}  # fmt: skip
    truth = {"awarded": [a["title"] for a in apps[:4]],
             "declined": [a["title"] for a in apps[4:]], "moderated": apps[2]["title"],
             "conflict": {"by": PANEL[1], "title": apps[1]["title"]}}  # fmt: skip
    return rnd, truth


def _sports(rng: np.random.Generator) -> tuple[dict[str, Any], dict[str, Any]]:
    clubs = [
        f"{TOWNS[k % len(TOWNS)]} {SPORTS[(k + k // len(TOWNS)) % len(SPORTS)]}" for k in range(28)
    ]
    quality = np.r_[np.linspace(4.6, 2.6, 26), [0.8, 0.6]]  # two far below the line
    apps = []
    for k, club in enumerate(clubs):
        a = _application(club, f"{club}: diversion sessions", "Sports programmes", "secondary",
                         int(rng.integers(30, 90)), int(rng.integers(8, 13)) * 1_000, "sport",
                         (10, 18))  # fmt: skip
        a["submitted"] = f"2022-01-{10 + k % 18:02d}"
        a["scores"] = _scores(rng, float(quality[k]))
        a["decision"] = ({"award": sum(b[2] for b in a["budget"]), "start": "2022-04-01",
                          "end": "2023-03-31", "instalments": 4, "at": "2022-03-10"}
                         if k < 26 else
                         {"decline": "Below the funding line", "at": "2022-03-10"})  # fmt: skip
        apps.append(a)
    apps[5]["conflict"] = {"by": PANEL[2], "reason": "I am a trustee of the club"}
    apps[5]["scores"][2] = None
    total = sum(a["decision"].get("award", 0) for a in apps)
    rnd = {"name": "Sports diversion clubs 2022/23", "fund": "Sports Diversion & Impact Programme",
           "budget": float(total) + 5_000, "opens": "2022-01-04", "closes": "2022-02-04",
           "scoring": "2022-02-07", "criteria": CRITERIA, "questions": QUESTIONS,
           "panel": PANEL, "min_scorers": 2, "programme": SPORTS_PROGRAMME,
           "baseline": {"secondary": 0.12}, "applications": apps}  # fmt: skip
    truth = {"applications": len(apps), "awarded": 26, "declined": [a["title"] for a in apps[26:]],
             "conflict": {"by": PANEL[2], "title": apps[5]["title"]}}  # fmt: skip
    return rnd, truth


def _quarter_start(q: str) -> date:
    end = quarter_end(q)
    return date(end.year, end.month - 2, 1)


def _payments_and_spend(
    rng: np.random.Generator, registry: dict[str, Any], grants: list[tuple[str, float]]
) -> tuple[list[dict[str, Any]], list[Any]]:  # fmt: skip
    """Quarterly payments over each funded intervention's contract, and the spend of the demo's
    year: the funding spread evenly over the contract's quarters, times a factor near one,
    except the planted underspend. ``grants``: the Fund's awards (title, amount), which run
    over the year's last two quarters."""
    payments, spend = [], []
    for iv in registry["interventions"]:
        first, last = (
            date.fromisoformat(iv["contract_start"]),
            date.fromisoformat(iv["contract_end"]),
        )
        quarters = [q for y in range(first.year, last.year + 1) for q in
                    (f"{y}-Q{n}" for n in range(1, 5))
                    if first <= quarter_end(q) and _quarter_start(q) <= last]  # fmt: skip
        each = round(iv["funding"] / len(quarters), 2)
        for q in quarters:
            payments.append({"intervention": iv["name"], "due": _quarter_start(q).isoformat(),
                             "amount": each})  # fmt: skip
            if q in YEAR:
                factor = float(rng.uniform(0.94, 1.03))
                if iv["name"] == UNDERSPEND[0] and q >= UNDERSPEND[1]:
                    factor = UNDERSPEND[2]
                spend.append([iv["name"], q, round(each * factor, 2)])
    for title, amount in grants:
        spend += [[title, q, round(amount / 2 * float(rng.uniform(0.94, 1.03)), 2)]
                  for q in YEAR[2:]]  # fmt: skip
    return payments, spend


def _plan() -> list[dict[str, Any]]:
    def act(title: str, owner: str, due: str, updates: list[tuple[str, str, str]],
            intervention: str | None = None) -> dict[str, Any]:  # fmt: skip
        return {
            "title": title,
            "owner": owner,
            "due": due,
            "intervention": intervention,
            "updates": [{"at": a, "status": s, "note": n} for a, s, n in updates],
        }

    return [
        {"title": "Understand violence and its causes", "actions": [
            act("Publish the 2021 Strategic Needs Assessment", "VRU analyst", "2021-09-30",
                [("2021-06-30", "on_track", "Data shared by all partners"),
                 ("2021-09-28", "complete", "Published on the SNA site")]),
            act("Add A&E assault data from all three hospitals", "Health lead", "2021-12-31",
                [("2021-06-30", "on_track", "Two of three sharing"),
                 ("2021-09-30", "at_risk", "Third hospital's agreement delayed"),
                 ("2021-12-20", "off_track", "Agreement not signed"),
                 ("2022-03-25", "at_risk", "Signed; first extract due May")]),
        ]},
        {"title": "Intervene early with young people at risk", "actions": [
            act("Commission the Community Initiatives Fund", "Commissioning lead", "2021-08-31",
                [("2021-06-30", "on_track", "28 enquiries, 6 applications"),
                 ("2021-07-30", "complete", "Four grants awarded")]),
            act("Extend Teachable Moments to a second custody suite", "Custody lead",
                "2022-03-31", [("2021-06-30", "on_track", "Site chosen"),
                               ("2021-12-20", "at_risk", "Recruitment of two workers slow"),
                               ("2022-03-25", "on_track", "Both workers in post")],
                "Teachable Moments in Custody"),
            act("Recommission the sports programme for 2022/23", "Commissioning lead",
                "2022-03-31", [("2021-12-20", "on_track", "Round opens in January"),
                               ("2022-03-15", "complete", "26 clubs funded")]),
            act("Agree resettlement referral pathway with probation", "Programme manager",
                "2021-12-31", [("2021-06-30", "on_track", "Draft agreed"),
                               ("2021-09-30", "at_risk", "Referrals below plan"),
                               ("2021-12-20", "off_track", "Provider short of staff; spend "
                                "behind plan")], "Resettlement"),
        ]},
        {"title": "Build a trauma-informed workforce", "actions": [
            act("Train 500 front-line staff", "Training lead", "2022-03-31",
                [("2021-06-30", "on_track", "120 trained"),
                 ("2021-12-20", "on_track", "310 trained"),
                 ("2022-03-25", "complete", "540 trained")], "Trauma-informed training"),
            act("Trauma-informed policy adopted by all partners", "VRU director", "2022-03-31",
                [("2021-09-30", "on_track", "Four of seven adopted"),
                 ("2022-03-25", "at_risk", "Two partners yet to adopt")]),
        ]},
    ]  # fmt: skip


def _risks() -> list[dict[str, Any]]:
    def risk(title: str, owner: str, raised: str, mitigations: str,
             reviews: list[tuple[str, int, int, str]]) -> dict[str, Any]:  # fmt: skip
        return {"title": title, "owner": owner, "raised": raised, "mitigations": mitigations,
                "reviews": [{"at": a, "likelihood": lk, "impact": im, "note": n}
                            for a, lk, im, n in reviews]}  # fmt: skip

    return [
        risk("Home Office funding for 2022/23 not confirmed in time", "VRU director",
             "2021-04-01", "Early engagement with the Home Office; reserves plan",
             [("2021-04-01", 3, 5, "Raised"), ("2021-10-01", 4, 5, "Spending review delayed"),
              ("2022-01-15", 2, 5, "Allocation letter received")]),
        risk("A hospital stops sharing A&E assault data", "Health lead", "2021-04-01",
             "Data-sharing agreements; ISTV feedback reports to each trust",
             [("2021-04-01", 2, 4, "Raised"), ("2021-10-01", 4, 4, "Agreement lapsed at one trust"),
              ("2022-03-25", 2, 4, "New agreement signed")]),
        risk("Providers' monitoring returns late or missing", "Programme manager", "2021-04-01",
             "Portal reminders; templates agreed with providers",
             [("2021-04-01", 3, 3, "Raised"), ("2021-10-01", 3, 3, "Two returns late"),
              ("2022-01-15", 2, 3, "Portal in use by every provider")]),
        risk("Underspend returned to the Home Office", "Finance lead", "2021-07-01",
             "Quarterly spend review; reallocation between strands",
             [("2021-07-01", 2, 3, "Raised"), ("2021-10-01", 3, 3, "Resettlement behind plan"),
              ("2022-01-15", 4, 3, "Resettlement still behind")]),
        risk("Community tension after a serious incident", "Community engagement lead",
             "2021-04-01", "Surge offer with the Youth Map's services; community champions",
             [("2021-04-01", 3, 4, "Raised"), ("2022-01-15", 3, 4, "No change")]),
        risk("Safeguarding incident at a funded provider", "Safeguarding lead", "2021-09-01",
             "Safeguarding policy a condition of every award; spot checks",
             [("2021-09-01", 2, 5, "Raised with the new grants")]),
    ]  # fmt: skip


LOG = [
    ["decision", "2021-04-22", "Delivery plan 2021/22 approved", "Programme board", True],
    ["decision", "2021-07-21", "Four Community Initiatives Fund grants awarded", "PCC", True],
    ["issue", "2021-09-30", "Third hospital's data-sharing agreement delayed", "Health lead",
     False],
    ["issue", "2021-10-21", "Resettlement spend behind plan", "Finance lead", False],
    ["decision", "2021-10-21", "Resettlement's Q4 payment held pending a recovery plan",
     "Programme board", False],
    ["decision", "2022-01-20", "Sports diversion recommissioned for 2022/23 through a round",
     "Programme board", True],
    ["decision", "2022-03-10", "26 sports clubs funded for 2022/23", "PCC", True],
    ["issue", "2022-03-24", "Two partners yet to adopt the trauma-informed policy",
     "VRU director", False],
]  # fmt: skip


def _cif_returns(rng: np.random.Generator, rnd: dict[str, Any], folder: Path) -> None:
    for k, a in enumerate(rnd["applications"]):
        if "award" not in a["decision"]:
            continue
        out = folder / return_folder(a["title"])
        out.mkdir(parents=True, exist_ok=True)
        for q, period in enumerate(YEAR[2:]):
            frame = _return_rows(rng, int(rng.integers(6, 18)), 50_000 + 1_000 * k + 100 * q)
            frame = frame.drop(columns=["referred_by"])
            path = out / f"{period}.csv"
            frame.to_csv(path, index=False)
            _arrived(path, quarter_end(period) + timedelta(days=int(rng.integers(5, 25))))


def write_commissioning(folder: Path, seed: int) -> CommissioningDemo:
    rng = np.random.default_rng([seed, 30])
    files = CommissioningDemo(folder / "commissioning.json", folder / "commissioning_returns",
                              folder / "spend_return_2022-Q1.csv",
                              folder / "commissioning_truth.json")  # fmt: skip
    cif, cif_truth = _cif(rng)
    sports, sports_truth = _sports(rng)
    registry = json.loads((folder / "registry.json").read_text(encoding="utf-8"))
    grants = [(a["title"], float(a["decision"]["award"])) for a in cif["applications"]
              if "award" in a["decision"]]  # fmt: skip
    payments, spend = _payments_and_spend(rng, registry, grants)
    typed = [s for s in spend if s[1] != YEAR[-1]]
    pd.DataFrame([s for s in spend if s[1] == YEAR[-1]],
                 columns=["intervention", "quarter", "amount"]).assign(
        category="", note="").to_csv(files.spend_return, index=False)  # fmt: skip
    orgs = sorted({a["organisation"] for r in (cif, sports) for a in r["applications"]}
                  - {n for n, _ in ORGANISATIONS})  # fmt: skip
    data = {
        "organisations": [{"name": o, "kind": "provider"} for o in orgs],
        "programmes": [{"name": SPORTS_PROGRAMME, "provider": "Eastford Boxing Club",
                        "thematic_area": "sport", "prevention_tier": "secondary",
                        "yef_strand": "Sports programmes", "contract_start": "2022-04-01",
                        "contract_end": "2023-03-31"}],
        "rounds": [cif, sports], "payments": payments, "spend": typed, "plan": _plan(),
        "risks": _risks(), "log": LOG,
    }  # fmt: skip
    files.data.write_text(json_text(data))
    _cif_returns(rng, cif, files.returns)
    truth = {"cif": cif_truth, "sports": sports_truth,
             "underspend": {"intervention": UNDERSPEND[0], "from": UNDERSPEND[1]},
             "quarters": YEAR}  # fmt: skip
    files.truth.write_text(json_text(truth))
    return files


def write_programme_year(folder: Path, seed: int, pilots: list[dict[str, Any]]) -> ProgrammeDemo:
    """The demo programme's files (``programme.write_programme``), its commissioning and
    governance year and its partnerships' year beside them: everything
    ``jobs.demo.load_programme`` loads."""
    files = write_programme(folder, seed, pilots)
    write_commissioning(folder, seed)
    registry = json.loads(files.registry.read_text())
    write_partnerships(folder, seed, registry["boards"])
    places = [p["name"] for p in registry["places"]]
    write_voice(folder, seed, places)
    write_qualitative(folder, seed, places)
    return files
