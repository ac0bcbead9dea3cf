"""Young people's voice (issue 33, item 1): a survey designer that refuses identifying
questions; routing; the public link answered anonymously on a phone (no sign-in, no cookie),
once per form, throttled per network; results only through the disclosure layer, where a
group below the minimum size never shows; the safety measure by place that place evaluation
reads; the youth panel's consent rule; and every new route for every role."""

from __future__ import annotations

import copy
import hashlib
import re
import shutil
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conftest import axe_violations, open_page, serve, small_programme
from vrukit.demo.voice import SURVEY
from vrukit.errors import ConfigError
from vrukit.programme.db import engine
from vrukit.voice.design import check_answers, check_definition
from vrukit.voice.models import Survey, SurveyResponse, YouthPanelMember
from vrukit.voice.responses import PER_HOUR
from vrukit.voice.results import MIN_GROUP, responses, safety_before_after, survey_results
from vrukit.web.portal import voice
from vrukit.web.portal.app import create_app
from vrukit.web.youth_map import create_youth_map_app

SECRET = "a-test-session-secret-of-forty-characters!"
NOW = datetime(2022, 5, 16, 12, 0)
KEY = SURVEY["key"]
WHO = {
    "admin": ("admin@demo.vru", "demo-admin-password"),
    "commissioner": ("commissioner@demo.vru", "demo-commissioner-password"),
    "analyst": ("analyst@demo.vru", "demo-analyst-password"),
    "provider": ("boxing@demo.vru", "demo-provider-password"),
    "panel": ("panel@demo.vru", "demo-panel-password"),
}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The demo programme (with its survey, a year and more of responses, and the panel)."""
    folder = tmp_path_factory.mktemp("voice")
    small_programme(folder)
    return folder / "programme.sqlite"


def _copy(base, tmp_path) -> str:
    shutil.copy(base, tmp_path / "p.sqlite")
    return f"sqlite:///{tmp_path / 'p.sqlite'}"


def _youth(url: str) -> TestClient:
    return TestClient(create_youth_map_app(url, migrate=False, clock=lambda: NOW,
                                           today=lambda: NOW.date()))  # fmt: skip


def _count(url: str) -> int:
    with Session(engine(url)) as s:
        return s.scalar(select(func.count()).select_from(SurveyResponse)) or 0


# -- the designer -------------------------------------------------------------------------------


def _with(question: dict) -> dict:
    d = copy.deepcopy(SURVEY)
    d["questions"].append(question)
    return d


def _q(qid: str, text: str, kind: str = "text") -> dict:
    return {"id": qid, "type": kind, "text": {"en": text, "ur": text}}


@pytest.mark.parametrize(
    ("question", "said"),
    [
        (_q("who", "What is your name?"), "'What is your name'"),
        (_q("contact", "Your e-mail, so we can reply"), "'Your e-mail'"),
        (_q("where", "What's your postcode?"), "'postcode'"),
        (_q("sch", "Which school do you go to?"), "'Which school do you'"),
        (_q("born", "Your date of birth"), "'date of birth'"),
        (_q("email", "Anything else?"), "an answer called 'email'"),
        (_q("insta", "Your social media handle"), "'social media handle'"),
        # the review's holes
        (_q("a1", "Name:"), "'Name:'"),
        (_q("a2", "What should we call you?"), "'What should we call you'"),
        (_q("a3", "How can we contact you?"), "'contact you'"),
        (_q("a4", "Which street do you live on?"), "'Which street'"),
        (_q("a5", "What is your house number?"), "'house number'"),
        (_q("a6", "What's your Instagram or Snapchat?"), "'your Instagram'"),
        (_q("a7", "What year were you born?"), "'year were you born'"),
        (_q("a8", "Your mobile?"), "'Your mobile'"),
        (_q("a9", "Your school's name?"), "Your school's name"),
        (
            _q("a10", "How old are you, in years?", "number") | {"min": 8, "max": 30},
            "'How old are you'",
        ),
        (_q("your_name", "Anything else?"), "an answer called 'your_name'"),
        (_q("home_postcode", "Anything else?"), "an answer called 'home_postcode'"),
        (_q("school_name", "Anything else?"), "an answer called 'school_name'"),
        # the eighteenth probe: a zero-width space, and full-width letters
        (_q("a11", "What is your na\u200bme?"), "'What is your name'"),
        (_q("a12", "Your ｐｏｓｔｃｏｄｅ?"), "'postcode'"),
        # the nineteenth: a Cyrillic "а", and a scale's labels
        (_q("a13", "What is your n\u0430me?"), "'What is your name'"),
        (_q("a15", "Your p\u0585stc\u1d0fde, na\u034fme?"), "'postcode'"),
        (
            {
                **_q("a14", "How sure are you?", "scale"),
                "min": 1,
                "max": 2,
                "labels": {"en": ["Not sure", "Your postcode"], "ur": ["-", "-"]},
            },
            "'postcode'",
        ),
    ],
)
def test_the_designer_refuses_a_question_that_would_identify_someone(question, said):
    with pytest.raises(ConfigError, match="identify someone") as e:
        check_definition(_with(question))
    assert said in str(e.value) and f"({question['id']})" in str(e.value)


def test_the_designer_reads_the_introduction_too():
    d = copy.deepcopy(SURVEY)
    d["intro"] = {"en": "Please give your full name first.", "ur": "-"}
    with pytest.raises(ConfigError, match="the title or introduction: asks for 'your full name'"):
        check_definition(d)


@pytest.mark.parametrize("text", ["Do you feel safe at school?", "Have you been called names?",
                                  "Do you feel at home where you live?",
                                  "Which school subjects make you feel safe?",
                                  "What school clubs would you join?",
                                  "Do you feel safe walking near your home address?",
                                  "Email us at help@vru.org if you are worried"])  # fmt: skip
def test_the_designer_keeps_questions_about_experiences(text):
    assert check_definition(_with(_q("ok", text)))
    assert check_definition(_with(_q("safe_at_school", text)))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"show_if": {"question": "later", "equals": "yes"}}, "an earlier single"),
        ({"type": "date"}, "is not one of single"),
        ({"text": {"en": "Only English"}}, "a text in each language"),
        # the eighteenth probe's shapes, each once a 500 at design time or on the public form
        ({"type": "single", "options": ["yes", "no"]}, "each option needs a value"),
        ({"type": "single", "options": {"yes": 1, "no": 2}}, "needs 2 to 20 options"),
        ({"type": "single", "options": 5}, "needs 2 to 20 options"),
        (
            {
                "type": "single",
                "options": [
                    {"value": "a", "text": ["a"]},
                    {"value": "b", "text": {"en": "b", "ur": "b"}},
                ],
            },
            "option 'a': 'text' needs a text in each language",
        ),
        ({"text": {"en": "A question", "ur": "-", "pl": 5}}, "a text in each language"),
        ({"show_if": {"question": ["seen_knife"], "equals": "yes"}}, "an earlier single"),
        ({"show_if": {"question": {"a": 1}, "equals": "yes"}}, "an earlier single"),
        ({"type": "scale", "min": 1, "max": 5, "measure": ["feel_safe"]}, "needs a 1 to 5"),
        ({"type": "number", "min": 1, "max": 5, "measure": "feel_safe"}, "needs a 1 to 5"),
        ({"type": "scale", "min": 1, "max": 5, "labels": {"en": 5, "ur": 5}}, "'labels' needs"),
        ({"type": "scale", "min": 1, "max": 5, "labels": ["a", "b"]}, "'labels' needs"),
        ({"type": "scale", "min": 1, "max": 5, "labels": "abc"}, "'labels' needs"),
        ({"type": "scale", "min": 1, "max": 3, "labels": {"en": ["a", "b", "c"]}}, "labels"),
        ({"type": "scale", "min": True, "max": 5}, "whole numbers 'min' and 'max'"),
        ({"required": "yes"}, "'required' is true or false"),
        ({"most": 10.5}, "'most'"),
    ],
)
def test_the_designer_names_a_broken_question(change, problem):
    with pytest.raises(ConfigError, match=problem):
        check_definition(_with({**_q("broken", "A question"), **change}))


def test_a_definition_s_texts_are_kept_as_visible_text_and_a_broken_name_is_refused():
    """The twenty-first probe: half a character ("\\ud800") or a NUL in a question was kept,
    and the public form was a 500 for everyone."""
    d = copy.deepcopy(SURVEY)
    d["questions"][0]["text"]["en"] = "How safe\ud800 do you\x00 feel\u202e after dark?"
    d["intro"] = {"en": "Line one\nline two\ufffe"}
    kept = check_definition(d)
    assert kept["questions"][0]["text"]["en"] == "How safe do you feel after dark?"
    assert kept["intro"]["en"] == "Line one\nline two"
    d["questions"][0]["text"]["\ud800"] = "x"
    with pytest.raises(ConfigError, match="holds characters that are not"):
        check_definition(d)


@pytest.mark.parametrize("intro", ["hello", ["a", "b"], {"en": ["a"]}])
def test_an_introduction_of_the_wrong_shape_is_named(intro):
    with pytest.raises(ConfigError, match="intro: a text for each language"):
        check_definition({**copy.deepcopy(SURVEY), "intro": intro})


def test_a_scale_with_labels_in_each_language_is_kept_and_its_form_shows_them(base, tmp_path):
    """The eighteenth probe: a scale whose labels were a number, a list or a string was kept,
    and its public form was a 500 for every young person until staff closed it."""
    d = _with(
        {
            **_q("mood", "How do you feel today?", "scale"),
            "min": 1,
            "max": 3,
            "labels": {"en": ["Low", "Okay", "Good"], "ur": ["کم", "ٹھیک", "اچھا"]},
        }
    )
    d["key"] = "with-labels"
    url = _copy(base, tmp_path)
    with Session(engine(url)) as s:
        s.add(Survey(key=d["key"], title="l", definition=check_definition(d), status="open",
                     created_at=NOW))  # fmt: skip
        s.commit()
    c = _youth(url)
    for lang, shown in (("en", "3 - Good"), ("ur", "3 - اچھا"), ("pl", "3 - Good")):
        r = c.get(f"/have-your-say/with-labels?lang={lang}")
        assert r.status_code == 200 and shown in r.text, lang


def test_routing_keeps_only_the_answers_the_routing_showed():
    d = check_definition(copy.deepcopy(SURVEY))
    sent = {"safe_after_dark": ["4"], "seen_knife": ["no"], "where_seen": ["park"]}
    assert "where_seen" not in check_answers(d, sent)  # hidden: "no" was the answer
    sent["seen_knife"] = ["yes"]
    assert check_answers(d, sent)["where_seen"] == ["park"]
    with pytest.raises(ConfigError, match="safe_after_dark: please answer"):
        check_answers(d, {"seen_knife": ["no"]})
    with pytest.raises(ConfigError, match="a whole number from 1 to 5"):
        check_answers(d, {**sent, "safe_after_dark": ["9"]})


# -- the public link ----------------------------------------------------------------------------


def _form(c: TestClient, lang: str = "en") -> tuple[str, dict]:
    page = c.get(f"/have-your-say/{KEY}?lang={lang}")
    assert page.status_code == 200
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    place = re.search(r'name="place" value="(\d+)"', page.text).group(1)
    return page.text, {
        "token": token,
        "lang": lang,
        "place": place,
        "age_band": "14-15",
        "safe_after_dark": "2",
        "seen_knife": "yes",
        "where_seen": "park",
    }


def test_one_form_counts_once_and_a_forged_or_old_one_not_at_all(base, tmp_path):
    url = _copy(base, tmp_path)
    c = _youth(url)
    before = _count(url)
    _, form = _form(c)
    first = c.post(f"/have-your-say/{KEY}", data=form, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].endswith("/thanks?lang=en")
    assert "set-cookie" not in first.headers
    again = c.post(f"/have-your-say/{KEY}", data=form, follow_redirects=False)
    assert again.status_code == 303  # the double click is thanked, and not counted
    assert _count(url) == before + 1
    forged = {**form, "token": form["token"][:-4] + "0000"}
    r = c.post(f"/have-your-say/{KEY}", data=forged)
    assert r.status_code == 422 and "not issued here" in r.text
    old = TestClient(create_youth_map_app(url, migrate=False, clock=lambda: datetime(2022, 5, 17)))
    _, late = _form(c)
    r = old.post(f"/have-your-say/{KEY}", data=late)
    assert r.status_code == 422 and "hours old" in r.text
    # a problem shows the form again with the answers kept, and the token unspent
    _, form = _form(c)
    r = c.post(f"/have-your-say/{KEY}", data={**form, "age_band": "ancient"})
    assert r.status_code == 422 and "your age" in r.text and 'value="2" checked' in r.text
    assert _count(url) == before + 1
    assert c.post(f"/have-your-say/{KEY}", data=form, follow_redirects=False).status_code == 303
    assert _count(url) == before + 2


def test_one_network_address_is_throttled_and_no_address_is_kept(base, tmp_path):
    url = _copy(base, tmp_path)
    c = _youth(url)
    before = _count(url)
    for _ in range(PER_HOUR):
        _, form = _form(c)
        assert c.post(f"/have-your-say/{KEY}", data=form, follow_redirects=False).status_code == 303
    _, form = _form(c)
    r = c.post(f"/have-your-say/{KEY}", data=form)
    assert r.status_code == 429 and "try again later" in r.text
    assert _count(url) == before + PER_HOUR
    with Session(engine(url)) as s:
        from vrukit.voice.models import SurveyThrottle

        keys = set(s.scalars(select(SurveyThrottle.key)))
        stored = s.scalars(select(SurveyResponse).order_by(SurveyResponse.id.desc())).first()
    assert keys and not any("testclient" in k or "127.0.0.1" in k for k in keys)
    assert set(stored.answers) <= {q["id"] for q in SURVEY["questions"]}
    assert not hasattr(stored, "client") and stored.submitted_on == NOW.date()


def test_a_draft_survey_has_no_public_page_and_a_closed_one_takes_no_answers(base, tmp_path):
    url = _copy(base, tmp_path)
    c = _youth(url)
    _, form = _form(c)
    with Session(engine(url)) as s:
        s.scalars(select(Survey)).one().status = "closed"
        s.commit()
    closed = c.post(f"/have-your-say/{KEY}", data=form)
    assert closed.status_code == 422 and "closed" in closed.text
    with Session(engine(url)) as s:
        s.scalars(select(Survey)).one().status = "draft"
        s.commit()
    assert c.get(f"/have-your-say/{KEY}").status_code == 404
    assert c.get("/have-your-say/no-such-survey").status_code == 404


@pytest.mark.parametrize(("width", "lang"), [(390, "en"), (390, "ur"), (1280, "en")])
def test_a_young_person_completes_the_survey_anonymously_on_a_phone(
    browser, base, tmp_path, width, lang
):
    url = _copy(base, tmp_path)
    before = _count(url)
    app = create_youth_map_app(url, migrate=False, clock=lambda: NOW, today=lambda: NOW.date())
    with serve(app) as root:
        page, problems = open_page(browser, f"{root}/have-your-say/{KEY}?lang={lang}", width)
        assert page.evaluate("document.documentElement.dir") == ("rtl" if lang == "ur" else "ltr")
        assert not axe_violations(page)
        page.locator("input[name=place]").first.check()
        page.locator("input[name=age_band][value='14-15']").check()
        page.locator("input[name=safe_after_dark][value='4']").check()
        page.locator("input[name=seen_knife][value='yes']").check()
        page.locator("input[name=where_seen][value='street']").check()
        page.locator("textarea[name=what_would_help]").fill("More youth workers in the park")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.locator("button[type=submit]").click()
        page.wait_for_load_state("load")
        assert "/thanks" in page.url
        assert page.locator("h1").inner_text() == ("شکریہ" if lang == "ur" else "Thank you")
        assert not axe_violations(page)
        assert page.context.cookies() == []  # nothing that could follow them
        assert not problems
        page.close()
    assert _count(url) == before + 1
    with Session(engine(url)) as s:
        kept = s.scalars(select(SurveyResponse).order_by(SurveyResponse.id.desc())).first()
        assert kept.answers["where_seen"] == ["street"] and kept.language == lang
        assert kept.answers["what_would_help"] == "More youth workers in the park"


# -- results through the disclosure layer -------------------------------------------------------


def _frame(sizes: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """Responses in 2022-Q1: for each place, (yes, no) to seen_knife; each "yes" was then shown
    where_seen (required here) and answered "park"; everyone answered the measure."""
    rows = []
    for place, (yes, no) in sizes.items():
        for k in range(yes + no):
            said = "yes" if k < yes else "no"
            answers = {"seen_knife": said, "safe_after_dark": 2 + k % 4}
            if said == "yes":
                answers["where_seen"] = ["park"]
            rows.append({"place": place, "age_band": "14-15" if k % 2 else "16-17",
                         "period": "2022-Q1", "answers": answers})  # fmt: skip
    return pd.DataFrame(rows)


def _routed_survey() -> dict:
    d = copy.deepcopy(SURVEY)
    for q in d["questions"]:
        if q["id"] == "where_seen":
            q["required"] = True
    return check_definition(d)


KEYS = ("breakdown", "place", "age_band", "period")


def test_a_group_below_the_minimum_size_never_appears_in_any_breakdown():
    small = MIN_GROUP - 4
    frame = _frame({"Big place": (40, 20), "Other place": (30, 15), "Tiny place": (small, 0)})
    out = survey_results(frame, _routed_survey())
    for qid, table in out.items():
        tiny = table[table["place"] == "Tiny place"]
        assert len(tiny) == 1, qid  # by place, in its quarter
        for r in tiny.to_dict("records"):
            assert not str(r["n"]).isdigit()
            answers = [v for k, v in r.items() if k not in (*KEYS, "n")
                       and not k.startswith("share_")]  # fmt: skip
            assert set(answers) == {"[x]"}, (qid, r)  # not even a zero is shown
        # nor can it be worked out from the quarter's total and the other places
        places = table[table["breakdown"] == "place+period"]
        total = table[table["breakdown"] == "period"].iloc[0]
        hidden = (~places["n"].astype(str).str.isdigit()).sum()
        assert hidden >= 2 or not str(total.n).isdigit(), qid
        for c in [c for c in table.columns if c not in KEYS and not c.startswith("share_")]:
            shown = pd.to_numeric(table[c], errors="coerce").dropna()
            assert ((shown == 0) | (shown >= MIN_GROUP)).all(), (qid, c)
    # every question's respondents are the survey's: one question's total never shows another's
    assert len({tuple(tb["n"].astype(str)) for tb in out.values()}) == 1


def test_a_routed_question_cannot_give_away_the_answer_it_follows():
    """The review's H2: 12 said yes and 5 no in one place; where_seen (shown after yes, and
    required) was answered by exactly the 12, so publishing its 12 would give the 5 away."""
    out = survey_results(_frame({"A": (12, 5), "B": (30, 30)}), _routed_survey())
    seen, where = out["seen_knife"], out["where_seen"]
    a_seen = seen[(seen.breakdown == "place+period") & (seen.place == "A")].iloc[0]
    a_where = where[(where.breakdown == "place+period") & (where.place == "A")].iloc[0]
    assert a_seen.no == "<10"
    assert not str(a_seen.yes).isdigit() and not str(a_where.answered).isdigit()


def test_the_measure_publishes_its_two_groups_not_the_points_it_adds():
    """The review's H1: feel_safe (4 and 5) beside the points 4 and 5 gave a suppressed point
    away by subtraction; the measure's results are its two groups only."""
    out = survey_results(_frame({"A": (20, 20), "B": (25, 25)}), _routed_survey())
    measure = out["safe_after_dark"]
    assert {"feel_safe", "not_safe"} <= set(measure.columns)
    assert not {"1", "2", "3", "4", "5"} & set(measure.columns)


