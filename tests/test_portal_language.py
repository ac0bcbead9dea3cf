"""The portal speaks Urdu and Polish (issue 32, item 8): every page each demo role reaches, read
in each language as a reader meets it (text, alt text, labels), holds none of the English words
that only an untranslated sentence would carry - once what people wrote and the store keeps
(names, titles, notes) is taken out, which is shown as they wrote it. The pages are found by
following the portal's own links from each role's home page, one page per route, and together
they must reach every page the portal serves."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import JSON, String, Text, create_engine, inspect, select, text

from test_site_language import ENGLISH, _read
from vrukit.commissioning.rounds import open_round, set_status
from vrukit.commissioning.yef import strands
from vrukit.programme.accounts import DEMO_LOGINS
from vrukit.programme.db import session
from vrukit.programme.models import User
from vrukit.referrals.crypto import Keyring
from vrukit.web.portal.app import ROUTES, create_app

NOW = datetime(2022, 5, 16, 12, 0)  # the demo's REFERRALS_TODAY
#: Routes that answer a file, not a page; and those that change something when read.
FILES = re.compile(r"\.(csv|json|svg|xlsx|pdf|docx|\{fmt\})$|/attachments/|/template\.")
ROLES = {"admin", "commissioner", "analyst", "boxing@demo.vru", "ae@demo.vru", "panel"}
#: English month names a date formatted the English way leaves ("Mar" is Polish's too).
MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december", "jan", "feb", "apr", "jun", "jul",
          "aug", "sep", "sept", "oct", "nov", "dec"}  # fmt: skip


def _pattern(route: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{\w+\\\}", r"[^/]+", re.escape(route)) + "$")


#: Each page the portal serves, a route with no parameter before one with (``/interventions/new``
#: is not ``/interventions/{iid}``).
PAGES = sorted(((p, _pattern(p)) for m, p in ROUTES if m == "GET" and not FILES.search(p)),
               key=lambda page: "{" in page[0])  # fmt: skip


@pytest.fixture(scope="module")
def portal(demo_region, tmp_path_factory):
    folder = tmp_path_factory.mktemp("language")
    shutil.copy(demo_region.folder / "programme.sqlite", folder / "programme.sqlite")
    url = f"sqlite:///{folder / 'programme.sqlite'}"
    with session(url) as s:  # a round open today, so a provider's links reach its form
        panel = s.scalars(select(User.id).where(User.role.in_(("commissioner", "panel")))).all()
        rnd = open_round(s, name="Open doors fund", fund="Community fund", budget=10_000,
                         opens=NOW.date(), closes=NOW.date(), criteria=[("Need", 1.0)],
                         panel=list(panel))  # fmt: skip
        set_status(rnd, "open")
    key = Keyring.from_file(demo_region.folder / "referral.key")
    app = create_app(url, secret_key="a-test-session-secret-of-forty-characters!",
                     now=lambda: NOW, today=lambda: NOW.date(), referral_key=key)  # fmt: skip
    return app, url


def _strings(value: object) -> list[str]:
    """The texts inside a stored JSON value (a template's labels, a survey's questions)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _strings(v)]
    if isinstance(value, list):
        return [t for v in value for t in _strings(v)]
    return [value] if isinstance(value, str) else []


def _kept(url: str) -> list[str]:
    """Every text the store keeps (what people wrote, names, titles, and the texts inside its
    JSON columns), longest first, with the first 120 characters of each (as lists cut them)."""
    eng = create_engine(url)
    found: set[str] = set()
    with eng.connect() as c:
        for table in inspect(eng).get_table_names():
            for col in inspect(eng).get_columns(table):
                if not isinstance(col["type"], String | Text | JSON):
                    continue
                for (v,) in c.execute(text(f'SELECT DISTINCT "{col["name"]}" FROM "{table}"')):
                    texts = _strings(v) if isinstance(col["type"], JSON) else [v]
                    found |= {x.strip()[:n] for x in texts if isinstance(x, str)
                              and len(x.strip()) > 2 for n in (None, 120)}  # fmt: skip
    eng.dispose()
    found |= set(strands())  # the YEF Toolkit's own names for its strands, as it gives them
    return sorted(found, key=len, reverse=True)


