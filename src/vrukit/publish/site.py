"""``vrukit sna``: the open-access Strategic Needs Assessment as a static website.

The site is a folder: HTML pages per language, SVG charts, the map script and its data, and the
published tables (CSV, Parquet, GeoJSON). Every count in it comes from one :class:`Protected`
release, so the disclosure-control layer sees every number before a page does.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
import shapely

from vrukit import jsonio
from vrukit.disclosure import Policy, Protected, protect
from vrukit.errors import ConfigError
from vrukit.geo import geoms_to_wgs84
from vrukit.ingest.reference import read_postcodes, read_wards
from vrukit.publish import _charts as charts
from vrukit.publish._data import ALL, SiteData, lorenz_points, release, slug
from vrukit.publish._i18n import LANGUAGES, N_, Lang, language
from vrukit.publish._labels import FACTOR_LABELS, TYPE_LABELS
from vrukit.publish._maps import map_file
from vrukit.publish.assets import find_assets
from vrukit.publish.pages import Pages

__all__ = ["PAGES", "SiteOptions", "SiteRun", "build_site", "find_assets"]

HERE = Path(__file__).parent
#: The pages every language has: file stem and navigation label.
PAGES: list[tuple[str, str]] = [
    ("index", N_("Overview")),
    ("where", N_("Where")),
    ("when", N_("When")),
    ("why", N_("Why")),
    ("next", N_("Where next")),
    ("data", N_("Data and methods")),
]


@dataclass(frozen=True)
class SiteOptions:
    """What the site publishes and how: disclosure policy, languages, the title and region."""

    policy: Policy = field(default_factory=Policy)
    languages: tuple[str, ...] = ("en", "ur", "pl")
    region: str = ""
    assets: Path | None = None
    #: The synthetic demo region: with no ``region`` given, pages call it "the demo region" in
    #: their own language.
    demo: bool = False
    #: A map tile server for a site published online ({z}/{x}/{y} URL) and its attribution;
    #: none by default, so a page loads nothing from elsewhere and works opened from disk.
    tiles: str = ""
    tiles_attribution: str = ""
    #: Electoral ward boundaries (ONS WDyyCD/WDyyNM), so a reader can find a ward on the maps.
    wards: Path | None = None
    #: A postcode lookup (ONSPD, NSPL or any CSV with postcode, LSOA, latitude and longitude),
    #: so a reader can find their street on the maps by its postcode.
    postcodes: Path | None = None

    def __post_init__(self) -> None:
        if self.tiles and not self.tiles_attribution.strip():
            raise ConfigError("a tile server needs its attribution (--tiles-attribution): the "
                              "map's data are someone's, and their licence says how to credit "
                              "them")  # fmt: skip
        if self.tiles and not self.tiles.startswith("https://"):
            raise ConfigError(f"--tiles {self.tiles!r}: give an https:// URL with {{z}}, {{x}} "
                              "and {y}")  # fmt: skip
        unknown = [c for c in self.languages if c not in LANGUAGES]
        if unknown or "en" not in self.languages:
            raise ConfigError(
                f"languages {list(self.languages)}: each must be one of {', '.join(LANGUAGES)}, "
                "and English must be among them"
            )


@dataclass
class SiteRun:
    """What ``build_site`` wrote and how long each step took."""

    out: Path
    pages: list[Path] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    suppressed: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def build_site(
    data: SiteData,
    out: Path,
    options: SiteOptions = SiteOptions(),
    progress: Callable[[str], None] | None = None,
) -> SiteRun:
    """Protect ``data``'s tables and write the whole site into ``out`` (replacing a previous
    site there; any other non-empty folder is refused)."""
    say = progress or (lambda _m: None)
    assets = find_assets(options.assets)
    _prepare(out)
    run = SiteRun(out)
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        run.seconds[step] = round(now - clock, 3)
        clock = now

    if options.wards is not None and data.wards is None:
        data.wards = read_wards(options.wards)
    if options.postcodes is not None and data.postcodes is None:
        data.postcodes = read_postcodes(options.postcodes, set(data.areas.area_code))
    say("disclosure control")
    pub = protect(release(data), options.policy)
    run.suppressed = pub.suppressed()
    lap("disclosure")
    say("tables and map layers")
    downloads = _write_data(pub, data, out, run)
    lap("data")
    say("copying front-end files")
    _copy_assets(assets, out)
    env = _environment()
    for code in options.languages:
        say(f"pages in {LANGUAGES[code][0]}")
        lang = language(code)
        site = _Site(pub, data, options, lang, out, downloads)
        run.pages += site.write_all(env)
        lap(f"pages_{code}")
    _chooser(env, out, options)
    run.pages.append(out / "index.html")
    say("compressing")
    _precompress(out)
    lap("compress")
    return run


#: Files a web server may send gzipped as they are (nginx ``gzip_static on``, Caddy
#: ``precompressed gzip``): text, written beside each as NAME.gz.
COMPRESSED = (".html", ".js", ".css", ".svg", ".json", ".geojson", ".csv")


def _precompress(out: Path) -> None:
    """A .gz beside every text file of the site, at the highest level and with no time in it
    (the same site gives the same bytes), so the server spends no time compressing."""
    import gzip

    for f in sorted(out.rglob("*")):
        if f.suffix in COMPRESSED and f.is_file():
            Path(f"{f}.gz").write_bytes(gzip.compress(f.read_bytes(), 9, mtime=0))


def check_out(out: Path) -> None:
    """Refuse, before any work, a site folder that is a file or holds something else."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file: give a folder for the website")
    if out.exists() and any(out.iterdir()) and not (out / "data" / "manifest.json").exists():
        raise ConfigError(f"{out} is not empty and holds no vrukit site: choose another folder")


