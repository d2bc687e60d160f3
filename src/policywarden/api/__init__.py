"""HTTP interface: the OpenAI-compatible moderation API and the project's own routes."""
