"""Periodic housekeeping in the server process: purging evidence past its retention. Every
worker runs it; a purge is idempotent, so running it in several places at once is harmless."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

log = logging.getLogger("policywarden.background")


async def _purge_forever(app: FastAPI, every_s: float) -> None:
    await asyncio.sleep(min(60.0, every_s))  # not during start-up
    while True:
        try:
            counts = await asyncio.to_thread(app.state.services.ledger.purge)
            review = getattr(app.state, "review", None)
            if review is not None:  # reporters' and appellants' text in closed cases
                counts |= await asyncio.to_thread(review.purge)
            log.info("retention purge: %s", counts)
        except Exception as exc:  # the database may be down; try again next time
            log.error("retention purge failed: %s", type(exc).__name__)
        await asyncio.sleep(every_s)


def start(app: FastAPI) -> None:
    hours = app.state.settings.purge_every_hours
    app.state.purge_task = asyncio.create_task(_purge_forever(app, hours * 3600)) if hours > 0 else None


async def stop(app: FastAPI) -> None:
    task = getattr(app.state, "purge_task", None)
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