def _prepare(out: Path) -> None:
    check_out(out)
    if out.exists() and any(out.iterdir()):
        if not (out / "data" / "manifest.json").exists():
            raise ConfigError(f"{out} is not empty and holds no vrukit site: choose another folder")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def _copy_assets(assets: Path, out: Path) -> None:
    dest = out / "assets"
    shutil.copytree(HERE / "static", dest, dirs_exist_ok=True)
    leaflet = assets / "leaflet" / "dist"
    (dest / "leaflet").mkdir(parents=True, exist_ok=True)
    for name in ("leaflet.js", "leaflet.css"):
        shutil.copy2(leaflet / name, dest / "leaflet" / name)
    shutil.copytree(leaflet / "images", dest / "leaflet" / "images", dirs_exist_ok=True)
    licence = assets / "leaflet" / "LICENSE"
    if licence.exists():
        shutil.copy2(licence, dest / "leaflet" / "LICENSE")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return env


# ---- data files ---------------------------------------------------------------------------


def _write_data(pub: Protected, data: SiteData, out: Path, run: SiteRun) -> dict[str, list[str]]:
    """Every published table as CSV and Parquet; the area and hexagon layers as GeoJSON and as
    the script files the maps load (so the site works opened from disk); the manifest."""
    folder = out / "data"
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[str]] = {}
    maps: list[str] = []
    for name, table in pub.tables.items():
        table.to_csv(folder / f"{name}.csv", index=False)
        pub.numeric(name).to_parquet(folder / f"{name}.parquet", index=False)
        files[name] = [f"{name}.csv", f"{name}.parquet"]
    areas = _area_layer(pub, data)
    if areas is not None:
        _geo_files(folder, "areas", areas, files)
        maps = _map_files(folder / "map", pub, data)
    districts = _postcode_files(folder / "map" / "pc", data) if areas is not None else []
    hexes = _hex_layer(pub, data)
    if hexes is not None:
        _geo_files(folder, "hexes", hexes, files)
    if data.lorenz is not None:
        lz = lorenz_points(data.lorenz)
        lz.to_csv(folder / "concentration.csv", index=False)
        files["concentration"] = ["concentration.csv"]
    manifest = pub.manifest(files)
    if areas is not None:
        manifest["maps"] = {"files": maps, "note": "the published values of the areas table and "
                            "the areas' outlines, one file for each map the pages draw, in the "
                            "compact form of vrukit.publish.site.compact"}  # fmt: skip
    if districts:
        manifest["postcodes"] = {
            "files": len(districts),
            "note": "map/pc/<district>.js: each "
            "live postcode of the areas, its position and area (the "
            "lookup given to vrukit sna --postcodes), for the maps' search",
        }
    manifest["notes"] = {
        "concentration": "share of violence held by the busiest areas, at each whole percent of "
        "areas, rounded to 0.1%: a statistic, not counts"
    }
    (folder / "manifest.json").write_text(jsonio.dumps(manifest, indent=1))
    run.files += sorted(folder.iterdir())
    return files


