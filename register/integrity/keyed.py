"""Chain hashes keyed with a secret kept outside the database (HMAC-SHA256).

Someone who can write to the database but does not hold ``CHAIN_SECRET`` cannot recompute
a chain after editing it, so rewriting a register and all hashes after it is found too.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app


def keyed_hash(message: str) -> str:
    """HMAC-SHA256 of ``message`` under the installation's ``CHAIN_SECRET``, in hex."""
    secret = current_app.config["CHAIN_SECRET"].encode()
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def sign(message: str) -> str:
    """HMAC-SHA256 of ``message`` under ``ANCHOR_SECRET``: the signature of an anchor file."""
    secret = current_app.config["ANCHOR_SECRET"].encode()
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def signature_matches(message: str, signature: str) -> bool:
    return hmac.compare_digest(sign(message), signature)
