"""Funding rounds in the portal (issue 30): every round and application route for every role,
with a provider of another organisation and a panel member of another round among them; a
"panel" account opens nothing but its rounds; and, in Chromium, a round end to end: two
organisations apply, three panel members score (one conflicted and unable to see that
application), the commissioner awards one and declines one, and the award is in the registry
with its template."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import CHROMIUM, axe_violations, open_page, serve, small_programme
from vrukit.commissioning.awards import award
from vrukit.commissioning.models import (
    Action,
    Application,
    Attachment,
    FundingRound,
    LogEntry,
    PanelMember,
    Payment,
    Risk,
    Spend,
)
from vrukit.commissioning.rounds import (
    STANDARD_TEMPLATE,
    declare_conflict,
    open_round,
    record_application,
    score,
    set_status,
    submit,
)
from vrukit.programme.accounts import hash_password
from vrukit.programme.db import engine
from vrukit.programme.models import Intervention, Organisation, ReturnTemplate, User
from vrukit.web.portal import applications, governance, rounds
from vrukit.web.portal.app import ROUTES, create_app

SECRET = "a-test-session-secret-of-forty-characters!"
PASSWORD = "a-panel-password-long-enough"
WHO = {
    "admin": ("admin@demo.vru", "demo-admin-password"),
    "commissioner": ("commissioner@demo.vru", "demo-commissioner-password"),
    "analyst": ("analyst@demo.vru", "demo-analyst-password"),
    "provider": ("boxing@demo.vru", "demo-provider-password"),
    "other provider": ("ae@demo.vru", "demo-provider-password"),
    "panel": ("panel-a@x.org", PASSWORD),
    "other panel": ("panel-b@x.org", PASSWORD),
}
BUDGET = [("Coaches", "staff", 18_000.0), ("Hall hire", "venue", 6_000.0)]


def _user(s: Session, email: str) -> User:
    return s.scalars(select(User).where(User.email == email)).one()


def _application(s, rnd, email: str, title: str) -> Application:
    a = record_application(s, rnd, _user(s, email).organisation_id, title=title,
                           summary="Sessions after school", reach=80, thematic_area="sport",
                           prevention_tier="secondary", yef_strand="Sports programmes",
                           budget=BUDGET, answers={"q1": "yes"}, ages=(11, 16))  # fmt: skip
    submit(a, date(2022, 2, 1))
    return a


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The demo programme with two panel accounts and a round being scored: the boxing club's
    and the hospital's applications, the first scored by two, the second the panel account's
    conflict; a second round whose panel is the other panel account."""
    folder = tmp_path_factory.mktemp("rounds")
    url = small_programme(folder)
    eng = engine(url)
    ids = {}
    with Session(eng) as s:
        for email in ("panel-a@x.org", "panel-b@x.org"):
            s.add(User(email=email, password_hash=hash_password(PASSWORD), role="panel"))
        s.flush()
        panel = [_user(s, e).id for e in ("commissioner@demo.vru", "analyst@demo.vru",
                                          "panel-a@x.org")]  # fmt: skip
        rnd = open_round(s, name="Community Initiatives Fund 2022", fund="CIF", budget=60_000,
                         opens=date(2022, 1, 10), closes=date(2022, 2, 28),
                         criteria=[("Need", 2.0), ("Value for money", 1.0)], panel=panel,
                         questions=[{"key": "q1", "text": "Constituted?", "must": "yes"}],
                         baseline={"secondary": 0.2})  # fmt: skip
        set_status(rnd, "open")
        mine = _application(s, rnd, "boxing@demo.vru", "Boxing after school")
        theirs = _application(s, rnd, "ae@demo.vru", "Hospital youth work")
        s.add(Attachment(application_id=mine.id, file_name="constitution.pdf", size=3,
                         media_type="application/octet-stream", content=b"%PD"))  # fmt: skip
        set_status(rnd, "scoring")
        for uid in panel[:2]:
            for c in rnd.criteria:
                score(s, mine, c, uid, 4)
        declare_conflict(s, theirs, panel[2], "a trustee")
        other = open_round(s, name="Winter fund 2022", fund="Winter", budget=10_000,
                           opens=date(2022, 11, 1), closes=date(2022, 11, 30),
                           criteria=[("Need", 1.0)], panel=[_user(s, "panel-b@x.org").id],
                           min_scorers=1)  # fmt: skip
        s.flush()
        fid = s.scalars(select(Attachment.id)).one()
        ids = {"rid": rnd.id, "aid": mine.id, "fid": fid, "theirs": theirs.id, "other": other.id}
        s.commit()
    eng.dispose()
    return folder / "programme.sqlite", ids


