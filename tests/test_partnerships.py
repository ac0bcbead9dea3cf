"""Partnerships and the incident response (issue 33, items 2 and 3): boards and networks with
members over time, meetings whose actions reach their owners' home pages, the demo's year of
both as planted, the services near an incident nearest first (checked against an independent
geodesic), checklist times, refusals that leave the store as it was, nothing on any public
output, and every new route for every role."""

from __future__ import annotations

import html
import json
import re
import shutil
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vrukit.directory.models import DirService
from vrukit.incidents.models import Incident, IncidentOffer
from vrukit.partnerships.meetings import active_members, network_size
from vrukit.partnerships.models import Meeting, MeetingAction, NetworkPerson
from vrukit.programme.accounts import DEMO_LOGINS
from vrukit.programme.db import engine
from vrukit.programme.models import Board, BoardMember, Organisation, User
from vrukit.web.portal import incidents, partnerships
from vrukit.web.portal.app import create_app

SECRET = "a-test-session-secret-of-forty-characters!"
TODAY = date(2022, 5, 16)  # the demo portal's today
NOW = datetime(2022, 5, 16, 12, 0)
WHO = {
    "admin": ("admin@demo.vru", "demo-admin-password"),
    "commissioner": ("commissioner@demo.vru", "demo-commissioner-password"),
    "analyst": ("analyst@demo.vru", "demo-analyst-password"),
    "provider": ("boxing@demo.vru", "demo-provider-password"),
    "other provider": ("network@demo.vru", "demo-network-password"),
    "panel": ("panel@demo.vru", "demo-panel-password"),
}
QUARTERS = ["2021-Q2", "2021-Q3", "2021-Q4", "2022-Q1"]


@pytest.fixture(scope="module")
def store(demo_region, tmp_path_factory):
    """A copy of the demo's programme store (its year of partnerships and incidents loaded)."""
    folder = tmp_path_factory.mktemp("partnerships")
    shutil.copy(demo_region.folder / "programme.sqlite", folder / "base.sqlite")
    truth = json.loads((demo_region.programme / "partnerships.json").read_text())["truth"]
    planted = json.loads(demo_region.incidents.read_text())["incidents"]
    postcodes = pd.read_csv(demo_region.directory / "postcodes.csv", dtype=str)
    return folder / "base.sqlite", truth, planted, postcodes


def _client(store, tmp_path) -> tuple[TestClient, str]:
    shutil.copy(store[0], tmp_path / "p.sqlite")
    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    return TestClient(create_app(url, secret_key=SECRET, today=lambda: TODAY,
                                 now=lambda: NOW)), url  # fmt: skip


