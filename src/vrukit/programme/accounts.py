"""Accounts of the programme store: passwords hashed with argon2id, and the demo sign-ins for
the portal on the demo programme: one per role (two providers, so that
each can be seen not to reach the other's data), one from the youth network trusted to
verify Youth Map listings, a custody sergeant who refers young people and a funding panel
member from outside the VRU. Printed by
``vrukit serve``; demo only."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrukit.programme.models import Organisation, User

__all__ = [
    "DEMO_LOGINS",
    "DEMO_VERIFIER",
    "EMAIL",
    "add_demo_users",
    "hash_password",
    "verify_password",
]

_hasher = PasswordHasher()


#: An e-mail address's shape: a local part, "@", and a domain with a dot, all visible ASCII
#: (what a sign-in form and the audit trail can show), at most 254 characters, lower case.
EMAIL = re.compile(r"(?=.{3,254}$)[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)+")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches the ``stored`` hash (a malformed hash never matches)."""
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


#: (role, e-mail, password, organisation) - public demo credentials, never for real data.
DEMO_LOGINS = (
    ("admin", "admin@demo.vru", "demo-admin-password", None),
    ("commissioner", "commissioner@demo.vru", "demo-commissioner-password", None),
    ("analyst", "analyst@demo.vru", "demo-analyst-password", None),
    ("provider", "boxing@demo.vru", "demo-provider-password", "Eastford Boxing Club"),
    ("provider", "ae@demo.vru", "demo-provider-password",
     "Kingsmere General Hospital Youth Work"),
    ("provider", "network@demo.vru", "demo-network-password", "Demo Youth Network"),
    ("provider", "custody@demo.vru", "demo-referrer-password", "Northbrook Police Custody Suite"),
    ("panel", "panel@demo.vru", "demo-panel-password", None),
)  # fmt: skip
#: The demo's locally trusted organisation: its people verify Youth Map listings.
DEMO_VERIFIER = "Demo Youth Network"


def add_demo_users(s: Session) -> int:
    """Add the demo users the store lacks; returns how many were added."""
    added = 0
    for role, email, password, org in DEMO_LOGINS:
        if s.scalars(select(User).where(User.email == email)).first():
            continue
        org_id = None
        if org:
            o = s.scalars(select(Organisation).where(Organisation.name == org)).first()
            if o is None and org == DEMO_VERIFIER:
                o = Organisation(name=org, kind="partner", verifies_directory=True)
                s.add(o)
                s.flush()
            org_id = o.id if o else None
        s.add(User(email=email, password_hash=hash_password(password), role=role,
                   organisation_id=org_id))  # fmt: skip
        added += 1
    s.flush()
    return added
