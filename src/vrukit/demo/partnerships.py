"""The demo region's partnerships over the year 2021-22: the Violence Reduction Board meeting
quarterly, a sports network of clubs joining through the year, a faith alliance, and the
community champions (people, by first name only and invented), each with meetings (attendance,
papers, decisions, actions given to the demo's sign-ins) and the people each network reached.

Written as ``partnerships.json`` beside the registry (``vrukit.partnerships.load`` reads it);
``truth`` in the same file says what was planted: the actions still open on the demo's today
for each owner, and each network's members at each quarter's end.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from vrukit.demo._stable import json_text

__all__ = ["DEMO_TODAY", "write_partnerships"]

#: The demo portal's today (``vrukit.demo.directory.DIRECTORY_TODAY``): actions due before it
#: and not closed are late.
DEMO_TODAY = date(2022, 5, 16)
QUARTERS = ["2021-Q2", "2021-Q3", "2021-Q4", "2022-Q1"]
QUARTER_ENDS = [date(2021, 6, 30), date(2021, 9, 30), date(2021, 12, 31), date(2022, 3, 31)]
CLUBS = [
    "Eastford Amateur Boxing", "Northbrook Wheelers", "Kingsmere Juniors FC", "Redwater Judo",
    "Canalside Basketball", "Millfield Cricket Club", "Eastford Athletics", "Northbrook Netball",
    "Kingsmere Swimming Club", "Redwater Rugby", "Canalside Skate Collective",
    "Millfield Table Tennis", "Eastford Kickboxing", "Northbrook Dance Academy",
    "Kingsmere Climbing Wall", "Redwater Youth Football", "Canalside Rowing",
    "Millfield Taekwondo", "Eastford Street Dance", "Northbrook Badminton",
]  # fmt: skip
FAITH = [
    "Eastford Central Mosque", "St Mary's Church Northbrook", "Kingsmere Gurdwara",
    "Redwater Methodist Church", "Canalside Community Church", "Millfield Mandir",
]  # fmt: skip
CHAMPIONS = ["Amina", "Ben", "Chloe", "Dev", "Ewa", "Femi", "Grace", "Hassan", "Imogen", "Jay",
             "Kasia", "Liam"]  # fmt: skip
#: (text, owner e-mail): what the board's meetings ask of whom (the demo's sign-ins).
BOARD_ACTIONS = [
    ("Circulate the refreshed Strategic Needs Assessment to partners", "analyst@demo.vru"),
    ("Bring the A&E navigator data-sharing agreement for sign-off", "commissioner@demo.vru"),
    ("Report custody referrals by ethnicity to the next board", "analyst@demo.vru"),
    ("Agree the sports network's small-grants criteria", "commissioner@demo.vru"),
    ("Share the trauma-informed training dates with schools", "boxing@demo.vru"),
    ("Review the risk register's data-quality risk", "admin@demo.vru"),
    ("Confirm the hospital youth work cover for summer", "ae@demo.vru"),
    ("Draft the response strategy's annual refresh", "commissioner@demo.vru"),
]  # fmt: skip
DECISIONS = [
    "Approved the delivery plan for the year", "Agreed to extend the custody pathway to weekends",
    "Noted the quarter's spend against forecast", "Adopted the refreshed needs assessment",
    "Agreed the summer surge offer for the hotspot areas", "Endorsed the youth panel's priorities",
]  # fmt: skip


def _attendance(rng: np.random.Generator, members: list[str]) -> dict[str, str]:
    draw = rng.random(len(members))
    return {m: "present" if d < 0.75 else "apologies" if d < 0.9 else "absent"
            for m, d in zip(members, draw, strict=True)}  # fmt: skip


def _board_meetings(rng: np.random.Generator, members: list[str]) -> list[dict[str, Any]]:
    """Four quarterly board meetings, each with two decisions and two actions: those of the
    first three meetings closed by the next, but one left open (and so late)."""
    meetings, k = [], 0
    for q, held in enumerate([date(2021, 6, 15), date(2021, 9, 14), date(2021, 12, 14),
                              date(2022, 3, 15)]):  # fmt: skip
        actions = []
        for j in range(2):
            text, owner = BOARD_ACTIONS[k % len(BOARD_ACTIONS)]
            k += 1
            due = held + timedelta(days=42 + 7 * j + (58 if (q, j) == (3, 1) else 0))
            kept_open = q == 3 or (q, j) == (1, 1)
            done = None if kept_open else due - timedelta(days=int(rng.integers(1, 20)))
            actions.append(
                {
                    "text": text,
                    "owner": owner,
                    "due": due.isoformat(),
                    "decision": j + 1,
                    "done_on": done.isoformat() if done else None,
                }
            )
        meetings.append({
            "held_on": held.isoformat(), "title": f"Violence Reduction Board {QUARTERS[q]}",
            "attendance": _attendance(rng, members),
            "papers": [{"title": f"Performance report {QUARTERS[q]}", "url": None},
                       {"title": "Risk register", "url": None}],
            "decisions": [DECISIONS[2 * q % 6], DECISIONS[(2 * q + 1) % 6]],
            "actions": actions,
        })  # fmt: skip
    return meetings


def _network(name: str, kind: str, members: list[str], joins: list[date], rng: np.random.Generator,
             meet_every: int) -> dict[str, Any]:  # fmt: skip
    """A network whose ``members`` join on ``joins``, meeting every ``meet_every`` months."""
    meetings = []
    for month in range(4, 16, meet_every):
        held = date(2021 + (month - 1) // 12, (month - 1) % 12 + 1, 20)
        present = [m for m, j in zip(members, joins, strict=True) if j <= held]
        meetings.append({"held_on": held.isoformat(), "title": f"{name} {held:%B %Y}",
                         "attendance": _attendance(rng, present), "papers": [],
                         "decisions": [], "actions": []})  # fmt: skip
    return {"name": name, "kind": "network", "network_type": kind, "place": None,
            "members": [{"organisation": m, "joined": j.isoformat()}
                        for m, j in zip(members, joins, strict=True)],
            "meetings": meetings}  # fmt: skip


def _joins(rng: np.random.Generator, n: int, first: int) -> list[date]:
    """``first`` founding members on 1 April 2021, the rest joining through the year."""
    later = sorted(int(d) for d in rng.integers(30, 360, n - first))
    return [date(2021, 4, 1)] * first + [date(2021, 4, 1) + timedelta(days=d) for d in later]


def write_partnerships(folder: Path, seed: int, registered: list[dict[str, Any]]) -> Path:
    """Write ``folder/partnerships.json`` for the registry's boards (``registered``: its board
    meets, its place networks are stakeholder networks) and three networks more; its path."""
    (main,) = [b for b in registered if b["kind"] == "board"]
    places = [{"name": b["name"], "kind": "network", "network_type": "stakeholder_network"}
              for b in registered if b["kind"] == "network"]  # fmt: skip
    rng = np.random.default_rng([seed, 33])
    sports = _network("Sports Network", "sports_network", CLUBS, _joins(rng, len(CLUBS), 8), rng, 2)
    faith = _network("Faith Alliance", "faith_alliance", FAITH, _joins(rng, len(FAITH), 3), rng, 3)
    champ_joins = _joins(rng, len(CHAMPIONS), 4)
    champions: dict[str, Any] = {"name": "Community Champions", "kind": "network",
                 "network_type": "community_champions", "place": None, "members": [],
                 "people": [{"name": n, "role": "community champion", "joined": j.isoformat()}
                            for n, j in zip(CHAMPIONS, champ_joins, strict=True)],
                 "meetings": []}  # fmt: skip
    sports["reach"] = [{"period": q, "people": int(300 + 120 * i + rng.integers(0, 60)),
                        "activities": 40 + 10 * i} for i, q in enumerate(QUARTERS)]  # fmt: skip
    board: dict[str, Any] = {
        "name": main["name"],
        "kind": "board",
        "network_type": "partnership_board",
        "meetings": _board_meetings(rng, main["members"]),
    }
    networks = [sports, faith, champions]
    truth = {
        "open_actions": _open_actions(board["meetings"]),
        "size": {n["name"]: [sum(date.fromisoformat(m["joined"]) <= end
                                 for m in n["members"] + n.get("people", []))
                             for end in QUARTER_ENDS] for n in networks},
    }  # fmt: skip
    path = Path(folder) / "partnerships.json"
    path.write_text(json_text({"boards": [board, *places, *networks], "truth": truth}))
    return path


def _open_actions(meetings: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per owner: actions still open on ``DEMO_TODAY``, and how many of those are late."""
    out: dict[str, dict[str, int]] = {}
    for m in meetings:
        for a in m["actions"]:
            if a["done_on"] is None:
                row = out.setdefault(a["owner"], {"open": 0, "late": 0})
                row["open"] += 1
                row["late"] += date.fromisoformat(a["due"]) < DEMO_TODAY
    return out