def compact(fc: dict[str, Any] | None, step: float) -> dict[str, Any] | None:
    """A feature collection as the map files carry it, a third lighter once gzipped: each
    property as one list (``props``), and each shape's rings as whole numbers of ``step``, each
    vertex the difference from the one before (``shapes``: polygons, rings, x, y, x, y...).
    site.js ``expand`` turns it back into GeoJSON."""
    if fc is None:
        return None
    feats = fc["features"]
    keys = list(feats[0]["properties"]) if feats else []

    def ring(coords: list[list[float]]) -> list[int]:
        ints = np.rint(np.asarray(coords, dtype=float) / step).astype(np.int64)
        return np.vstack([ints[:1], np.diff(ints, axis=0)]).ravel().tolist()

    shapes = []
    for f in feats:
        g = f["geometry"]
        polygons = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        shapes.append([[ring(r) for r in poly] for poly in polygons])
    return {"step": step, "props": {k: [f["properties"][k] for f in feats] for k in keys},
            "shapes": shapes}  # fmt: skip


def _context(pub: Protected, data: SiteData) -> dict[str, Any] | None:
    """What a reader finds their way by when no map tiles are loaded: each local authority's
    outline (its areas joined, simplified at 60 m) and its name, to place where the outline's
    middle is (``at``: a point inside it)."""
    areas = pub.tables["areas"]
    wkb = {c: data.geometry.get(c) for c in areas.area_code}
    if any(w is None for w in wkb.values()):
        return None
    feats = []
    for (code, name), group in areas.groupby(["lad_code", "lad_name"], sort=True):
        shapes = shapely.from_wkb([bytes(wkb[c]) for c in group.area_code])  # type: ignore[arg-type]
        outline = shapely.simplify(shapely.union_all(shapely.buffer(shapes, 1.0)), 60.0)
        at = geoms_to_wgs84(np.array([shapely.point_on_surface(outline)]))[0]
        feats.append((outline, {"code": code, "name": name, "kind": "la",
                                "at": [round(at.x, 4), round(at.y, 4)]}))  # fmt: skip
    return _features(np.array([f[0] for f in feats]), [f[1] for f in feats], REGION_DETAIL[1])


def _wards(data: SiteData, wkb: list[Any]) -> list[dict[str, Any]]:
    """The wards holding the inside point of at least one of the areas ``wkb``: code, name
    and extent (``box``: west, south, east, north in WGS84), for the maps' search to frame.
    Extents, not outlines: a page stays light, and the areas drawn show the streets."""
    if data.wards is None or data.wards.empty or not wkb:
        return []
    inside = shapely.point_on_surface(shapely.from_wkb([bytes(w) for w in wkb]))
    shapes = shapely.from_wkb(data.wards.geometry_wkb.map(bytes).to_numpy())
    hit = sorted(set(shapely.STRtree(shapes).query(inside, predicate="within")[1].tolist()))
    out = []
    for i in hit:
        box = geoms_to_wgs84(np.array([shapely.envelope(shapes[i])]))[0].bounds
        w = data.wards.iloc[i]
        out.append({"code": str(w.ward_code), "name": str(w.ward_name),
                    "box": [round(float(v), 4) for v in box]})  # fmt: skip
    return sorted(out, key=lambda w: (w["name"], w["code"]))


