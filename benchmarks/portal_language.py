"""The portal in Urdu and Polish (issue 32, item 8): what speaking the reader's language costs.
Each page below is rendered in process (FastAPI's test client, the demo store, one signed-in
session per role and language) 40 times, after 5 to warm up; the p50 in Urdu and in Polish is
printed against the same page in English (the peer) as a ratio.

``--screenshots DIR`` saves the receiver's home page and referrals queue in Urdu at 390 px, and
its home page in Polish at 1280 px, in Debian's Chromium.

    .venv/bin/python benchmarks/portal_language.py [--demo DIR] [--screenshots DIR]
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

#: (who signs in, their password, the pages read)
READS = [
    ("ae@demo.vru", "demo-provider-password", ["/", "/referrals", "/returns"]),
    ("commissioner@demo.vru", "demo-commissioner-password",
     ["/", "/rounds/1", "/plan", "/risks", "/evaluation"]),
]  # fmt: skip
NOW = datetime(2022, 5, 16, 12, 0)  # the demo's REFERRALS_TODAY
SECRET = "benchmark-session-secret-" + "x" * 24


def demo_store(demo: Path | None, work: Path) -> tuple[str, Path]:
    """A copy of the demo's store (built first into ``work`` when no folder is given)."""
    if demo is None:
        demo = work / "demo"
        subprocess.run([sys.executable, "-m", "vrukit.cli", "demo", "--out", str(demo)],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    shutil.copy(demo / "programme.sqlite", work / "programme.sqlite")
    return f"sqlite:///{work / 'programme.sqlite'}", demo / "referral.key"


def app_for(url: str, key: Path):
    from vrukit.referrals.crypto import Keyring
    from vrukit.web.portal.app import create_app

    return create_app(url, secret_key=SECRET, now=lambda: NOW, today=lambda: NOW.date(),
                      referral_key=Keyring.from_file(key))  # fmt: skip


def signed_in(app, email: str, password: str, lang: str):
    from fastapi.testclient import TestClient

    client = TestClient(app, base_url="http://127.0.0.1")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"/login?lang={lang}").text)
    assert token
    client.post("/login", data={"email": email, "password": password,
                                "csrf_token": token.group(1)})  # fmt: skip
    return client


def timings(app) -> None:
    print(f"{'page':28} {'en p50':>8} {'ur p50':>8} {'pl p50':>8}   ur/en  pl/en")
    for email, password, pages in READS:
        clients = {lang: signed_in(app, email, password, lang) for lang in ("en", "ur", "pl")}
        for page in pages:
            p50 = {}
            for lang, client in clients.items():
                for _ in range(5):
                    client.get(page)
                took = []
                for _ in range(40):
                    start = time.perf_counter()
                    r = client.get(page)
                    took.append((time.perf_counter() - start) * 1000)
                    assert r.status_code == 200, (page, r.status_code)
                p50[lang] = statistics.median(took)
            en, ur, pl = p50["en"], p50["ur"], p50["pl"]
            print(
                f"{email.split('@')[0] + ' ' + page:28} {en:7.1f}ms {ur:7.1f}ms {pl:7.1f}ms"
                f"   {ur / en:5.2f}  {pl / en:5.2f}"
            )


def screenshots(app, out: Path) -> None:
    import uvicorn
    from PIL import Image
    from playwright.sync_api import sync_playwright

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    root = f"http://127.0.0.1:{port}"
    shots = [("ur", 390, "/", "portal-home-ur-390.png"),
             ("ur", 390, "/referrals", "portal-referrals-ur-390.png"),
             ("pl", 1280, "/", "portal-home-pl-1280.png")]  # fmt: skip
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        for lang, width, page, name in shots:
            tab = browser.new_page(viewport={"width": width, "height": 900})
            tab.goto(f"{root}/login?lang={lang}")
            tab.locator("#email").fill(READS[0][0])
            tab.locator("#password").fill(READS[0][1])
            tab.locator("main button[type=submit]").click()
            tab.wait_for_load_state("load")
            tab.goto(root + page, wait_until="load")
            path = out / name
            tab.screenshot(path=str(path))
            Image.open(path).quantize(96).save(path, optimize=True)
            print(f"saved {path} ({path.stat().st_size / 1024:.0f} KB)")
            tab.close()
        browser.close()
    server.should_exit = True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo", type=Path, help="a folder `vrukit demo --out` wrote")
    ap.add_argument("--screenshots", type=Path, help="save screenshots into this folder")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, key = demo_store(a.demo, Path(tmp))
        app = app_for(url, key)
        timings(app)
        if a.screenshots:
            screenshots(app, a.screenshots)


if __name__ == "__main__":
    main()
