"""The ``vrukit`` Typer app, its command groups and its two consoles (output, errors)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler

app = typer.Typer(
    help="vrukit: the public-health approach to serious violence, run on data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _command_group(name: str, help: str) -> typer.Typer:
    """A ``vrukit NAME ...`` group of commands."""
    group = typer.Typer(help=help, no_args_is_help=True)
    app.add_typer(group, name=name)
    return group


ingest_app = _command_group("ingest", "Load partners' published data into the warehouse.")


istv_app = _command_group(
    "istv", "A&E assault data (ISTV): ingest extracts, score their quality, feed back to EDs."
)


directory_app = _command_group(
    "directory", "The Youth Map directory: import and export Open Referral UK (HSDS) data."
)


referrals_app = _command_group(
    "referrals",
    "Referral pathways: keys, pathways, the SLA and evaluation report, pseudonymised export and "
    "retention.",
)


admin_app = _command_group(
    "admin", "Set up a deployment: the first admin and other sign-ins, and passwords."
)


programme_app = _command_group(
    "programme", "The programme registry as a workbook: export it, and import a VRU's own."
)


qualitative_app = _command_group(
    "qualitative",
    "Interviews and focus groups, themes and coded excerpts: exchange them with qualitative "
    "analysis software as REFI-QDA projects (.qdpx).",
)


spend_app = _command_group(
    "spend", "Spend by intervention and quarter: import a spend return (docs/commissioning.md)."
)


lake_app = _command_group(
    "lake",
    "National scale: the partitioned Parquet lake (force and month), the Spark engine, and the "
    "national synthetic region.",
)


fetch_app = _command_group(
    "fetch",
    "Fetch public data from APIs into the files vrukit ingests (the only commands that use the "
    "network).",
)


console = Console(stderr=False)


err = Console(stderr=True)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False)],
    )