def _postcode_files(folder: Path, data: SiteData) -> list[str]:
    """One script per postcode district (``pc/B1.js``) of the site's areas' live postcodes:
    each postcode's position and area, loaded only when a reader types a postcode of it."""
    if data.postcodes is None or data.postcodes.empty:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    pcs = data.postcodes.assign(district=data.postcodes.postcode.str.split(" ").str[0])
    written = []
    for district, g in pcs.groupby("district", sort=True):
        if not re.fullmatch(r"[A-Z0-9]{2,4}", str(district)):
            continue
        table = {
            p.replace(" ", ""): [round(float(a), 5), round(float(o), 5), code]
            for p, a, o, code in zip(g.postcode, g.lat, g.lon, g.lsoa_code, strict=True)
        }
        text = jsonio.dumps(table, separators=(",", ":"))
        (folder / f"{district}.js").write_text(
            "window.VRUKIT=window.VRUKIT||{};window.VRUKIT.pc=window.VRUKIT.pc||{};"
            f'window.VRUKIT.pc["{district}"]={text};\n'
        )
        written.append(f"map/pc/{district}.js")
    return written


def _map_files(folder: Path, pub: Protected, data: SiteData) -> list[str]:
    """The area layers the pages draw, each holding only what its page shows at the detail it
    is seen at: the whole region coarsely; each local authority's and each pilot's areas
    finely (a pilot page drew all 1,750 of the region's areas to show 10)."""
    folder.mkdir(exist_ok=True)
    areas = pub.tables["areas"]
    parts: list[tuple[str, dict[str, Any] | None]] = [
        (map_file("region"), _area_layer(pub, data, REGION_DETAIL))
    ]
    context = _context(pub, data)
    for code in sorted(set(areas.lad_code)):
        mine = set(areas.area_code[areas.lad_code == code])
        parts.append((map_file("la", code), _area_layer(pub, data, PLACE_DETAIL, mine)))
    if "pilot" in areas:
        named = areas.pilot.fillna("").str.split("; ")
        for pilot in sorted({p for names in named for p in names if p}):
            mine = set(areas.area_code[named.map(lambda n, p=pilot: p in n)])
            parts.append((map_file("pilot", pilot), _area_layer(pub, data, PLACE_DETAIL, mine)))
    for rel, fc in parts:
        packed = compact(fc, REGION_DETAIL[1] if rel == map_file("region") else PLACE_DETAIL[1])
        if packed is not None and context is not None and rel == map_file("region"):
            packed["context"] = compact(context, REGION_DETAIL[1])
        if packed is not None and fc is not None and data.wards is not None:
            codes = [f["properties"]["code"] for f in fc["features"]]
            packed["wards"] = _wards(data, [data.geometry[c] for c in codes if c in data.geometry])
        text = jsonio.dumps(packed, separators=(",", ":"))
        (folder.parent / rel).write_text(f"window.VRUKIT=window.VRUKIT||{{}};"
                                         f'window.VRUKIT["areas"]={text};\n')  # fmt: skip
    return [rel for rel, _ in parts]


def _geo_files(folder: Path, name: str, fc: dict[str, Any], files: dict[str, list[str]]) -> None:
    text = jsonio.dumps(fc, separators=(",", ":"))
    (folder / f"{name}.geojson").write_text(text)
    (folder / f"{name}.js").write_text(
        f"window.VRUKIT=window.VRUKIT||{{}};window.VRUKIT[{jsonio.dumps(name)}]={text};\n"
    )
    files.setdefault(name, []).extend([f"{name}.geojson", f"{name}.js"])


def _features(geoms: np.ndarray, props: list[dict[str, Any]], step: float = 1e-5) -> dict[str, Any]:
    wgs = geoms_to_wgs84(geoms)
    wgs = shapely.set_precision(wgs, step)
    feats = [
        {"type": "Feature", "properties": p, "geometry": json.loads(shapely.to_geojson(g))}
        for p, g in zip(props, wgs, strict=True)
    ]
    return {"type": "FeatureCollection", "features": feats}


