"""The linkage secret: generation, safe reading, per-purpose keys and the key check value.

The secret only ever comes from a file (or a file named by ``PPRL_SECRET_FILE``), never from a
command-line argument, which other users can read in the process list. Like ssh, a secret file that
others can read is refused.
"""

from __future__ import annotations

import base64
import os
import secrets
import stat
from pathlib import Path

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pprl.atomic import atomic_path
from pprl.errors import KeyFileError

SECRET_BYTES = 32  # 256 bits
MAGIC = "pprl-secret-v1"
_SALT = b"pprl/v1 hkdf salt"


def generate_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def format_secret(secret: bytes) -> str:
    return f"{MAGIC} {base64.urlsafe_b64encode(secret).decode('ascii')}\n"


def write_secret(path: str | Path, secret: bytes, *, force: bool = False) -> None:
    """Write a secret file with mode 0600, atomically; refuse to overwrite unless ``force``."""
    path = Path(path)
    if path.exists() and not force:
        raise KeyFileError(f"{path}: already exists; pass --force to replace it (data encoded with the old secret "
                           "can then no longer be linked with new encodings)")
    with atomic_path(path, mode=0o600) as temporary:
        temporary.write_text(format_secret(secret), encoding="ascii")


def read_secret(path: str | Path) -> bytes:
    """Read and check a secret file; its content is never echoed in an error."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise KeyFileError(f"{path}: secret file not found") from None
    if not stat.S_ISREG(info.st_mode):
        raise KeyFileError(f"{path}: not a regular file")
    if os.name == "posix" and info.st_mode & 0o077:
        raise KeyFileError(
            f"{path}: secret file is accessible by other users (mode {stat.S_IMODE(info.st_mode):04o}); "
            f"run: chmod 600 {path}")
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        raise KeyFileError(f"{path}: not a pprl secret file (make one with: pprl keygen -o FILE)") from None
    magic, _, encoded = text.partition(" ")
    try:
        secret = base64.urlsafe_b64decode(encoded.encode("ascii")) if magic == MAGIC else b""
    except ValueError:
        secret = b""
    if len(secret) < SECRET_BYTES:
        raise KeyFileError(f"{path}: not a pprl secret file or shorter than {SECRET_BYTES * 8} bits "
                           "(make one with: pprl keygen -o FILE)")
    return secret


def derive_key(secret: bytes, purpose: str, length: int = 32) -> bytes:
    """An independent key for one purpose (a field of a schema, blocking, the check value) via HKDF-SHA256."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=_SALT, info=purpose.encode("utf-8")).derive(secret)


def field_key(secret: bytes, schema_fingerprint: str, column: str) -> bytes:
    """The key that hashes the tokens of one filter column under one schema."""
    return derive_key(secret, f"pprl/v1/field\x00{schema_fingerprint}\x00{column}")


def check_value(secret: bytes) -> str:
    """A short fingerprint of the secret that reveals nothing about it: HMAC of a constant under a derived key."""
    mac = hmac.HMAC(derive_key(secret, "pprl/v1/check-value"), hashes.SHA256())
    mac.update(b"pprl key check value")
    return mac.finalize()[:8].hex()
