"""The fifteenth probe of the running portal (issue 29): a board's "people reached" for a period
written "Q1 2022" was a 500 (and "2022/23 Q1" was stored); a partner's directory file with a
latitude of NaN was stored on PostgreSQL and made the service's API answers 500 and the Youth
Map's map stop drawing; and an organisation could lift a consent withdrawal recorded on a
referral it cannot see (tests/test_referrals.py,
``test_a_withdrawal_is_lifted_only_on_the_referral_it_was_recorded_on``). Also the sign-in
throttle now counts an IPv6 /64 as one client, as the survey's does."""

from __future__ import annotations

import copy
import json
import math
from datetime import datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from test_portal_hardening import (  # noqa: F401  (base and url are the module's fixtures)
    COMMISSIONER,
    _client,
    _csrf,
    _login,
    _sign_in,
    base,
    url,
)
from vrukit.errors import ConfigError, InputFileError
from vrukit.ingest.periods import quarter_end
from vrukit.programme.db import engine, upgrade

# -- F1: a period that is not a quarter ----------------------------------------------------------


@pytest.mark.parametrize("period", ["Q1 2022", "spring", "2022-Q9", "2022/23 Q1", "2022-Q0",
                                    "0202-Q1", "1899-Q4", "2022-Q1x", "",
                                    "\uff12\uff10\uff12\uff12-Q1"])  # fmt: skip
def test_a_period_that_is_not_a_quarter_is_refused_naming_it(period):
    with pytest.raises(ConfigError, match="YYYY-Qn"):
        quarter_end(period)


