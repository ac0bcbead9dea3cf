"""``vrukit qualitative import|export``: the store's interviews, focus groups, themes and coded
excerpts as a REFI-QDA project (``.qdpx``) for NVivo, ATLAS.ti, MAXQDA or QualCoder, and back
(docs/qualitative.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vrukit.cli._app import console, err, qualitative_app
from vrukit.cli._common import _store
from vrukit.cli._options import StoreOption
from vrukit.errors import ConfigError


def _qdpx(path: Path) -> Path:
    if path.suffix.lower() != ".qdpx":
        raise ConfigError(f"{path}: a REFI-QDA project is a .qdpx file")
    return path


@qualitative_app.command("export")
def qualitative_export(
    path: Annotated[Path, typer.Argument(help="The project to write (.qdpx).")],
    store: StoreOption = None,
) -> None:
    """Write the codebook, every interview and focus group (transcript, facts, consent) and
    their coded excerpts as a REFI-QDA project; the same store always writes the same bytes."""
    from vrukit.programme.db import session
    from vrukit.qualitative.exchange import export_qdpx

    with session(_store(store)) as s:
        counts = export_qdpx(s, _qdpx(path))
    console.print(f"{path}: " + ", ".join(f"{n:,} {k}" for k, n in counts.items()))


@qualitative_app.command("import")
def qualitative_import(
    path: Annotated[Path, typer.Argument(help="A REFI-QDA project (.qdpx) from any software.")],
    store: StoreOption = None,
) -> None:
    """Add or update themes, sources and their coding from a REFI-QDA project, matching themes
    by their path and sources by name; all or nothing. What is not used is listed."""
    from vrukit.programme.audit import audit_import
    from vrukit.programme.db import session
    from vrukit.qualitative.exchange import import_qdpx

    if not path.exists():
        raise ConfigError(f"{path}: no such file")
    with session(_store(store)) as s:
        rep = import_qdpx(s, _qdpx(path))
        audit_import(s, "qual_source", path, {
            "sources_added": rep.sources_added, "sources_updated": rep.sources_updated,
            "themes_added": rep.themes_added, "excerpts": rep.excerpts})  # fmt: skip
    for warning in rep.warnings:
        err.print(f"[yellow]left out:[/yellow] {warning}", highlight=False)
    console.print(
        f"{path}: {rep.sources_added:,} sources added, {rep.sources_updated:,} updated, "
        f"{rep.themes_added:,} new themes, {rep.excerpts:,} excerpts"
    )
