"""Passwords: an Argon2id hash for verification and an encrypted copy for PasswordDigest.

WS-Security's PasswordDigest is Base64(SHA-1(nonce + created + password)), so the server must
know the password itself. It keeps it encrypted with a Fernet key that lives outside the
database (``KONTINGENT_SECRET_KEY`` or a key file); a stolen database alone reveals no password.
The Argon2id hash verifies PasswordText tokens and is what an operator audit sees.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

from kontingent_ws.errors import ValidationError
from kontingent_ws.settings import Settings

_HASHER = PasswordHasher()  # Argon2id, RFC 9106 low-memory profile defaults
MIN_PASSWORD_LENGTH = 10
_lock = threading.Lock()


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"Пароль должен содержать не менее {MIN_PASSWORD_LENGTH} символов", field="password")
    if password.isdigit() or password.isalpha():
        raise ValidationError("Пароль должен содержать и буквы, и цифры", field="password")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password_hash(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _load_or_create_key(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode("ascii")
    path: Path = settings.secret_key_file.absolute()
    known = _file_keys.get(path)
    if known is not None:
        return known
    with _lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
        key = _file_keys[path] = path.read_bytes().strip()
        return key


_file_keys: dict[Path, bytes] = {}
"""Key files read once per process (a call must not cost a file read)."""


@lru_cache(maxsize=8)
def _fernet(key: bytes) -> Fernet:
    return Fernet(key)


def fernet_for(settings: Settings) -> Fernet:
    return _fernet(_load_or_create_key(settings))


def encrypt_secret(settings: Settings, password: str) -> bytes:
    return fernet_for(settings).encrypt(password.encode("utf-8"))


def decrypt_secret(settings: Settings, token: bytes) -> str | None:
    """The password behind a stored secret; None when this key cannot decrypt it."""
    return _decrypt(_load_or_create_key(settings), bytes(token))


@lru_cache(maxsize=4096)
def _decrypt(key: bytes, token: bytes) -> str | None:
    """Fernet costs about 50 µs a call: each (key, ciphertext) pair is decrypted once per process.

    Bounded (least recently used out); keyed by the ciphertext, which changes with every new
    password, so a changed password never meets an old entry. Nothing here is ever logged.
    """
    try:
        return _fernet(key).decrypt(token).decode("utf-8")
    except InvalidToken:
        return None


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """The UsernameToken PasswordDigest (OASIS WSS UsernameToken Profile 1.0, section 3.1).

    SHA-1 is what the profile defines for this digest; it is not used for signatures here.
    """
    raw = nonce + created.encode("utf-8") + password.encode("utf-8")
    return base64.b64encode(hashlib.sha1(raw).digest()).decode("ascii")  # noqa: S324


def digests_equal(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode("ascii", "replace"), right.encode("ascii", "replace"))
