"""Bearer API keys: optional until the first key is created (auth=auto), or always, or never."""

from __future__ import annotations

from fastapi import Request

from ..store.keys import KeyInfo, KeyStore
from .errors import ApiError


def authenticate(request: Request) -> KeyInfo | None:
    state = request.app.state
    mode = state.settings.auth
    if mode == "disabled":
        return None
    keys: KeyStore = state.keys
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        if mode == "auto" and not keys.any_created():
            return None
        raise ApiError(401, "You didn't provide an API key. Send it as 'Authorization: Bearer KEY'.", code="missing_api_key")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Malformed Authorization header: expected 'Bearer KEY'.", code="invalid_api_key")
    info = keys.verify(token.strip())
    if info is None:
        if mode == "auto" and not keys.any_created():
            return None  # no keys configured: any client (the openai SDK always sends one) is served
        raise ApiError(401, "Incorrect API key provided.", code="invalid_api_key")
    return info
