"""The guard proxy: an OpenAI-compatible /v1/chat/completions in front of any upstream.

Prompts are scored before they are forwarded; answers are scored before (buffered streaming,
non-streaming) or while (low-latency streaming) they reach the client.

Modules: `config` (settings and per-project upstreams), `screen` (what is scored),
`upstream` (forwarding with timeouts and cancellation), `stream` (the SSE moderator),
`guard` (the classifier and the ledger behind the fail policy), `replies` (the answers the
proxy writes itself), `routes` (the FastAPI router) and `lifecycle` (start and stop).
"""