def _csrf(c: TestClient, path: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', c.get(path).text)
    assert m, path
    return m.group(1)


def _sign_in(c: TestClient, who: tuple[str, str]) -> str:
    form = {"email": who[0], "password": who[1], "csrf_token": _csrf(c, "/login")}
    r = c.post("/login", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[-300:]
    return _csrf(c, "/")


def _uid(s: Session, email: str) -> int:
    return s.scalars(select(User.id).where(User.email == email)).one()


# -- the demo's year, as planted ----------------------------------------------------------------


def test_each_network_s_size_at_each_quarter_end_is_as_planted(store):
    _, truth, _, _ = store
    with Session(engine(f"sqlite:///{store[0]}")) as s:
        for name, sizes in truth["size"].items():
            board = s.scalars(select(Board).where(Board.name == name)).one()
            size = network_size(s, board, QUARTERS)
            got = (size["organisations"] + size["people"]).tolist()
            assert got == sizes, name
        sports = s.scalars(select(Board).where(Board.name == "Sports Network")).one()
        reached = network_size(s, sports, QUARTERS)["reached"]
        assert reached.notna().all() and reached.is_monotonic_increasing


def test_the_demo_owners_home_pages_list_their_open_actions_as_planted(store, tmp_path):
    _, truth, _, _ = store
    assert truth["open_actions"], "the demo plants open actions"
    passwords = {email: password for _, email, password, _ in DEMO_LOGINS}
    for email, want in truth["open_actions"].items():
        c, _ = _client(store, tmp_path)
        _sign_in(c, (email, passwords[email]))
        home = c.get("/").text
        late = re.search(r"(\d+) actions? from board and network meetings (is|are) past", home)
        to_do = re.search(r"(\d+) actions? from board and network meetings (is|are) to do", home)
        n_late = int(late.group(1)) if late else 0
        n_to_do = int(to_do.group(1)) if to_do else 0
        assert (n_late, n_late + n_to_do) == (want["late"], want["open"]), email
    # someone who owns nothing sees no such item
    c, _ = _client(store, tmp_path)
    _sign_in(c, WHO["provider"])
    assert "board and network meetings" not in c.get("/").text


# -- recording a meeting ------------------------------------------------------------------------


def _meeting_form(token: str, owner: int, members: list[int], **extra) -> dict:
    form = {"csrf_token": token, "held_on": "2022-05-12", "title": "Extraordinary board",
            "decisions": "Fund a summer surge offer\nAsk schools for the bystander data",
            "paper_0": "Surge offer options", "paper_url_0": "https://example.org/surge.pdf",
            "action_0": "Write the surge offer specification", "owner_0": str(owner),
            "due_0": "2022-05-14", "decision_0": "1",
            "action_1": "Collect the bystander data", "owner_1": str(owner),
            "due_1": "2022-06-30", "decision_1": "2"}  # fmt: skip
    for i, oid in enumerate(members):
        form[f"attended_{oid}"] = ("present", "apologies", "absent")[i % 3]
    return {**form, **extra}


def test_a_meeting_s_decisions_and_actions_reach_the_owner_s_home_page(store, tmp_path):
    c, url = _client(store, tmp_path)
    token = _sign_in(c, WHO["commissioner"])
    with Session(engine(url)) as s:
        board = s.scalars(select(Board).where(Board.kind == "board")).first()
        members = [m.organisation_id for m in board.members]
        owner = _uid(s, "analyst@demo.vru")
        bid = board.id
    r = c.post(f"/boards/{bid}/meetings", data=_meeting_form(token, owner, members),
               follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text[-300:]
    page = c.get(r.headers["location"]).text
    assert "Fund a summer surge offer" in page and "Collect the bystander data" in page
    assert 'href="https://example.org/surge.pdf"' in page
    with Session(engine(url)) as s:
        m = s.scalars(select(Meeting).where(Meeting.title == "Extraordinary board")).one()
        assert [a.decision_id for a in m.actions] == [d.id for d in m.decisions]
        assert sorted(a.status for a in m.attendance) == sorted(
            ("present", "apologies", "absent")[i % 3] for i in range(len(members))
        )
        aid = m.actions[0].id

    owner_c = TestClient(create_app(f"sqlite:///{tmp_path / 'p.sqlite'}", secret_key=SECRET,
                                    today=lambda: TODAY, now=lambda: NOW))  # fmt: skip
    owner_token = _sign_in(owner_c, WHO["analyst"])
    home = owner_c.get("/").text
    assert "Write the surge offer specification (due 14 May 2022" in home  # late: before today
    assert "Collect the bystander data (due 30 Jun 2022" in home
    assert re.search(r"Late:</strong> <a[^>]*>\d+ actions? from board and network", home)
    # the owner closes one; it leaves their home page
    done = owner_c.post(
        f"/meeting-actions/{aid}/status",
        follow_redirects=False,
        data={"csrf_token": owner_token, "status": "done", "back": "home"},
    )
    assert done.status_code == 303 and done.headers["location"] == "/"
    home = owner_c.get("/").text
    assert "Write the surge offer specification" not in home
    assert "Collect the bystander data" in home


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"paper_url_0": "javascript:alert(1)"}, "is not a link vrukit stores"),
        ({"due_1": "2022-05-01"}, "is before the meeting"),
        ({"owner_1": "999999"}, "choose its owner from the list"),
        ({"held_on": "2022-02-30"}, "is not a date"),
        ({"decision_1": "7"}, "no decision 7"),
        ({"title": ""}, "Title"),
        ({"paper_0": ""}, "give a title to the paper at https://example.org/surge.pdf"),
    ],
)
def test_a_refused_meeting_names_its_problem_and_changes_nothing(store, tmp_path, change, problem):
    c, url = _client(store, tmp_path)
    token = _sign_in(c, WHO["admin"])
    with Session(engine(url)) as s:
        board = s.scalars(select(Board).where(Board.kind == "board")).first()
        bid, members = board.id, [m.organisation_id for m in board.members]
        owner = _uid(s, "analyst@demo.vru")
        before = (s.scalar(select(func.count(Meeting.id))),
                  s.scalar(select(func.count(MeetingAction.id))))  # fmt: skip
    r = c.post(f"/boards/{bid}/meetings", data=_meeting_form(token, owner, members, **change),
               follow_redirects=False)  # fmt: skip
    assert r.status_code == 422 and problem in r.text, r.text[-400:]
    with Session(engine(url)) as s:
        assert (s.scalar(select(func.count(Meeting.id))),
                s.scalar(select(func.count(MeetingAction.id)))) == before  # fmt: skip


