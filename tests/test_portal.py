"""The portal: every role signs in and calls every route; a provider can neither read nor write
another provider's data through any of them; CSRF, the sign-in rate limit, upload refusal with
row and column (nothing stored) and the audit trail."""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from conftest import add_listings, small_programme
from vrukit.directory.models import DirEdit, DirService
from vrukit.programme.accounts import DEMO_LOGINS
from vrukit.programme.db import engine
from vrukit.programme.models import (
    AuditEvent,
    Intervention,
    Place,
    PlaceEvaluation,
    ReturnSubmission,
    ReturnTemplate,
    SignInFailure,
    User,
)
from vrukit.web.open_referral import create_directory_app
from vrukit.web.portal import (
    applications,
    governance,
    incidents,
    partnerships,
    referrals,
    rounds,
    voice,
)
from vrukit.web.portal.app import ROUTERS, ROUTES, create_app
from vrukit.web.portal.security import RateLimit

GOOD = (
    "participant_ref,age,referred_by,engaged,sessions_attended,completed\n"
    "P9001,15,school,yes,4,no\nP9002,16,police,no,0,no\n"
)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    url = small_programme(tmp_path_factory.mktemp("portal"))
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
        place = s.scalars(select(Place)).first()
        ev = PlaceEvaluation(
            place_id=place.id, design="did", effect=-0.25, low=-0.3, high=-0.2, p=0.01,
            sms_level=3, run_at=datetime(2022, 6, 1),
            detail={"start": "2020-10", "event_study": [
                {"quarter": q, "effect": e, "low": e - 0.1, "high": e + 0.1}
                for q, e in ((-2, 0.02), (-1, 0.0), (0, -0.2), (1, -0.3))]},
        )  # fmt: skip
        s.add(ev)
        s.commit()
        ids["eid"] = ev.id
        spare = User(email="spare@demo.vru", password_hash="-", role="analyst")
        s.add(spare)
        s.commit()
        ids["uid"] = spare.id
        ids["sid"], ids["did"] = "svc-1", add_listings(s, tmp_path_factory.mktemp("listings"))
        own = ids["boxing@demo.vru"][0]
        fields = s.scalars(select(ReturnTemplate).where(ReturnTemplate.intervention_id == own)
                           .order_by(ReturnTemplate.version.desc())).first().fields  # fmt: skip
        TEMPLATE_FORM.clear()
        for k, f in enumerate(fields):
            TEMPLATE_FORM.update({f"name_{k}": f["name"], f"type_{k}": f["type"],
                                  f"label_{k}": f.get("label", f["name"]),
                                  f"allowed_{k}": "; ".join(f.get("allowed", []))})  # fmt: skip
            TEMPLATE_FORM.update(
                {f"{b}_{k}": str(f[b]) for b in ("min", "max") if f.get(b) is not None}
            )
            if f.get("required", True):
                TEMPLATE_FORM[f"required_{k}"] = "yes"
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


TRAINING = (
    "participant_ref,organisation,trained_on,reached_per_week,statement,pre,post\n"
    "Q1,school,2021-05-01,12,I feel confident,2,4\nQ2,police,2021-05-01,,I feel confident,3,\n"
)
EDIT = {"thematic_area": "sport", "prevention_tier": "secondary", "setting": "community",
        "yef_strand": "Sports programmes", "yef_impact": "moderate", "funding": "90000",
        "contract_start": "2020-04-01", "contract_end": "2022-03-31"}  # fmt: skip


def _call(client, method, path, token, iid, rid, fmt="csv", ids=None):
    ids = ids or {}
    p = path.format(iid=iid, rid=rid, fmt=fmt, uid=ids.get("uid"), eid=ids.get("eid"),
                    sid=ids.get("sid"), did=ids.get("did"))  # fmt: skip
    if method == "GET":
        return client.get(p, follow_redirects=False)
    data = {"csrf_token": token}
    files = None
    if p.endswith("/returns"):
        data["period"] = "2022-Q1"
        files = {"file": ("r.csv", GOOD.encode(), "text/csv")}
    if p.endswith("/returns/form"):
        row = GOOD.splitlines()[1].split(",")
        data |= {"period": "2022-Q1", "rows": "1"}
        data |= {f"r0.{k}": v for k, v in zip(GOOD.splitlines()[0].split(","), row, strict=True)}
    if p.endswith("/training"):
        files = {"file": ("t.csv", TRAINING.encode(), "text/csv")}
    if p == "/login":
        return client.get("/login")
    return client.post(p, data=data | _edits(p), files=files, follow_redirects=False)


