"""CSRF tokens and a sign-in rate limit; passwords are hashed by ``programme.accounts``."""

from __future__ import annotations

import secrets
import time
from collections import defaultdict, deque

from vrukit.programme.accounts import hash_password, verify_password

__all__ = ["RateLimit", "hash_password", "new_csrf_token", "verify_password"]


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


class RateLimit:
    """At most ``attempts`` failed sign-ins per key (client and e-mail) in ``window`` seconds."""

    def __init__(self, attempts: int = 5, window: float = 900.0) -> None:
        self.attempts, self.window = attempts, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, key: str) -> bool:
        q = self._failures[key]
        now = time.monotonic()
        while q and now - q[0] > self.window:
            q.popleft()
        return len(q) >= self.attempts

    def failed(self, key: str) -> None:
        self._failures[key].append(time.monotonic())

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)
