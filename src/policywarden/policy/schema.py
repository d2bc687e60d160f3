"""The policy file format: pydantic models that validate policy and overlay files.

A *policy* is a published revision of a usage policy: sections, each with categories
(one per bullet of the policy text), plus the changelog that is its revision history.
An *overlay* is an operator's adjustment to a base policy: thresholds, categories
turned off, default actions changed, categories added.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

OPENAI_CATEGORIES: tuple[str, ...] = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)

CATEGORY_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
POLICY_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


class Severity(str, Enum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        return ["low", "medium", "high", "critical"].index(self.value)


class Action(str, Enum):
    """Default action when a category is hit. Ordered from mildest to strongest."""

    flag = "flag"  # record only
    warn = "warn"  # let through, tell the caller
    block = "block"  # refuse
    escalate = "escalate"  # refuse and send to human review

    @property
    def rank(self) -> int:
        return ["flag", "warn", "block", "escalate"].index(self.value)


Surface = Literal["input", "output"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Examples(_Strict):
    flag: list[str] = Field(default_factory=list, description="texts that must be flagged")
    allow: list[str] = Field(default_factory=list, description="look-alikes that must not be flagged")

    @field_validator("flag", "allow")
    @classmethod
    def _non_empty(cls, v: list[str]) -> list[str]:
        for i, text in enumerate(v):
            if not text or not text.strip():
                raise ValueError(f"example {i} is empty")
        return v


class Category(_Strict):
    id: str
    title: str = Field(min_length=1)
    wording: str = Field(min_length=1, description="the policy's own words")
    definition: str = Field(default="", description="operational definition for reviewers and judges")
    severity: Severity
    action: Action
    applies_to: list[Surface] = Field(default_factory=lambda: ["input", "output"], min_length=1)
    openai: list[str] = Field(default_factory=list)
    group: str | None = None
    reporting: list[Literal["ncmec"]] = Field(default_factory=list)
    threshold: float | None = Field(default=None, ge=0.0, le=1.0, description="overrides the model's threshold")
    enabled: bool = True
    patterns: list[str] = Field(default_factory=list, description="regular expressions that also hit this category")
    examples: Examples = Field(default_factory=Examples)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not CATEGORY_ID.match(v):
            raise ValueError(f"category id {v!r} must be dotted lower-case words, e.g. 'protect.weapons'")
        return v

    @field_validator("openai")
    @classmethod
    def _openai(cls, v: list[str]) -> list[str]:
        unknown = [c for c in v if c not in OPENAI_CATEGORIES]
        if unknown:
            raise ValueError(f"unknown OpenAI categories {unknown}; known: {', '.join(OPENAI_CATEGORIES)}")
        return v

    @field_validator("patterns")
    @classmethod
    def _patterns(cls, v: list[str]) -> list[str]:
        for p in v:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"pattern {p!r} is not a valid regular expression: {exc}") from None
        return v


class Group(_Strict):
    id: str
    title: str
    wording: str
    definition: str = ""


class Section(_Strict):
    id: str
    title: str
    principle: str = ""
    groups: list[Group] = Field(default_factory=list)
    categories: list[Category] = Field(default_factory=list)


class ChangelogEntry(_Strict):
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    summary: str = Field(min_length=1)


class Policy(_Strict):
    schema_version: Literal[1] = 1
    kind: Literal["policy"] = "policy"
    id: str
    title: str
    revision: str = Field(min_length=1)
    effective: str | None = None
    source: str | None = None
    summary: str = ""
    based_on: list[str] = Field(default_factory=list, description="policies and overlays this one was built from")
    changelog: list[ChangelogEntry] = Field(default_factory=list)
    sections: list[Section] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _pid(cls, v: str) -> str:
        if not POLICY_ID.match(v):
            raise ValueError(f"policy id {v!r} must be lower-case letters, digits, '.', '_' or '-'")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        seen: set[str] = set()
        groups = {g.id for s in self.sections for g in s.groups}
        for section in self.sections:
            for cat in section.categories:
                if cat.id in seen:
                    raise ValueError(f"category id {cat.id!r} appears twice")
                seen.add(cat.id)
                if cat.group is not None and cat.group not in groups:
                    raise ValueError(f"category {cat.id!r} names unknown group {cat.group!r}")
        return self

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.revision}"

    @property
    def categories(self) -> list[Category]:
        return [c for s in self.sections for c in s.categories]

    def category(self, category_id: str) -> Category:
        for c in self.categories:
            if c.id == category_id:
                return c
        raise KeyError(category_id)

    def section_of(self, category_id: str) -> Section:
        for s in self.sections:
            if any(c.id == category_id for c in s.categories):
                return s
        raise KeyError(category_id)


class CategoryOverride(_Strict):
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    action: Action | None = None
    severity: Severity | None = None
    enabled: bool | None = None
    applies_to: list[Surface] | None = None


class AddedCategory(Category):
    section: str = Field(description="id of the section it joins, existing or new")
    section_title: str | None = None


class Overlay(_Strict):
    schema_version: Literal[1] = 1
    kind: Literal["overlay"] = "overlay"
    id: str
    revision: str = "1"
    base: str = Field(description="built-in policy name, 'name@revision', or a path to a policy file")
    title: str | None = None
    disabled: list[str] = Field(default_factory=list)
    thresholds: dict[str, float] = Field(default_factory=dict)
    overrides: dict[str, CategoryOverride] = Field(default_factory=dict)
    categories: list[AddedCategory] = Field(default_factory=list)

    @field_validator("thresholds")
    @classmethod
    def _thresholds(cls, v: dict[str, float]) -> dict[str, float]:
        for k, t in v.items():
            if not 0.0 <= t <= 1.0:
                raise ValueError(f"threshold for {k!r} must be between 0 and 1, got {t}")
        return v

    @field_validator("id")
    @classmethod
    def _oid(cls, v: str) -> str:
        if not POLICY_ID.match(v):
            raise ValueError(f"overlay id {v!r} must be lower-case letters, digits, '.', '_' or '-'")
        return v
