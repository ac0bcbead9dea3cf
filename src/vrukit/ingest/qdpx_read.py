"""Reading a REFI-QDA ``.qdpx`` written by vrukit or by other software (NVivo, ATLAS.ti,
MAXQDA, QualCoder) into a ``QdaProject``.

Safe before anything else: a file that is not a zip, a member named outside the archive
(``../``, an absolute path), more members or more bytes than any project holds (a zip bomb),
a document type declaration (entities) - each is refused with the file and what to do. Then
strict where it matters and lenient elsewhere: broken XML, a selection outside its text, a
reference to a code or variable the project does not define, a text that is not UTF-8 are errors
naming ``FILE.qdpx:project.qde`` and the line; elements vrukit does not use (notes, links,
sets, graphs, pictures, PDFs, audio and video) are left out with a warning. Nothing is returned
unless everything read is sound.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from xml.parsers import expat

from vrukit.errors import InputFileError
from vrukit.ingest.qdpx import (
    NAMESPACE,
    QdaCase,
    QdaCode,
    QdaProject,
    QdaSelection,
    QdaSource,
    QdaUser,
    QdaVariable,
)

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_MEMBERS", "read_qdpx"]

#: The most members and uncompressed bytes a project may hold; a member may not expand more
#: than ``MAX_RATIO`` times (beyond a megabyte): more is a zip bomb, not a project.
MAX_MEMBERS = 20_000
MAX_BYTES = 256 * 1024 * 1024
MAX_RATIO = 500
#: The deepest a codebook may nest.
MAX_DEPTH = 50
#: Elements of a project vrukit reads; others are left out with a warning.
_USED = {"Users", "CodeBook", "Variables", "Cases", "Sources", "Description"}
_SOURCE_PARTS = {"Description", "PlainTextContent", "PlainTextSelection", "VariableValue"}


@dataclass
class _Node:
    tag: str
    attrib: dict[str, str]
    line: int
    children: list[_Node] = field(default_factory=list)
    text: str = ""

    def kids(self, tag: str) -> list[_Node]:
        return [c for c in self.children if c.tag == tag]

    def kid(self, tag: str) -> _Node | None:
        return next(iter(self.kids(tag)), None)


class _Refused(Exception):
    pass


def _local(name: str) -> str:
    ns, _, tag = name.rpartition("}")
    return tag if ns == NAMESPACE else name


def _parse(data: bytes, where: str) -> _Node:
    """The document as a tree of ``_Node`` with line numbers; no DTD, no entities."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[_Node] = []
    root: list[_Node] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        node = _Node(_local(name), attrs, parser.CurrentLineNumber)
        (stack[-1].children if stack else root).append(node)
        stack.append(node)

    def end(_name: str) -> None:
        stack.pop()

    def chars(text: str) -> None:
        if stack:
            stack[-1].text += text

    def doctype(*_args: Any) -> None:
        raise _Refused("a document type declaration (DTD or entities), which REFI-QDA never uses")

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = doctype
    try:
        parser.Parse(data, True)
    except _Refused as e:
        raise InputFileError(where, f"refused: {e}", line=parser.CurrentLineNumber) from None
    except expat.ExpatError as e:
        raise InputFileError(
            where, f"not well-formed XML: {expat.errors.messages[e.code]} (column {e.offset})",
            line=e.lineno,
        ) from None  # fmt: skip
    return root[0]


