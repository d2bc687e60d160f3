"""The guard proxy: an OpenAI-compatible /v1/chat/completions in front of any upstream.

Prompts are scored before they are forwarded; answers are scored before (buffered streaming,
non-streaming) or while (low-latency streaming) they reach the client. See docs/proxy.md.

Modules:
- `config`: the upstream from settings and per-project upstreams from a file;
- `screen`: what is scored (a request's texts, an answer's tracks) and who the end user is;
- `guard`: the classifier and the ledger behind timeouts and the fail policy;
- `restrictions`: what a restricted subject may still do;
- `upstream`: forwarding with one pooled client, headers, timeouts, cancellation on disconnect,
  and what upstream failures become;
- `sse` and `stream`: reading server-sent events in bounded memory, and moderating them in
  windows as they flow;
- `answers`: an answer screened whole, or handed to the stream moderator;
- `replies`: the answers the proxy writes itself (refusals, errors, stream endings);
- `routes`: the FastAPI router; `lifecycle`: start and stop with the application.
"""
