"""What a restricted subject may still do through the proxy: a rate limit, and features
withheld ('tools', 'images', 'streaming'), from the restriction in force."""

from __future__ import annotations

from ..enforce.standing import Standing
from .screen import Prompt


def withheld_feature(standing: Standing, prompt: Prompt, stream: bool) -> str | None:
    """The first feature this request uses that the restriction withholds."""
    blocked = set(standing.restrictions.get("blocked_features") or ())
    used = {"tools": prompt.uses_tools, "images": "image_url" in prompt.non_text, "streaming": stream}
    return next((name for name, on in used.items() if on and name in blocked), None)
