"""The audit trail's one writer: who did what to which row, when, with the row before and
after. Used by the portal and by the referral workflow (whose trusted loader has no user)."""

from __future__ import annotations

import getpass
import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from vrukit.programme.models import AuditEvent, User

__all__ = ["audit", "audit_import"]


def audit(
    s: Session,
    user: User | None,
    action: str,
    table: str,
    key: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    at: datetime | None = None,
) -> None:
    """Record a change (or a read of identifying details): who (``None``: a trusted loader),
    when (default now), and the changed columns before and after."""
    s.add(AuditEvent(user_id=user.id if user else None, action=action, table_name=table,
                     row_key=key, before=before, after=after, at=at or datetime.now()))  # fmt: skip


def _digest(path: Path) -> str:
    """The SHA-256 of a file, or of a folder's files in name order (an HSDS CSV package)."""
    h, folder = hashlib.sha256(), path.is_dir()
    for part in sorted(p for p in path.rglob("*") if p.is_file()) if folder else [path]:
        if folder:
            h.update(str(part.relative_to(path)).encode() + b"\0")
        with part.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in this process's environment
        return "unknown"


def audit_import(s: Session, what: str, path: Path, counts: dict[str, Any]) -> None:
    """One event for a command-line import (``what``: its table, e.g. ``dir_service``): the
    file's name and SHA-256, the operating-system user who ran it and what it added or
    updated, in the import's own transaction (all or nothing, like the import)."""
    audit(s, None, "import", what, Path(path).name[:100], None,
          {"file": str(path), "sha256": _digest(Path(path)), "operator": _operator(),
           **counts})  # fmt: skip
