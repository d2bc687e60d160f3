"""The built-in policy file: every bullet of the policy text is a category with its acceptance examples."""

from __future__ import annotations

import re

import pytest

from conftest import SHARED
from policywarden.policy import OPENAI_CATEGORIES, Action, Severity, builtin_policies, load_policy

POLICY_TEXT = SHARED / "policy" / "usage-policies-2025-10-29.md"


def _bullets(md: str) -> list[str]:
    """The policy text's bullets (top-level principles excluded), in order, plain text."""
    out = []
    for line in md.splitlines():
        m = re.match(r"^( {4,})\* (.+?)\s*$", line)
        if m:
            out.append(m.group(2).strip())
    return out


def _plain(s: str) -> str:
    return s.replace("’", "'").replace("“", '"').replace("”", '"').strip().lower()


def test_builtin_policy_is_listed():
    assert builtin_policies()["openai-usage"] == ["2025-10-29"]


def test_every_bullet_is_a_category(policy):
    md = POLICY_TEXT.read_text(encoding="utf-8")
    bullets = [b for b in _bullets(md) if not b.startswith("**")]
    wordings = [_plain(c.wording) for c in policy.categories]
    groups = [_plain(g.wording) for s in policy.sections for g in s.groups]
    missing = [b for b in bullets if _plain(b) not in wordings and _plain(b) not in groups]
    assert not missing, f"policy bullets without a category: {missing}"
    # 12 + 6 + 8 + 3 + 13, plus the privacy section's general rule
    assert len(bullets) == 12 + 6 + 8 + 4 + 13
    assert len(policy.categories) == 43


def test_sections_and_named_items(policy):
    assert [s.id for s in policy.sections] == ["protect", "privacy", "minors", "empower"]
    privacy = policy.sections[1]
    assert privacy.categories[0].id == "privacy.compromise"
    assert len(privacy.categories) == 7
    assert len(policy.sections[2].categories) == 8
    high_stakes = [c for c in policy.categories if c.group == "empower.high_stakes"]
    assert len(high_stakes) == 13


def test_category_fields(policy):
    for c in policy.categories:
        assert len(c.examples.flag) >= 5, c.id
        assert len(c.examples.allow) >= 5, c.id
        assert set(c.openai) <= set(OPENAI_CATEGORIES)
        assert isinstance(c.severity, Severity) and isinstance(c.action, Action)
        assert c.applies_to and set(c.applies_to) <= {"input", "output"}
        assert c.definition


def test_examples_are_unique_across_the_policy(policy):
    texts = [t for c in policy.categories for t in (*c.examples.flag, *c.examples.allow)]
    assert len(texts) == len(set(texts))


def test_child_safety_is_critical_and_reported(policy):
    csam = policy.category("minors.csam")
    assert csam.severity is Severity.critical
    assert csam.action is Action.escalate
    assert "ncmec" in csam.reporting
    assert "sexual/minors" in csam.openai


def test_changelog_is_the_revision_history(policy):
    md = POLICY_TEXT.read_text(encoding="utf-8")
    dates = re.findall(r"^\* (\d{4}-\d{2}-\d{2}):", md, re.M)
    assert [e.date for e in policy.changelog] == dates
    assert policy.revision == "2025-10-29"


def test_unknown_revision_is_a_clear_error():
    from policywarden.policy import PolicyError

    with pytest.raises(PolicyError, match="built-in revisions: 2025-10-29"):
        load_policy("openai-usage@1999-01-01")
