"""The audit trail's one writer: who did what to which row, when, with the row before and
after. Used by the portal and by the referral workflow (whose trusted loader has no user)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from vrukit.programme.models import AuditEvent, User

__all__ = ["audit"]


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
