"""One error tree for vrukit, and the messages it writes for people.

Every error raised on purpose by vrukit derives from :class:`VrukitError`; each leaf also derives
from the matching builtin so that callers who only know Python's exceptions still catch it.
Messages say what was wrong, which value, where, and what to do. A message a page shows may be
made with :func:`t`: it is its English text everywhere, and a page in Urdu or Polish says it in
that language from its catalogue id and values (``vrukit.web.portal.lang.said``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

__all__ = [
    "JOIN",
    "ConfigError",
    "FetchError",
    "InputFileError",
    "Said",
    "SchemaError",
    "VrukitError",
    "joined",
    "recall",
    "t",
]


class Said(str):
    """A message for a person: its English text, which it is wherever a text is wanted (a log,
    a CSV, an exception), and its catalogue id and values, from which a page in another
    language says it in that language (``vrukit.web.portal.lang.said``)."""

    msgid: str
    values: dict[str, object]

    def __new__(cls, msgid: str, values: dict[str, object]) -> Said:
        made = super().__new__(cls, msgid % values if values else msgid)
        made.msgid, made.values = msgid, values
        if values:
            _remember(made)
        return made

    def __reduce__(self) -> tuple[type[Said], tuple[str, dict[str, object]]]:
        return (Said, (self.msgid, self.values))  # a copy or another process keeps it whole


#: Recent messages with values, by their English text: a table (pandas keeps only a ``str``)
#: or a join may lose the ``Said``, and ``recall`` finds it again for the page that shows it.
_RECENT: dict[str, Said] = {}
_MOST = 4096
_LOCK = threading.Lock()


def _remember(message: Said) -> None:
    with _LOCK:
        _RECENT.pop(message, None)
        _RECENT[str(message)] = message
        while len(_RECENT) > _MOST:
            del _RECENT[next(iter(_RECENT))]


def recall(text: str) -> Said | None:
    """The message made most recently whose English is ``text``, if one was (``t`` with
    values; those without are in the catalogue as they read)."""
    with _LOCK:
        return _RECENT.get(text)


#: How ``joined`` puts two texts together (a page in Urdu puts "؛" between them).
JOIN = "%(first)s; %(then)s"


def joined(parts: Sequence[str]) -> str:
    """``parts`` as one text, "; " between them, each still said in a reader's language."""
    if len(parts) < 2:
        return parts[0] if parts else ""
    half = len(parts) // 2  # halves: a long list nests only as deep as its length's log
    return t("%(first)s; %(then)s", first=joined(parts[:half]), then=joined(parts[half:]))


def t(msgid: str, **values: object) -> Said:
    """A message in the catalogue (`make messages` extracts ``t("...")`` from the modules
    ``babel.cfg`` lists), with its ``%(name)s`` values."""
    return Said(msgid, values)


class VrukitError(Exception):
    """Root of every error vrukit raises on purpose."""


class ConfigError(VrukitError, ValueError):
    """A setting or argument has a value vrukit cannot use."""


class InputFileError(VrukitError, ValueError):
    """An input file cannot be read as the format it claims to be.

    Parameters
    ----------
    path
        The file (or archive member) at fault.
    message
        What was wrong and what to do about it.
    line, column, value
        Where in the file, when known.
    """

    def __init__(
        self,
        path: str,
        message: str,
        *,
        line: int | None = None,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.value = value
        where = path if line is None else f"{path} line {line}"
        detail = []
        if column is not None and column not in message:
            detail.append(f"column {column}")
        if value and value not in message:
            detail.append(f"found {value!r}")
        said = f" ({', '.join(detail)})" if detail else ""
        super().__init__(f"{where}: {message}{said}")

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt from its message and fields, not by calling __init__ again (which takes other
        # arguments): an error raised in the upload helper process must reach the server whole
        return (_restore, (type(self), self.args, self.__dict__))


def _restore(cls: type[InputFileError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class SchemaError(InputFileError):
    """A file's header or a frame's columns do not match the documented contract."""


class FetchError(VrukitError, RuntimeError):
    """A remote service (e.g. the police.uk API) failed after retries."""