def test_a_later_quarter_s_results_give_nothing_away_about_an_earlier_one(base):
    """The twelfth probe: running totals published at each quarter's end gave that quarter's
    small counts away by subtraction. Every breakdown is now by quarter, and a quarter's cells
    are the same in each later release."""
    with Session(engine(f"sqlite:///{base}")) as s:
        survey = s.scalars(select(Survey)).one()
        early = survey_results(responses(s, survey, date(2021, 4, 1)), survey.definition)
        late = survey_results(responses(s, survey, date(2022, 4, 1)), survey.definition)
    for qid, table in early.items():
        assert set(table["breakdown"]) == {"period", "place+period", "age_band+period"}
        keys = ["breakdown", "place", "age_band", "period"]
        both = table.merge(late[qid], on=keys, suffixes=("", "_late"))
        assert len(both) == len(table), qid  # every early cell is in the later release
        for c in [c for c in table.columns if c not in keys]:
            a, b = both[c], both[f"{c}_late"]
            if c.startswith("share_"):  # shares: the same number (or both not shown)
                a, b = pd.to_numeric(a).round(9).fillna(-1), pd.to_numeric(b).round(9).fillna(-1)
            same = a.astype(str) == b.astype(str)
            assert same.all(), (qid, c, both.loc[~same, [*keys, c, f"{c}_late"]].head(3)
                                .to_dict("records"))  # fmt: skip