def _edits(p: str) -> dict[str, str]:
    """What an edit form sends to ``p``."""
    if p.endswith("/edit"):
        return EDIT
    if p.startswith("/directory/services/") and not p.endswith("/verify"):
        return LISTING_EDIT
    if p.startswith("/directory/edits/"):
        return {"decision": "approve"}
    if p == "/admin/users":
        return {"email": "new@x.org", "password": "long-enough-password", "role": "analyst"}
    if p.startswith("/admin/users/"):
        return {"role": "commissioner", "active": "yes"}
    if p == "/account/password":  # a wrong current password: refused, the sign-in kept
        return {"current": "not-my-password", "new": "a-new-long-password"}
    return _set_up_form(p, next(_UNIQUE))


def _set_up_form(p: str, n: int) -> dict[str, str]:
    """What the programme set-up forms send to ``p`` (names made unique by ``n``)."""
    forms = {
        "/registry/organisations": {"name": f"Organisation {n}", "kind": "provider"},
        "/registry/places": {"name": f"Place {n}", "start_date": "2021-04-01",
                             "areas": "E01000001 E01000002"},
        "/interventions/new": {"name": f"Intervention {n}", "provider_id": "1", "partners": "2",
                               "thematic_area": "sport", "prevention_tier": "secondary",
                               "contract_start": "2022-01-01"},
        "/providers": {},  # no partners: other tests count on who sees the boxing club
        "/theory": {"stage": "activity", "text": "Weekly sessions", "indicator": "Sessions",
                    "target": "10"},
        "/template": TEMPLATE_FORM,  # the fields it has: the returns posted after it still fit
    }  # fmt: skip
    return next((form for end, form in forms.items() if p.endswith(end)), {})


_UNIQUE = itertools.count()
#: The boxing club's template as the set-up form sends it (filled in by the ``store`` fixture).
TEMPLATE_FORM: dict[str, str] = {}


LISTING_EDIT = {"name": "Eastford Boxing", "description": "Boxing for 11 to 18s.",
                "status": "active", "minimum_age": "11", "maximum_age": "18"}  # fmt: skip
PROPOSE = {"/directory/services/{sid} POST": 303}
VERIFY = {"/directory/services/{sid}/verify": 403, "/directory/edits/{did}": 403}
SUBMIT = {"/interventions/{iid}/returns": 303, "/interventions/{iid}/returns/form": 303}
ADMIN_ONLY = {"/admin/users": 403, "/admin/users POST": 403, "/admin/users/{uid}": 403,
              "/audit": 403}  # fmt: skip
EDITS = {"/interventions/{iid}/edit": 403, "/interventions/{iid}/edit POST": 403}
READS = {"/evaluation": 403, "/evaluation/charts/{eid}.svg": 403}
PASSWORD = {"/account/password POST": 403}
SET_UP = {"/registry/organisations": 303, "/registry/places": 303, "/interventions/new POST": 303,
          "/interventions/{iid}/providers": 303, "/interventions/{iid}/theory": 303,
          "/interventions/{iid}/template": 303}  # fmt: skip
NO_SET_UP = {**dict.fromkeys(SET_UP, 403), "/registry": 403, "/interventions/new": 403,
             "/interventions/{iid}/setup": 403}  # fmt: skip
EXPECTED = {  # role -> (path, status) where not 200
    "admin": {
        **PASSWORD,
        **SET_UP,
        "/logout": 303,
        **SUBMIT,
        "/admin/users POST": 303,
        "/admin/users/{uid}": 303,
        "/interventions/{iid}/edit POST": 303,
        **PROPOSE,
        **dict.fromkeys(VERIFY, 303),
    },
    "commissioner": {
        **PASSWORD,
        **SET_UP,
        "/logout": 303,
        **SUBMIT,
        **ADMIN_ONLY,
        "/interventions/{iid}/edit POST": 303,
        **PROPOSE,
        **VERIFY,
    },
    "analyst": {
        **PASSWORD,
        **NO_SET_UP,
        "/logout": 303,
        **ADMIN_ONLY,
        **EDITS,
        **PROPOSE,
        **VERIFY,
        **dict.fromkeys(SUBMIT, 403),
        "/interventions/{iid}/returns/new": 403,
        "/interventions/{iid}/training": 403,
    },
    "provider": {
        "/logout": 303,
        **PASSWORD,
        **NO_SET_UP,
        **SUBMIT,
        **ADMIN_ONLY,
        **EDITS,
        **READS,
        **PROPOSE,
        **VERIFY,
    },
}


