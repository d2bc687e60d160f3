"""Wiring: builds the stores and the enforcement gate from settings. Interfaces (HTTP, CLI,
proxy, console) get their services here and nowhere else."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from .decide import Verdict
from .enforce.config import EnforcementConfig, load_enforcement_config
from .enforce.standing import Standing
from .privacy import EvidenceCipher, Pseudonymiser, excerpt
from .privacy.secrets import derive, fernet_key, load_or_create, decode_secret
from .review.service import case_intake
from .settings import Settings
from .store.db import sessions, upgrade
from .store.keys import KeyInfo, KeyStore, Tenants
from .store.ledger import Evidence, Hit, Ledger, RecordResult, SubjectKey, ViolationReport


def master_secret(settings: Settings) -> bytes:
    if settings.secret_key is not None:
        return decode_secret(settings.secret_key.get_secret_value())
    return load_or_create(settings.secret_file)


class Enforcement:
    """What every entry point (moderation API, events, guard proxy) asks of the ledger: who is
    calling, may they be served, and record what they did."""

    def __init__(self, ledger: Ledger, pseudonymise: Pseudonymiser):
        self.ledger = ledger
        self.pseudonymise = pseudonymise

    @property
    def config(self) -> EnforcementConfig:
        return self.ledger.config

    def end_user(self, project: int | None, external_id: str) -> SubjectKey:
        """An end user by the id the integrator sends, in the project of the calling key."""
        scope = project or 0
        return SubjectKey("user", scope, self.pseudonymise(scope, external_id))

    @staticmethod
    def key_subjects(key: KeyInfo | None) -> list[SubjectKey]:
        if key is None:
            return []
        out = [SubjectKey("key", 0, str(key.id))]
        if key.project_id:
            out.append(SubjectKey("project", key.project_id, str(key.project_id)))
        return out

    def standing(self, subjects: Sequence[SubjectKey]) -> Standing:
        return self.ledger.standing(list(subjects))

    def record_verdict(
        self,
        verdict: Verdict,
        subject: SubjectKey,
        content: str | None,
        idempotency: tuple[str, str] | None = None,
        external_id: str | None = None,
        actor: str = "rule:classifier",
    ) -> RecordResult | None:
        """Record a flagged verdict against `subject`; None when the verdict records nothing
        (not flagged, or its action is not one the configuration records)."""
        if not verdict.flagged or verdict.action not in self.config.record_actions:
            return None
        hits = [Hit(c.id, c.severity, c.score) for c in verdict.hits]
        report = ViolationReport(
            subject=subject, hits=hits, policy_id=verdict.policy_id, policy_revision=verdict.policy_revision,
            source="classifier", verdict_action=verdict.action, surface=verdict.surface,
            model_version=verdict.model_version, reporting=verdict.reporting, content=content, actor=actor,
            external_id=external_id,
        )
        return self.ledger.record(report, idempotency)


@dataclass
class Services:
    settings: Settings

    @cached_property
    def secret(self) -> bytes:
        return master_secret(self.settings)

    @cached_property
    def cipher(self) -> EvidenceCipher:
        keys = [k.get_secret_value() for k in self.settings.evidence_keys] or [fernet_key(self.secret)]
        return EvidenceCipher(keys)

    @cached_property
    def pseudonymise(self) -> Pseudonymiser:
        return Pseudonymiser(derive(self.secret, "pseudonym"))

    @cached_property
    def enforcement_config(self) -> EnforcementConfig:
        return load_enforcement_config(self.settings.enforcement_config)

    @property
    def url(self) -> str:
        return self.settings.database_url

    def migrate(self) -> None:
        upgrade(self.url)

    @cached_property
    def keys(self) -> KeyStore:
        return KeyStore(sessions(self.url), sessions(self.url, write=True), self.settings.key_cache_seconds)

    @cached_property
    def tenants(self) -> Tenants:
        return Tenants(sessions(self.url), sessions(self.url, write=True))

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(
            read=sessions(self.url),
            write=sessions(self.url, write=True),
            config=self.enforcement_config,
            evidence=Evidence(self.cipher, excerpt),
            seal_ref=self.cipher.encrypt,
            hooks=[case_intake(self)],  # opens review cases in the ledger's transactions
        )

    @cached_property
    def enforcement(self) -> Enforcement:
        return Enforcement(self.ledger, self.pseudonymise)
