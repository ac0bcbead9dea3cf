"""Every command-line option declared once: its flag, help and (for settings) its VRUKIT_
variable. Commands annotate their parameters with these; only the default stays beside each."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vrukit.settings import Settings

_S = Settings.model_fields


def _setting_option(name: str, shown: str | bool = False) -> Any:
    """A command-line option for the setting ``name``: its flag, help and VRUKIT_ variable."""
    return typer.Option(
        f"--{name.replace('_', '-')}",
        help=_S[name].description,
        envvar=f"VRUKIT_{name.upper()}",
        show_default=shown,
    )


DbOption = Annotated[Path | None, _setting_option("db")]


LakeOption = Annotated[Path | None, _setting_option("lake")]


EngineOption = Annotated[str | None, _setting_option("engine", "duckdb")]


SparkMasterOption = Annotated[str | None, _setting_option("spark_master", "local[2]")]


StoreOption = Annotated[
    str | None,
    typer.Option(
        help="Programme store URL (sqlite:///FILE or postgresql+psycopg://...); "
        "default: the demo region's.",
        show_default=False,
    ),
]


LakePath = Annotated[Path, _setting_option("lake", True)]


def out_option(help: str) -> Any:
    """``--out``: the folder (or file) a command writes; each command says what goes in it."""
    return typer.Option(help=help)


CrimeTypes = Annotated[
    list[str] | None,
    typer.Option(
        "--crime-type",
        help="police.uk crime type to include (repeat). Default: the violence selection.",
        show_default=False,
    ),
]
FirstMonth = Annotated[str | None, typer.Option(help="First month, YYYY-MM.")]
LastMonth = Annotated[str | None, typer.Option(help="Last month, YYYY-MM.")]
HarmTable = Annotated[
    str, typer.Option(help="Harm weights: 'css', 'cchi' or a CSV with crime_type,weight.")
]
Neighbours = Annotated[
    str, typer.Option(help="'queen' (polygons; falls back to knn without them) or 'knn'.")
]
Permutations = Annotated[int, typer.Option(help="Conditional permutations.")]
Seed = Annotated[int, typer.Option(help="Random seed (permutations, bootstrap draws).")]
Alpha = Annotated[float, typer.Option(help="Significance level after FDR.")]
MapMonths = Annotated[
    int, typer.Option(help="Months the map covers, ending at the last month (0: every month).")
]
HexResolutions = Annotated[
    list[int] | None,
    typer.Option(
        "--hex-resolution", help="H3 resolution to map (repeat; 7-9 suit LSOAs).", show_default="8"
    ),
]
KdeCell = Annotated[float, typer.Option(help="Density surface cell size, metres.")]
KdeBandwidth = Annotated[
    float | None,
    typer.Option(
        help="Density bandwidth, metres. Default: ArcGIS's search-radius rule.", show_default=False
    ),
]
Indicators = Annotated[
    list[Path] | None,
    typer.Option(
        "--indicators",
        help="CSV of extra area indicators keyed by area_code (repeat). "
        "Demo: the region's area_indicators.csv.",
        show_default=False,
    ),
]
Pilots = Annotated[
    Path | None,
    typer.Option(
        help="CSV of current pilots: pilot, area_code (one row per area). Demo: pilots.csv.",
        show_default=False,
    ),
]
Factors = Annotated[
    list[str] | None,
    typer.Option(
        "--factor",
        help="Profile column to model (repeat); replaces the default set "
        "(IoD2019 domains but crime, youth share, the indicators).",
        show_default=False,
    ),
]
Weights = Annotated[
    list[str] | None,
    typer.Option(
        "--weight",
        help="Risk index weight as component=value (rate, harm, expected, hotspot).",
        show_default="rate=0.3 harm=0.3 expected=0.2 hotspot=0.2",
    ),
]
FixedEffects = Annotated[bool, typer.Option(help="Add local-authority fixed effects to the model.")]
SpatialLag = Annotated[
    bool, typer.Option(help="Add neighbours' violence (spatial lag) to the model.")
]
PilotControl = Annotated[
    bool, typer.Option(help="Hold pilot areas apart in the model (with --pilots).")
]
ModelMonths = Annotated[int, typer.Option(help="Months modelled, ending at the last month.")]
Draws = Annotated[int, typer.Option(help="Bootstrap draws for the rank intervals.")]
ModelBootstrap = Annotated[
    int, typer.Option(help="Refit the model on N resamples of areas to show its stability (0: no).")
]
Region = Annotated[str, typer.Option(help="The region's name, as the pages say it.")]
Languages = Annotated[
    list[str] | None,
    typer.Option("--language", help="Language code (repeat): en, ur, pl.", show_default="en ur pl"),
]
SuppressMax = Annotated[
    int, typer.Option(help="Counts from 1 to this are suppressed (shown as <N+1).")
]
RoundTo = Annotated[int, typer.Option(help="Round other counts to this base (1: exact).")]
Assets = Annotated[
    Path | None,
    typer.Option(
        help="node_modules folder holding Leaflet (default: the project's).", show_default=False
    ),
]
Work = Annotated[
    Path | None,
    typer.Option(
        help="Keep the unprotected analysis tables here (default: discarded).", show_default=False
    ),
]
SiteStore = Annotated[
    str | None,
    typer.Option(
        "--store",
        help='Programme store holding the Youth Map, for "high risk, few services" '
        "(default: the demo's, when publishing the demo).",
        show_default=False,
    ),
]
DemoMonths = Annotated[int, typer.Option(help="Months of crime to generate (at least 5).")]
DemoAreas = Annotated[int, typer.Option(help="Number of small areas (at least 100).")]
Neighbourhood = Annotated[
    str | None, typer.Option(help="A neighbourhood id of the force: its boundary is the polygon.")
]
Polygon = Annotated[Path | None, typer.Option(help="A GeoJSON file holding one polygon (WGS84).")]
ApiFirstMonth = Annotated[
    str | None, typer.Option(help="First month, YYYY-MM (default: the latest published).")
]
ApiLastMonth = Annotated[
    str | None, typer.Option(help="Last month, YYYY-MM (default: the latest published).")
]
Tiles = Annotated[
    str | None,
    typer.Option(
        help="Map tiles for the Youth Map or the SNA site's maps, as an https:// URL template "
        "({z}/{x}/{y}); none by default, so no search or page is sent to a third party."
    ),
]
TilesAttribution = Annotated[str, typer.Option(help="The attribution the tile server requires.")]
Postcodes = Annotated[
    Path | None,
    typer.Option(
        help="A postcode lookup (ONS postcode directory or NSPL CSV, or any CSV with postcode, "
        "LSOA, latitude and longitude), so readers can find their street on the maps by its "
        "postcode; the demo region's own when it is published.",
        show_default=False,
    ),
]
Wards = Annotated[
    Path | None,
    typer.Option(
        help="Electoral ward boundaries (ONS GeoJSON or GeoPackage with WDyyCD and WDyyNM), so "
        "readers can find a ward on the maps; the demo region's own when it is published.",
        show_default=False,
    ),
]
PolicePaths = Annotated[
    list[Path],
    typer.Option("--police", help="police.uk street files, folders or zips (repeat for more)."),
]
ReferencePaths = Annotated[
    list[Path],
    typer.Option(
        "--reference",
        help="Boundaries, lookups, IoD and population files or folders (repeat for more).",
    ),
]
ForceSlug = Annotated[
    str | None, typer.Option("--force", help="Only this force's street files, e.g. merseyside.")
]
AreaCodes = Annotated[
    list[str] | None,
    typer.Option(
        "--area",
        help="Build only these local authorities (a CSP) or LSOAs, by code (repeat for more).",
    ),
]
MinShare = Annotated[
    float,
    typer.Option(help="Without --area: keep local authorities holding this share of crimes."),
]
Each = Annotated[
    str | None,
    typer.Option(help="One site per csp (local authority) or force, with an index page."),
]
FitMonths = Annotated[int, typer.Option(help="Months each hotspot method is fitted on.")]
Horizon = Annotated[int, typer.Option(help="Months after each origin the hotspots are scored on.")]
Step = Annotated[int, typer.Option(help="Months between one rolling origin and the next.")]
TopN = Annotated[
    int | None,
    typer.Option(
        help="Areas the top-n methods select. Default: 5% of the areas, rounded up.",
        show_default=False,
    ),
]
PointMethods = Annotated[
    bool,
    typer.Option(
        "--points/--no-points",
        help="Also score hotspots drawn from map points: H3 hexagons and kernel density cells.",
    ),
]
HexResolution = Annotated[int, typer.Option(help="H3 resolution of the hexagons scored.")]