def test_members_join_and_leave_and_the_size_follows(store, tmp_path):
    c, url = _client(store, tmp_path)
    token = _sign_in(c, WHO["admin"])
    with Session(engine(url)) as s:
        faith = s.scalars(select(Board).where(Board.name == "Faith Alliance")).one()
        outsider = s.scalars(select(Organisation.id).where(
            Organisation.id.not_in(select(BoardMember.organisation_id)
                                   .where(BoardMember.board_id == faith.id)))).first()  # fmt: skip
        leaver = faith.members[0].organisation_id
        before = network_size(s, faith, ["2022-Q2"])["organisations"].item()
        bid = faith.id
    assert (
        c.post(
            f"/boards/{bid}/members",
            follow_redirects=False,
            data={"csrf_token": token, "organisation": str(outsider), "joined": "2022-04-04"},
        ).status_code
        == 303
    )
    assert (
        c.post(
            f"/boards/{bid}/members/{leaver}/leave",
            follow_redirects=False,
            data={"csrf_token": token, "left": "2022-05-01"},
        ).status_code
        == 303
    )
    again = c.post(f"/boards/{bid}/members/{outsider}/leave", follow_redirects=False,
                   data={"csrf_token": token, "left": "2022-04-01"})  # fmt: skip
    assert again.status_code == 422 and "before it joined" in again.text
    with Session(engine(url)) as s:
        faith = s.get(Board, bid)
        assert network_size(s, faith, ["2022-Q1"])["organisations"].item() == before
        assert network_size(s, faith, ["2022-Q2"])["organisations"].item() == before  # +1 -1
        assert len(active_members(faith, date(2022, 4, 15))) == before + 1  # both, in between


# -- the incident response ----------------------------------------------------------------------


def _reference_near(store_url: str, lat: float, lon: float, radius: float) -> pd.DataFrame:
    """The services within ``radius`` metres on the WGS84 ellipsoid (pyproj's geodesic, not
    vrukit's haversine), each at its nearest location, nearest first."""
    from vrukit.directory.search import service_locations

    with Session(engine(store_url)) as s:
        where = service_locations(s)
    _, _, metres = Geod(ellps="WGS84").inv(np.full(len(where), lon), np.full(len(where), lat),
                                           where["longitude"].to_numpy(),
                                           where["latitude"].to_numpy())  # fmt: skip
    where = where.assign(metres=metres).sort_values("metres").drop_duplicates("service_id")
    return where[where["metres"] <= radius].reset_index(drop=True)


