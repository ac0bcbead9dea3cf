"""The Youth Map's API against the Open Referral UK profile's own interface (issue 32, item 9):
every path of the profile's OpenAPI document (version 3.0, OpenReferralUK/uk-profile
schema/openapi.json at commit 6eee0e4923bea865a4d59516071c3dc5b96b6b06) answers as the
validator walks it - the root, each list's first, middle and last pages, up to ten ids per
{id} path - every parameter the profile declares is taken and filters, and a parameter it does
not declare is refused rather than ignored. The paths and parameter names below are the
profile's, transcribed (its files are not installable here, so the response schemas are checked
against vrukit's own models by the schemathesis test in test_directory.py)."""

from __future__ import annotations

import math

import pytest
from fastapi.testclient import TestClient

from test_directory import directory  # noqa: F401  (the module's fixture: the demo directory)

#: The profile's paths and the query parameters each declares.
PROFILE = {
    "/": [],
    "/services": ["search", "page", "per_page", "taxonomy_term_id", "taxonomy_id", "minimum_age",
                  "maximum_age", "start_time", "end_time", "day"],
    "/services/{id}": [],
    "/taxonomies": ["page", "per_page"],
    "/taxonomies/{id}": [],
    "/taxonomy_terms": ["page", "per_page"],
    "/taxonomy_terms/{id}": [],
    "/service_at_locations": ["search", "page", "per_page", "taxonomy_term_id", "taxonomy_id",
                              "minimum_age", "maximum_age", "start_time", "end_time", "day",
                              "postcode", "proximity"],
    "/service_at_locations/{id}": [],
}  # fmt: skip
LISTS = {"/services/{id}": "/services", "/taxonomies/{id}": "/taxonomies",
         "/taxonomy_terms/{id}": "/taxonomy_terms",
         "/service_at_locations/{id}": "/service_at_locations"}  # fmt: skip


def _pages(client: TestClient, path: str, per_page: int = 20) -> list[dict]:
    """The list's first, middle and last pages, as the validator reads them."""
    first = client.get(path, params={"per_page": per_page})
    assert first.status_code == 200, (path, first.text[:200])
    total = first.json()["total_pages"]
    pages = [first.json()]
    for n in sorted({math.ceil(total / 2), total} - {1}):
        r = client.get(path, params={"per_page": per_page, "page": n})
        assert r.status_code == 200 and r.json()["page_number"] == n
        pages.append(r.json())
    return pages


def test_the_validator_s_walk_of_every_profile_path_answers(directory) -> None:  # noqa: F811
    _, client, _, _ = directory
    root = client.get("/").json()
    assert root["openapi_url"].endswith("/openapi.json")
    assert client.get("/openapi.json").status_code == 200
    declared = client.get("/openapi.json").json()["paths"]
    assert set(PROFILE) <= set(declared)  # every path of the profile is served
    for path, params in PROFILE.items():
        ours = {p["name"] for p in declared[path]["get"].get("parameters", [])
                if p["in"] == "query"}  # fmt: skip
        assert set(params) <= ours, (path, set(params) - ours)
    for one, many in LISTS.items():
        pages = _pages(client, many)
        ids = [x["id"] for p in pages for x in p["contents"]][:10]
        assert ids, many
        for i in ids:
            r = client.get(one.replace("{id}", i))
            assert r.status_code == 200, (one, i, r.text[:200])
            got = r.json()
            if one == "/service_at_locations/{id}":  # the profile answers with the service
                assert [x["id"] for x in got["service_at_locations"]] == [i]
            else:
                assert got["id"] == i
        assert client.get(one.replace("{id}", "no-such-id")).status_code == 404


def test_a_service_at_location_answers_with_its_service_at_that_location(directory) -> None:  # noqa: F811
    _, client, _, _ = directory
    sal = client.get("/service_at_locations", params={"per_page": 1}).json()["contents"][0]
    whole = client.get(f"/service_at_locations/{sal['id']}").json()
    assert whole["id"] == sal["service_id"]  # the profile's schema here: a full service
    assert [x["id"] for x in whole["service_at_locations"]] == [sal["id"]]


def _all(client: TestClient, path: str, params: dict) -> list[dict]:
    """Every item of a list, page by page (at most 500 a page)."""
    out, page = [], 1
    while True:
        got = client.get(path, params=params | {"per_page": 500, "page": page}).json()
        out += got["contents"]
        if got["last_page"] or not got["contents"]:
            return out
        page += 1


def _sessions(data: dict) -> dict[str, list[tuple[set[str], str, str]]]:
    out: dict[str, list] = {}
    for s in data["services"]:
        out[s["id"]] = [(set(k["byday"].split(",")), k["opens_at"][:5], k["closes_at"][:5])
                        for k in s.get("schedules", []) if k.get("freq") == "WEEKLY"
                        and k.get("opens_at") and k.get("closes_at")]  # fmt: skip
    return out


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [("TU", None, None), (None, "17:00", None), (None, None, "15:00"), ("SA", "10:00", "13:00")],
)
def test_day_and_time_filters_keep_the_services_with_such_a_session(directory, day, start,  # noqa: F811
                                                                    end) -> None:  # fmt: skip
    """They were silently ignored: all 586 services came back whatever was asked."""
    _, client, data, _ = directory
    params = {k: v for k, v in (("day", day), ("start_time", start), ("end_time", end)) if v}
    got = client.get("/services", params=params | {"per_page": 500}).json()
    sessions = _sessions(data)
    want = {sid for sid, ks in sessions.items() if any(
        (day is None or day in days) and (start is None or opens >= start)
        and (end is None or closes <= end) for days, opens, closes in ks)}  # fmt: skip
    assert 0 < len(want) < len(data["services"])
    assert {x["id"] for x in got["contents"]} == want and got["total_items"] == len(want)
    at = _all(client, "/service_at_locations", params)
    assert {x["service_id"] for x in at} <= want


def test_the_profile_s_filters_reach_services_at_locations(directory) -> None:  # noqa: F811
    _, client, _, _ = directory
    everything = client.get("/service_at_locations", params={"per_page": 500}).json()
    term = client.get("/taxonomy_terms", params={"per_page": 1}).json()["contents"][0]["id"]
    for params in ({"minimum_age": 17}, {"maximum_age": 11}, {"search": "boxing"},
                   {"taxonomy_term_id": term}):  # fmt: skip
        some = client.get("/service_at_locations", params=params | {"per_page": 500}).json()
        assert 0 < some["total_items"] < everything["total_items"], params
        allowed = {x["id"] for x in _all(client, "/services", params)}
        assert {x["service_id"] for x in some["contents"]} <= allowed, params


@pytest.mark.parametrize(
    "path",
    ["/", "/services", "/taxonomies", "/taxonomy_terms", "/service_at_locations", "/organizations"],
)
def test_a_parameter_the_endpoint_does_not_take_is_refused(directory, path) -> None:  # noqa: F811
    _, client, _, _ = directory
    r = client.get(path, params={"colour": "red"})
    assert r.status_code == 400 and "unknown parameter 'colour'" in r.text
    assert client.get(path).status_code == 200


def test_badly_written_days_and_times_are_refused(directory) -> None:  # noqa: F811
    _, client, _, _ = directory
    for params in ({"day": "Funday"}, {"start_time": "25:00"}, {"end_time": "noon"}):
        assert client.get("/services", params=params).status_code == 422, params
