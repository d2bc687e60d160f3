"""An answer judged with the prompt it replies to: pure logic, no I/O.

Alone, "Sure. Step 1: fill the pipe ..." or "Absolutely, and here's a second one" may read as
harmless; as the reply to a violating request it carries the request out. A refusal repeats
the request's words without violating. So an answer that complies (the compliance model's
verdict) also takes the prompt's score on each head where the answer itself gives at least
some support (`support` times the head's threshold; 0 takes the prompt's scores as they are).
"""

from __future__ import annotations

CONTEXT_SOURCE = "context"


def in_context(
    answer: dict[str, float],
    sources: dict[str, str],
    prompt: dict[str, float],
    complies: bool,
    thresholds: dict[str, float],
    support: float = 0.0,
) -> tuple[dict[str, float], dict[str, str]]:
    """The answer's head scores and their sources, with the prompt's where it carries it out."""
    if not complies:
        return answer, sources
    scores, origin = dict(answer), dict(sources)
    for head, p in prompt.items():
        own = answer.get(head, 0.0)
        if p > own and own >= support * thresholds.get(head, 0.5):
            scores[head] = p
            origin[head] = CONTEXT_SOURCE
    return scores, origin