def _client(path, tmp_path) -> TestClient:
    shutil.copy(path, tmp_path / "p.sqlite")
    return TestClient(create_app(f"sqlite:///{tmp_path / 'p.sqlite'}", secret_key=SECRET,
                                 today=lambda: date(2022, 2, 1)))  # fmt: skip


def _csrf(c: TestClient, path: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', c.get(path).text)
    assert m, path
    return m.group(1)


def _sign_in(c: TestClient, who: tuple[str, str]) -> str:
    form = {"email": who[0], "password": who[1], "csrf_token": _csrf(c, "/login")}
    r = c.post("/login", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[-300:]
    return _csrf(c, "/")


NEW_ROUND = {"name": "Place fund 2023", "fund": "Places", "budget": "50000",
             "opens": "2023-01-01", "closes": "2023-02-01", "criteria": "Need | 2\nCost | 1",
             "questions": "Constituted? | yes", "min_scorers": "1", "panel": "1"}  # fmt: skip
FORMS = {
    "/rounds/new": NEW_ROUND, "/rounds/{rid}/status": {"status": "open"},
    "/rounds/{rid}/apply": {"title": "Late one", "summary": "-", "reach": "5",
                            "thematic_area": "sport", "prevention_tier": "primary",
                            "item_0": "All", "category_0": "other", "amount_0": "100"},
    "/applications/{aid}/edit": {"title": "Changed"},
    "/applications/{aid}/conflict": {"reason": "my cousin coaches there"},
    "/applications/{aid}/scores": {},  # filled with each criterion's score below
    "/applications/{aid}/moderation": {"criterion": "", "score": "3", "note": "agreed"},
    "/applications/{aid}/decision": {"decision": "decline", "reason": "Out of area"},
}  # fmt: skip
STAFF_WRITE = {"/rounds/new POST": 303, "/rounds/{rid}/status": 303, "/rounds/{rid}/apply": 403,
               "/rounds/{rid}/apply POST": 403, "/applications/{aid}/edit": 403,
               "/applications/{aid}/attachments": 403,
               "/applications/{aid}/moderation": 303,
               "/applications/{aid}/decision": 303}  # fmt: skip
NOT_STAFF = {"/rounds/new": 403, "/rounds/new POST": 403, "/rounds/{rid}/status": 403,
             "/rounds/{rid}/ranking.csv": 403,
             "/applications/{aid}/moderation": 403,
             "/applications/{aid}/decision": 403}  # fmt: skip
UNSEEN = {path + (" POST" if m == "POST" and path in ("/rounds/{rid}/apply",) else ""): 404
          for m, path in (*rounds.ROUTES, *applications.ROUTES)
          if "{rid}" in path or "{aid}" in path}  # fmt: skip
EXPECTED = {  # role -> {path (+ " POST" where a path has both): status}, 200 otherwise
    "admin": {**STAFF_WRITE, "/applications/{aid}/conflict": 403,
              "/applications/{aid}/scores": 403},
    "commissioner": {**STAFF_WRITE, "/applications/{aid}/conflict": 303,
                     "/applications/{aid}/scores": 303},
    "analyst": {**NOT_STAFF, "/rounds/{rid}/apply": 403, "/rounds/{rid}/apply POST": 403,
                "/applications/{aid}/edit": 403, "/applications/{aid}/attachments": 403,
                "/applications/{aid}/conflict": 303, "/applications/{aid}/scores": 303},
    "provider": {**NOT_STAFF, "/rounds/{rid}/apply POST": 422, "/applications/{aid}/edit": 422,
                 "/applications/{aid}/attachments": 422, "/applications/{aid}/conflict": 403,
                 "/applications/{aid}/scores": 403},
    "other provider": {**NOT_STAFF, "/rounds/{rid}/apply POST": 422,
                       **{p: 404 for p in UNSEEN if "{aid}" in p}},
    "panel": {**NOT_STAFF, "/rounds/{rid}/apply": 403, "/rounds/{rid}/apply POST": 403,
              "/applications/{aid}/edit": 403, "/applications/{aid}/attachments": 403,
              "/applications/{aid}/conflict": 303, "/applications/{aid}/scores": 303},
    "other panel": {**NOT_STAFF, **UNSEEN},
}  # fmt: skip
TWICE = ("/rounds/new", "/rounds/{rid}/apply")
#: Routes that change what the others see, called last in this order: a decision, a conflict
#: (the member no longer sees the application), reopening the round.
LAST = ("/applications/{aid}/decision", "/applications/{aid}/conflict", "/rounds/{rid}/status")


def _late(route: tuple[str, str]) -> int:
    return LAST.index(route[1]) + 1 if route[1] in LAST else 0


def test_the_access_test_covers_every_round_route():
    served = {(m, r.path) for router in (rounds.router, applications.router)
              for r in router.routes for m in r.methods}  # fmt: skip
    assert served == set(rounds.ROUTES + applications.ROUTES)


@pytest.mark.parametrize("role", list(WHO))
def test_every_role_calls_every_round_route(base, tmp_path, role):
    path_, ids = base
    c = _client(path_, tmp_path)
    token = _sign_in(c, WHO[role])
    with Session(engine(f"sqlite:///{tmp_path / 'p.sqlite'}")) as s:
        criteria = s.get(Application, ids["aid"]).round.criteria
        scores = {f"score_{k.id}": "3" for k in criteria}
        first = str(criteria[0].id)
    for method, path in sorted((*rounds.ROUTES, *applications.ROUTES), key=_late):
        url = path.format(**ids)
        key = path + (" POST" if method == "POST" and path in TWICE else "")
        if method == "GET":
            r = c.get(url, follow_redirects=False)
        elif path.endswith("/attachments"):
            r = c.post(url, data={"csrf_token": token}, follow_redirects=False,
                       files={"file": ("a.pdf", b"%PDF-1.4", "application/pdf")})  # fmt: skip
        else:
            form = dict(FORMS.get(path, {}))
            form |= scores if path.endswith("/scores") else {}
            form |= {"criterion": first} if path.endswith("/moderation") else {}
            r = c.post(url, data={"csrf_token": token, **form}, follow_redirects=False)
        want = EXPECTED[role].get(key, 200)
        assert r.status_code == want, (role, method, path, r.status_code, r.text[-300:])
        if want == 200 and path.endswith("ranking.csv"):
            head, top = r.text.splitlines()[:2]
            assert '"organisation"' in head and "Boxing after school" in top


def test_a_panel_account_opens_nothing_but_its_rounds(base, tmp_path):
    """Every other portal route answers 403 to a "panel" account (the programme's returns,
    referrals, the Youth Map's moderation, the registry...), and its home lists its rounds."""
    path_, ids = base
    c = _client(path_, tmp_path)
    token = _sign_in(c, WHO["panel"])
    assert "Community Initiatives Fund 2022" in c.get("/").text
    open_paths = ("/", "/login", "/logout", "/account/password")
    checked = 0
    for method, path in ROUTES:
        if path in open_paths or path.startswith(("/rounds", "/applications")):
            continue
        url = re.sub(r"\{[a-z]+\}", "1", path)
        r = (c.get(url, follow_redirects=False) if method == "GET" else
             c.post(url, data={"csrf_token": token}, follow_redirects=False))  # fmt: skip
        assert r.status_code == 403, (method, path, r.status_code)
        checked += 1
    assert checked > 40
    # the application it declared a conflict with does not exist for it
    assert c.get(f"/applications/{ids['theirs']}").status_code == 404
    assert "Hospital youth work" not in c.get(f"/rounds/{ids['rid']}").text


def test_a_conflicted_reader_learns_nothing_of_the_hidden_application_s_scoring(base, tmp_path):
    """The fifth and sixth probes: a tie note named the application its reader declared a
    conflict with, then (unnamed) still gave its total and scores; the ranks shown started at
    2 when the hidden one came first; the budget "left" gave its award by subtraction. Now a
    conflicted reader sees no note about it, ranks among what they are shown, and only the
    awards to applications shown to them."""
    path_, ids = base
    c = _client(path_, tmp_path)
    with Session(engine(f"sqlite:///{tmp_path / 'p.sqlite'}")) as s:
        rnd = s.get(FundingRound, ids["rid"])
        late = User(email="analyst-2@demo.vru", password_hash=hash_password(PASSWORD),
                    role="analyst")  # fmt: skip
        s.add(late)
        s.flush()
        s.add(PanelMember(round_id=rnd.id, user_id=late.id))
        theirs, mine = s.get(Application, ids["theirs"]), s.get(Application, ids["aid"])
        for email in ("commissioner@demo.vru", "analyst@demo.vru"):  # the same scores: a tie
            for criterion in rnd.criteria:
                score(s, theirs, criterion, _user(s, email).id, 4)
        declare_conflict(s, theirs, late.id, "a trustee")
        for criterion in rnd.criteria:  # the eighth probe: they score the one they may see
            score(s, mine, criterion, late.id, 4)
        s.flush()
        for a, amount in ((mine, 20_000), (theirs, 15_000)):
            award(s, a, None, amount=amount, start=date(2022, 4, 1), end=date(2023, 3, 31))
        assert rnd.status == "decided"
        s.commit()
    _sign_in(c, ("analyst-2@demo.vru", PASSWORD))
    page = c.get(f"/rounds/{ids['rid']}").text
    sheet = c.get(f"/rounds/{ids['rid']}/ranking.csv").text
    one = c.get(f"/applications/{ids['aid']}").text  # the application they scored
    assert "Boxing after school" in page and "Boxing after school" in sheet
    assert "Weighted total" in one and re.search(r"; rank 1\.", one)
    for shown in (page, sheet, one):
        assert "Hospital youth work" not in shown and "tied" not in shown
        assert "same total" not in shown and "rank 2" not in shown
        assert "conflict with (" not in shown and "64.0" not in shown
    assert sheet.splitlines()[1].split(",")[0] == "1"  # ranked first among what it is shown
    # an award, once made, is the programme's: the totals count it, and say so
    assert "Awarded: £35,000 of £60,000 (£25,000 left), counting 1 award(s)" in page
    # a reader without the conflict sees the tie, the ranks and the whole budget
    other = TestClient(create_app(f"sqlite:///{tmp_path / 'p.sqlite'}", secret_key=SECRET,
                                  today=lambda: date(2022, 2, 1)))  # fmt: skip
    _sign_in(other, WHO["analyst"])
    plain = other.get(f"/rounds/{ids['rid']}").text
    assert re.search(r"tied with &#39;(Hospital youth work|Boxing after school)&#39;", plain)
    assert "Awarded: £35,000 of £60,000 (£25,000 left)." in plain


def test_an_applicant_sees_the_panel_s_size_not_its_members_addresses(base, tmp_path):
    path_, ids = base
    c = _client(path_, tmp_path)
    _sign_in(c, WHO["provider"])
    page = c.get(f"/rounds/{ids['rid']}").text
    assert "A panel of 3;" in page
    addresses = set(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", page)) - {"boxing@demo.vru"}
    assert not addresses, f"a panel member's address is shown: {addresses}"
    (tmp_path / "staff").mkdir()
    staff = _client(path_, tmp_path / "staff")
    _sign_in(staff, WHO["analyst"])
    assert "panel-a@x.org" in staff.get(f"/rounds/{ids['rid']}").text


# -- in a browser: a round end to end ----------------------------------------------------------


def _browser_sign_in(browser, root: str, who: tuple[str, str]):
    page, problems = open_page(browser, root + "/login", 1200, axe=False)
    page.get_by_label("E-mail").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    assert page.url == root + "/", page.content()[:400]
    return page, problems


def _apply_in_browser(browser, root: str, who, title: str, amounts: tuple[str, str]) -> None:
    page, problems = _browser_sign_in(browser, root, who)
    page.get_by_role("link", name="Funding rounds").first.click()
    page.get_by_role("link", name="Youth Fund 2022").click()
    page.get_by_role("link", name="Apply to this round").click()
    assert axe_violations(page) == []
    page.get_by_label("Title of the work").fill(title)
    page.get_by_label("What you will do, with whom and why").fill("Weekly sessions, 11 to 16s")
    page.get_by_label("Young people you will work with").fill("120")
    page.get_by_label("Prevention tier").select_option("secondary")
    page.get_by_label("The YEF Toolkit approach your work belongs to").select_option(
        "Sports programmes"
    )
    page.get_by_label("Are you a registered charity?").select_option("yes")
    page.get_by_label("Item 1", exact=True).fill("Coaches")
    page.get_by_label("Amount 1", exact=True).fill(amounts[0])
    page.get_by_label("Item 2", exact=True).fill("Venue")
    page.get_by_label("Category 2", exact=True).select_option("venue")
    page.get_by_label("Amount 2", exact=True).fill(amounts[1])
    page.get_by_role("button", name="Submit the application").click()
    page.wait_for_load_state("load")
    assert "Status: submitted" in page.inner_text("main"), page.inner_text("main")[:400]
    assert problems == []
    page.close()


def _score_in_browser(browser, root: str, who, title: str, values: tuple[str, str]) -> None:
    page, _ = _browser_sign_in(browser, root, who)
    page.goto(root + "/rounds")
    page.get_by_role("link", name="Youth Fund 2022").click()
    page.get_by_role("link", name=title).click()
    page.locator("input[name^=score_]").nth(0).fill(values[0])
    page.locator("input[name^=score_]").nth(1).fill(values[1])
    page.get_by_role("button", name="Save my scores").click()
    page.wait_for_load_state("load")
    assert page.locator("input[name^=score_]").nth(0).input_value() == values[0]
    page.close()


@pytest.fixture
def live(tmp_path):
    url = small_programme(tmp_path)
    eng = engine(url)
    with Session(eng) as s:
        s.add(User(email="panel-a@x.org", password_hash=hash_password(PASSWORD), role="panel"))
        s.commit()
    eng.dispose()
    with serve(create_app(url, secret_key=SECRET, today=lambda: date(2022, 2, 1))) as root:
        yield root, url


def test_a_round_runs_end_to_end_in_the_browser(browser, live):
    root, url = live
    boss, _ = _browser_sign_in(browser, root, WHO["commissioner"])
    boss.goto(root + "/rounds/new")
    assert axe_violations(boss) == []
    boss.get_by_label("Name of the round").fill("Youth Fund 2022")
    boss.get_by_label("Fund", exact=True).fill("Community Initiatives Fund")
    boss.get_by_label("Budget (£)").fill("50000")
    boss.get_by_label("Opens").fill("2022-01-10")
    boss.get_by_label("Closes").fill("2022-02-28")
    boss.get_by_label("Scoring criteria", exact=False).fill(
        "Need and reach | 2\nValue for money | 1"
    )
    boss.get_by_label("Eligibility questions", exact=False).fill(
        "Are you a registered charity? | yes"
    )
    for who in ("commissioner@demo.vru", "analyst@demo.vru", "panel-a@x.org"):
        boss.get_by_label(who, exact=False).check()
    boss.get_by_label("secondary").fill("0.2")
    boss.get_by_role("button", name="Create the round (as a draft)").click()
    boss.get_by_role("button", name="Open it to applications").click()
    boss.wait_for_load_state("load")
    assert "Stage: open" in boss.inner_text("main")

    _apply_in_browser(browser, root, WHO["provider"], "Boxing after school", ("18000", "6000"))
    _apply_in_browser(browser, root, WHO["other provider"], "Hospital youth work",
                      ("15000", "5000"))  # fmt: skip
    boss.reload()
    boss.get_by_role("button", name="Close it and start scoring").click()
    boss.wait_for_load_state("load")

    # the outside panel member declares a conflict with the hospital's application
    member, _ = _browser_sign_in(browser, root, WHO["panel"])
    member.goto(root + "/rounds")
    member.get_by_role("link", name="Youth Fund 2022").click()
    hospital = member.get_by_role("link", name="Hospital youth work").get_attribute("href")
    member.get_by_role("link", name="Hospital youth work").click()
    member.get_by_label("Declare it", exact=False).fill("I am a trustee of the hospital charity")
    member.get_by_role("button", name="Declare the conflict").click()
    member.wait_for_load_state("load")
    assert "Hospital youth work" not in member.inner_text("main")
    assert "1 application(s) are not shown" in member.inner_text("main")
    assert member.goto(root + hospital).status == 404
    member.close()
    _score_in_browser(browser, root, WHO["panel"], "Boxing after school", ("4", "3"))
    for who in ("commissioner", "analyst"):
        _score_in_browser(browser, root, WHO[who], "Boxing after school", ("4", "4"))
        _score_in_browser(browser, root, WHO[who], "Hospital youth work", ("3", "3"))

    boss.goto(root + "/rounds")
    boss.get_by_role("link", name="Youth Fund 2022").click()
    text = boss.inner_text("main")
    assert text.index("Boxing after school") < text.index("Hospital youth work")
    assert "Expected effect against cost" in text and axe_violations(boss) == []
    boss.get_by_role("link", name="Boxing after school").click()
    assert axe_violations(boss) == []
    boss.get_by_label("Contract start").fill("2022-04-01")
    boss.get_by_label("Contract end").fill("2023-03-31")
    boss.get_by_label("Conditions of the award", exact=False).fill("Safeguarding lead named")
    boss.get_by_role("button", name="Award it").click()
    boss.wait_for_load_state("load")
    boss.get_by_role("link", name="Hospital youth work").click()
    boss.get_by_label("Why (the applicant reads this)").fill("Outside the priority places")
    boss.get_by_role("button", name="Decline it").click()
    boss.wait_for_load_state("load")
    assert "Stage: decided" in boss.inner_text("main")

    boss.goto(root + "/registry")
    boss.get_by_role("link", name="Boxing after school").click()
    boss.wait_for_load_state("load")
    with Session(engine(url)) as s:
        iv = s.scalars(select(Intervention).where(Intervention.name == "Boxing after school")).one()
        club = s.get(Organisation, iv.provider_id).name
        template = s.scalars(select(ReturnTemplate)
                             .where(ReturnTemplate.intervention_id == iv.id)).one()  # fmt: skip
        declined = s.scalars(select(Application).where(
            Application.title == "Hospital youth work")).one()  # fmt: skip
        assert (iv.funding, iv.contract_start) == (24_000, date(2022, 4, 1))
        assert iv.yef_strand == "Sports programmes" and iv.yef_impact == "high"
        assert template.fields == STANDARD_TEMPLATE  # the round named no other
        assert declined.status == "declined"
        assert declined.decision_note == "Outside the priority places"
    assert club == "Eastford Boxing Club"
    boss.goto(root + f"/interventions/{iv.id}")
    assert "Template version 1" in boss.inner_text("main")
    for path in (
        "/board-pack",
        "/plan",
        "/risks",
        "/log",
        "/spend?quarter=2022-Q1",
        "/payments",
        "/rounds",
    ):
        assert boss.goto(root + path).status == 200, path
        assert axe_violations(boss) == [], path
    boss.close()


# -- governance: plan, risks, log, spend, board pack --------------------------------------------

GOVERNANCE_FORMS = {
    "/plan/objectives": {"title": "A new objective"},
    "/plan/actions": {"objective": "1", "title": "Do it", "owner": "Someone", "due": "2022-06-30"},
    "/plan/actions/{aid}/update": {"status": "at_risk", "note": "slipping"},
    "/risks": {"title": "A new risk", "owner": "Someone", "likelihood": "3", "impact": "4",
               "review_by": "2022-06-30"},
    "/risks/{kid}/review": {"likelihood": "2", "impact": "2", "note": "better"},
    "/log": {"kind": "issue", "title": "An issue"},
    "/spend": {"intervention": "1", "quarter": "2022-Q1", "amount": "100"},
}  # fmt: skip
SPEND_RETURN = b"intervention,quarter,amount,category,note\nResettlement,2022-Q1,10,,\n"
GOVERNANCE_WRITES = [r for r in governance.ROUTES if r[0] == "POST"]
EXPECTED_GOVERNANCE = {  # role -> {(method, path): status}, 200 otherwise
    "admin": dict.fromkeys(GOVERNANCE_WRITES, 303),
    "commissioner": dict.fromkeys(GOVERNANCE_WRITES, 303),
    "analyst": dict.fromkeys(GOVERNANCE_WRITES, 403),
    "provider": dict.fromkeys(governance.ROUTES, 403),
    "panel": dict.fromkeys(governance.ROUTES, 403),
}


def test_the_access_test_covers_every_governance_route():
    served = {(m, r.path) for r in governance.router.routes for m in r.methods}
    assert served == set(governance.ROUTES)


@pytest.mark.parametrize("role", list(EXPECTED_GOVERNANCE))
def test_every_role_calls_every_governance_route(base, tmp_path, role):
    path_, _ = base
    c = _client(path_, tmp_path)
    token = _sign_in(c, WHO[role])
    with Session(engine(f"sqlite:///{tmp_path / 'p.sqlite'}")) as s:
        ids = {"aid": s.scalars(select(Action.id)).first(),
               "sid": s.scalars(select(Spend.id)).first(),
               "kid": s.scalars(select(Risk.id)).first(),
               "eid": s.scalars(select(LogEntry.id).where(LogEntry.status == "open")).first(),
               "pid": s.scalars(select(Payment.id)).first(),
               "quarter": "2021-Q4", "fmt": "html"}  # fmt: skip
    for method, path in governance.ROUTES:
        url = path.format(**ids)
        if method == "GET":
            r = c.get(url, follow_redirects=False)
        elif path.endswith("/upload"):
            r = c.post(url, data={"csrf_token": token}, follow_redirects=False,
                       files={"file": ("spend.csv", SPEND_RETURN, "text/csv")})  # fmt: skip
        else:
            form = {"csrf_token": token, **GOVERNANCE_FORMS.get(path, {})}
            r = c.post(url, data=form, follow_redirects=False)
        want = EXPECTED_GOVERNANCE[role].get((method, path), 200)
        assert r.status_code == want, (role, method, path, r.status_code, r.text[-300:])
        if role == "admin" and path == "/payments/{pid}/paid":
            with Session(engine(f"sqlite:///{tmp_path / 'p.sqlite'}")) as s:
                assert s.get(Payment, ids["pid"]).paid_on == date(2022, 2, 1)
        if role == "admin" and path == "/board-pack/{quarter}.{fmt}":
            assert "attachment" in r.headers["content-disposition"]
            assert "Programme board pack: 2021-Q4" in r.text
            future = c.get("/board-pack/2022-Q1.html")  # the client's today is 1 February 2022
            assert future.status_code == 422 and "has not ended" in future.text


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is needed to print "
                    "the PDF (apt-get install chromium; .ci/run installs it)")  # fmt: skip
def test_one_reader_cannot_keep_the_board_pack_printer_from_others(base, tmp_path):
    """The fifth probe: one PDF prints at a time per worker, so one reader clicking again and
    again held it from everyone. An account now waits PRINT_GAP seconds between its PDFs (429),
    and a print while another is running is told to try again (503)."""
    path_, _ = base
    c = _client(path_, tmp_path)
    _sign_in(c, WHO["analyst"])
    first = c.get("/board-pack/2021-Q4.pdf")
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    again = c.get("/board-pack/2021-Q4.pdf")
    assert again.status_code == 429 and int(again.headers["retry-after"]) <= governance.PRINT_GAP
    assert c.get("/board-pack/2021-Q4.html").status_code == 200  # HTML is never held back
    other = TestClient(create_app(f"sqlite:///{tmp_path / 'p.sqlite'}", secret_key=SECRET,
                                  today=lambda: date(2022, 2, 1)))  # fmt: skip
    _sign_in(other, WHO["commissioner"])
    assert governance._PRINTING.acquire(blocking=False)  # someone else is printing
    try:
        busy = other.get("/board-pack/2021-Q4.pdf")
    finally:
        governance._PRINTING.release()
    assert busy.status_code == 503 and busy.headers["retry-after"] == "10"
    assert other.get("/board-pack/2021-Q4.pdf").status_code == 200


def test_the_home_page_lists_the_scores_each_panel_member_owes(base, tmp_path):
    """Issue 32, item 7: a panel member's home says which applications they still score; one
    they declared a conflict with is never among them."""
    from datetime import datetime

    from vrukit.web.portal.todo import to_do

    path_, _ = base
    with Session(engine(f"sqlite:///{path_}")) as s:
        owed = {}
        for email in ("panel-a@x.org", "commissioner@demo.vru", "analyst@demo.vru"):
            items = [i for i in to_do(s, _user(s, email), date(2022, 3, 1), datetime(2022, 3, 1))
                     if i.href.startswith("/rounds/")]  # fmt: skip
            owed[email] = [title for i in items for title, _ in i.examples]
    assert owed["panel-a@x.org"] == ["Boxing after school"]  # the hospital's is its conflict
    assert owed["commissioner@demo.vru"] == ["Hospital youth work"]
    assert owed["analyst@demo.vru"] == ["Hospital youth work"]


def test_a_scorer_sees_no_totals_or_rank_until_the_round_is_decided(base, tmp_path):
    """The ninth probe: once a panel member had scored an application, its page showed its
    weighted total and rank while the others were still scoring (the round page hid them)."""
    path_, ids = base
    c = _client(path_, tmp_path)
    token = _sign_in(c, WHO["panel"])
    with Session(engine(f"sqlite:///{tmp_path / 'p.sqlite'}")) as s:
        criteria = [cr.id for cr in s.get(FundingRound, ids["rid"]).criteria]
    form = {"csrf_token": token} | {f"score_{k}": "3" for k in criteria}
    form |= {f"comment_{k}": "fine" for k in criteria}
    assert c.post(f"/applications/{ids['aid']}/scores", data=form).status_code in (200, 303)
    page = c.get(f"/applications/{ids['aid']}").text
    assert "Weighted total" not in page and not re.search(r"\brank \d", page)
    assert "shown once the round is decided" in page


@pytest.mark.parametrize("scorers", ["1e400", "0", "21", "abc", "²"])
def test_a_round_s_scorers_that_are_not_1_to_20_are_refused_not_replaced(base, tmp_path, scorers):
    """The eighteenth probe's L4: "1e400", 0, 21 or "abc" scorers became 2 without a word."""
    path, _ = base
    c = _client(path, tmp_path)
    token = _sign_in(c, WHO["commissioner"])
    r = c.post("/rounds/new", data={**NEW_ROUND, "min_scorers": scorers, "csrf_token": token},
               follow_redirects=False)  # fmt: skip
    assert r.status_code == 422 and "a whole number from 1 to 20" in r.text
    blank = {**NEW_ROUND, "min_scorers": "", "csrf_token": token, "name": "Default scorers"}
    r = c.post("/rounds/new", data=blank, follow_redirects=False)  # left empty: 2, the default
    assert "the 2 scorers it needs" in r.text and "from 1 to 20" not in r.text