def test_an_incident_lists_the_services_within_1_km_nearest_first(store, tmp_path):
    c, url = _client(store, tmp_path)
    token = _sign_in(c, WHO["commissioner"])
    postcodes = store[3]
    # the demo postcode with the most services within 1 km: a busy street, not an empty field
    pc = postcodes.iloc[0]
    best = 0
    for row in postcodes.sample(60, random_state=1).itertuples():
        n = len(_reference_near(url, float(row.latitude), float(row.longitude), 1000))
        if n > best:
            pc, best = row, n
    assert best >= 3, "the demo has busy places"
    r = c.post(
        "/incidents",
        follow_redirects=False,
        data={
            "csrf_token": token,
            "occurred_at": "2022-05-15T21:30",
            "kind": "stabbing",
            "where": pc.postcode.lower(),
            "radius_m": "1000",
            "summary": "Outside the shops",
        },
    )
    assert r.status_code == 303, r.text[-300:]
    page = c.get(r.headers["location"]).text
    section = page.split('id="services"')[1].split('id="pathways"')[0]
    listed = re.findall(r'<th scope="row" data-label="Service">(.*?)</th>.*?'
                        r'data-label="Distance">([\d,]+) m', section, re.S)  # fmt: skip
    ref = _reference_near(url, float(pc.latitude), float(pc.longitude), 1000)
    with Session(engine(url)) as s:
        names = dict(s.execute(select(DirService.id, DirService.name)).all())
    # the sphere and the ellipsoid differ by under 0.5%: compare away from the edge
    sure = ref[ref["metres"] < 995]
    shown = [html.unescape(n) for n, _ in listed]
    assert [names[i] for i in sure["service_id"]] == shown[: len(sure)]
    metres = [int(m.replace(",", "")) for _, m in listed]
    assert metres == sorted(metres) and max(metres) <= 1000
    for got, want in zip(metres, ref["metres"], strict=False):
        assert abs(got - want) <= 0.005 * want + 1
    assert len(listed) <= len(ref[ref["metres"] <= 1005])


def test_the_checklist_keeps_each_step_s_time_and_refuses_a_second_tick(store, tmp_path):
    c, url = _client(store, tmp_path)
    token = _sign_in(c, WHO["admin"])
    _, _, planted, _ = store
    with Session(engine(url)) as s:
        incidents_ = s.scalars(select(Incident).order_by(Incident.occurred_at)).all()
        assert len(incidents_) == len(planted) == 6
        for inc, rec in zip(incidents_, planted, strict=True):
            got = {x.step: x.done_at.isoformat() for x in inc.steps}
            assert got == {st["step"]: st["done_at"] for st in rec["steps"]}
        latest = incidents_[-1]
        iid, occurred = latest.id, latest.occurred_at
    first = c.get(f"/incidents/{iid}").text
    hours = datetime.fromisoformat(planted[-1]["steps"][0]["done_at"]) - occurred
    assert f">{round(hours.total_seconds() / 3600, 1)}<" in first  # hours after, as shown
    r = c.post(
        f"/incidents/{iid}/steps",
        follow_redirects=False,
        data={"csrf_token": token, "step": "community_reassurance", "done_at": "2022-05-16T09:15"},
    )
    assert r.status_code == 303
    page = c.get(f"/incidents/{iid}").text
    assert "16 May 2022 09:15" in page
    again = c.post(
        f"/incidents/{iid}/steps",
        follow_redirects=False,
        data={"csrf_token": token, "step": "community_reassurance", "done_at": "2022-05-16T10:00"},
    )
    assert again.status_code == 422 and "already recorded" in again.text
    early = c.post(
        f"/incidents/{iid}/steps",
        follow_redirects=False,
        data={"csrf_token": token, "step": "debrief_held", "done_at": "2020-01-01T10:00"},
    )
    assert early.status_code == 422 and "before the incident" in early.text


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"where": "ZZ99 9ZZ"}, "not a postcode vrukit knows"),
        ({"occurred_at": "2022-05-17T10:00"}, "in the future"),
        ({"radius_m": "50"}, "100 m to 10,000 m"),
        ({"kind": "rumour"}, "one of homicide"),
        ({"where": "91.0, 0.0"}, "latitude -90 to 90"),
    ],
)
def test_a_refused_incident_names_its_problem_and_adds_nothing(store, tmp_path, change, problem):
    c, url = _client(store, tmp_path)
    token = _sign_in(c, WHO["admin"])
    form = {
        "csrf_token": token,
        "occurred_at": "2022-05-15T21:30",
        "kind": "stabbing",
        "where": store[3].iloc[0]["postcode"],
        "radius_m": "1000",
        **change,
    }
    r = c.post("/incidents", data=form, follow_redirects=False)
    assert r.status_code == 422 and problem in r.text, r.text[-400:]
    with Session(engine(url)) as s:
        assert s.scalar(select(func.count(Incident.id))) == 6