def _quantile_classes(values: pd.Series, k: int = 5) -> tuple[np.ndarray, list[float]]:
    """Class (0..k-1) of each value by quantile breaks; -1 where missing. Returns the breaks."""
    v = pd.to_numeric(values, errors="coerce")
    ok = v.dropna()
    if ok.empty:
        return np.full(len(v), -1), []
    breaks = sorted(set(np.quantile(ok, np.linspace(0, 1, k + 1)).round(6)))
    cls = np.searchsorted(breaks[1:-1], v.fillna(-np.inf), side="right")
    return np.where(v.isna(), -1, cls), [float(b) for b in breaks]


#: How finely a map file draws its areas: the simplification tolerance (metres) and the step of
#: its coordinates (degrees; 1e-4 is about 7 by 11 metres here). A page that draws the whole
#: region shows an area a few pixels across; a local authority's or a pilot's page, closer.
REGION_DETAIL, PLACE_DETAIL = (30.0, 1e-4), (5.0, 1e-5)


def _area_layer(
    pub: Protected, data: SiteData, detail: tuple[float, float] = PLACE_DETAIL,
    codes: set[str] | None = None,
) -> dict[str, Any] | None:  # fmt: skip
    """The area layer (every area, or ``codes``), drawn at ``detail``; classes are the
    region's whichever areas are drawn."""
    areas = pub.tables["areas"]
    wkb = [data.geometry.get(c) for c in areas.area_code]
    if any(w is None for w in wkb):
        return None
    rate_cls, _ = _quantile_classes(areas.rate_per_1000)
    harm_per = pd.to_numeric(areas.harm, errors="coerce") * 1000 / areas.population
    harm_cls, _ = _quantile_classes(harm_per)
    keep = np.ones(len(areas), bool) if codes is None else areas.area_code.isin(codes).to_numpy()
    geoms = shapely.from_wkb([bytes(w) for w, k in zip(wkb, keep, strict=True) if k])  # type: ignore[arg-type]
    geoms = shapely.simplify(geoms, detail[0], preserve_topology=True)
    props = []
    for i, row in enumerate(areas.itertuples(index=False)):
        if not keep[i]:
            continue
        p = {
            "code": row.area_code, "name": row.area_name, "la": row.lad_name,
            "count": str(row.count), "rate": _round(row.rate_per_1000, 1),
            "harm": _round(harm_per.iloc[i], 0), "c_rate": int(rate_cls[i]),
            "c_harm": int(harm_cls[i]), "gi": getattr(row, "gi_class", None),
            "pattern": getattr(row, "pattern", None), "tier": getattr(row, "tier", None),
            "rank": _round(getattr(row, "rank", None), 0),
        }  # fmt: skip
        props.append(p)
    return _features(geoms, props, detail[1])


def _hex_layer(pub: Protected, data: SiteData) -> dict[str, Any] | None:
    if "hexes" not in pub.tables or not data.hex_geometry:
        return None
    hexes = pub.tables["hexes"]
    polys = {f["properties"]["hex_id"]: f["geometry"] for f in data.hex_geometry["features"]}
    cls, _ = _quantile_classes(hexes.per_km2)
    feats = [
        {"type": "Feature",
         "properties": {"code": h.hex_id, "count": str(h.count), "per_km2": _round(h.per_km2, 1),
                        "c_density": int(c), "gi": h.gi_class,
                        "pattern": getattr(h, "pattern", None)},
         "geometry": polys[h.hex_id]}
        for h, c in zip(hexes.itertuples(index=False), cls, strict=True)
    ]  # fmt: skip
    return {"type": "FeatureCollection", "features": feats}


def _round(x: object, digits: int) -> float | None:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if np.isnan(v) else round(v, digits)


# ---- pages --------------------------------------------------------------------------------


def _chooser(env: jinja2.Environment, out: Path, options: SiteOptions) -> None:
    lang = language("en")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lang.translations.gettext, lang.translations.ngettext,
                                  newstyle=True)  # fmt: skip
    langs = [(c, *LANGUAGES[c]) for c in options.languages]
    html = env.get_template("chooser.html").render(languages=langs, region=options.region)
    (out / "index.html").write_text(html)