def _members(archive: zipfile.ZipFile, where: str) -> dict[str, zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise InputFileError(where, f"{len(infos):,} members: more than {MAX_MEMBERS:,}, refused")
    if sum(i.file_size for i in infos) > MAX_BYTES:
        raise InputFileError(where, f"expands to more than {MAX_BYTES // 2**20} MB: refused")
    out = {}
    for info in infos:
        name = info.filename
        parts = PurePosixPath(name).parts
        if name.startswith(("/", "\\")) or "\\" in name or ".." in parts or ":" in name:
            raise InputFileError(where, f"member {name!r} points outside the archive: refused")
        if info.file_size > 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise InputFileError(where, f"member {name!r} expands {MAX_RATIO}x or more: refused")
        out[name.lower()] = info
    return out


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> bytes:
    """The member's bytes, read no further than it claims (a lying header is refused)."""
    with archive.open(info) as f:
        data = f.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise InputFileError(where, f"member {info.filename!r} is longer than it says: refused")
    return data


def read_qdpx(path: Path | str) -> QdaProject:
    """The project in the ``.qdpx`` at ``path``; ``InputFileError`` naming the file, member
    and line when it cannot be read whole."""
    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise InputFileError(where, "no such file")
    if not zipfile.is_zipfile(path):
        raise InputFileError(where, "not a .qdpx project (a zip archive holding project.qde)")
    try:
        with zipfile.ZipFile(path) as archive:
            members = _members(archive, where)
            qde = members.get("project.qde")
            if qde is None:
                raise InputFileError(where, "holds no project.qde: not a REFI-QDA project")
            root = _parse(_read_member(archive, qde, where), f"{where}:project.qde")
            return _Reader(archive, members, where).project(root)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as e:
        raise InputFileError(where, f"a damaged or unsupported zip archive: {e}") from None


def _yes(value: str) -> bool:
    return value.strip().lower() in ("true", "1")


class _Reader:
    """Turns the parsed ``project.qde`` (and the texts in ``Sources/``) into a project."""

    def __init__(
        self, archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], where: str
    ) -> None:
        self.archive, self.members, self.where = archive, members, where
        self.qde = f"{where}:project.qde"
        self.warnings: list[str] = []
        self.variables: dict[str, QdaVariable] = {}
        self.codes: list[QdaCode] = []
        self.code_guids: set[str] = set()

    def fail(self, node: _Node, message: str) -> InputFileError:
        return InputFileError(self.qde, f"<{node.tag}>: {message}", line=node.line)

    def warn(self, node: _Node, message: str) -> None:
        self.warnings.append(f"{self.qde} line {node.line}: <{node.tag}> {message}")

    def need(self, node: _Node, name: str, *, strip: bool = True) -> str:
        """The attribute ``name`` (stripped: GUIDs and numbers; not a name, kept as written)."""
        value = node.attrib.get(name)
        if value is None or not value.strip():
            raise self.fail(node, f"has no {name}, which REFI-QDA requires")
        return value.strip() if strip else value

    def integer(self, node: _Node, name: str) -> int:
        value = self.need(node, name)
        try:
            return int(value)
        except ValueError:
            raise self.fail(node, f"{name} is {value!r}, not a whole number") from None

    def project(self, root: _Node) -> QdaProject:
        if root.tag != "Project":
            raise self.fail(root, f"the root element is not <Project> in {NAMESPACE}")
        for node in root.children:
            if node.tag not in _USED:
                self.warn(node, "is not used by vrukit: left out")
        users = tuple(QdaUser(self.need(u, "guid"), u.attrib.get("name", ""))
                      for g in root.kids("Users") for u in g.kids("User"))  # fmt: skip
        for book in root.kids("CodeBook"):
            for group in book.kids("Codes"):
                self.read_codes(group, None)
        for group in root.kids("Variables"):
            for v in group.kids("Variable"):
                var = QdaVariable(self.need(v, "guid"), self.need(v, "name", strip=False),
                                  v.attrib.get("typeOfVariable", "Text"))  # fmt: skip
                self.variables[var.guid] = var
        sources = tuple(self.sources(root))
        cases = tuple(self.read_case(c) for g in root.kids("Cases") for c in g.kids("Case"))
        self.check_refs(sources, cases)
        return QdaProject(
            root.attrib.get("name", ""), users, tuple(self.codes),
            tuple(self.variables.values()), cases, sources,
            origin=root.attrib.get("origin", ""), warnings=tuple(self.warnings),
        )  # fmt: skip

    def read_codes(self, parent: _Node, under: str | None, depth: int = 1) -> None:
        for node in parent.children:
            if node.tag != "Code":
                continue
            if depth > MAX_DEPTH:
                raise self.fail(node, f"codes nested more than {MAX_DEPTH} deep: refused")
            desc = node.kid("Description")
            code = QdaCode(
                self.need(node, "guid"), self.need(node, "name", strip=False), under,
                node.attrib.get("color"), desc.text if desc is not None else None,
                _yes(node.attrib.get("isCodable", "true")), node.line,
            )  # fmt: skip
            if code.guid in self.code_guids:
                raise self.fail(node, f"GUID {code.guid} is given to two codes")
            self.code_guids.add(code.guid)
            self.codes.append(code)
            self.read_codes(node, code.guid, depth + 1)

    def values(self, node: _Node) -> dict[str, str]:
        out = {}
        for vv in node.kids("VariableValue"):
            ref = vv.kid("VariableRef")
            target = "" if ref is None else ref.attrib.get("targetGUID", "")
            if target not in self.variables:
                raise self.fail(vv, f"refers to variable {target!r}, which is not defined")
            value = next((c.text for c in vv.children if c.tag != "VariableRef"), "")
            out[self.variables[target].name] = value.strip()
        return out

    def sources(self, root: _Node) -> list[QdaSource]:
        out = []
        for group in root.kids("Sources"):
            for node in group.children:
                if node.tag != "TextSource":
                    self.warn(node, "is not a text source: left out with its coding")
                    continue
                out.append(self.read_source(node))
        return out

    def source_text(self, node: _Node) -> str:
        content = node.kid("PlainTextContent")
        if content is not None:
            return content.text
        ref = self.need(node, "plainTextPath")
        if not ref.startswith("internal://"):
            raise self.fail(node, f"its text is outside the project ({ref}): export the "
                                  "project with its sources embedded")  # fmt: skip
        name = "sources/" + ref.removeprefix("internal://").lower()
        info = self.members.get(name)
        if info is None:
            raise self.fail(node, f"its text {ref} is not in the archive's Sources folder")
        data = _read_member(self.archive, info, self.where)
        try:
            return data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as e:
            raise InputFileError(f"{self.where}:{info.filename}",
                                 f"not UTF-8 text (byte {e.start})") from None  # fmt: skip

    def read_source(self, node: _Node) -> QdaSource:
        sguid = self.need(node, "guid")
        text = self.source_text(node)
        for part in node.children:
            if part.tag == "Coding":
                self.warn(part, "codes the whole source, not a span: left out")
            elif part.tag not in _SOURCE_PARTS:
                self.warn(part, "is not used by vrukit: left out")
        selections = tuple(self.read_selection(s, len(text))
                           for s in node.kids("PlainTextSelection"))  # fmt: skip
        desc = node.kid("Description")
        return QdaSource(
            sguid, node.attrib.get("name") or f"source {sguid}", text, selections,
            self.values(node), desc.text.strip() if desc is not None else None,
            node.attrib.get("creatingUser"), node.attrib.get("creationDateTime"), node.line,
        )  # fmt: skip

    def read_selection(self, node: _Node, length: int) -> QdaSelection:
        start, end = self.integer(node, "startPosition"), self.integer(node, "endPosition")
        if not 0 <= start < end <= length:
            raise self.fail(node, f"span {start} to {end} is not within its text of "
                                  f"{length:,} characters")  # fmt: skip
        codes = []
        for coding in node.kids("Coding"):
            ref = coding.kid("CodeRef")
            if ref is None:
                raise self.fail(coding, "has no CodeRef")
            codes.append(self.need(ref, "targetGUID"))
        return QdaSelection(self.need(node, "guid"), start, end, tuple(codes),
                            node.attrib.get("name"), node.line)  # fmt: skip

    def read_case(self, node: _Node) -> QdaCase:
        def refs(tag: str) -> tuple[str, ...]:
            return tuple(self.need(r, "targetGUID") for r in node.kids(tag))

        return QdaCase(self.need(node, "guid"), node.attrib.get("name", ""), self.values(node),
                       refs("CodeRef"), refs("SourceRef"), refs("SelectionRef"),
                       node.line)  # fmt: skip

    def check_refs(self, sources: tuple[QdaSource, ...], cases: tuple[QdaCase, ...]) -> None:
        codes = {c.guid for c in self.codes}
        for s in sources:
            for sel in s.selections:
                for code in sel.codes:
                    if code not in codes:
                        why = f"<PlainTextSelection> codes {code}, not in the codebook"
                        raise InputFileError(self.qde, why, line=sel.line)
        for c in cases:
            if unknown := sorted(set(c.codes) - codes):
                why = f"<Case> {c.name!r} refers to code {unknown[0]}, not in the codebook"
                raise InputFileError(self.qde, why, line=c.line)
