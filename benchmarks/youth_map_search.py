"""Youth Map keyword search: vrukit's word index against fuzzy matching of each service's text.

Directories come from the demo generator (``--services``, default 5,000 and 10,000). The demo's
text has a small vocabulary (a few hundred words), so each is measured twice: as generated, and
"rich" - every description given 40 more words drawn (Zipf) from 20,000 made-up words, a
vocabulary the size of a real directory's. In one process, for each:

- **index**: building the keyword index (``KeywordIndex``) from the services' text;
- **search**: median and p95 ms a search, for misspelt searches ("boxng", "footbal",
  "mentering", ...) and one that must not drift ("sport", never "support"), against two peers:
  - *per service*: rapidfuzz's ``partial_ratio`` of the search against each service's whole text
    (cutoff 80) - the obvious way to forgive typos, and what vrukit would do without the index;
  - *difflib*: the same word index, with the standard library's ``get_close_matches`` (cutoff
    0.8) in place of rapidfuzz for the typos;
- **quality**: precision and recall of each against the services whose words include the word
  meant.

With a store (for the first size; ``--no-page`` skips it): the whole snapshot's build, and the
Youth Map page for "boxng" near the planted postcode, in process, p50/p95 over 200 requests,
against the same page near the postcode with no words.

``--screenshots DIR`` saves the Youth Map's search ("boxng" near the planted postcode, on the
demo's directory) at 390 px and 1280 px wide, and in Urdu at 390 px, in Debian's Chromium.

    .venv/bin/python benchmarks/youth_map_search.py [--services 5000 10000] [--screenshots DIR]
"""

from __future__ import annotations

import argparse
import difflib
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from vrukit.directory.keywords import KeywordIndex, search_words, words

#: Misspelt searches and the word each means; "sport" must not find "support".
SEARCHES = {"boxng": "boxing", "footbal": "football", "mentering": "mentoring",
            "swiming": "swimming", "dramma": "drama", "counseling": "counselling",
            "sport": "sport"}  # fmt: skip
SEARCH_TIME = datetime(2022, 5, 16, 17, 30)


def directory(folder: Path, organisations: int) -> Path:
    """The demo generator's directory (about 2.45 services an organisation; the demo has 250)."""
    from vrukit.demo.directory import write_directory
    from vrukit.demo.region import make_region

    return write_directory(folder, 2021, make_region(2021, 1750), organisations).folder


def texts(folder: Path, rich: bool) -> list[tuple[str, list[str], str]]:
    data = json.loads((folder / "services.json").read_text())
    terms = {t["id"]: t["name"] for t in data["taxonomy_terms"]}
    out = [(s["name"], [terms[a["taxonomy_term_id"]] for a in s.get("attributes", [])],
            s.get("description", "")) for s in data["services"]]  # fmt: skip
    if not rich:
        return out
    rng = np.random.default_rng(7)
    letters = np.array(list("abcdefghiklmnoprstuvwy"))
    made_up = ["".join(rng.choice(letters, rng.integers(4, 11))) for _ in range(20_000)]
    pick = np.minimum(rng.zipf(1.05, (len(out), 40)), 20_000) - 1
    return [(n, c, d + " " + " ".join(made_up[k] for k in row))
            for (n, c, d), row in zip(out, pick, strict=True)]  # fmt: skip


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], result


def per_service(query: str, joined: list[str]) -> set[int]:
    hits = process.extract(query, joined, scorer=fuzz.partial_ratio, score_cutoff=80,
                           limit=None)  # fmt: skip
    return {k for _, _, k in hits}


def with_difflib(index: KeywordIndex, query: str) -> set[int]:
    """The word index with difflib for the typos (the vocabulary's other matches as vrukit)."""
    keep = np.ones(index.size, bool)
    for word in search_words(query):
        found = index.spelt(word)
        if not found:
            close = difflib.get_close_matches(word, index.vocabulary, n=10, cutoff=0.8)
            found = {index.vocabulary.index(w): 1.0 for w in close}
        hit = np.zeros(index.size, bool)
        for i in found:
            hit[index._postings[i][0]] = True
        keep &= hit
    return set(np.flatnonzero(keep).tolist())


