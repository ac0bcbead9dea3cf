"""The eleventh probe of the running portal (issue 29): an award dated "0202" took every board
pack and the spend page down for good; the Open Referral API published verifiers' sign-ins;
and eight Lows - device cookies that outlived a password change and multiplied guesses, files
attached past the limit at once on PostgreSQL, referral steps recording anything at any size,
sealed details of any length, a 413 without the security headers, full-width formulas in CSV
exports, unchecked ages, and invisible characters in names."""

from __future__ import annotations

import html
import re
import threading
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from test_portal_eighth_probe import _at_once, _pg_database, pg_round  # noqa: F401
from test_portal_hardening import (  # noqa: F401  (base and url are the module's fixtures)
    ADMIN,
    BOXING,
    COMMISSIONER,
    _client,
    _csrf,
    _login,
    _own_intervention,
    _sign_in,
    base,
    url,
)
from vrukit.csvio import neutralise
from vrukit.errors import ConfigError
from vrukit.programme.db import engine

# -- M1: dates a board pack cannot survive --------------------------------------------------------


def test_an_award_dated_before_1990_or_ending_before_it_starts_is_refused(pg_round):  # noqa: F811
    from vrukit.commissioning.awards import award
    from vrukit.commissioning.models import Application

    db, (aid, _) = pg_round
    for start, end in ((date(202, 4, 1), date(203, 3, 31)), (date(2022, 4, 1), date(2021, 3, 31)),
                       (date(2022, 4, 1), date(9999, 3, 31))):  # fmt: skip
        with Session(engine(db)) as s, pytest.raises(ConfigError, match="from 1990 to 2099"):
            award(s, s.get(Application, aid), None, amount=1000, start=start, end=end)


@pytest.mark.parametrize(
    ("path", "form", "field"),
    [
        (
            "/plan/actions",
            {"objective": "1", "title": "x", "owner": "y", "due": "0202-06-30"},
            "Due",
        ),
        ("/payments/{pid}/paid", {"paid_on": "9999-01-01"}, "Paid on"),
        (
            "/registry/places",
            {"name": "Old place", "start_date": "0202-01-01", "areas": "E01000001"},
            "Start date",
        ),
    ],
)
def test_a_date_outside_1990_to_2099_is_a_422_naming_the_field(url, path, form, field):  # noqa: F811
    from vrukit.commissioning.models import Payment

    with Session(engine(url)) as s:
        pid = s.scalars(select(Payment.id)).first()
    c = _client(url)
    token = _sign_in(c, ADMIN)
    target = path.format(pid=pid, iid=_own_intervention(url))
    r = c.post(target, data={"csrf_token": token, **form}, follow_redirects=False)
    assert r.status_code == 422 and f"{field}: " in r.text and "1990 to 2099" in r.text
    assert c.get("/spend").status_code == 200
    assert c.get("/board-pack/2021-Q4.html").status_code == 200


def test_an_application_s_ages_are_refused_when_they_are_not_ages(pg_round):  # noqa: F811
    from vrukit.web.portal.applications import _application_values

    with pytest.raises(Exception, match="is not an age, 0 to 120") as e:
        _application_values(None, None, {"reach": "10", "age_min": "-5", "age_max": "16"})
    assert getattr(e.value, "status_code", None) == 422
    with pytest.raises(Exception, match="is not an age, 0 to 120"):
        _application_values(None, None, {"reach": "10", "age_min": "11", "age_max": "99999"})


# -- M2: the API publishes no sign-in --------------------------------------------------------------


