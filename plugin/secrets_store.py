"""Secrets at rest: encryption of stored tokens. (Their redaction from output is
``plugin.redaction``, which imports no cryptography: a listing child process needs it.)

Tokens are encrypted with Fernet. The key comes from ``PLEXBOOKS_SECRET_KEY`` or from
``<data_dir>/secret.key``, generated on first use with mode 0600. Several comma-separated
keys, newest first, rotate keys (cryptography's MultiFernet): values encrypted with any of
them decrypt, new values use the newest, ``rotate`` re-encrypts with it. Values stored
before encryption existed (plain text) still work: ``decrypt`` reports them as legacy so
the caller re-encrypts them on first read.
"""
from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PREFIX = "enc:v1:"


class SecretKeyError(RuntimeError):
    """The secret key is missing, unreadable or not a Fernet key."""


def load_or_create_key(data_dir: Path, env_key: str | None = None) -> bytes:
    """The key material: one Fernet key, or several comma-separated, newest first."""
    if env_key:
        key = env_key.strip().encode()
    else:
        path = data_dir / "secret.key"
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, Fernet.generate_key())
            except BaseException:
                os.close(fd)
                path.unlink(missing_ok=True)
                raise
            os.close(fd)
        key = path.read_bytes().strip()
    _fernets(key)
    return key


def _fernets(material: bytes) -> list[Fernet]:
    try:
        keys = [part.strip() for part in material.split(b",") if part.strip()]
        if not keys:
            raise ValueError
        return [Fernet(k) for k in keys]
    except (ValueError, TypeError):
        raise SecretKeyError("the secret key is not a valid Fernet key (32 url-safe base64-encoded bytes; "
                             "several keys are separated by commas, newest first)") from None


class Vault:
    """Encrypts stored secrets with the newest key and decrypts them with any of the keys."""

    def __init__(self, key: bytes):
        fernets = _fernets(key)
        self._newest = fernets[0]
        self._fernet = MultiFernet(fernets)

    def encrypt(self, plain: str) -> str:
        return PREFIX + self._newest.encrypt(plain.encode()).decode()

    def decrypt(self, stored: str) -> tuple[str, bool]:
        """Return ``(plain, legacy)``; legacy is True for a value stored unencrypted."""
        if not stored.startswith(PREFIX):
            return stored, True
        try:
            return self._fernet.decrypt(stored[len(PREFIX):].encode()).decode(), False
        except InvalidToken:
            raise SecretKeyError("a stored secret cannot be decrypted with the current secret key") from None

    def rotate(self, stored: str) -> str:
        """The same secret encrypted with the newest key (plain legacy values get encrypted)."""
        if not stored.startswith(PREFIX):
            return self.encrypt(stored)
        try:
            return PREFIX + self._fernet.rotate(stored[len(PREFIX):].encode()).decode()
        except InvalidToken:
            raise SecretKeyError("a stored secret cannot be decrypted with the current secret key") from None
