"""`policywarden subjects|actions|audit|purge|evidence|projects|enforcement`: the operator's
hand on the enforcement ledger from a shell."""

from __future__ import annotations

import typer
from rich.table import Table

from ..enforce.config import parse_duration
from ..privacy import KeyError_
from ..store import audit as audit_log
from ..store.keys import KeyStoreError
from ..store.ledger import LedgerError, SubjectKey
from .common import console, fail, print_json
from .services_opt import DB_OPT, services

subjects = typer.Typer(help="A subject's record, actions on it, export, erasure and legal holds.", no_args_is_help=True)
actions = typer.Typer(help="Actions awaiting a person, and decisions on them.", no_args_is_help=True)
audit = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
evidence = typer.Typer(help="Evidence encryption keys.", no_args_is_help=True)
projects = typer.Typer(help="Organisations and their projects.", no_args_is_help=True)
enforcement = typer.Typer(help="The enforcement configuration.", no_args_is_help=True)

ACTOR = typer.Option(..., "--actor", help="The person deciding, as person:NAME.")
REASON = typer.Option("", "--reason", help="Why; recorded in the action's history and the audit log.")


def _subject(text: str) -> SubjectKey:
    try:
        return SubjectKey.parse(text)
    except LedgerError as exc:
        fail(str(exc))


