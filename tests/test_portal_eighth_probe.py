"""The eighth probe of the running portal: an ordinary bad file broke the upload helper for
everyone in its worker; damaged zips gave 500; on PostgreSQL, two decisions at once both won."""

from __future__ import annotations

import struct
import threading

import pytest

from test_portal_hardening import (  # noqa: F401  (base and url are the module's fixtures)
    ADMIN,
    BOXING,
    GOOD,
    _client,
    _contract_quarters,
    _own_intervention,
    _sign_in,
    _sparse_xlsx,
    _submissions,
    _upload,
    base,
    url,
)
from vrukit.web.portal import offload


def _damaged(kind: str) -> bytes:
    """A small valid workbook with one zip-level fault in its sheet's entry: a wrong checksum,
    a broken deflate stream, the encrypted flag, or the deflate64 method."""
    good = bytearray(_sparse_xlsx("B2"))
    target = b"xl/worksheets/sheet1.xml"
    local = good.find(b"PK\x03\x04" + good[4:6])
    while good[local + 30 : local + 30 + len(target)] != target:
        local = good.find(b"PK\x03\x04", local + 4)
    central = good.find(b"PK\x01\x02")
    while good[central + 46 : central + 46 + len(target)] != target:
        central = good.find(b"PK\x01\x02", central + 4)
    if kind == "crc":
        good[central + 16] ^= 0xFF
        good[local + 14] ^= 0xFF
    elif kind == "stream":
        n, m = struct.unpack("<HH", good[local + 26 : local + 30])
        for k in range(local + 30 + n + m, local + 38 + n + m):
            good[k] ^= 0x5A
    elif kind == "encrypted":
        good[central + 8] |= 1
        good[local + 6] |= 1
    elif kind == "deflate64":
        good[central + 10 : central + 12] = struct.pack("<H", 9)
        good[local + 8 : local + 10] = struct.pack("<H", 9)
    return bytes(good)


def test_a_bad_training_or_spend_file_is_refused_by_name_and_the_helper_carries_on(url):  # noqa: F811
    """An error raised while checking a file in the helper could not be sent back (it failed
    to unpickle), so the helper was marked broken: the uploader was told "reading it stopped
    the checker" instead of the problem, and every other upload queued in it failed too."""
    iid = _own_intervention(url)
    provider, admin = _client(url), _client(url)
    token, admin_token = _sign_in(provider, BOXING), _sign_in(admin, ADMIN)
    helper = offload._pool()
    refused = []
    for name, body, said in (
        ("t.xlsx", b"not a zip", "not a zip file"),
        ("t.xlsx", _damaged("crc"), "damaged or encrypted"),
    ):
        r = provider.post(f"/interventions/{iid}/training", data={"csrf_token": token},
                          files={"file": (name, body, "application/octet-stream")})  # fmt: skip
        refused.append((r.status_code, said in r.text, "stopped the checker" in r.text))
        r = admin.post("/spend/upload", data={"csrf_token": admin_token},
                       files={"file": (name, body, "application/octet-stream")})  # fmt: skip
        refused.append((r.status_code, said in r.text, "stopped the checker" in r.text))
    assert refused == [(422, True, False)] * 4
    assert offload._POOL is helper, "a bad file broke the helper"
    before = _submissions(url)
    period = _contract_quarters(url, iid)[0]
    assert _upload(provider, token, iid, "r.csv", GOOD.encode(), period).status_code == 303
    assert _submissions(url) == before + 1


@pytest.mark.parametrize("kind", ["crc", "stream", "encrypted", "deflate64"])
def test_a_damaged_or_encrypted_workbook_is_a_422_naming_it_never_a_500(url, kind):  # noqa: F811
    iid = _own_intervention(url)
    c = _client(url)
    token = _sign_in(c, BOXING)
    period = _contract_quarters(url, iid)[0]
    r = _upload(c, token, iid, "return.xlsx", _damaged(kind), period)
    assert r.status_code == 422 and "damaged or encrypted" in r.text, (kind, r.status_code)
    assert "return.xlsx" in r.text


