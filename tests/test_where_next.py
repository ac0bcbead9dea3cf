"""The "Where next" page reads in a minute (issue 32, item 3): the decision first, its numbers
reconciled with the published tables, priority places named after where they are, long tables
collapsed with their downloads; map pop-ups give each figure its scale (item 4)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from conftest import axe_violations, open_page

HIGH = ["very high", "high"]


def _tables(site) -> dict[str, pd.DataFrame]:
    read = {"dtype": {"area_code": str}, "keep_default_na": False}
    return {n: pd.read_csv(site / "data" / f"{n}.csv", **read)
            for n in ("areas", "gaps", "coverage", "clusters")}  # fmt: skip


def _words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_page_reconciles_its_numbers_with_the_published_tables(demo_site) -> None:
    run, _ = demo_site
    t = _tables(run.out)
    areas, gaps, cov = t["areas"], t["gaps"], t["coverage"]
    high = areas[areas.tier.isin(HIGH)]
    # "high risk, few services" covers every high-risk area, very high ones too
    assert set(cov.area_code) == set(high.area_code)
    piloted = int((high.pilot != "").sum())
    gap_high = int(gaps.tier.isin(HIGH).sum())
    none = cov[cov.services_near == 0]
    both = int(none.area_code.isin(gaps.area_code).sum())
    assert 0 < piloted < len(high) and 0 < both <= len(none) < len(high)
    text = _words((run.out / "en" / "next.html").read_text())
    n = f"{len(high):,}"
    assert f"{n} of the {len(areas):,} areas are at high or very high risk" in text
    assert (f"{piloted:,} of these {n} areas are in a current pilot and "
            f"{len(high) - piloted:,} are not. The list of areas no pilot reaches holds the "
            f"{gap_high:,} of those") in text  # fmt: skip
    assert f"{len(none):,} of the {n} high-risk areas have no youth service" in text
    assert f"{both:,} of them are also on the list no pilot reaches" in text
    if len(gaps) > gap_high:
        assert f"It also holds {len(gaps) - gap_high:,} areas of lower tiers" in text
    decision = text.split("In short", 1)[1].split("Show on the map", 1)[0]
    assert "Cluster" not in decision and "Gi*" not in decision  # plain words first


def test_priority_places_are_named_after_neighbourhoods_they_hold(demo_site, demo_region) -> None:
    import duckdb

    run, _ = demo_site
    places = _tables(run.out)["clusters"]
    areas = _tables(run.out)["areas"]
    with duckdb.connect(str(demo_region.folder / "vrukit.duckdb"), read_only=True) as con:
        msoa = con.sql("SELECT lsoa_code, msoa_name FROM areas").df()
    names = areas.merge(msoa, left_on="area_code", right_on="lsoa_code")
    assert places.name.is_unique
    for place in places.itertuples():
        held = set(names.msoa_name[names.cluster.astype(str) == str(place.cluster)])
        assert re.sub(r" \(\d+\)$", "", place.name) in held
        assert place.other_neighbourhoods == len(held) - 1
    text = _words((run.out / "en" / "next.html").read_text())
    first = places.iloc[0]
    assert f"{first['name']} and {first.other_neighbourhoods:,} neighbourhoods nearby" in text


@pytest.mark.parametrize(("lang", "width"), [("en", 390), ("ur", 390), ("en", 1280)])
def test_the_decision_comes_first_and_long_tables_fold(browser, site_server, demo_site, lang,
                                                      width) -> None:  # fmt: skip
    run, _ = demo_site
    t = _tables(run.out)
    page, problems = open_page(browser, f"{site_server}{lang}/next.html", width=width)
    top = {s: page.locator(s).first.bounding_box()["y"]
           for s in ("#in-short", "#clusters", "#gaps", "#coverage", "#map",
                     "#top-risk")}  # fmt: skip
    # In short first, then the places and who is not reached, then the map and the ranking
    assert top["#in-short"] < top["#clusters"] < top["#gaps"] < top["#coverage"] < top["#map"]
    assert top["#map"] < top["#top-risk"]
    assert top["#in-short"] < 900  # on the first screen, even on a phone
    for section, name in (("#gaps", "gaps"), ("#coverage", "coverage"), ("#clusters", "clusters")):
        box = page.locator(f"section:has({section})")
        shown = box.locator("table").first.locator("tbody tr")
        rest = box.locator("details.rest table tbody tr")
        assert shown.count() == min(10, len(t[name]))
        assert shown.count() + rest.count() == len(t[name])
        if rest.count():
            assert not box.locator("details.rest").evaluate("d => d.open")
            assert not rest.first.is_visible()
        link = box.locator("p.download a")
        assert link.first.get_attribute("href").endswith(f"data/{name}.csv")
    contents = page.locator("nav.contents a")
    assert contents.count() >= 6
    for href in contents.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        assert page.locator(href).count() == 1
    height = page.evaluate("document.documentElement.scrollHeight")
    # 60,489 px at 390 and 22,987 at 1280 before (Urdu 27,633); Urdu lines are taller
    assert height < (16_000 if width < 600 else 6_500)
    assert not problems and not axe_violations(page)
    page.close()


def test_map_pop_ups_give_each_figure_its_scale(browser, site_server, demo_site) -> None:
    run, _ = demo_site
    areas = _tables(run.out)["areas"]
    page, problems = open_page(browser, site_server + "en/where.html")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    text = page.locator(".leaflet-popup-content").inner_text()
    code = page.evaluate("() => document.querySelector('.leaflet-popup-content strong')"
                         ".textContent")  # fmt: skip
    row = areas[areas.area_name == code].iloc[0]
    pop = pd.to_numeric(areas.population)
    count = pd.to_numeric(areas["count"], errors="coerce")
    ok = count.notna() & (pop > 0)
    region = 1000 * count[ok].sum() / pop[ok].sum()
    rate = float(row.rate_per_1000)
    said = f"Rate per 1,000: {round(rate, 1):,g} ({round(rate / region, 1):g} times the region's)"
    assert said in text
    assert f"Risk rank: {int(float(row['rank'])):,} of {len(areas):,}, 1 the highest risk" in text
    assert not problems
    page.close()


@pytest.mark.parametrize(("lang", "width"), [("en", 390), ("ur", 1280), ("pl", 1280)])
def test_every_area_of_an_authority_is_in_a_table_to_sort_and_filter(
    browser,
    site_server,
    demo_site,
    lang,
    width,
) -> None:
    """Issue 32, item 1: an area's figures are reachable without the map, for every area of a
    local authority, sorted by any column and filtered by name."""
    run, _ = demo_site
    areas = _tables(run.out)["areas"]
    code = sorted(areas.lad_code.unique())[0]
    mine = areas[areas.lad_code == code]
    page, problems = open_page(browser, f"{site_server}{lang}/la/{code}.html", width=width)
    rows = page.locator("#areas-table tbody tr")
    assert rows.count() == len(mine)  # every area, not the top 50
    rate = page.locator("#areas-table thead th").nth(4)
    rate.locator("button").click()
    assert rate.get_attribute("aria-sort") == "ascending"
    rate.locator("button").click()
    assert rate.get_attribute("aria-sort") == "descending"
    shown = page.eval_on_selector_all(
        "#areas-table tbody tr", "rs => rs.map(r => r.cells[4].getAttribute('data-sort'))"
    )
    values = [float(v) for v in shown if v]
    assert values == sorted(values, reverse=True) and len(values) > 10
    name = mine.sort_values("rate_per_1000", key=pd.to_numeric).area_name.iloc[0]
    page.fill("#areas-table-filter", name)
    visible = page.eval_on_selector_all("#areas-table tbody tr",
                                        "rs => rs.filter(r => !r.hidden).length")  # fmt: skip
    assert visible == int((mine.area_name.str.contains(name, regex=False)).sum()) >= 1
    assert page.locator("#areas-table-count").inner_text().strip()
    assert not problems and not axe_violations(page)
    page.close()


def test_the_region_map_shows_where_the_reader_is(browser, site_server, demo_site) -> None:
    """Issue 32, item 1: with no map tiles (the default: nothing loaded from elsewhere), the
    region's map still shows each local authority's outline and name."""
    run, _ = demo_site
    las = sorted(set(_tables(run.out)["areas"].lad_name))
    page, problems = open_page(browser, site_server + "en/where.html")
    page.wait_for_selector(".leaflet-tooltip.la-label")
    labels = sorted(page.locator(".leaflet-tooltip.la-label").all_inner_texts())
    assert labels == las
    outlines = page.locator(".leaflet-context-pane path")
    assert outlines.count() == len(las)
    assert not problems
    page.close()


def test_a_tile_server_needs_https_and_its_attribution() -> None:
    from vrukit.errors import ConfigError
    from vrukit.publish.site import SiteOptions

    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    assert SiteOptions(tiles=url, tiles_attribution="© OpenStreetMap contributors").tiles == url
    with pytest.raises(ConfigError, match="attribution"):
        SiteOptions(tiles=url)
    with pytest.raises(ConfigError, match="https"):
        SiteOptions(tiles="http://tiles.example.org/{z}/{x}/{y}.png", tiles_attribution="x")


@pytest.mark.parametrize(("lang", "width"), [("en", 390), ("ur", 1280)])
def test_a_reader_finds_an_area_on_the_map_by_name(browser, site_server, demo_site, lang,
                                                   width) -> None:  # fmt: skip
    """Issue 32, item 1: a search box above each map finds an area or local authority by
    name and frames it, its figures open."""
    run, _ = demo_site
    areas = _tables(run.out)["areas"]
    name = sorted(areas.area_name)[len(areas) // 2]
    page, problems = open_page(browser, f"{site_server}{lang}/where.html", width=width)
    page.fill("#map-find", name)
    choices = page.locator("#map-found button")
    assert choices.count() >= 1 and choices.first.inner_text() == name
    choices.first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.locator("strong").inner_text() == name
    # axe reads a popup still fading in as faint text: wait until it is fully shown
    page.wait_for_function("getComputedStyle(document.querySelector('.leaflet-popup'))"
                           ".opacity === '1'")  # fmt: skip
    la = sorted(set(areas.lad_name))[0]
    page.fill("#map-find", la)
    assert la in page.locator("#map-found").inner_text()
    assert not problems and not axe_violations(page)
    page.close()


def test_a_reader_finds_a_ward_on_the_map_and_it_is_framed(browser, site_server, demo_site,
                                                          demo_region) -> None:  # fmt: skip
    """Issue 32, item 1: with ward boundaries given (the demo's, as `vrukit sna` gives them),
    the map's search finds a ward by name and frames its extent."""
    import json

    wards = json.loads((demo_region.folder / "wards.geojson").read_text())["features"]
    ward = sorted(wards, key=lambda f: f["properties"]["WD24NM"])[len(wards) // 3]
    name = ward["properties"]["WD24NM"]
    page, problems = open_page(browser, f"{site_server}en/where.html", width=390)
    assert "ward" in page.locator("label[for=map-find]").inner_text()
    page.fill("#map-find", name)
    choices = page.locator("#map-found button")
    assert choices.count() >= 1 and choices.first.inner_text() == f"{name} (ward)"
    choices.first.click()
    page.wait_for_timeout(100)
    box = page.evaluate("""() => { const b = window.VRUKIT.map.getBounds();
        return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }""")
    lons = [p[0] for ring in _rings(ward["geometry"]) for p in ring]
    lats = [p[1] for ring in _rings(ward["geometry"]) for p in ring]
    # the map frames the ward: its middle is in view, and the view is not the whole region
    mid = ((min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2)
    assert box[0] <= mid[0] <= box[2] and box[1] <= mid[1] <= box[3]
    assert (box[2] - box[0]) < 4 * (max(lons) - min(lons)) + 0.02
    assert not problems and not axe_violations(page)
    page.close()


def _rings(geometry: dict) -> list:
    polys = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [ring for poly in polys for ring in poly]


def test_a_reader_finds_their_street_by_postcode(browser, site_server, demo_site,
                                                 demo_region) -> None:  # fmt: skip
    """Issue 32, item 1: with a postcode lookup given (the demo's own, as `vrukit sna` gives
    it), typing a postcode loads its district's file, and choosing it centres the map there
    with its area's figures; a postcode from elsewhere says so, and lists nothing."""
    import pandas as pd

    run, _ = demo_site
    areas = _tables(run.out)["areas"]
    codes = pd.read_csv(demo_region.directory / "postcodes.csv", dtype=str)
    pc = codes[codes.lsoa_code.isin(set(areas.area_code))].sort_values("postcode").iloc[7]
    name = areas.set_index("area_code").area_name[pc.lsoa_code]
    page, problems = open_page(browser, f"{site_server}en/where.html", width=390)
    assert "postcode" in page.locator("label[for=map-find]").inner_text()
    page.fill("#map-find", pc.postcode.lower().replace(" ", ""))
    choice = page.locator("#map-found button")
    choice.wait_for()
    assert choice.inner_text() == pc.postcode
    choice.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.locator("strong").inner_text() == name
    centre = page.evaluate(
        "() => { const c = window.VRUKIT.map.getCenter(); return [c.lat, c.lng]; }"
    )
    assert (
        abs(centre[0] - float(pc.latitude)) < 0.01 and abs(centre[1] - float(pc.longitude)) < 0.01
    )
    district = pc.postcode.split(" ")[0]
    page.fill("#map-find", f"{district} 9ZZ")  # a postcode of the district the lookup lacks
    page.locator("#map-found li").wait_for()
    assert page.locator("#map-found").inner_text() == "That postcode is not in this area."
    assert page.locator("#map-found button").count() == 0
    page.wait_for_function("getComputedStyle(document.querySelector('.leaflet-popup'))"
                           ".opacity === '1'")  # fmt: skip
    assert not problems and not axe_violations(page)
    page.close()
