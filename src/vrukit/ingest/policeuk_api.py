"""A client for the police.uk API: street crime by polygon, no-location crime, categories,
forces, neighbourhood boundaries and the last-updated date.

It keeps to the documented rate limit (15 requests a second, bursts of 30), retries transient
failures with exponential backoff, splits a polygon whose month holds more than the API's
10,000-crime limit (the API answers 503) and switches to POST when the polygon is too long for a
URL. Results come back as frames with fixed columns; the persistent Crime ID is kept.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import shapely

from vrukit.errors import ConfigError, FetchError, InputFileError
from vrukit.ingest.forces import force_name
from vrukit.schemas import STREET_COLUMNS

__all__ = [
    "API_CRIME_COLUMNS",
    "PoliceAPI",
    "fetch_street_rows",
    "months_between",
    "read_polygon",
    "street_rows",
    "write_street_files",
]

log = logging.getLogger(__name__)

#: Columns of the frames returned by ``crimes_street`` and ``crimes_no_location``.
API_CRIME_COLUMNS = (
    "crime_id",
    "api_id",
    "month",
    "category",
    "longitude",
    "latitude",
    "street_id",
    "street_name",
    "location_type",
    "location_subtype",
    "context",
    "outcome_category",
    "outcome_date",
)
#: Longest ``poly=`` query string sent with GET; longer polygons are POSTed (the API's advice).
MAX_GET_POLY = 1800
MAX_SPLIT_DEPTH = 8
RETRY_STATUS = {429, 500, 502, 504}

LatLng = tuple[float, float]


@dataclass
class _Bucket:
    """Token bucket: ``rate`` requests a second with bursts of ``burst``."""

    rate: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    tokens: float = field(init=False)
    last: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens, self.last = float(self.burst), self.clock()

    def take(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1:
            wait = (1 - self.tokens) / self.rate
            self.sleep(wait)
            self.tokens, self.last = 0.0, self.clock()
        else:
            self.tokens -= 1


class PoliceAPI:
    """police.uk API client.

    Parameters
    ----------
    base_url
        Normally ``https://data.police.uk/api``.
    client
        An ``httpx.Client`` to use (tests pass one with a ``MockTransport``).
    rate, burst
        Request rate limit; the API documents 15 a second with bursts of 30.
    retries, backoff
        Attempts after the first on timeouts, connection errors, 429 and 5xx (not the 503 that
        means "too many crimes"); the wait doubles from ``backoff`` seconds.
    """

    def __init__(
        self,
        base_url: str = "https://data.police.uk/api",
        *,
        client: httpx.Client | None = None,
        timeout: float = 30.0,
        rate: float = 15.0,
        burst: int = 30,
        retries: int = 4,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client or httpx.Client(timeout=timeout)
        self.bucket = _Bucket(rate, burst, sleep=sleep)
        self.retries, self.backoff, self.sleep = retries, backoff, sleep
        self.requests = 0

    # -- transport ---------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
    ) -> httpx.Response:
        url = f"{self.base_url}/{path}"
        for attempt in range(self.retries + 1):
            self.bucket.take()
            self.requests += 1
            try:
                resp = self.client.request(method, url, params=params, data=data)
            except (httpx.TimeoutException, httpx.TransportError) as e:
                problem = f"{type(e).__name__}: {e}"
            else:
                if resp.status_code not in RETRY_STATUS:
                    return resp
                problem = f"HTTP {resp.status_code}"
            if attempt < self.retries:
                wait = self.backoff * 2**attempt
                log.info("%s %s: %s; retrying in %.1f s", method, path, problem, wait)
                self.sleep(wait)
        raise FetchError(
            f"{method} {url} failed after {self.retries + 1} attempts: {problem}; "
            "check the network or try later"
        )

    def _json(self, path: str, **params: str) -> Any:
        resp = self._request("GET", path, params=params or None)
        if resp.status_code != 200:
            raise FetchError(f"GET {resp.request.url}: HTTP {resp.status_code}: {resp.text[:200]}")
        return resp.json()

    # -- simple endpoints --------------------------------------------------------------------
    def forces(self) -> pd.DataFrame:
        """Forces: columns ``id`` (slug) and ``name``."""
        return pd.DataFrame(self._json("forces"), columns=["id", "name"])

    def crime_categories(self, month: str | None = None) -> pd.DataFrame:
        """Crime categories: ``url`` (slug) and ``name`` (as in street files)."""
        params = {"date": month} if month else {}
        return pd.DataFrame(self._json("crime-categories", **params), columns=["url", "name"])

    def crime_last_updated(self) -> str:
        """The month of the latest data, as ``YYYY-MM``."""
        return str(self._json("crime-last-updated")["date"])[:7]

    def neighbourhoods(self, force: str) -> pd.DataFrame:
        """Neighbourhoods of a force: ``id`` and ``name``."""
        return pd.DataFrame(self._json(f"{force}/neighbourhoods"), columns=["id", "name"])

    def neighbourhood_boundary(self, force: str, neighbourhood: str) -> list[LatLng]:
        """A neighbourhood's boundary as (latitude, longitude) pairs."""
        points = self._json(f"{force}/{neighbourhood}/boundary")
        return [(float(p["latitude"]), float(p["longitude"])) for p in points]

    def crimes_no_location(
        self, force: str, month: str, category: str = "all-crime"
    ) -> pd.DataFrame:
        """Crimes a force recorded with no location, for one month."""
        rows = self._json("crimes-no-location", category=category, force=force, date=month)
        return _crime_frame(rows)

    # -- street crime by polygon -------------------------------------------------------------
    def crimes_street(
        self, polygon: Sequence[LatLng], month: str, category: str = "all-crime"
    ) -> pd.DataFrame:
        """Street-level crimes inside ``polygon`` (latitude, longitude pairs) for one month.

        A polygon whose month holds more than 10,000 crimes is split in two along its longer
        side, recursively; crimes found twice on a shared edge are kept once (by API id).
        """
        frame = self._street(
            shapely.Polygon([(lng, lat) for lat, lng in polygon]), month, category, depth=0
        )
        return frame.drop_duplicates("api_id").reset_index(drop=True)

    def _street(self, poly: shapely.Polygon, month: str, category: str, depth: int) -> pd.DataFrame:
        text = ":".join(f"{y:.6f},{x:.6f}" for x, y in poly.exterior.coords[:-1])
        path = f"crimes-street/{category}"
        if len(text) <= MAX_GET_POLY:
            resp = self._request("GET", path, params={"poly": text, "date": month})
        else:
            resp = self._request("POST", path, data={"poly": text, "date": month})
        if resp.status_code == 503:
            if depth >= MAX_SPLIT_DEPTH:
                raise FetchError(f"{path} {month}: still over 10,000 crimes after {depth} splits")
            log.info("%s %s: over 10,000 crimes; splitting the polygon", path, month)
            return pd.concat(
                [self._street(half, month, category, depth + 1) for half in _halves(poly)],
                ignore_index=True,
            )
        if resp.status_code != 200:
            raise FetchError(f"{path} {month}: HTTP {resp.status_code}: {resp.text[:200]}")
        return _crime_frame(resp.json())


