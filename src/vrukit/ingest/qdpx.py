"""The REFI-QDA project exchange format (``.qdpx``), as frozen dataclasses, written and read.

A ``.qdpx`` is a zip archive holding ``project.qde`` (XML in the namespace
``urn:QDA-XML:project:1.0``, the schema REFI published in 2019) and a ``Sources/`` folder with
each text source as UTF-8 plain text, named by its GUID. NVivo, ATLAS.ti, MAXQDA and QualCoder
import and export it. vrukit uses the parts that hold coded text: users, the codebook (nested
codes with GUIDs and colours), variables, cases, and text sources with their coded selections
(``PlainTextSelection`` with ``Coding`` and ``CodeRef``).

``write_qdpx`` writes the same bytes for the same project on any machine (the entries in one
order, fixed timestamps); ``vrukit.ingest.qdpx_read.read_qdpx`` reads a project written by vrukit or
by other software, refuses what is unsafe or broken with the file, element and line, and warns
about what it does not use. This module knows nothing of the store: ``vrukit.qualitative``
maps a project to and from its tables, and the demo writes its interviews through it.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from vrukit.errors import ConfigError

__all__ = [
    "LINK_VARIABLE",
    "NAMESPACE",
    "SOURCE_VARIABLES",
    "TOC_VARIABLES",
    "VARIABLES",
    "QdaCase",
    "QdaCode",
    "QdaProject",
    "QdaSelection",
    "QdaSource",
    "QdaUser",
    "QdaVariable",
    "excerpt_guid",
    "guid",
    "project_xml",
    "theme_guid",
    "toc_case_name",
    "write_qdpx",
]

NAMESPACE = "urn:QDA-XML:project:1.0"
#: The namespace of vrukit's GUIDs (uuid5): the same record always has the same GUID.
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/vrukit/qualitative")
#: Every zip entry's date: the bytes never depend on when the file was written.
ZIP_DATE = (2020, 1, 1, 0, 0, 0)

#: Variables vrukit gives each text source (name -> REFI type): the facts of the interview or
#: focus group. Other software shows them as attributes (NVivo's classification sheet).
SOURCE_VARIABLES = {
    "Source kind": "Text",  # interview | focus_group
    "Date held": "Date",
    "Community researcher": "Text",
    "Participants": "Integer",
    "Consent recorded": "Boolean",
    "Consent how": "Text",
    "Consent date": "Date",
    "Place": "Text",
    "Intervention": "Text",
}
#: A case's variable saying what in the registry it stands for: place, intervention, toc_step.
LINK_VARIABLE = "vrukit link"
#: A Theory of Change step's case names its intervention, stage and text in these variables.
TOC_VARIABLES = {
    "Theory of Change intervention": "Text",
    "Theory of Change stage": "Text",
    "Theory of Change step": "Text",
}


#: Every variable vrukit writes, in the order it writes them, with its REFI type.
VARIABLES = {**SOURCE_VARIABLES, LINK_VARIABLE: "Text", **TOC_VARIABLES}


def guid(kind: str, key: str) -> str:
    """A stable GUID for the record ``kind`` known by ``key``.

    >>> guid("theme", "Trusted adults") == guid("theme", "Trusted adults")
    True
    >>> guid("theme", "Trusted adults")
    'c14c60a9-df07-5f16-8791-b7a1286f6198'
    """
    return str(uuid.uuid5(GUID_NAMESPACE, f"{kind}:{key}"))


def theme_guid(path: tuple[str, ...] | list[str]) -> str:
    """A theme's GUID, from its path of names from the top of the codebook."""
    return guid("theme", json.dumps(list(path), ensure_ascii=False))


def excerpt_guid(source: str, start: int, end: int) -> str:
    """An excerpt's GUID, from its source's name and its span."""
    return guid("excerpt", f"{source}:{start}:{end}")


def toc_case_name(intervention: str, stage: str, text: str) -> str:
    """The name of a Theory of Change step's case."""
    return f"{intervention}: {stage.replace('_', ' ')} - {text}"


@dataclass(frozen=True)
class QdaUser:
    guid: str
    name: str


@dataclass(frozen=True)
class QdaCode:
    """A code of the codebook; ``parent`` is the GUID of the code it sits under. ``line``:
    where it was read (0 when written here)."""

    guid: str
    name: str
    parent: str | None = None
    colour: str | None = None
    description: str | None = None
    codable: bool = True
    line: int = 0


@dataclass(frozen=True)
class QdaVariable:
    guid: str
    name: str
    type: str = "Text"


@dataclass(frozen=True)
class QdaSelection:
    """A coded span of a text source: characters ``start`` to ``end`` (end exclusive) and the
    GUIDs of its codes. ``line``: where it was read (0 when written here)."""

    guid: str
    start: int
    end: int
    codes: tuple[str, ...]
    name: str | None = None
    line: int = 0


@dataclass(frozen=True)
class QdaSource:
    """A text source with its plain text, its variables (name -> value as text) and its
    coded selections."""

    guid: str
    name: str
    text: str
    selections: tuple[QdaSelection, ...] = ()
    variables: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    creating_user: str | None = None
    created: str | None = None
    line: int = 0


