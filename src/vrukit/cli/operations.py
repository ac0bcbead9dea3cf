"""``vrukit serve``, ``vrukit directory ...`` and ``vrukit referrals ...``: the portal and the
operational records behind it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from vrukit.cli._app import (
    app,
    console,
    directory_app,
    referrals_app,
)
from vrukit.cli._common import (
    DEMO_AREAS,
    DEMO_MONTHS,
    _demo_clock,
    _now,
    _referral_key,
    _settings,
    _store,
    build_demo_region,
)
from vrukit.cli._options import (
    _S,
    StoreOption,
    Tiles,
    TilesAttribution,
)
from vrukit.csvio import write_csv

if TYPE_CHECKING:
    pass


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    store: StoreOption = None,
    tiles: Tiles = None,
    tiles_attribution: TilesAttribution = "",
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (a real store only).")
    ] = 1,
) -> None:
    """Start the programme portal (providers submit returns; commissioners, analysts and admins
    read them). Without --store (or VRUKIT_STORE) it serves the demo programme and prints a
    demo login per role; a real store needs VRUKIT_SESSION_SECRET (docs/deploy.md)."""
    import os

    import uvicorn

    from vrukit.programme.db import sqlite_url, upgrade
    from vrukit.web.server import portal_with_mounts, secret_for

    s = _settings(None)
    store = store or s.store
    base = f"http://{host}:{port}"
    if store is not None:
        secret = secret_for(s)
        if not s.referral_key_file:
            console.print("No VRUKIT_REFERRAL_KEY_FILE: referrals can be seen pseudonymised, but "
                          "not made, nor who they are about read.")  # fmt: skip
        upgrade(store)
        _learn_key(store, s.referral_key_file)
        _say_where(base)
        if workers > 1:  # each worker builds the same server from the environment
            os.environ.update(VRUKIT_STORE=store, VRUKIT_TILES=tiles or "",
                              VRUKIT_TILES_ATTRIBUTION=tiles_attribution)  # fmt: skip
            uvicorn.run("vrukit.web.server:from_environment", factory=True, host=host,
                        port=port, workers=workers, log_level="warning",
                        proxy_headers=False)  # fmt: skip
            return
        app = portal_with_mounts(store, s, secret=secret, tiles=tiles,
                                 tiles_attribution=tiles_attribution, migrate=False)  # fmt: skip
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
        return
    if workers > 1:
        raise typer.BadParameter("the demo runs on one worker; give --store for more")
    from vrukit.demo.directory import DIRECTORY_TODAY

    path = s.demo_dir / "programme.sqlite"
    if not path.exists():
        build_demo_region(s.demo_dir, None, DEMO_MONTHS, DEMO_AREAS)
    demo = s.model_copy(update={"referral_key_file": _referral_key(None)})
    _print_demo_logins()
    app = portal_with_mounts(
        sqlite_url(path), demo, tiles=tiles, tiles_attribution=tiles_attribution,
        today=lambda: DIRECTORY_TODAY, now=_demo_clock(),
    )  # fmt: skip
    _say_where(base)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)


def _learn_key(store: str, key_file: Path | None) -> None:
    """Once, before any worker starts: the store records its referral key (or refuses it)."""
    if key_file is None:
        return
    from vrukit.programme.db import session
    from vrukit.referrals.crypto import Keyring
    from vrukit.referrals.identity import check_key

    with session(store) as db:
        check_key(db, Keyring.from_file(key_file))


def _say_where(base: str) -> None:
    console.print(f"Portal on {base}/, the Youth Map's search on {base}/youth-map/ and its Open "
                  f"Referral UK API on {base}/api/ (OpenAPI: /api/openapi.json). Ctrl+C stops "
                  "them.")  # fmt: skip
    console.file.flush()  # seen at once when the output is a pipe or a log


@directory_app.command("import")
def directory_import(
    source: Annotated[
        Path,
        typer.Argument(
            help="An HSDS JSON file, or a folder holding the "
            "HSDS tabular package (one CSV per table)."
        ),
    ],
    postcodes: Annotated[
        Path | None,
        typer.Option(
            help="A postcode lookup CSV (postcode, "
            "latitude, longitude[, lsoa_code]) for searches near a postcode."
        ),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Load services into the directory; records are matched by their HSDS id, so loading the
    same data again changes nothing and a newer export updates what it carries."""
    import dataclasses

    from vrukit.directory.load import load_hsds, load_postcodes
    from vrukit.programme.audit import audit_import
    from vrukit.programme.db import session, upgrade

    url = _store(store)
    upgrade(url)
    with session(url) as s:
        if postcodes:
            console.print(f"{load_postcodes(s, postcodes):,} postcodes")
        got = load_hsds(s, source)
        audit_import(s, "dir_service", source, dataclasses.asdict(got))
    console.print(f"Loaded {got.services:,} services at {got.locations:,} locations from "
                  f"{got.organizations:,} organisations ({got.terms:,} terms).")  # fmt: skip


