"""The portal on a phone and each role's home page (issue 32, item 7): the home page says what
needs doing now (referrals waiting and past their time, returns due or late, scores owed, plan
actions past their date), counted as the store holds them; under 600 px tables read as cards
with every cell labelled and no word broken; form fields are 16 px so a phone does not zoom."""

from __future__ import annotations

import re
import shutil
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from conftest import axe_violations, open_page, serve
from vrukit.programme.db import session
from vrukit.programme.models import Intervention, ReturnSubmission, User
from vrukit.referrals.crypto import Keyring
from vrukit.referrals.models import Referral
from vrukit.referrals.report import sla
from vrukit.web.portal.app import create_app
from vrukit.web.portal.todo import GRACE_DAYS, to_do

NOW = datetime(2022, 5, 16, 12, 0)  # the demo's REFERRALS_TODAY
RECEIVER = ("ae@demo.vru", "demo-provider-password")
COMMISSIONER = ("commissioner@demo.vru", "demo-commissioner-password")


@pytest.fixture(scope="module")
def store(demo_region, tmp_path_factory):
    """A copy of the demo's store with one return taken out: the receiver's last one before
    NOW, which its home page must then list as late (or due)."""
    folder = tmp_path_factory.mktemp("phone")
    shutil.copy(demo_region.folder / "programme.sqlite", folder / "programme.sqlite")
    url = f"sqlite:///{folder / 'programme.sqlite'}"
    with session(url) as s:
        me = s.scalars(select(User).where(User.email == RECEIVER[0])).one()
        gone = s.scalars(
            select(ReturnSubmission)
            .where(ReturnSubmission.organisation_id == me.organisation_id)
            .order_by(ReturnSubmission.period.desc())
        ).first()
        assert gone is not None
        later = s.scalars(select(ReturnSubmission).where(
            ReturnSubmission.supersedes_id == gone.id)).first()  # fmt: skip
        if later is not None:
            later.supersedes_id = None
        planted = (s.get(Intervention, gone.intervention_id).name, gone.period)
        s.delete(gone)
    return url, Keyring.from_file(demo_region.folder / "referral.key"), planted


def test_the_home_page_counts_what_is_waiting_as_the_store_holds_it(store) -> None:
    url, _, planted = store
    with session(url) as s:
        me = s.scalars(select(User).where(User.email == RECEIVER[0])).one()
        items = to_do(s, me, NOW.date(), NOW)
        clocks = sla(s, NOW, Referral.receiving_org_id == me.organisation_id)
    said = {i.href: i for i in items}
    text = said["/referrals"].text
    assert len(clocks) > 1 and text.startswith(
        f"{len(clocks):,} open referrals wait for your organisation's next step."
    )
    late = int(clocks.overdue.sum())
    assert (f"{late:,} of them are past the pathway's time" in text) == (late > 0)
    returns = [i for i in items if i.href == "/returns"]
    named = [t for i in returns for t, _ in i.examples]
    assert any(t.startswith(f"{planted[0]}, {planted[1]}") for t in named), named
    # late things first
    assert [i.late for i in items] == sorted((i.late for i in items), reverse=True)


def test_scores_owed_and_actions_past_their_date_reach_the_commissioner(store) -> None:
    from vrukit.commissioning.governance import action_status
    from vrukit.commissioning.models import Action

    url, _, _ = store
    with session(url) as s:
        me = s.scalars(select(User).where(User.email == COMMISSIONER[0])).one()
        today = date(2022, 3, 31)
        items = to_do(s, me, today, NOW)
        past = [a for a in s.scalars(select(Action)) if a.due < today
                and action_status(a, today)[0] != "complete"]  # fmt: skip
    plan = [i for i in items if i.href == "/plan"]
    assert bool(plan) == bool(past)
    if past:
        word = "action" if len(past) == 1 else "actions"
        assert plan[0].text.startswith(f"{len(past):,} {word} of the plan")


def test_a_return_is_due_within_the_grace_days_and_late_after() -> None:
    from vrukit.web.portal.todo import _quarters

    start = date(2021, 4, 1)
    assert [q for q, _ in _quarters(start, None, date(2021, 10, 1))] == ["2021-Q2", "2021-Q3"]
    ended = dict(_quarters(start, date(2021, 6, 30), date(2022, 1, 1)))
    assert list(ended) == ["2021-Q2"]  # nothing owed after the contract ends
    assert ended["2021-Q2"] + timedelta(days=GRACE_DAYS) == date(2021, 7, 30)


@pytest.fixture(scope="module")
def live(store):
    url, keyring, _ = store
    app = create_app(url, secret_key="a-test-session-secret-of-forty-characters!",
                     now=lambda: NOW, today=lambda: NOW.date(), referral_key=keyring)  # fmt: skip
    with serve(app) as root:
        yield root


def _sign_in(browser, root: str, who: tuple[str, str], width: int, lang: str = "en"):
    page, problems = open_page(browser, f"{root}/login?lang={lang}", width)
    for field in (page.locator("#email"), page.locator("#password")):
        size = field.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 16, size  # smaller and a phone zooms in on the field
    page.locator("#email").fill(who[0])
    page.locator("#password").fill(who[1])
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state("load")
    assert page.url == root + "/", page.content()[:300]
    return page, problems


#: What the home page's first item says, in each language the test reads it in.
WAITING = {"en": r"\d+ open referrals wait", "ur": r"\d+\u2069? کھلے ریفرل"}


@pytest.mark.parametrize("lang", ["en", "ur"])
@pytest.mark.parametrize("width", [390, 1280])
def test_on_a_phone_tables_read_as_cards_and_the_home_says_what_to_do(
    browser, live, lang, width
) -> None:
    page, problems = _sign_in(browser, live, RECEIVER, width, lang)
    assert page.evaluate("[document.documentElement.lang, document.dir]") == [
        lang, "rtl" if lang == "ur" else "ltr"]  # fmt: skip
    todo = page.locator("#todo + ul.todo > li")
    assert todo.count() >= 2
    assert re.search(WAITING[lang], todo.first.inner_text()), todo.first.inner_text()
    assert not axe_violations(page)
    page.goto(live + "/referrals", wait_until="load")
    heads = page.locator("table.cards thead th").all_inner_texts()
    cells = page.locator("table.cards tbody tr").first.locator("td, th")
    assert cells.count() >= 3
    for k in range(cells.count()):
        cell = cells.nth(k)
        box = cell.evaluate("""c => ({display: getComputedStyle(c).display,
            label: c.getAttribute('data-label'), width: c.getBoundingClientRect().width,
            overflow: c.scrollWidth - c.clientWidth})""")
        assert box["label"] == heads[k].strip(), (box, heads)  # the column's name, translated
        if width < 600:  # a card: each cell a whole line under its column's name, nothing cut
            assert box["display"] == "block", box
            assert box["width"] > 250 and box["overflow"] <= 1, box
        else:
            assert box["display"] == "table-cell", box
    captions = page.evaluate(
        "Array.from(document.querySelectorAll('caption'), c => c.getBoundingClientRect().width)"
    )
    assert captions and min(captions) > min(250, width - 60), captions  # a line, not a letter
    width_used = page.evaluate("document.documentElement.scrollWidth")
    assert width_used <= width, width_used  # nothing sideways
    assert not axe_violations(page)
    page.goto(live + "/returns", wait_until="load")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert not axe_violations(page) and not problems
    page.close()
