"""Hotspot benchmark: vrukit's Gi* + Local Moran's I against esda's, same weights, same run.

(a) the 910 Merseyside LSOAs with their real violence counts (11 months of 2022, queen
contiguity); (b) a 187 x 187 queen lattice (34,969 areas) with Poisson counts and planted blocks.
Each contender runs Gi* (binary, star) and Local Moran (row-standardised) with 999 permutations:
once in a fresh process, timed from before the imports (as the CLI runs), then again warm in the
same process. Prints seconds and the ratios, and checks the statistics agree.

    .venv/bin/python benchmarks/hotspots.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
PERMS = 999


def _inputs(work: Path) -> dict[str, Path]:
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp
    import shapely

    from vrukit.analysis.neighbours import queen
    from vrukit.ingest.reference import read_boundaries
    from vrukit.schemas import VIOLENCE_TYPES

    out = {}
    a = read_boundaries(
        SHARED / "geography" / "lsoa11_boundaries_bgc_liverpool-city-region_E47000004.geojson"
    )
    a = a[a.lad_code != "E06000006"].reset_index(drop=True)
    nb = queen(shapely.from_wkb(a.geometry_wkb.to_numpy()), a.lsoa_code.to_numpy())
    files = sorted((SHARED / "policeuk" / "merseyside").glob("*.csv.gz"))
    c = pd.concat(pd.read_csv(f, usecols=["LSOA code", "Crime type"]) for f in files)
    counts = c[c["Crime type"].isin(VIOLENCE_TYPES)]["LSOA code"].value_counts()
    y = a.lsoa_code.map(counts).fillna(0).to_numpy(dtype=float)
    out["merseyside"] = work / "merseyside.npz"
    np.savez(out["merseyside"], y=y, **_csr(nb.matrix))
    side = 187
    boxes = [shapely.box(x, r, x + 1, r + 1) for r in range(side) for x in range(side)]
    lat = queen(np.array(boxes), np.arange(side * side).astype(str))
    rng = np.random.default_rng(1)
    yl = rng.poisson(5, side * side).astype(float)
    for _ in range(40):
        r, col = rng.integers(0, side - 4, 2)
        for dr in range(3):
            yl[(r + dr) * side + col : (r + dr) * side + col + 3] += rng.poisson(25, 3)
    out["lattice"] = work / "lattice.npz"
    np.savez(out["lattice"], y=yl, **_csr(sp.csr_matrix(lat.matrix)))
    return out


def _csr(m):  # type: ignore[no-untyped-def]
    return {"data": m.data, "indices": m.indices, "indptr": m.indptr, "shape": m.shape}


def _load(path: str):  # type: ignore[no-untyped-def]
    import numpy as np
    import scipy.sparse as sp

    z = np.load(path)
    m = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
    return z["y"], m


def run_vrukit(path: str) -> tuple[list, list]:
    import numpy as np

    from vrukit.analysis.hotspots import gi_star, local_moran
    from vrukit.analysis.neighbours import Neighbours

    y, m = _load(path)
    nb = Neighbours(np.arange(len(y)).astype(str), m, "given")
    g = gi_star(y, nb, permutations=PERMS, seed=1)
    li = local_moran(y, nb, permutations=PERMS, seed=2)
    return g.gi_z.tolist(), li.lisa_i.tolist()


def run_esda_without_numba(path: str) -> tuple[list, list]:
    """esda as installed without numba (an optional dependency of esda): its permutation
    engine then runs as plain Python and NumPy, with no compilation."""
    sys.modules["numba"] = None  # type: ignore[assignment]  # import numba now fails
    return run_esda(path)


def run_esda(path: str) -> tuple[list, list]:
    import warnings

    import esda
    from libpysal.weights import WSP

    y, m = _load(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = WSP(m).to_W(silence_warnings=True)
        g = esda.G_Local(y, w, transform="B", star=True, permutations=PERMS, seed=1)
        li = esda.Moran_Local(y, w, permutations=PERMS, seed=2)
    return list(g.Zs), list(li.Is)


RUNNERS = {"vrukit": run_vrukit, "esda": run_esda, "esda without numba": run_esda_without_numba}


def one(who: str, path: str) -> None:
    """Child process: fresh timing from interpreter start is taken by the parent; warm here."""
    t = time.perf_counter()
    z, i = RUNNERS[who](path)
    first = time.perf_counter() - t
    t = time.perf_counter()
    RUNNERS[who](path)
    warm = time.perf_counter() - t
    print(json.dumps({"first_call": first, "warm": warm, "z": z, "i": i}))


def measure(who: str, path: Path) -> dict:
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--one", who, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r["fresh"] = time.perf_counter() - t - r["warm"]  # process start to end of first call
    return r


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        one(sys.argv[2], sys.argv[3])
        return
    if not SHARED.exists():
        sys.exit(f"no shared data at {SHARED}: see ../shared/data/SOURCES.md")
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        for label, path in _inputs(Path(tmp)).items():
            res = {who: measure(who, path) for who in RUNNERS}
            v = res["vrukit"]
            print(f"\n({label}) {len(v['z']):,} areas, Gi* + Local Moran, {PERMS} permutations")
            for who, r in res.items():
                print(f"  {who:18s} fresh process {r['fresh']:7.2f} s   warm {r['warm']:7.3f} s")
            for peer in ("esda", "esda without numba"):
                e = res[peer]
                dz = np.abs(np.array(v["z"]) - np.array(e["z"])).max()
                di = np.abs(np.array(v["i"]) - np.array(e["i"])).max()
                print(
                    f"  against {peer}: vrukit is {e['fresh'] / v['fresh']:.2f}x as fast fresh, "
                    f"{e['warm'] / v['warm']:.1f}x warm; max |z difference| {dz:.1e}, "
                    f"max |I difference| {di:.1e}"
                )


if __name__ == "__main__":
    main()
