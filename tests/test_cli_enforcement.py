"""The operator's commands over the ledger, and a check that every command is in the README."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ledger_fixtures import report, user
from policywarden.cli.main import app
from policywarden.services import Services
from policywarden.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYWARDEN_SECRET_FILE", str(tmp_path / "key"))
    get_settings.cache_clear()
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    yield url
    get_settings.cache_clear()


def run(url, *args):
    return runner.invoke(app, [*args, "--database-url", url])


def test_projects_keys_and_rotation(db):
    assert "created project 1 (acme/chat)" in run(db, "projects", "create", "chat", "--org", "acme").output
    r = run(db, "keys", "create", "--name", "svc", "--project", "1")
    assert r.exit_code == 0 and r.output.strip().splitlines()[-1].startswith("pw_")
    assert run(db, "keys", "create", "--name", "x", "--project", "9").output.startswith("error: no project 9")
    assert "role must be" in run(db, "keys", "create", "--name", "x", "--role", "root").output
    r = run(db, "keys", "rotate", "1", "--overlap", "1h")
    assert r.exit_code == 0 and "replace key 1" in r.output
    listing = run(db, "keys", "list").output
    assert "expires" in listing and "project 1" in listing
    assert run(db, "keys", "rotate", "1", "--overlap", "soon").exit_code == 2


def test_review_decisions_audit_and_privacy_from_the_shell(db, tmp_path):
    sv = Services(Settings(database_url=db, secret_file=str(tmp_path / "key")))
    sv.migrate()
    u = user("u_cli")
    for _ in range(4):
        sv.ledger.record(report(u, "protect.harassment", "high", content="call me on +44 20 7946 0958"))
    pending = sv.ledger.actions("pending")[0]["id"]
    assert run(db, "actions", "approve", str(pending), "--actor", "rule:x").exit_code == 1
    r = run(db, "actions", "approve", str(pending), "--actor", "person:ann", "--reason", "confirmed")
    assert r.exit_code == 0 and "active" in r.output
    shown = json.loads(run(db, "subjects", "show", str(u), "--json").stdout)
    assert shown["standing"]["status"] == "suspended" and len(shown["violations"]) == 4
    exported = json.loads(run(db, "subjects", "export", str(u), "--actor", "person:ann").stdout)
    assert exported["violations"][0]["evidence"] == "call me on [phone]"
    assert run(db, "subjects", "hold", str(u), "--reason", "court order", "--actor", "person:ann").exit_code == 0
    assert "legal hold" in run(db, "subjects", "erase", str(u), "--actor", "person:ann").output
    run(db, "subjects", "release", str(u), "--actor", "person:ann")
    assert "erased" in run(db, "subjects", "erase", str(u), "--actor", "person:ann").output
    assert "intact" in run(db, "audit", "verify").output
    assert len(run(db, "audit", "head").output.strip()) == 64
    assert "purged: 0 evidence" in run(db, "purge").output
    assert run(db, "subjects", "show", "nonsense").exit_code == 2


def test_bad_enforcement_config_is_one_line(db, tmp_path, monkeypatch):
    bad = tmp_path / "enf.yaml"
    bad.write_text("ladder:\n  - {at: 4, action: warn}\n  - {at: 2, action: suspend}\n")
    r = runner.invoke(app, ["enforcement", "show", "--config", str(bad)])
    assert r.exit_code == 2 and "strictly increasing" in r.output and "Traceback" not in r.output
    bad.write_text("ladder:\n  - {at: 1, action: explode}\n")
    assert "ladder.0.action" in runner.invoke(app, ["enforcement", "show", "--config", str(bad)]).output


def _commands(group: typer.Typer, prefix: str = "") -> list[str]:
    out = []
    for cmd in group.registered_commands:
        out.append(f"{prefix}{cmd.name or cmd.callback.__name__.replace('_', '-')}".strip())
    for sub in group.registered_groups:
        out.extend(_commands(sub.typer_instance, f"{prefix}{sub.name} "))
    return out


def test_every_command_is_documented():
    docs = (ROOT / "README.md").read_text() + "".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    missing = [c for c in _commands(app) if f"policywarden {c}" not in docs and not _grouped(c, docs)]
    assert missing == []


def _grouped(command: str, docs: str) -> bool:
    """`policywarden actions approve|reject ID` documents several subcommands at once."""
    group, _, name = command.rpartition(" ")
    return any(f"policywarden {group} " in line and name in line.split(f"policywarden {group} ", 1)[1].split()[0].split("|")
               for line in docs.splitlines() if f"policywarden {group} " in line) if group else False
