"""The SNA website: every page is there in every language, links resolve, the catalogue is
complete, and no published table gives a suppressed count away."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from babel.messages.pofile import read_po

from conftest import published_exposures, strict_outputs
from vrukit.errors import ConfigError
from vrukit.publish import Policy
from vrukit.publish.site import PAGES, SiteOptions

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "src" / "vrukit" / "publish" / "locales"


def _pages(site: Path, lang: str) -> set[str]:
    return {str(p.relative_to(site / lang)) for p in (site / lang).rglob("*.html")}


def test_every_language_has_every_page(demo_site) -> None:
    run, _ = demo_site
    site = run.out
    en = _pages(site, "en")
    assert {f"{stem}.html" for stem, _ in PAGES} <= en
    assert sum(p.startswith("la/") for p in en) == 7  # the demo's local authorities
    assert sum(p.startswith("pilot/") for p in en) == 3  # and its pilots
    for lang in ("ur", "pl"):
        assert _pages(site, lang) == en
    html = (site / "ur" / "index.html").read_text()
    assert '<html lang="ur" dir="rtl">' in html
    assert '<html lang="pl" dir="ltr">' in (site / "pl" / "index.html").read_text()
    # The Urdu page really is in Urdu: its headings come from the catalogue.
    assert "خلاصہ" in html and "Overview</h1>" not in html


def test_every_link_and_image_resolves(demo_site) -> None:
    run, _ = demo_site
    broken = []
    for page in run.out.rglob("*.html"):
        for ref in re.findall(r'(?:href|src)="([^"#]+)"', page.read_text()):
            if (
                not ref.startswith(("http:", "https:", "mailto:", "data:"))
                and not (page.parent / ref).exists()
            ):
                broken.append((str(page.relative_to(run.out)), ref))
    assert not broken, broken[:5]


def test_no_page_loads_anything_from_the_network(demo_site) -> None:
    run, _ = demo_site
    for page in run.out.rglob("*.html"):
        assert not re.search(r'(?:href|src)="(?:https?:)?//', page.read_text()), page


def _published(site: Path) -> tuple[dict, dict[str, pd.DataFrame]]:
    manifest = json.loads((site / "data" / "manifest.json").read_text())
    tables = {
        name: pd.read_csv(site / "data" / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in manifest["tables"]
    }
    return manifest, tables


def test_every_data_file_is_in_the_manifest(demo_site) -> None:
    run, _ = demo_site
    manifest, _ = _published(run.out)
    listed = {f for t in manifest["tables"].values() for f in t["files"]}
    listed |= {"concentration.csv", "manifest.json", "areas.geojson", "areas.js", "hexes.geojson",
               "hexes.js", "map"}  # fmt: skip
    present = {p.name for p in (run.out / "data").iterdir() if p.suffix != ".gz"}
    assert present <= listed, present - listed
    maps = {str(p.relative_to(run.out / "data")) for p in (run.out / "data" / "map").glob("*.js")}
    assert maps == set(manifest["maps"]["files"])
    # every .gz is its file compressed, byte for byte
    import gzip

    for packed in (run.out / "data").rglob("*.gz"):
        assert gzip.decompress(packed.read_bytes()) == packed.with_suffix("").read_bytes()


def _map(path: Path) -> dict:
    """A map file decoded as site.js expands it."""
    text = path.read_text()
    c = json.loads(text.split("]=", 1)[1].rstrip().removesuffix(";"))
    keys = list(c["props"])
    feats = []
    for i, polygons in enumerate(c["shapes"]):
        coords = []
        for rings in polygons:
            coords.append([])
            for r in rings:
                coords[-1].append((np.reshape(r, (-1, 2)).cumsum(axis=0) * c["step"]).tolist())
        feats.append({"properties": {k: c["props"][k][i] for k in keys}, "coords": coords})
    return {"features": feats}


def test_each_page_s_map_file_holds_its_areas_published_values(demo_site) -> None:
    """A pilot page drew all 1,750 of the region's areas to show 10: each map file now holds
    the areas its page draws, with the published values of the areas table and no other."""
    import shapely

    run, _ = demo_site
    _, tables = _published(run.out)
    areas = tables["areas"].set_index("area_code")
    full = json.loads((run.out / "data" / "areas.geojson").read_text())
    props = {f["properties"]["code"]: f["properties"] for f in full["features"]}
    outline = {f["properties"]["code"]: shapely.geometry.shape(f["geometry"])
               for f in full["features"]}  # fmt: skip
    region = _map(run.out / "data" / "map" / "areas.js")
    assert len(region["features"]) == len(areas)
    for name in ("areas.js", *sorted(p.name for p in (run.out / "data" / "map").glob("la-*.js"))):
        drawn = _map(run.out / "data" / "map" / name)
        for f in drawn["features"]:
            code = f["properties"]["code"]
            assert f["properties"] == props[code], code  # the published values, no others
            assert f["properties"]["count"] == areas.loc[code, "count"]
            shape = shapely.MultiPolygon([shapely.Polygon(p[0], p[1:]) for p in f["coords"]])
            assert shape.hausdorff_distance(outline[code]) < 0.001  # within ~100 m
        if name.startswith("la-"):
            la = {f["properties"]["la"] for f in drawn["features"]}
            assert len(la) == 1
    pilot = next((run.out / "data" / "map").glob("pilot-*.js"))
    assert len(_map(pilot)["features"]) < 50  # a pilot page loads its own few areas


def test_no_suppressed_count_can_be_recovered_from_the_site(demo_site) -> None:
    """Read back every published table as a reader would, rebuild every sum from the manifest,
    and solve for each suppressed cell's least and greatest value: none is pinned."""
    run, _ = demo_site
    hidden, exposed = published_exposures(run.out)
    assert hidden > 0, "the demo site should have suppressed something (its hexagons)"
    assert exposed == []