def test_a_verification_publishes_no_verifier_s_sign_in(url):  # noqa: F811
    from vrukit.web.open_referral import create_directory_app

    verifier = _client(url)
    token = _sign_in(verifier, ("network@demo.vru", "demo-network-password"))
    r = verifier.post("/directory/services/svc-2/verify", data={"csrf_token": token},
                      follow_redirects=False)  # fmt: skip
    assert r.status_code in (200, 303)
    api = TestClient(create_directory_app(url, migrate=False))
    listed = api.get("/services", params={"per_page": 50}).text
    assert "@demo.vru" not in listed
    assert api.get("/services/svc-2").json()["assured_date"] is not None
    with Session(engine(url)) as s:  # who verified it stays in the audit trail
        who = s.execute(text("SELECT u.email FROM audit_event a JOIN app_user u ON u.id = a.user_id"
                             " WHERE a.row_key = 'svc-2' ORDER BY a.id DESC")).first()  # fmt: skip
    assert who is not None and who[0] == "network@demo.vru"


def test_the_migration_takes_verifiers_sign_ins_out_of_listings(tmp_path):
    from vrukit.programme.db import upgrade

    db = f"sqlite:///{tmp_path / 'old.sqlite'}"
    upgrade(db, "0011")
    from vrukit.directory.models import DirOrganization, DirService
    from vrukit.programme.models import User

    eng = engine(db)
    with Session(eng) as s:  # the directory's and users' tables are as they were at 0011
        s.add(User(email="verifier@x.org", password_hash="h", role="admin"))
        when = datetime(2022, 1, 1)
        s.add(DirOrganization(id="o1", name="Org", description="-", last_modified=when))
        s.flush()
        for sid, who in (("s1", "verifier@x.org"), ("s2", "listings@council.gov.uk")):
            s.add(DirService(id=sid, organization_id="o1", name="Svc", status="active",
                             assurer_email=who, last_modified=when))  # fmt: skip
        s.commit()
    eng.dispose()
    upgrade(db)
    with engine(db).connect() as c:
        kept = dict(c.execute(text("SELECT id, assurer_email FROM dir_service")).all())
    assert kept == {"s1": None, "s2": "listings@council.gov.uk"}


# -- L1: device cookies -------------------------------------------------------------------------


def test_a_new_password_makes_every_earlier_browser_a_stranger(url):  # noqa: F811
    owner = _client(url)
    _sign_in(owner, BOXING)
    old_cookie = owner.cookies.get("vrukit_device")
    assert old_cookie
    token = _csrf(owner, "/account/password")
    r = owner.post("/account/password", data={"csrf_token": token, "current": BOXING[1],
                                              "new": "a-brand-new-password-1"})  # fmt: skip
    assert r.status_code in (200, 303)
    app_state = owner.app.state  # type: ignore[attr-defined]
    with Session(engine(url)) as s:
        from vrukit.programme.models import User

        new_hash = s.scalars(select(User.password_hash).where(User.email == BOXING[0])).one()
    assert app_state.devices.known(old_cookie, BOXING[0], new_hash) is None
    # the old browser's wrong guesses now count against the account, as a stranger's do
    thief = _client(url, client=("198.51.100.7", 40000))
    thief.cookies.set("vrukit_device", old_cookie)
    codes = [_login(thief, (BOXING[0], f"guess-{k}")).status_code for k in range(7)]
    assert codes[-1] == 429 and codes.count(401) == 5


def test_many_known_browsers_share_one_budget_of_guesses(url):  # noqa: F811
    from vrukit.web.portal.security import RateLimit

    limit = RateLimit()
    cookies = []
    for _ in range(4):  # the owner signed in on four browsers
        c = _client(url)
        _sign_in(c, BOXING)
        cookies.append(c.cookies.get("vrukit_device"))
    codes = []
    for k in range(limit.per_account_devices + 4):
        c = _client(url)
        c.cookies.set("vrukit_device", cookies[k % 4])
        codes.append(_login(c, (BOXING[0], f"guess-{k}")).status_code)
    assert codes.count(401) == limit.per_account_devices and codes[-1] == 429


# -- L2: attachments at once on PostgreSQL -------------------------------------------------------