@dataclass(frozen=True)
class QdaCase:
    """A case: variables, and the codes, sources and selections it holds (GUIDs)."""

    guid: str
    name: str
    variables: dict[str, str] = field(default_factory=dict)
    codes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    selections: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class QdaProject:
    """A REFI-QDA project. ``warnings``: what reading it left out, and why."""

    name: str
    users: tuple[QdaUser, ...] = ()
    codes: tuple[QdaCode, ...] = ()
    variables: tuple[QdaVariable, ...] = ()
    cases: tuple[QdaCase, ...] = ()
    sources: tuple[QdaSource, ...] = ()
    origin: str = "vrukit"
    warnings: tuple[str, ...] = ()


def _q(tag: str) -> str:
    # unqualified: the root declares the namespace as the default (``xmlns``), which
    # ElementTree's ``default_namespace`` cannot do beside unqualified attributes
    return tag


#: Characters XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE and U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(value: str, where: str) -> str:
    if found := _NOT_XML.search(value):
        raise ConfigError(f"{where} {value[:40]!r} holds {found.group()!r}, which XML cannot "
                          "carry: correct it in the store before exporting")  # fmt: skip
    return value


def _sub(parent: ET.Element, tag: str, **attrs: str | None) -> ET.Element:
    return ET.SubElement(parent, _q(tag), {k: _xml(v, f"{tag} {k}") for k, v in attrs.items()
                                           if v is not None})  # fmt: skip


def _text(parent: ET.Element, tag: str, text: str) -> None:
    _sub(parent, tag).text = _xml(text, tag)


def _codes(parent: ET.Element, codes: tuple[QdaCode, ...], under: str | None) -> None:
    for c in (c for c in codes if c.parent == under):
        el = _sub(parent, "Code", guid=c.guid, name=c.name,
                  isCodable="true" if c.codable else "false", color=c.colour)  # fmt: skip
        if c.description:
            _text(el, "Description", c.description)
        _codes(el, codes, c.guid)


_VALUE_TAG = {"Text": "TextValue", "Boolean": "BooleanValue", "Integer": "IntegerValue",
              "Float": "FloatValue", "Date": "DateValue", "DateTime": "DateTimeValue"}  # fmt: skip


def _values(parent: ET.Element, values: dict[str, str], variables: dict[str, QdaVariable]) -> None:
    for name, value in values.items():
        var = variables[name]
        el = _sub(parent, "VariableValue")
        _sub(el, "VariableRef", targetGUID=var.guid)
        _text(el, _VALUE_TAG[var.type], value)


def _source(parent: ET.Element, s: QdaSource, variables: dict[str, QdaVariable]) -> None:
    el = _sub(parent, "TextSource", guid=s.guid, name=s.name,
              plainTextPath=f"internal://{s.guid}.txt", creatingUser=s.creating_user,
              creationDateTime=s.created)  # fmt: skip
    if s.description:
        _text(el, "Description", s.description)
    for sel in s.selections:
        x = _sub(el, "PlainTextSelection", guid=sel.guid, name=sel.name,
                 startPosition=str(sel.start), endPosition=str(sel.end),
                 creatingUser=s.creating_user)  # fmt: skip
        for code in sel.codes:
            coding = _sub(x, "Coding", guid=guid("coding", f"{sel.guid}:{code}"))
            _sub(coding, "CodeRef", targetGUID=code)
    _values(el, s.variables, variables)


def _case(parent: ET.Element, c: QdaCase, variables: dict[str, QdaVariable]) -> None:
    el = _sub(parent, "Case", guid=c.guid, name=c.name)
    for code in c.codes:
        _sub(el, "CodeRef", targetGUID=code)
    _values(el, c.variables, variables)
    for src in c.sources:
        _sub(el, "SourceRef", targetGUID=src)
    for sel in c.selections:
        _sub(el, "SelectionRef", targetGUID=sel)


def project_xml(project: QdaProject) -> bytes:
    """``project.qde``: the project as REFI-QDA XML (UTF-8, with its declaration)."""
    root = ET.Element("Project", {"xmlns": NAMESPACE, "name": project.name,
                                  "origin": project.origin})  # fmt: skip
    if project.users:
        users = _sub(root, "Users")
        for u in project.users:
            _sub(users, "User", guid=u.guid, name=u.name)
    if project.codes:
        _codes(_sub(_sub(root, "CodeBook"), "Codes"), project.codes, None)
    variables = {v.name: v for v in project.variables}
    if project.variables:
        el = _sub(root, "Variables")
        for v in project.variables:
            _sub(el, "Variable", guid=v.guid, name=v.name, typeOfVariable=v.type)
    if project.cases:
        el = _sub(root, "Cases")
        for c in project.cases:
            _case(el, c, variables)
    if project.sources:
        el = _sub(root, "Sources")
        for s in project.sources:
            _source(el, s, variables)
    ET.indent(root, space=" ")
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")


def _entry(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data, compresslevel=6)


def write_qdpx(project: QdaProject, path: Path | str) -> Path:
    """Write ``project`` as a ``.qdpx`` at ``path``: ``project.qde`` and each source's text as
    ``Sources/<guid>.txt``. The same project gives the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _entry(archive, "project.qde", project_xml(project))
        for s in project.sources:
            _entry(archive, f"Sources/{s.guid}.txt", s.text.encode("utf-8"))
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buffer.getvalue())
    return out
