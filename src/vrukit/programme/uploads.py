"""Reading an uploaded return or records file (CSV or XLSX) as text cells, after checks that
refuse what would take the server's memory before it is read: an XLSX that unpacks too far,
whose shared strings fill too many cells, or whose cells reach too far; a CSV whose header is
too wide. Messages name the file by the name it was sent under, never a server path."""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from itertools import zip_longest
from pathlib import Path
from typing import Any

import pandas as pd
from python_calamine import CalamineError

from vrukit.errors import InputFileError

__all__ = [
    "MAX_CELLS",
    "MAX_COLUMNS",
    "SPARE_ROWS",
    "XLSX_MAX_INFLATED",
    "check_xlsx",
    "read_upload",
]


#: An XLSX is a zip: what its parts unpack to, at most, unless the caller says otherwise.
XLSX_MAX_INFLATED = 200 * 1024 * 1024
#: The most columns an upload may have: a template has a few dozen at most. A sheet whose
#: cells reach further (a 1.6 KB file with a cell at XFD1048576), or a CSV header wider, is
#: refused before it is read: the reader would allocate the whole rectangle.
MAX_COLUMNS = 200
#: Rows a sheet may reach beyond the data rows allowed (blank lines at the end of a sheet).
SPARE_ROWS = 1000
#: The most cells the rectangle a sheet's cells reach may hold (the reader fills all of it):
#: 100,000 rows of 40 columns. A 1.5 KB file reaching row 101,001 of column 200, within both
#: limits above, cost 12 s and 1.4 GB to read.
MAX_CELLS = 4_000_000


def check_xlsx(path: Path, limit: int, name: str, max_rows: int | None = None) -> None:
    """Refuse an XLSX that would unpack past ``limit`` bytes, before any of it is unpacked (a
    few megabytes of zip can inflate to gigabytes and take the server's memory with them), or
    whose cells reach past ``MAX_COLUMNS`` columns or ``max_rows`` (and ``SPARE_ROWS``) rows."""
    try:
        with zipfile.ZipFile(path) as z:
            size = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile:
        raise InputFileError(
            name, "cannot be read as CSV or XLSX: not a zip file, as every XLSX is"
        ) from None
    if size > limit:
        raise InputFileError(
            name,
            f"unpacks to {size / 2**20:,.0f} MB, more than the {limit / 2**20:,.0f} MB a "
            "return may; save it again from the template, or send it as CSV",
        )
    try:
        text, rows, columns = _xlsx_text_size(path, name)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError) as e:
        # a damaged or encrypted zip: a bad checksum, a broken stream, a method Python cannot
        # unpack (deflate64), a password, a part whose names disagree
        raise InputFileError(
            name,
            f"cannot be read as XLSX: its zip is damaged or encrypted ({e}); save it "
            "again from the spreadsheet without a password, or send it as CSV",
        ) from None
    if columns > MAX_COLUMNS or (max_rows is not None and rows > max_rows + 1 + SPARE_ROWS):
        raise InputFileError(
            name,
            f"has cells as far as row {rows:,} and column {columns:,}: more than a return "
            f"holds ({MAX_COLUMNS} columns"
            + (f", {max_rows:,} rows" if max_rows is not None else "")
            + "); save the filled "
            "template again, or send it as CSV",
        )
    if rows * columns > MAX_CELLS:
        raise InputFileError(
            name,
            f"has cells as far as row {rows:,} and column {columns:,}: a rectangle of "
            f"{rows * columns:,} cells, more than the {MAX_CELLS:,} an upload may reach; delete "
            "the empty rows and columns past the data, or send it as CSV",
        )
    if text > limit:
        raise InputFileError(
            name,
            f"holds {text / 2**20:,.0f} MB of cell text once its shared strings are filled in, "
            f"more than the {limit / 2**20:,.0f} MB a return may; send it as CSV",
        )


def _local(tag: str) -> str:
    """An XML tag without its namespace: the spreadsheet reader matches by local name only,
    so a workbook under any namespace is counted as it will be read."""
    return tag.rsplit("}", 1)[-1]


