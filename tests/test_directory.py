"""The Youth Map's Open Referral UK API on the demo directory: the HSDS page envelope and
required fields, fully nested services, filters checked against the source file, nearest-first
proximity search whose distances are recomputed independently (pyproj's ellipsoidal geodesic),
CORS, the OpenAPI document, and loading that is idempotent and refuses bad records by name.
The search page is tested in test_youth_map.py."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from conftest import serve
from vrukit.cli import app
from vrukit.demo.directory import CATEGORIES, write_directory
from vrukit.demo.region import make_region
from vrukit.directory.load import load_hsds, load_postcodes
from vrukit.directory.models import DirService
from vrukit.errors import InputFileError
from vrukit.programme.db import engine, session
from vrukit.programme.models import AuditEvent
from vrukit.web.open_referral import create_directory_app

ENVELOPE = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page",
            "empty", "contents"}  # fmt: skip


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    folder = tmp_path_factory.mktemp("directory")
    files = write_directory(folder / "demo", 2021, make_region(2021, 600))
    url = f"sqlite:///{folder / 'store.sqlite'}"
    with session(url) as s:
        load_postcodes(s, files.postcodes)
        load_hsds(s, files.services)
    data = json.loads(files.services.read_text())
    return url, TestClient(create_directory_app(url, check_every=0)), data, files


def _no_empty_values(value, where="") -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _no_empty_values(v, f"{where}.{k}")]
    if isinstance(value, list):
        if not value:
            return [where]
        return [p for k, v in enumerate(value) for p in _no_empty_values(v, f"{where}[{k}]")]
    return [where] if value is None or value == "" else []


def test_the_demo_has_about_600_services(directory):
    _, _, data, _ = directory
    services = data["services"]
    assert 550 <= len(services) <= 700
    codes = {t["id"]: t["code"] for t in data["taxonomy_terms"]}
    used = {codes[a["taxonomy_term_id"]] for s in services for a in s["attributes"]}
    assert used == {c for c, *_ in CATEGORIES}
    assert all(s["minimum_age"] <= s["maximum_age"] for s in services)
    assert all(s["schedules"][0]["byday"] for s in services)


def test_lists_come_in_the_page_envelope_with_the_required_fields(directory):
    _, client, data, _ = directory
    first = client.get("/services", params={"per_page": 100}).json()
    assert set(first) == ENVELOPE
    n = len(data["services"])
    assert (first["total_items"], first["total_pages"], first["size"]) == (n, -(-n // 100), 100)
    assert first["first_page"] and not first["last_page"] and not first["empty"]
    last = client.get("/services", params={"per_page": 100, "page": first["total_pages"]}).json()
    assert last["last_page"] and last["size"] == n - 100 * (first["total_pages"] - 1)
    beyond = client.get("/services", params={"page": 999}).json()
    assert beyond["empty"] and beyond["size"] == 0
    for item in first["contents"]:
        assert {"id", "name", "status", "organization_id"} <= set(item)
    for path, required in (
        ("/organizations", {"id", "name", "description"}),
        ("/taxonomies", {"id", "name", "description"}),
        ("/taxonomy_terms", {"id", "name", "description"}),
        ("/service_at_locations", {"id", "service_id", "location_id"}),
    ):
        page = client.get(path).json()
        assert set(page) == ENVELOPE and page["total_items"] > 0, path
        assert all(required <= set(x) for x in page["contents"]), path
        assert not _no_empty_values(page["contents"]), path  # empty optionals are omitted


def test_a_service_is_fully_nested(directory):
    _, client, data, _ = directory
    source = data["services"][7]
    got = client.get(f"/services/{source['id']}").json()
    assert got["organization"]["id"] == source["organization_id"]
    assert got["service_at_locations"][0]["location"]["addresses"][0]["postal_code"]
    assert got["attributes"][0]["taxonomy_term"]["name"]
    assert got["schedules"][0]["byday"] == source["schedules"][0]["byday"]
    assert not _no_empty_values(got)
    assert client.get("/services/no-such-id").status_code == 404


def test_filters_match_the_source(directory):
    _, client, data, _ = directory
    services = data["services"]

    def ids(**params):  # every page of the answer
        out, k, last = set(), 0, False
        while not last:
            k += 1
            page = client.get("/services", params={"per_page": 200, "page": k, **params}).json()
            out |= {x["id"] for x in page["contents"]}
            last = page["last_page"]
        assert len(out) == page["total_items"]
        return out

    term = data["taxonomy_terms"][3]["id"]
    assert ids(taxonomy_term_id=term) == {
        s["id"] for s in services if any(a["taxonomy_term_id"] == term for a in s["attributes"])
    }
    org = services[0]["organization_id"]
    assert ids(organization_id=org) == {s["id"] for s in services if s["organization_id"] == org}
    assert ids(minimum_age=18, maximum_age=18) == {
        s["id"] for s in services if s["minimum_age"] <= 18 <= s["maximum_age"]
    }
    since = {s["id"] for s in services if s["last_modified"] >= "2022-01-01"}
    assert ids(modified_after="2022-01-01T00:00:00Z") == since
    assert ids(modified_after="2022-01-01T01:00:00+01:00") == since  # the same instant
    word = services[0]["name"].split()[0].lower()
    assert ids(search=word) == {
        s["id"] for s in services if word in (s["name"] + " " + s["description"]).lower()
    }
    assert client.get("/services", params={"per_page": 0}).status_code == 422


def test_proximity_search_is_nearest_first_and_its_distances_recomputed(directory):
    _, client, data, files = directory
    postcode = "\n".join(files.postcodes.read_text().splitlines()[1:2]).split(",")
    code, lat, lon = postcode[0], float(postcode[1]), float(postcode[2])
    page = client.get(
        "/service_at_locations",
        params={"postcode": code.lower(), "proximity": 3000, "per_page": 500},
    )
    got = page.json()
    assert page.status_code == 200 and got["total_items"] == got["size"] > 0
    d = np.array([x["distance"] for x in got["contents"]])
    assert (np.diff(d) >= 0).all() and d.max() <= 3000
    geod = Geod(ellps="WGS84")
    locs = [x["location"] for x in got["contents"]]
    _, _, ref = geod.inv([lon] * len(locs), [lat] * len(locs), [x["longitude"] for x in locs],
                         [x["latitude"] for x in locs])  # fmt: skip
    assert np.allclose(d, ref, rtol=0.005, atol=0.5)  # sphere against ellipsoid: within 0.5%
    # every service location within 2,950 m (safely inside, whatever the model) is found
    every = [(sal["id"], sal["location"]) for s in data["services"]
             for sal in s["service_at_locations"]]  # fmt: skip
    _, _, all_d = geod.inv(
        [lon] * len(every),
        [lat] * len(every),
        [x["longitude"] for _, x in every],
        [x["latitude"] for _, x in every],
    )
    near = {i for (i, _), m in zip(every, all_d, strict=True) if m <= 2950}
    assert near <= {x["id"] for x in got["contents"]}
    assert client.get("/service_at_locations", params={"postcode": "ZZ1 1ZZ"}).status_code == 404
    alone = client.get("/service_at_locations", params={"proximity": 100}).json()
    assert alone["total_items"] == sum(len(x["service_at_locations"]) for x in data["services"])


def test_cors_and_the_openapi_document(directory):
    _, client, _, _ = directory
    r = client.get("/services", headers={"Origin": "https://other-council.example"})
    assert r.headers["access-control-allow-origin"] == "*"
    doc = client.get("/openapi.json").json()
    assert {"/", "/services", "/services/{id}", "/organizations", "/taxonomies",
            "/taxonomy_terms", "/service_at_locations"} <= set(doc["paths"])  # fmt: skip
    about = client.get("/").json()
    assert about["version"] == "3.0" and about["openapi_url"].endswith("/openapi.json")


def test_schemathesis_finds_no_failures(directory, tmp_path):
    """``schemathesis run`` against the API served by uvicorn: every operation in the published
    OpenAPI document gets generated requests - the coverage phase's boundary and invalid values,
    fuzzing, and stateful sequences following the links it infers - and every check: no server
    error, documented status codes and content types, bodies that match the response schemas,
    invalid requests refused, valid ones accepted."""
    url = directory[0]
    cli = Path(sys.executable).with_name("schemathesis")
    with serve(create_directory_app(url, migrate=False)) as base:
        run = subprocess.run(
            [str(cli), "run", f"{base}/openapi.json", "--checks", "all", "--max-examples", "25",
             "--no-color"],
            capture_output=True, text=True, timeout=600, cwd=tmp_path,  # its cache goes there
        )  # fmt: skip
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "11 selected / 11 total" in run.stdout and "No issues found" in run.stdout


def test_loading_is_idempotent_and_bad_records_are_named(directory, tmp_path):
    url, client, data, _ = directory
    some = tmp_path / "some.json"  # forty services again: nothing changes
    some.write_text(json.dumps(dict(data, services=data["services"][:40])))
    one = data["services"][3]["id"]
    nested = client.get(f"/services/{one}").json()
    with session(url) as s:
        before = s.scalar(select(func.count()).select_from(DirService))
        load_hsds(s, some)
        assert s.scalar(select(func.count()).select_from(DirService)) == before
    assert client.get(f"/services/{one}").json() == nested
    # the search index follows the store: a renamed service is found by its new name at once
    renamed = tmp_path / "renamed.json"
    zebra = dict(data["services"][3], name="Zebra crossing club")
    renamed.write_text(json.dumps(dict(data, services=[zebra])))
    for path, found in ((renamed, 1), (some, 0)):
        with session(url) as s:
            load_hsds(s, path)
        assert client.get("/services", params={"search": "zebra"}).json()["total_items"] == found
    bad = dict(
        data,
        services=[
            dict(data["services"][0], status="open"),
            {k: v for k, v in data["services"][1].items() if k != "name"},
        ],
    )
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with session(url) as s, pytest.raises(InputFileError) as e:
        load_hsds(s, path)
    msg = str(e.value)
    assert "services[0]" in msg and "status 'open'" in msg and "services[1]" in msg
    assert "name is required" in msg


def test_hsds_json_and_csv_round_trip_through_the_cli(directory, tmp_path):
    """Export the directory as HSDS JSON and as the CSV package, import each into an empty
    store with ``vrukit directory import``: the API answers the same; a bad CSV row is named by
    file, line, column and value."""
    url, client, _, files = directory
    runner = CliRunner()
    out = {"json": tmp_path / "youth-map.json", "csv": tmp_path / "youth-map-csv"}
    for fmt, path in out.items():
        r = runner.invoke(app, ["directory", "export", str(path), "--format", fmt, "--store", url])
        assert r.exit_code == 0, r.output
    assert (out["csv"] / "datapackage.json").exists()
    want = client.get("/services", params={"per_page": 500, "page": 2}).json()
    near = {"postcode": files.postcodes.read_text().splitlines()[1].split(",")[0],
            "proximity": 2000, "per_page": 500}  # fmt: skip
    nearby = client.get("/service_at_locations", params=near).json()
    one = want["contents"][7]["id"]
    for fmt, path in out.items():
        copy = f"sqlite:///{tmp_path / fmt}.sqlite"
        r = runner.invoke(app, ["directory", "import", str(path), "--postcodes",
                                str(files.postcodes), "--store", copy])  # fmt: skip
        assert r.exit_code == 0, r.output
        other = TestClient(create_directory_app(copy, check_every=0))
        assert other.get("/services", params={"per_page": 500, "page": 2}).json() == want, fmt
        assert other.get("/service_at_locations", params=near).json() == nearby, fmt
        assert other.get(f"/services/{one}").json() == client.get(f"/services/{one}").json()
        with Session(engine(copy)) as s:  # the import is in the audit trail
            (event,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "import"))
        assert (event.table_name, event.row_key) == ("dir_service", path.name)
        assert event.after["services"] == want["total_items"] and len(event.after["sha256"]) == 64
    with (out["csv"] / "services.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    rows[5][rows[0].index("minimum_age")] = "twelve"  # line 6 of the file
    with (out["csv"] / "services.csv").open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    r = runner.invoke(app, ["directory", "import", str(out["csv"]), "--store",
                            f"sqlite:///{tmp_path}/bad.sqlite"])  # fmt: skip
    assert isinstance(r.exception, InputFileError)
    message = str(r.exception)
    assert "services.csv" in message and "line 6" in message and "minimum_age" in message
    assert "'twelve'" in message or "twelve" in message
    with Session(engine(f"sqlite:///{tmp_path}/bad.sqlite")) as s:  # all or nothing
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0