def test_results_count_only_quarters_that_have_ended(base, tmp_path):
    """The review's M2: results shown live let a youth worker who watched a young person send
    a response read its answers from the change."""
    url = _copy(base, tmp_path)
    c = _youth(url)
    _, form = _form(c)
    with Session(engine(url)) as s:
        survey = s.scalars(select(Survey)).one()
        before = survey_results(responses(s, survey, NOW.date()), survey.definition)
    assert c.post(f"/have-your-say/{KEY}", data=form, follow_redirects=False).status_code == 303
    with Session(engine(url)) as s:
        survey = s.scalars(select(Survey)).one()
        after = survey_results(responses(s, survey, NOW.date()), survey.definition)
        everything = responses(s, survey)
    assert all(before[k].equals(after[k]) for k in before)
    assert everything["period"].eq("2022-Q2").sum() == 1  # kept, and counted once it ends


def test_no_page_gives_an_exact_count_of_respondents_beside_the_noisy_cells(base, tmp_path):
    """The eighteenth probe: the surveys list counted every response exactly (this quarter's
    too) and the survey's page those of ended quarters, so the list less the page gave this
    quarter's respondents and the page took the noise off the quarters' published totals. Now
    the list gives no count, and the page the sum of the quarters' totals as published."""
    from vrukit.voice.results import published_respondents

    url = _copy(base, tmp_path)
    portal = TestClient(create_app(url, secret_key=SECRET, today=lambda: NOW.date(),
                                   now=lambda: NOW))  # fmt: skip
    _sign_in(portal, WHO["analyst"])
    with Session(engine(url)) as s:
        survey = s.scalars(select(Survey)).one()
        results = survey_results(responses(s, survey, NOW.date()), survey.definition)
        exact = len(responses(s, survey))
    shown, hidden = published_respondents(results)
    periods = results["seen_knife"].query("breakdown == 'period'")
    assert shown == periods["n"].astype(int).sum() and hidden == 0 and len(periods) > 2

    def pages() -> tuple[str, str]:
        page = portal.get(f"/surveys/{survey.id}").text
        table = re.search(r"<table.*?</table>", portal.get("/surveys").text, re.S)[0]
        return table, re.search(r"About ([\d,]+) respondents", page)[1]

    listed, said = pages()
    assert said == f"{shown:,}" and f"{exact:,}" not in listed and f"{shown:,}" not in listed
    c = _youth(url)
    for _ in range(4):  # this quarter's answers change neither page
        _, form = _form(c)
        assert c.post(f"/have-your-say/{KEY}", data=form).status_code in (200, 303)
    assert pages() == (listed, said)


