"""Where the proxy forwards: one upstream from settings, and per-project upstreams from a file.

The upstreams file is YAML (or JSON, which YAML reads too):

    default:                        # optional: replaces POLICYWARDEN_PROXY_UPSTREAM_URL/_KEY
      url: https://api.openai.com/v1
      key_env: OPENAI_API_KEY       # the key from an environment variable, or `key: sk-...`
    projects:
      3:                            # a project id (`policywarden keys create --project 3`)
        url: https://example-llm.internal/v1
        key_env: ACME_LLM_KEY
        headers: {OpenAI-Organization: org-acme}

A key with a project listed there is forwarded to that project's upstream; every other call
goes to the default. Only the operator chooses upstreams: nothing in a request can.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from ..config_files import load_model
from ..settings import Settings


class ProxyConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Upstream:
    """One OpenAI-compatible server: its base URL (ending before /chat/completions), its key
    and any headers the operator adds to every call."""

    url: str
    key: SecretStr | None = None
    headers: dict[str, str] = field(default_factory=dict)
    name: str = "default"

    def endpoint(self, path: str) -> str:
        return f"{self.url}/{path.lstrip('/')}"


def check_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")) or len(url) <= len("https://"):
        raise ValueError(f"{url!r} is not an http:// or https:// URL")
    return url


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    key: SecretStr | None = None
    key_env: str | None = Field(None, description="name of an environment variable holding the key")
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return check_url(v)

    @field_validator("headers")
    @classmethod
    def _headers(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v:
            if name.lower() in ("authorization", "host", "content-length", "transfer-encoding", "connection"):
                raise ValueError(f"header {name!r} is set by the proxy itself")
        return v

    @model_validator(mode="after")
    def _one_key(self) -> _Entry:
        if self.key is not None and self.key_env:
            raise ValueError("give either 'key' or 'key_env', not both")
        return self

    def upstream(self, name: str) -> Upstream:
        """`name` says where the entry is, for errors and logs."""
        key = self.key
        if self.key_env:
            value = os.environ.get(self.key_env)
            if not value:
                raise ProxyConfigError(f"{name}.key_env: environment variable {self.key_env} is not set")
            key = SecretStr(value)
        return Upstream(self.url, key, dict(self.headers), name)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default: _Entry | None = None
    projects: dict[int, _Entry] = Field(default_factory=dict)


@dataclass(frozen=True)
class Upstreams:
    default: Upstream | None
    projects: dict[int, Upstream] = field(default_factory=dict)

    def for_project(self, project_id: int | None) -> Upstream | None:
        if project_id is not None and project_id in self.projects:
            return self.projects[project_id]
        return self.default

    @property
    def configured(self) -> bool:
        return self.default is not None or bool(self.projects)


def load_upstreams(settings: Settings) -> Upstreams:
    """The upstream table; raises ProxyConfigError with the file and field at fault."""
    default = None
    if settings.proxy_upstream_url:
        try:
            default = Upstream(check_url(settings.proxy_upstream_url), settings.proxy_upstream_key)
        except ValueError as exc:
            raise ProxyConfigError(f"POLICYWARDEN_PROXY_UPSTREAM_URL: {exc}") from None
    path = settings.proxy_upstreams_file
    if not path:
        return Upstreams(default)
    p = Path(path)
    parsed = load_model(p, _File, "upstreams file", ProxyConfigError)
    if parsed.default is not None:
        default = parsed.default.upstream(f"{p}: default")
    projects = {pid: e.upstream(f"{p}: projects.{pid}") for pid, e in parsed.projects.items()}
    return Upstreams(default, projects)
