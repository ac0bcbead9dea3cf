"""What a reader on a slow connection waits for (issue 32, item 5): each page of the SNA site
served as a static host serves it (the build's precompressed .gz files sent with
Content-Encoding: gzip), loaded in Debian's Chromium with the network at 1.6 Mbps down, 750 kbps
up and 150 ms latency and the CPU 4x slower (DevTools' "slow 4G"-like profile the review used).
It prints the bytes transferred (what the page loads before its load event: HTML, CSS, scripts,
map data and the images in view), first contentful paint and the load event, against the
site's plain language-chooser page (the peer) in the same run.

Targets: where.html under 150 KB with first content under 2 s; a pilot page under 60 KB.

    .venv/bin/python benchmarks/site_weight.py [--site DIR] [--db PATH]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

VRUKIT = Path(sys.executable).with_name("vrukit")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SLOW = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8,
        "uploadThroughput": 750_000 / 8}  # fmt: skip


class Precompressed(http.server.SimpleHTTPRequestHandler):
    """Serves NAME.gz for NAME, gzip-encoded, when the client accepts it (nginx gzip_static)."""

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path))
        packed = Path(f"{path}.gz")
        if "gzip" in self.headers.get("Accept-Encoding", "") and packed.is_file():
            body = packed.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            import io

            return io.BytesIO(body)
        return super().send_head()

    def log_message(self, *args: object) -> None:
        pass


def measure(site: Path, pages: list[str]) -> dict[str, tuple[float, float, float]]:
    """Each page's (KB transferred, first contentful paint s, load event s), slow profile."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(Precompressed, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for rel in pages:
            ctx = browser.new_context(viewport={"width": 1280, "height": 900})
            page = ctx.new_page()
            cdp = ctx.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            cdp.send("Network.emulateNetworkConditions", SLOW)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
            got: list[int] = []
            cdp.on("Network.loadingFinished", lambda e, got=got: got.append(e["encodedDataLength"]))
            page.goto(base + rel, wait_until="load", timeout=120_000)
            fcp, load = page.evaluate(
                """() => [performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
                          performance.getEntriesByType('navigation')[0].loadEventEnd]"""
            )
            out[rel] = (sum(got) / 1024, (fcp or load) / 1000, load / 1000)
            ctx.close()
        browser.close()
    httpd.shutdown()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--site", type=Path, help="a site vrukit sna built (default: build the demo's)")
    ap.add_argument("--db", type=Path, help="warehouse to build the site from")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = a.site
        if site is None:
            site = Path(tmp) / "site"
            db = ["--db", str(a.db)] if a.db else []
            subprocess.run([str(VRUKIT), "sna", *db, "--out", str(site)], check=True,
                           capture_output=True)  # fmt: skip
        pilots = sorted(str(p.relative_to(site)) for p in (site / "en" / "pilot").glob("*.html"))
        las = sorted(str(p.relative_to(site)) for p in (site / "en" / "la").glob("*.html"))
        pages = ["index.html", "en/index.html", "en/where.html", "en/next.html", "en/when.html",
                 *las[:1], *pilots[:1]]  # fmt: skip
        got = measure(site, pages)
    peer = got.pop("index.html")
    print(f"{'page':34} {'KB':>7} {'first paint':>12} {'load':>7}   (slow profile, gzip)")
    for rel, (kb, fcp, load) in got.items():
        print(f"{rel:34} {kb:7.1f} {fcp:10.2f} s {load:5.2f} s   {load / peer[2]:.1f}x the chooser")
    print(
        f"{'index.html (peer: the chooser)':34} {peer[0]:7.1f} {peer[1]:10.2f} s {peer[2]:5.2f} s"
    )


if __name__ == "__main__":
    main()
