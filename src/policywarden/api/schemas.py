"""Request and response shapes of /v1/moderations, for validation messages and the OpenAPI docs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class ImageUrl(BaseModel):
    url: str


class ImagePart(BaseModel):
    type: Literal["image_url"]
    image_url: ImageUrl


class ModerationRequest(BaseModel):
    input: str | list[str] | list[TextPart | ImagePart] = Field(
        description="A string, an array of strings (one result each), or an array of content parts (one result)."
    )
    model: str | None = Field(None, description="Ignored beyond validation: OpenAI model names and this server's model are accepted.")
    surface: Literal["input", "output"] = Field(
        "input", description="PolicyWarden extension: 'input' for what users send, 'output' for what a model answers."
    )
    context: str | list[str | None] | None = Field(
        None,
        description=(
            "PolicyWarden extension, with surface 'output': the prompt each answer replies to (one string for all "
            "inputs, or one per input). An answer that carries out a violating request is flagged under the "
            "request's categories; a refusal is not."
        ),
    )
    user: str | None = Field(
        None, max_length=512,
        description="PolicyWarden extension: your id for the end user; flagged inputs are recorded against them (pseudonymised).",
    )
    safety_identifier: str | None = Field(None, max_length=512, description="Same as `user`, under OpenAI's newer name.")
    project: int | None = Field(None, description="PolicyWarden extension: record against this project (its own, or any with an admin key).")


class CategoryVerdict(BaseModel):
    score: float
    threshold: float
    flagged: bool
    action: str
    severity: str
    applies: bool
    source: str


class PolicyRef(BaseModel):
    id: str
    revision: str


class PolicyVerdict(BaseModel):
    flagged: bool = Field(description="True when any policy category is hit")
    action: Literal["allow", "flag", "warn", "block", "escalate"]
    hits: list[str]
    categories: dict[str, CategoryVerdict]
    reporting: list[str]
    policy: PolicyRef
    model: str
    surface: str
    windows: int
    in_context: bool = Field(False, description="True when the answer was judged with the prompt it replies to")
    coverage: float | None = Field(
        None, description="share of the text's letters in the Latin script, which the model reads (English); "
        "a low share means the text was mostly not read. Null for a text without letters",
    )
    violation_id: int | None = Field(None, description="present when the call named a subject: the violation recorded, if any")
    standing: dict | None = Field(None, description="present when the call named a subject: its standing after this call")


class ModerationResult(BaseModel):
    flagged: bool
    categories: dict[str, bool]
    category_scores: dict[str, float]
    category_applied_input_types: dict[str, list[str]]
    policywarden: PolicyVerdict


class ModerationResponse(BaseModel):
    id: str
    model: str
    results: list[ModerationResult]


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorResponse(BaseModel):
    error: ErrorDetail
