"""ISTV location resolution: vrukit's matcher (rapidfuzz) against the standard library's difflib.

Builds a gazetteer like the demo's - 7 towns, each with its own streets named from the demo's
stems and kinds, plus pubs and stations - and descriptions in the forms EDs write (abbreviated,
with filler words, one character dropped in 12%), then times, in one process:

- vrukit: ``resolve_locations`` - normalise, exact or ``rapidfuzz`` match, place by probability;
- peer: the same matching step alone with ``difflib.get_close_matches`` (cutoff 0.85), the
  standard library's fuzzy matcher, on the distinct normalised queries.

Run: .venv/bin/python benchmarks/istv_locate.py [descriptions]
"""

from __future__ import annotations

import difflib
import sys
import time

import numpy as np
import pandas as pd

from vrukit.analysis.locate import build_gazetteer, normalise, resolve_locations
from vrukit.demo._records import KINDS, MORE_STREETS, STREETS
from vrukit.demo.istv import ABBREV, PUBS


def gazetteer_inputs(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    towns = [
        "Ashby Vale",
        "Eastford",
        "Hollins",
        "Kingsmere",
        "Northbrook",
        "Redwater",
        "Southmoor",
    ]
    names = [f"{s} {k}" for s in STREETS + MORE_STREETS for k in KINDS]
    rows, areas = [], []
    for t, town in enumerate(towns):
        for k, name in enumerate(rng.choice(names, 560, replace=False)):
            code = f"E0190{t}{k % 250:03d}"
            rows.append((f"On or near {name}", code, -1.5 + t / 10, 52.5, int(rng.integers(1, 50))))
            areas.append((code, town))
    snap = pd.DataFrame(rows, columns=["location", "lsoa_code", "longitude", "latitude", "n"])
    area = pd.DataFrame(areas, columns=["lsoa_code", "lad_name"]).drop_duplicates("lsoa_code")
    return snap, area, names


def descriptions(rng: np.random.Generator, names: list[str], n: int) -> list[str]:
    out = []
    for _ in range(n):
        name = str(rng.choice(names)) if rng.random() < 0.8 else f"The {rng.choice(PUBS)}"
        w = name.split()
        form = int(rng.integers(0, 4))
        text = (name, " ".join([*w[:-1], ABBREV.get(w[-1], w[-1])]), f"outside {name}",
                f"near shops on {name}")[form]  # fmt: skip
        if rng.random() < 0.12 and len(text) > 8:
            k = int(rng.integers(2, len(text) - 2))
            text = text[:k] + text[k + 1 :]
        out.append(text)
    return out


def main(n: int) -> None:
    rng = np.random.default_rng(7)
    snap, areas, names = gazetteer_inputs(rng)
    venues = pd.DataFrame(
        {"name": [f"The {p}" for p in PUBS], "kind": "licensed_premises", "longitude": -1.5,
         "latitude": 52.5, "lsoa_code": areas.lsoa_code.iloc[: len(PUBS)].to_numpy()}
    )  # fmt: skip
    gz = build_gazetteer(snap, venues, areas)
    texts = descriptions(rng, names, n)
    rows = pd.DataFrame(
        {"site_code": rng.choice(["A", "B", "C", "D"], n), "location_description": texts}
    )
    t0 = time.perf_counter()
    out = resolve_locations(rows, gz)
    ours = time.perf_counter() - t0
    queries = sorted({normalise(t) for t in texts} - set(gz.keys))
    t0 = time.perf_counter()
    found = [difflib.get_close_matches(q, gz.keys, n=1, cutoff=0.85) for q in queries]
    peer = time.perf_counter() - t0
    print(f"descriptions: {n:,}; distinct queries needing a fuzzy match: {len(queries):,}")
    print(f"vrukit resolve_locations (all steps): {ours:.2f} s, "
          f"{(out.status == 'resolved').mean():.1%} resolved")  # fmt: skip
    print(f"peer difflib.get_close_matches (fuzzy step only): {peer:.2f} s, "
          f"{np.mean([bool(f) for f in found]):.1%} of those matched")  # fmt: skip
    print(f"ratio difflib / vrukit: {peer / ours:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