def _run(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except (LedgerError, KeyStoreError, KeyError_) as exc:
        fail(str(exc), 1)


# ---- subjects -------------------------------------------------------------------------


@subjects.command("show")
def subject_show(subject: str, database_url: str | None = DB_OPT, as_json: bool = typer.Option(False, "--json")) -> None:
    """A subject's standing, violations, strikes and actions (no evidence)."""
    rec = _run(services(database_url).ledger.subject_record, _subject(subject))
    if as_json:
        print_json(rec)
        return
    st = rec["standing"]
    console.print(f"[bold]{rec['subject']}[/]  {st['status']}  allowed={st['allowed']}  active points={rec['active_points']:g}"
                  + (f"  legal hold: {rec['legal_hold']}" if rec["legal_hold"] else ""), highlight=False)
    t = Table("violation", "when", "source", "categories", "points", "strike")
    for v in rec["violations"]:
        strike = v["strike"]
        state = "void" if strike and strike["voided_at"] else (f"until {strike['expires_at'][:10]}" if strike else "")
        t.add_row(str(v["id"]), v["created_at"][:19], v["source"], ", ".join(v["categories"]), f"{v['points']:g}", state)
    console.print(t)
    t = Table("action", "kind", "status", "reason", "expires")
    for a in rec["actions"]:
        t.add_row(str(a["id"]), a["kind"] + (" (interim)" if a["interim"] else ""), a["status"], a["reason"], (a["expires_at"] or "")[:19])
    console.print(t)


@subjects.command("export")
def subject_export(subject: str, actor: str = ACTOR, database_url: str | None = DB_OPT) -> None:
    """Everything held about a subject, evidence decrypted, as JSON (a subject-access request)."""
    print_json(_run(services(database_url).ledger.export, _subject(subject), actor))


@subjects.command("erase")
def subject_erase(subject: str, actor: str = ACTOR, reason: str = typer.Option("erasure request", "--reason"),
                  database_url: str | None = DB_OPT) -> None:
    """Delete a subject and everything recorded about it, unless a legal hold covers it."""
    r = _run(services(database_url).ledger.erase, _subject(subject), actor, reason)
    console.print(f"erased {r['subject']}: {r['violations']} violations, {r['actions']} actions")


@subjects.command("hold")
def subject_hold(subject: str, reason: str = typer.Option(..., "--reason"), actor: str = ACTOR, database_url: str | None = DB_OPT) -> None:
    """Put a subject under legal hold: nothing of it is purged or erased until released."""
    _run(services(database_url).ledger.set_legal_hold, _subject(subject), reason, actor)
    console.print(f"{subject} is under legal hold")


@subjects.command("release")
def subject_release(subject: str, actor: str = ACTOR, database_url: str | None = DB_OPT) -> None:
    """Release a legal hold."""
    _run(services(database_url).ledger.set_legal_hold, _subject(subject), None, actor)
    console.print(f"{subject}: legal hold released")


@subjects.command("act")
def subject_act(subject: str, kind: str = typer.Option(..., "--kind", help="warn, restrict, suspend or terminate"),
                actor: str = ACTOR, reason: str = typer.Option(..., "--reason"),
                duration: str | None = typer.Option(None, "--duration", help="'24h', '7d'; none for no expiry"),
                rate_limit: int | None = typer.Option(None, "--rate-limit", help="requests a minute, for restrict"),
                database_url: str | None = DB_OPT) -> None:
    """A person's direct action on a subject: it takes effect at once."""
    try:
        period = parse_duration(duration)
    except ValueError as exc:
        fail(str(exc))
    restrictions = {"rate_limit_per_minute": rate_limit} if rate_limit is not None else {}
    a = _run(services(database_url).ledger.act, _subject(subject), kind, actor, reason, period, restrictions)
    console.print(f"action {a['id']}: {a['kind']} {a['status']}" + (f" until {a['expires_at']}" if a["expires_at"] else ""))


@subjects.command("reinstate")
def subject_reinstate(subject: str, actor: str = ACTOR, reason: str = typer.Option(..., "--reason"), database_url: str | None = DB_OPT) -> None:
    """Lift every action in force or pending on a subject."""
    r = _run(services(database_url).ledger.reinstate, _subject(subject), actor, reason)
    console.print(f"reinstated {subject}; lifted actions {r['lifted']}")


# ---- actions --------------------------------------------------------------------------


@actions.command("list")
def actions_list(status: str = typer.Option("pending", help="pending, active, lifted, rejected or all"),
                 database_url: str | None = DB_OPT, as_json: bool = typer.Option(False, "--json")) -> None:
    """Actions by status; by default those awaiting a person's approval."""
    if status not in ("pending", "active", "lifted", "rejected", "all"):
        fail("--status must be pending, active, lifted, rejected or all")
    rows = services(database_url).ledger.actions(None if status == "all" else status, 1000)
    if as_json:
        print_json(rows)
        return
    t = Table("id", "subject", "kind", "status", "reason", "created")
    for a in rows:
        t.add_row(str(a["id"]), a["subject"], a["kind"] + (" (interim)" if a["interim"] else ""), a["status"], a["reason"], a["created_at"][:19])
    console.print(t)


def _decide(verb: str):
    def command(action_id: int, actor: str = ACTOR, reason: str = REASON, database_url: str | None = DB_OPT) -> None:
        a = _run(getattr(services(database_url).ledger, verb), action_id, actor, reason)
        console.print(f"action {a['id']} ({a['kind']}): {a['status']}" + (f" until {a['expires_at']}" if a["expires_at"] else ""))

    command.__doc__ = {
        "approve": "Approve a pending action: it takes effect now.",
        "reject": "Reject a pending action: it never takes effect.",
        "confirm": "Keep an interim suspension after review.",
        "lift": "Lift an action in force.",
    }[verb]
    return command


for _verb in ("approve", "reject", "confirm", "lift"):
    actions.command(_verb)(_decide(_verb))


@actions.command("overturn")
def overturn(violation_id: int, actor: str = ACTOR, reason: str = typer.Option(..., "--reason"), database_url: str | None = DB_OPT) -> None:
    """Void a mistaken violation's strike and lift the actions it triggered."""
    r = _run(services(database_url).ledger.overturn, violation_id, actor, reason)
    console.print(f"violation {violation_id} overturned; lifted actions {r['lifted']}; active points now {r['active_points']:g}")


# ---- audit ----------------------------------------------------------------------------


@audit.command("verify")
def audit_verify(database_url: str | None = DB_OPT) -> None:
    """Check the hash chain of the whole log. Exit code 1 when any entry was changed, removed or inserted."""
    sv = services(database_url)
    with sv.ledger.read() as s:
        r = audit_log.verify(s)
    if r.ok:
        console.print(f"audit log intact: {r.entries} entries, head {r.head}")
        return
    fail(f"audit log broken at entry {r.first_bad_id}: {r.problem}", 1)


@audit.command("head")
def audit_head(database_url: str | None = DB_OPT) -> None:
    """Print the hash of the newest entry: keep it elsewhere to detect truncation later."""
    with services(database_url).ledger.read() as s:
        typer.echo(audit_log.verify(s).head)


@audit.command("list")
def audit_list(subject: str | None = typer.Option(None, "--subject"), limit: int = typer.Option(50, min=1, max=1000),
               database_url: str | None = DB_OPT, as_json: bool = typer.Option(False, "--json")) -> None:
    """The newest entries, optionally for one subject."""
    with services(database_url).ledger.read() as s:
        rows = audit_log.entries(s, subject, limit)
    if as_json:
        print_json(rows)
        return
    t = Table("id", "at", "actor", "event", "subject")
    for r in rows:
        t.add_row(str(r["id"]), r["at"][:19], r["actor"], r["event"], r["subject"] or "")
    console.print(t)


# ---- retention, keys, projects, configuration -----------------------------------------


def purge(database_url: str | None = DB_OPT) -> None:
    """Delete evidence past its retention period (unless on legal hold), old idempotency keys
    and old finished webhook deliveries. Run it daily, e.g. from cron."""
    from ..review.retention import purge_public_text
    from ..store.db import sessions
    from ..store.types import utcnow

    sv = services(database_url)
    counts = sv.ledger.purge()
    counts |= purge_public_text(sessions(sv.url, write=True), utcnow(), sv.enforcement_config.retention_period)
    console.print("purged: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))


@evidence.command("rotate")
def evidence_rotate(actor: str = typer.Option("person:operator", "--actor"), database_url: str | None = DB_OPT) -> None:
    """Re-encrypt stored evidence under the first of POLICYWARDEN_EVIDENCE_KEYS; afterwards the
    older keys can be removed."""
    from ..webhooks.subscriptions import SubscriptionStore

    sv = services(database_url)
    n = _run(sv.ledger.rotate_evidence, actor)
    hooks = _run(SubscriptionStore.from_services(sv).reencrypt)
    console.print(f"re-encrypted {n} evidence records and the secrets of {hooks} webhooks")


@evidence.command("new-key")
def evidence_new_key() -> None:
    """Print a new evidence key (put it first in POLICYWARDEN_EVIDENCE_KEYS)."""
    from ..privacy import new_key

    typer.echo(new_key())


@projects.command("create")
def project_create(name: str, org: str = typer.Option(..., "--org", help="The organisation (created if new)."),
                   database_url: str | None = DB_OPT) -> None:
    """Create a project (and its organisation if new)."""
    p = _run(services(database_url).tenants.create_project, org, name)
    console.print(f"created project {p.id} ({p.organisation}/{p.name})")


@projects.command("list")
def project_list(database_url: str | None = DB_OPT) -> None:
    """List projects."""
    for p in services(database_url).tenants.projects():
        console.print(f"{p.id}\t{p.organisation}/{p.name}", highlight=False)


@enforcement.command("show")
def enforcement_show(config: str | None = typer.Option(None, "--config", help="A YAML file; default: POLICYWARDEN_ENFORCEMENT_CONFIG.")) -> None:
    """Print the enforcement configuration in force (defaults filled in) as JSON."""
    from ..enforce.config import EnforcementConfigError, load_enforcement_config
    from ..settings import get_settings

    try:
        cfg = load_enforcement_config(config or get_settings().enforcement_config)
    except EnforcementConfigError as exc:
        fail(str(exc))
    print_json(cfg.model_dump(mode="json"))
