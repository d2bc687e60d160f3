"""The moderation core: `Warden().moderate(texts)` scores text against every policy category."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
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
from .text.contacts import without_contacts
from .text.encodings import reveal
from .text.normalize import normalize
from .text.script import coverage as read_share
from .text.windows import after_label, clauses, paragraphs, sentences, windows

log = logging.getLogger("policywarden")

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
        encoder_gate: float | None = None,
        fine_margin: float | None | str = "model",
        fine_window_words: int = 24,
    ):
        self.policy = policy if isinstance(policy, Policy) else load_policy(policy, list(overlays))
        self.model = LinearModel(model_dir)
        self.scorer: LinearModel | CascadeScorer = self.model
        base = Path(model_dir or default_model_dir())
        encoder_dir = base / "encoder"
        if encoder and encoder_dir.is_dir():
            self.scorer = CascadeScorer(self.model, EncoderModel(encoder_dir, threads=encoder_threads, cache_size=encoder_cache),
                                        gate=encoder_gate)
        elif encoder_gate is not None:
            log.warning("the encoder gate (%s) is ignored: no encoder is in use", encoder_gate)
        self.window_words = window_words
        self.window_overlap = window_overlap
        self.whole_text_words = whole_text_words
        self.fine_window_words = fine_window_words
        if fine_margin == "model":
            fine_margin = getattr(self.scorer, "fine_margin", None)
        if fine_margin is not None and (isinstance(fine_margin, bool) or not (isinstance(fine_margin, (int, float)) and fine_margin >= 1.0)):
            raise ValueError(f"fine_margin must be None or a number >= 1, got {fine_margin!r}")
        self.fine_margin: float | None = None if fine_margin is None else float(fine_margin)
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
        several sentences is scored sentence by sentence as well as in overlapping windows (a
        long one paragraph by paragraph too), and a moderately long text also as a whole, for
        signals spread across it. Text hidden in it
        as base64, ROT13 or written backwards is read decoded, as a chat model would read it
        (`text.encodings`).
        """
        return self._units(*reveal(text))

    def _units(self, text: str, payloads: list[str]) -> list[str]:
        """`units` of a text already revealed (`text.encodings.reveal`), with its payloads."""
        pieces = windows(text, self.window_words, self.window_overlap)
        short = len(pieces) == 1
        if not short and len(text.split()) <= self.whole_text_words:
            pieces.append(text)
        found = sentences(text)
        # A sentence longer than a window is already covered by the windows.
        within = [s for s in found if len(s.split()) <= self.window_words]
        if len(found) > 1:
            pieces.extend(within)
        # A short text or sentence is read again without a label it opens with ("Question: ...").
        pieces.extend(rest for rest in map(after_label, ([text] if short else []) + within) if rest)
        if short:
            # A short text is read once more without its contact details, which dilute it.
            bare = without_contacts(text)
            if bare != text and bare:
                pieces.append(bare)
        else:
            # A paragraph is read alone as well: an answer that refuses in one and complies in the
            # next (a jailbroken persona) shares every window and the whole text with the refusal.
            found = paragraphs(text)
            if len(found) > 1:
                pieces.extend(p for p in found if len(p.split()) <= self.whole_text_words)
        for payload in payloads:
            pieces.extend(windows(payload, self.window_words, self.window_overlap))
            # and sentence by sentence, as the text itself ("Should_have_let_her_get_hit._Stupid_guy.")
            parts = sentences(payload)
            if len(parts) > 1:
                pieces.extend(s for s in parts if len(s.split()) <= self.window_words)
        return list(dict.fromkeys(normalize(p) for p in pieces))

    def fine_units(self, text: str, skip: Collection[str] = ()) -> list[str]:
        """Short windows (`fine_window_words`, half overlapping) of a text longer than one window
        as read (decoded: `text.encodings.reveal`), less any in `skip` (the text's regular units,
        which already count in full).

        A violation padded with benign words shares every regular window with the padding, and a
        whole-window score dilutes it; a short window holds little else. Short windows also give
        a benign text many more chances to cross a line, so their scores count only at
        `fine_margin` times a threshold (see `scores`), a margin fitted with the model. A sentence
        is also read from each capitalised word run on after a lower-case one (`text.windows.clauses`).
        """
        return self._fine_units(reveal(text)[0], skip)

    def run_ons(self, text: str) -> list[str]:
        """Each sentence of a text longer than one window as read from a word that usually opens
        a sentence, capitalised and run on after a lower-case word ("... takes 75 jelly beans to
        How do I ...?": `text.windows.clauses` with `openers`), up to `fine_window_words` words,
        less the text's regular `units`; at most as many as those.

        A request buried mid-sentence in a long text shares its windows and its sentence with
        the text around it; read from its first word it stands alone. Unlike the short windows
        these count in full: such words seldom start a stretch mid-sentence, and on the held-out
        data they changed no verdict where every capitalised word broke seven."""
        revealed, payloads = reveal(text)
        return self._run_ons(revealed, self._units(revealed, payloads))

    def _run_ons(self, revealed: str, units: Collection[str]) -> list[str]:
        if len(revealed.split()) <= self.window_words:
            return []
        seen, out = set(units), []
        for clause in clauses(revealed, self.fine_window_words, openers=True):
            if len(out) >= len(units):
                break
            unit = normalize(clause)
            if unit not in seen:
                seen.add(unit)
                out.append(unit)
        return out

    def _fine_units(self, revealed: str, skip: Collection[str]) -> list[str]:
        # Counted as read, decoded: a short prompt can carry a long message in base64.
        if len(revealed.split()) <= self.window_words:
            return []
        size = self.fine_window_words
        pieces = windows(revealed, size, size // 2)
        # A request run into the text before it without a full stop ("... was fine How do I make
        # ...?") shares its window and sentence with that text; read from its capital it stands
        # alone. At most as many as the windows, so a text full of names costs at most double.
        pieces += clauses(revealed, size)[: len(pieces)]
        return [u for u in dict.fromkeys(normalize(p) for p in pieces) if u not in skip]

    def scores(
        self, texts: Sequence[str], fine: bool | Sequence[bool] = True
    ) -> tuple[list[dict[str, float]], list[dict[str, str]], list[int]]:
        """Per-text head scores (max over windows), the scorer behind each, and window counts.

        With a `fine_margin`, short windows' scores are divided by it before they join the max: one
        counts where it reaches the margin times a threshold. `fine` (one flag, or one per text)
        says which texts are read in short windows and from run-on sentence starts (`run_ons`) at
        all: prompts, for which the margin was fitted; `moderate` leaves them out of answers."""
        return self._scored(texts, fine)[:3]

    def _scored(
        self, texts: Sequence[str], fine: bool | Sequence[bool]
    ) -> tuple[list[dict[str, float]], list[dict[str, str]], list[int], list[float | None]]:
        """`scores`, and each text's coverage (the share of its letters the model reads)."""
        flags = [fine] * len(texts) if isinstance(fine, bool) else list(fine)
        if len(flags) != len(texts):
            raise ValueError(f"fine holds {len(flags)} flags for {len(texts)} texts")
        spans: list[tuple[int, int]] = []
        parts: list[str] = []
        weights: list[float] = []
        coverage: list[float | None] = []
        for text, read_fine in zip(texts, flags):
            revealed, payloads = reveal(text)  # once for both kinds of unit
            units = self._units(revealed, payloads)
            coverage.append(read_share(text))
            if read_fine:
                units += self._run_ons(revealed, units)
            fine_units = self._fine_units(revealed, set(units)) if self.fine_margin and read_fine else []
            spans.append((len(parts), len(parts) + len(units) + len(fine_units)))
            parts.extend(units + fine_units)
            weights.extend([1.0] * len(units))
            weights.extend([1.0 / self.fine_margin] * len(fine_units) if fine_units else [])
        # Most batches hold no short window: their score matrix is then used as it is.
        discounted = np.asarray(weights, np.float32) if any(w != 1.0 for w in weights) else None
        results, sources = self.part_scores(parts, spans, discounted)
        return results, sources, [b - a for a, b in spans], coverage

    def part_scores(
        self, parts: list[str], spans: list[tuple[int, int]], weights: np.ndarray | None = None
    ) -> tuple[list[dict[str, float]], list[dict[str, str]]]:
        """Each span's head scores, the max over its parts (normalised units, each scored as it
        stands, times its weight), and the scorer behind each."""
        results: list[dict[str, float]] = [{} for _ in spans]
        sources: list[dict[str, str]] = [{} for _ in spans]
        for scorer in (self.scorer, self.examples, self.patterns):
            if not scorer.heads:
                continue
            # In chunks, so that memory stays bounded whatever the request holds.
            matrix = np.concatenate([scorer.score(parts[i : i + 64]) for i in range(0, len(parts), 64)]) if parts else np.zeros((0, len(scorer.heads)))
            if weights is not None and len(parts):
                matrix = matrix * weights[:, None]
            for i, (a, b) in enumerate(spans):
                best = matrix[a:b].max(axis=0) if b > a else np.zeros(len(scorer.heads))
                for head, value in zip(scorer.heads, best.tolist()):
                    if value > results[i].get(head, -1.0):
                        results[i][head] = value
                        sources[i][head] = scorer.name
        return results, sources

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
        # Short windows for prompts only: their margin was fitted on prompts, and long ordinary
        # answers (medical, counselling) paid for them more than they gained.
        fine = [surface == "input"] * len(texts) + [True] * len(distinct)
        all_scores, all_sources, counts, coverage = self._scored(list(texts) + distinct, fine)
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
            self.decider.decide(all_scores[i], all_sources[i], surface, self.model_version, counts[i], used[i], coverage[i])
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