def test_every_small_count_is_hidden_everywhere(demo_site) -> None:
    """Against the truth (the unprotected tables): no count from 1 to 4 appears as a number in
    any published table, and derived columns are empty wherever their count is hidden."""
    run, work = demo_site
    manifest, tables = _published(run.out)
    truth_hex = pd.read_csv(work / "analysis" / "hexes_r8.csv", dtype={"hex_id": str})
    shown = tables["hexes"].set_index("hex_id")
    small = truth_hex[truth_hex["count"].between(1, 4)]
    assert len(small) > 0
    assert (shown.loc[small.hex_id, "count"] == "<5").all()
    for name, spec in manifest["tables"].items():
        t = tables[name]
        for col in spec["counts"]:
            numbers = pd.to_numeric(t[col], errors="coerce")
            assert not numbers.between(1, 4).any(), (name, col)
            for derived, sources in spec["derived"].items():
                if col in sources:
                    gone = t[col].isin(["<5", "[c]", "[x]"])
                    assert (t.loc[gone, derived] == "").all(), (name, derived)


def test_parquet_and_geojson_carry_the_same_published_values(demo_site) -> None:
    run, _ = demo_site
    _, tables = _published(run.out)
    pq = pd.read_parquet(run.out / "data" / "hexes.parquet")
    csv = tables["hexes"]
    assert (pq.count_flag == "suppressed").sum() == (csv["count"] == "<5").sum()
    assert pq["count"].isna().sum() == (csv["count"] == "<5").sum()
    shown = pd.to_numeric(csv["count"], errors="coerce")
    assert (pq["count"].dropna().to_numpy() == shown.dropna().to_numpy()).all()
    geo = json.loads((run.out / "data" / "hexes.geojson").read_text())
    assert [f["properties"]["count"] for f in geo["features"]] == csv["count"].tolist()
    areas = json.loads((run.out / "data" / "areas.geojson").read_text())
    assert len(areas["features"]) == len(tables["areas"])


def test_the_hexagons_emerging_hot_spots_are_on_the_map(demo_site) -> None:
    """Each hexagon's emerging-hotspot class is published as the analysis found it, in the CSV
    and the map's GeoJSON, and the where page offers it as a map layer with its legend."""
    run, work = demo_site
    _, tables = _published(run.out)
    truth = pd.read_csv(work / "analysis" / "hexes_r8.csv", dtype={"hex_id": str})
    shown = tables["hexes"].set_index("hex_id").pattern
    assert shown.loc[truth.hex_id].tolist() == truth.pattern.tolist()
    assert {"diminishing hot spot", "consecutive hot spot"} <= set(shown)
    geo = json.loads((run.out / "data" / "hexes.geojson").read_text())
    assert [f["properties"]["pattern"] for f in geo["features"]] == tables["hexes"].pattern.tolist()
    where = (run.out / "en" / "where.html").read_text()
    assert 'value="hex_pattern"' in where and 'data-layer="hex_pattern"' in where
    assert "Emerging hot spots (H3 hexagons)" in where
    assert "مسدس" in (run.out / "ur" / "where.html").read_text()


