"""Field-level encryption of a referral subject's identifying details, with the key held outside
the database.

The key is 32 random bytes in a file of its own (``vrukit referrals keygen`` writes one, readable
by its owner only). Two keys are derived from it with HKDF: one for Fernet (AES-128-CBC with an
HMAC-SHA256 tag, from ``cryptography``), which seals the details, and one for a keyed hash
(HMAC-SHA256) of the normalised name and date of birth - the *match key* that lets the store
notice a person referred again without being able to read who they are. A copy of the store
without the key file holds neither names nor anything a name can be recovered from.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import unicodedata
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from vrukit.errors import ConfigError

__all__ = ["IDENTITY_FIELDS", "Keyring", "write_key"]

#: A subject's identifying details, sealed together: (field, label).
IDENTITY_FIELDS = (
    ("given_name", "Given name"),
    ("family_name", "Family name"),
    ("date_of_birth", "Date of birth"),
    ("postcode", "Home postcode"),
    ("phone", "Phone"),
    ("contact_notes", "Contact notes (parent, carer or social worker)"),
)


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


def write_key(path: Path | str) -> Path:
    """Write a new random key to ``path`` (readable by its owner only); refuses to overwrite one,
    since every detail sealed with the old key would become unreadable."""
    path = Path(path)
    if path.exists():
        raise ConfigError(
            f"{path} already holds a key; move it away first (the details it "
            "sealed can only be read with it)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() + "\n")
    return path


class Keyring:
    """Seals and opens identifying details, and computes match keys, with one master key."""

    def __init__(self, master: bytes) -> None:
        if len(master) != 32:
            raise ConfigError("a referral key is 32 bytes, base64-encoded")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(master, b"vrukit identity")))
        self._match = _derive(master, b"vrukit match key")
        #: Names the key without revealing it (a one-way derivation): the store keeps it and
        #: refuses any other key.
        self.fingerprint = _derive(master, b"vrukit key fingerprint").hex()[:16]

    @classmethod
    def from_file(cls, path: Path | str) -> Keyring:
        path = Path(path)
        if not path.exists():
            raise ConfigError(
                f"referral key file {path} does not exist; create one with "
                "`vrukit referrals keygen` and keep it outside the database"
            )
        try:
            master = base64.urlsafe_b64decode(path.read_text().strip())
        except ValueError as e:
            raise ConfigError(f"{path}: not a base64-encoded key ({e})") from e
        return cls(master)

    def seal(self, details: dict[str, Any]) -> bytes:
        """The details as a Fernet token (random IV: the same details seal differently)."""
        return self._fernet.encrypt(json.dumps(details, sort_keys=True).encode())

    def open(self, token: bytes) -> dict[str, Any]:
        try:
            return dict(json.loads(self._fernet.decrypt(token)))
        except InvalidToken as e:
            raise ConfigError(
                "identifying details cannot be read with this key (sealed with "
                "another key, or altered)"
            ) from e

    def match_key(self, given_name: str, family_name: str, date_of_birth: str) -> str:
        """A keyed hash of the normalised name and date of birth: equal for the same person
        written with other case, spacing or accents; meaningless without the key."""
        text = "|".join(_normal(v) for v in (given_name, family_name, date_of_birth))
        return hmac.new(self._match, text.encode(), hashlib.sha256).hexdigest()


def _normal(value: str) -> str:
    """Lower case, accents and everything but letters and digits removed."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed.lower() if c.isalnum() and c.isascii())