def test_odd_places_number_questions_and_other_sites_are_refused_cleanly(base, tmp_path):
    url = _copy(base, tmp_path)
    c = _youth(url)
    _, form = _form(c)
    r = c.post(f"/have-your-say/{KEY}", data={**form, "place": "\u00b2"})
    assert r.status_code == 422 and "where you live" in r.text  # "²" once gave a 500
    r = c.post(f"/have-your-say/{KEY}", data=form, headers={"origin": "https://evil.example"})
    assert r.status_code == 403
    r = c.post(f"/have-your-say/{KEY}", data=form, headers={"sec-fetch-site": "cross-site"})
    assert r.status_code == 403
    with Session(engine(url)) as s:  # a survey with a number question still shows its results
        d = _with({**_q("hours", "Hours a week of sport", "number"), "min": 0, "max": 40})
        d["key"] = "with-a-number"
        s.add(Survey(key=d["key"], title="n", definition=check_definition(d), status="open",
                     created_at=NOW))  # fmt: skip
        s.commit()
        sid = s.scalars(select(Survey.id).where(Survey.key == "with-a-number")).one()
    portal = TestClient(create_app(url, secret_key=SECRET, today=lambda: NOW.date(),
                                   now=lambda: NOW))  # fmt: skip
    _sign_in(portal, WHO["analyst"])
    assert portal.get(f"/surveys/{sid}").status_code == 200


