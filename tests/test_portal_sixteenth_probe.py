"""The sixteenth probe (issue 29): re-importing a directory deleted each service and made it
again, so providers' pending edits went with it, referrals lost their link to it, and once an
incident's surge offer named a service every import of it failed with a traceback; a bad date,
a NUL or an id given twice in a partner's file was a traceback too. (Its consent finding - a
second withdrawal on one's own referral, then "given", got round the fifteenth probe's fix -
is in tests/test_referrals.py: a withdrawal is lifted only on the referral it was recorded on.)
"""

from __future__ import annotations

import copy
import json
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vrukit.directory.load import load_hsds
from vrukit.directory.models import DirEdit, DirPhone, DirService
from vrukit.errors import InputFileError
from vrukit.incidents.models import Incident, IncidentOffer
from vrukit.programme.db import engine, upgrade
from vrukit.programme.models import User

WHEN = datetime(2022, 5, 16, 12, 0)


@pytest.fixture
def directory(tmp_path):
    from vrukit.demo.directory import write_directory
    from vrukit.demo.region import make_region

    files = write_directory(tmp_path / "demo", 2021, make_region(2021, 150))
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    upgrade(db)
    with Session(engine(db)) as s:
        load_hsds(s, files.services)
        s.commit()
    return db, json.loads(files.services.read_text()), tmp_path


def test_a_re_import_updates_services_in_place_and_keeps_what_links_to_them(directory):
    db, data, folder = directory
    sid = data["services"][0]["id"]
    with Session(engine(db)) as s:
        user = User(email="analyst@vru.example", password_hash="-", role="analyst")
        s.add(user)
        s.flush()
        s.add(DirEdit(service_id=sid, changes={"name": "New name"}, before={"name": "x"},
                      proposed_by=user.id, proposed_at=WHEN, status="pending"))  # fmt: skip
        incident = Incident(occurred_at=WHEN, kind="stabbing", latitude=52.5, longitude=-1.9,
                            located_by="52.5, -1.9", recorded_at=WHEN)  # fmt: skip
        incident.offers.append(IncidentOffer(service_id=sid))
        s.add(incident)
        s.commit()
    again = copy.deepcopy(data)
    svc = again["services"][0]
    svc["name"] = "Renamed by its partner"
    svc["phones"] = [{"id": "phone-new-1", "number": "0121 496 0000"}]
    svc["last_modified"] = "2022-06-01T09:00:00Z"
    svc["schedules"] = [_session(byday="1MO,-1FR", freq="MONTHLY")]  # a good one is kept
    path = folder / "again.json"
    path.write_text(json.dumps(again))
    for file in (path, path):  # twice: the second changes nothing
        with Session(engine(db)) as s:
            load_hsds(s, file)
            s.commit()
    with Session(engine(db)) as s:
        assert s.get(DirService, sid).name == "Renamed by its partner"
        assert [p.number for p in s.get(DirService, sid).phones] == ["0121 496 0000"]
        assert s.scalar(select(func.count()).select_from(DirEdit)) == 1  # the pending edit
        assert s.scalar(select(func.count()).select_from(IncidentOffer)) == 1  # the offer
        assert s.scalar(select(func.count()).select_from(DirService)) == len(data["services"])
        assert s.scalar(select(func.count()).where(DirPhone.service_id == sid)) == 1


def _location(d: dict, k: int) -> dict:
    """The first location of the ``k``th service with one."""
    return [x for x in d["services"] if x.get("service_at_locations")][k]["service_at_locations"][
        0
    ]["location"]


def _session(**change: str) -> dict[str, str]:
    """A weekly session as HSDS gives it, with ``change``."""
    return {"id": "sched-probe", "freq": "WEEKLY", "byday": "MO,TH", "opens_at": "18:00",
            "closes_at": "20:00:00", **change}  # fmt: skip