@directory_app.command("export")
def directory_export(
    out: Annotated[Path, typer.Argument(help="The JSON file, or the folder for the CSVs.")],
    format: Annotated[
        str, typer.Option(help="json (nested services) or csv (the HSDS tabular package).")
    ] = "json",
    store: StoreOption = None,
) -> None:
    """Write the directory as Open Referral UK (HSDS 3): for other councils' directories."""
    from vrukit.directory.exchange import export_csv, export_json
    from vrukit.programme.db import session

    if format not in ("json", "csv"):
        raise typer.BadParameter("expected json or csv", param_hint="--format")
    with session(_store(store)) as s:
        if format == "json":
            console.print(f"{export_json(s, out):,} services written to {out}")
        else:
            counts = export_csv(s, out)
            console.print(f"{counts['services']:,} services in {len(counts)} tables written to "
                          f"{out}")  # fmt: skip


@referrals_app.command("keygen")
def referrals_keygen(
    path: Annotated[Path, typer.Argument(help="Where to write the key (never beside backups).")],
) -> None:
    """Write a new key for identifying details (readable by its owner only)."""
    from vrukit.referrals.crypto import write_key

    console.print(
        f"Key written to {write_key(path)}. Set VRUKIT_REFERRAL_KEY_FILE={path} and keep a copy "
        "somewhere safe: without it no identifying detail can be read."
    )


@referrals_app.command("rotate-key")
def referrals_rotate_key(
    new: Annotated[Path, typer.Argument(help="The new key file (`vrukit referrals keygen`).")],
    store: StoreOption = None,
) -> None:
    """Re-seal every identifying detail under a new key (the old one: VRUKIT_REFERRAL_KEY_FILE).
    One transaction: it all moves, or nothing does. Stop the portal first; start it again with
    VRUKIT_REFERRAL_KEY_FILE set to the new file."""
    from vrukit.programme.db import session
    from vrukit.referrals.crypto import Keyring
    from vrukit.referrals.identity import rotate_key

    old = Keyring.from_file(_referral_key(store))
    with session(_store(store)) as s:
        n = rotate_key(s, old, Keyring.from_file(new))
    console.print(f"{n:,} subjects' details re-sealed under {new}; set "
                  f"VRUKIT_REFERRAL_KEY_FILE={new}, and keep the old key until backups made "
                  "with it have expired.")  # fmt: skip


