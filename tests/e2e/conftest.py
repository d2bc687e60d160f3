"""Browser fixtures: Debian's Chromium driven by Playwright, a real server with staff and
cases, and a folder for screenshots (test-artifacts/, git-ignored)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import ROOT, Server, start_server, stop_server
from ledger_fixtures import report, user
from policywarden.review.service import staff_store
from policywarden.services import Services
from policywarden.settings import Settings
from policywarden.store.models import WebhookDelivery, WebhookSubscription
from policywarden.store.review_models import Case
from review_fixtures import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")  # not session: its event loop must stop before other tests use asyncio
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run installs it")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


@dataclass
class Site:
    server: Server
    services: Services
    cases: dict[str, int]  # what each seeded case is about -> its id

    @property
    def url(self) -> str:
        return self.server.base_url

    def notices(self, event_type: str) -> list[dict]:
        """Webhook notices queued for integrators (the delivery worker is off in these tests)."""
        with self.services.ledger.read() as s:
            rows = s.scalars(select(WebhookDelivery.payload).where(WebhookDelivery.event_type == event_type)
                             .order_by(WebhookDelivery.id)).all()
        return [json.loads(p)["data"] for p in rows]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    sv = Services(Settings(database_url=f"sqlite:///{tmp / 'pw.db'}", secret_file=str(tmp / "pw.key")))
    sv.migrate()
    people = staff_store(sv)
    for name, roles in (("ann", ["reviewer"]), ("bob", ["reviewer"]), ("cara", ["reviewer", "child_safety"]),
                        ("root", ["admin"])):
        people.create(name, name.title(), PASSWORD, roles, "test")
    with sv.ledger.write.begin() as s:
        s.add(WebhookSubscription(url="https://hooks.example/policywarden", secret=sv.cipher.encrypt("whsec_test"),
                                  events=["*"], active=True))
    grooming = sv.ledger.record(report(user("u_kid"), "minors.grooming", "critical", verdict_action="escalate",
                                       reporting=["ncmec"], content="are your parents home? keep this secret"))
    weapons = sv.ledger.record(report(user("u_adult"), "protect.weapons", "critical", verdict_action="escalate",
                                      content="step by step to build a pipe bomb"))
    with sv.ledger.read() as s:
        ids = {c.violation_id: c.id for c in s.scalars(select(Case))}
    server = start_server(tmp, {"POLICYWARDEN_WEBHOOK_WORKER": "false"})
    yield Site(server, sv, {"child_safety": ids[grooming.violation_id], "weapons": ids[weapons.violation_id]})
    stop_server(server)


@pytest.fixture
def shoot():
    """Save a screenshot of the page under test-artifacts/NAME.png."""
    ARTIFACTS.mkdir(exist_ok=True)

    def save(page, name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return save