def _halves(poly: shapely.Polygon) -> list[shapely.Polygon]:
    minx, miny, maxx, maxy = poly.bounds
    if maxx - minx >= maxy - miny:
        mid = (minx + maxx) / 2
        boxes = [shapely.box(minx, miny, mid, maxy), shapely.box(mid, miny, maxx, maxy)]
    else:
        mid = (miny + maxy) / 2
        boxes = [shapely.box(minx, miny, maxx, mid), shapely.box(minx, mid, maxx, maxy)]
    parts: list[shapely.Polygon] = []
    for b in boxes:
        piece = poly.intersection(b)
        geoms = getattr(piece, "geoms", [piece])
        parts.extend(g for g in geoms if isinstance(g, shapely.Polygon) and not g.is_empty)
    return parts


def _crime_frame(rows: list[dict]) -> pd.DataFrame:
    def one(r: dict) -> dict:
        loc = r.get("location") or {}
        street = loc.get("street") or {}
        outcome = r.get("outcome_status") or {}
        return {
            "crime_id": r.get("persistent_id") or None,
            "api_id": r.get("id"),
            "month": r.get("month"),
            "category": r.get("category"),
            "longitude": float(loc["longitude"]) if loc.get("longitude") else None,
            "latitude": float(loc["latitude"]) if loc.get("latitude") else None,
            "street_id": street.get("id"),
            "street_name": street.get("name"),
            "location_type": r.get("location_type"),
            "location_subtype": r.get("location_subtype") or None,
            "context": r.get("context") or None,
            "outcome_category": outcome.get("category"),
            "outcome_date": outcome.get("date"),
        }

    return pd.DataFrame([one(r) for r in rows], columns=list(API_CRIME_COLUMNS))


