"""Shared fixtures: a good police.uk file to break one defect at a time, and the shared data."""

from __future__ import annotations

import contextlib
import csv
import functools
import http.server
import io
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from vrukit.demo import DemoFiles, build_demo
from vrukit.jobs.demo import load_demo
from vrukit.schemas import CRIME_TYPES, STREET_COLUMNS
from vrukit.store.warehouse import Warehouse

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
POLICEUK = SHARED / "policeuk"


def shared_path(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test with the reason."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"real data not present: {p} (see ../shared/data/SOURCES.md)")
    return p


def holding(code: str) -> subprocess.Popen:
    """Another program running ``code`` and then waiting a minute: returned once it has run
    ``code`` (it prints "ready"), so whatever ``code`` opened or locked is held. Kill it after."""
    script = code + "\nprint('ready', flush=True)\nimport time; time.sleep(60)"
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    return p


def good_rows(
    n: int = 30, *, month: str = "2022-01", force: str = "Merseyside Police"
) -> list[list[str]]:
    """n valid street rows: every 7th is ASB (no Crime ID), every 11th has no location."""
    rows = []
    for i in range(n):
        ctype = CRIME_TYPES[i % len(CRIME_TYPES)]
        asb = ctype == "Anti-social behaviour"
        no_loc = i % 11 == 5
        rows.append(
            [
                "" if asb else f"{i:064x}",
                month,
                force,
                force,
                "" if no_loc else f"{-2.9 + i / 1000:.6f}",
                "" if no_loc else f"{53.4 + i / 1000:.6f}",
                "No Location" if no_loc else f"On or near Street {i}, Lane",
                "" if no_loc else f"E0100{6400 + i % 5}",
                "" if no_loc else f"Knowsley 00{i % 5}A",
                ctype,
                "" if asb else "Unable to prosecute suspect",
                "",
            ]
        )
    return rows


def csv_bytes(
    rows: list[list[str]], *, header: tuple[str, ...] | list[str] | None = STREET_COLUMNS
) -> bytes:
    """Rows as police.uk publishes them: UTF-8, CRLF, minimal quoting."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    if header is not None:
        w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


@pytest.fixture
def street_dir(tmp_path: Path) -> Path:
    """A force folder holding one good month."""
    d = tmp_path / "merseyside"
    d.mkdir()
    (d / "2022-01-merseyside-street.csv").write_bytes(csv_bytes(good_rows()))
    return d


@pytest.fixture(scope="session")
def demo_region(tmp_path_factory) -> DemoFiles:
    """The default demo region (seed 2021, 36 months, 1,750 areas), built and loaded once;
    its warehouse is ``files.folder / "vrukit.duckdb"``."""
    folder = tmp_path_factory.mktemp("demo_full")
    files = build_demo(folder)
    with Warehouse(folder / "vrukit.duckdb") as wh:
        load_demo(wh, files)
    return files


@pytest.fixture(scope="session")
def demo_site(demo_region: DemoFiles, tmp_path_factory):
    """The SNA website of the default demo region, built once; ``work`` keeps the unprotected
    tables (the truth the disclosure tests check the site against)."""
    from vrukit.directory.search import service_locations
    from vrukit.jobs.sna import run_sna
    from vrukit.programme.db import session, sqlite_url
    from vrukit.publish.site import SiteOptions

    root = tmp_path_factory.mktemp("sna")
    with session(sqlite_url(demo_region.folder / "programme.sqlite")) as s:
        services = service_locations(s)  # the Youth Map, for "high risk, few services"
    options = SiteOptions(wards=demo_region.folder / "wards.geojson",  # as `vrukit sna` does
                          postcodes=demo_region.directory / "postcodes.csv")  # fmt: skip
    with Warehouse(demo_region.folder / "vrukit.duckdb") as wh:
        run = run_sna(
            wh, root / "site", indicators=[demo_region.indicators], pilots=demo_region.pilots,
            work=root / "work", services=services, options=options,
        )  # fmt: skip
    return run, root / "work"


def strict_outputs(*folders: Path, json_only: Sequence[Path] = ()) -> int:
    """Every JSON and GeoJSON file under ``folders`` and ``json_only`` parses with a parser
    that rejects NaN and Infinity, and no CSV column under ``folders`` named like a rate holds a
    non-finite number (``json_only``: folders of inputs, such as the demo's ISTV extracts, whose
    CSVs are not vrukit's tables). Returns how many files were read."""
    import json
    import math

    import pandas as pd

    def refuse(name: str) -> None:
        raise AssertionError(f"non-finite number {name}")

    seen = 0
    for folder in (*folders, *json_only):
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".json", ".geojson"):
                json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)
                seen += 1
            elif path.suffix == ".js" and path.read_text().startswith("window.VRUKIT="):
                # the site's map layers: JSON assigned to a global, for pages opened from disk
                body = path.read_text().split("]=", 1)[1].rstrip().removesuffix(";")
                json.loads(body, parse_constant=refuse)
                seen += 1
            elif path.suffix == ".csv" and folder not in json_only:
                frame = pd.read_csv(path, low_memory=False)
                for col in frame.columns:
                    if "rate" in str(col) and pd.api.types.is_numeric_dtype(frame[col]):
                        bad = [v for v in frame[col].dropna() if not math.isfinite(v)]
                        assert not bad, f"{path} column {col}: {bad[:3]}"
                seen += 1
    return seen


