"""The SNA site in a real browser: Debian's Chromium driven by Playwright (never a downloaded
browser), with axe-core from npm. Every page loads without console errors and with no axe
violations; the language switch, right-to-left layout, keyboard access and 320 px width work."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator

import pytest

from conftest import axe_violations, open_page


@pytest.fixture(scope="module")
def server(demo_site) -> Iterator[str]:
    run, _ = demo_site
    handler = functools.partial(QuietHandler, directory=str(run.out))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def test_every_page_loads_cleanly_with_no_axe_violations(browser, server, demo_site) -> None:
    run, _ = demo_site
    pages = sorted(str(p.relative_to(run.out)) for p in run.out.rglob("*.html"))
    assert len(pages) == 3 * 16 + 1
    failures = {}
    page, problems = open_page(browser, server + pages[0], axe=True)
    for rel in pages:  # one tab visits every page, as a reader would
        if rel != pages[0]:
            problems.clear()
            page.goto(server + rel, wait_until="load")
        found = axe_violations(page)
        # let this page's own requests (charts, map tiles) finish or fail here: the next goto
        # cancels whatever is still in flight, which would be charged to the next page
        page.wait_for_load_state("networkidle")
        found = problems + found
        if found:
            failures[rel] = found
    page.close()
    assert not failures, failures


def test_language_switch_and_right_to_left_layout(browser, server) -> None:
    page, problems = open_page(browser, server + "en/index.html")
    brand_en = page.locator(".brand").bounding_box()
    page.get_by_role("link", name="اردو").first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/ur/index.html")
    html = page.locator("html")
    assert html.get_attribute("lang") == "ur" and html.get_attribute("dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    brand_ur = page.locator(".brand").bounding_box()
    # The layout mirrors: the title sits on the left in English, on the right in Urdu.
    assert brand_en["x"] < 200 < brand_ur["x"]
    assert page.locator("h1").inner_text() == "خلاصہ"
    page.get_by_role("link", name="Polski").first.click()
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "pl"
    assert page.locator("h1").inner_text() == "Przegląd"
    assert not problems


def test_keyboard_alone_reaches_every_control(browser, server) -> None:
    page, _ = open_page(browser, server + "en/where.html")
    query = "'a[href], input, summary, button, [tabindex=\"0\"]'"
    total = page.evaluate(f"() => document.querySelectorAll({query}).length")
    reached = set()
    for _ in range(total + 20):
        page.keyboard.press("Tab")
        here = page.evaluate(
            """() => { const e = document.activeElement;
                if (e.tagName === 'SUMMARY' && !e.parentElement.open) return 'closed';
                return e.type === 'radio' ? 'radio:' + e.name : e.outerHTML.slice(0, 80); }"""
        )
        if here == "closed":  # open each "show the data" panel with the keyboard, as a user would
            page.keyboard.press("Enter")
            here = page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)")
        reached.add(here)
    controls = page.evaluate(
        f"""() => [...document.querySelectorAll({query})]
           .map(e => e.type === 'radio' ? 'radio:' + e.name : e.outerHTML.slice(0, 80))"""
    )
    missing = set(controls) - reached
    assert not missing, sorted(missing)[:5]
    # Arrow keys move through the map layers, and the legend follows.
    page.locator('input[name="layer"]').first.focus()
    page.keyboard.press("ArrowRight")
    checked = page.locator('input[name="layer"]:checked').get_attribute("value")
    assert checked == "harm"
    assert page.locator('.legend[data-layer="harm"]').is_visible()
    assert not page.locator('.legend[data-layer="rate"]').is_visible()


@pytest.mark.parametrize("rel", ["en/index.html", "en/where.html", "ur/next.html", "pl/data.html"])
def test_pages_work_at_320_pixels(browser, server, rel: str) -> None:
    page, problems = open_page(browser, server + rel, width=320)
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 320, f"{rel} is {overflow} px wide at 320 px"
    assert not problems


def test_the_site_works_opened_from_disk(browser, demo_site) -> None:
    run, _ = demo_site
    page, problems = open_page(browser, (run.out / "en" / "where.html").as_uri())
    assert page.locator(".leaflet-container canvas").count() >= 1  # the map drew
    assert page.locator("figure.chart img").first.evaluate("i => i.naturalWidth") > 0
    assert not problems
