"""One settings object, from environment variables `POLICYWARDEN_*` (or a .env file)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICYWARDEN_", env_file=".env", extra="ignore")

    database_url: str = Field("sqlite:///policywarden.db", description="SQLAlchemy URL: a SQLite file or PostgreSQL")
    policy: str = Field("openai-usage", description="built-in policy name[@revision] or a policy/overlay file")
    overlays: list[str] = Field(default_factory=list, description="overlay files applied in order")
    model_dir: str | None = Field(None, description="model directory; the shipped model when unset")
    auth: Literal["auto", "required", "disabled"] = Field(
        "auto", description="auto: API keys required once any key exists; required; disabled"
    )
    max_inputs: int = Field(256, ge=1, description="most inputs in one moderation request")
    max_input_chars: int = Field(100_000, ge=1, description="most characters in one input")
    max_request_chars: int = Field(1_000_000, ge=1, description="most characters in all inputs of one request")
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="largest request body")
    window_words: int = Field(48, ge=8, description="words per scoring window of a long input")
    window_overlap: int = Field(16, ge=0, description="words shared by consecutive windows")
    log_level: str = "info"

    # Secrets. Unset, a secret is generated once into `secret_file` (embedded defaults only:
    # production sets it from a secrets manager, the same on every host).
    secret_key: SecretStr | None = Field(None, description="master secret: pseudonym, session and default evidence keys derive from it")
    secret_file: str = Field("policywarden.key", description="where a generated secret is kept when secret_key is unset")
    evidence_keys: list[SecretStr] = Field(
        default_factory=list, description="Fernet keys for evidence at rest, newest first; default: derived from the secret"
    )

    # Enforcement.
    enforcement_config: str | None = Field(None, description="YAML file: strike weights, decay, ladder, human review")
    webhook_worker: bool = Field(True, description="deliver queued webhooks from the server process")
    webhook_allow_private_urls: bool = Field(
        False, description="let webhooks reach loopback and private addresses (an internal receiver; tests)"
    )
    purge_every_hours: float = Field(6.0, ge=0, description="the server purges expired evidence this often; 0: only `policywarden purge`")

    @model_validator(mode="after")
    def _windows(self) -> Settings:
        if self.window_overlap >= self.window_words:
            raise ValueError("window_overlap must be smaller than window_words")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
