"""The nineteenth probe's findings (issue 29), each with the test that guards it: texts the
portal kept as sent (a vertical tab in a template label made the provider's template.xlsx a
500; NUL and direction overrides in an intervention's setting broke the registry's export), a
date of birth that was any text, e-mail addresses that were not, a duplicate merge that read
consent answers by their time rather than the order written, and formulas live in the
evaluation's CSVs."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from test_portal_hardening import (  # noqa: F401 - base and url are fixtures
    ADMIN,
    BOXING,
    COMMISSIONER,
    _client,
    _sign_in,
    base,
    url,
)
from test_referrals import NOW, PERSON, _refer, _tiny, _user
from vrukit.programme.db import engine, session
from vrukit.programme.models import Intervention, User
from vrukit.referrals.workflow import NotAllowed, decide_duplicate, set_consent


def _boxing_intervention(url_: str) -> int:
    with Session(engine(url_)) as s:
        boxing = s.scalars(select(User).where(User.email == BOXING[0])).one()
        return s.scalars(select(Intervention.id).where(
            Intervention.provider_id == boxing.organisation_id)).first()  # fmt: skip


def test_a_template_label_from_word_is_kept_as_text_and_the_xlsx_downloads(url):  # noqa: F811
    iid = _boxing_intervention(url)
    c = _client(url)
    token = _sign_in(c, COMMISSIONER)
    form = {"csrf_token": token, "name_0": "age", "type_0": "integer",
            "label_0": "age at referral\x0bcount\x00 at \u202ereferral\ufffe\u2062",
            "required_0": "yes",
            "name_1": "heard_from", "type_1": "choice",
            "allowed_1": "school\x07; police \u202e; \x1b[31mfriend"}  # fmt: skip
    r = c.post(f"/interventions/{iid}/template", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[-400:]
    provider = _client(url, client=("203.0.113.20", 50001))
    _sign_in(provider, BOXING)
    r = provider.get(f"/interventions/{iid}/template.xlsx")
    assert r.status_code == 200
    guide = load_workbook(io.BytesIO(r.content))["guide"]
    labels = [row[1].value for row in guide.iter_rows(min_row=2)]
    assert labels[0] == "age at referralcount at referral"
    assert "school, police, [31mfriend" in guide.cell(row=3, column=3).value


@pytest.mark.parametrize(("sent", "kept"), [
    ("Youth club\x00", "Youth club"), ("Park\ufffe\uffff\u2062\U000e0041", "Park"),
    ("Sch\u202eool", "School"), ("\x1b[31mPark\x07", "[31mPark"),
])  # fmt: skip
def test_an_intervention_s_texts_are_kept_as_visible_text_and_the_export_runs(
    url,  # noqa: F811
    tmp_path,
    sent,
    kept,
):
    from typer.testing import CliRunner

    from vrukit.cli import app as cli

    iid = _boxing_intervention(url)
    c = _client(url)
    token = _sign_in(c, COMMISSIONER)
    page = c.get(f"/interventions/{iid}/edit").text
    form = {m[0]: m[1] for m in re.findall(r'name="([a-z_]+)" value="([^"]*)"', page)}
    form.update({"csrf_token": token, "setting": sent, "yef_strand": sent,
                 "thematic_area": "sport", "prevention_tier": "secondary"})  # fmt: skip
    assert c.post(f"/interventions/{iid}/edit", data=form).status_code in (200, 303)
    with Session(engine(url)) as s:
        iv = s.get(Intervention, iid)
        assert (iv.setting, iv.yef_strand) == (kept, kept)
    long = {**form, "setting": "x" * 10_003}
    r = c.post(f"/interventions/{iid}/edit", data=long)
    assert r.status_code == 422 and "Setting is longer than 100 characters" in r.text
    res = CliRunner().invoke(cli, ["programme", "export", str(tmp_path / "r.xlsx"), "--store", url])
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("email", ["1e400", "p39a\x00b@x.org", "<b>@x.org", "a@b", "x" * 300])
def test_an_account_s_e_mail_must_be_an_e_mail_address(url, email):  # noqa: F811
    c = _client(url)
    token = _sign_in(c, ADMIN)
    sent = {"csrf_token": token, "email": email, "password": "a-long-enough-password",
            "role": "analyst"}  # fmt: skip
    r = c.post("/admin/users", data=sent)
    assert r.status_code == 422 and "is not an e-mail address" in r.text


@pytest.mark.parametrize(("change", "said"), [
    ({"date_of_birth": "2022-02-30"}, "is not a date (YYYY-MM-DD)"),
    ({"date_of_birth": "01/02/2010"}, "is not a date (YYYY-MM-DD)"),
    ({"date_of_birth": "yesterday"}, "is not a date"),
    ({"date_of_birth": "9999-12-31"}, "is after the referral"),
    ({"date_of_birth": "1990-01-01"}, "makes the person 32, not the age given (16)"),
    ({"postcode": "1e400"}, "Home postcode '1E400' is not a UK postcode"),
])  # fmt: skip
def test_a_date_of_birth_is_a_real_day_agreeing_with_the_age_and_a_postcode_has_its_shape(
    tmp_path, change, said
):
    """Dates of birth were any text of 10 characters ("9999-12-31", "01/02/2010"): stored
    without a word, never checked against the age, and a second spelling of the same day
    escaped the duplicate check."""
    url_ = f"sqlite:///{tmp_path / 's.sqlite'}"
    keyring = _tiny(url_, tmp_path)
    with session(url_) as s, pytest.raises(NotAllowed, match=re.escape(said)):
        _refer(s, keyring, NOW, **change)


def test_identifying_details_are_kept_as_visible_text(tmp_path):
    from vrukit.referrals.identity import read_identity

    url_ = f"sqlite:///{tmp_path / 's.sqlite'}"
    keyring = _tiny(url_, tmp_path)
    with session(url_) as s:
        r = _refer(s, keyring, NOW, given_name="Zebe\x00dee\u202e", postcode=" qx9 7zz ",
                   contact_notes="Mum\x1b: 07700 900000\nAunt: none")  # fmt: skip
        assert r.referrer_role == "sergeant"
        kept = read_identity(s, keyring, _user(s, r), r, NOW)
    assert kept["given_name"] == "Zebedee" and kept["postcode"] == "QX9 7ZZ"
    assert kept["contact_notes"] == "Mum: 07700 900000\nAunt: none"
    assert kept["date_of_birth"] == PERSON["date_of_birth"]


def test_a_merge_reads_consent_in_the_order_written_not_by_its_time(tmp_path):
    """The nineteenth probe (PostgreSQL, a race): a withdrawal written last but carrying the
    earlier time was overruled by the merge, which took the latest by time, and consent read
    "given" again without anyone giving it."""
    url_ = f"sqlite:///{tmp_path / 's.sqlite'}"
    keyring = _tiny(url_, tmp_path)
    with session(url_) as s:
        a = _refer(s, keyring, NOW)
        b = _refer(s, keyring, NOW + timedelta(days=3))
        assert b.duplicate_status == "pending"
        # b's consent: given at referral (day 3), then a withdrawal written after it whose time
        # was taken before (day 2: it waited for the lock)
        set_consent(s, None, b, False, NOW + timedelta(days=2), "withdrew")
        decide_duplicate(s, None, b, True, NOW + timedelta(days=4))
        assert b.subject_id == a.subject_id and a.subject.consent == "withdrawn"


def test_the_evaluation_s_tables_carry_no_live_formula(tmp_path):
    """`vrukit evaluate` wrote indicator_progress.csv with plain to_csv: an indicator named
    "=HYPERLINK(...)" was a live formula in the commissioner's spreadsheet."""
    from vrukit.publish.evaluation import write_evaluation

    empty = pd.DataFrame()
    hostile = pd.DataFrame({"indicator": ['=HYPERLINK("http://x.example","go")'],
                            "progress": [0.5]})  # fmt: skip
    write_evaluation(tmp_path, pd.DataFrame(columns=["place"]), [], empty, empty, empty, hostile)
    row = (tmp_path / "indicator_progress.csv").read_text().splitlines()[1]
    assert row.startswith("\"'=HYPERLINK") and row.endswith(",0.5")


def test_a_long_list_of_choices_keeps_the_template_readable(url):  # noqa: F811
    """The twentieth probe's L1: Excel holds a list of 255 characters in a drop-down; forty
    club names went over it and Excel called the file damaged. A longer list is in the guide
    sheet only."""
    iid = _boxing_intervention(url)
    c = _client(url)
    token = _sign_in(c, COMMISSIONER)
    clubs = "; ".join(f"Eastford Community Club {k}" for k in range(40))
    form = {"csrf_token": token, "name_0": "club", "type_0": "choice", "allowed_0": clubs,
            "name_1": "heard_from", "type_1": "choice", "allowed_1": "school; police"}  # fmt: skip
    assert c.post(f"/interventions/{iid}/template", data=form).status_code in (200, 303)
    r = c.get(f"/interventions/{iid}/template.xlsx")
    book = load_workbook(io.BytesIO(r.content))
    lists = [v.formula1 for v in book["return"].data_validations.dataValidation]
    assert lists == ['"school,police"'] and all(len(x) <= 257 for x in lists)
    assert "Eastford Community Club 39" in book["guide"].cell(row=2, column=3).value