def _signed_in(app, email: str, password: str, lang: str) -> TestClient:
    client = TestClient(app, base_url="http://127.0.0.1")
    page = client.get(f"/login?lang={lang}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    sent = {"email": email, "password": password, "csrf_token": token.group(1)}
    r = client.post("/login", data=sent, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    return client


#: Pages read per route: a second and third round, referral or meeting reach links the first
#: may not have (a round open today has no applications yet).
PER_ROUTE = 3


def _crawl(client: TestClient) -> dict[str, list[tuple[str, str]]]:
    """Up to ``PER_ROUTE`` pages per route this client reaches by links from home: route ->
    [(path, html)]."""
    seen: dict[str, list[tuple[str, str]]] = {}
    todo, asked = ["/"], set()
    while todo:
        path = todo.pop(0)
        route = next((r for r, p in PAGES if p.match(path)), None)
        if (
            route is None
            or FILES.search(path)
            or path in asked
            or len(seen.get(route, [])) >= PER_ROUTE
        ):
            continue
        asked.add(path)
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        seen.setdefault(route, []).append((path, r.text))
        links = re.findall(r'href="(/[^"#?]*)', r.text)
        todo += [link for link in links if not link.startswith(("/static", "/youth-map"))]
    return seen


def _english(html: str, kept: list[str]) -> list[str]:
    """The English words left once what the store keeps is taken out (as a page may capitalise
    it: compared without case)."""
    text = _read(html, []).lower()
    for k in kept:
        text = text.replace(k.lower(), " ")
    return [w for w in re.findall(r"[^\W\d_]+", text) if w in ENGLISH | MONTHS]


@pytest.mark.parametrize("lang", ["ur", "pl"])
def test_every_portal_page_of_every_role_is_in_the_language_chosen(portal, lang) -> None:
    app, url = portal
    kept = _kept(url)
    reached: set[str] = set()
    left = {}
    for role, email, password, _ in DEMO_LOGINS:
        if role not in ROLES and email not in ROLES:
            continue
        pages = _crawl(_signed_in(app, email, password, lang))
        reached |= set(pages)
        for path, html in (page for each in pages.values() for page in each):
            assert f'<html lang="{lang}" dir="{"rtl" if lang == "ur" else "ltr"}">' in html
            words = _english(html, kept)
            if words:
                left[f"{email} {path}"] = words[:8]
    missing = {r for r, _ in PAGES} - reached - {"/login"}
    assert not missing, f"no role's links reach {sorted(missing)}"
    assert not left, left


def test_the_language_is_kept_through_signing_in_and_out(portal) -> None:
    app, _ = portal
    email, password = DEMO_LOGINS[0][1:3]
    client = _signed_in(app, email, password, "ur")
    home = client.get("/").text
    assert '<html lang="ur" dir="rtl">' in home and "ابھی کیا کرنا ہے" in home
    token = re.search(r'name="csrf_token" value="([^"]+)"', home)
    assert token
    client.post("/logout", data={"csrf_token": token.group(1)})
    assert '<html lang="ur" dir="rtl">' in client.get("/login").text
    assert '<html lang="pl" dir="ltr">' in client.get("/login?lang=pl").text
    english = client.get("/login?lang=en").text
    assert '<html lang="en" dir="ltr">' in english and "Sign in" in english
    assert '<html lang="en"' in client.get("/login?lang=xx").text  # unknown: as it was
    # the links to the other languages keep the page, never a path a browser sent
    elsewhere = client.get("http://127.0.0.1//elsewhere.example/x")
    assert elsewhere.status_code == 404
    links = re.findall(r'href="([^"]*)" lang="', elsewhere.text)
    assert len(links) == 3 and all(link.startswith("?lang=") for link in links), links


def test_the_check_finds_english_left_in_a_portal_page(portal) -> None:
    """The check itself: an English sentence is found, a stored name is not."""
    _, url = portal
    kept = _kept(url)
    page = (
        "<p>ابھی کیا کرنا ہے: the return is late</p><p>Sports Diversion &amp; Impact Programme</p>"
    )
    assert _english(page, kept) == ["the", "is"]
    assert _english("<p>ابھی: SPORTS DIVERSION &amp; IMPACT PROGRAMME</p>", kept) == []
    assert _english("<p>Udzielona 16 May 2022</p>", kept) == ["may"]
    assert "Sports Diversion & Impact Programme" in kept  # and its "and" was not counted


def test_a_message_is_said_in_the_readers_language_with_its_values() -> None:
    """A message of the portal's own (``errors.t``) is its English wherever a text is wanted,
    and said whole in the reader's language, values too (a field's name, a status); a table
    that kept only its text (pandas does) or a copy in another process keeps it."""
    import pickle

    import pandas as pd

    from vrukit.errors import joined, t
    from vrukit.programme.returns import fields_of, validate_rows
    from vrukit.publish._i18n import language
    from vrukit.web.portal.lang import said

    pl, ur = language("pl"), language("ur")
    message = t("%(label)s: give a date (YYYY-MM-DD)", label=t("Review by"))
    assert message == "Review by: give a date (YYYY-MM-DD)"
    assert said(pl, message) == "Przegląd do: proszę podać datę (RRRR-MM-DD)"
    assert pickle.loads(pickle.dumps(message)).msgid == message.msgid
    # what a person typed is shown as typed, even a name that reads like a word we say
    assert said(pl, t("delivers %(intervention)s here", intervention="Home")) == (
        "realizuje tu: Home")  # fmt: skip
    kept = pd.DataFrame({"why": [joined([t("member of %(board)s", board="Safer Streets"),
                                         t("required")])]}).why[0]  # fmt: skip
    assert type(kept) is str and said(ur, kept) == "Safer Streets کا رکن؛ لازمی"
    fields = fields_of([{"name": "age", "type": "integer", "min": 8, "max": 25},
                        {"name": "ref", "type": "text"}])  # fmt: skip
    _, problems = validate_rows(fields, pd.DataFrame({"age": ["7", "x", ""],
                                                      "ref": ["a", "b", "c"]}))  # fmt: skip
    assert [str(p.message) for p in problems] == [
        "'7' is below the minimum 8", "'x' is not a valid integer; from 8 to 25; required",
        "is required"]  # fmt: skip
    assert said(pl, problems[0].message) == "'7' jest poniżej minimum 8"
    assert said(pl, problems[2].message) == "jest wymagane"
    assert said(language("en"), problems[1].message) == problems[1].message
    # a refusal the domain raises reaches the page as a plain text, and is said all the same
    from vrukit.commissioning.models import FundingRound
    from vrukit.commissioning.rounds import set_status
    from vrukit.errors import ConfigError

    with pytest.raises(ConfigError) as refused:
        set_status(FundingRound(name="Summer fund", status="draft"), "decided")
    shown = str(refused.value)
    assert shown == "round 'Summer fund' is draft: it cannot become decided"
    assert said(pl, shown) == (
        "nabór 'Summer fund' ma status: wersja robocza; nie może przejść w: rozstrzygnięty"
    )


def test_the_error_page_says_the_portals_message_in_the_language(portal) -> None:
    app, _ = portal
    email, password = DEMO_LOGINS[0][1:3]
    client = _signed_in(app, email, password, "ur")
    missing = client.get("/interventions/999999")
    assert missing.status_code == 404 and "ایسی کوئی مداخلت نہیں" in missing.text
    client.get("/?lang=pl")
    form = client.get("/rounds/new").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    refused = client.post("/rounds/new", data={"csrf_token": token.group(1), "name": "R",
                                               "budget": "x"})  # fmt: skip
    assert refused.status_code == 422 and '<html lang="pl"' in refused.text
    assert not _english(refused.text, []), " ".join(_read(refused.text, []).split())[-300:]


def test_a_refused_referral_step_is_said_in_the_language(portal) -> None:
    """The referral workflow's refusals (``NotAllowed``) and a new referral's problems reach
    the page in the reader's language, the statuses in it too."""
    app, _ = portal
    client = _signed_in(app, "ae@demo.vru", "demo-provider-password", "pl")
    queue = client.get("/referrals").text
    rid = re.search(r'href="/referrals/(\d+)"', queue)
    assert rid
    page = client.get(f"/referrals/{rid.group(1)}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    sent = {"csrf_token": token.group(1), "status": "no-such-status"}
    refused = client.post(f"/referrals/{rid.group(1)}/status", data=sent)
    assert refused.status_code in (409, 422), refused.status_code
    assert "skierowanie o statusie" in refused.text
    assert not _english(refused.text, []), " ".join(_read(refused.text, []).split())[-300:]


def test_a_pathway_is_chosen_by_its_id_however_large(portal) -> None:
    """The second review's L4: the referral forms read a pathway's id as they read an age (0 to
    130), so a pathway made after 130 others could not be chosen."""
    from vrukit.referrals.models import Pathway
    from vrukit.web.portal.referrals import _pathway

    _, url = portal
    with session(url) as s:
        first = s.scalars(select(Pathway).order_by(Pathway.id)).first()
        assert first is not None
        later = Pathway(id=5_000, key="later-pathway", name="Later pathway",
                        source_setting=first.source_setting, provider_id=first.provider_id,
                        steps=first.steps)  # fmt: skip
        s.add(later)
        s.flush()
        assert _pathway(s, {"pathway": "5000"}) is later
        assert _pathway(s, {"pathway": "4999"}) is None
        assert _pathway(s, {"pathway": "x"}) is None
        s.rollback()
