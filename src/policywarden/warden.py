"""The moderation core: `Warden().moderate(texts)` scores text against every policy category."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .classify.cascade import CascadeScorer
from .classify.compliance import ComplianceModel
from .classify.embedded import LinearModel, default_model_dir
from .classify.encoder import EncoderModel
from .classify.patterns import ExampleScorer, PatternScorer
from .context import in_context
from .decide import Decider, Verdict
from .policy import DEFAULT_POLICY, Policy, load_policy
from .text.normalize import normalize
from .text.windows import sentences, windows

SURFACES = ("input", "output")


class Warden:
    """Scores texts against a policy with the embedded model, the policy's patterns and,
    for categories the model does not know, the categories' own examples.

    The embedded model is two stages when the model directory holds an encoder (the shipped
    one does): the n-gram model clears plainly benign text and the fine-tuned encoder reads the
    rest. `encoder=False` keeps the n-gram model alone: several times faster, less accurate.

    Thread-safe for concurrent `moderate` calls: all state is read-only after construction.
    """

    def __init__(
        self,
        policy: Policy | str = DEFAULT_POLICY,
        overlays: Sequence[str] = (),
        model_dir: str | Path | None = None,
        window_words: int = 48,
        window_overlap: int = 16,
        whole_text_words: int = 256,
        encoder: bool = True,
        encoder_threads: int | None = None,
        encoder_cache: int = 4096,
    ):
        self.policy = policy if isinstance(policy, Policy) else load_policy(policy, list(overlays))
        self.model = LinearModel(model_dir)
        self.scorer: LinearModel | CascadeScorer = self.model
        base = Path(model_dir or default_model_dir())
        encoder_dir = base / "encoder"
        if encoder and encoder_dir.is_dir():
            self.scorer = CascadeScorer(self.model, EncoderModel(encoder_dir, threads=encoder_threads, cache_size=encoder_cache))
        self.window_words = window_words
        self.window_overlap = window_overlap
        self.whole_text_words = whole_text_words
        cats = self.policy.categories
        self.patterns = PatternScorer(cats)
        known = set(self.model.heads) | set(self.model.meta.get("training", {}).get("skipped_heads", {}))
        self.examples = ExampleScorer([c for c in cats if c.id not in known], self.model.spec, self.model.idf)
        self.thresholds = self.scorer.thresholds()
        self.decider = self.decider_for(self.policy)
        self.compliance = ComplianceModel(base / "context") if (base / "context").is_dir() else None

    def decider_for(self, policy: Policy) -> Decider:
        """Verdicts under another policy (an overlay's thresholds, say) from this Warden's scores."""
        return Decider(policy, self.thresholds, getattr(self.scorer, "unattributed", None))

    @property
    def model_version(self) -> str:
        return self.scorer.version

    def units(self, text: str) -> list[str]:
        """The normalised pieces of one text that are scored; the text's score is their maximum.

        A bag-of-n-grams model dilutes one bad sentence inside a long benign text, so a text of
        several sentences is scored sentence by sentence as well as in overlapping windows, and
        a moderately long text also as a whole, for signals spread across it.
        """
        pieces = windows(text, self.window_words, self.window_overlap)
        if len(pieces) > 1 and len(text.split()) <= self.whole_text_words:
            pieces.append(text)
        found = sentences(text)
        if len(found) > 1:
            # A sentence longer than a window is already covered by the windows.
            pieces.extend(s for s in found if len(s.split()) <= self.window_words)
        return list(dict.fromkeys(normalize(p) for p in pieces))

    def scores(self, texts: Sequence[str]) -> tuple[list[dict[str, float]], list[dict[str, str]], list[int]]:
        """Per-text head scores (max over windows), the scorer behind each, and window counts."""
        spans: list[tuple[int, int]] = []
        parts: list[str] = []
        for text in texts:
            units = self.units(text)
            spans.append((len(parts), len(parts) + len(units)))
            parts.extend(units)
        results: list[dict[str, float]] = [{} for _ in texts]
        sources: list[dict[str, str]] = [{} for _ in texts]
        for scorer in (self.scorer, self.examples, self.patterns):
            if not scorer.heads:
                continue
            # In chunks, so that memory stays bounded whatever the request holds.
            matrix = np.concatenate([scorer.score(parts[i : i + 64]) for i in range(0, len(parts), 64)]) if parts else np.zeros((0, len(scorer.heads)))
            for i, (a, b) in enumerate(spans):
                best = matrix[a:b].max(axis=0) if b > a else np.zeros(len(scorer.heads))
                for head, value in zip(scorer.heads, best.tolist()):
                    if value > results[i].get(head, -1.0):
                        results[i][head] = value
                        sources[i][head] = scorer.name
        return results, sources, [b - a for a, b in spans]

    def moderate(
        self,
        texts: str | Sequence[str],
        surface: str = "input",
        context: str | Sequence[str | None] | None = None,
    ) -> list[Verdict]:
        """One verdict per text. `surface` is "input" (what a user sends) or "output" (a model's answer).

        `context`, for answers only, is the prompt each answer replies to (one string for all, or
        one per text, None where there is none): an answer that carries out a violating request
        is flagged under the request's categories even where its own words look harmless, and a
        refusal is not (see `context.in_context`)."""
        if surface not in SURFACES:
            raise ValueError(f"surface must be one of {SURFACES}, got {surface!r}")
        if isinstance(texts, str):
            texts = [texts]
        if not all(isinstance(t, str) for t in texts):
            raise TypeError("texts must be strings")
        prompts = self._prompts(context, len(texts), surface)
        asked = [i for i, p in enumerate(prompts) if p is not None]
        distinct = list(dict.fromkeys(prompts[i] for i in asked))  # one prompt for many answers is scored once
        all_scores, all_sources, counts = self.scores(list(texts) + distinct)
        used = [False] * len(texts)
        if asked:
            row = {p: len(texts) + k for k, p in enumerate(distinct)}
            complies = self.compliance.score([texts[i] for i in asked]) >= self.compliance.cut
            for k, i in enumerate(asked):
                all_scores[i], all_sources[i] = in_context(
                    all_scores[i], all_sources[i], all_scores[row[prompts[i]]], bool(complies[k]),
                    self.thresholds, self.compliance.support,
                )
                used[i] = True
        return [
            self.decider.decide(all_scores[i], all_sources[i], surface, self.model_version, counts[i], used[i])
            for i in range(len(texts))
        ]

    def _prompts(self, context, n: int, surface: str) -> list[str | None]:
        if context is None:
            return [None] * n
        if surface != "output":
            raise ValueError("context is the prompt an answer replies to: it needs surface='output'")
        if self.compliance is None:
            raise ValueError("this model has no compliance model (model/context/), so answers cannot be judged in context")
        prompts = [context] * n if isinstance(context, str) else list(context)
        if len(prompts) != n:
            raise ValueError(f"context holds {len(prompts)} prompts for {n} texts")
        if not all(p is None or isinstance(p, str) for p in prompts):
            raise TypeError("context must be a string, or a list of strings or None")
        # A blank prompt says nothing about the answer.
        return [p if p is not None and p.strip() else None for p in prompts]

    def check(self, text: str, surface: str = "input", context: str | None = None) -> Verdict:
        return self.moderate([text], surface, None if context is None else [context])[0]