def test_files_attached_at_once_keep_to_the_limit_on_postgresql(request, tmp_path):
    from conftest import PILOTS
    from test_commissioning_portal import SECRET, _user
    from vrukit.commissioning.models import Attachment
    from vrukit.commissioning.rounds import open_round, record_application, set_status
    from vrukit.demo.commissioning import write_programme_year
    from vrukit.jobs.demo import load_programme
    from vrukit.web.portal.app import create_app
    from vrukit.web.portal.applications import MOST_ATTACHMENTS

    db = _pg_database(request)
    load_programme(db, write_programme_year(tmp_path / "demo", 2021, PILOTS).folder)
    with Session(engine(db)) as s:
        rnd = open_round(s, name="Files fund", fund="F", budget=9_000, opens=date(2022, 1, 10),
                         closes=date(2022, 2, 28), criteria=[("Need", 1.0)],
                         panel=[_user(s, "commissioner@demo.vru").id], min_scorers=1)  # fmt: skip
        set_status(rnd, "open")
        a = record_application(
            s,
            rnd,
            _user(s, BOXING[0]).organisation_id,
            title="Files",
            summary="-",
            reach=5,
            thematic_area="sport",
            prevention_tier="primary",
            yef_strand=None,
            budget=[("All", "other", 100.0)],
            answers={},
            ages=(11, 16),
        )
        s.commit()
        aid = a.id
    app = create_app(db, secret_key=SECRET, today=lambda: date(2022, 2, 1), migrate=False)
    clients = []
    for _ in range(MOST_ATTACHMENTS + 5):
        c = TestClient(app)
        clients.append((c, _sign_in(c, BOXING)))
    start = threading.Barrier(len(clients))
    codes: list[int] = []

    def send(c: TestClient, token: str) -> None:
        start.wait()
        r = c.post(f"/applications/{aid}/attachments", data={"csrf_token": token},
                   files={"file": ("f.pdf", b"%PDF-1.4 x", "application/pdf")},
                   follow_redirects=False)  # fmt: skip
        codes.append(r.status_code)

    threads = [threading.Thread(target=send, args=pair) for pair in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    with Session(engine(db)) as s:
        held = len(s.scalars(select(Attachment.id).where(Attachment.application_id == aid)).all())
    assert held == MOST_ATTACHMENTS and sorted(set(codes)) == [303, 422], codes


# -- L3 and L4: what a referral takes -----------------------------------------------------------


def test_a_referral_step_records_what_its_pathway_asks_and_no_more(demo_region, tmp_path):
    import shutil

    from vrukit.referrals.crypto import Keyring
    from vrukit.referrals.models import Referral
    from vrukit.web.portal.app import create_app

    shutil.copy(demo_region.folder / "programme.sqlite", tmp_path / "p.sqlite")
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    from vrukit.programme.models import User

    with Session(engine(db)) as s:  # an accepted referral whose receiver has a demo sign-in
        rid, email = s.execute(
            select(Referral.id, User.email)
            .join(User, User.organisation_id == Referral.receiving_org_id)
            .where(Referral.status == "accepted", User.email.like("%@demo.vru"))
            .order_by(Referral.id)
        ).first()
    c = TestClient(
        create_app(
            db,
            secret_key="a-test-session-secret-of-forty-characters!",
            referral_key=Keyring.from_file(demo_region.folder / "referral.key"),
        )
    )
    from vrukit.programme.accounts import DEMO_LOGINS

    token = _sign_in(c, (email, {e: p for _, e, p, _ in DEMO_LOGINS}[email]))
    step = {"csrf_token": token, "status": "contacted", "data.contact_method": "phone"}
    r = c.post(f"/referrals/{rid}/status", data={**step, "data.blob": "x" * 1000})
    assert r.status_code == 422 and "records no 'blob'" in html.unescape(r.text)
    r = c.post(f"/referrals/{rid}/status", data={**step, "data.contact_method": "p" * 501})
    assert r.status_code == 422 and "too long" in r.text
    r = c.post(f"/referrals/{rid}/status", data=step, follow_redirects=False)
    assert r.status_code == 303


def test_sealed_details_have_a_length_limit():
    from vrukit.referrals import intake

    identity = {"given_name": "A" * 900_000, "family_name": "B", "date_of_birth": "2008-01-01"}
    details, role = intake.clean(identity, "sergeant")
    wrong = intake.problems(details, role, 14, "male", [], (None, None), "Sports diversion", [],
                            datetime(2022, 5, 16))  # fmt: skip
    assert wrong == ["Given name is longer than 100 characters"]


# -- L5, L6, L8 ---------------------------------------------------------------------------------


def test_a_413_for_a_declared_body_over_the_limit_carries_the_security_headers(url):  # noqa: F811
    c = _client(url)
    token = _csrf(c)
    headers = {"content-length": str(200 * 1024 * 1024),
               "content-type": "application/x-www-form-urlencoded"}  # fmt: skip
    r = c.post("/login", content=b"csrf_token=" + token.encode(), headers=headers)
    assert r.status_code == 413
    assert "content-security-policy" in r.headers and r.headers["x-content-type-options"]


@pytest.mark.parametrize(
    "cell",
    [
        "＝1+1",
        "＋1",
        "－1",
        "＠SUM(A1)",
        "\u200b=1",
        "\ufeff+1",
        '\u202e=HYPERLINK("x")',
        "ok;\u200b＝1",
    ],
)
def test_full_width_and_hidden_formula_starts_are_neutralised(cell):
    out = neutralise(cell)
    assert out != cell and ("'" in out)
    assert not re.match(r"^[\u200b\ufeff\u202e]*[=+\-@＝＋－＠]", out)


def test_a_name_with_an_invisible_character_is_the_same_name(url):  # noqa: F811
    c = _client(url)
    token = _sign_in(c, ADMIN)
    r = c.post("/registry/organisations", data={"csrf_token": token, "kind": "provider",
                                                "name": "Eastford Boxing Club\u200b"})  # fmt: skip
    assert r.status_code == 422 and "already" in r.text
    r = c.post("/registry/organisations", follow_redirects=False, data={
        "csrf_token": token, "kind": "provider", "name": "\u202eNew Club\u2066"})  # fmt: skip
    assert r.status_code == 303
    with Session(engine(url)) as s:
        from vrukit.programme.models import Organisation

        assert s.scalars(select(Organisation).where(Organisation.name == "New Club")).one()
    assert COMMISSIONER  # the module's sign-ins are shared with the hardening tests


def test_a_referrer_s_role_has_a_length_limit(demo_region, tmp_path):
    """The twelfth probe: the rest of L4, a 900,000-character referrer's role was taken."""
    import shutil
    from datetime import datetime

    from vrukit.referrals.crypto import Keyring
    from vrukit.referrals.models import Pathway
    from vrukit.referrals.workflow import NotAllowed, create_referral

    shutil.copy(demo_region.folder / "programme.sqlite", tmp_path / "p.sqlite")
    keyring = Keyring.from_file(demo_region.folder / "referral.key")
    with Session(engine(f"sqlite:///{tmp_path / 'p.sqlite'}")) as s:
        pathway = s.scalars(select(Pathway).where(Pathway.key == "sports")).one()
        args = {"pathway": pathway, "referring_org_id": pathway.provider_id, "age": 14,
                "identity": {"given_name": "A", "family_name": "B", "date_of_birth": "2008-01-01"},
                "sex": "female", "needs": [], "consent_given": True,
                "at": datetime(2022, 5, 16, 12)}  # fmt: skip
        with pytest.raises(NotAllowed, match="longer than 100 characters"):
            create_referral(s, keyring, referrer_role="r" * 900_000, **args)
        assert create_referral(s, keyring, referrer_role="youth worker", **args) is not None
