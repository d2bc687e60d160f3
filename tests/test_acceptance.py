"""The shipped model against the policy's acceptance examples (never trained on).

Floors sit just below what the shipped model measures (benchmarks/RESULTS.md), so a model
that gets worse fails here; raise them as the model improves.
"""

from __future__ import annotations


def test_every_category_has_a_trained_head(warden, policy):
    missing = [c.id for c in policy.categories if c.id not in warden.model.heads]
    assert not missing, f"categories the shipped model cannot score: {missing}"


def test_acceptance_floors(warden, policy):
    flag = [t for c in policy.categories for t in c.examples.flag]
    allow = [t for c in policy.categories for t in c.examples.allow]
    recall = sum(v.flagged for v in warden.moderate(flag)) / len(flag)
    false_pos = sum(v.flagged for v in warden.moderate(allow)) / len(allow)
    assert recall >= 0.88, f"recall on flag examples {recall:.3f}"
    assert false_pos <= 0.09, f"false-positive rate on look-alikes {false_pos:.3f}"