def test_one_failing_upload_in_the_helper_leaves_others_in_it_alone(url, tmp_path):  # noqa: F811
    """The probe's attack: bad files sent while a colleague uploads returns to the same worker;
    half the colleague's uploads failed."""
    iid = _own_intervention(url)
    provider = _client(url)
    token = _sign_in(provider, BOXING)
    periods = _contract_quarters(url, iid)
    results: list[int] = []

    def attack() -> None:
        for _ in range(6):
            provider.post(f"/interventions/{iid}/training", data={"csrf_token": token},
                          files={"file": ("t.xlsx", b"not a zip", "text/csv")})  # fmt: skip

    t = threading.Thread(target=attack)
    t.start()
    victim = _client(url)
    victim_token = _sign_in(victim, BOXING)
    for k in range(6):
        body = GOOD.replace("P9001", f"P9{k}01").encode()
        results.append(_upload(victim, victim_token, iid, "r.csv", body,
                               periods[k % len(periods)]).status_code)  # fmt: skip
    t.join(120)
    assert results == [303] * 6


def test_zip_faults_are_named_by_the_programme_import(tmp_path):
    from vrukit.errors import InputFileError
    from vrukit.programme.workbook import WorkbookReader

    bad = tmp_path / "programme.xlsx"
    bad.write_bytes(_damaged("crc"))
    with pytest.raises(InputFileError, match="damaged or encrypted"):
        WorkbookReader(bad, {})


# -- PostgreSQL: one decision at a time --------------------------------------------------------


def _pg_database(request) -> str:
    import uuid

    import psycopg

    server = request.getfixturevalue("postgres_server")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + f"/{name}"