#: The programme and directory routes; the referral, funding-round and governance routes have
#: their own tests (test_referrals, test_commissioning_portal); so do the partnership and
#: incident routes (test_partnerships) and the survey and youth panel routes (test_voice).
OWN_TESTS = (*referrals.ROUTES, *rounds.ROUTES, *applications.ROUTES, *governance.ROUTES,
             *partnerships.ROUTES, *incidents.ROUTES, *voice.ROUTES)  # fmt: skip
PROGRAMME_ROUTES = [r for r in ROUTES if r not in OWN_TESTS]


def test_the_access_test_covers_every_route():
    served = {(m, r.path) for router in ROUTERS for r in router.routes for m in r.methods}
    assert served == set(ROUTES)


def test_every_role_calls_every_route(store):
    url, ids = store
    own_iid, own_rid = ids["boxing@demo.vru"]
    for role, email, password, _ in DEMO_LOGINS[:4]:
        client = _client(url)
        _sign_in(client, email, password)
        token = _csrf(client, "/")
        for method, path in PROGRAMME_ROUTES:
            if path == "/logout":
                continue
            twice = path in ("/admin/users", "/interventions/{iid}/edit",
                             "/directory/services/{sid}", "/account/password",
                             "/interventions/new")  # fmt: skip
            key = path + (" POST" if method == "POST" and twice else "")
            r = _call(client, method, path, token, own_iid, own_rid, ids=ids)
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
    for method, path in PROGRAMME_ROUTES:
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


def _forget_failures(url: str) -> None:
    """The store remembers failed sign-ins (and wrong current passwords): start clean."""
    with Session(engine(url)) as s:
        s.execute(delete(SignInFailure))
        s.commit()


def test_sign_in_is_rate_limited(store):
    url, _ = store
    _forget_failures(url)  # the access test's wrong current passwords counted too
    client = _client(url, RateLimit(per_account=5, window=60))
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
    _forget_failures(url)  # the next tests sign in as the analyst


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


def _last_event(url: str) -> AuditEvent:
    eng = engine(url)
    with Session(eng) as s:
        e = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        s.expunge_all()
    eng.dispose()
    assert e is not None
    return e