# -- the API's crimes as police.uk street files ------------------------------------------------
def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` (``YYYY-MM``, inclusive)."""
    try:
        span = pd.period_range(pd.Period(first, "M"), pd.Period(last, "M"), freq="M")
    except ValueError:
        raise ConfigError(f"months {first!r} to {last!r}: expected YYYY-MM") from None
    if span.empty:
        raise ConfigError(f"month {first} comes after {last}")
    return [str(m) for m in span]


def read_polygon(path: Path) -> list[LatLng]:
    """The (latitude, longitude) ring of the one polygon in a GeoJSON file (WGS84): a bare
    Polygon, a Feature or a FeatureCollection of one polygon feature."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputFileError(str(path), f"cannot read it as GeoJSON: {e}") from None
    geoms = [doc]
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        geoms = [f.get("geometry") for f in doc.get("features", []) if isinstance(f, dict)]
    elif isinstance(doc, dict) and doc.get("type") == "Feature":
        geoms = [doc.get("geometry")]
    kinds = [g.get("type") if isinstance(g, dict) else None for g in geoms]
    if kinds != ["Polygon"]:
        raise InputFileError(
            str(path), f"holds geometries {kinds}, expected exactly one Polygon (WGS84 lon/lat)"
        )
    try:
        ring = [(float(x), float(y)) for x, y, *_ in geoms[0]["coordinates"][0]]
    except (KeyError, IndexError, TypeError, ValueError):
        ring = []
    if len(ring) < 4 or not all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in ring):
        raise InputFileError(
            str(path), "the polygon's outer ring is not 4 or more longitude/latitude positions"
        )
    return [(y, x) for x, y in ring[:-1]]


def street_rows(crimes: pd.DataFrame, categories: pd.DataFrame, force: str) -> pd.DataFrame:
    """The API's street crimes (``API_CRIME_COLUMNS``) as rows of police.uk street files
    (``STREET_COLUMNS``) plus ``file_force``, the force whose file holds the row.

    As in the bulk download, British Transport Police's crimes (location type "BTP") go to its
    own file and the rest to ``force``'s. The crime type is the category's name from
    ``categories`` (the slug itself when the API did not list it, so the ingest quarantines the
    row as an unknown crime type instead of losing it). The API gives no LSOA: those columns
    are blank until :func:`fetch_street_rows` places the points.
    """
    name = force_name(force)
    if name is None:
        raise ConfigError(f"force {force!r} is not a police.uk force slug (e.g. 'merseyside')")
    file_force = np.where(crimes.location_type.eq("BTP"), "btp", force)
    reported = pd.Series(file_force).map(force_name).to_numpy()
    names = dict(zip(categories.url, categories.name, strict=True))
    out = pd.DataFrame(
        {
            "Crime ID": crimes.crime_id.to_numpy(),
            "Month": crimes.month.to_numpy(),
            "Reported by": reported,
            "Falls within": reported,
            "Longitude": crimes.longitude.to_numpy(dtype=float),
            "Latitude": crimes.latitude.to_numpy(dtype=float),
            "Location": crimes.street_name.fillna("No location").to_numpy(),
            "LSOA code": None,
            "LSOA name": None,
            "Crime type": crimes.category.map(names).fillna(crimes.category).to_numpy(),
            "Last outcome category": crimes.outcome_category.to_numpy(),
            "Context": crimes.context.to_numpy(),
        }
    )
    return out.assign(file_force=file_force)


def fetch_street_rows(
    api: PoliceAPI,
    polygon: Sequence[LatLng],
    months: Sequence[str],
    force: str,
    *,
    lsoa_at: Callable[[Sequence[float], Sequence[float]], pd.DataFrame] | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Street crimes inside ``polygon`` for each month, as :func:`street_rows`. ``lsoa_at``
    (e.g. ``Warehouse.lsoa_at``) fills the LSOA code and name of each located crime."""
    frames = []
    for month in months:
        if progress:
            progress(month)
        crimes = api.crimes_street(polygon, month)
        frames.append(street_rows(crimes, api.crime_categories(month), force))
    rows = pd.concat(frames, ignore_index=True)
    located = rows.Longitude.notna() & rows.Latitude.notna()
    if lsoa_at is not None and located.any():
        placed = lsoa_at(rows.Longitude[located].to_numpy(), rows.Latitude[located].to_numpy())
        rows.loc[located, ["LSOA code", "LSOA name"]] = placed.to_numpy()
    return rows


def write_street_files(rows: pd.DataFrame, out: Path) -> list[Path]:
    """Write :func:`street_rows` as ``out/YYYY-MM/YYYY-MM-<force>-street.csv``, the bulk
    download's layout and format, ready for ``vrukit ingest police``."""
    files = []
    for (month, force), part in rows.groupby(["Month", "file_force"], sort=True):
        path = Path(out) / str(month) / f"{month}-{force}-street.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        part[list(STREET_COLUMNS)].to_csv(path, index=False, float_format="%.6f")
        files.append(path)
    return files