def _at_once(db: str, *jobs) -> list[str]:
    """Each job in its own thread and session, started together; what became of each: "ok"
    (committed), "refused" (the rule said no) or the name of any other error."""
    from sqlalchemy.orm import Session

    from vrukit.errors import VrukitError
    from vrukit.programme.db import engine

    eng = engine(db)
    start = threading.Barrier(len(jobs))
    out: list[str] = []

    def run(job) -> None:
        with Session(eng) as s:
            start.wait()
            try:
                job(s)
                s.commit()
                out.append("ok")
            except VrukitError:
                s.rollback()
                out.append("refused")
            except Exception as e:  # the old code's failure, recorded
                s.rollback()
                out.append(type(e).__name__)

    threads = [threading.Thread(target=run, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    eng.dispose()
    return sorted(out)


@pytest.fixture
def pg_round(request, tmp_path):
    """The demo programme on a fresh PostgreSQL database, with a round being scored: two
    applications, each fully scored; the round's budget holds one of them, not both."""
    from datetime import date

    from sqlalchemy.orm import Session

    from conftest import PILOTS
    from test_commissioning_portal import _application, _user
    from vrukit.commissioning.rounds import open_round, score, set_status
    from vrukit.demo.commissioning import write_programme_year
    from vrukit.jobs.demo import load_programme
    from vrukit.programme.db import engine

    db = _pg_database(request)
    load_programme(db, write_programme_year(tmp_path / "demo", 2021, PILOTS).folder)
    eng = engine(db)
    with Session(eng) as s:
        panel = [_user(s, e).id for e in ("commissioner@demo.vru", "analyst@demo.vru")]
        rnd = open_round(s, name="Youth Fund", fund="YF", budget=30_000, opens=date(2022, 1, 10),
                         closes=date(2022, 2, 28), criteria=[("Need", 1.0)], panel=panel,
                         min_scorers=2)  # fmt: skip
        set_status(rnd, "open")
        apps = [_application(s, rnd, "boxing@demo.vru", "Boxing after school"),
                _application(s, rnd, "ae@demo.vru", "Hospital youth work")]  # fmt: skip
        set_status(rnd, "scoring")
        for a, mark in zip(apps, (4, 3), strict=True):
            for uid in panel:
                score(s, a, rnd.criteria[0], uid, mark)
        s.commit()
        ids = [a.id for a in apps]
    eng.dispose()
    return db, ids


def _award(aid: int, amount: float):
    from datetime import date

    from vrukit.commissioning.awards import award
    from vrukit.commissioning.models import Application

    def job(s) -> None:
        award(s, s.get(Application, aid), None, amount=amount, start=date(2022, 4, 1),
              end=date(2023, 3, 31))  # fmt: skip

    return job


def _decline(aid: int):
    from vrukit.commissioning.awards import decline
    from vrukit.commissioning.models import Application

    return lambda s: decline(s, s.get(Application, aid), None, "not this time")


def _payments(db: str, aid: int) -> tuple[str, float | None, int]:
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from vrukit.commissioning.models import Application, Payment
    from vrukit.programme.db import engine

    eng = engine(db)
    with Session(eng) as s:
        a = s.get(Application, aid)
        n = s.scalar(select(func.count()).select_from(Payment).where(Payment.application_id == aid))
        out = (a.status, a.awarded, n or 0)
    eng.dispose()
    return out


def test_a_double_click_on_award_awards_once_on_postgresql(pg_round):
    db, (first, _) = pg_round
    assert _at_once(db, _award(first, 20_000), _award(first, 20_000)) == ["ok", "refused"]
    assert _payments(db, first) == ("awarded", 20_000.0, 4)  # one schedule, not two


def test_award_and_decline_at_once_leave_one_decision_on_postgresql(pg_round):
    db, (first, _) = pg_round
    assert _at_once(db, _award(first, 20_000), _decline(first)) == ["ok", "refused"]
    status, awarded, payments = _payments(db, first)
    assert (status, payments) in (("awarded", 4), ("declined", 0))
    assert (awarded is not None) == (status == "awarded")


def test_two_awards_at_once_never_pass_the_round_s_budget_on_postgresql(pg_round):
    db, (first, second) = pg_round
    assert _at_once(db, _award(first, 20_000), _award(second, 20_000)) == ["ok", "refused"]
    given = [_payments(db, a)[1] or 0 for a in (first, second)]
    assert sum(given) == 20_000


def test_a_referral_changed_twice_at_once_changes_once_on_postgresql(request, tmp_path):
    from datetime import datetime

    from sqlalchemy import func, select

    from test_referrals import _refer, _tiny
    from vrukit.programme.db import session
    from vrukit.referrals.models import Referral, RefEvent
    from vrukit.referrals.workflow import transition

    db = _pg_database(request)
    keyring = _tiny(db, tmp_path)
    now = datetime(2022, 3, 1, 9, 0)
    with session(db) as s:
        rid = _refer(s, keyring, now).id
    accept = lambda s: transition(s, None, s.get(Referral, rid), "accepted", now)  # noqa: E731
    assert _at_once(db, accept, accept) == ["ok", "refused"]
    with session(db) as s:
        events = select(func.count()).select_from(RefEvent)
        to = events.where(RefEvent.referral_id == rid, RefEvent.to_status == "accepted")
        assert s.scalar(to) == 1


def test_applications_made_at_once_keep_to_the_limit_on_postgresql(request, tmp_path):
    """Ten applications posted at once by one organisation: on PostgreSQL eight were stored
    where five may be."""
    from datetime import date

    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from conftest import PILOTS, serve
    from test_commissioning_portal import _user
    from test_portal_hardening import SECRET, _live_sign_in
    from vrukit.commissioning.models import Application
    from vrukit.commissioning.rounds import open_round, set_status
    from vrukit.demo.commissioning import write_programme_year
    from vrukit.jobs.demo import load_programme
    from vrukit.programme.db import engine
    from vrukit.web.portal.app import create_app
    from vrukit.web.portal.applications import MOST_APPLICATIONS

    db = _pg_database(request)
    load_programme(db, write_programme_year(tmp_path / "demo", 2021, PILOTS).folder)
    eng = engine(db)
    with Session(eng) as s:
        panel = [_user(s, "commissioner@demo.vru").id]
        rnd = open_round(s, name="Open fund", fund="OF", budget=50_000, opens=date(2022, 1, 10),
                         closes=date(2022, 2, 28), criteria=[("Need", 1.0)], panel=panel,
                         min_scorers=1)  # fmt: skip
        set_status(rnd, "open")
        s.commit()
        rid = rnd.id
    app = create_app(db, secret_key=SECRET, today=lambda: date(2022, 2, 1))
    with serve(app) as root:
        client, token = _live_sign_in(root, BOXING, timeout=120)
        start, codes = threading.Barrier(10), []

        def apply(k: int) -> None:
            form = {"csrf_token": token, "title": f"Idea {k}", "summary": "-", "reach": "5",
                    "thematic_area": "sport", "prevention_tier": "primary", "item_0": "All",
                    "category_0": "other", "amount_0": "100"}  # fmt: skip
            start.wait()
            codes.append(client.post(f"/rounds/{rid}/apply", data=form).status_code)

        threads = [threading.Thread(target=apply, args=(k,)) for k in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        client.close()
    with Session(eng) as s:
        made = s.scalar(select(func.count()).select_from(Application).where(
            Application.round_id == rid))  # fmt: skip
    eng.dispose()
    assert made == MOST_APPLICATIONS and sorted(set(codes)) == [303, 422], (made, codes)


def test_a_forwarded_for_line_of_the_client_s_own_is_not_believed(url):  # noqa: F811
    """Behind a proxy that adds its own X-Forwarded-For line (HAProxy's forwardfor), the
    client's own line came first and was believed: rotating it defeated the per-client count."""
    from vrukit.web.guard import Guard
    from vrukit.web.portal.security import RateLimit

    limit = RateLimit(per_client=3, per_account=100, per_device=100)
    proxied = _client(url, rate_limit=limit, client=("192.0.2.1", 40000),
                      guard=Guard(trusted_proxies=("192.0.2.0/24",)))  # fmt: skip
    codes = []
    for k in range(4):  # the client's line rotates; the proxy's line names the same client
        headers = [("x-forwarded-for", f"10.7.7.{k}"), ("x-forwarded-for", "198.51.100.7")]
        email, password = f"nobody{k}@x.org", "wrong-password"
        token = _csrf_of(proxied)
        r = proxied.post("/login", data={"email": email, "password": password,
                                         "csrf_token": token},
                         headers=headers, follow_redirects=False)  # fmt: skip
        codes.append(r.status_code)
    assert codes == [401, 401, 401, 429], codes


def _csrf_of(c) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)


def test_the_api_root_names_the_openapi_document_where_it_is_served(url):  # noqa: F811
    """Issue 32, item 9: mounted at /api by vrukit serve, the root pointed at /openapi.json,
    which is 404; the document is at /api/openapi.json."""
    from fastapi.testclient import TestClient

    from test_portal_hardening import SECRET
    from vrukit.settings import get_settings
    from vrukit.web.server import portal_with_mounts

    c = TestClient(portal_with_mounts(url, get_settings(), secret=SECRET, migrate=False))
    said = c.get("/api/").json()["openapi_url"]
    assert said == "http://testserver/api/openapi.json"
    assert c.get(said.removeprefix("http://testserver")).status_code == 200


# -- the ninth probe ---------------------------------------------------------------------------


def test_a_conflict_and_a_score_sent_at_once_never_both_stand_on_postgresql(pg_round):
    """A panel member who scored and declared a conflict at the same moment kept both: the
    conflict hid the application from them while their scores still counted."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from vrukit.commissioning.models import Application, Conflict, PanelMember, Score
    from vrukit.commissioning.rounds import declare_conflict, score
    from vrukit.programme.accounts import hash_password
    from vrukit.programme.db import engine
    from vrukit.programme.models import User

    db, (first, _) = pg_round
    eng = engine(db)
    with Session(eng) as s:
        a = s.get(Application, first)
        late = User(email="late@x.org", password_hash=hash_password("a-long-password-here"),
                    role="panel")  # fmt: skip
        s.add(late)
        s.flush()
        s.add(PanelMember(round_id=a.round_id, user_id=late.id))
        s.commit()
        uid, criterion = late.id, a.round.criteria[0].id
    for attempt in range(4):

        def conflict(s, uid=uid) -> None:
            declare_conflict(s, s.get(Application, first), uid, "a trustee")

        def scored(s, uid=uid) -> None:
            a = s.get(Application, first)
            score(s, a, next(c for c in a.round.criteria if c.id == criterion), uid, 3)

        _at_once(db, conflict, scored)
        with Session(eng) as s:
            both = (s.scalar(select(func.count()).select_from(Conflict).where(
                        Conflict.user_id == uid)),
                    s.scalar(select(func.count()).select_from(Score).where(
                        Score.user_id == uid)))  # fmt: skip
            assert both[0] == 1 and both[1] == 0, (attempt, both)
            s.query(Conflict).filter(Conflict.user_id == uid).delete()
            s.commit()
    eng.dispose()


def test_two_first_returns_for_a_quarter_at_once_leave_one_current_on_postgresql(
    pg_round, tmp_path
):
    """Two uploads of a quarter's first return at once each found nothing to supersede, and
    both stayed current: the quarter counted twice in the board pack."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from vrukit.programme.db import engine
    from vrukit.programme.models import Intervention, ReturnSubmission, User
    from vrukit.programme.returns import submit_return

    db, _ = pg_round
    eng = engine(db)
    with Session(eng) as s:
        me = s.scalars(select(User).where(User.email == BOXING[0])).one()
        iv = s.scalars(select(Intervention).where(
            Intervention.provider_id == me.organisation_id)).first()  # fmt: skip
        done = set(s.scalars(select(ReturnSubmission.period).where(
            ReturnSubmission.intervention_id == iv.id)))  # fmt: skip
        ivid, org = iv.id, me.organisation_id
    periods = [q for q in _contract_quarters(db, ivid) if q not in done]
    assert len(periods) >= 2, periods
    body = tmp_path / "r.csv"
    body.write_text(GOOD)
    for period in periods[:2]:

        def upload(s, period=period) -> None:
            submit_return(s, s.get(Intervention, ivid), period, body, organisation_id=org)

        assert _at_once(db, upload, upload) == ["ok", "ok"]  # the second supersedes the first
        with Session(eng) as s:
            subs = s.scalars(select(ReturnSubmission).where(
                ReturnSubmission.intervention_id == ivid,
                ReturnSubmission.period == period)).all()  # fmt: skip
            replaced = {x.supersedes_id for x in subs}
            current = [x for x in subs if x.id not in replaced]
            assert len(subs) == 2 and len(current) == 1, period
    eng.dispose()


def test_a_number_a_return_cannot_hold_is_refused_and_the_board_pack_survives_bad_data():
    """1e308 in a spend column made every board pack fail (404); "1_000" and other scripts'
    digits passed as numbers."""
    from vrukit.programme.returns import _parse
    from vrukit.publish.board_pack import pounds

    for bad in ("1e308", "1e16", "1_000", "\u0661\u0662", "inf", "nan", "--1", "1e"):
        with pytest.raises(ValueError):
            _parse("number", bad)
    assert _parse("number", "12.5") == 12.5 and _parse("integer", "1e3") == 1000
    assert _parse("number", "-.5") == -0.5
    assert pounds(float("inf")) == "not a number" and pounds(1234.4) == "£1,234"


def test_a_spend_return_of_an_unheld_number_is_refused(url):  # noqa: F811
    c = _client(url)
    token = _sign_in(c, ADMIN)
    body = b"intervention,quarter,amount,category,note\nResettlement,2022-Q1,1e308,,\n"
    r = c.post("/spend/upload", data={"csrf_token": token},
               files={"file": ("spend.csv", body, "text/csv")})  # fmt: skip
    assert r.status_code == 422 and "1e308" in r.text


@pytest.mark.parametrize("days", [-1e15, 1e15])
def test_a_duration_cell_the_reader_cannot_convert_is_a_422(url, days):  # noqa: F811
    """A 1.6 KB workbook with a duration of -1e15 days made the workbook reader panic (500);
    1e15 days overflowed (shown as "no such page")."""
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["A2"] = "participant_ref", days
    ws["A2"].number_format = "[h]:mm:ss"
    buf = io.BytesIO()
    wb.save(buf)
    iid = _own_intervention(url)
    c = _client(url)
    token = _sign_in(c, BOXING)
    r = _upload(c, token, iid, "r.xlsx", buf.getvalue(), _contract_quarters(url, iid)[0])
    assert r.status_code == 422 and "r.xlsx" in r.text, (r.status_code, r.text[-300:])


def test_the_same_person_referred_twice_at_once_is_flagged_on_postgresql(request, tmp_path):
    """The tenth probe: two referrals of one young person sent at the same moment (a double
    click, two colleagues) each found no earlier one, so neither was flagged as a possible
    duplicate; one after the other, the second is."""
    from datetime import datetime

    from sqlalchemy import select

    from test_referrals import _refer, _tiny
    from vrukit.programme.db import session
    from vrukit.referrals.models import Referral

    db = _pg_database(request)
    keyring = _tiny(db, tmp_path)
    now = datetime(2022, 3, 1, 9, 0)
    for attempt in range(3):
        refer = lambda s, k=attempt: _refer(s, keyring, now, family_name=f"Quartermaine{k}")  # noqa: E731
        assert _at_once(db, refer, refer) == ["ok", "ok"]
        with session(db) as s:
            pair = s.scalars(select(Referral).order_by(Referral.id.desc()).limit(2)).all()
            flagged = [r for r in pair if r.duplicate_of_id is not None]
            assert len(flagged) == 1 and flagged[0].duplicate_status == "pending", attempt


def test_two_admins_removing_each_other_at_once_leave_one_on_postgresql(pg_round):
    """The tenth probe: each of two admins removed the other's admin role at the same moment,
    and the store was left with no admin (4 of 4 tries)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from conftest import serve
    from test_portal_hardening import SECRET, _live_sign_in
    from vrukit.programme.accounts import hash_password
    from vrukit.programme.db import engine
    from vrukit.programme.models import User
    from vrukit.web.portal.app import create_app

    db, _ = pg_round
    eng = engine(db)
    second = ("admin-2@demo.vru", "another-admin-password")
    with Session(eng) as s:
        s.add(User(email=second[0], password_hash=hash_password(second[1]), role="admin"))
        s.commit()
        ids = {u.email: u.id for u in s.scalars(select(User).where(User.role == "admin"))}
    with serve(create_app(db, secret_key=SECRET)) as root:
        a, a_token = _live_sign_in(root, ADMIN)
        b, b_token = _live_sign_in(root, second)
        start, codes = threading.Barrier(2), []

        def demote(client, token, whom) -> None:
            form = {"csrf_token": token, "role": "analyst", "active": "yes"}
            start.wait()
            r = client.post(f"/admin/users/{ids[whom]}", data=form)
            # refused: 403 when it reached the check, or signed out (to /login) when the other
            # demotion, committed first, had already ended its session
            refused = r.status_code == 403 or r.headers.get("location", "").endswith("/login")
            codes.append(403 if refused else r.status_code)

        threads = [threading.Thread(target=demote, args=(a, a_token, second[0])),
                   threading.Thread(target=demote, args=(b, b_token, ADMIN[0]))]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        a.close()
        b.close()
    with Session(eng) as s:
        admins = s.scalars(select(User).where(User.role == "admin", User.active.is_(True))).all()
    eng.dispose()
    assert len(admins) == 1 and sorted(codes) == [303, 403], (codes, [u.email for u in admins])


def test_rows_deleted_twice_at_once_are_a_409_not_a_500(url):  # noqa: F811
    """The tenth probe: two editors saving an intervention's partners at once on PostgreSQL
    gave 500 (StaleDataError: the second delete found the rows gone). Any such error is now the
    409 an identical change at once gets."""
    from fastapi.testclient import TestClient
    from sqlalchemy.orm.exc import StaleDataError

    from test_portal_hardening import SECRET
    from vrukit.web.portal.app import create_app

    app = create_app(url, secret_key=SECRET)

    def gone() -> None:
        raise StaleDataError("DELETE statement on table 'intervention_provider' expected to "
                             "delete 2 row(s); Only 0 were matched.")  # fmt: skip

    app.add_api_route("/probe-stale", gone)
    r = TestClient(app, raise_server_exceptions=False).get("/probe-stale")
    assert r.status_code == 409 and "a moment ago" in r.text
