"""Signed webhooks: an outbox written with each event, and a worker that delivers it."""