def test_a_return_typed_in_the_web_form_is_checked_like_an_upload(store):
    url, ids = store
    iid, _ = ids["boxing@demo.vru"]
    client = _client(url)
    _sign_in(client, "boxing@demo.vru", "demo-provider-password")
    form = client.get(f"/interventions/{iid}/returns/new?rows=3")
    assert form.status_code == 200 and form.text.count('name="r2.age"') == 1
    token = _csrf(client, "/")
    before = _counts(url)
    data = {"csrf_token": token, "period": "2022-Q1", "rows": "3"}
    rows = [("P8001", "15", "school", "yes", "3", "no"), ("P8002", "99", "police", "no", "0", "no")]
    for k, row in enumerate(rows):
        data |= {f"r{k}.{c}": v for c, v in zip(GOOD.splitlines()[0].split(","), row, strict=True)}
    r = client.post(f"/interventions/{iid}/returns/form", data=data)
    assert r.status_code == 422 and "Row 2, age" in r.text and "above the maximum 25" in r.text
    assert 'value="P8002"' in r.text, "what was typed is kept"
    assert _counts(url) == before, "nothing stored"
    r = client.post(f"/interventions/{iid}/returns/form", data=data | {"period": "2022-Q5"})
    assert r.status_code == 422 and "expected a quarter such as 2021-Q2" in r.text
    more = client.post(f"/interventions/{iid}/returns/form", data=data | {"more": "1"})
    assert more.status_code == 200 and 'name="r7.age"' in more.text and 'value="P8001"' in more.text
    r = client.post(
        f"/interventions/{iid}/returns/form", data=data | {"r1.age": "17"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert _counts(url) == (before[0] + 1, before[1] + 1)
    e = _last_event(url)
    assert e.action == "submit" and e.after["source"] == "form" and e.after["rows"] == 2


def test_training_records_are_refused_whole_or_added(store):
    url, ids = store
    iid, _ = ids["boxing@demo.vru"]
    client = _client(url)
    _sign_in(client, "boxing@demo.vru", "demo-provider-password")
    token = _csrf(client, "/")
    bad = TRAINING.replace(",2,4", ",2,7")
    r = client.post(f"/interventions/{iid}/training", data={"csrf_token": token},
                    files={"file": ("bad.csv", bad.encode(), "text/csv")})  # fmt: skip
    assert r.status_code == 422 and "<td>2</td><td>post</td>" in r.text
    fresh = TRAINING.replace("Q", "W").encode()  # participants not yet recorded
    r = client.post(f"/interventions/{iid}/training", data={"csrf_token": token},
                    files={"file": ("t.csv", fresh, "text/csv")})  # fmt: skip
    assert r.status_code == 200 and "2 participants added" in r.text
    assert _last_event(url).after["participants_added"] == 2


def test_registry_and_user_edits_are_audited_before_and_after(store):
    url, ids = store
    iid, _ = ids["boxing@demo.vru"]
    client = _client(url)
    _sign_in(client, "commissioner@demo.vru", "demo-commissioner-password")
    token = _csrf(client, "/")
    page = client.get(f"/interventions/{iid}/edit").text
    old = re.search(r'id="funding" name="funding" value="([^"]*)"', page).group(1)
    r = client.post(f"/interventions/{iid}/edit",
                    data={"csrf_token": token, **EDIT, "funding": "12345"})  # fmt: skip
    assert r.status_code in (200, 303)
    e = _last_event(url)
    assert (e.action, e.table_name) == ("update", "intervention")
    assert e.after["funding"] == 12345.0 and e.before["funding"] == float(old or "nan")
    bad = client.post(f"/interventions/{iid}/edit",
                      data={"csrf_token": token, **EDIT, "contract_end": "2019-01-01"})  # fmt: skip
    assert bad.status_code == 422 and "before the contract start" in bad.text
    admin = _client(url)
    _sign_in(admin, "admin@demo.vru", "demo-admin-password")
    token = _csrf(admin, "/")
    r = admin.post(f"/admin/users/{ids['uid']}",
                   data={"csrf_token": token, "role": "analyst", "active": "no"},
                   follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    e = _last_event(url)
    assert e.table_name == "app_user" and e.after["active"] is False and e.before["active"] is True
    assert "commissioner@demo.vru" in admin.get("/audit").text


def test_the_evaluation_page_shows_the_three_tiers(store):
    url, ids = store
    client = _client(url)
    _sign_in(client, "analyst@demo.vru", "demo-analyst-password")
    page = client.get("/evaluation").text
    for heading in ("Place: did violence fall", "Project: did participants change",
                    "Programme: reach"):  # fmt: skip
        assert heading in page
    assert "-25.0%" in page and "I can recognise the signs of trauma" in page
    svg = client.get(f"/evaluation/charts/{ids['eid']}.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and "<svg" in svg.text


def test_youth_map_listings_are_verified_and_edits_moderated(store):
    """An analyst proposes a change: it waits, unseen by the public API, and the analyst cannot
    verify; the youth network's verifier approves it: the API shows it at once, dated and
    signed as a verification, with the change in the audit trail; stale listings are listed."""
    url, _ = store
    api = TestClient(create_directory_app(url, migrate=False, check_every=0))
    today = date(2022, 5, 16)
    analyst = TestClient(create_app(url, secret_key="test", today=lambda: today))
    _sign_in(analyst, "analyst@demo.vru", "demo-analyst-password")
    listing = analyst.get("/directory").text
    assert "Not verified for over 12 months" in listing
    assert listing.index("Eastford Drama") > listing.index("Not verified for over 12 months")
    token = _csrf(analyst, "/directory/services/svc-2")
    change = LISTING_EDIT | {"name": "Eastford Drama Club", "maximum_age": "19",
                             "csrf_token": token}  # fmt: skip
    assert analyst.post("/directory/services/svc-2", data=change).status_code == 200
    assert api.get("/services/svc-2").json()["name"] == "Eastford Drama"  # held back
    refused = analyst.post("/directory/services/svc-2/verify", data={"csrf_token": token})
    assert refused.status_code == 403
    bad = analyst.post("/directory/services/svc-2", data=change | {"minimum_age": "20"})
    assert bad.status_code == 422 and "Youngest age 20 is above the oldest age 19" in bad.text
    with Session(engine(url)) as s:
        edit = s.scalars(select(DirEdit).where(DirEdit.service_id == "svc-2")).one()
        assert edit.status == "pending" and edit.changes["maximum_age"] == 19
    network = TestClient(create_app(url, secret_key="test", today=lambda: today))
    _sign_in(network, "network@demo.vru", "demo-network-password")
    assert "Eastford Drama Club" in network.get("/directory").text  # the change to decide
    token = _csrf(network, "/directory")
    r = network.post(f"/directory/edits/{edit.id}", data={"decision": "approve",
                                                         "csrf_token": token})  # fmt: skip
    assert r.status_code == 200  # back on the list
    shown = api.get("/services/svc-2").json()
    assert shown["name"] == "Eastford Drama Club" and shown["maximum_age"] == 19
    # verified today; who verified it is in the audit trail, never in the published listing
    assert shown["assured_date"] == "2022-05-16" and shown.get("assurer_email") is None
    assert "Eastford Drama" not in network.get("/directory").text.split("12 months")[-1]
    again = network.post(f"/directory/edits/{edit.id}", data={"decision": "reject",
                                                             "csrf_token": token})  # fmt: skip
    assert again.status_code == 409
    with Session(engine(url)) as s:
        where = (AuditEvent.table_name == "dir_service", AuditEvent.row_key == "svc-2")
        trail = s.scalars(select(AuditEvent).where(*where)).one()
        assert trail.before["name"] == "Eastford Drama"
        assert trail.after["name"] == "Eastford Drama Club"
        assert s.get(DirService, "svc-2").assured_date == today


def test_listings_link_to_places_and_interventions(store):
    """An admin links a listing to a pilot place and a commissioned intervention: the
    intervention's page lists it; a provider who cannot see that intervention is told so, and
    their proposal leaves the link alone."""
    url, ids = store
    own_iid, _ = ids["boxing@demo.vru"]
    with Session(engine(url)) as s:
        place = s.scalars(select(Place)).first()
        place_id, place_name = place.id, place.name
    admin = _client(url)
    _sign_in(admin, "admin@demo.vru", "demo-admin-password")
    token = _csrf(admin, "/directory/services/svc-2")
    form = LISTING_EDIT | {"name": "Eastford Drama", "place_id": str(place_id),
                           "intervention_id": str(own_iid), "csrf_token": token}  # fmt: skip
    assert admin.post("/directory/services/svc-2", data=form).status_code == 200
    page = admin.get(f"/interventions/{own_iid}").text
    assert "In the Youth Map" in page and "/directory/services/svc-2" in page
    with Session(engine(url)) as s:
        row = s.get(DirService, "svc-2")
        assert (row.place_id, row.intervention_id) == (place_id, own_iid)
    assert admin.post("/directory/services/svc-2",
                      data=form | {"intervention_id": "99999"}).status_code == 422  # fmt: skip
    other = _client(url)
    _sign_in(other, "ae@demo.vru", "demo-provider-password")
    shown = other.get("/directory/services/svc-2").text
    assert "Linked to one you cannot see" in shown and place_name in shown
    token = _csrf(other, "/directory/services/svc-2")
    proposal = form | {"intervention_id": "", "name": "Eastford Drama Group",
                       "csrf_token": token}  # fmt: skip
    assert other.post("/directory/services/svc-2", data=proposal).status_code == 200
    with Session(engine(url)) as s:
        edit = s.scalars(select(DirEdit).where(DirEdit.service_id == "svc-2",
                                               DirEdit.status == "pending")).one()  # fmt: skip
        assert "intervention_id" not in edit.changes and edit.changes["name"] == (
            "Eastford Drama Group"
        )
        assert s.get(DirService, "svc-2").intervention_id == own_iid
