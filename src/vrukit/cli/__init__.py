"""The `vrukit` command: a thin shell over the library.

One module per group of commands (``ingest``, ``analysis``, ``istv``, ``operations``, ``lake``);
every option is declared once in ``_options``; what the commands share is in ``_common``.
Importing a command module registers its commands on ``app``.
"""

from __future__ import annotations

from vrukit.cli import (  # noqa: F401 - registers commands
    accuracy,
    admin,
    analysis,
    build,
    forecast,
    governance,
    ingest,
    istv,
    lake,
    operations,
    qualitative,
)
from vrukit.cli._app import app, err
from vrukit.errors import VrukitError

__all__ = ["app", "main"]


def main() -> None:
    from pydantic import ValidationError

    try:
        app()
    except VrukitError as e:
        err.print(f"[red]error:[/red] {e}")
        raise SystemExit(2) from e
    except ValidationError as e:  # a setting given on the command line or as VRUKIT_*
        for problem in e.errors():
            name = ".".join(str(p) for p in problem["loc"])
            err.print(
                f"[red]error:[/red] setting {name} (--{name.replace('_', '-')} or "
                f"VRUKIT_{name.upper()}) is {problem.get('input')!r}: {problem['msg']}"
            )
        raise SystemExit(2) from e
