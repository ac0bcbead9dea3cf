"""The portal in a real browser: uvicorn serving the app on a small programme store, Debian's
Chromium driven by Playwright, axe-core from npm. Each role signs in through the form and every
main page loads without console errors and with no axe violations (WCAG 2.2 AA and best
practice); a provider types a return into the web form, is shown its problem, corrects it and
submits; the pages fit a 320 px screen."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import add_listings, axe_violations, open_page, serve, small_programme
from vrukit.programme.db import engine
from vrukit.programme.models import Intervention, Place, PlaceEvaluation, ReturnSubmission, User
from vrukit.web.portal.app import create_app

PROVIDER = ("boxing@demo.vru", "demo-provider-password")
COMMISSIONER = ("commissioner@demo.vru", "demo-commissioner-password")
ADMIN = ("admin@demo.vru", "demo-admin-password")


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[tuple[str, dict[str, int]]]:
    url = small_programme(tmp_path_factory.mktemp("portal_browser"))
    eng = engine(url)
    with Session(eng) as s:
        boxing = s.scalars(select(User).where(User.email == PROVIDER[0])).one()
        iv = s.scalars(
            select(Intervention).where(Intervention.provider_id == boxing.organisation_id)
        ).first()
        training = s.scalars(
            select(Intervention).where(Intervention.thematic_area == "trauma_informed")
        ).one()
        sub = s.scalars(select(ReturnSubmission).where(ReturnSubmission.intervention_id == iv.id))
        place = s.scalars(select(Place)).first()
        for design, detail in (
            ("did", {"start": "2020-10", "event_study": [
                {"quarter": q, "effect": e, "low": e - 0.1, "high": e + 0.1}
                for q, e in ((-3, 0.01), (-2, 0.02), (-1, 0.0), (0, -0.2), (1, -0.3))]}),
            ("synthetic_control", {"start": "2020-10", "series": [
                {"month": f"2020-{m:02d}", "actual": 10.0 - (m > 9) * 2.5, "synthetic": 10.0}
                for m in range(4, 13)]}),
        ):  # fmt: skip
            s.add(PlaceEvaluation(place_id=place.id, design=design, effect=-0.25, low=-0.3,
                                  high=-0.2, p=0.01, sms_level=3, run_at=datetime(2022, 6, 1),
                                  detail=detail))  # fmt: skip
        ids = {"iid": iv.id, "rid": sub.first().id, "training": training.id}
        s.commit()
        add_listings(s, tmp_path_factory.mktemp("listings"))
    eng.dispose()
    with serve(create_app(url)) as base:
        yield base, ids


def _sign_in(browser, base: str, who: tuple[str, str], width: int = 1200):
    page, problems = open_page(browser, base + "/login", width)
    page.get_by_label("E-mail").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    assert page.url == base + "/", page.content()[:500]
    return page, problems


def _check(page, base: str, paths: list[str], problems: list[str]) -> dict[str, list[str]]:
    failures = {}
    for path in paths:
        response = page.goto(base + path, wait_until="load")
        found = list(problems) + axe_violations(page)
        if response is None or response.status != 200:
            found.append(f"status {response.status if response else 'none'}")
        if found:
            failures[path] = found
        problems.clear()
    return failures


def test_every_main_page_passes_axe_for_each_role(browser, portal) -> None:
    base, ids = portal
    page, problems = open_page(browser, base + "/login")
    failures = _check(page, base, ["/login"], problems)
    page.close()
    # each page template once, as the role that sees the most of it (a commissioner sees the
    # upload, web-form, training and edit links; providers the web form; admins users and audit)
    by_role = {
        COMMISSIONER: ["/", "/interventions", f"/interventions/{ids['iid']}",
                       f"/interventions/{ids['training']}", "/returns", f"/returns/{ids['rid']}",
                       "/evaluation"],
        PROVIDER: [f"/interventions/{ids['iid']}/returns/new"],
        ADMIN: ["/admin/users", "/audit", f"/interventions/{ids['iid']}/edit", "/directory",
                "/directory/services/svc-2"],
    }  # fmt: skip
    for who, paths in by_role.items():
        page, problems = _sign_in(browser, base, who)
        failures |= {f"{who[0]} {k}": v for k, v in _check(page, base, paths, problems).items()}
        page.close()
    assert not failures, failures


def test_a_provider_enters_a_return_in_the_web_form(browser, portal) -> None:
    base, ids = portal
    page, problems = _sign_in(browser, base, PROVIDER)
    page.goto(f"{base}/interventions/{ids['iid']}", wait_until="load")
    page.get_by_role("link", name="type the return into a web form").click()
    page.wait_for_load_state("load")
    page.get_by_label("Quarter (for example 2021-Q2)").fill("2022-Q1")
    page.locator("#r0-participant_ref").fill("P7001")
    page.locator("#r0-age").fill("31")  # too old for the programme
    page.locator("#r0-referred_by").select_option("school")
    page.locator("#r0-engaged").select_option("yes")
    page.locator("#r0-sessions_attended").fill("4")
    page.locator("#r0-completed").select_option("no")
    page.get_by_role("button", name="Submit return").click()
    page.wait_for_load_state("load")
    alert = page.get_by_role("alert")
    assert "Nothing was stored" in alert.inner_text() and "Row 1, age" in alert.inner_text()
    assert not axe_violations(page), "the form with its problems is accessible"
    target = alert.get_by_role("link", name="Row 1, age").get_attribute("href")
    assert page.locator(target).count() == 1, "each message links to its cell"
    page.locator("#r0-age").fill("16")
    assert page.locator("#r0-participant_ref").input_value() == "P7001", "what was typed is kept"
    page.get_by_role("button", name="Submit return").click()
    page.wait_for_load_state("load")
    assert "/returns/" in page.url and "P7001" in page.content()
    # the refused form answered 422 (Chromium logs that); nothing else went wrong
    assert [p for p in problems if "status of 422" not in p] == []


def test_portal_pages_fit_320_pixels(browser, portal) -> None:
    base, ids = portal
    mine = f"/interventions/{ids['iid']}"
    for who, paths in (
        (PROVIDER, ["/", mine, f"{mine}/returns/new"]),
        (COMMISSIONER, ["/returns", "/evaluation", "/directory", "/directory/services/svc-1"]),
    ):
        page, problems = _sign_in(browser, base, who, width=320)
        for path in paths:
            page.goto(base + path, wait_until="load")
            width = page.evaluate("document.documentElement.scrollWidth")
            wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > 320)
                .map(e => e.tagName + ' ' + e.textContent.slice(0, 30)).slice(0, 3)""")
            assert width <= 320, f"{path} is {width} px wide at 320 px: {wide}"
        assert not problems
        page.close()


