"""One error tree for vrukit.

Every error raised on purpose by vrukit derives from :class:`VrukitError`; each leaf also derives
from the matching builtin so that callers who only know Python's exceptions still catch it.
Messages say what was wrong, which value, where, and what to do.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConfigError",
    "FetchError",
    "InputFileError",
    "SchemaError",
    "VrukitError",
]


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