#: The most XML elements a workbook's parts may hold in all: a return of 100,000 rows of 40
#: columns holds about 8 million. Past it the file is refused before the reader sees it (an
#: 430 KB styles part of 9 million elements took the reader's memory).
MAX_ELEMENTS = 12_000_000
#: Parts a workbook may hold that are not XML (images, printer settings, embedded files)...
_BINARY_DIRS = ("/media/", "/printersettings/", "/embeddings/", "docprops/thumbnail")
#: ...unless a relationship of one of these types points at them: the reader parses those.
_READ_TYPES = ("/worksheet", "/sharedstrings", "/styles", "/officedocument", "/chartsheet",
               "/dialogsheet", "/theme", "/calcchain")  # fmt: skip


class _Counter:
    """Elements seen so far across a workbook's parts, against ``MAX_ELEMENTS``."""

    def __init__(self, name: str) -> None:
        self.name, self.seen = name, 0

    def tick(self) -> None:
        self.seen += 1
        if self.seen > MAX_ELEMENTS:
            raise InputFileError(
                self.name, f"holds more than {MAX_ELEMENTS:,} XML elements, more than a return "
                "does; save the filled template again, or send it as CSV",
            )  # fmt: skip


#: The deepest nesting a part may have: SpreadsheetML nests fewer than ten levels.
MAX_DEPTH = 64
#: The elements the checks read; every other is only counted.
_WATCHED = frozenset({"row", "c", "v", "t", "si", "dimension", "Relationship"})
#: Characters of a <v> kept (a shared-string index or a number); longer text is only counted.
_KEEP = 64


class _Events:
    """Expat handlers that keep only what the checks read (``_WATCHED`` elements' attributes,
    a ``<v>``'s first characters and length, a ``<t>``'s length) and count the rest."""

    def __init__(self, member: str, name: str, counter: _Counter) -> None:
        self.member, self.name, self.counter = member, name, counter
        self.events: list[tuple[str, str, Any]] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.length = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.counter.seen += 1
        if self.counter.seen > MAX_ELEMENTS:
            self.counter.tick()  # raises
        local = tag[tag.rfind("}") + 1 :]
        self.tags.append(local)
        if len(self.tags) > MAX_DEPTH:
            raise InputFileError(self.name, f"its part {self.member} nests elements more than "
                                 f"{MAX_DEPTH} deep, which no workbook does")  # fmt: skip
        if local in _WATCHED or len(self.tags) == 1:  # the rest are only counted
            self.text.clear()
            self.length = 0
            self.events.append(("start", local, {_local(k): v for k, v in attrs.items()}))

    def end(self, tag: str) -> None:
        local = self.tags.pop()
        if local in _WATCHED:
            kept = ("".join(self.text)[:_KEEP], self.length) if local == "v" else self.length
            self.events.append(("end", local, kept if local in ("v", "t") else None))
            self.text.clear()
            self.length = 0

    def chars(self, data: str) -> None:
        if self.tags and self.tags[-1] in ("v", "t"):
            self.length += len(data)
            if self.tags[-1] == "v" and sum(map(len, self.text)) < _KEEP:
                self.text.append(data)

    def no_dtd(self, *_args: Any) -> None:
        raise InputFileError(self.name, f"{self.member} declares a DTD, which no XLSX does")


def _stream(z: zipfile.ZipFile, member: str, name: str, counter: _Counter) -> Iterator[
    tuple[str, str, Any]
]:  # fmt: skip
    """The elements the checks read, as ("start", local tag, attributes) and ("end", local
    tag, kept text), from expat handlers (``_Events``), never a tree: memory stays flat
    however many elements there are or however deep (past ``MAX_DEPTH`` the file is refused).
    A part that is not well-formed XML refuses the file: the reader is more lenient than any
    check, so a part the check cannot read is a part it cannot vouch for."""
    from xml.parsers import expat

    seen = _Events(member, name, counter)
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler, parser.EndElementHandler = seen.start, seen.end
    parser.CharacterDataHandler, parser.StartDoctypeDeclHandler = seen.chars, seen.no_dtd
    try:
        with z.open(member) as f:
            while chunk := f.read(1 << 16):
                parser.Parse(chunk, False)
                yield from seen.events
                seen.events.clear()
            parser.Parse(b"", True)
            yield from seen.events
    except InputFileError:
        raise
    except (expat.ExpatError, LookupError, ValueError) as e:
        raise InputFileError(
            name,
            f"its part {member} is not well-formed XML ({e}); save the "
            "filled template again from a spreadsheet program",
        ) from None