def test_a_vru_sets_up_its_programme_from_an_empty_store(browser, store_url, tmp_path):
    """From an empty store (SQLite, then the real PostgreSQL): `vrukit admin create-user`
    makes the first admin, who signs in and creates two organisations, an intervention with a
    lead and a partner provider, its Theory of Change and a return template, and the sign-ins
    of a provider and a commissioner; the partner provider submits a return; the commissioner
    sees it. Every page on the way passes axe and logs no error (the CSP included)."""
    from typer.testing import CliRunner

    from vrukit.cli import app as cli

    admin = ("first.admin@vru.test", "a-long-admin-password")
    res = CliRunner().invoke(cli, ["admin", "create-user", admin[0], "--role", "admin",
                                   "--store", store_url, "--password-stdin"],
                             input=admin[1] + "\n")  # fmt: skip
    assert res.exit_code == 0, res.output
    with serve(create_app(store_url, secret_key="s" * 40)) as base:
        page, problems = _sign_in(browser, base, admin)
        page.goto(base + "/registry")
        for name in ("Northfield Boxing", "Westside Youth Trust"):
            page.get_by_label("Name", exact=True).first.fill(name)
            page.get_by_role("button", name="Add the organisation").click()
            page.wait_for_load_state("load")
        assert "Westside Youth Trust" in page.content()
        page.get_by_role("link", name="Add an intervention").click()
        page.get_by_label("Name", exact=True).fill("Street Sport")
        page.get_by_label("Lead provider").select_option(label="Northfield Boxing")
        page.get_by_label("Westside Youth Trust").check()
        page.get_by_label("Thematic area").select_option("sport")
        page.get_by_label("Prevention tier").select_option("secondary")
        page.get_by_label("Contract start").fill("2022-01-01")
        page.get_by_role("button", name="Create the intervention").click()
        page.wait_for_load_state("load")
        assert page.url.endswith("/setup"), page.url
        setup_url = page.url
        failures = _check(page, base, [setup_url.removeprefix(base)], problems)
        assert not failures, failures
        page.get_by_label("What happens").fill("Weekly coached sessions in the park")
        page.get_by_label("Indicator (optional)").fill("Sessions attended")
        page.get_by_label("Return field it is measured by (optional)").fill("sessions")
        page.get_by_label("Target (optional)").fill("10")
        page.get_by_role("button", name="Add the step").click()
        page.wait_for_load_state("load")
        page.get_by_label("Field 1 name").fill("participant_ref")
        page.get_by_label("Field 2 name").fill("sessions")
        page.get_by_label("Field 2 type").select_option("integer")
        page.get_by_label("Field 2 minimum").fill("0")
        for k in range(3, 11):  # the rows left blank are not fields
            page.get_by_label(f"Field {k} required").uncheck()
        page.get_by_role("button", name="Save as a new version").click()
        page.wait_for_load_state("load")
        assert "Version 1 is in use" in page.content() and "Weekly coached" in page.content()
        page.goto(base + "/admin/users")
        for email, role, org in (("coach@westside.test", "provider", "Westside Youth Trust"),
                                 ("commissioner@vru.test", "commissioner", None)):  # fmt: skip
            page.locator("#email").fill(email)
            page.locator("#password").fill("another-long-password")
            page.locator("#role").select_option(role)
            if org:
                page.locator("#organisation_id").select_option(label=org)
            page.get_by_role("button", name="Add").last.click()
            page.wait_for_load_state("load")
        assert not problems, problems
        page.close()

        page, problems = _sign_in(browser, base, ("coach@westside.test", "another-long-password"))
        page.get_by_role("link", name="Street Sport").first.click()
        page.wait_for_load_state("load")
        returns = tmp_path / "street-sport-2022-Q1.csv"
        returns.write_text("participant_ref,sessions\nW001,7\nW002,12\n")
        page.get_by_label("Quarter (for example 2021-Q2)").fill("2022-Q1")
        page.get_by_label("Completed template (CSV or XLSX)").set_input_files(str(returns))
        page.get_by_role("button", name="Submit return").click()
        page.wait_for_load_state("load")
        assert "/returns/" in page.url and "W002" in page.content(), page.content()[-800:]
        assert not problems, problems
        page.close()

        page, problems = _sign_in(browser, base, ("commissioner@vru.test", "another-long-password"))
        page.goto(base + "/returns")
        listing = page.content()
        assert "Street Sport" in listing and "2022-Q1" in listing
        failures = _check(page, base, ["/returns", "/registry"], problems)
        assert not failures, failures
        page.close()
    with Session(engine(store_url)) as s:
        sub = s.scalars(select(ReturnSubmission)).one()
        org = s.scalars(select(User).where(User.email == "coach@westside.test")).one()
        assert sub.organisation_id == org.organisation_id  # the partner's own return
        rows = [{"participant_ref": "W001", "sessions": 7},
                {"participant_ref": "W002", "sessions": 12}]  # fmt: skip
        assert [r.data for r in sub.rows] == rows