@referrals_app.command("pathways")
def referrals_pathways(
    path: Annotated[
        Path | None, typer.Argument(help="A pathways JSON file; default: the seed's examples.")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Add or update referral pathways (each names its provider, who is eligible, its steps
    with target times and what each step records)."""
    from sqlalchemy import select

    from vrukit.ingest.pathways import PATHWAYS_FILE
    from vrukit.programme.audit import audit, audit_import
    from vrukit.programme.db import session
    from vrukit.referrals.models import Pathway
    from vrukit.referrals.workflow import load_pathways

    source = path or PATHWAYS_FILE
    with session(_store(store)) as s:
        was = {p.key: p.provider_id for p in s.scalars(select(Pathway))}
        loaded = load_pathways(s, source)
        for p in loaded:  # which organisation receives a pathway's referrals: each change kept
            if was.get(p.key) != p.provider_id:
                before = {"provider_id": was[p.key]} if p.key in was else None
                audit(s, None, "update" if before else "create", "ref_pathway", p.key, before,
                      {"provider_id": p.provider_id})  # fmt: skip
            steps = ", ".join(f"{x['status']} within {x['within_hours']} h" for x in p.steps)
            console.print(f"{p.name}: {steps}")
        audit_import(s, "ref_pathway", source, {"pathways": len(loaded)})


@referrals_app.command("deprivation")
def referrals_deprivation(
    files: Annotated[list[Path], typer.Argument(help="IoD2019 File 7 CSV(s).")],
    store: StoreOption = None,
) -> None:
    """Load LSOA deprivation deciles, which new referrals take from their home area."""
    from vrukit.ingest.reference import read_iod
    from vrukit.programme.db import session
    from vrukit.referrals.load import load_deprivation

    with session(_store(store)) as s:
        console.print(f"{load_deprivation(s, read_iod(files)):,} areas loaded")


@referrals_app.command("report")
def referrals_report(
    out: Annotated[Path, typer.Option(help="Folder for the CSV tables.")] = Path(
        "vrukit-referrals"
    ),
    store: StoreOption = None,
) -> None:
    """The SLA report (overdue referrals) and the evaluation figures by pathway and provider,
    with re-offending of engaged against declined, naive and matched."""
    from vrukit.programme.db import session
    from vrukit.referrals.report import evaluation_figures, sla

    now = _now(store)
    with session(_store(store)) as s:
        frame, table, c = evaluation_figures(s)
        clocks = sla(s, now)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(clocks[clocks.overdue], out / "overdue.csv")
    write_csv(table, out / "by_pathway_and_provider.csv")
    if c is not None:
        from vrukit.publish.evaluation import reoffending_table

        write_csv(reoffending_table(c), out / "reoffending.csv")
    t = Table(
        title=f"Referrals by pathway and provider ({len(frame):,}; consent withdrawn left out)"
    )
    for col in ("pathway", "provider", "referred", "conversion", "median h to contact", "in time"):
        t.add_column(col, justify="left" if col in ("pathway", "provider") else "right")
    for r in table.itertuples():
        t.add_row(r.pathway_name, r.provider, f"{r.referred:,}", f"{r.conversion:.0%}",
                  f"{r.median_hours_to_contact:.0f}", f"{r.share_in_time:.0%}")  # fmt: skip
    console.print(t)
    console.print(f"Overdue at {now:%d %b %Y %H:%M}: {int(clocks.overdue.sum())} of "
                  f"{len(clocks)} referrals waiting for a step")  # fmt: skip
    if c:
        console.print(f"Re-offending within 12 months: engaged {c.engaged_rate:.0%} "
                      f"(n={c.engaged_n}), declined {c.declined_rate:.0%} (n={c.declined_n}); "
                      f"naive gap {c.naive_gap * 100:+.0f} points - mostly who chooses to "
                      "engage, not what engaging does.")  # fmt: skip
        if c.matched:
            m = c.matched
            console.print(f"Matched on age, sex, prior offences and deprivation ({m.method}, "
                          f"{m.pairs} pairs): {m.effect * 100:+.0f} points (95% interval "
                          f"{m.low * 100:+.0f} to {m.high * 100:+.0f}).")  # fmt: skip
            if m.sensitivity is not None and len(m.sensitivity):
                s = m.sensitivity
                console.print(f"By other calipers, matching with replacement and weighting: "
                              f"{s.effect.min() * 100:+.0f} to {s.effect.max() * 100:+.0f} "
                              "points (each in reoffending.csv).")  # fmt: skip
        else:
            console.print(f"No matched comparison: {c.why_not_matched}.")
    console.print(f"Tables in [bold]{out.resolve()}[/bold]")


@referrals_app.command("export")
def referrals_export(
    out: Annotated[Path, typer.Argument(help="The CSV file to write.")],
    store: StoreOption = None,
) -> None:
    """Every referral, pseudonymised (no identifying details), leaving out anyone whose
    consent is withdrawn."""
    from vrukit.programme.db import session
    from vrukit.referrals.report import referral_frame

    with session(_store(store)) as s:
        frame = referral_frame(s)
    write_csv(frame, out)
    console.print(f"{len(frame):,} referrals written to {out}")


@referrals_app.command("retain")
def referrals_retain(
    days: Annotated[
        int | None,
        typer.Option(help=_S["referral_retention_days"].description, show_default=False),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Delete identifying details held longer than the retention period, and say whose (by
    pseudonym). Counts, history and outcomes stay."""
    from vrukit.programme.db import session
    from vrukit.referrals.identity import retain

    keep = days if days is not None else _settings(None).referral_retention_days
    with session(_store(store)) as s:
        report = retain(s, timedelta(days=keep), _now(store))
    console.print(
        f"Identifying details of {len(report.deleted):,} subjects with nothing recorded since "
        f"before {report.cutoff:%d %b %Y} deleted; {report.kept:,} still held."
    )
    for p in report.deleted[:20]:
        console.print(f"  {p}")
    if len(report.deleted) > 20:
        console.print(f"  ... and {len(report.deleted) - 20:,} more (all in the audit trail)")


def _print_demo_logins() -> None:
    from vrukit.programme.accounts import DEMO_LOGINS

    t = Table(title="Demo sign-ins (demo data only)")
    for col in ("role", "e-mail", "password", "organisation"):
        t.add_column(col, no_wrap=col != "organisation", overflow="fold")
    for role, email, password, org in DEMO_LOGINS:
        t.add_row(role, email, password, org or "")
    console.print(t)