def test_the_surge_offer_and_its_uptake_are_shown(store, tmp_path):
    c, url = _client(store, tmp_path)
    _sign_in(c, WHO["analyst"])
    _, _, planted, _ = store
    with Session(engine(url)) as s:
        first = s.scalars(select(Incident).order_by(Incident.occurred_at)).first()
        offers = s.scalars(select(IncidentOffer).where(IncidentOffer.incident_id == first.id)).all()
        assert {o.pathway_id is not None for o in offers} == {True, False}
        people = sum(u.young_people for u in first.uptake)
        iid = first.id
    wanted = sum(u["young_people"] for u in planted[0]["uptake"] if "pathway" in u)
    assert people >= wanted  # the pathways' counts, and the services' (as many as were near)
    page = c.get(f"/incidents/{iid}").text
    assert "Pathway: " in page and "Service: " in page
    assert "Record a step" not in page  # an analyst reads the response, never changes it


def test_no_incident_reaches_the_youth_map_or_the_api(store, demo_region, tmp_path):
    """Incidents live in the store beside the Youth Map: its pages and the Open Referral API
    never show one (and, by an import-linter contract, the site's code never reads them)."""
    _, _, planted, _ = store
    _client(store, tmp_path)  # the demo store, copied to p.sqlite
    summaries = {p["summary"] for p in planted}
    assert all(s for s in summaries)
    from vrukit.web.youth_map import create_youth_map_app

    ym = TestClient(create_youth_map_app(f"sqlite:///{tmp_path / 'p.sqlite'}", migrate=False,
                                         today=lambda: TODAY))  # fmt: skip
    for path in ("/", "/?q=boxing", "/api/services?per_page=50", "/api/"):
        text = ym.get(path).text
        assert not any(x in text for x in summaries), path
        assert "stabbing" not in text.lower(), path


# -- every route, every role --------------------------------------------------------------------

ROUTES = (*partnerships.ROUTES, *incidents.ROUTES)


def test_the_access_test_covers_every_partnership_and_incident_route():
    served = {(m, r.path) for router in (partnerships.router, incidents.router)
              for r in router.routes for m in r.methods}  # fmt: skip
    assert served == set(ROUTES)


WRITES = [r for r in ROUTES if r[0] == "POST"]
EXPECTED = {  # role -> {(method, path): status}, 200 otherwise
    "admin": dict.fromkeys(WRITES, 303),
    "commissioner": dict.fromkeys(WRITES, 303),
    "analyst": {
        **dict.fromkeys(WRITES, 403),
        **dict.fromkeys(incidents.ROUTES, 403),
        ("GET", "/incidents"): 200,
        ("GET", "/incidents/{iid}"): 200,
    },
    # the boxing club sits on the board: it reads it and its meetings, changes nothing, and
    # does not own the action (404: it is not told the action exists)
    "provider": {
        **dict.fromkeys(WRITES, 403),
        **dict.fromkeys(incidents.ROUTES, 403),
        ("POST", "/meeting-actions/{aid}/status"): 404,
    },
    # an organisation on no board: the list is empty, every board and meeting is 404
    "other provider": {
        **dict.fromkeys(partnerships.ROUTES, 404),
        **dict.fromkeys(incidents.ROUTES, 403),
        ("GET", "/boards"): 200,
        ("POST", "/boards"): 403,
    },
    "panel": dict.fromkeys(ROUTES, 403),
}


def _ids(url: str) -> dict:
    with Session(engine(url)) as s:
        board = s.scalars(select(Board).where(Board.kind == "board")).first()
        member = sorted(m.organisation_id for m in board.members)[0]
        outsider = s.scalars(select(Organisation.id).where(Organisation.id.not_in(
            [m.organisation_id for m in board.members]))).first()  # fmt: skip
        action = s.scalars(select(MeetingAction).where(
            MeetingAction.status == "open",
            MeetingAction.owner_id == _uid(s, "commissioner@demo.vru"))).first()  # fmt: skip
        latest = s.scalars(select(Incident).order_by(Incident.occurred_at.desc())).first()
        pathway = next(o for o in latest.offers if o.pathway_id).pathway_id
        from vrukit.referrals.models import Pathway

        other = s.scalars(select(Pathway.id).where(Pathway.id != pathway)).first()
        person = NetworkPerson(board_id=board.id, name="Sam", joined=date(2021, 4, 1))
        s.add(person)  # a person on the board, who may be recorded as having left
        s.commit()
        return {"bid": board.id, "oid": member, "outsider": outsider, "aid": action.id,
                "mid": action.meeting_id, "iid": latest.id, "offer": latest.offers[0].id,
                "pathway": other, "owner": _uid(s, "analyst@demo.vru"), "pid": person.id,
                "members": [m.organisation_id for m in board.members]}  # fmt: skip