def test_the_demo_s_safety_measure_rose_in_the_pilot_places_as_planted(base):
    import json

    truth = json.loads((base.parent / "demo" / "voice.json").read_text())["truth"]
    with Session(engine(f"sqlite:///{base}")) as s:
        table = safety_before_after(s)
        survey = s.scalars(select(Survey)).one()
        frame = responses(s, survey)
    assert set(table["place"]) == set(truth["places"])
    for r in table.itertuples():
        assert r.before_respondents >= 100 and r.after_respondents >= 300
        assert abs(r.before_share - truth["before"]) < 0.12
        assert abs(r.after_share - truth["after"]) < 0.06
        assert r.change > 0.08 and r.quarters_not_published == 0
    elsewhere = frame[frame["place"].str.startswith("Somewhere")]
    share = elsewhere["answers"].map(lambda a: a["safe_after_dark"] >= 4).mean()
    assert abs(share - truth["elsewhere"]) < 0.05


# -- the youth panel ----------------------------------------------------------------------------


def test_an_under_16_joins_the_panel_only_with_a_parent_s_or_carer_s_consent(base, tmp_path):
    url = _copy(base, tmp_path)
    c = TestClient(create_app(url, secret_key=SECRET, today=lambda: NOW.date(), now=lambda: NOW))
    token = _sign_in(c, WHO["commissioner"])
    form = {
        "csrf_token": token,
        "name": "Sam",
        "age": "14",
        "consent_by": "self",
        "consent_on": "2022-05-01",
        "joined": "2022-05-02",
    }
    r = c.post("/youth-panel/members", data=form)
    assert r.status_code == 422 and "Under 16: a parent" in r.text
    r = c.post("/youth-panel/members", data={**form, "consent_by": "parent or carer"},
               follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    with Session(engine(url)) as s:  # the store holds the rule too
        s.add(YouthPanelMember(name="X", age_on_joining=12, consent_by="self",
                               consent_on=date(2022, 1, 1), joined=date(2022, 1, 1)))  # fmt: skip
        with pytest.raises(IntegrityError):
            s.flush()
    page = c.get("/youth-panel").text
    assert "Sam" in page and "parent or carer, 2022-05-01" in page


# -- every route, every role --------------------------------------------------------------------


def _csrf(c: TestClient, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', c.get(path).text).group(1)


def _sign_in(c: TestClient, who: tuple[str, str]) -> str:
    form = {"email": who[0], "password": who[1], "csrf_token": _csrf(c, "/login")}
    assert c.post("/login", data=form, follow_redirects=False).status_code == 303
    return _csrf(c, "/")


def test_the_access_test_covers_every_voice_route():
    served = {(m, r.path) for r in voice.router.routes for m in r.methods}
    assert served == set(voice.ROUTES)


WRITES = [r for r in voice.ROUTES if r[0] == "POST"]
EXPECTED = {
    "admin": dict.fromkeys(WRITES, 303),
    "commissioner": dict.fromkeys(WRITES, 303),
    "analyst": dict.fromkeys(WRITES, 403),
    "provider": dict.fromkeys(voice.ROUTES, 403),
    "panel": dict.fromkeys(voice.ROUTES, 403),
}
NEW_SURVEY = {**SURVEY, "key": "a-second-survey"}


def _voice_form(path: str, ids: dict) -> dict:
    import json

    return {
        "/surveys": {"definition": json.dumps(NEW_SURVEY)},
        "/surveys/{sid}/status": {"status": "closed"},
        "/youth-panel/members": {"name": "Ola", "age": "17", "consent_by": "self",
                                 "consent_on": "2022-05-01", "joined": "2022-05-01"},
        "/youth-panel/members/{pid}/leave": {"left": "2022-05-10"},
        "/youth-panel/sessions": {"held_on": "2022-05-12", "topic": "Parks",
                                  "present": str(ids["stays"])},
    }.get(path, {})  # fmt: skip


@pytest.mark.parametrize("role", list(EXPECTED))
def test_every_role_calls_every_voice_route(base, tmp_path, role):
    url = _copy(base, tmp_path)
    c = TestClient(create_app(url, secret_key=SECRET, today=lambda: NOW.date(), now=lambda: NOW))
    token = _sign_in(c, WHO[role])
    with Session(engine(url)) as s:
        members = s.scalars(select(YouthPanelMember.id).order_by(YouthPanelMember.id)).all()
        ids = {"sid": s.scalars(select(Survey.id)).one(), "pid": members[0], "stays": members[1]}
    for method, path in voice.ROUTES:
        target = path.format(**ids)
        if method == "GET":
            r = c.get(target, follow_redirects=False)
        else:
            r = c.post(target, data={"csrf_token": token, **_voice_form(path, ids)},
                       follow_redirects=False)  # fmt: skip
        want = EXPECTED[role].get((method, path), 200)
        assert r.status_code == want, (role, method, path, r.status_code, r.text[-300:])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/have-your-say/{KEY}"),
        ("POST", f"/have-your-say/{KEY}"),
        ("GET", f"/have-your-say/{KEY}/thanks"),
    ],
)
def test_the_public_link_needs_no_sign_in_and_shows_no_results(base, tmp_path, method, path):
    url = _copy(base, tmp_path)
    c = _youth(url)
    r = c.get(path) if method == "GET" else c.post(path, data={"token": "x"})
    assert r.status_code in (200, 422)
    assert "share_" not in r.text and "Respondents" not in r.text