def published_exposures(site: Path) -> tuple[int, list[int]]:
    """Audit a built site as a reader would: every CSV in its manifest, read back as text, every
    sum the manifest declares. Returns how many cells are hidden and which a reader can pin."""
    import json

    import numpy as np
    import pandas as pd

    from vrukit.disclosure import Policy, audit, cell_bounds

    manifest = json.loads((site / "data" / "manifest.json").read_text())
    policy = Policy(manifest["policy"]["suppress"][1], manifest["policy"]["round_to"])
    index: dict[tuple[str, str, str], int] = {}
    lo: list[float] = []
    hi: list[float] = []
    hidden: list[int] = []
    for name, spec in manifest["tables"].items():
        t = pd.read_csv(site / "data" / f"{name}.csv", dtype=str, keep_default_na=False)
        rid = t[spec["key"]].astype(str).agg("|".join, axis=1)
        for col in spec["counts"]:
            for r, text in zip(rid, t[col], strict=True):
                index[(name, r, col)] = len(lo)
                a, b = cell_bounds(text, policy)
                lo.append(a)
                hi.append(b)
                if text in (policy.marker, policy.secondary, policy.blank):
                    hidden.append(len(lo) - 1)
    sums = [np.array([index[tuple(w)]] + [index[tuple(p)] for p in parts])
            for w, parts in manifest["sums"]]  # fmt: skip
    return len(hidden), audit(np.array(lo), np.array(hi), sums, hidden)


#: Three pilot places of ten demo LSOAs each, for a small programme store.
PILOTS = [
    {"name": n, "start_month": "2020-10", "areas": [f"E0190000{k}{j}" for j in range(3)]}
    for k, n in enumerate(("Redwater Central", "Northbrook Fields", "Eastford Canalside"))
]


def small_programme(folder: Path) -> str:
    """The demo programme (registry, eight quarters of returns, training, demo sign-ins) for
    the three ``PILOTS``, loaded into a SQLite store in ``folder``; its URL."""
    from vrukit.demo.commissioning import write_programme_year
    from vrukit.jobs.demo import load_programme

    files = write_programme_year(folder / "demo", 2021, PILOTS)
    url = f"sqlite:///{folder / 'programme.sqlite'}"
    load_programme(url, files.folder)
    return url


def _listing(sid: str, name: str, verified: str) -> dict:
    return {"id": sid, "organization_id": "org-1", "name": name, "status": "active",
            "minimum_age": 11, "maximum_age": 18, "assured_date": verified,
            "last_modified": f"{verified}T12:00:00Z"}  # fmt: skip


#: Two Youth Map listings: one verified recently, one not since 2019.
LISTINGS = {
    "organizations": [{"id": "org-1", "name": "Eastford Youth Trust",
                       "description": "Youth clubs."}],
    "services": [_listing("svc-1", "Eastford Boxing", "2022-01-10"),
                 _listing("svc-2", "Eastford Drama", "2019-03-01")],
}  # fmt: skip