def _form(path: str, ids: dict, token: str) -> dict:
    forms = {
        "/boards": {"name": "Youth panel network", "kind": "network", "network_type": "other"},
        "/boards/{bid}/members": {"organisation": str(ids["outsider"]), "joined": "2022-05-01"},
        "/boards/{bid}/members/{oid}/leave": {"left": "2022-05-10"},
        "/boards/{bid}/people": {"name": "Zara", "role": "champion", "joined": "2022-05-01"},
        "/boards/{bid}/people/{pid}/leave": {"left": "2022-05-10"},
        "/boards/{bid}/reach": {"period": "2022-Q1", "people": "12", "activities": "3"},
        "/boards/{bid}/meetings": _meeting_form(token, ids["owner"], ids["members"]),
        "/meeting-actions/{aid}/status": {"status": "done", "note": "sent"},
        "/incidents": {"occurred_at": "2022-05-15T21:30", "kind": "disorder",
                       "where": "52.41, -1.51", "radius_m": "800"},
        "/incidents/{iid}/steps": {"step": "community_reassurance", "done_at": "2022-05-16T09:00"},
        "/incidents/{iid}/offer": {"pathway": str(ids["pathway"])},
        "/incidents/{iid}/uptake": {"offer": str(ids["offer"]), "young_people": "4",
                                    "counted_on": "2022-05-16"},
    }  # fmt: skip
    return {"csrf_token": token, **forms.get(path, {})}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_every_role_calls_every_partnership_and_incident_route(store, tmp_path, role):
    c, url = _client(store, tmp_path)
    token = _sign_in(c, WHO[role])
    ids = _ids(url)
    for method, path in ROUTES:
        target = path.format(**ids)
        if method == "GET":
            r = c.get(target, follow_redirects=False)
        else:
            r = c.post(target, data=_form(path, ids, token), follow_redirects=False)
        want = EXPECTED[role].get((method, path), 200)
        assert r.status_code == want, (role, method, path, r.status_code, r.text[-300:])


# -- the pages in a browser ---------------------------------------------------------------------


@pytest.mark.parametrize("width", [390, 1280])
def test_the_boards_meetings_and_incident_pages_read_on_a_phone_with_axe_clean(
    browser, store, tmp_path, width
):
    from conftest import axe_violations, open_page, serve

    shutil.copy(store[0], tmp_path / "p.sqlite")
    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    with Session(engine(url)) as s:
        board = s.scalars(select(Board).where(Board.kind == "board")).first()
        meeting = s.scalars(select(Meeting).where(Meeting.board_id == board.id)).first()
        incident = s.scalars(select(Incident)).first()
        paths = ["/", "/boards", f"/boards/{board.id}", f"/meetings/{meeting.id}", "/incidents",
                 f"/incidents/{incident.id}"]  # fmt: skip
    app = create_app(url, secret_key=SECRET, today=lambda: TODAY, now=lambda: NOW)
    with serve(app) as root:
        page, problems = open_page(browser, root + "/login", width)
        page.get_by_label("E-mail").fill(WHO["commissioner"][0])
        page.get_by_label("Password").fill(WHO["commissioner"][1])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("load")
        assert re.search(r"actions? from board and network meetings", page.inner_text("main"))
        for path in paths:
            page.goto(root + path, wait_until="load")
            assert page.evaluate("document.documentElement.scrollWidth") <= width, path
            assert axe_violations(page) == [], path
        assert not problems
        page.close()


