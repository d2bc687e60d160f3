"""Informational routes: health and the policy in force."""

from __future__ import annotations

from fastapi import APIRouter, Request

from .auth import authenticate

router = APIRouter()


@router.get("/healthz", tags=["service"], summary="Liveness and what is loaded")
def health(request: Request) -> dict:
    warden = getattr(request.app.state, "warden", None)
    scorer = warden.scorer if warden else None
    encoder = getattr(scorer, "encoder", None)
    return {
        "status": "ok" if warden else "starting",
        "policy": warden.policy.ref if warden else None,
        "model": warden.model_version if warden else None,
        # "unfused": this CPU's fused int8 kernels missed the encoder's self-test (see EncoderModel).
        "encoder": {"version": encoder.version, "kernels": "fused" if encoder.fused else "unfused", "gate": scorer.gate}
        if encoder else None,
    }


@router.get("/v1/policy", tags=["policy"], summary="The policy in force, with every category")
def policy(request: Request) -> dict:
    authenticate(request)
    return request.app.state.warden.policy.model_dump(mode="json")
