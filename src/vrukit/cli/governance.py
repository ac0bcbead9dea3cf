"""``vrukit board-pack`` and ``vrukit spend import``: the quarterly board pack (HTML and its
PDF) and spend returns, from the programme store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vrukit.cli._app import app, console, err, spend_app
from vrukit.cli._common import _settings, _store
from vrukit.cli._options import StoreOption, out_option


@app.command("board-pack")
def board_pack(
    quarter: Annotated[str, typer.Option(help="The quarter, YYYY-Qn (2021-Q4: Oct to Dec).")],
    out: Annotated[Path, out_option("Folder for the pack.")] = Path("vrukit-board-packs"),
    store: StoreOption = None,
    sna: Annotated[
        Path | None,
        typer.Option(help="The SNA's analysis folder (`vrukit analyse`), for its headlines."),
    ] = None,
    public: Annotated[
        bool, typer.Option("--public", help="Only the parts marked public, for publishing.")
    ] = False,
    pdf: Annotated[bool, typer.Option(help="Print the pack to PDF with Chromium too.")] = True,
) -> None:
    """Write the quarter's board pack: delivery plan RAG, risks, spend against forecast, reach
    and monitoring compliance, funding rounds, evaluation and SNA headlines, the decision and
    issue log; as HTML and, with Chromium, PDF."""
    from vrukit.commissioning.governance import quarter_dates
    from vrukit.errors import ConfigError
    from vrukit.jobs.board_pack import collect
    from vrukit.programme.db import session
    from vrukit.publish.board_pack import print_pdf, write_pack

    quarter_dates(quarter)  # a malformed quarter is refused before anything is read
    url = _store(store)
    if sna is None and store is None and _settings(None).store is None:
        demo_sna = _settings(None).demo_dir / "analysis"
        sna = demo_sna if (demo_sna / "summary.json").exists() else None
    from datetime import date

    with session(url) as s:
        data = collect(s, quarter, sna=sna, public=public, today=date.today())
    html = write_pack(data, out, public=public)
    console.print(f"Board pack for {quarter}: [bold]{html.resolve()}[/bold]")
    if pdf:
        try:
            printed = print_pdf(html, _settings(None).chromium)
            console.print(f"PDF: [bold]{printed.resolve()}[/bold]")
        except ConfigError as e:
            err.print(f"[yellow]no PDF:[/yellow] {e}")


@spend_app.command("import")
def spend_import(
    file: Annotated[
        Path, typer.Argument(help="A spend return (CSV or XLSX; docs/commissioning.md).")
    ],
    store: StoreOption = None,
) -> None:
    """Add a spend return's rows (intervention, quarter, amount, category, note) to the store,
    all or nothing: every problem is named by row and column."""
    from vrukit.commissioning.governance import load_spend_return
    from vrukit.programme.audit import audit_import
    from vrukit.programme.db import session
    from vrukit.programme.returns import ReturnRejected

    try:
        with session(_store(store)) as s:
            n = load_spend_return(s, file)
            audit_import(s, "spend", file, {"added": n})
    except ReturnRejected as e:
        for p in e.problems[:50]:
            err.print(f"  {p}")
        raise
    console.print(f"{n} spend line(s) added from {file}.")
