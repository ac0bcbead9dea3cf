"""Finding police.uk street files in folders and zip archives, and checking their headers."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from vrukit.errors import InputFileError
from vrukit.ingest.forces import FORCES
from vrukit.schemas import STREET_COLUMNS

__all__ = [
    "Discovery",
    "HeaderCheck",
    "StreetFile",
    "check_header",
    "find_street_files",
    "month_span",
    "sha256_file",
    "sql_literal",
]

STREET_NAME = re.compile(
    r"^(?P<month>\d{4}-(0[1-9]|1[0-2]))-(?P<force>[a-z0-9]+(-[a-z0-9]+)*)-street\.csv(\.gz)?$"
)
OTHER_POLICEUK = re.compile(r"^\d{4}-\d{2}-[a-z0-9-]+-(outcomes|stop-and-search)\.csv(\.gz)?$")
MONTH_VALUE = re.compile(r"^\d{4}-\d{2}$")
#: Bytes per data line of a police.uk street file, rounded down from the 225 measured over the
#: shared Merseyside months, so that row estimates err on the high side.
BYTES_PER_ROW = 200


@dataclass(frozen=True)
class StreetFile:
    """One police.uk street-level file found on disk or inside an archive."""

    path: Path
    display: str
    month: date
    force: str
    folder_force: str | None = None

    @property
    def source_key(self) -> str:
        """What the file covers: ``force/YYYY-MM``."""
        return f"{self.force}/{self.month:%Y-%m}"

    @property
    def month_text(self) -> str:
        return f"{self.month:%Y-%m}"

    def open_bytes(self) -> io.BufferedIOBase:
        """Open the file for reading bytes, decompressing ``.gz`` transparently."""
        if self.path.suffix == ".gz":
            return gzip.open(self.path, "rb")
        return open(self.path, "rb")

    def sha256(self) -> str:
        """SHA-256 of the bytes as stored."""
        return sha256_file(self.path)

    def estimated_rows(self) -> int:
        """Data lines the file holds, estimated from its size without reading it.

        A ``.gz`` file's trailer records its uncompressed size (modulo 4 GiB); where that is
        implausible (a multi-member file), four times the compressed size stands in.
        """
        size = self.path.stat().st_size
        if self.path.suffix == ".gz" and size >= 18:
            with open(self.path, "rb") as fh:
                fh.seek(-4, io.SEEK_END)
                plain = int.from_bytes(fh.read(4), "little")
            size = plain if plain >= size else 4 * size
        return max(1, size // BYTES_PER_ROW)


def month_span(months: list[str]) -> str:
    """Sorted months as a reader would name them: ``2022-01``, or ``2022-01 to 2022-03``."""
    return months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}"


def sql_literal(s: str) -> str:
    """``s`` as a single-quoted SQL string literal."""
    return "'" + s.replace("'", "''") + "'"


def sha256_file(path: Path | str) -> str:
    """SHA-256 of a file's bytes as stored."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Discovery:
    """Files found, and files passed over with the reason."""

    files: list[StreetFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _street_file(path: Path, display: str, folder: str | None) -> StreetFile | None:
    m = STREET_NAME.match(path.name)
    if not m:
        return None
    year, month = (int(x) for x in m["month"].split("-"))
    force = m["force"]
    folder_force = folder if folder in FORCES and folder != force else None
    return StreetFile(path, display, date(year, month, 1), force, folder_force)


def _skip_reason(name: str) -> str:
    if OTHER_POLICEUK.match(name):
        return "police.uk outcomes or stop-and-search file (not street-level crime)"
    return "not named like YYYY-MM-<force>-street.csv"


def _from_zip(archive: Path, workdir: Path, found: Discovery) -> None:
    if not zipfile.is_zipfile(archive):
        raise InputFileError(str(archive), "is not a readable zip archive")
    with zipfile.ZipFile(archive) as zf:
        members = [n for n in zf.namelist() if not n.endswith("/")]
        street = [n for n in members if STREET_NAME.match(Path(n).name)]
        if not street:
            sample = ", ".join(members[:3]) or "nothing"
            raise InputFileError(
                str(archive),
                "is not a police.uk archive: it holds no file named YYYY-MM-<force>-street.csv "
                f"(it holds {sample}); download the archive from the police.uk data page",
            )
        target = workdir / f"zip{len(found.files)}-{archive.stem}"
        for name in members:
            if name not in street:
                found.skipped.append((f"{archive}!{name}", _skip_reason(Path(name).name)))
                continue
            out = Path(zf.extract(name, target))
            sf = _street_file(out, f"{archive}!{name}", Path(name).parent.name or None)
            assert sf is not None
            found.files.append(sf)


def find_street_files(paths: Iterable[Path | str], *, workdir: Path) -> Discovery:
    """Find every police.uk street-level file under ``paths``.

    Folders are searched recursively; zip archives are opened and their street files extracted
    into ``workdir``. A path given explicitly that is not a street file or archive is an error;
    other files met inside folders are listed in ``skipped`` with the reason.
    """
    found = Discovery()
    for given in paths:
        p = Path(given)
        if not p.exists():
            raise InputFileError(str(p), "does not exist")
        if p.is_dir():
            for child in sorted(x for x in p.rglob("*") if x.is_file()):
                if child.suffix == ".zip":
                    _from_zip(child, workdir, found)
                    continue
                sf = _street_file(child, str(child), child.parent.name)
                if sf:
                    found.files.append(sf)
                else:
                    found.skipped.append((str(child), _skip_reason(child.name)))
        elif p.suffix == ".zip":
            _from_zip(p, workdir, found)
        else:
            sf = _street_file(p, str(p), p.parent.name)
            if sf is None:
                raise InputFileError(
                    str(p),
                    "is not a police.uk street file: expected a name like "
                    "2022-01-merseyside-street.csv (optionally .gz) or a .zip archive",
                )
            found.files.append(sf)
    return found


@dataclass(frozen=True)
class HeaderCheck:
    """Result of reading a street file's first line.

    ``ok`` is True when the header is exactly police.uk's. Otherwise ``message`` says what is
    wrong and ``data_starts_at`` is the first line that holds data (1 when there is no header).
    """

    ok: bool
    empty: bool = False
    message: str = ""
    column: str | None = None
    value: str | None = None
    data_starts_at: int = 2


def _looks_like_data(fields: list[str]) -> bool:
    return len(fields) == len(STREET_COLUMNS) and bool(MONTH_VALUE.match(fields[1].strip()))


def check_header(sf: StreetFile) -> HeaderCheck:
    """Compare the first line of ``sf`` with police.uk's 12-column street header."""
    with sf.open_bytes() as fh:
        first = fh.readline(1 << 16)
    if not first.strip():
        return HeaderCheck(False, empty=True, message="line 1: file is empty (no header, no rows)")
    text = first.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    fields = next(csv.reader([text]))
    expected = ", ".join(STREET_COLUMNS)
    if _looks_like_data(fields):
        return HeaderCheck(
            False,
            message=f"line 1: no header; the file starts with data ({text[:60]!r}); "
            f"expected the header {expected}",
            value=text[:200],
            data_starts_at=1,
        )
    for i, want in enumerate(STREET_COLUMNS):
        got = fields[i] if i < len(fields) else None
        if got != want:
            shown = "missing" if got is None else f"{got!r}"
            return HeaderCheck(
                False,
                message=f"line 1, column {i + 1}: header is {shown}, expected {want!r} "
                f"(police.uk street header: {expected})",
                column=want,
                value=got,
            )
    if len(fields) > len(STREET_COLUMNS):
        extra = fields[len(STREET_COLUMNS)]
        return HeaderCheck(
            False,
            message=f"line 1, column {len(STREET_COLUMNS) + 1}: unexpected extra header {extra!r}",
            column=extra,
            value=extra,
        )
    return HeaderCheck(True)


def read_lines(sf: StreetFile) -> list[str]:
    """All lines of ``sf`` as text (undecodable bytes shown as U+FFFD), without line ends."""
    with sf.open_bytes() as fh:
        data = fh.read()
    return data.decode("utf-8-sig", errors="replace").splitlines()