def measure(name: str, services: list[tuple[str, list[str], str]]) -> None:
    t = time.perf_counter()
    index = KeywordIndex(services)
    built = time.perf_counter() - t
    joined = [" ".join((n, " ".join(c), d)).casefold() for n, c, d in services]
    bags = [set(words(j)) for j in joined]
    print(f"{name}: {len(services):,} services, {len(index.vocabulary):,} distinct words, "
          f"index built in {built:.2f} s")  # fmt: skip
    rows: dict[str, list[tuple[float, float, float, float]]] = {
        m: [] for m in ("vrukit", "per service", "difflib")
    }
    for query, meant in SEARCHES.items():
        truth = {k for k, b in enumerate(bags) if meant in b}
        runs = {
            "vrukit": lambda q=query: set(np.flatnonzero(index.match(q).matches).tolist()),
            "per service": lambda q=query: per_service(q, joined),
            "difflib": lambda q=query: with_difflib(index, q),
        }
        for method, fn in runs.items():
            p50, p95, got = timed(fn, 30 if method == "vrukit" else 5)
            assert isinstance(got, set)
            right = len(got & truth)
            rows[method].append((p50, p95, right / max(1, len(got)), right / max(1, len(truth))))
        ours = rows["vrukit"][-1]
        print(f"  {query!r:12} -> {meant!r:13} {len(truth):4} meant   "
              + "   ".join(f"{m} {r[-1][0]:7.2f} ms p{r[-1][2]:.2f}/r{r[-1][3]:.2f}"
                         for m, r in rows.items())
              + f"   (x{rows['per service'][-1][0] / ours[0]:.0f} per service)")  # fmt: skip
    for method, r in rows.items():
        a = np.array(r)
        print(f"  {method:12} median {np.median(a[:, 0]):7.2f} ms  worst p95 {a[:, 1].max():7.2f}"
              f" ms  precision {a[:, 2].mean():.2f}  recall {a[:, 3].mean():.2f}")  # fmt: skip


def page(folder: Path, work: Path) -> None:
    """The snapshot's build and the Youth Map page, in process, on a store of ``folder``."""
    from fastapi.testclient import TestClient

    from vrukit.demo.directory import DIRECTORY_TODAY
    from vrukit.directory import index as ix
    from vrukit.directory.load import load_hsds, load_postcodes
    from vrukit.programme.db import session
    from vrukit.web.youth_map import create_youth_map_app

    url = f"sqlite:///{work / 'store.sqlite'}"
    with session(url) as s:
        load_postcodes(s, folder / "postcodes.csv")
        load_hsds(s, folder / "services.json")
    with session(url) as s:
        built, _, _ = timed(lambda: ix.build(s, 1), 3)
    print(f"snapshot build (the API's and the page's index, keywords included): {built:.0f} ms")
    app = create_youth_map_app(url, migrate=False, today=lambda: DIRECTORY_TODAY,
                               clock=lambda: SEARCH_TIME, check_every=3600)  # fmt: skip
    client = TestClient(app)
    near = json.loads((folder / "directory_truth.json").read_text())["planted_search"]["postcode"]
    client.get("/")  # builds the snapshot

    def get(params: dict[str, str]) -> int:
        return client.get("/", params=params).status_code

    for label, params in (("boxng near", {"what": "boxng", "where": near}),
                          ("near (no words)", {"where": near})):  # fmt: skip
        p50, p95, status = timed(partial(get, params), 200)
        print(f"  page {label:16} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  (HTTP {status})")


def screenshots(out: Path, work: Path) -> None:
    import socket
    import threading

    import uvicorn
    from PIL import Image
    from playwright.sync_api import sync_playwright

    from vrukit.demo.directory import DIRECTORY_TODAY
    from vrukit.directory.load import load_hsds, load_postcodes
    from vrukit.programme.db import session
    from vrukit.web.youth_map import create_youth_map_app

    folder = directory(work / "demo", 250)  # the demo's own directory
    url = f"sqlite:///{work / 'demo.sqlite'}"
    with session(url) as s:
        load_postcodes(s, folder / "postcodes.csv")
        load_hsds(s, folder / "services.json")
    near = json.loads((folder / "directory_truth.json").read_text())["planted_search"]["postcode"]
    app = create_youth_map_app(url, migrate=False, today=lambda: DIRECTORY_TODAY,
                               clock=lambda: SEARCH_TIME)  # fmt: skip
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        for lang, width, height in (("en", 390, 844), ("en", 1280, 900), ("ur", 390, 844)):
            tab = browser.new_page(viewport={"width": width, "height": height})
            tail = "" if lang == "en" else f"&lang={lang}"
            tab.goto(f"http://127.0.0.1:{port}/?what=boxng&where={near.replace(' ', '+')}{tail}")
            path = out / f"youth-map-search{'' if lang == 'en' else '-' + lang}-{width}.png"
            tab.screenshot(path=str(path))
            Image.open(path).quantize(96).save(path, optimize=True)
            print(f"saved {path} ({path.stat().st_size / 1024:.0f} KB)")
        browser.close()
    server.should_exit = True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--services", type=int, nargs="+", default=[5000, 10_000])
    ap.add_argument("--no-page", action="store_true", help="skip the store and the page")
    ap.add_argument("--screenshots", type=Path, help="save the three screenshots here")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if a.screenshots:
            screenshots(a.screenshots, work)
            return
        for k, n in enumerate(a.services):
            folder = directory(work / f"d{n}", round(n / 2.45))
            for rich in (False, True):
                measure(f"{n:,} services, {'rich' if rich else 'demo'} text", texts(folder, rich))
            if k == 0 and not a.no_page:
                page(folder, work)


if __name__ == "__main__":
    main()
