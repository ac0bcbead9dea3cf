"""A client for the police.uk API: street crime by polygon, no-location crime, categories,
forces, neighbourhood boundaries and the last-updated date.

It keeps to the documented rate limit (15 requests a second, bursts of 30), retries transient
failures with exponential backoff, splits a polygon whose month holds more than the API's
10,000-crime limit (the API answers 503) and switches to POST when the polygon is too long for a
URL. Results come back as frames with fixed columns; the persistent Crime ID is kept.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pandas as pd
import shapely

from vrukit.errors import FetchError

__all__ = ["API_CRIME_COLUMNS", "PoliceAPI"]

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