def test_a_board_s_reach_for_a_period_that_is_not_a_quarter_is_a_422(url):  # noqa: F811
    from vrukit.partnerships.models import NetworkReach
    from vrukit.programme.models import Board

    with Session(engine(url)) as s:
        bid = s.scalars(select(Board.id).order_by(Board.id)).first()
        before = s.scalar(select(text("count(*)")).select_from(NetworkReach))
    assert bid is not None, "the demo programme has boards"
    c = _client(url)
    token = _sign_in(c, COMMISSIONER)
    for period in ("Q1 2022", "spring", "2022-Q9", "2022/23 Q1"):
        sent = {"csrf_token": token, "period": period, "people": "40"}
        r = c.post(f"/boards/{bid}/reach", data=sent, follow_redirects=False)
        assert r.status_code == 422 and "YYYY-Qn" in r.text, (period, r.status_code)
    r = c.post(f"/boards/{bid}/reach", data={"csrf_token": token, "period": " 2022-Q1 ",
                                             "people": "40"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    with Session(engine(url)) as s:
        periods = set(s.scalars(select(NetworkReach.period).where(NetworkReach.board_id == bid)))
        after = s.scalar(select(text("count(*)")).select_from(NetworkReach))
    assert "2022-Q1" in periods and after <= before + 1 and all(" " not in p for p in periods)


# -- F3: coordinates and ages that are no numbers -------------------------------------------------


def _directory(tmp_path) -> dict:
    from vrukit.demo.directory import write_directory
    from vrukit.demo.region import make_region

    files = write_directory(tmp_path / "demo", 2021, make_region(2021, 150))
    return json.loads(files.services.read_text())


BAD = [
    ("latitude", float("nan")), ("latitude", math.inf), ("latitude", 95.0),
    ("longitude", -181.0), ("latitude", "52.1"), ("latitude", True),
    ("minimum_age", -1), ("maximum_age", 400), ("minimum_age", float("nan")),
    ("maximum_age", 1e308), ("minimum_age", 11.5),
]  # fmt: skip


@pytest.mark.parametrize(("field", "value"), BAD)
def test_a_directory_file_with_a_coordinate_or_age_that_is_no_number_is_refused(
    tmp_path, field, value
):
    from vrukit.directory.load import load_hsds
    from vrukit.directory.models import DirService

    data = _directory(tmp_path)
    bad = copy.deepcopy(data)
    svc = bad["services"][0]
    target = svc["service_at_locations"][0]["location"] if "itude" in field else svc
    target[field] = value
    path = tmp_path / "partner.json"
    path.write_text(json.dumps(bad))  # NaN and Infinity as Python's json writes and reads them
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    upgrade(db)
    with Session(engine(db)) as s, pytest.raises(InputFileError, match=field) as refused:
        load_hsds(s, path)
    assert "partner.json" in str(refused.value)
    with Session(engine(db)) as s:
        assert s.scalar(select(text("count(*)")).select_from(DirService)) == 0
        path.write_text(json.dumps(data))
        load_hsds(s, path)  # the same file with its numbers right loads
        s.commit()


def test_the_directory_import_command_names_a_bad_age_without_a_traceback(
    tmp_path, capsys, monkeypatch
):
    import sys

    from vrukit.cli import main

    data = _directory(tmp_path)
    data["services"][0]["maximum_age"] = 10**30
    path = tmp_path / "partner.json"
    path.write_text(json.dumps(data))
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    monkeypatch.setattr(sys, "argv", ["vrukit", "directory", "import", str(path), "--store", db])
    with pytest.raises(SystemExit) as done:
        main()
    err = capsys.readouterr().err.replace("\n", "")
    assert done.value.code == 2 and "Traceback" not in err
    assert "maximum_age" in err and "0 to 130" in err and "partner.json" in err


def test_the_store_refuses_a_coordinate_that_is_no_place_on_postgresql(request):
    from test_portal_eighth_probe import _pg_database
    from vrukit.directory.models import DirLocation

    db = _pg_database(request)
    upgrade(db)
    for lat, lon in ((float("nan"), 0.0), (0.0, float("inf")), (91.0, 0.0)):
        with Session(engine(db)) as s, pytest.raises(IntegrityError):
            s.add(DirLocation(id="l1", location_type="physical", latitude=lat, longitude=lon))
            s.commit()
    with Session(engine(db)) as s:
        s.add(DirLocation(id="l1", location_type="physical", latitude=52.5, longitude=-1.9))
        s.commit()


def test_the_migration_forgets_coordinates_and_ages_that_are_out_of_range(tmp_path):
    db = f"sqlite:///{tmp_path / 'old.sqlite'}"
    upgrade(db, "0012")
    when = datetime(2022, 1, 1)
    with engine(db).begin() as c:  # the tables as they were at 0012, which took anything
        c.execute(
            text(
                "INSERT INTO dir_organization (id, name, description, trusted, "
                "last_modified) VALUES ('o1', 'Org', '-', false, :w)"
            ),
            {"w": when},
        )
        for sid, lo, hi in (("s1", -3, 200), ("s2", 11, 18)):
            c.execute(
                text(
                    "INSERT INTO dir_service (id, organization_id, name, status, "
                    "minimum_age, maximum_age, last_modified) VALUES (:i, 'o1', 'S', "
                    "'active', :lo, :hi, :w)"
                ),
                {"i": sid, "lo": lo, "hi": hi, "w": when},
            )
        for lid, lat, lon in (("l1", 95.0, 1.0), ("l2", 52.5, -1.9)):
            c.execute(
                text(
                    "INSERT INTO dir_location (id, location_type, latitude, longitude) "
                    "VALUES (:i, 'physical', :a, :o)"
                ),
                {"i": lid, "a": lat, "o": lon},
            )
    engine(db).dispose()
    upgrade(db)
    with engine(db).connect() as c:
        ages = {r[0]: (r[1], r[2]) for r in c.execute(
            text("SELECT id, minimum_age, maximum_age FROM dir_service"))}  # fmt: skip
        places = {r[0]: (r[1], r[2]) for r in c.execute(
            text("SELECT id, latitude, longitude FROM dir_location"))}  # fmt: skip
    assert ages == {"s1": (None, None), "s2": (11, 18)}
    assert places == {"l1": (None, None), "l2": (52.5, -1.9)}


# -- an IPv6 network's guesses count together ------------------------------------------------------


def test_sign_in_guesses_from_one_ipv6_64_count_as_one_client(url):  # noqa: F811
    """Each address of a /64 guessing at a different account: the 21st guess is refused, as it
    would be from one address (a household or a device is given a whole /64)."""
    from vrukit.web.portal.security import RateLimit

    most = RateLimit().per_client
    codes = []
    for k in range(most + 2):
        c = _client(url, client=(f"2001:db8:5:7::{k + 1:x}", 40000))
        codes.append(_login(c, (f"someone{k}@nowhere.example", "wrong-guess")).status_code)
    assert codes[:most] == [401] * most and codes[most:] == [429, 429]
    other = _client(url, client=("2001:db8:5:8::1", 40000))  # the next /64 is another client
    assert _login(other, ("someone@nowhere.example", "wrong-guess")).status_code == 401
    assert _csrf(other)