def test_the_public_link_s_routes_are_all_in_the_access_test(base, tmp_path):
    app = create_youth_map_app(_copy(base, tmp_path), migrate=False)
    served = {(m, r.path) for r in app.routes if "have-your-say" in getattr(r, "path", "")
              for m in getattr(r, "methods", ())}  # fmt: skip
    tested = {("GET", "/have-your-say/{key}"), ("POST", "/have-your-say/{key}"),
              ("GET", "/have-your-say/{key}/thanks")}  # fmt: skip
    assert served == tested


def test_the_portal_s_evaluation_page_sets_feeling_safe_and_themes_beside_crime(base, tmp_path):
    url = _copy(base, tmp_path)
    c = TestClient(create_app(url, secret_key=SECRET, today=lambda: NOW.date(), now=lambda: NOW))
    _sign_in(c, WHO["analyst"])
    page = c.get("/evaluation").text
    assert "How safe young people feel, by place" in page
    with Session(engine(url)) as s:
        first = safety_before_after(s).iloc[0]
    assert f'<th scope="row">{first.place}</th>' in page
    assert "Excerpts by theme and place" in page  # the qualitative evidence, counts only


def test_the_youth_map_links_to_an_open_survey_and_not_to_a_draft(base, tmp_path):
    url = _copy(base, tmp_path)
    page = _youth(url).get("/").text
    assert f'href="/have-your-say/{KEY}"' in page and "Have your say" in page
    with Session(engine(url)) as s:
        s.scalars(select(Survey)).one().status = "draft"
        s.commit()
    assert "Have your say" not in _youth(url).get("/").text