@pytest.mark.parametrize(("change", "said"), [
    (lambda d: d["services"][0].update(assured_date="2022-02-30"), "assured_date"),
    (lambda d: d["services"][0].update(assured_date="0202-01-01"), "1990 to 2099"),
    (lambda d: d["services"][0].update(last_modified="2021-04-03T25:00"), "last_modified"),
    (lambda d: d["organizations"][0].update(last_modified="0202-01-01T00:00:00"),
     r"organizations\[0\].*1990 to 2099"),
    (lambda d: d["organizations"][0].update(last_modified="yesterday"), "organizations"),
    (lambda d: d["services"][0].update(name="Boxing\x00club"), "NUL"),
    (lambda d: d["services"][0].update(schedules=[_session(byday="<script>")]), "byday"),
    (lambda d: d["services"][0].update(schedules=[_session(opens_at="25:00")]), "opens_at"),
    (lambda d: d["services"][0].update(schedules=[_session(closes_at="9am")]), "closes_at"),
    (lambda d: d["services"][0].update(schedules=[_session(freq="NaN")]), "freq"),
    (lambda d: d["services"].append(dict(d["services"][0])), "given twice"),
])  # fmt: skip
def test_a_partner_s_bad_date_nul_or_repeated_id_is_refused_naming_it(directory, change, said):
    db, data, folder = directory
    bad = copy.deepcopy(data)
    change(bad)
    path = folder / "partner.json"
    path.write_text(json.dumps(bad))
    with Session(engine(db)) as s, pytest.raises(InputFileError, match=said) as refused:
        load_hsds(s, path)
    assert "partner.json" in str(refused.value)


def test_the_survey_page_reads_while_the_store_is_busy_writing(tmp_path):
    """On SQLite the first views of a survey made the store's form key inside a read, and
    failed ("database is locked") while anything else wrote: the key is made at start now."""
    import sqlite3

    from conftest import small_programme
    from test_voice import KEY, _copy, _youth

    small_programme(tmp_path / "p")
    url = _copy(tmp_path / "p" / "programme.sqlite", tmp_path)
    c = _youth(url)  # the app is made: its key with it
    held = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None, timeout=1)
    held.execute("BEGIN IMMEDIATE")  # another writer holds the store
    codes = []
    try:
        for _ in range(5):
            codes.append(c.get(f"/have-your-say/{KEY}").status_code)
    finally:
        held.execute("ROLLBACK")
        held.close()
    assert codes == [200] * 5


def test_a_spend_return_for_a_quarter_outside_1990_to_2099_is_refused_naming_the_row(tmp_path):
    """ "0202-Q1", "0000-Q4" and "9999-Q4" were stored where no page shows or deletes them."""
    from conftest import small_programme
    from vrukit.commissioning.governance import check_spend_return
    from vrukit.programme.models import Intervention
    from vrukit.programme.returns import ReturnRejected

    url = small_programme(tmp_path / "p")
    with Session(engine(url)) as s:
        name = s.scalars(select(Intervention.name).order_by(Intervention.id)).first()
        path = tmp_path / "spend.csv"
        rows = [f'"{name}",{q},1000,,' for q in ("0202-Q1", "0000-Q4", "9999-Q4", "2022-Q1")]
        path.write_text("intervention,quarter,amount,category,note\n" + "\n".join(rows) + "\n")
        with pytest.raises(ReturnRejected) as refused:
            check_spend_return(s, path)
        bad = {(p.row, p.value) for p in refused.value.problems if p.column == "quarter"}
        assert bad == {(2, "0202-Q1"), (3, "0000-Q4"), (4, "9999-Q4")}


