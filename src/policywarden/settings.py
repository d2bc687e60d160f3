"""One settings object, from environment variables `POLICYWARDEN_*` (or a .env file)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from .review.settings import ReviewSettings


class Settings(ReviewSettings):
    model_config = SettingsConfigDict(env_prefix="POLICYWARDEN_", env_file=".env", extra="ignore")

    database_url: str = Field("sqlite:///policywarden.db", description="SQLAlchemy URL: a SQLite file or PostgreSQL")
    policy: str = Field("openai-usage", description="built-in policy name[@revision] or a policy/overlay file")
    overlays: list[str] = Field(default_factory=list, description="overlay files applied in order")
    model_dir: str | None = Field(None, description="model directory; the shipped model when unset")
    encoder: bool = Field(True, description="use the model's fine-tuned encoder as second stage; false: n-gram model only (faster, less accurate)")
    encoder_threads: int | None = Field(None, ge=1, le=64, description="CPU threads the encoder uses; default: the cores, at most 4")
    encoder_gate: float | None = Field(
        None, gt=0, le=1,
        description="read with the encoder only texts on which some n-gram head reaches this multiple of its threshold; "
                    "default: the model's calibrated gate (0.5); higher is faster and catches less (see the model card)",
    )
    encoder_cache: int = Field(4096, ge=0, le=1_000_000, description="recent texts whose encoder scores are kept, by digest; 0: none")
    auth: Literal["auto", "required", "disabled"] = Field(
        "auto", description="auto: API keys required once any key exists; required; disabled"
    )
    max_inputs: int = Field(256, ge=1, description="most inputs in one moderation request")
    max_input_chars: int = Field(100_000, ge=1, description="most characters in one input")
    max_request_chars: int = Field(1_000_000, ge=1, description="most characters in all inputs of one request")
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="largest request body")
    window_words: int = Field(48, ge=8, description="words per scoring window of a long input")
    window_overlap: int = Field(16, ge=0, description="words shared by consecutive windows")
    fine_windows: bool = Field(
        True, description="also read a long input in 24-word windows, at the margin over the thresholds the model chose; false: never"
    )
    log_level: str = "info"

    # Secrets. Unset, a secret is generated once into `secret_file` (embedded defaults only:
    # production sets it from a secrets manager, the same on every host).
    secret_key: SecretStr | None = Field(None, description="master secret: pseudonym, session and default evidence keys derive from it")
    secret_file: str = Field("policywarden.key", description="where a generated secret is kept when secret_key is unset")
    evidence_keys: list[SecretStr] = Field(
        default_factory=list, description="Fernet keys for evidence at rest, newest first; default: derived from the secret"
    )

    key_cache_seconds: float = Field(
        5.0, ge=0, description="a valid API key is remembered this long per process; a revocation elsewhere takes up to this to bite"
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

    # ---- Guard proxy (src/policywarden/proxy, docs/proxy.md) ---------------------------------
    proxy_upstream_url: str | None = Field(
        None, description="OpenAI-compatible base URL the proxy forwards to, e.g. https://api.openai.com/v1; unset: 503"
    )
    proxy_upstream_key: SecretStr | None = Field(None, description="API key the proxy sends upstream (Authorization: Bearer)")
    proxy_upstreams_file: str | None = Field(None, description="YAML or JSON file: per-project upstreams and keys")
    proxy_input_scope: Literal["last_user", "conversation"] = Field(
        "last_user", description="what is scored before forwarding: the last user turn or every message"
    )
    proxy_on_input_violation: Literal["error", "refusal"] = Field(
        "error", description="error: an OpenAI-style 400; refusal: a normal completion carrying proxy_refusal_message"
    )
    proxy_refusal_message: str = Field(
        "I can't help with that: the request goes against the usage policy.", description="the refusal completion's text"
    )
    proxy_refuse_actions: list[Literal["flag", "warn", "block", "escalate"]] = Field(
        default_factory=lambda: ["block", "escalate"],
        description="verdict actions that are refused; other flagged verdicts are recorded and let through",
    )
    proxy_moderate_output: bool = Field(True, description="score answers (non-streaming and streaming)")
    proxy_answer_context: bool = Field(
        True, description="judge a whole (non-streamed) answer with the user turn it replies to: carrying out a violating request is flagged, a refusal is not"
    )
    proxy_record_output: bool = Field(True, description="record a flagged answer against the end user (or key) that asked for it")
    proxy_stream_mode: Literal["buffered", "low_latency"] = Field(
        "buffered", description="buffered: text reaches the client only once scored; low_latency: at once, ended on a violation"
    )
    proxy_window_chars: int = Field(200, ge=16, le=100_000, description="characters of answer scored together")
    proxy_lookahead_chars: int = Field(
        50, ge=0, le=100_000, description="buffered mode: text is released only once scored with this much of what follows"
    )
    proxy_non_text_parts: Literal["forward", "reject"] = Field(
        "forward", description="prompt parts the classifier cannot read (images, audio, files): forward unscreened, or 400"
    )
    proxy_unread_text: Literal["forward", "reject"] = Field(
        "forward",
        description="prompt text the model barely reads (coverage under proxy_min_coverage: mostly a script other than Latin): "
        "forward it marked X-PolicyWarden-Unscreened: unread_text, or 400",
    )
    proxy_min_coverage: float = Field(
        0.5, ge=0.0, le=1.0, description="share of a prompt's letters the model must read for it to count as screened"
    )
    proxy_fail_mode: Literal["closed", "open"] = Field(
        "closed", description="classifier or ledger down: closed answers 503; open serves unscreened, logged and counted"
    )
    proxy_connect_timeout_s: float = Field(10.0, gt=0, description="connecting to the upstream")
    proxy_timeout_s: float = Field(
        300.0, gt=0, description="longest wait for a non-streaming answer, or between two events of a stream"
    )
    proxy_classifier_timeout_s: float = Field(5.0, gt=0, description="longest wait for the classifier on a short text")
    proxy_classifier_ms_per_kchar: float = Field(
        200.0, ge=0, description="added to the classifier's timeout for every 1,000 characters screened: long texts take "
        "longer to score (about 50 ms per 1,000 characters on two idle cores)"
    )
    proxy_ledger_timeout_s: float = Field(5.0, gt=0, description="longest wait for a standing check or a record")
    proxy_max_connections: int = Field(100, ge=1, description="pooled upstream connections per worker")
    proxy_max_concurrent: int = Field(256, ge=1, description="requests in flight per worker; beyond it, 503 with Retry-After")
    proxy_max_response_bytes: int = Field(
        32 * 1024 * 1024, ge=1024, description="largest upstream answer, or single stream event, read"
    )
    proxy_stream_buffer_bytes: int = Field(
        4 * 1024 * 1024, ge=1024, description="most bytes of a stream held unscored; beyond it they are scored at once"
    )
    # ---- end of guard proxy ------------------------------------------------------------------


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