def test_the_throttle_counts_an_ipv6_household_once_and_a_proxy_s_port_is_no_stranger(
    base, tmp_path
):
    """The twelfth probe: one IPv6 /64 holds more addresses than any throttle could count, and
    behind a proxy on a port other than 443 the browser's Origin has the port while Host has
    not: each once refused every answer."""
    from vrukit.voice.responses import network as _network

    assert (
        _network("2001:db8:1:2::1")
        == _network("2001:db8:1:2:ffff::9")
        != _network("2001:db8:1:3::1")
    )
    assert _network("203.0.113.9") == "203.0.113.9"
    url = _copy(base, tmp_path)
    c = _youth(url)
    _, form = _form(c)
    r = c.post(f"/have-your-say/{KEY}", data=form, follow_redirects=False,
               headers={"origin": "http://testserver:8443"})  # fmt: skip
    assert r.status_code == 303


@pytest.mark.parametrize(
    "value", ["n", "no_answer", "answered", "place", "period", "age_band", "breakdown", "share_yes"]
)
def test_an_option_named_as_a_results_column_is_refused_and_every_allowed_one_works(value):
    """The thirteenth probe: an ordinary yes/no question with the value "n" made the results
    page and /evaluation 500 from the first quarter end after its first response."""
    question = {**_q("club", "Do you go to a club?", "single"),
                "options": [{"value": "y", "text": {"en": "Yes", "ur": "ہاں"}},
                            {"value": value, "text": {"en": "No", "ur": "نہیں"}}]}  # fmt: skip
    with pytest.raises(ConfigError, match="is a name the results use"):
        check_definition(_with(question))
    with pytest.raises(ConfigError, match="not a name the form or results use"):
        check_definition(_with(_q("respondents", "Anything else?")))
    question["options"][1]["value"] = "no_thanks"
    d = check_definition(_with(question))
    frame = pd.DataFrame([{"place": "A", "age_band": "14-15", "period": "2022-Q1",
                           "answers": {"club": "no_thanks" if k % 3 else "y",
                                       "seen_knife": "no", "safe_after_dark": 4}}
                          for k in range(30)])  # fmt: skip
    assert survey_results(frame, d)["club"].loc[0, "no_thanks"] == "20"


def test_a_definition_nested_too_deeply_is_a_422_and_ipv4_mapped_addresses_count_as_ipv4(
    base, tmp_path
):
    from vrukit.voice.responses import network as _network

    assert _network("::ffff:203.0.113.9") == "203.0.113.9" != _network("::ffff:203.0.113.10")
    url = _copy(base, tmp_path)
    c = TestClient(create_app(url, secret_key=SECRET, today=lambda: NOW.date(), now=lambda: NOW))
    token = _sign_in(c, WHO["commissioner"])
    deep = "[" * 50_000 + "]" * 50_000
    r = c.post("/surveys", data={"csrf_token": token, "definition": deep})
    assert r.status_code == 422 and "nested too deeply" in r.text


def _send_at_once(root: str, n: int, client_ip: str | None = None) -> list[int]:
    """``n`` young people send the survey at the same moment (each their own form)."""
    import threading

    import httpx

    forms = []
    for _ in range(n):
        page = httpx.get(f"{root}/have-your-say/{KEY}").text
        token = re.search(r'name="token" value="([^"]+)"', page).group(1)
        forms.append({"token": token, "lang": "en", "place": "elsewhere", "age_band": "14-15",
                      "safe_after_dark": "4", "seen_knife": "no"})  # fmt: skip
    gate, codes = threading.Barrier(n), []

    def send(form: dict) -> None:
        gate.wait()
        codes.append(httpx.post(f"{root}/have-your-say/{KEY}", data=form, timeout=60).status_code)

    threads = [threading.Thread(target=send, args=(f,)) for f in forms]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return codes


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_answers_sent_at_the_same_moment_are_all_kept(request, base, tmp_path, kind):
    """The fourteenth probe: on SQLite, answers sent at once failed with "database is locked"
    (4 of 10) and were lost; on PostgreSQL the first answers of an hour clashed on the
    throttle's row and the count missed answers sent together."""
    from conftest import serve

    if kind == "sqlite":
        url = _copy(base, tmp_path)
    else:
        from test_portal_eighth_probe import _pg_database
        from vrukit.programme.db import upgrade

        url = _pg_database(request)
        upgrade(url)
        with Session(engine(url)) as s:
            s.add(Survey(key=KEY, title="t", definition=check_definition(copy.deepcopy(SURVEY)),
                         status="open", created_at=NOW))  # fmt: skip
            s.commit()
    before = _count(url)
    app = create_youth_map_app(url, migrate=False, clock=lambda: NOW, today=lambda: NOW.date())
    with serve(app) as root:
        codes = _send_at_once(root, 12)
    assert codes == [303] * 12 and _count(url) == before + 12
    with Session(engine(url)) as s:
        from vrukit.voice.models import SurveyThrottle

        assert sum(s.scalars(select(SurveyThrottle.count))) == 12  # every answer counted


