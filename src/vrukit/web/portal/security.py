"""CSRF tokens, the sign-in throttle and the device cookie; passwords are hashed by
``programme.accounts``.

The throttle follows OWASP's advice on slowing password guessing without handing attackers a
way to lock people out. Failed sign-ins are counted in the store (every worker sees them) under
three keys:

- the **client address** (``client_address``: forwarded addresses only from trusted proxies),
  whatever account was tried, which slows guessing spread over many accounts;
- the **account**, for browsers it has never signed in on: five wrong passwords and strangers'
  attempts wait, so guessing one account is slow;
- the **device**: a browser where the account has signed in before carries a signed cookie, and
  its own counter, so an attacker who exhausts the account's limit does not lock the owner out.

Whether an account exists changes nothing a client can see: the same messages, the same
counting and, through a dummy hash, the same time.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from vrukit.programme.accounts import hash_password, verify_password
from vrukit.programme.models import SignInFailure
from vrukit.voice.responses import network

__all__ = [
    "DEVICE_COOKIE",
    "Devices",
    "RateLimit",
    "check_password",
    "hash_password",
    "new_csrf_token",
    "verify_password",
]

#: The cookie that marks a browser an account has signed in on.
DEVICE_COOKIE = "vrukit_device"
DEVICE_DAYS = 180


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def check_password(stored: str | None, password: str) -> bool:
    """``verify_password``, taking as long for an account that does not exist (``stored`` None):
    the time a sign-in takes must not tell which e-mail addresses have accounts."""
    if stored is None:
        verify_password(_dummy_hash(), password)
        return False
    return verify_password(stored, password)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class RateLimit:
    """Failed sign-ins allowed in ``window`` seconds per client address and per account from
    browsers the account has not signed in on, and per known browser."""

    per_client: int = 20
    per_account: int = 5
    per_device: int = 10
    #: All the account's known browsers together (someone who once signed in on many could
    #: otherwise guess 10 times on each).
    per_account_devices: int = 20
    window: float = 900.0

    def _keys(self, client: str, email: str, device: str | None) -> dict[str, int]:
        """A browser where the account has signed in counts against itself and the account's
        known browsers together, so strangers behind the same address (a hospital's or a
        school's) cannot lock its owner out; any other attempt counts against the address and
        the account."""
        if device:
            return {f"device:{_digest(device)}": self.per_device,
                    f"devices:{_digest(email)}": self.per_account_devices}  # fmt: skip
        return {f"client:{network(client)}": self.per_client,  # an IPv6 /64 counts once
                f"account:{_digest(email)}": self.per_account}  # fmt: skip

    def blocked(self, s: Session, now: datetime, client: str, email: str,
                device: str | None) -> bool:  # fmt: skip
        """Whether any of the attempt's keys is at its limit. On PostgreSQL the counting
        transaction first takes a lock of its own (held to its end), so tries sent at once are
        counted one after another, as SQLite's write lock makes them there: without it 36 of
        100 parallel tries were checked against a limit of 5."""
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(7274611)"))
        since = now - timedelta(seconds=self.window)
        for key, most in self._keys(client, email, device).items():
            n = s.scalar(select(func.count()).select_from(SignInFailure)
                         .where(SignInFailure.key == key, SignInFailure.at > since))  # fmt: skip
            if (n or 0) >= most:
                return True
        return False

    def failed(self, s: Session, now: datetime, client: str, email: str,
               device: str | None) -> list[int]:  # fmt: skip
        """Count an attempt against its keys; the rows' ids. The portal counts each attempt
        *before* checking the password, so that attempts sent in parallel are counted while
        they run (checking first let 20 parallel guesses through a limit of 5), and takes the
        count back (``forget``) when the password was right."""
        keys = list(self._keys(client, email, device))
        old = now - timedelta(seconds=self.window)
        s.execute(delete(SignInFailure).where(SignInFailure.key.in_(keys),
                                              SignInFailure.at <= old))  # fmt: skip
        rows = [SignInFailure(key=k, at=now) for k in keys]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]

    def forget(self, s: Session, ids: list[int]) -> None:
        """Take back the attempt ``failed`` counted: the password was right."""
        s.execute(delete(SignInFailure).where(SignInFailure.id.in_(ids)))

    def succeeded(self, s: Session, device: str | None) -> None:
        """A right password from a known browser clears that browser's count (not the
        account's: strangers' attempts still count against them)."""
        if device:
            s.execute(delete(SignInFailure).where(SignInFailure.key == f"device:{_digest(device)}"))


class Devices:
    """Signed device cookies: which account has signed in on this browser."""

    def __init__(self, secret: str) -> None:
        self._s = URLSafeTimedSerializer(secret, salt="vrukit device")

    def issue(self, email: str, password_hash: str) -> str:
        """A cookie for a sign-in of ``email`` with the password whose hash is given: a new
        password makes every earlier cookie a stranger's."""
        return self._s.dumps({"a": _digest(email), "p": _digest(password_hash)[:16],
                              "t": secrets.token_urlsafe(16)})  # fmt: skip

    def known(self, cookie: str | None, email: str, password_hash: str | None) -> str | None:
        """The cookie, if it is ours, unexpired and from a sign-in of ``email`` with its
        current password; else None."""
        if not cookie or password_hash is None:
            return None
        try:
            data = self._s.loads(cookie, max_age=DEVICE_DAYS * 86400)
        except BadSignature:
            return None
        ours = isinstance(data, dict) and data.get("a") == _digest(email)
        return cookie if ours and data.get("p") == _digest(password_hash)[:16] else None
