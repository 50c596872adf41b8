"""Password hashing and personal API tokens (shown once, stored as SHA-256)."""
from __future__ import annotations

import hashlib
import os
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

# scrypt in production; tests may set a cheap method so seeding a few hundred users stays fast.
PASSWORD_METHOD = os.environ.get("TDKT_PASSWORD_METHOD", "scrypt")
TOKEN_PREFIX = "tdkt_"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def verify_password(password_hash: str, password: str) -> bool:
    return bool(password_hash) and check_password_hash(password_hash, password)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
