"""The Youth Map's search page on the demo directory (``vrukit.web.youth_map``), and the keyword
and place rules under it (``vrukit.directory.keywords``, ``vrukit.directory.places``).

Expected answers come from the demo's source file, never from the code under test: which
services a word means (the words of their name, description and categories), and how far each
is (pyproj's ellipsoidal geodesic to its nearest address). The demo plants boxing clubs by its
busiest postcode, one at two addresses (``directory_truth.json``)."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from sqlalchemy.orm import sessionmaker

from conftest import axe_violations, open_page, serve
from vrukit.demo.directory import DIRECTORY_TODAY, write_directory
from vrukit.demo.region import make_region
from vrukit.directory.index import DirectoryIndex, find
from vrukit.directory.keywords import KeywordIndex
from vrukit.directory.load import load_hsds, load_postcodes
from vrukit.directory.places import UnknownPlace, resolve_place
from vrukit.directory.search import Query
from vrukit.programme.db import engine as store_engine
from vrukit.programme.db import session
from vrukit.web.youth_map import PER_PAGE, create_youth_map_app

SEARCH_TIME = datetime(2022, 5, 16, 17, 30)  # a Monday, after school
GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Demo:
    url: str
    data: dict
    files: object
    truth: dict
    postcodes: dict[str, tuple[float, float]]

    @property
    def near(self) -> str:
        """The planted search's postcode (the region's busiest)."""
        return self.truth["planted_search"]["postcode"]


def _load(url: str, files) -> None:
    with session(url) as s:
        load_postcodes(s, files.postcodes)
        load_hsds(s, files.services)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Demo:
    folder = tmp_path_factory.mktemp("youth_map")
    files = write_directory(folder / "demo", 2021, make_region(2021, 600))
    url = f"sqlite:///{folder / 'store.sqlite'}"
    _load(url, files)
    codes = {}
    for line in files.postcodes.read_text().splitlines()[1:]:
        code, lat, lon = line.split(",")[:3]
        codes[code] = (float(lat), float(lon))
    return Demo(url, json.loads(files.services.read_text()), files,
                json.loads(files.truth.read_text()), codes)  # fmt: skip


def _app(url: str, **options):
    return create_youth_map_app(url, migrate=False, today=lambda: DIRECTORY_TODAY,
                                clock=lambda: SEARCH_TIME, **options)  # fmt: skip


@pytest.fixture(scope="module")
def client(demo) -> TestClient:
    return TestClient(_app(demo.url))


# -- what the source file says -------------------------------------------------------------------


def _meant(demo: Demo, word: str) -> set[str]:
    """The active services whose name, description or categories hold ``word``."""
    terms = {t["id"]: t["name"] for t in demo.data["taxonomy_terms"]}
    out = set()
    for s in demo.data["services"]:
        text = " ".join([s["name"], s.get("description", "")]
                        + [terms[a["taxonomy_term_id"]] for a in s["attributes"]])  # fmt: skip
        if s["status"] == "active" and word in re.findall(r"\w+", text.lower()):
            out.add(s["id"])
    return out


def _metres_to(demo: Demo, code: str, locations: list[dict]) -> list[float]:
    lat, lon = demo.postcodes[code]
    n = len(locations)
    _, _, d = GEOD.inv([lon] * n, [lat] * n, [x["longitude"] for x in locations],
                       [x["latitude"] for x in locations])  # fmt: skip
    return list(d)


def _great_circle(demo: Demo, code: str, location: dict) -> float:
    """Metres on a sphere of the mean Earth radius (the page's model, written out again)."""
    (lat1, lon1), lat2, lon2 = demo.postcodes[code], location["latitude"], location["longitude"]
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def _nearest_first(demo: Demo, ids: set[str], code: str) -> list[tuple[str, float]]:
    """``ids`` in the order of the great-circle distance from ``code`` to each one's nearest
    address, with the ellipsoidal geodesic distance to it (the truth the page's is held to)."""
    out = []
    for s in demo.data["services"]:
        if s["id"] in ids:
            where = [x["location"] for x in s["service_at_locations"]]
            nearest = min(where, key=lambda x: _great_circle(demo, code, x))
            out.append((_great_circle(demo, code, nearest), s["id"],
                        _metres_to(demo, code, [nearest])[0]))  # fmt: skip
    return [(sid, metres) for _, sid, metres in sorted(out)]


# -- what the page shows -------------------------------------------------------------------------


def _metres(text: str) -> float:
    number, unit = text.split()[:2]
    return float(number.replace(",", "")) * (1000 if unit == "km" else 1)


def _results(html: str) -> list[dict]:
    """The page's results: number, service id, name, and each address with its distance."""
    ol = re.search(r'<ol class="results"[^>]*>(.*)</ol>', html, re.S)
    out = []
    for block in re.split(r"<li[^>]*>\s*<h3>", ol.group(1))[1:] if ol else []:
        sid, name = re.search(r'href="[^"]*/services/([^"]+)">([^<]+)</a>', block).groups()
        number = re.search(r'<span class="num" aria-hidden="true">(\d+)</span>', block)
        addresses = []
        for a in re.findall(r'class="(?:meta )?address">(.*?)</(?:p|li)>', block, re.S):
            away = re.search(r'<span class="distance">([^<]+) away</span>', a)
            text = unescape(re.sub(r"<[^>]+>", "", a)).split(" · ")[-1].strip()
            addresses.append((text, _metres(away.group(1)) if away else None))
        out.append({"number": int(number.group(1)) if number else None, "id": sid,
                    "name": unescape(name), "addresses": addresses})  # fmt: skip
    return out


def _every_page(client: TestClient, **params) -> list[dict]:
    out, page = [], 1
    while True:
        got = _results(client.get("/", params=params | {"page": page}).text)
        out += got
        if len(got) < PER_PAGE:
            return out
        page += 1


# -- the Done-when tests -------------------------------------------------------------------------


@pytest.mark.parametrize("typed, meant", [("boxng", "boxing"), ("footbal", "football"),
                                          ("mentering", "mentoring")])  # fmt: skip
def test_a_misspelt_activity_near_a_postcode_finds_its_services_nearest_first(
    demo, client, typed, meant
):
    """Every active service the source file has for the word meant, none other, each once,
    nearest first from the planted postcode (to its nearest address, great-circle: two clubs
    13,075.4 and 13,075.6 m away swap on the ellipsoid), with the distance shown within 0.5% of
    the ellipsoidal geodesic (and the rounding of the print)."""
    expected = _nearest_first(demo, _meant(demo, meant), demo.near)
    assert len(expected) >= 3
    got = _every_page(client, what=typed, where=demo.near)
    assert [r["id"] for r in got] == [i for i, _ in expected]
    page = client.get("/", params={"what": typed, "where": demo.near.lower()})
    assert f"for “{meant}” near {demo.near}, nearest first" in unescape(page.text)
    assert [r["number"] for r in got] == list(range(1, len(got) + 1))
    for r, (_, metres) in zip(got, expected, strict=True):
        shown = r["addresses"][0][1]
        printed = 50 if metres >= 1000 else 0.5  # "8.3 km", "207 m"
        assert abs(shown - metres) <= 0.005 * metres + printed, (r, metres)
    if meant == "boxing":  # the planted clubs are all there
        assert set(demo.truth["planted_search"]["services"]) <= {r["id"] for r in got}


@pytest.mark.parametrize("params", [
    {"where": "ZZ9 9ZZ"}, {"what": "boxing", "where": "ZZ9 9ZZ"}, {"where": "boxing"},
    {"what": "sport", "where": "Atlantis"}, {"postcode": "ZZ9 9ZZ", "what": "sport"},
])  # fmt: skip
def test_an_unknown_postcode_or_town_says_so_and_lists_nothing(client, params):
    r = client.get("/", params=params)
    typed = params.get("where") or params.get("postcode")
    assert r.status_code == 200 and "could not find" in r.text.lower()
    assert '<ol class="results"' not in r.text and "map-data" not in r.text  # no list, no map
    assert f"&ldquo;{typed}&rdquo;" in r.text and 'aria-invalid="true"' in r.text
    assert ("the postcode" in r.text) == typed.startswith("ZZ")
    assert "services for" not in r.text and "nearest first" not in r.text
    if typed == "boxing":  # a word typed as a place: offered as what to look for
        assert 'href="/?what=boxing"' in r.text


def test_a_service_at_two_addresses_is_listed_once_with_both(demo, client):
    """The planted club at two addresses: one result, its two addresses nearest first with
    their distances; with no place, still once, with both addresses."""
    sid = demo.truth["planted_search"]["at_two_addresses"][0]
    source = next(s for s in demo.data["services"] if s["id"] == sid)
    places = [x["location"] for x in source["service_at_locations"]]
    assert len(places) == 2
    d = _metres_to(demo, demo.near, places)
    codes = [p["addresses"][0]["postal_code"] for _, p in sorted(zip(d, places, strict=True),
                                                                key=lambda x: x[0])]  # fmt: skip
    got = _every_page(client, what="boxing", where=demo.near)
    mine = [r for r in got if r["id"] == sid]
    assert len(mine) == 1 and len(got) == len({r["id"] for r in got})
    assert [a[0].split()[-2] + " " + a[0].split()[-1] for a in mine[0]["addresses"]] == codes
    metres = [a[1] for a in mine[0]["addresses"]]
    assert metres == sorted(metres) and metres[0] == pytest.approx(min(d), rel=0.01, abs=50)
    alone = _results(client.get("/", params={"what": source["name"]}).text)
    assert [r["id"] for r in alone].count(sid) == 1
    assert len(next(r for r in alone if r["id"] == sid)["addresses"]) == 2


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_the_search_in_a_browser_on_a_phone_and_a_desktop(browser, demo, lang):
    """At 390 px (a phone, 844 px tall) and 1280 px, in English and in Urdu (right to left):
    the first result is wholly on the first screen (at 390 px the map comes after the list); a
    numbered marker for every address listed, each named for assistive technology by its
    number, service and address; the key (legend) with "your position"; the keyboard goes from
    the search straight through every result; no axe-core violations (WCAG 2.2 AA and best
    practice), no console errors. The words expected are the catalogue's."""
    from vrukit.publish._i18n import language

    speak = language(lang)
    you_are = speak.gettext("Your position: %(place)s", place=demo.near)
    with serve(_app(demo.url)) as base:
        for width, height in ((390, 844), (1280, 900)):
            page, problems = open_page(browser, f"{base}/?what=boxng&where={demo.near}&lang={lang}",
                                       width=width, axe=True)  # fmt: skip
            page.set_viewport_size({"width": width, "height": height})
            results = page.locator("ol.results > li")
            first = results.first.bounding_box()
            assert first["y"] >= 0 and first["y"] + first["height"] <= height, width
            if width == 390:
                assert page.locator("#map").bounding_box()["y"] > first["y"] + first["height"]
            number = results.first.locator(".num").bounding_box()
            name = results.first.locator("h3 a").bounding_box()
            assert (number["x"] > name["x"]) == (lang == "ur"), "the number leads the line"
            names = {int(li.get_attribute("id").split("-")[1]): li.locator("h3 a").inner_text()
                     for li in results.all()}  # fmt: skip
            markers = page.locator("#map .num-marker")
            assert markers.count() == page.locator("ol.results .address").count() > len(names)
            for m in markers.all():
                label = m.get_attribute("aria-label")
                n = int(label.split(".")[0])
                assert m.get_attribute("role") == "img" and m.inner_text() == str(n)
                assert label.startswith(f"{n}. {names[n]}") and m.get_attribute("title")
            you = page.locator("#map .you-marker")
            assert you.get_attribute("aria-label") == you_are
            legend = page.get_by_role("list", name=speak.gettext("Map key"))
            assert legend.is_visible() and you_are in legend.inner_text()
            page.get_by_role("button", name=speak.gettext("Search")).focus()
            reached = []
            for _ in names:
                page.keyboard.press("Tab")
                reached.append(page.evaluate("document.activeElement.textContent"))
            assert reached == list(names.values())
            assert not axe_violations(page) and not problems, (width, problems)
            page.close()


# -- more of the page ----------------------------------------------------------------------------


def _open_at(service: dict, at: datetime) -> bool:
    day, now = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[at.weekday()], at.strftime("%H:%M")
    return any(day in k["byday"].split(",") and k["opens_at"] <= now < k["closes_at"]
               for k in service.get("schedules", []))  # fmt: skip


def test_searching_by_words_place_age_and_open_now_in_a_browser(browser, demo):
    """A person types a category's word, a postcode and an age: nearest first; "open now" lists
    exactly the services the source file says are on at that time; a stale listing is flagged
    on its page; every page fits 320 px with no axe violations."""
    code = demo.files.postcodes.read_text().splitlines()[1].split(",")[0]
    with serve(_app(demo.url)) as base:
        page, problems = open_page(browser, base + "/", axe=True)
        assert not axe_violations(page) and not problems
        page.get_by_label("What?").fill("sport")
        page.get_by_label("Where?").fill(code.lower())
        page.get_by_text("Age and opening times").click()
        page.get_by_role("spinbutton", name="Age").fill("15")
        page.get_by_role("button", name="Search").click()
        page.wait_for_load_state("load")
        heading = page.locator("#found").inner_text()
        assert f"near {code}, nearest first" in heading
        first = [_metres(li.locator(".distance").first.inner_text())
                 for li in page.locator("ol.results > li").all()]  # fmt: skip
        assert len(first) == min(PER_PAGE, int(heading.split()[0])) and first == sorted(first)
        assert page.locator("#map .you-marker").count() == 1
        assert not axe_violations(page) and not problems
        page.get_by_label("What?").fill("")
        page.get_by_label("Where?").fill("")
        page.get_by_role("spinbutton", name="Age").fill("")
        page.get_by_label("Open now").check()
        page.get_by_role("button", name="Search").click()
        page.wait_for_load_state("load")
        expected = sum(1 for s in demo.data["services"]
                       if s["status"] == "active" and _open_at(s, SEARCH_TIME))  # fmt: skip
        assert page.locator("#found").inner_text().startswith(f"{expected} service")
        assert page.locator("ol.results .open").count() == min(PER_PAGE, expected) > 0
        page.close()
        stale = demo.truth["stale"][0]
        for path in ("/", f"/?where={code}&age=15", f"/?what=boxng&where={demo.near}",
                     f"/services/{stale}"):  # fmt: skip
            page, problems = open_page(browser, base + path, width=320, axe=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
            assert not axe_violations(page) and not problems, path
            if "services" in path:
                assert "Not checked for over 12 months" in page.locator("main").inner_text()
            page.close()


def test_words_that_match_nothing_and_empty_searches_are_answered(demo, client):
    nothing = client.get("/", params={"what": "xyzzy", "where": demo.near}).text
    assert (
        "No services match &ldquo;xyzzy&rdquo;" in nothing and '<ol class="results"' not in nothing
    )
    typo = client.get("/", params={"what": "fotbol"}).text
    assert 'Did you mean <a href="/?what=football">football</a>' in typo
    too_old = client.get("/", params={"what": "boxing", "age": "40", "open_now": "1"}).text
    boxing = len(_meant(demo, "boxing"))
    assert f"{boxing} services match &ldquo;boxing&rdquo;, but none with these choices" in too_old
    drop = dict(re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', too_old))
    assert set(drop.values()) == {"Any age", "Open at any time"}
    any_age = next(h for h, label in drop.items() if label == "Any age")
    boxing_ids = _meant(demo, "boxing")
    open_boxing = {s["id"] for s in demo.data["services"]
                   if s["id"] in boxing_ids and _open_at(s, SEARCH_TIME)}  # fmt: skip
    assert {r["id"] for r in _results(client.get(unescape(any_age)).text)} == open_boxing
    everything = client.get("/?what=boxing").text
    assert len(_results(everything)) == boxing
    empty = client.get("/", params={"what": " ", "where": ""}).text
    assert "Type what you are looking for, where, or both" in empty
    assert '<ol class="results"' not in empty and "We could not find" not in empty
    assert "Type what you are looking for" not in client.get("/").text


def test_places_postcodes_halves_towns_and_a_postcode_typed_as_what(demo, client):
    lat, lon = demo.postcodes[demo.near]
    near = demo.near.replace(" ", "").lower()
    codes, towns = demo.postcodes, {"Redwater", "Eastford"}
    halves = {demo.near.split()[0]: (lat, lon)}
    compact = {k.replace(" ", ""): v for k, v in codes.items()}
    assert resolve_place(near, compact, halves, towns).origin == (lat, lon)
    assert resolve_place(demo.near.split()[0], compact, halves, towns).label == demo.near.split()[0]
    assert resolve_place("  redwatr ", compact, halves, towns).town == "Redwater"
    assert resolve_place("", compact, halves, towns) is None
    for text, postcode in (("ZZ9 9ZZ", True), ("ZZ9", True), ("Atlantis", False)):
        with pytest.raises(UnknownPlace) as e:
            resolve_place(text, compact, halves, towns)
        assert e.value.postcode is postcode and isinstance(e.value, LookupError)
    moved = _results(client.get("/", params={"what": demo.near}).text)
    assert moved and moved[0]["addresses"][0][1] is not None  # measured from the postcode
    half = client.get("/", params={"what": "boxing", "where": demo.near.split()[0]}).text
    assert f"near {demo.near.split()[0]}, nearest first" in half


def test_keyword_rules():
    index = KeywordIndex([
        ("Eastford Boxing", ["Sport and physical activity"], "Boxing for young people."),
        ("Family Support", ["Family support"], "Support for parents."),
        ("Northbrook Kickboxing", ["Sport and physical activity"], "Kickboxing classes."),
        ("Street Dance", ["Arts, music and drama"], "Dance for young people."),
        ("Peer Mentors", ["Mentoring"], "Trained young mentors."),
        ("Football Club", ["Sport and physical activity"], "Football coaching."),
    ])  # fmt: skip

    def found(text: str) -> set[int]:
        return {int(k) for k in index.match(text).score.nonzero()[0]}

    assert found("boxng") == {0} and index.match("boxng").read_as == ("boxing",)
    assert found("boxing") == {0, 2}  # and the word inside "kickboxing"
    assert found("boxing club near me") == {0, 2} and found("Boxing!") == {0, 2}
    assert found("sport") == {0, 2, 5}  # never "support" (two edits away)
    assert found("support") == {1} and found("dancing") == {3} and found("mentering") == {4}
    assert found("footbal") == {5} and found("foot") == {5} and found("football club") == {5}
    assert found("xyzzy") == set() and index.match("xyzzy").unmatched == ("xyzzy",)
    assert found("boxing dance") == set()  # every word must match
    assert index.match("near me").words == ()  # nothing to look for: no filter on words
    assert index.match("young people").words == ("young", "people")  # kept when alone
    assert index.suggest("fotbol") == "football" and index.suggest("boxing") is None
    assert index.match("foot").read_as == ("football",)  # the one word it begins
    assert index.match("mentor").read_as == ("mentor",)  # "mentors" and "mentoring"


def test_the_same_answers_from_sqlite_and_postgresql(demo, store_url):
    """The search reads the in-memory index, filled from either store: the same services in
    the same order, with the same distances, whatever the store's collation."""
    _load(store_url, demo.files)
    snaps = [DirectoryIndex(sessionmaker(store_engine(u))).current()
             for u in (demo.url, store_url)]  # fmt: skip
    queries = [Query(words="boxng", place=demo.near), Query(words="mentering"),
               Query(place="Redwater", age=15), Query(words="sport", open_now=True),
               Query(words="Drama", place=demo.near.split()[0])]  # fmt: skip
    for q in queries:
        a, b = (find(s, q, SEARCH_TIME) for s in snaps)
        assert len(a.services) > 0, q
        assert [snaps[0].service_ids[k] for k in a.services] == [
            snaps[1].service_ids[k] for k in b.services], q  # fmt: skip
        assert (a.distance is None) == (b.distance is None)
        if a.distance is not None:
            assert list(a.distance) == pytest.approx(list(b.distance)), q
    page = TestClient(_app(store_url)).get("/", params={"what": "box\x00ng", "where": "\x00"})
    assert page.status_code == 200 and "\x00" not in page.text  # never reaches the store


def test_the_screenshots_in_the_docs_exist_and_are_small():
    for name in ("390", "1280", "ur-390"):
        shot = Path(__file__).parents[1] / "docs" / "screenshots" / f"youth-map-search-{name}.png"
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size < 200_000


# -- in Urdu and Polish (issue 32, item 8) -------------------------------------------------------


def _their_words(demo: Demo) -> list[str]:
    """What providers wrote and the region's names (shown as written in every language),
    longest first: every string in the directory's source file and the postcode lookup."""
    found: set[str] = set()

    def walk(x) -> None:
        if isinstance(x, str) and len(x) > 1:
            found.add(x)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(demo.data)
    found |= {f"{c[:-3]} {c[-3:]}" for c in demo.postcodes}
    return sorted(found, key=len, reverse=True)


@pytest.mark.parametrize("lang", ["ur", "pl"])
def test_the_youth_map_speaks_urdu_and_polish_with_no_english_left(demo, client, lang):
    """Every state of the search (empty, found near a postcode, a misspelling, nothing found,
    an unknown place, page 2) and a service's page, read as a reader meets them with the
    providers' own words taken out, hold none of the English words an untranslated sentence
    carries; the language is kept in every link and the form; Urdu runs right to left."""
    from test_site_language import ENGLISH, _read
    from vrukit.publish._i18n import language

    speak = language(lang)
    theirs = [*_their_words(demo), "Open Referral UK"]
    stale = demo.truth["stale"][0]
    pages = {
        "empty": client.get("/", params={"lang": lang}),
        "near": client.get("/", params={"what": "boxng", "where": demo.near, "lang": lang}),
        "page 2": client.get("/", params={"what": "sport", "page": 2, "lang": lang}),
        "nothing": client.get("/", params={"what": "fotbol", "age": 99, "lang": lang}),
        "unknown": client.get("/", params={"where": "ZZ9 9ZZ", "lang": lang}),
        "service": client.get(f"/services/{stale}", params={"lang": lang}),
    }
    left = {}
    for name, r in pages.items():
        assert r.status_code == 200, name
        assert f'<html lang="{lang}" dir="{speak.dir}">' in r.text, name
        text = _read(r.text, theirs)
        words = [w for w in re.findall(r"[^\W\d_]+", text) if w.lower() in ENGLISH]
        if words:
            left[name] = (words, text[max(0, text.find(words[0]) - 60) :][:120])
    assert not left, left
    near = pages["near"].text
    boxing = len(_meant(demo, "boxing"))
    heading = speak.ngettext("%(num)s service for “%(words)s” near %(place)s",
                             "%(num)s services for “%(words)s” near %(place)s", boxing,
                             num=speak.num(boxing), words="boxing", place=demo.near)  # fmt: skip
    plain = re.sub("[\u2066-\u2069]", "", unescape(near))  # bidi isolates around typed text
    assert re.sub("[\u2066-\u2069]", "", heading) in plain
    assert speak.gettext("Open now") in plain
    links = re.findall(r'href="([^"]*/services/[^"]+)"', near)
    assert len(links) == boxing and all(h.endswith(f"?lang={lang}") for h in links)
    assert f'<input type="hidden" name="lang" value="{lang}">' in near
    assert f'hreflang="{lang}" aria-current="page"' in near
    english = re.search(r'<a href="([^"]+)" lang="en" hreflang="en">', near).group(1)
    assert "lang=" not in unescape(english) and "what=boxng" in unescape(english)
    assert 'lang=' + lang in unescape(re.search(r'href="([^"]*page=1[^"]*)"',
                                                pages["page 2"].text).group(1))  # fmt: skip
    service = unescape(pages["service"].text)
    assert speak.gettext("Not checked for over 12 months - call before you go") in service


def test_what_a_person_typed_is_escaped_inside_a_translated_sentence(client):
    typed = '<script>alert(1)</script>"'
    for lang in ("en", "ur", "pl"):
        r = client.get("/", params={"where": typed, "what": "<b>x</b>", "lang": lang})
        assert "<script>alert" not in r.text and "<b>x" not in r.text, lang
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text, lang
    r = client.get("/", params={"lang": '"><b>'})
    assert r.status_code == 200 and '<html lang="en" dir="ltr">' in r.text
