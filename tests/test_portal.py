"""The portal: every role signs in and calls every route; a provider can neither read nor write
another provider's data through any of them; CSRF, the sign-in rate limit, upload refusal with
row and column (nothing stored) and the audit trail."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vrukit.demo.programme import write_programme
from vrukit.pipeline import load_programme
from vrukit.portal.app import ROUTES, create_app
from vrukit.portal.demo import DEMO_LOGINS
from vrukit.portal.security import RateLimit
from vrukit.programme.db import engine
from vrukit.programme.models import AuditEvent, Intervention, ReturnSubmission, User

PILOTS = [
    {"name": n, "start_month": "2020-10", "areas": [f"E0190000{k}{j}" for j in range(3)]}
    for k, n in enumerate(("Redwater Central", "Northbrook Fields", "Eastford Canalside"))
]
GOOD = (
    "participant_ref,age,referred_by,engaged,sessions_attended,completed\n"
    "P9001,15,school,yes,4,no\nP9002,16,police,no,0,no\n"
)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("portal")
    files = write_programme(folder / "demo", 2021, PILOTS)
    url = f"sqlite:///{folder / 'programme.sqlite'}"
    load_programme(url, files.folder)
    eng = engine(url)
    with Session(eng) as s:
        ids = {}
        for _role, email, _, org in DEMO_LOGINS:
            u = s.scalars(select(User).where(User.email == email)).one()
            ivs = (
                s.scalars(
                    select(Intervention).where(Intervention.provider_id == u.organisation_id)
                ).all()
                if org
                else []
            )
            sub = (
                s.scalars(
                    select(ReturnSubmission).where(ReturnSubmission.intervention_id == ivs[0].id)
                ).first()
                if ivs
                else None
            )
            ids[email] = (ivs[0].id if ivs else None, sub.id if sub else None)
    eng.dispose()
    return url, ids


def _client(url: str, limit: RateLimit | None = None) -> TestClient:
    return TestClient(create_app(url, secret_key="test", rate_limit=limit))


def _csrf(client: TestClient, path: str = "/login") -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert m, f"no CSRF token on {path}"
    return m.group(1)


def _sign_in(client: TestClient, email: str, password: str) -> None:
    r = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": _csrf(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def _counts(url: str) -> tuple[int, int]:
    eng = engine(url)
    with Session(eng) as s:
        out = (
            s.scalar(select(func.count()).select_from(ReturnSubmission)) or 0,
            s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )
    eng.dispose()
    return out


def _call(client, method, path, token, iid, rid, fmt="csv"):
    p = path.format(iid=iid, rid=rid, fmt=fmt)
    if method == "GET":
        return client.get(p, follow_redirects=False)
    data = {"csrf_token": token}
    files = None
    if p.endswith("/returns"):
        data["period"] = "2022-Q1"
        files = {"file": ("r.csv", GOOD.encode(), "text/csv")}
    if p == "/admin/users":
        data |= {"email": "new@x.org", "password": "long-enough-password", "role": "analyst"}
    if p == "/login":
        return client.get("/login")
    return client.post(p, data=data, files=files, follow_redirects=False)


EXPECTED = {  # role -> (path, status) where not 200
    "admin": {"/logout": 303, "/interventions/{iid}/returns": 303, "/admin/users POST": 303},
    "commissioner": {
        "/logout": 303,
        "/interventions/{iid}/returns": 303,
        "/admin/users": 403,
        "/admin/users POST": 403,
        "/audit": 403,
    },
    "analyst": {
        "/logout": 303,
        "/interventions/{iid}/returns": 403,
        "/admin/users": 403,
        "/admin/users POST": 403,
        "/audit": 403,
    },
    "provider": {
        "/logout": 303,
        "/interventions/{iid}/returns": 303,
        "/admin/users": 403,
        "/admin/users POST": 403,
        "/audit": 403,
    },
}


def test_every_role_calls_every_route(store):
    url, ids = store
    own_iid, own_rid = ids["boxing@demo.vru"]
    for role, email, password, _ in DEMO_LOGINS[:4]:
        client = _client(url)
        _sign_in(client, email, password)
        token = _csrf(client, "/")
        for method, path in ROUTES:
            if path == "/logout":
                continue
            key = path + (" POST" if method == "POST" and path == "/admin/users" else "")
            r = _call(client, method, path, token, own_iid, own_rid)
            want = EXPECTED[role].get(key, 200)
            assert r.status_code == want, (role, method, path, r.status_code, r.text[:300])
        assert _call(client, "POST", "/logout", token, own_iid, own_rid).status_code == 303
        assert client.get("/", follow_redirects=False).status_code == 303  # signed out


def test_a_provider_cannot_reach_another_providers_data(store):
    url, ids = store
    mine_iid, mine_rid = ids["boxing@demo.vru"]
    other_iid, other_rid = ids["ae@demo.vru"]
    client = _client(url)
    _sign_in(client, "boxing@demo.vru", "demo-provider-password")
    token = _csrf(client, "/")
    before = _counts(url)
    for method, path in ROUTES:
        if "{iid}" in path or "{rid}" in path:
            for fmt in ("csv", "xlsx"):
                r = _call(client, method, path, token, other_iid, other_rid, fmt)
                assert r.status_code == 404, (method, path, r.status_code)
                assert "Kingsmere" not in r.text
    assert _counts(url) == before, "nothing was written"
    # lists show only the provider's own interventions and returns
    for page in ("/", "/interventions", "/returns"):
        text = client.get(page).text
        assert "Teachable Moments in A&amp;E" not in text and "Sports Diversion" in text
    assert client.get(f"/returns/{mine_rid}").status_code == 200
    assert client.get(f"/interventions/{mine_iid}").status_code == 200
    download = client.get(f"/interventions/{mine_iid}/template.csv")
    assert download.text.startswith("participant_ref,age,referred_by")
    assert "attachment" in download.headers["content-disposition"]


def test_forms_need_the_csrf_token(store):
    url, _ = store
    client = _client(url)
    r = client.post("/login", data={"email": "admin@demo.vru", "password": "demo-admin-password"})
    assert r.status_code == 403
    _sign_in(client, "admin@demo.vru", "demo-admin-password")
    r = client.post(
        "/admin/users",
        data={"email": "a@b.c", "password": "x" * 12, "role": "analyst", "csrf_token": "forged"},
    )
    assert r.status_code == 403


def test_sign_in_is_rate_limited(store):
    url, _ = store
    client = _client(url, RateLimit(attempts=5, window=60))
    for _ in range(5):
        r = client.post(
            "/login",
            data={"email": "analyst@demo.vru", "password": "wrong", "csrf_token": _csrf(client)},
        )
        assert r.status_code == 401
    r = client.post(
        "/login",
        data={
            "email": "analyst@demo.vru",
            "password": "demo-analyst-password",
            "csrf_token": _csrf(client),
        },
    )
    assert r.status_code == 429


def test_uploads_are_refused_with_row_and_column_or_stored_and_audited(store):
    url, ids = store
    iid, _ = ids["boxing@demo.vru"]
    client = _client(url)
    _sign_in(client, "boxing@demo.vru", "demo-provider-password")
    token = _csrf(client, "/")
    before = _counts(url)
    bad = GOOD.replace("P9002,16,police", "P9002,sixteen,police")
    r = client.post(
        f"/interventions/{iid}/returns",
        data={"csrf_token": token, "period": "2022-Q1"},
        files={"file": ("bad.csv", bad.encode(), "text/csv")},
    )
    assert r.status_code == 422
    assert "<td>3</td><td>age</td>" in r.text and "Nothing was stored" in r.text
    assert _counts(url) == before
    r = client.post(
        f"/interventions/{iid}/returns",
        data={"csrf_token": token, "period": "2022-Q1"},
        files={"file": ("good.csv", GOOD.encode(), "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    subs, events = _counts(url)
    assert (subs, events) == (before[0] + 1, before[1] + 1)
    eng = engine(url)
    with Session(eng) as s:
        e = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert e is not None and e.action == "submit" and e.after["rows"] == 2
        assert s.get(User, e.user_id).email == "boxing@demo.vru"
    eng.dispose()
