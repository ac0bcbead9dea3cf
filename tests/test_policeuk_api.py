"""police.uk API client, against recorded response bodies (no network)."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse
from pathlib import Path

import duckdb
import httpx
import pandas as pd
import pytest
from typer.testing import CliRunner

from vrukit.cli import app
from vrukit.errors import ConfigError, FetchError, InputFileError
from vrukit.ingest.policeuk_api import (
    API_CRIME_COLUMNS,
    MAX_GET_POLY,
    PoliceAPI,
    months_between,
    read_polygon,
)
from vrukit.schemas import STREET_COLUMNS

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


# -- `vrukit fetch police`: the API's crimes as street files, against a local server ----------
UNLISTED = {
    "category": "knife-crime", "location_type": "Force", "persistent_id": "9" * 64,
    "location": {"latitude": "53.406000", "longitude": "-2.975000",
                 "street": {"id": 1234571, "name": "On or near Renshaw Street"}},
    "context": "", "outcome_status": None, "id": 120000005, "location_subtype": "",
    "month": "2024-08",
}  # fmt: skip


@pytest.fixture()
def recorded_api():
    """A real HTTP server on localhost answering with the recorded bodies (no network)."""
    street = body("crimes-street-west.json") + body("crimes-street-east.json") + [UNLISTED]
    routes = {
        "/api/crime-categories": body("crime-categories.json"),
        "/api/crime-last-updated": body("crime-last-updated.json"),
        "/api/merseyside/E05001233/boundary": body("boundary.json"),
        "/api/crimes-street/all-crime": street,
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = routes.get(urllib.parse.urlsplit(self.path).path)
            data = json.dumps(found).encode()
            self.send_response(200 if found is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()


def _two_lsoas(path: Path) -> Path:
    """Two made-up LSOAs splitting the recorded neighbourhood at longitude -2.98 (WGS84)."""
    feats = [
        {"type": "Feature", "properties": {"LSOA21CD": code, "LSOA21NM": name},
         "geometry": {"type": "Polygon", "coordinates": [[
             (x0, 53.40), (x1, 53.40), (x1, 53.41), (x0, 53.41), (x0, 53.40)]]}}
        for code, name, x0, x1 in [("E01000001", "West 001A", -2.99, -2.98),
                                   ("E01000002", "East 001B", -2.98, -2.97)]
    ]  # fmt: skip
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def test_fetch_police_writes_street_files_that_ingest(recorded_api, tmp_path, monkeypatch):
    monkeypatch.setenv("VRUKIT_POLICE_API_URL", recorded_api)
    db, out = tmp_path / "wh.duckdb", tmp_path / "fetched"
    runner = CliRunner()
    res = runner.invoke(app, ["ingest", "boundaries", str(_two_lsoas(tmp_path / "b.geojson")),
                              "--db", str(db)])  # fmt: skip
    assert res.exit_code == 0, res.output
    args = ["fetch", "police", "--force", "merseyside", "--neighbourhood", "E05001233",
            "--out", str(out), "--ingest", "--db", str(db)]  # fmt: skip
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "5 crimes in 1 month(s)" in text and "rows read 5 = accepted 4 + quarantined 1" in text
    # The latest month (crime-last-updated), in the bulk download's layout and header; BTP's
    # crime in its own force's file, as police.uk publishes it.
    force_file = out / "2024-08" / "2024-08-merseyside-street.csv"
    btp_file = out / "2024-08" / "2024-08-btp-street.csv"
    assert sorted(out.rglob("*.csv")) == sorted([force_file, btp_file])
    rows = pd.read_csv(force_file, dtype=str)
    assert tuple(rows.columns) == STREET_COLUMNS and len(rows) == 4
    with duckdb.connect(str(db), read_only=True) as con:
        crimes = con.sql("select * from crimes order by longitude").df()
        quarantined = con.sql("select reason, line, value, message from quarantine").fetchall()
    assert len(crimes) == 4
    bold = crimes[crimes.location == "On or near Bold Street"].iloc[0]
    assert (
        bold.crime_id.startswith("5b3f9337") and bold.crime_type == "Violence and sexual offences"
    )
    assert (bold.lsoa_code, bold.lsoa_name) == ("E01000001", "West 001A")
    assert crimes.loc[crimes.longitude > -2.98, "lsoa_code"].eq("E01000002").all()
    asb = crimes[crimes.crime_type == "Anti-social behaviour"].iloc[0]
    assert pd.isna(asb.crime_id)
    btp = crimes[crimes.location == "On or near Lime Street Station"].iloc[0]
    assert btp.reported_by == btp.falls_within == "British Transport Police"
    # The category the API did not list is quarantined with its line and value, not lost.
    assert len(quarantined) == 1 and quarantined[0][1] == 5 and "knife-crime" in quarantined[0][2]
    assert quarantined[0][0] == "unknown_crime_type" and "Crime type" in quarantined[0][3]
    # Fetching the same month again changes nothing.
    assert runner.invoke(app, args).exit_code == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.sql("select count(*) from crimes").fetchall() == [(4,)]
        assert con.sql("select count(*) from quarantine").fetchall() == [(1,)]


def test_fetch_police_needs_one_polygon(tmp_path):
    res = CliRunner().invoke(app, ["fetch", "police", "--force", "merseyside",
                                   "--out", str(tmp_path)])  # fmt: skip
    assert res.exit_code != 0 and "one of --neighbourhood or --polygon" in str(res.exception)
    bad = tmp_path / "two.geojson"
    bad.write_text(json.dumps({"type": "MultiPolygon", "coordinates": []}))
    with pytest.raises(InputFileError, match=r"two.geojson.*expected exactly one Polygon"):
        read_polygon(bad)
    bad.write_text(json.dumps({"type": "Polygon", "coordinates": [[[531000, 181000]] * 4]}))
    with pytest.raises(InputFileError, match="not 4 or more longitude/latitude positions"):
        read_polygon(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(InputFileError, match=r"holds geometries \[None\]"):
        read_polygon(bad)
    good = tmp_path / "one.geojson"
    good.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": {
        "type": "Polygon", "coordinates": [[[-2.99, 53.40], [-2.97, 53.40], [-2.97, 53.41],
                                            [-2.99, 53.40]]]}}))  # fmt: skip
    assert read_polygon(good) == [(53.40, -2.99), (53.40, -2.97), (53.41, -2.97)]
    with pytest.raises(ConfigError, match="comes after"):
        months_between("2024-09", "2024-08")