# -- noise on published counts: the sixteenth probe's padding ------------------------------------


def _published(shown: int, count: int) -> float:
    """How likely a published ``shown`` is for a true ``count`` (the padder knows the noise)."""
    if count < MIN_GROUP:
        return 0.0  # it would have been suppressed
    if shown == MIN_GROUP:  # anything at or below 10 is shown as 10
        return 1 - sum(2.0 ** -abs(e) / 3 for e in range(MIN_GROUP - count + 1, 60))
    return 2.0 ** -abs(shown - count) / 3


def test_the_noise_is_the_two_sided_geometric_with_no_edge_and_the_same_everywhere():
    """P(change = t) = 2**-|t| / 3 exactly: the noise rises with the key, so the keys giving a
    change of t or more are one run, whose length is counted by halving. Every change has a
    chance (no edge to pin a count against: a noise of -2 to +2 had one, the seventeenth probe),
    and each is half as likely as the one nearer zero."""
    from vrukit.voice.results import KEY_BITS, noise, noisy

    top = 1 << KEY_BITS

    def first(t: int) -> int:  # the smallest key whose change is at least t
        lo, hi = 0, top
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if noise(mid) >= t else (mid + 1, hi)
        return lo

    for t in range(-12, 13):
        share = ((first(t + 1) - first(t)) if t > -12 else first(t + 1)) / top
        if t > -12:
            assert abs(share - 2.0 ** -abs(t) / 3) < 2 / top, t
    assert noise(0) == -KEY_BITS and noise(top - 1) == KEY_BITS and noise(top // 2) == 0
    assert [noise(k) for k in (12345, 1 << 31, 99 << 20)] == [-17, 0, -4]  # worked by hand
    assert noisy(0, 7) == 0 and noisy(10, 0) == MIN_GROUP  # zeros stay; nothing under 10


def test_padding_a_small_group_never_gives_its_count_back_even_with_the_rest_of_its_row():
    """The sixteenth probe added 9 answers of its own to a group of 3 (shown <10), read 12 and
    took 9 away. The seventeenth read the padded cell with the rest of its row (respondents,
    the other answer, the exact zeros) and, with noise of -2 to +2, was left with one possible
    count in 7 of 1,000 tries. Here a padder who knows the noise's distribution weighs every
    count by how likely each published figure makes it: even told the true count is 1 to 9,
    the likeliest is never more than 80% likely, and it is the true one in fewer than half
    the tries."""
    d = _routed_survey()
    d["questions"] = [q for q in d["questions"] if q["id"] == "seen_knife"]
    rng = np.random.default_rng(17)
    pad, tries, right, surest, shown = 9, 80, 0, 0.0, set()
    for trial in range(tries):
        true = int(rng.integers(1, MIN_GROUP))
        frame = _frame({"Big place": (40, 30), "Small place": (true + pad, 20)})
        frame["rkey"] = rng.integers(0, 2**32, len(frame))
        out = survey_results(frame, d)["seen_knife"]
        assert out.equals(survey_results(frame, d)["seen_knife"]), trial  # same records, same
        row = out[(out.breakdown == "place+period") & (out.place == "Small place")].iloc[0]
        assert (row.rather_not, row.no_answer) == ("0", "0")
        yes, n, no = int(row.yes), int(row.n), int(row.no)
        shown.add(yes)
        weight = np.array([_published(yes, c + pad) * sum(
            _published(n, c + pad + o) * _published(no, o) for o in range(80))
            for c in range(1, MIN_GROUP)])  # fmt: skip
        weight /= weight.sum()
        surest = max(surest, float(weight.max()))
        right += int(np.argmax(weight)) + 1 == true
    assert len(shown) >= 6 and min(shown) == MIN_GROUP
    assert surest < 0.8, surest
    assert right < 0.5 * tries, right


def test_every_store_has_its_own_secret_for_the_noise_and_the_demo_its_fixed_one(base, tmp_path):
    from vrukit.programme.db import upgrade
    from vrukit.programme.models import StoreSetting
    from vrukit.voice.results import CELL_KEY

    keys = []
    for name in ("a", "b"):
        url = f"sqlite:///{tmp_path / name}.sqlite"
        upgrade(url)
        with Session(engine(url)) as s:
            keys.append(s.get(StoreSetting, CELL_KEY).value)
    assert keys[0] != keys[1] and all(len(bytes.fromhex(k)) == 32 for k in keys)
    with Session(engine(f"sqlite:///{base}")) as s:  # the demo's, from its seed
        demo = s.get(StoreSetting, CELL_KEY).value
        frame = responses(s, s.scalars(select(Survey)).one())
    assert demo == hashlib.sha256(b"vrukit-demo-2021-survey-cells").hexdigest()
    assert frame["rkey"].between(0, 2**32 - 1).all() and frame["rkey"].is_unique
