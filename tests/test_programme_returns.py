"""Monitoring returns on SQLite and PostgreSQL: templates download as CSV and XLSX, every bad
upload is refused with row and column messages and stores nothing, resubmissions keep history,
late and missing returns are flagged."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vrukit.errors import ConfigError, InputFileError
from vrukit.programme.db import engine, upgrade
from vrukit.programme.models import (
    Intervention,
    Organisation,
    ReturnRow,
    ReturnSubmission,
    ReturnTemplate,
)
from vrukit.programme.returns import (
    ReturnRejected,
    fields_of,
    read_upload,
    return_status,
    submit_return,
    validate_rows,
    write_template,
)

FIELDS = [
    {"name": "participant_ref", "type": "text", "label": "pseudonymous reference"},
    {"name": "age", "type": "integer", "min": 8, "max": 25},
    {"name": "referred_by", "type": "choice", "allowed": ["school", "police", "self", "a&e"]},
    {"name": "sessions_attended", "type": "integer", "min": 0},
    {"name": "completed", "type": "boolean"},
    {"name": "started_on", "type": "date"},
    {"name": "notes", "type": "text", "required": False},
]
GOOD = (
    "participant_ref,age,referred_by,sessions_attended,completed,started_on,notes\n"
    "P001,15,school,8,yes,2021-04-12,\n"
    "P002,17,a&e,3,no,2021-05-03,moved away\n"
)


@pytest.fixture
def programme(store_url):
    upgrade(store_url)
    eng = engine(store_url)
    with Session(eng) as s, s.begin():
        club = Organisation(name="Eastford Boxing Club", kind="provider")
        s.add(club)
        s.flush()
        iv = Intervention(
            name="Sports Diversion",
            provider_id=club.id,
            thematic_area="sport",
            prevention_tier="secondary",
            contract_start=date(2021, 4, 1),
            contract_end=date(2022, 3, 31),
        )
        s.add(iv)
        s.flush()
        s.add(ReturnTemplate(intervention_id=iv.id, version=1, fields=FIELDS))
    yield eng
    eng.dispose()


def _counts(eng) -> tuple[int, int]:
    with Session(eng) as s:
        return (
            s.scalar(select(func.count()).select_from(ReturnSubmission)) or 0,
            s.scalar(select(func.count()).select_from(ReturnRow)) or 0,
        )


def _submit(eng, path, period="2021-Q2", when=datetime(2021, 7, 15)):
    with Session(eng) as s, s.begin():
        iv = s.scalars(select(Intervention)).one()
        return submit_return(
            s, iv, period, path, organisation_id=iv.provider_id, submitted_at=when
        ).id


BAD = {
    "bad integer": ("P001,fifteen,school,8,yes,2021-04-12,", (2, "age", "fifteen")),
    "below minimum": ("P001,5,school,8,yes,2021-04-12,", (2, "age", "5")),
    "not allowed": ("P001,15,parents,8,yes,2021-04-12,", (2, "referred_by", "parents")),
    "required blank": ("P001,15,school,,yes,2021-04-12,", (2, "sessions_attended", "")),
    "bad boolean": ("P001,15,school,8,maybe,2021-04-12,", (2, "completed", "maybe")),
    "bad date": ("P001,15,school,8,yes,12/04/2021,", (2, "started_on", "12/04/2021")),
    "fraction": ("P001,15,school,8.5,yes,2021-04-12,", (2, "sessions_attended", "8.5")),
}


@pytest.mark.parametrize("case", list(BAD))
def test_every_bad_upload_is_refused_with_row_and_column_and_stores_nothing(
    programme, tmp_path, case
):
    line, (row, column, value) = BAD[case]
    f = tmp_path / "return.csv"
    header, good1, _ = GOOD.splitlines()
    f.write_text(f"{header}\n{good1}\n{line}\n".replace(good1 + "\n" + line, line + "\n" + good1))
    before = _counts(programme)
    with pytest.raises(ReturnRejected) as e:
        _submit(programme, f)
    p = e.value.problems[0]
    assert (p.row, p.column, p.value) == (row, column, value), str(e.value)
    assert f"row {row}, {column}" in str(e.value) and "nothing stored" in str(e.value)
    assert _counts(programme) == before


def test_header_problems_name_the_columns(programme, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(
        "participant_ref,age,referred,sessions_attended,completed,started_on,notes\n"
        "P1,15,school,8,yes,2021-04-12,\n"
    )
    with pytest.raises(ReturnRejected) as e:
        _submit(programme, f)
    said = {(p.column, p.message.split()[1]) for p in e.value.problems}
    assert ("referred_by", "is") in said and ("referred", "is") in said
    f.write_text("participant_ref,age,referred_by,sessions_attended,completed,started_on,notes\n")
    with pytest.raises(ReturnRejected, match="no rows"):
        _submit(programme, f)
    assert _counts(programme) == (0, 0)


def test_all_problems_are_reported_at_once(programme, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(GOOD.splitlines()[0] + "\n" + "\n".join(line for line, _ in BAD.values()) + "\n")
    with pytest.raises(ReturnRejected) as e:
        _submit(programme, f)
    assert [(p.row, p.column) for p in e.value.problems] == [
        (k + 2, where[1]) for k, (_, where) in enumerate(BAD.values())
    ]


def test_xlsx_template_round_trips_and_bad_cells_are_found(programme, tmp_path):
    fields = fields_of(FIELDS)
    blank = write_template(fields, tmp_path / "template.xlsx")
    assert list(pd.read_excel(blank, sheet_name="guide", engine="calamine")["column"]) == [
        f["name"] for f in FIELDS
    ]
    csv_blank = write_template(fields, tmp_path / "template.csv")
    assert csv_blank.read_text().strip() == GOOD.splitlines()[0]
    from openpyxl import load_workbook

    wb = load_workbook(blank)
    ws = wb["return"]
    ws.append(["P001", 15, "school", 8, "yes", "2021-04-12", None])
    ws.append(["P002", 30, "police", 2, "no", "2021-04-13", None])
    wb.save(blank)
    raw, first = read_upload(blank)
    rows, problems = validate_rows(fields, raw, first)
    assert len(rows) == 2
    assert [(p.row, p.column, p.value) for p in problems] == [(3, "age", "30")]
    with pytest.raises(ReturnRejected):
        _submit(programme, blank)
    assert _counts(programme) == (0, 0)


def test_a_damaged_workbook_upload_is_refused_by_name(tmp_path):
    broken = tmp_path / "return.xlsx"
    broken.write_bytes(b"PK\x03\x04 cut short")
    with pytest.raises(InputFileError, match=r"return.xlsx: cannot be read as CSV or XLSX"):
        read_upload(broken)


def test_resubmission_supersedes_and_keeps_history(programme, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(GOOD)
    first = _submit(programme, f)
    f.write_text(GOOD.replace("P002,17,a&e,3", "P002,17,a&e,4"))
    second = _submit(programme, f, when=datetime(2021, 8, 20))
    third = _submit(programme, f, when=datetime(2021, 9, 1))
    with Session(programme) as s:
        subs = {x.id: x for x in s.scalars(select(ReturnSubmission))}
        assert subs[second].supersedes_id == first and subs[third].supersedes_id == second
        assert subs[first].rows[1].data["sessions_attended"] == 3
        assert subs[second].rows[1].data["sessions_attended"] == 4
        assert subs[first].rows[0].data == {
            "participant_ref": "P001",
            "age": 15,
            "referred_by": "school",
            "sessions_attended": 8,
            "completed": True,
            "started_on": "2021-04-12",
            "notes": None,
        }
    assert _counts(programme) == (3, 6)


def test_late_and_missing_returns_are_flagged(programme, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(GOOD)
    _submit(programme, f, "2021-Q2", datetime(2021, 7, 20))  # due 30 July: on time
    _submit(programme, f, "2021-Q3", datetime(2021, 11, 15))  # due 30 October: late
    with Session(programme) as s:
        st = (
            return_status(
                s, ["2021-Q1", "2021-Q2", "2021-Q3", "2021-Q4", "2022-Q1"], date(2022, 2, 1)
            )
            .set_index("period")
            .status
        )
    # Q1 is before the contract; Q4 was due 30 January; Q1 2022 is not due yet
    assert st.to_dict() == {
        "2021-Q2": "on_time",
        "2021-Q3": "late",
        "2021-Q4": "missing",
        "2022-Q1": "not_yet_due",
    }


def test_bad_templates_and_periods_are_refused(programme, tmp_path):
    with pytest.raises(ConfigError, match="allowed"):
        fields_of([{"name": "x", "type": "choice"}])
    with pytest.raises(ConfigError, match="type"):
        fields_of([{"name": "x", "type": "float"}])
    with pytest.raises(ConfigError, match="unique"):
        fields_of([{"name": "x", "type": "text"}, {"name": "x", "type": "text"}])
    with pytest.raises(ConfigError, match="outcome must be a yes/no"):
        fields_of([{"name": "x", "type": "integer", "outcome": True}])
    f = tmp_path / "r.csv"
    f.write_text(GOOD)
    with pytest.raises(ConfigError, match="quarter"):
        _submit(programme, f, "2021-06")