def test_the_catalogue_is_current_and_complete(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_",
         "-k", "t", "--no-location", "--omit-header", "--sort-output", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    fresh = {m.id for m in read_po(pot.open("rb")) if m.id}
    shipped = {m.id for m in read_po((LOCALES / "messages.pot").open("rb")) if m.id}
    assert fresh == shipped, "run `make messages`: " + repr(sorted(fresh ^ shipped)[:5])
    for lang in ("ur", "pl"):
        cat = read_po((LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb"), locale=lang)
        msgs = {m.id: m for m in cat if m.id}
        assert set(msgs) == fresh, lang
        for m in msgs.values():
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            forms = m.string if isinstance(m.string, tuple) else (m.string,)
            assert all(forms) and not m.fuzzy, (lang, m.id)
            # plural forms: the first answers the singular, every other the plural
            for k, form in enumerate(forms):
                names = set(re.findall(r"%\((\w+)\)s", ids[min(k, len(ids) - 1)]))
                assert names == set(re.findall(r"%\((\w+)\)s", form)), (lang, m.id, k)


def test_site_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="English"):
        SiteOptions(languages=("ur",))
    with pytest.raises(ConfigError, match="one of"):
        SiteOptions(languages=("en", "fr"))


def test_a_stricter_policy_rounds_and_still_protects(demo_site, demo_region, tmp_path) -> None:
    """Counts 1-7 suppressed and the rest rounded to 5: every published count is a multiple of 5
    or a marker, and the reader-side audit (rounded values read as intervals) pins nothing."""
    from vrukit.jobs.analyse import monthly_counts
    from vrukit.publish._data import load_site_data
    from vrukit.publish.site import build_site
    from vrukit.store.warehouse import Warehouse

    _, work = demo_site
    with Warehouse(demo_region.folder / "vrukit.duckdb") as wh:
        counts = monthly_counts(wh)
        geo = wh.table("areas").select("lsoa_code", "geometry_wkb").to_pandas()
    data = load_site_data(work / "analysis", work / "risk", counts, geo)
    run = build_site(data, tmp_path / "site", SiteOptions(Policy(7, 5), languages=("en",)))
    manifest = json.loads((run.out / "data" / "manifest.json").read_text())
    assert manifest["policy"]["marker"] == "<8"
    for name, spec in manifest["tables"].items():
        t = pd.read_csv(run.out / "data" / f"{name}.csv", dtype=str, keep_default_na=False)
        for col in spec["counts"]:
            numbers = pd.to_numeric(t[col], errors="coerce").dropna()
            assert (numbers % 5 == 0).all() and not numbers.between(1, 7).any(), (name, col)
    hidden, exposed = published_exposures(run.out)
    assert hidden >= run.suppressed["primary"] > 0 and exposed == []


def test_the_where_page_says_how_many_places_the_hot_spots_make(demo_site) -> None:
    run, work = demo_site
    places = int(pd.read_csv(work / "analysis" / "hotspots.csv").hot_spot_group.max())
    assert places > 1
    where = (run.out / "en" / "where.html").read_text()
    assert f"Together, touching hot spots make {places} places." in where
    assert "Gi*" not in where.split('class="lead"')[1].split("</p>")[0]  # plain words first
    assert f"stykające się gorące punkty: {places}." in (run.out / "pl" / "where.html").read_text()


def test_every_json_the_sna_writes_is_strict(demo_site, demo_region) -> None:
    """The site, the analysis and risk tables behind it and the demo's own files: JSON with no
    NaN or Infinity, and no non-finite rate in any CSV."""
    run, work = demo_site
    assert strict_outputs(run.out, work, json_only=[demo_region.folder]) > 40


def test_hospital_data_have_their_section_when_loaded(demo_site, demo_region) -> None:
    """The demo's ED assaults: the overview says how many and the share unknown to police; the
    When page shows hour, day and weapon (what police.uk lacks) and age by sex; every ED count
    passed the disclosure layer and the published totals are the warehouse's."""
    from vrukit.jobs.istv import located_assaults
    from vrukit.store.warehouse import Warehouse

    run, _ = demo_site
    manifest = json.loads((run.out / "data" / "manifest.json").read_text())
    for name in ("ed_total", "ed_hours", "ed_days", "ed_weapons", "ed_age_sex"):
        assert name in manifest["tables"], name
    index = (run.out / "en" / "index.html").read_text()
    assert "Emergency departments treated" in index and "were not known to police" in index
    assert "appear here when hospital (ISTV) data are loaded" not in index
    when = (run.out / "en" / "when.html").read_text()
    for title in ("by hour of the day", "by day of the week", "by weapon or method",
                  "by age and sex"):  # fmt: skip
        assert f"Assaults treated in hospital {title}" in when
    weapons = pd.read_csv(run.out / "data" / "ed_weapons.csv", dtype=str)
    total = pd.to_numeric(weapons.loc[weapons.method != "not recorded", "count"]).sum()
    with Warehouse(demo_region.folder / "vrukit.duckdb", read_only=True) as wh:
        a = located_assaults(wh)
    when_ = pd.to_datetime(a.assault_at.fillna(a.arrival_at)).dt.strftime("%Y-%m")
    year = a[when_.between("2021-04", "2022-03")]
    assert total == year.method.notna().sum() > 10_000
    every = pd.read_csv(run.out / "data" / "ed_total.csv", dtype=str)["count"].item()
    assert int(every) == len(year) and f"treated {int(every):,} people" in index
    _hidden, exposed = published_exposures(run.out)
    assert exposed == []


def test_the_concentration_curve_reads_busiest_first(demo_site) -> None:
    """The table and chart say "busiest share of areas": at 10% they give the share the
    busiest tenth holds, as the sentence above them does (the analysis's Lorenz curve runs
    from the quietest)."""
    run, work = demo_site
    conc = json.loads((work / "analysis" / "concentration.json").read_text())["count"]
    c = pd.read_csv(run.out / "data" / "concentration.csv").set_index("area_share")
    assert c.value_share[0.1] == pytest.approx(conc["top_10pct_share"], abs=0.002)
    # 1% of 1,750 areas is 17.5: the curve interpolates, the summary counts 18 whole areas
    assert c.value_share[0.01] == pytest.approx(conc["top_1pct_share"], abs=0.005)
    assert c.value_share.is_monotonic_increasing and c.value_share[0.5] > 0.5
