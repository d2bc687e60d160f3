"""Settings of the console, the public forms and the review queue, kept beside the code that
reads them. The server's one `Settings` object inherits them, so they come from the same
`POLICYWARDEN_*` variables and `.env` file as every other setting."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ReviewSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICYWARDEN_", env_file=".env", extra="ignore")

    public_url: str | None = Field(
        None, description="the server's public base URL, e.g. https://trust.example.com: appeal links in notices use it"
    )
    # `__Host-` cookies must be Secure, and browsers keep Secure cookies only from https, or from
    # http on loopback (127.0.0.1, localhost). Serving the console over plain http on any other
    # address needs this off; never do that outside a closed test network.
    console_secure_cookies: bool = Field(True, description="__Host- prefixed, Secure session cookies")
    console_idle_minutes: int = Field(30, ge=1, le=24 * 60, description="a session ends after this long unused")
    console_absolute_hours: int = Field(12, ge=1, le=24 * 7, description="a session ends this long after log-in")
    claim_minutes: int = Field(30, ge=1, le=24 * 60, description="a claim on a case lapses after this long")
    login_failures_per_account: int = Field(
        5, ge=1, description="failed log-ins in 15 minutes that lock an account for 15 minutes")
    login_failures_per_address: int = Field(20, ge=1, description="failed log-ins from one address in 15 minutes that block it")
    reports_per_hour: int = Field(10, ge=1, description="misuse reports and appeals one address may file an hour")

    @property
    def idle(self) -> timedelta:
        return timedelta(minutes=self.console_idle_minutes)

    @property
    def absolute(self) -> timedelta:
        return timedelta(hours=self.console_absolute_hours)

    @property
    def claim_ttl(self) -> timedelta:
        return timedelta(minutes=self.claim_minutes)
