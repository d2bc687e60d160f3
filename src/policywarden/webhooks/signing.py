"""Standard Webhooks signatures (https://www.standardwebhooks.com), as Stripe and Svix sign.

Each request carries `webhook-id` (the stable event id), `webhook-timestamp` (unix seconds)
and `webhook-signature`: space-separated `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`,
one per secret in force (two while a secret is being rotated). Secrets are `whsec_` followed
by the base64 of 32 random bytes; the key is those bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable, Mapping

SECRET_PREFIX = "whsec_"
TOLERANCE_S = 300


class SignatureError(ValueError):
    """A request that must not be trusted: missing headers, a stale timestamp, no matching signature."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes:
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("a webhook secret must be 'whsec_' followed by base64") from None
    if len(key) < 16:
        raise SignatureError("a webhook secret must hold at least 16 bytes")
    return key


def _as_bytes(body: bytes | str) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else body


def sign(secret: str, msg_id: str, timestamp: int, body: bytes | str) -> str:
    """One `v1,<base64>` signature."""
    signed = f"{msg_id}.{timestamp}.".encode() + _as_bytes(body)
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secrets_in_force: Iterable[str], msg_id: str, timestamp: int, body: bytes | str) -> dict[str, str]:
    """The three Standard Webhooks headers. Refuses to produce them without a secret: a
    delivery is never sent unsigned."""
    signatures = [sign(s, msg_id, timestamp, body) for s in secrets_in_force]
    if not signatures:
        raise SignatureError("no secret to sign with")
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": " ".join(signatures)}


def verify(secret: str, headers: Mapping[str, str], body: bytes | str, tolerance: int = TOLERANCE_S,
           now: float | None = None) -> None:
    """For receivers: raises SignatureError unless `body` was signed with `secret` within
    `tolerance` seconds of now (either way, so replays and clock tricks both fail)."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, stamp, header = lower.get("webhook-id"), lower.get("webhook-timestamp"), lower.get("webhook-signature")
    if not (msg_id and stamp and header):
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature header")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not an integer") from None
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise SignatureError("webhook-timestamp is outside the tolerance")
    expected = sign(secret, msg_id, timestamp, body).encode()
    for candidate in header.split():
        if candidate.startswith("v1,") and hmac.compare_digest(candidate.encode(), expected):
            return
    raise SignatureError("no signature matches")