def _read_parts(z: zipfile.ZipFile, members: list[str], name: str, counter: _Counter) -> set[str]:
    """The parts the reader may parse: every part but the binary ones a workbook may carry
    (images, printer settings, embedded files), and any part a relationship of a kind the
    reader follows points at, whatever it is called."""
    read = {m for m in members if not any(d in "/" + m.lower() for d in _BINARY_DIRS)}
    for rels in [m for m in members if m.lower().endswith(".rels")]:
        base = rels.rsplit("_rels/", 1)[0]
        for event, tag, el in _stream(z, rels, name, counter):
            if event != "start" or tag != "Relationship":
                continue
            kind, target = (el.get("Type") or "").lower(), el.get("Target") or ""
            if kind.endswith(_READ_TYPES):
                path = target.lstrip("/") if target.startswith("/") else base + target
                parts: list[str] = []
                for piece in path.split("/"):
                    if piece == "..":
                        parts = parts[:-1]
                    elif piece not in ("", "."):
                        parts.append(piece)
                read.add("/".join(parts))
    return read & set(members)


def _xlsx_text_size(path: Path, name: str) -> tuple[int, int, int]:
    """The characters a workbook's cells hold once each shared string is put in every cell that
    uses it: what reading it costs. A 12 KB file whose one 1 MB string fills 1,000 cells holds
    1 GB; its zip sizes look small. Counted so that no part can hide from it, whatever the
    reader makes of the file: every part the reader may parse must be well-formed XML (or the
    file is refused), every shared-strings table counts (an index takes the longest string any
    of them has there), and cells are counted in every other part, whatever its name or root.
    Streamed, never held whole. Also the furthest row and column any cell, row or sheet
    dimension names."""
    counter = _Counter(name)
    with zipfile.ZipFile(path) as z:
        members = [i.filename for i in z.infolist() if not i.is_dir()]
        for m in members:  # the reader opens names as written: they must mean what they say
            parts = m.split("/")
            if "\\" in m or m.startswith("/") or any(p in ("", ".", "..") for p in parts):
                raise InputFileError(name, f"holds a part named {m[:100]!r}, which no workbook "
                                     "program writes")  # fmt: skip
        for m in members:  # an XLSX has no DTD; one could only be an entity bomb
            with z.open(m) as f:
                if b"<!DOCTYPE" in f.read(2048).upper():
                    raise InputFileError(name, f"{m} declares a DTD, which no XLSX does")
        read = _read_parts(z, members, name, counter)
        roots = {m: _root(z, m, name) for m in sorted(read)}
        tables = [
            m for m, r in roots.items() if r == "sst" or m.lower().endswith("sharedstrings.xml")
        ]
        shared: list[int] = []
        for m in tables:
            lengths = _shared_lengths(z, m, name, counter)
            shared = [max(a, b) for a, b in zip_longest(shared, lengths, fillvalue=0)]
        longest = max(shared, default=0)
        found = [
            _cells_text(z, m, shared, longest, name, counter) for m in roots if m not in tables
        ]
        return (sum(f[0] for f in found), max((f[1] for f in found), default=0),
                max((f[2] for f in found), default=0))  # fmt: skip


def _root(z: zipfile.ZipFile, member: str, name: str) -> str:
    """A part's root tag (the whole part is checked to be XML when it is counted)."""
    for _event, tag, _el in _stream(z, member, name, _Counter(name)):
        return tag
    return ""


def _shared_lengths(z: zipfile.ZipFile, member: str, name: str, counter: _Counter) -> list[int]:
    """The length of each string in a shared-strings table."""
    lengths: list[int] = []
    at = 0
    for event, tag, el in _stream(z, member, name, counter):
        if event == "start" and tag == "si":
            at = 0
        elif event == "end" and tag == "t":
            at += el
        elif event == "end" and tag == "si":
            lengths.append(at)
    return lengths


def _extent(ref: str | None) -> tuple[int, int]:
    """The (row, column) a cell reference reaches ("XFD1048576" -> (1048576, 16384)); the end
    of a range ("A1:C10"); a bare row number for ``<row r>``; (0, 0) when unreadable."""
    if not ref:
        return 0, 0
    m = re.fullmatch(r"\$?([A-Za-z]*)\$?([0-9]*)", ref.strip().split(":")[-1].strip())
    if m is None:  # a reference the check cannot read: as far as any can reach
        return 10**9, 10**9
    column = 0
    for ch in m.group(1).upper()[:8]:
        column = column * 26 + ord(ch) - 64
    digits = m.group(2).lstrip("0")[:12]
    return int(digits or 0), column


