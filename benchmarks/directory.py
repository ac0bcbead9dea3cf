"""Youth Map API benchmark: 100 concurrent clients searching a directory of about 10,000
services, from a second process over loopback; p50/p95 latency and throughput.

The server (``vrukit.web.open_referral`` under uvicorn, one process, the store in SQLite) runs in
its own process; this process is the clients (one thread and keep-alive connection each).
Searches are what people send:
70% "near my postcode" (``/service_at_locations?postcode=..&proximity=5000``, a random postcode
from the lookup, sometimes a category) and 30% words with a category and an age
(``/services?search=..&taxonomy_term_id=..&minimum_age=..``).

Two loads: **saturated** (every client sends its next search the moment the last answer
arrives: the most the server can do, and the queueing that costs) and **people** (each client
waits a random 0.5-1.5 s between searches, as a person reading results would). Target (issue
8): p95 under 100 ms.

Peer, in the same run: the same uvicorn serving a fixed JSON answer of the same size with no
database or search (the floor for HTTP, JSON and the clients on this machine); the ratio is what
searching adds.

    .venv/bin/python benchmarks/directory.py [--services 10000] [--seconds 20]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

SERVER = """
import sys, uvicorn
from vrukit.web.open_referral import create_directory_app
url, port, peer = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if peer:
    from fastapi import FastAPI
    from fastapi.responses import Response
    app = FastAPI()
    body = open(peer, "rb").read()
    @app.get("/service_at_locations")
    @app.get("/services")
    def fixed() -> Response:
        return Response(body, media_type="application/json")
else:
    app = create_directory_app(url, migrate=False)
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
"""


def build(folder: Path, services: int) -> tuple[str, list[str], list[str]]:
    from vrukit.demo.directory import write_directory
    from vrukit.demo.region import make_region
    from vrukit.directory.load import load_hsds, load_postcodes
    from vrukit.programme.db import session

    t = time.perf_counter()
    files = write_directory(folder / "demo", 2021, make_region(2021, 1750),
                            organisations=round(services / 2.45))  # fmt: skip
    url = f"sqlite:///{folder / 'store.sqlite'}"
    with session(url) as s:
        load_postcodes(s, files.postcodes)
        loaded = load_hsds(s, files.services)
    data = json.loads(files.services.read_text())
    codes = [line.split(",")[0] for line in files.postcodes.read_text().splitlines()[1:]]
    print(f"store: {loaded.services:,} services at {loaded.locations:,} locations, "
          f"{len(codes):,} postcodes, built in {time.perf_counter() - t:.0f} s")  # fmt: skip
    return url, codes, [t["id"] for t in data["taxonomy_terms"]]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(url: str, peer: Path | None) -> tuple[subprocess.Popen[bytes], str]:
    port = _port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, url, str(port), str(peer or "")])
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(base + "/services", timeout=1)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


WORDS = ("youth", "sport", "club", "music", "mentoring", "support", "drama", "advice")


def searches(codes: list[str], terms: list[str], seed: int) -> list[tuple[str, dict[str, str]]]:
    rng = random.Random(seed)
    out = []
    for _ in range(5000):
        if rng.random() < 0.7:
            q = {"postcode": rng.choice(codes), "proximity": "5000"}
            if rng.random() < 0.5:
                q["taxonomy_term_id"] = rng.choice(terms)
            out.append(("/service_at_locations", q))
        else:
            out.append(("/services", {"search": rng.choice(WORDS),
                                      "taxonomy_term_id": rng.choice(terms),
                                      "minimum_age": str(rng.randint(10, 20))}))  # fmt: skip
    return out


def drive(
    base: str, plan: list[tuple[str, dict[str, str]]], clients: int, seconds: float,
    think: tuple[float, float] | None,
) -> tuple[list[float], int, float]:  # fmt: skip
    """``clients`` threads, each with its own keep-alive connection (the standard library's
    ``http.client``: the least client-side work per request, so the server is what is timed)."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = [0]
    stop = time.perf_counter() + seconds

    def one(k: int) -> None:
        rng = random.Random(k)
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        i = k * 97
        if think:
            time.sleep(rng.uniform(0, think[1]))  # people do not all start at once
        while time.perf_counter() < stop:
            path, params = plan[i % len(plan)]
            i += 1
            t = time.perf_counter()
            conn.request("GET", f"{path}?{urlencode(params)}")
            r = conn.getresponse()
            r.read()
            latencies.append(time.perf_counter() - t)
            errors[0] += r.status != 200
            if think:
                time.sleep(rng.uniform(*think))
        conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=one, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0], time.perf_counter() - t0


def report(name: str, lat: list[float], errors: int, elapsed: float) -> dict[str, float]:
    q = statistics.quantiles(lat, n=100)
    row = {"p50": q[49] * 1000, "p95": q[94] * 1000, "rps": len(lat) / elapsed}
    print(f"  {name:34s} {len(lat):6,} requests  p50 {row['p50']:7.1f} ms  "
          f"p95 {row['p95']:7.1f} ms  {row['rps']:6.0f} req/s  errors {errors}")  # fmt: skip
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--services", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url, codes, terms = build(folder, args.services)
        plan = searches(codes, terms, 1)
        results: dict[str, dict[str, float]] = {}
        answer = folder / "answer.json"
        for server in ("vrukit", "peer"):
            proc, base = start(url, answer if server == "peer" else None)
            try:
                print(f"{server}: {args.clients} clients, {args.seconds:.0f} s per load")
                for load, think in (("saturated", None), ("people (0.5-1.5 s)", (0.5, 1.5))):
                    lat, errors, elapsed = drive(base, plan, args.clients, args.seconds, think)
                    results[f"{server} {load}"] = report(load, lat, errors, elapsed)
                if server == "vrukit":  # the peer's answer: the median-sized of 51 real ones
                    with httpx.Client(base_url=base) as c:
                        sizes = [c.get(path, params=q).content for path, q in plan[:51]]
                    answer.write_bytes(sorted(sizes, key=len)[25])
            finally:
                proc.terminate()
                proc.wait()
        for load in ("saturated", "people (0.5-1.5 s)"):
            ours, floor = results[f"vrukit {load}"], results[f"peer {load}"]
            print(f"{load}: p95 vrukit/peer = {ours['p95'] / floor['p95']:.1f}x, "
                  f"throughput vrukit/peer = {ours['rps'] / floor['rps']:.2f}x")  # fmt: skip
        people = results["vrukit people (0.5-1.5 s)"]["p95"]
        print(f"target p95 < 100 ms for people searching: {'met' if people < 100 else 'NOT met'}"
              f" ({people:.0f} ms)")  # fmt: skip


if __name__ == "__main__":
    main()
