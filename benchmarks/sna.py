"""SNA website benchmark: how long `vrukit sna` takes to build the site, and how long each page
takes to first render in headless Chromium from a local server.

(a) Build: runs `vrukit sna` on a warehouse (``--db``; the demo region by default; the issue's
target is the real Merseyside data, about 1,000 LSOAs and 11 months, under 60 s). The peer is
the analysis the site needs anyway (`vrukit analyse` + `vrukit risk`); the ratio is what
publishing adds. (b) Render: serves the site on 127.0.0.1 and loads every page in Debian's
Chromium (Playwright), recording first contentful paint and the load event; the peer is the
site's plain language-chooser page. Target: every page's first render under 2 s.
``--screenshots DIR`` also saves the overview, the map page (and its hexagons' emerging hot
spots), the Urdu overview, and the where and "where next" pages' first screens at 390 and 1280 px.

    .venv/bin/python benchmarks/sna.py [--db PATH] [--screenshots docs/screenshots]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

VRUKIT = Path(sys.executable).with_name("vrukit")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip


def _timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _render(site: Path, shots: Path | None) -> dict[str, tuple[float, float]]:
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    times = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for rel in sorted(str(x.relative_to(site)) for x in site.rglob("*.html")):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(base + rel, wait_until="load")
            fcp, load = page.evaluate(
                """() => [performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
                          performance.getEntriesByType('navigation')[0].loadEventEnd]"""
            )
            times[rel] = ((fcp or load) / 1000, load / 1000)
            page.close()
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            for rel, name, full, layer, width in (
                ("en/index.html", "overview.png", True, None, 1280),
                ("en/where.html", "map.png", False, None, 1280),
                ("en/where.html", "map-hex-emerging.png", False, "hex_pattern", 1280),
                ("ur/index.html", "overview-urdu.png", True, None, 1280),
                ("en/where.html", "where-390.png", False, None, 390),
                ("en/next.html", "where-next-1280.png", False, None, 1280),
                ("en/next.html", "where-next-390.png", False, None, 390),
                ("ur/next.html", "where-next-urdu-390.png", False, None, 390),
            ):  # fmt: skip
                page = browser.new_page(viewport={"width": width, "height": 1000})
                page.goto(base + rel, wait_until="load")
                if layer:
                    page.check(f'input[name="layer"][value="{layer}"]')
                page.wait_for_timeout(500)
                page.screenshot(path=str(shots / name), full_page=full)
                page.close()
        browser.close()
    httpd.shutdown()
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", type=Path, help="warehouse (default: the demo region)")
    ap.add_argument("--region", default="", help="the region's name for the pages")
    ap.add_argument("--screenshots", type=Path, help="save the docs' screenshots here")
    a = ap.parse_args()
    db = ["--db", str(a.db)] if a.db else []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        peer = _timed([str(VRUKIT), "analyse", *db, "--out", str(out / "a")])
        peer += _timed([str(VRUKIT), "risk", *db, "--out", str(out / "r")])
        region = ["--region", a.region] if a.region else []
        build = _timed([str(VRUKIT), "sna", *db, *region, "--out", str(out / "site")])
        pages = len(list((out / "site").rglob("*.html")))
        print(f"build: vrukit sna {build:.1f} s for {pages} pages; analyse + risk alone "
              f"{peer:.1f} s; ratio {build / peer:.2f}x (target: under 60 s)")  # fmt: skip
        times = _render(out / "site", a.screenshots)
    chooser = times.pop("index.html")
    fcp = [t[0] for t in times.values()]
    load = [t[1] for t in times.values()]
    worst = max(times, key=lambda k: times[k][1])
    print(f"render: {len(times)} pages; first contentful paint median {statistics.median(fcp):.2f}"
          f" s, max {max(fcp):.2f} s; load event median {statistics.median(load):.2f} s, max "
          f"{max(load):.2f} s ({worst}); plain chooser page {chooser[1]:.2f} s; ratio of the "
          f"slowest to it {max(load) / chooser[1]:.1f}x (target: under 2 s)")  # fmt: skip


if __name__ == "__main__":
    main()
