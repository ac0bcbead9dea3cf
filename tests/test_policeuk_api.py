"""police.uk API client, against recorded response bodies (no network)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pandas as pd
import pytest

from vrukit.errors import FetchError
from vrukit.ingest.policeuk_api import API_CRIME_COLUMNS, MAX_GET_POLY, PoliceAPI

DATA = Path(__file__).parent / "data" / "policeuk_api"
BASE = "https://data.police.uk/api"
SQUARE = [(53.41, -2.99), (53.41, -2.97), (53.40, -2.97), (53.40, -2.99)]


def body(name: str) -> object:
    return json.loads((DATA / name).read_text())


def api(handler, **kw) -> tuple[PoliceAPI, list[float]]:
    slept: list[float] = []
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return PoliceAPI(BASE, client=client, sleep=slept.append, **kw), slept


def test_simple_endpoints():
    routes = {
        "/api/forces": "forces.json",
        "/api/crime-categories": "crime-categories.json",
        "/api/crime-last-updated": "crime-last-updated.json",
        "/api/merseyside/neighbourhoods": "neighbourhoods.json",
        "/api/merseyside/E05001233/boundary": "boundary.json",
    }

    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body(routes[req.url.path]))

    c, _ = api(handler)
    assert c.forces().set_index("id").loc["merseyside", "name"] == "Merseyside Police"
    cats = c.crime_categories()
    assert list(cats.columns) == ["url", "name"]
    assert cats.set_index("url").loc["violent-crime", "name"] == "Violence and sexual offences"
    assert c.crime_last_updated() == "2024-09"
    assert list(c.neighbourhoods("merseyside").id) == ["E05001233", "E05001234"]
    assert c.neighbourhood_boundary("merseyside", "E05001233")[0] == (53.41, -2.99)


def test_street_crimes_split_when_over_the_limit():
    seen: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        poly = req.url.params["poly"]
        seen.append(poly)
        lngs = [float(p.split(",")[1]) for p in poly.split(":")]
        if max(lngs) - min(lngs) > 0.015:  # the whole square: "too many crimes"
            return httpx.Response(503, text="")
        east = min(lngs) > -2.9801
        return httpx.Response(
            200, json=body("crimes-street-east.json" if east else "crimes-street-west.json")
        )

    c, _ = api(handler)
    crimes = c.crimes_street(SQUARE, "2024-08")
    assert len(seen) == 3, "one refused query, then its two halves"
    assert list(crimes.columns) == list(API_CRIME_COLUMNS)
    assert sorted(crimes.api_id) == [120000001, 120000002, 120000003, 120000004], (
        "edge duplicate kept once"
    )
    asb = crimes[crimes.category == "anti-social-behaviour"].iloc[0]
    assert pd.isna(asb.crime_id) and pd.isna(asb.outcome_category)
    assert crimes.set_index("api_id").loc[120000001, "crime_id"].startswith("5b3f9337")


def test_long_polygon_is_posted():
    methods: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        methods.append(req.method)
        if req.method == "POST":
            assert b"poly=" in req.content and b"date=2024-08" in req.content
        return httpx.Response(200, json=body("crimes-street-west.json"))

    c, _ = api(handler)
    import math

    ring = [(53.4 + 0.01 * math.sin(a / 40), -2.98 + 0.01 * math.cos(a / 40)) for a in range(250)]
    assert len(":".join(f"{a:.6f},{b:.6f}" for a, b in ring)) > MAX_GET_POLY
    c.crimes_street(ring, "2024-08")
    c.crimes_street(SQUARE, "2024-08")
    assert methods == ["POST", "GET"]


def test_transient_failures_are_retried_with_backoff():
    answers = [
        httpx.ReadTimeout("slow"),
        httpx.Response(500),
        httpx.Response(200, json=body("forces.json")),
    ]

    def handler(req: httpx.Request) -> httpx.Response:
        a = answers.pop(0)
        if isinstance(a, Exception):
            raise a
        return a

    c, slept = api(handler, backoff=0.5)
    assert len(c.forces()) == 3
    assert slept == [0.5, 1.0]


def test_persistent_failure_is_a_clear_error():
    c, slept = api(lambda req: httpx.Response(502), retries=2)
    with pytest.raises(FetchError, match=r"GET .*forces failed after 3 attempts: HTTP 502"):
        c.forces()
    assert slept == [0.5, 1.0]


def test_rate_limit_waits_after_the_burst():
    c, slept = api(
        lambda req: httpx.Response(200, json=body("crime-last-updated.json")), rate=15, burst=30
    )
    now = [0.0]
    c.bucket.clock = lambda: now[0]
    c.bucket.tokens, c.bucket.last = 30.0, 0.0
    for _ in range(35):
        c.crime_last_updated()
    assert len(slept) == 5 and all(abs(s - 1 / 15) < 1e-9 for s in slept)


def test_crimes_without_location():
    def handler(req: httpx.Request) -> httpx.Response:
        assert req.url.params["force"] == "merseyside" and req.url.params["date"] == "2024-08"
        return httpx.Response(200, json=body("crimes-no-location.json"))

    c, _ = api(handler)
    df = c.crimes_no_location("merseyside", "2024-08")
    assert len(df) == 1 and df.longitude.isna().all() and df.crime_id.iloc[0].startswith("0f99")
