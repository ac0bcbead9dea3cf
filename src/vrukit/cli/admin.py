"""``vrukit admin ...`` and ``vrukit programme ...``: setting up a deployment without Python.
Passwords are asked for at the terminal (or read from standard input with
``--password-stdin``), never taken from the command line, where other users and the shell's
history would see them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from vrukit.cli._app import admin_app, console, programme_app
from vrukit.cli._common import _store
from vrukit.cli._options import StoreOption
from vrukit.errors import ConfigError

#: The shortest password accepted (the portal's rule too).
MIN_PASSWORD = 12

PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from standard input (for scripts), not the terminal.",
    ),
]


def _password(stdin: bool) -> str:
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"the password must have at least {MIN_PASSWORD} characters")
    return password


@admin_app.command("create-user")
def create_user(
    email: Annotated[str, typer.Argument(help="The person's e-mail address (their sign-in).")],
    role: Annotated[str, typer.Option(help="admin, commissioner, analyst or provider.")] = "admin",
    organisation: Annotated[
        str | None,
        typer.Option(help="A provider's organisation, by name (made if it does not exist)."),
    ] = None,
    store: StoreOption = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a sign-in to the portal: the first admin of an empty store, or anyone after."""
    from sqlalchemy import select

    from vrukit.programme.accounts import EMAIL, hash_password
    from vrukit.programme.audit import audit
    from vrukit.programme.db import session
    from vrukit.programme.models import ROLES, Organisation, User

    email = email.strip().lower()
    if role not in ROLES:
        raise ConfigError(f"--role {role!r}: expected one of {', '.join(ROLES)}")
    if not EMAIL.fullmatch(email):
        raise ConfigError(f"{email[:60]!r} is not an e-mail address")
    if role == "provider" and not organisation:
        raise ConfigError("a provider's sign-in needs --organisation NAME")
    password = _password(password_stdin)
    with session(_store(store)) as s:
        if s.scalars(select(User).where(User.email == email)).first():
            raise ConfigError(f"{email} already has a sign-in (`vrukit admin set-password`)")
        org = None
        if organisation:
            org = s.scalars(select(Organisation).where(Organisation.name == organisation)).first()
            if org is None:
                org = Organisation(name=organisation, kind="provider")
                s.add(org)
                s.flush()
        user = User(email=email, password_hash=hash_password(password), role=role,
                    organisation_id=org.id if org and role == "provider" else None)  # fmt: skip
        s.add(user)
        s.flush()
        audit(s, None, "create", "app_user", str(user.id), None,
              {"email": email, "role": role, "by": "vrukit admin create-user"})  # fmt: skip
    console.print(f"{email} can now sign in to the portal as {role}.")


@admin_app.command("set-password")
def set_password(
    email: Annotated[str, typer.Argument(help="Whose password.")],
    store: StoreOption = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Set someone's password (a forgotten one, say); every session they have ends."""
    from sqlalchemy import select

    from vrukit.programme.accounts import hash_password
    from vrukit.programme.audit import audit
    from vrukit.programme.db import session
    from vrukit.programme.models import User

    email = email.strip().lower()
    password = _password(password_stdin)
    with session(_store(store)) as s:
        user = s.scalars(select(User).where(User.email == email)).first()
        if user is None:
            raise ConfigError(f"no sign-in for {email} (`vrukit admin create-user`)")
        user.password_hash = hash_password(password)
        user.session_epoch += 1
        audit(s, None, "password", "app_user", str(user.id), None,
              {"by": "vrukit admin set-password", "sessions_ended": True})  # fmt: skip
    console.print(f"{email}'s password is set; their sessions have ended.")


@programme_app.command("export")
def programme_export(
    path: Annotated[Path, typer.Argument(help="The workbook to write (.xlsx).")],
    store: StoreOption = None,
) -> None:
    """Write the registry (organisations, places, boards, interventions and their providers,
    Theory of Change, indicators, return templates) to one workbook (docs/programme.md)."""
    from vrukit.programme.db import session
    from vrukit.programme.exchange import export_registry

    if path.suffix.lower() != ".xlsx":
        raise ConfigError(f"{path}: the registry is written as an .xlsx workbook")
    with session(_store(store)) as s:
        counts = export_registry(s, path)
    console.print(
        f"{path}: " + ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in counts.items())
    )


@programme_app.command("import")
def programme_import(
    path: Annotated[Path, typer.Argument(help="A workbook in the layout `export` writes.")],
    store: StoreOption = None,
) -> None:
    """Add or update the registry from a workbook, matching records by name; all or nothing."""
    from vrukit.programme.audit import audit_import
    from vrukit.programme.db import session
    from vrukit.programme.exchange import import_registry

    if not path.exists():
        raise ConfigError(f"{path}: no such file")
    with session(_store(store)) as s:
        rep = import_registry(s, path)
        audit_import(s, "registry", path, {"added": dict(rep.added), "updated": dict(rep.updated)})
    done = [f"{k.replace('_', ' ')}: {rep.added[k]:,} added, {rep.updated[k]:,} updated"
            for k in rep.added if rep.added[k] or rep.updated[k]]  # fmt: skip
    console.print(f"{path}: " + ("; ".join(done) or "nothing new"))