def add_listings(s, folder: Path) -> int:
    """Load ``LISTINGS`` into a store holding the demo sign-ins and have the boxing club's
    provider propose a change to svc-1; the pending change's id."""
    import json
    from datetime import datetime

    from sqlalchemy import select

    from vrukit.directory.load import load_hsds
    from vrukit.directory.models import DirEdit
    from vrukit.programme.models import User

    (folder / "services.json").write_text(json.dumps(LISTINGS))
    load_hsds(s, folder / "services.json")
    boxing = s.scalars(select(User).where(User.email == "boxing@demo.vru")).one()
    edit = DirEdit(service_id="svc-1", changes={"name": "Eastford Boxing (new hall)"},
                   before={"name": "Eastford Boxing"}, proposed_by=boxing.id,
                   proposed_at=datetime(2022, 5, 1), status="pending")  # fmt: skip
    s.add(edit)
    s.commit()
    return edit.id


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server from the Debian packages (``.ci/run`` installs them), started
    for the session; its URL. Skips when PostgreSQL is not installed, unless
    ``VRUKIT_REQUIRE_POSTGRES`` is set (CI), where that is a failure."""
    import glob
    import os
    import shutil
    import socket
    import subprocess
    import tempfile

    given = os.environ.get("VRUKIT_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        why = "PostgreSQL is not installed (apt-get install postgresql; .ci/run does it)"
        if os.environ.get("VRUKIT_REQUIRE_POSTGRES"):
            pytest.fail(why)
        pytest.skip(why)
    bindir = Path(found[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="vrukit-pg-", dir="/tmp"))
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(root, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = root / "data"
    subprocess.run(
        [*as_postgres, bindir / "initdb", "-D", data, "-A", "trust", "-U", "postgres"],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [*as_postgres, bindir / "pg_ctl", "-D", data, "-l", root / "log", "-w", "start",
         "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_postgres, bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """An empty programme store: a SQLite file, and a fresh database on the real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'programme.sqlite'}"
    import uuid

    import psycopg

    server = request.getfixturevalue("postgres_server")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + f"/{name}"


# -- a real browser: Debian's Chromium driven by Playwright, with axe-core from npm -------------

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
#: WCAG 2.2 AA and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def need_browser_part(thing: str, present: bool) -> None:
    if present:
        return
    why = f"{thing} is not installed (.ci/run installs it)"
    if os.environ.get("VRUKIT_REQUIRE_BROWSER"):
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    need_browser_part("Debian chromium (apt-get install chromium)", Path(CHROMIUM).exists())
    need_browser_part("axe-core (npm ci)", AXE.exists())
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def open_page(browser, url: str, width: int = 1200, axe: bool = False):
    """A new tab showing ``url`` and the list its console errors, page errors and failed
    requests are appended to. With ``axe``, axe-core is loaded into every document the tab
    opens (cheaper than injecting it after each load when one tab visits many pages)."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    if axe:
        page.add_init_script(path=str(AXE))
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)  # fmt: skip
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url}"))
    page.goto(url, wait_until="load")
    return page, problems


def axe_violations(page) -> list[str]:
    """Run axe-core (WCAG 2.2 AA and best practice) on ``page``; its violations."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        # evaluated through the DevTools protocol, as the page's Content-Security-Policy
        # (rightly) refuses an injected <script>
        page.evaluate("src => { (0, eval)(src); }", AXE.read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {n['target']}"
        for v in result["violations"]
        for n in v["nodes"][:3]
    ]


@contextlib.contextmanager
def serve(app) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port, in a thread; its base URL."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # keep-alive longer than any test keeps a signed-in client idle: with uvicorn's 5 s, a
    # client whose POST left just as the server closed its idle connection saw "Server
    # disconnected" (HTTP/1.1's keep-alive race, not the app's: 1 of 30 in a loaded CI run)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_keep_alive=300))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site_server(demo_site):
    """The demo SNA site over HTTP on 127.0.0.1 for the module's browser tests; its root URL."""
    run, _ = demo_site
    handler = functools.partial(_QuietHandler, directory=str(run.out))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


# Property tests draw the same examples on every machine and run (the suite's results do not
# depend on luck: a blank code name drawn once in a CI run failed a test that passed before).
from hypothesis import settings as _hypothesis  # noqa: E402

_hypothesis.register_profile("vrukit", derandomize=True)
_hypothesis.load_profile("vrukit")
