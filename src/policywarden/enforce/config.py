"""Enforcement configuration: strike weights, the decay window, the ladder of actions.

Operators write it as YAML (`POLICYWARDEN_ENFORCEMENT_CONFIG`); every field has a default,
so an empty file, or none, gives the defaults below.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..config_files import load_model

ActionName = Literal["warn", "restrict", "suspend", "terminate"]
SEVERITY_ORDER = ("warn", "restrict", "suspend", "terminate")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: str | int | None) -> timedelta | None:
    """'30m', '24h', '7d', '2w', or seconds as an integer; None means no expiry."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("a duration must be like '24h' or '7d'")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError("a duration must be positive")
        return timedelta(seconds=value)
    m = _DURATION.match(str(value))
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"{value!r} is not a duration like '30m', '24h', '7d' or '2w'")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Restrictions(_Strict):
    rate_limit_per_minute: int | None = Field(None, ge=0, description="requests a minute while restricted")
    blocked_features: list[str] = Field(default_factory=list, description="features withheld, e.g. 'images', 'tools'")


class LadderStep(_Strict):
    at: float = Field(..., gt=0, description="active strike points that trigger this step")
    action: ActionName
    duration: str | int | None = Field(None, description="how long the action lasts: '24h', '7d'; none for no expiry")
    restrictions: Restrictions = Field(default_factory=Restrictions)

    @field_validator("duration")
    @classmethod
    def _duration(cls, v):
        parse_duration(v)
        return v

    @property
    def period(self) -> timedelta | None:
        return parse_duration(self.duration)


class Weights(_Strict):
    severity: dict[Literal["low", "medium", "high", "critical"], float] = Field(
        default_factory=lambda: {"low": 1.0, "medium": 1.0, "high": 2.0, "critical": 4.0}
    )
    categories: dict[str, float] = Field(default_factory=dict, description="per-category weight, overriding severity")

    @field_validator("severity", "categories")
    @classmethod
    def _non_negative(cls, v: dict) -> dict:
        for k, w in v.items():
            if w < 0:
                raise ValueError(f"weight of {k} must not be negative")
        return v


def _default_ladder() -> list[LadderStep]:
    return [
        LadderStep(at=1, action="warn", duration="30d"),
        LadderStep(at=4, action="restrict", duration="24h", restrictions=Restrictions(rate_limit_per_minute=10)),
        LadderStep(at=8, action="suspend", duration="7d"),
        LadderStep(at=16, action="terminate"),
    ]


class EnforcementConfig(_Strict):
    weights: Weights = Field(default_factory=Weights)
    decay: str | int = Field("90d", description="strikes older than this no longer count")
    ladder: list[LadderStep] = Field(default_factory=_default_ladder)
    # Categories so severe that one violation suspends at once, as an interim measure pending review.
    immediate_suspend: list[str] = Field(default_factory=lambda: ["minors.csam", "minors.grooming"])
    # Actions with serious effects on a person wait for a human decision: the policy forbids
    # high-stakes automation without human review. An operator may remove them, knowingly.
    human_review: list[ActionName] = Field(default_factory=lambda: ["suspend", "terminate"])
    # Verdict actions that record a violation when a moderation call names a subject.
    record_actions: list[Literal["flag", "warn", "block", "escalate"]] = Field(
        default_factory=lambda: ["flag", "warn", "block", "escalate"]
    )
    evidence_chars: int = Field(400, ge=0, description="longest evidence excerpt kept; 0 keeps none")
    evidence_retention: str | int = Field("90d", description="evidence is purged after this, unless on legal hold")

    @field_validator("decay", "evidence_retention")
    @classmethod
    def _period(cls, v):
        parse_duration(v)
        return v

    @model_validator(mode="after")
    def _ordered(self) -> EnforcementConfig:
        points = [s.at for s in self.ladder]
        if points != sorted(points) or len(set(points)) != len(points):
            raise ValueError("ladder steps must have strictly increasing 'at' points")
        return self

    @property
    def decay_period(self) -> timedelta:
        return parse_duration(self.decay)

    @property
    def retention_period(self) -> timedelta:
        return parse_duration(self.evidence_retention)


class EnforcementConfigError(ValueError):
    pass


def load_enforcement_config(path: str | Path | None) -> EnforcementConfig:
    if not path:
        return EnforcementConfig()
    return load_model(path, EnforcementConfig, "enforcement config", EnforcementConfigError)