def _cells_text(
    z: zipfile.ZipFile, member: str, shared: list[int], longest: int, name: str,
    counter: _Counter,
) -> tuple[int, int, int]:  # fmt: skip
    """The characters in one worksheet's cells, shared strings counted where they are used (a
    reference that cannot be read as an index counts as the longest shared string), and the
    furthest row and column its cells, rows and dimension name."""
    total = rows = columns = 0
    row_at = col_at = 0  # where a row or cell without a reference falls: after the last
    kind, value, chars = None, "", 0
    for event, tag, el in _stream(z, member, name, counter):
        if event == "start":
            if tag == "row":
                row_at = _extent(el.get("r"))[0] if el.get("r") else row_at + 1
                col_at = 0
                rows = max(rows, row_at)
            elif tag == "c":
                r, c = _extent(el.get("r")) if el.get("r") else (row_at, col_at + 1)
                col_at, kind, value, chars = c, el.get("t"), "", 0
                rows, columns = max(rows, r), max(columns, c)
            elif tag == "dimension":
                r, c = _extent(el.get("ref"))
                rows, columns = max(rows, r), max(columns, c)
        elif tag == "v":
            value, chars = el
        elif tag == "t":  # an inline string's text: its length
            total += el
        elif tag == "c":
            total += _cell_chars(kind, value, chars, shared, longest)
    return total, rows, columns


def _cell_chars(kind: str | None, value: str, chars: int, shared: list[int], longest: int) -> int:
    """A cell's characters (``chars`` of its value): its shared string's, for a shared-string
    cell."""
    if kind != "s":
        return chars
    try:
        return shared[int(value.strip())]
    except (ValueError, IndexError):
        return longest


def _check_csv_header(path: Path, name: str) -> None:
    """Refuse a CSV any line of which is wider than ``MAX_COLUMNS`` before it is parsed (a
    3 MB header took 1.8 GB; one row of a million commas, 4.6 GB). Lines are split at any line
    break, so a header hidden behind a blank or quoted line break is found too."""
    line = 1
    with path.open("rb") as f:
        carry = 0
        while chunk := f.read(1024 * 1024):
            for k, part in enumerate(re.split(rb"[\r\n]", chunk)):
                carry = (carry if k == 0 else 0) + part.count(b",")
                line += k > 0
                if carry + 1 > MAX_COLUMNS:
                    raise InputFileError(name, f"has more than {MAX_COLUMNS} columns in a line, "
                                         "more than a return may have", line=line)  # fmt: skip


def read_upload(
    path: Path | str, *, max_inflated: int = XLSX_MAX_INFLATED, name: str | None = None,
    max_rows: int | None = None,
) -> tuple[pd.DataFrame, int]:  # fmt: skip
    """An uploaded return as text cells, and the row number of its first data row. Messages
    name the file by its name only (never the folder it was saved in). An XLSX whose cells
    reach past ``max_rows`` data rows (or ``MAX_COLUMNS``) is refused before it is read."""
    path = Path(path)
    name = name or path.name
    if path.suffix.lower() == ".xlsx":
        check_xlsx(path, max_inflated, name, max_rows)
    else:
        _check_csv_header(path, name)
    try:
        if path.suffix.lower() == ".xlsx":
            raw = pd.read_excel(
                path, sheet_name=0, dtype=str, keep_default_na=False, engine="calamine"
            )
        else:
            # one row past the limit is enough to refuse the file: the rest is never parsed
            most = None if max_rows is None else max_rows + 1
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                              nrows=most)  # fmt: skip
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, CalamineError,
            OverflowError) as e:  # fmt: skip
        raise InputFileError(name, f"cannot be read as CSV or XLSX: {e}") from None
    except BaseException as e:
        # the workbook reader is Rust: a cell it cannot convert (a duration of -1e15 days)
        # panics, which reaches Python as pyo3's PanicException, a BaseException
        if type(e).__name__ != "PanicException":
            raise
        raise InputFileError(name, "cannot be read as XLSX: a cell holds a value the reader "
                             "cannot convert; save it again from the template, or send it as "
                             "CSV") from None  # fmt: skip
    raw.columns = [str(c).strip() for c in raw.columns]
    return raw.map(lambda v: str(v).strip()), 2