@pytest.mark.parametrize(("change", "said"), [
    (lambda d: d["services"][0].update(organization_id="no-such-org"), "store refused"),
    (lambda d: d["services"][0].update(phones=[{"id": "p1", "number": "1"},
                                               {"id": "p1", "number": "2"}]),
     r"services\[0\].phones\[1\]: id 'p1' is given again \(first at services\[0\].phones\[0\]\)"),
    (lambda d: d["services"].append("not a record"), "shape"),
    (lambda d: d["services"][0].update(phones=[{"number": "0121"}]), "shape"),
    # the eighteenth probe: a service moved to another's address, and type confusion
    (lambda d: _location(d, 1).update(id=_location(d, 0)["id"]),
     r"services\[1\].service_at_locations\[0\].location: id .* is given with other contents"),
    (lambda d: _location(d, 1)["addresses"][0].update(id=_location(d, 0)["addresses"][0]["id"]),
     r"addresses\[0\]: id .* is given with other contents or elsewhere \(first at services\[0\]"),
    (lambda d: _location(d, 1).update(addresses=copy.deepcopy(_location(d, 0)["addresses"])),
     r"addresses\[0\]: id .* is given with other contents or elsewhere"),  # the nineteenth
    (lambda d: d["taxonomy_terms"][0].update(name="t" * 5000), r"taxonomy_terms\[0\].*name is"),
    (lambda d: d["organizations"][0].update(trusted="false"), "trusted is 'false', not true"),
    (lambda d: d["services"][0].update(name=["a"]),
     r"services\[0\] id .*: name is list, not a text"),
    (lambda d: d["services"][0].update(name="x" * 301), "name is 301 characters; the most is"),
    (lambda d: d["services"][0].update(minimum_age=int("9" * 400)), "minimum_age"),
])  # fmt: skip
def test_what_the_checks_miss_and_the_store_refuses_is_named_and_nothing_is_stored(
    directory, change, said
):
    """The seventeenth probe's Low: an unknown organisation, a phone id given twice or a record
    of the wrong shape ended in a raw traceback."""
    db, data, folder = directory
    bad = copy.deepcopy(data)
    change(bad)
    path = folder / "partner.json"
    path.write_text(json.dumps(bad))
    with Session(engine(db)) as s:
        before = s.scalar(select(func.count()).select_from(DirPhone))
        with pytest.raises(InputFileError, match=said) as refused:
            load_hsds(s, path)
        s.rollback()
        assert "partner.json" in str(refused.value)
        assert s.scalar(select(func.count()).select_from(DirPhone)) == before


def test_two_services_at_one_place_share_its_location_and_address(directory):
    """What the repeated-id check must not refuse: a location given under two services with
    the same contents (HSDS nests it under each), kept once, with both services at it."""
    from vrukit.directory.models import DirLocation

    db, data, folder = directory
    shared = copy.deepcopy(data)
    place = copy.deepcopy(_location(shared, 0))
    _location(shared, 1).clear()
    _location(shared, 1).update(place)
    path = folder / "shared.json"
    path.write_text(json.dumps(shared))
    with Session(engine(db)) as s:
        load_hsds(s, path)
        s.commit()
        from vrukit.directory.models import DirServiceAtLocation

        at = s.scalars(select(DirServiceAtLocation.service_id)
                       .where(DirServiceAtLocation.location_id == place["id"])).all()  # fmt: skip
        assert s.get(DirLocation, place["id"]) is not None and len(set(at)) == 2


def test_an_address_the_store_keeps_under_another_location_is_not_moved(directory):
    """The twentieth probe: a file giving only one service, with another place's address (as
    the store keeps it) under its own location, loaded and moved the address there; the other
    service was left with none. The address's own location_id is read too."""
    from vrukit.directory.models import DirAddress

    db, data, folder = directory
    theirs = copy.deepcopy(_location(data, 0)["addresses"][0])
    one = copy.deepcopy(data)
    with_place = [x for x in one["services"] if x.get("service_at_locations")]
    one["services"] = [with_place[1]]
    _location(one, 0)["addresses"] = [theirs]
    path = folder / "moved.json"
    for says in (None, _location(one, 0)["id"]):  # the twenty-first: it names its new place
        theirs["location_id"] = says
        path.write_text(json.dumps(one))
        with Session(engine(db)) as s:
            before = s.get(DirAddress, theirs["id"]).location_id
            with pytest.raises(InputFileError, match="belongs to location"):
                load_hsds(s, path)
            s.rollback()
            assert s.get(DirAddress, theirs["id"]).location_id == before
    own = copy.deepcopy(data)
    _location(own, 0)["addresses"][0]["location_id"] = "somewhere-else"
    path.write_text(json.dumps(own))
    with Session(engine(db)) as s, pytest.raises(InputFileError, match="somewhere-else"):
        load_hsds(s, path)