def test_the_board_pack_reports_each_board_s_quarter_as_the_store_holds_it(store, tmp_path):
    from vrukit.jobs.board_pack import collect
    from vrukit.publish.board_pack import write_pack

    _, truth, _, _ = store
    with Session(engine(f"sqlite:///{store[0]}")) as s:
        data = collect(s, "2021-Q4")
        public = collect(s, "2021-Q4", public=True)
        rows = data.partnerships.set_index("board")
        board = s.scalars(select(Board).where(Board.kind == "board")).first()
        held = s.scalars(
            select(Meeting).where(
                Meeting.board_id == board.id,
                Meeting.held_on.between(date(2021, 10, 1), date(2021, 12, 31)),
            )
        ).all()
        overdue = [a for m in s.scalars(select(Meeting).where(Meeting.board_id == board.id))
                   for a in m.actions if a.due < date(2021, 12, 31)
                   and (a.closed_on is None or a.closed_on > date(2021, 12, 31))]  # fmt: skip
        decisions = sum(len(m.decisions) for m in held)
        name = board.name
    assert rows.loc["Sports Network", "members"] == truth["size"]["Sports Network"][2]
    assert rows.loc[name, "meetings"] == len(held) == 1
    assert rows.loc[name, "decisions"] == decisions > 0
    assert rows.loc[name, "overdue"] == len(overdue) == 1  # the action planted open
    html = write_pack(data, tmp_path).read_text()
    assert 'id="partnerships"' in html and "Sports Network" in html
    assert public.partnerships.empty
    assert 'id="partnerships"' not in write_pack(public, tmp_path / "p", public=True).read_text()


# -- the review's findings ----------------------------------------------------------------------


