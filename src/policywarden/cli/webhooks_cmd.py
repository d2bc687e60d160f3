"""`policywarden webhooks ...`: subscribe receivers to enforcement events, rotate their
signing secrets, and run the delivery worker in the foreground."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta

import typer

from ..enforce.config import parse_duration
from ..webhooks.outbox import EVENT_TYPES
from ..webhooks.subscriptions import MAX_ID, Subscription, SubscriptionError, SubscriptionStore
from .common import console, fail, print_json
from .services_opt import DB_OPT, services

app = typer.Typer(help="Signed webhooks for enforcement events (a secret is shown once).", no_args_is_help=True)
JSON_OPT = typer.Option(False, "--json", help="Print JSON.")
ID_ARG = typer.Argument(..., min=1, max=MAX_ID, help="The webhook's id (see `policywarden webhooks list`).")


def _store(database_url: str | None) -> SubscriptionStore:
    return SubscriptionStore.from_services(services(database_url))


def _line(sub: Subscription) -> str:
    state = "active" if sub.active else f"disabled ({sub.disabled_reason})"
    scope = f"project {sub.project_id}" if sub.project_id else "all projects"
    rotating = f"\tprevious secret until {sub.previous_secret_expires_at:%Y-%m-%d %H:%M}Z" if sub.previous_secret_expires_at else ""
    return f"{sub.id}\t{sub.url}\t{','.join(sub.events)}\t{scope}\t{state}{rotating}"


def _overlap(text: str) -> timedelta:
    if text.strip() in ("0", "0s", "0m", "0h", "0d"):
        return timedelta(0)
    try:
        return parse_duration(text)
    except ValueError as exc:
        fail(f"--overlap: {exc}")


@app.command()
def add(
    url: str = typer.Argument(..., help="The receiver: an http(s) URL without credentials."),
    events: list[str] = typer.Option([], "--events", "-e", help=f"Event types (repeatable or comma-separated), or '*' for all: {', '.join(EVENT_TYPES)}."),
    project: int | None = typer.Option(None, "--project", min=1, max=MAX_ID, help="Only this project's events (default: every project)."),
    description: str | None = typer.Option(None, "--description", help="A note for operators."),
    database_url: str | None = DB_OPT,
) -> None:
    """Subscribe a URL and print its signing secret once."""
    chosen = [e for item in events for e in item.split(",")] or ["*"]
    try:
        secret, sub = _store(database_url).create(url, chosen, project, description)
    except SubscriptionError as exc:
        fail(str(exc))
    console.print(f"created webhook {sub.id} for {','.join(sub.events)}; its signing secret, shown once:", highlight=False)
    typer.echo(secret)


@app.command("list")
def list_(as_json: bool = JSON_OPT, database_url: str | None = DB_OPT) -> None:
    """List subscriptions (never their secrets)."""
    subs = _store(database_url).list()
    if as_json:
        print_json([s.to_dict() for s in subs])
        return
    for sub in subs:
        console.print(_line(sub), highlight=False)


@app.command()
def remove(webhook_id: int = ID_ARG, database_url: str | None = DB_OPT) -> None:
    """Delete a subscription with its queued and past deliveries."""
    try:
        _store(database_url).delete(webhook_id)
    except SubscriptionError as exc:
        fail(str(exc))
    console.print(f"removed webhook {webhook_id}")


@app.command()
def disable(
    webhook_id: int = ID_ARG,
    reason: str = typer.Option("disabled by an operator", "--reason"),
    database_url: str | None = DB_OPT,
) -> None:
    """Stop sending to a subscription; what is queued waits for `enable`."""
    try:
        _store(database_url).disable(webhook_id, reason)
    except SubscriptionError as exc:
        fail(str(exc))
    console.print(f"disabled webhook {webhook_id}")


@app.command()
def enable(webhook_id: int = ID_ARG, database_url: str | None = DB_OPT) -> None:
    """Resume a subscription (e.g. after its receiver answered 410 Gone), queued deliveries first."""
    try:
        _store(database_url).enable(webhook_id)
    except SubscriptionError as exc:
        fail(str(exc))
    console.print(f"enabled webhook {webhook_id}")


@app.command("rotate-secret")
def rotate_secret(
    webhook_id: int = ID_ARG,
    overlap: str = typer.Option("24h", "--overlap", help="How long the old secret keeps signing too: '1h', '24h', '7d', or 0."),
    database_url: str | None = DB_OPT,
) -> None:
    """Print a new signing secret once; the old one also signs until the overlap ends."""
    period = _overlap(overlap)
    try:
        secret, sub = _store(database_url).rotate(webhook_id, period)
    except SubscriptionError as exc:
        fail(str(exc))
    until = f"until {sub.previous_secret_expires_at:%Y-%m-%d %H:%M}Z" if sub.previous_secret_expires_at else "no more"
    console.print(f"new secret for webhook {webhook_id}; the previous one signs too {until}. Shown once:", highlight=False)
    typer.echo(secret)


@app.command("test")
def send_test(webhook_id: int = ID_ARG, database_url: str | None = DB_OPT) -> None:
    """Queue a `webhook.test` event for this subscription alone."""
    try:
        event_id = _store(database_url).send_test(webhook_id)
    except SubscriptionError as exc:
        fail(str(exc))
    console.print(f"queued {event_id}; the worker sends it (or run `policywarden webhooks deliver`)", highlight=False)


@app.command()
def deliveries(
    webhook_id: int = ID_ARG,
    limit: int = typer.Option(20, "--limit", min=1, max=1000),
    as_json: bool = JSON_OPT,
    database_url: str | None = DB_OPT,
) -> None:
    """Recent deliveries to a subscription, newest first: status, attempts, last answer."""
    try:
        rows = _store(database_url).deliveries(webhook_id, limit)
    except SubscriptionError as exc:
        fail(str(exc))
    if as_json:
        print_json([d.to_dict() for d in rows])
        return
    for d in rows:
        last = d.last_status if d.last_status is not None else (d.last_error or "-")
        console.print(f"{d.id}\t{d.event_id}\t{d.event_type}\t{d.status}\tattempts={d.attempts}\tlast={last}", highlight=False)


@app.command()
def deliver(
    once: bool = typer.Option(False, "--once", help="Send what is due now, then exit (the default)."),
    loop: bool = typer.Option(False, "--loop", help="Keep delivering until interrupted."),
    batch: int = typer.Option(50, "--batch", min=1, max=1000, help="Deliveries claimed at a time."),
    poll: float = typer.Option(2.0, "--poll", min=0.05, help="Seconds between looks when idle (--loop)."),
    database_url: str | None = DB_OPT,
) -> None:
    """Run the delivery worker in the foreground."""
    from ..webhooks.delivery import DeliveryWorker

    if once and loop:
        fail("choose --once or --loop, not both")
    worker = DeliveryWorker.from_services(services(database_url), batch=batch)
    _log_to_stderr()
    if loop:
        asyncio.run(_forever(worker, poll))
        return
    r = asyncio.run(worker.drain())
    console.print(f"delivered {r.delivered}, retrying {r.retrying}, failed {r.failed}, disabled {r.disabled}", highlight=False)


def _log_to_stderr() -> None:
    # The worker's own lines only: they name ids, status codes and error types, never content.
    log = logging.getLogger("policywarden.webhooks")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)


async def _forever(worker, poll: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    console.print("delivering webhooks; Ctrl-C to stop")
    await worker.run_forever(stop, poll)


if __name__ == "__main__":
    app()
