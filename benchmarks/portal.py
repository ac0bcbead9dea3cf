"""Portal benchmark (issue 29): the Youth Map API's p95 latency at 10 clients while a 16 MB
return is being checked, against the same with no upload (target: within 2x), and bursts of 30
simultaneous uploads (target: no errors) on SQLite and, given ``--postgres URL``, PostgreSQL.

The server is ``vrukit serve --store URL`` in its own process (one worker, as a small VRU runs
it), so the clients' threads do not share its interpreter; the store holds the demo programme
(three pilots) and the demo directory (600 services).

    .venv/bin/python benchmarks/portal.py [--seconds 20] [--postgres postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

SECRET = "benchmark-session-secret-" + "x" * 24
PROVIDER = ("boxing@demo.vru", "demo-provider-password")
PILOTS = [
    {"name": n, "start_month": "2020-10", "areas": [f"E0190000{k}{j}" for j in range(3)]}
    for k, n in enumerate(("Redwater Central", "Northbrook Fields", "Eastford Canalside"))
]
HEADER = "participant_ref,age,referred_by,engaged,sessions_attended,completed\n"


def build_store(url: str, folder: Path) -> None:
    """The demo programme and the demo directory in the store at ``url``."""
    from vrukit.demo.commissioning import write_programme_year
    from vrukit.demo.directory import write_directory
    from vrukit.demo.region import make_region
    from vrukit.directory.load import load_hsds, load_postcodes
    from vrukit.jobs.demo import load_programme
    from vrukit.programme.db import session

    files = write_programme_year(folder / "demo", 2021, PILOTS)
    load_programme(url, files.folder)
    d = write_directory(folder / "dir", 2021, make_region(2021, 600))
    with session(url) as s:
        load_postcodes(s, d.postcodes)
        load_hsds(s, d.services)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``vrukit serve`` on a free port, in its own process."""

    def __init__(self, url: str) -> None:
        self.port = free_port()
        env = {**os.environ, "VRUKIT_SESSION_SECRET": SECRET, "VRUKIT_RETURN_MAX_ROWS": "2000000"}
        env.pop("VRUKIT_REFERRAL_KEY_FILE", None)
        cmd = [sys.executable, "-m", "vrukit.cli", "serve", "--store", url, "--port",
               str(self.port)]  # fmt: skip
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)  # fmt: skip
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(600):
            try:
                httpx.get(self.base + "/login", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise SystemExit("the server did not start: " + self.proc.stderr.read().decode()[-2000:])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def signed_in(base: str) -> tuple[httpx.Client, str]:
    c = httpx.Client(base_url=base, follow_redirects=False, timeout=600)
    token = re.search(r'csrf_token" value="([^"]+)', c.get("/login").text).group(1)  # type: ignore[union-attr]
    c.post("/login", data={"email": PROVIDER[0], "password": PROVIDER[1], "csrf_token": token})
    token = re.search(r'csrf_token" value="([^"]+)', c.get("/").text).group(1)  # type: ignore[union-attr]
    return c, token


def intervention_of(c: httpx.Client) -> int:
    return int(re.search(r'href="/interventions/(\d+)"', c.get("/").text).group(1))  # type: ignore[union-attr]


def api_latencies(base: str, seconds: float, clients: int = 10) -> list[float]:
    """Each of ``clients`` threads searches the API for ``seconds``; every request's seconds."""
    out: list[float] = []
    stop = time.monotonic() + seconds
    words = ["boxing", "music", "football", "art", "youth", "drama", "club", "sport"]

    def run(k: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            n = 0
            while time.monotonic() < stop:
                t = time.perf_counter()
                r = c.get("/api/services", params={"search": words[(k + n) % len(words)]})
                r.raise_for_status()
                out.append(time.perf_counter() - t)
                n += 1

    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[18]


def upload_phase(base: str, seconds: float) -> tuple[list[float], float, int, int]:
    """API latencies while one provider uploads a 16 MB return; the upload's seconds, status
    and size."""
    rows = "".join(f"Q{k:07d},{11 + k % 8},school,yes,{k % 12},no\n" for k in range(600_000))
    body = (HEADER + rows).encode()
    c, token = signed_in(base)
    iid = intervention_of(c)
    done: dict[str, float] = {}

    def upload() -> None:
        t = time.perf_counter()
        r = c.post(f"/interventions/{iid}/returns", data={"csrf_token": token, "period": "2019-Q1"},
                   files={"file": ("big.csv", body, "text/csv")})  # fmt: skip
        done["seconds"], done["status"] = time.perf_counter() - t, r.status_code

    th = threading.Thread(target=upload)
    th.start()
    time.sleep(1.0)  # the body is on its way and being checked
    lat = api_latencies(base, seconds)
    th.join()
    return lat, done["seconds"], int(done["status"]), len(body)


def burst(base: str, n: int = 30) -> dict[int, int]:
    """``n`` providers upload a small return at the same moment; the statuses' counts."""
    sessions = [signed_in(base) for _ in range(n)]
    iid = intervention_of(sessions[0][0])
    gate = threading.Barrier(n)
    statuses: list[int] = []
    good = HEADER + "P1,15,school,yes,4,no\nP2,16,police,no,0,no\n"

    def one(k: int) -> None:
        c, token = sessions[k]
        gate.wait()
        r = c.post(f"/interventions/{iid}/returns",
                   data={"csrf_token": token, "period": f"{2000 + k // 4}-Q{k % 4 + 1}"},
                   files={"file": ("r.csv", good.encode(), "text/csv")})  # fmt: skip
        statuses.append(r.status_code)

    threads = [threading.Thread(target=one, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {s: statuses.count(s) for s in sorted(set(statuses))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--postgres", help="an empty PostgreSQL database's URL, for its burst")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'programme.sqlite'}"
        build_store(url, Path(tmp))
        server = Server(url)
        try:
            quiet = api_latencies(server.base, args.seconds)
            busy, up_s, up_status, size = upload_phase(server.base, args.seconds)
            sq = burst(server.base)
        finally:
            server.stop()
        print(f"Youth Map API /api/services, 10 clients, {args.seconds:g} s each phase:")
        for label, xs in (("no upload", quiet), ("during upload", busy)):
            p50, top = statistics.median(xs) * 1e3, p95(xs) * 1e3
            print(f"  {label:14s} {len(xs):6,} requests, p50 {p50:7.1f} ms, p95 {top:7.1f} ms")
        ratio = p95(busy) / p95(quiet)
        print(f"  the upload: {size / 2**20:.1f} MB, {up_s:.1f} s, HTTP {up_status}")
        print(f"  p95 during / p95 without: {ratio:.2f} (target <= 2): "
              f"{'met' if ratio <= 2 else 'NOT met'}")  # fmt: skip
        print(f"Burst of 30 simultaneous uploads, SQLite: {sq}")
        if args.postgres:
            build_store(args.postgres, Path(tmp) / "pg")
            server = Server(args.postgres)
            try:
                print(f"Burst of 30 simultaneous uploads, PostgreSQL: {burst(server.base)}")
            finally:
                server.stop()


if __name__ == "__main__":
    main()