class _Site(Pages):
    """The pages of one language."""

    def __init__(
        self,
        pub: Protected,
        data: SiteData,
        options: SiteOptions,
        lang: Lang,
        out: Path,
        downloads: dict[str, list[str]],
    ) -> None:
        self.pub, self.data, self.options, self.lang = pub, data, options, lang
        self.out, self.downloads = out, downloads
        self.dir = out / lang.code
        self._ = lang.gettext
        self.las = pub.tables["local_authorities"]
        self.areas = pub.tables["areas"]
        self.region_row = self.las[self.las.lad_code == ALL].iloc[0]

    # -- helpers
    def t(self, message: str, **values: Any) -> str:
        return self.lang.gettext(message, **values)

    def tiles(self) -> dict[str, str] | None:
        o = self.options
        return {"url": o.tiles, "attribution": o.tiles_attribution} if o.tiles else None

    def type_label(self, crime_type: str) -> str:
        return self.t(TYPE_LABELS.get(crime_type, crime_type))

    def factor_label(self, factor: str, fallback: str) -> str:
        stem = factor.rsplit("_", 1)[0] if factor.endswith(("_score", "_centile")) else factor
        return self.t(FACTOR_LABELS[stem]) if stem in FACTOR_LABELS else fallback

    def render_fig(self, fig: charts.Figure, depth: int) -> charts.Figure:
        charts.render(fig, self.lang, self.out / "charts" / self.lang.code,
                      "../" * depth + f"charts/{self.lang.code}/")  # fmt: skip
        return fig

    def write_all(self, env: jinja2.Environment) -> list[Path]:
        env.install_gettext_callables(  # type: ignore[attr-defined]
        self.lang.translations.gettext,
                                      self.lang.translations.ngettext, newstyle=True)  # fmt: skip
        pages = []
        for stem, _title in PAGES:
            ctx = getattr(self, f"page_{stem}")()
            pages.append(self._render(env, stem, f"{stem}.html", ctx, depth=1))
        for row in self.las[self.las.lad_code != ALL].itertuples(index=False):
            ctx = self.page_la(row)
            pages.append(self._render(env, "la", f"la/{row.lad_code}.html", ctx, depth=2))
        pilots = self.pub.tables.get("pilots")
        if pilots is not None:
            for row in pilots.itertuples(index=False):
                ctx = self.page_pilot(row)
                pages.append(self._render(env, "pilot", f"pilot/{slug(row.pilot)}.html", ctx, 2))
        return pages

    def _render(
        self, env: jinja2.Environment, template: str, path: str, ctx: dict[str, Any], depth: int
    ) -> Path:
        root = "../" * depth
        other = [
            (c, LANGUAGES[c][0], f"{root}{c}/{path}")
            for c in self.options.languages
            if c != self.lang.code
        ]
        common = {
            "lang": self.lang, "root": root, "here": path, "pages": PAGES,
            "other_languages": other, "region": self.options.region, "demo": self.options.demo,
            "policy": self.pub.policy, "las": self.la_links(root),
            "window": [self.lang.month(m) for m in self.data.window],
            # the same months in a sentence ("from April 2021 to March 2022"): Polish "od
            # kwietnia 2021 do marca 2022" needs the date form
            "window_from": [self.lang.month(m, in_sentence=True) for m in self.data.window],
            "pilots": self.pilot_links(root),
        }  # fmt: skip
        html = env.get_template(f"{template}.html").render(**common, **ctx)
        target = self.dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html)
        return target

    def la_links(self, root: str) -> list[tuple[str, str]]:
        rows = self.las[self.las.lad_code != ALL].sort_values("lad_name")
        return [(r.lad_name, f"{root}{self.lang.code}/la/{r.lad_code}.html")
                for r in rows.itertuples(index=False)]  # fmt: skip

    def pilot_links(self, root: str) -> list[tuple[str, str]]:
        pilots = self.pub.tables.get("pilots")
        if pilots is None:
            return []
        return [(p, f"{root}{self.lang.code}/pilot/{slug(p)}.html") for p in sorted(pilots.pilot)]