def test_an_action_s_owner_off_the_board_reads_and_closes_it(store, tmp_path):
    c, url = _client(store, tmp_path)
    token = _sign_in(c, WHO["commissioner"])
    with Session(engine(url)) as s:
        sports = s.scalars(select(Board).where(Board.name == "Sports Network")).one()
        custody = s.scalars(select(User).where(User.email == "custody@demo.vru")).one()
        assert custody.organisation_id not in {m.organisation_id for m in sports.members}
        bid, owner = sports.id, custody.id
    form = {"csrf_token": token, "held_on": "2022-05-12", "title": "Clubs and custody",
            "action_0": "Offer club places to young people leaving custody",
            "owner_0": str(owner), "due_0": "2022-06-30"}  # fmt: skip
    r = c.post(f"/boards/{bid}/meetings", data=form, follow_redirects=False)
    assert r.status_code == 303
    mid = int(r.headers["location"].rsplit("/", 1)[1])
    theirs = TestClient(create_app(url, secret_key=SECRET, today=lambda: TODAY, now=lambda: NOW))
    their_token = _sign_in(theirs, ("custody@demo.vru", "demo-referrer-password"))
    assert "Offer club places" in theirs.get("/").text
    assert theirs.get(f"/meetings/{mid}").status_code == 200  # once 404: off the board
    assert theirs.get(f"/boards/{bid}").status_code == 404  # the board itself stays closed
    with Session(engine(url)) as s:
        aid = s.scalars(select(MeetingAction.id).where(MeetingAction.meeting_id == mid)).one()
    done = theirs.post(f"/meeting-actions/{aid}/status", data={"csrf_token": their_token,
                       "status": "done"}, follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and "Offer club places" not in theirs.get("/").text


def test_an_organisation_that_left_a_board_reads_it_no_more(store, tmp_path):
    c, url = _client(store, tmp_path)
    token = _sign_in(c, WHO["admin"])
    with Session(engine(url)) as s:
        board = s.scalars(select(Board).where(Board.kind == "board")).first()
        boxing = s.scalars(select(User).where(User.email == WHO["provider"][0])).one()
        bid, oid = board.id, boxing.organisation_id
        mid = s.scalars(select(Meeting.id).where(Meeting.board_id == bid)).first()
    provider = TestClient(create_app(url, secret_key=SECRET, today=lambda: TODAY,
                                     now=lambda: NOW))  # fmt: skip
    _sign_in(provider, WHO["provider"])
    assert provider.get(f"/boards/{bid}").status_code == 200
    r = c.post(f"/boards/{bid}/members/{oid}/leave", data={"csrf_token": token,
               "left": "2022-05-01"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert provider.get(f"/boards/{bid}").status_code == 404
    assert provider.get(f"/meetings/{mid}").status_code == 404


def test_a_person_leaving_a_network_leaves_its_size(store, tmp_path):
    c, url = _client(store, tmp_path)
    token = _sign_in(c, WHO["admin"])
    with Session(engine(url)) as s:
        champions = s.scalars(select(Board).where(Board.name == "Community Champions")).one()
        person = s.scalars(select(NetworkPerson).where(
            NetworkPerson.board_id == champions.id)).first()  # fmt: skip
        before = network_size(s, champions, ["2022-Q2"])["people"].item()
        bid, pid = champions.id, person.id
    r = c.post(f"/boards/{bid}/people/{pid}/leave", data={"csrf_token": token,
               "left": "2022-04-20"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    with Session(engine(url)) as s:
        after = network_size(s, s.get(Board, bid), ["2022-Q2"])["people"].item()
    assert after == before - 1


def test_the_partnerships_file_can_be_loaded_again_and_adds_nothing(store, demo_region, tmp_path):
    import json

    from vrukit.partnerships.load import load_partnerships

    _, url = _client(store, tmp_path)
    data = json.loads((demo_region.programme / "partnerships.json").read_text())

    def counts() -> tuple:
        with Session(engine(url)) as s:
            return (s.scalar(select(func.count(Meeting.id))),
                    s.scalar(select(func.count(MeetingAction.id))),
                    s.scalar(select(func.count(NetworkPerson.id))))  # fmt: skip

    before = counts()
    with Session(engine(url)) as s:
        again = load_partnerships(s, data)
        s.commit()
    assert again["meetings"] == again["actions"] == 0 and counts() == before


def test_incident_dates_are_bounded_and_a_response_is_said_once(store, tmp_path):
    c, url = _client(store, tmp_path)
    token = _sign_in(c, WHO["admin"])
    where = store[3].iloc[0]["postcode"]
    old = c.post("/incidents", data={"csrf_token": token, "occurred_at": "0001-01-01T10:00",
                                     "kind": "stabbing", "where": where})  # fmt: skip
    assert old.status_code == 422 and "1990 to 2099" in old.text
    with Session(engine(url)) as s:
        inc = s.scalars(select(Incident).order_by(Incident.occurred_at.desc())).first()
        iid, offer = inc.id, inc.offers[0].id
    later = c.post(f"/incidents/{iid}/steps", data={"csrf_token": token,
                   "step": "community_reassurance", "done_at": "2022-05-20T10:00"})  # fmt: skip
    assert later.status_code == 422 and "still to come" in later.text
    ahead = c.post(f"/incidents/{iid}/uptake", data={"csrf_token": token, "offer": str(offer),
                   "young_people": "3", "counted_on": "2099-05-16"})  # fmt: skip
    assert ahead.status_code == 422 and "still to come" in ahead.text
    for people in ("4", "6"):  # counted twice the same day: the second count stands
        r = c.post(f"/incidents/{iid}/uptake", follow_redirects=False, data={
            "csrf_token": token, "offer": str(offer), "young_people": people,
            "counted_on": "2022-05-16"})  # fmt: skip
        assert r.status_code == 303
    for _ in range(2):  # a double click closes it, and it stays closed
        r = c.post(f"/incidents/{iid}/close", data={"csrf_token": token, "status": "closed"},
                   follow_redirects=False)  # fmt: skip
        assert r.status_code == 303
    with Session(engine(url)) as s:
        inc = s.get(Incident, iid)
        today = [u for u in inc.uptake if u.offer_id == offer and u.counted_on == TODAY]
        assert [u.young_people for u in today] == [6] and inc.status == "closed"


def test_providers_whose_contracts_ended_are_not_partners_to_alert(store, tmp_path):
    from vrukit.incidents.response import partners_to_alert
    from vrukit.programme.models import Intervention

    _, url = _client(store, tmp_path)
    with Session(engine(url)) as s:
        placed = s.scalars(select(Incident).where(Incident.place_id.is_not(None))).first()
        ivs = s.scalars(select(Intervention).where(Intervention.place_id == placed.place_id)).all()
        assert ivs, "an intervention is delivered in the incident's place"
        on = placed.occurred_at.date()
        live = {iv.name for iv in ivs if iv.contract_start <= on
                and (iv.contract_end is None or iv.contract_end >= on)}  # fmt: skip
        why = " ".join(partners_to_alert(s, placed)["why"])
        for iv in ivs:
            assert (f"delivers {iv.name} here" in why) == (iv.name in live)
        placed.occurred_at = datetime(2022, 5, 15, 21, 0)  # after every demo contract ended
        assert "delivers" not in " ".join(partners_to_alert(s, placed)["why"])
