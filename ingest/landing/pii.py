"""Personal data (applicant names, ID numbers, handler names) is replaced by a keyed hash at
landing, so the clear value never reaches the database or the audit trail.

The key comes from PARWH_PII_KEY, else the file named by PARWH_PII_KEY_FILE, else
.local/pii.key (created by `parwh demo` / `parwh keygen`, readable by its owner only).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from ingest.settings import paths

MIN_KEY_CHARACTERS = 8   # a careless key (a space, "x") is refused; `parwh keygen` writes 64 random hex digits
_FINGERPRINT_MESSAGE = b"parwh personal-data key fingerprint"


class MissingKeyError(RuntimeError):
    """No usable personal-data key: none set, or one too short to be a secret (a usage error)."""


def default_key_file() -> Path:
    return Path(os.environ.get("PARWH_PII_KEY_FILE") or paths().local / "pii.key")


def create_key_file(path: Path | None = None) -> Path:
    """Create the local key file (0600) unless it exists; returns its path."""
    target = path or default_key_file()
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    return target


def _usable(key: str, source: str) -> bytes:
    if len("".join(key.split())) < MIN_KEY_CHARACTERS:
        raise MissingKeyError(
            f"the personal-data key in {source} is blank or too short (fewer than {MIN_KEY_CHARACTERS} characters "
            "other than spaces): anyone could recompute its hashes; run `parwh keygen` for a random one"
        )
    return key.encode("utf-8")


def load_key() -> bytes:
    value = os.environ.get("PARWH_PII_KEY")
    if value:
        return _usable(value, "PARWH_PII_KEY")
    key_file = default_key_file()
    if key_file.exists():
        return _usable(key_file.read_text(encoding="utf-8").strip(), str(key_file))
    raise MissingKeyError(
        "no personal-data key: set PARWH_PII_KEY, or run `parwh keygen` to create "
        f"{key_file} (applicant names and ID numbers are hashed with it before loading)"
    )


def key_fingerprint(key: bytes) -> str:
    """A short public name for a key (an HMAC of a fixed text, which does not reveal the key): loads
    hashed with different keys have different fingerprints, and the same person different hashes."""
    return hmac.new(key, _FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()[:16]


class Hasher:
    def __init__(self, key: bytes):
        self._key = key
        self.fingerprint = key_fingerprint(key)

    def __call__(self, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        # Normalise spacing so "Nguyễn  Văn A" and "Nguyễn Văn A" hash alike.
        normalised = " ".join(value.split())
        return hmac.new(self._key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()
