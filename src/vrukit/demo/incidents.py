"""The demo region's significant incidents over the year 2021-22: six incidents (half in the
pilots' places), each placed by a demo postcode, with the response's checklist times, the surge
offer (the nearest services and some of the seed's pathways) and its uptake counted afterwards.
No one's identity is written, because the store holds none.

Written as ``incidents.json`` in the demo folder (``vrukit.incidents.load`` reads it); each
incident's planted checklist times are its truth.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vrukit.demo._stable import json_text

__all__ = ["write_incidents"]

KINDS = ["stabbing", "serious_assault", "stabbing", "shooting", "serious_assault", "disorder"]
#: Checklist steps and the hours after the incident each is done (jittered per incident).
STEP_HOURS = [("partners_alerted", 1.0), ("tension_assessed", 3.0), ("outreach_deployed", 6.0),
              ("schools_informed", 16.0), ("surge_offer_agreed", 30.0),
              ("community_reassurance", 48.0), ("debrief_held", 24.0 * 14)]  # fmt: skip
PATHWAY_OFFERS = [["sports", "ae"], ["sports"], ["custody", "sports"], ["ae", "county_lines"],
                  ["sports", "parents"], ["sports"]]  # fmt: skip


def _incident(rng: np.random.Generator, k: int, pc: pd.Series) -> dict[str, Any]:
    day = datetime(2021, 4, 1) + timedelta(days=int(30 + 55 * k + rng.integers(0, 20)))
    at = day.replace(hour=int(rng.integers(15, 23)), minute=int(rng.integers(0, 4)) * 15)
    steps = []
    for j, (step, hours) in enumerate(STEP_HOURS):
        if k == 5 and j >= 5:  # the latest incident's response is still under way
            break
        done = at + timedelta(hours=hours * (0.8 + 0.4 * float(rng.random())))
        steps.append({"step": step, "done_at": done.replace(second=0, microsecond=0).isoformat()})
    pathways = PATHWAY_OFFERS[k]
    counted = (at + timedelta(days=28)).date().isoformat()
    # counts for each pathway offered and for up to three services (as many as were near)
    uptake = [{"pathway": key, "counted_on": counted, "young_people": int(rng.integers(2, 25)),
               "sessions": int(rng.integers(1, 9))} for key in pathways]  # fmt: skip
    uptake += [{"service_rank": r, "counted_on": counted,
                "young_people": int(rng.integers(2, 25)), "sessions": int(rng.integers(1, 9))}
               for r in range(1, 4)]  # fmt: skip
    return {
        "occurred_at": at.isoformat(), "kind": KINDS[k], "where": pc["postcode"],
        "radius_m": 1000, "summary": f"{KINDS[k].replace('_', ' ').capitalize()} in a public "
        "place; police investigating.", "recorded_at": (at + timedelta(hours=1)).isoformat(),
        "steps": steps, "offer_nearest": 3, "pathways": pathways, "uptake": uptake,
    }  # fmt: skip


def write_incidents(path: Path, seed: int, postcodes: pd.DataFrame, pilot_areas: set[str]) -> Path:
    """Write six incidents to ``path``, placed at ``postcodes`` (three in ``pilot_areas``)."""
    rng = np.random.default_rng([seed, 34])
    inside = postcodes[postcodes["lsoa_code"].isin(pilot_areas)].sort_values("postcode")
    outside = postcodes[~postcodes["lsoa_code"].isin(pilot_areas)].sort_values("postcode")
    picks = [inside.iloc[int(rng.integers(len(inside)))] if k % 2 == 0 and len(inside)
             else outside.iloc[int(rng.integers(len(outside)))] for k in range(6)]  # fmt: skip
    incidents = [_incident(rng, k, pc) for k, pc in enumerate(picks)]
    path.write_text(json_text({"incidents": incidents}))
    return path
