"""Commissioning (issue 30): a funding round from applications to awards, the panel's conflicts,
scores, moderation and ranking with ties explained, awards that set up the registry, and the
expected effect of what is funded checked against a hand computation."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import small_programme
from vrukit.commissioning.awards import award, decline, schedule
from vrukit.commissioning.models import Application, Payment
from vrukit.commissioning.rounds import (
    can_see,
    declare_conflict,
    moderate,
    open_round,
    ranking,
    record_application,
    score,
    set_status,
    submit,
)
from vrukit.commissioning.yef import BANDS, expected_effect, portfolio, strands
from vrukit.errors import ConfigError
from vrukit.programme.db import engine
from vrukit.programme.models import Intervention, Organisation, ReturnTemplate, User

TEMPLATE = [{"name": "participant_ref", "type": "text"},
            {"name": "sessions_attended", "type": "integer", "min": 0}]  # fmt: skip
CRITERIA = [("Need and reach", 3.0), ("Evidence of approach", 2.0), ("Value for money", 1.0)]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return small_programme(tmp_path_factory.mktemp("commissioning"))


@pytest.fixture
def s(base, tmp_path):
    """A session on a copy of the demo programme, with three panel users (one from outside
    the VRU's staff, in the "panel" role); rolled back afterwards."""
    eng = engine(base)
    with Session(eng) as session:
        for k, role in enumerate(("commissioner", "analyst", "panel")):
            session.add(User(email=f"panel{k}@x.org", password_hash="-", role=role))
        session.flush()
        yield session
        session.rollback()
    eng.dispose()


def _users(s: Session) -> list[int]:
    return list(s.scalars(select(User.id).where(User.email.like("panel%@x.org"))
                          .order_by(User.email)))  # fmt: skip


def _orgs(s: Session, n: int) -> list[Organisation]:
    return list(s.scalars(select(Organisation).where(Organisation.kind == "provider")
                          .order_by(Organisation.id)).all()[:n])  # fmt: skip


def _round(s: Session, name: str = "Community Initiatives Fund 2022", **kw):
    kw.setdefault(
        "questions",
        [
            {
                "key": "charity",
                "text": "Are you a registered charity or constituted group?",
                "must": "yes",
            }
        ],
    )
    rnd = open_round(s, name=name, fund="Community Initiatives Fund", budget=100_000,
                     opens=date(2022, 1, 10), closes=date(2022, 2, 28), criteria=CRITERIA,
                     panel=_users(s), template=TEMPLATE, baseline={"secondary": 0.25},
                     **kw)  # fmt: skip
    set_status(rnd, "open")
    return rnd


def _apply(s, rnd, org, title, amount, reach=100, strand="Mentoring", eligible=True):
    a = record_application(
        s, rnd, org.id, title=title, summary="Weekly sessions", reach=reach,
        thematic_area="sport", prevention_tier="secondary", yef_strand=strand,
        budget=[("Coach", "staff", amount * 0.75), ("Hall hire", "venue", amount * 0.25)],
        answers={"charity": "yes" if eligible else "no"}, ages=(11, 17),
    )  # fmt: skip
    submit(a, date(2022, 2, 1))
    return a


def _score_all(s, rnd, a, by_member: dict[int, list[int]]):
    for uid, values in by_member.items():
        for c, v in zip(rnd.criteria, values, strict=True):
            score(s, a, c, uid, v, comment=f"{c.name}: {v}")


def test_a_round_runs_from_applications_to_an_award_in_the_registry_and_a_decline(s):
    rnd = _round(s)
    one, two = _orgs(s, 2)
    a = _apply(s, rnd, one, "Boxing after school", 40_000)
    b = _apply(s, rnd, two, "Street football", 30_000)
    p1, p2, p3 = _users(s)
    declare_conflict(s, b, p3, "trustee of the applicant")
    set_status(rnd, "scoring")
    _score_all(s, rnd, a, {p1: [4, 4, 3], p2: [4, 3, 3], p3: [5, 4, 3]})
    _score_all(s, rnd, b, {p1: [3, 3, 4], p2: [3, 2, 4]})
    ranked = ranking(s, rnd)
    assert [r.application.title for r in ranked] == ["Boxing after school", "Street football"]
    # by hand: mean scores 4.333, 3.667, 3 and 3, 2.5, 4 on 0-5, weights 3, 2, 1
    assert ranked[0].total == pytest.approx(100 * (3 * 13 / 3 + 2 * 11 / 3 + 3) / 5 / 6)
    assert ranked[1].total == pytest.approx(100 * (3 * 3 + 2 * 2.5 + 4) / 5 / 6)
    assert ranked[1].scorers == 2 and not ranked[1].notes
    iv = award(s, a, None, amount=38_000, start=date(2022, 4, 1), end=date(2023, 3, 31),
               conditions="Safeguarding policy by April")  # fmt: skip
    decline(s, b, None, "Reach is outside the priority places")
    assert a.status == "awarded" and b.status == "declined" and rnd.status == "decided"
    assert b.decision_note == "Reach is outside the priority places"
    stored = s.get(Intervention, iv.id)
    assert stored.provider_id == one.id and stored.funding == 38_000
    assert stored.yef_strand == "Mentoring" and stored.yef_impact == "moderate"
    assert (stored.contract_start, stored.contract_end) == (date(2022, 4, 1), date(2023, 3, 31))
    templates = select(ReturnTemplate).where(ReturnTemplate.intervention_id == iv.id)
    assert s.scalars(templates).one().fields == TEMPLATE
    pays = s.scalars(select(Payment).where(Payment.intervention_id == iv.id)
                     .order_by(Payment.due)).all()  # fmt: skip
    assert [p.amount for p in pays] == [9_500] * 4 and pays[0].due == date(2022, 4, 1)
    with pytest.raises(ConfigError, match="cannot be decided again"):
        decline(s, a, None, "changed our minds")


def test_a_conflicted_member_neither_sees_nor_scores_and_their_scores_are_withdrawn(s):
    rnd = _round(s)
    (one,) = _orgs(s, 1)
    a = _apply(s, rnd, one, "Mentoring for Year 9", 20_000)
    p1, _, p3 = _users(s)
    set_status(rnd, "scoring")
    _score_all(s, rnd, a, {p3: [5, 5, 5]})
    declare_conflict(s, a, p3, "my sister runs it")
    assert not can_see(s, a, p3) and can_see(s, a, p1)
    assert ranking(s, rnd)[0].scorers == 0, "the conflicted member's scores were withdrawn"
    with pytest.raises(ConfigError, match="declared conflict"):
        score(s, a, rnd.criteria[0], p3, 4)
    outsider = s.scalars(select(User.id).where(User.email == "analyst@demo.vru")).one()
    with pytest.raises(ConfigError, match="panel"):
        score(s, a, rnd.criteria[0], outsider, 4)
    with pytest.raises(ConfigError, match="panel"):
        declare_conflict(s, a, outsider, "none")


def test_ties_on_total_are_broken_by_the_heaviest_criterion_then_cost_or_shared(s):
    rnd = _round(s)
    orgs = _orgs(s, 5)
    p1, p2, _ = _users(s)
    # totals (weights 3, 2, 1 of 6, scale 0-5): A = B = C = D = E = 60.0 per cent, planted:
    # A scores 3 on the heaviest and B 4: B above A; C and D score like A, C costs less per
    # young person than D (and than A, which costs as D); D and A tie on everything: shared.
    plan = {"A": ([3, 3, 3], 30_000), "B": ([4, 1, 4], 30_000), "C": ([3, 3, 3], 20_000),
            "D": ([3, 3, 3], 30_000)}  # fmt: skip
    apps = {}
    for (title, (_, amount)), org in zip(plan.items(), orgs, strict=False):
        apps[title] = _apply(s, rnd, org, title, amount)
    set_status(rnd, "scoring")
    for title, (values, _) in plan.items():
        _score_all(s, rnd, apps[title], {p1: values, p2: values})
    ranked = {r.application.title: r for r in ranking(s, rnd)}
    assert {round(r.total, 6) for r in ranked.values()} == {60.0}
    assert ranked["B"].rank == 1 and ranked["C"].rank == 2
    assert ranked["A"].rank == ranked["D"].rank == 3
    assert "Need and reach" in ranked["C"].tie and "(3.0 against 4.0)" in ranked["C"].tie
    assert "share a rank" in ranked["D"].tie and "share a rank" in ranked["A"].tie
    assert "costs more per young person reached (£300.0 against £200.0)" in ranked["A"].tie


def test_scorers_who_differ_are_moderated_before_an_award(s):
    rnd = _round(s)
    (one,) = _orgs(s, 1)
    a = _apply(s, rnd, one, "Detached youth work", 25_000)
    p1, p2, _ = _users(s)
    set_status(rnd, "scoring")
    _score_all(s, rnd, a, {p1: [5, 3, 3], p2: [2, 3, 3]})
    r = ranking(s, rnd)[0]
    assert r.criteria[0].differs and any("moderate it" in n for n in r.notes)
    with pytest.raises(ConfigError, match="moderate"):
        award(s, a, None, amount=25_000, start=date(2022, 4, 1), end=date(2023, 3, 31))
    moderate(s, a, rnd.criteria[0], p1, 4, "Agreed at panel: strong local need")
    r = ranking(s, rnd)[0]
    assert r.criteria[0].used == 4 and not r.notes
    assert r.total == pytest.approx(100 * (3 * 4 + 2 * 3 + 3) / 5 / 6)
    rnd.budget = 20_000
    with pytest.raises(ConfigError, match=r"over its budget of £20,000\.00"):
        award(s, a, None, amount=25_000, start=date(2022, 4, 1), end=date(2023, 3, 31))
    rnd.budget = 100_000
    award(s, a, None, amount=25_000, start=date(2022, 4, 1), end=date(2023, 3, 31))


def test_an_ineligible_or_late_application_is_not_submitted_or_awarded(s):
    rnd = _round(s)
    one, two = _orgs(s, 2)
    with pytest.raises(ConfigError, match=r"not eligible.*requires .yes."):
        _apply(s, rnd, one, "Not constituted", 10_000, eligible=False)
    a = s.scalars(select(Application).where(Application.title == "Not constituted")).one()
    assert a.status == "draft"
    a.answers = {"charity": "Yes, charity 1234567"}  # "yes", in a sentence
    submit(a, date(2022, 2, 1))
    late = record_application(
        s, rnd, two.id, title="Late", summary="-", reach=10, thematic_area="sport",
        prevention_tier="primary", budget=[("All", "other", 1_000)], answers={"charity": "yes"},
    )  # fmt: skip
    with pytest.raises(ConfigError, match="2022-02-28"):
        submit(late, date(2022, 3, 1))
    set_status(rnd, "scoring")
    p1, p2, _ = _users(s)
    _score_all(s, rnd, a, {p1: [3, 3, 3], p2: [3, 3, 3]})
    with pytest.raises(ConfigError, match=r"more than the £10,000\.00"):
        award(s, a, None, amount=12_000, start=date(2022, 4, 1), end=date(2023, 3, 31))
    a.answers = {"charity": "no"}  # changed behind the form's back: not ready to award
    r = ranking(s, rnd)[0]
    assert r.rank is None and "requires 'yes'" in r.ineligible[0]
    with pytest.raises(ConfigError, match="not ready to award"):
        award(s, a, None, amount=10_000, start=date(2022, 4, 1), end=date(2023, 3, 31))


def test_a_programme_round_adds_each_award_to_the_programme_s_providers(s):
    sport = s.scalars(select(Intervention).where(Intervention.thematic_area == "sport")).first()
    before, funding = set(sport.provider_ids), sport.funding or 0
    rnd = _round(s, "Sports diversion clubs 2022", intervention_id=sport.id)
    new = [o for o in s.scalars(select(Organisation).order_by(Organisation.id))
           if o.id not in before][:2]  # fmt: skip
    apps = [_apply(s, rnd, o, f"Club {k}", 5_000) for k, o in enumerate(new)]
    set_status(rnd, "scoring")
    p1, p2, _ = _users(s)
    for a in apps:
        _score_all(s, rnd, a, {p1: [3, 3, 3], p2: [3, 4, 3]})
        assert award(s, a, None, amount=5_000, start=date(2022, 4, 1),
                     end=date(2023, 3, 31)).id == sport.id  # fmt: skip
    assert sport.provider_ids == before | {o.id for o in new}
    assert sport.funding == funding + 10_000


def test_a_payment_schedule_adds_up_to_the_penny():
    parts = schedule(10_000.01, date(2022, 4, 1), date(2023, 3, 31), 3)
    assert sum(round(p * 100) for _, p in parts) == 1_000_001
    assert [d for d, _ in parts] == [date(2022, 4, 1), date(2022, 8, 1), date(2022, 12, 1)]
    quarterly = schedule(38_000, date(2022, 4, 1), date(2023, 3, 31), 4)
    assert [d.month for d, _ in quarterly] == [4, 7, 10, 1]


def test_the_expected_effect_equals_a_hand_computation():
    """Mentoring: the Toolkit's 21% reduction in violence, carried with its band's 10-30%;
    200 young people at 0.25 violent offences each a year, for £50,000."""
    m = strands()["mentoring"]
    e = expected_effect(200, 0.25, "Mentoring", 50_000)
    assert (m.estimate, m.low, m.high, m.basis) == (0.21, 0.10, 0.30, "stated")
    assert e.prevented == pytest.approx(200 * 0.25 * 0.21)  # 10.5 offences a year
    assert (e.low, e.high) == (pytest.approx(5.0), pytest.approx(15.0))
    assert e.cost_each == pytest.approx(50_000 / 10.5)
    assert (e.cost_low, e.cost_high) == (pytest.approx(50_000 / 15), pytest.approx(10_000))
    unknown = expected_effect(200, 0.25, "Juggling", 50_000)
    assert unknown.prevented is None and "not in the YEF Toolkit table" in unknown.why
    both = portfolio([(e, 50_000), (expected_effect(100, 0.25, "Mentoring", 30_000), 30_000),
                      (unknown, 20_000)])  # fmt: skip
    assert both.prevented == pytest.approx(10.5 + 5.25)
    assert both.cost_each == pytest.approx(100_000 / 15.75) and "1 item" in both.why
    assert "harmful" in expected_effect(50, 0.5, "Boot camps", 1_000).why


def test_the_yef_table_keeps_to_the_bands_it_names():
    """Every row's estimate lies within its band's range, and says where it comes from."""
    for st in strands().values():
        lo, hi = BANDS[st.band]
        assert (st.low, st.high) == (lo, hi), st.name
        if st.estimate is not None:
            assert lo <= st.estimate <= hi and st.basis in ("stated", "band midpoint",
                                                            "band floor"), st.name  # fmt: skip
        assert st.source.startswith("https://youthendowmentfund.org.uk/"), st.name


def test_an_award_finds_a_free_name_for_its_intervention(s):
    """The seventh probe: with "T" and "T (Org)" already interventions, an award of an
    application titled "T" failed on the unique name (500), and could never be made."""
    rnd = _round(s)
    (one,) = _orgs(s, 1)
    p1, p2, _ = _users(s)
    bid = _apply(s, rnd, one, "Boxing after school", 10_000)
    for name in ("Boxing after school", f"Boxing after school ({one.name})"):
        s.add(Intervention(name=name, provider_id=one.id, thematic_area="sport",
                           prevention_tier="secondary",
                           contract_start=date(2021, 4, 1)))  # fmt: skip
    s.flush()
    set_status(rnd, "scoring")
    _score_all(s, rnd, bid, {p1: [4, 4, 3], p2: [4, 4, 3]})
    iv = award(s, bid, None, amount=9_000, start=date(2022, 4, 1), end=date(2023, 3, 31))
    assert iv.name == f"Boxing after school ({one.name}, 2)"
