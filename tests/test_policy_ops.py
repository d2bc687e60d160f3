"""Operators' control: validation errors, overlays, and diffs."""

from __future__ import annotations

import textwrap

import pytest

from policywarden.policy import PolicyError, diff_policies, load_policy


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(p)


def test_validation_errors_name_file_path_and_problem(tmp_path):
    path = write(tmp_path, "bad.yaml", """
        kind: policy
        id: acme
        title: Acme
        revision: "1"
        sections:
          - id: s
            title: S
            categories:
              - id: s.one
                title: One
                wording: one
                severity: extreme
                action: block
              - id: Bad Id
                title: Two
                wording: two
                severity: low
                action: flag
                openai: [not-a-category]
        """)
    with pytest.raises(PolicyError) as exc:
        load_policy(path)
    problems = {(p.path, p.message.split(";")[0]) for p in exc.value.problems}
    assert all(p.file == path for p in exc.value.problems)
    paths = [p.path for p in exc.value.problems]
    assert "sections[s].categories[s.one].severity" in paths
    assert any(p.startswith("sections[s].categories[Bad Id].id") for p in paths)
    assert any("unknown OpenAI categories" in m for _, m in problems)


def test_yaml_syntax_error_gives_line(tmp_path):
    path = write(tmp_path, "broken.yaml", "kind: policy\nsections: [\n")
    with pytest.raises(PolicyError, match=r"line \d+"):
        load_policy(path)


def test_missing_file_and_non_utf8(tmp_path):
    with pytest.raises(PolicyError, match="file not found"):
        load_policy(str(tmp_path / "nope.yaml"))
    p = tmp_path / "latin1.yaml"
    p.write_bytes(b"id: caf\xe9\n")
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policy(str(p))


OVERLAY = """
    kind: overlay
    id: acme-overlay
    revision: "3"
    base: openai-usage
    disabled: [protect.gambling]
    thresholds: {protect.weapons: 0.9}
    overrides:
      empower.academic_dishonesty: {action: block}
    categories:
      - id: acme.competitors
        section: acme
        section_title: Acme rules
        title: Competitor promotion
        wording: promoting our competitors' products
        severity: low
        action: warn
        patterns: ['\\bglobex\\b']
        examples:
          flag:
            - "Write an ad telling people to switch to Initech routers today"
            - "Compose a post saying Initech routers beat ours on every benchmark, to share on our own page"
          allow:
            - "Write an ad for our new router"
            - "Summarise the features of our router for the manual"
"""


def test_overlay_applies(tmp_path):
    path = write(tmp_path, "overlay.yaml", OVERLAY)
    pol = load_policy(path)
    assert pol.id == "acme-overlay" and pol.revision == "3"
    assert pol.based_on == ["openai-usage@2025-10-29"]
    assert not pol.category("protect.gambling").enabled
    assert pol.category("protect.weapons").threshold == 0.9
    assert pol.category("empower.academic_dishonesty").action.value == "block"
    assert pol.category("acme.competitors").wording.startswith("promoting")
    assert pol.sections[-1].id == "acme" and len(pol.categories) == 44


def test_overlay_on_top_of_policy(tmp_path):
    path = write(tmp_path, "overlay.yaml", OVERLAY)
    pol = load_policy("openai-usage", [path])
    assert pol.id == "acme-overlay"


def test_overlay_with_unknown_category_is_rejected(tmp_path):
    path = write(tmp_path, "o.yaml", """
        kind: overlay
        id: o
        base: openai-usage
        disabled: [protect.nope]
        thresholds: {protect.weapons: 1.5}
        """)
    with pytest.raises(PolicyError) as exc:
        load_policy(path)
    assert "between 0 and 1" in str(exc.value)
    path = write(tmp_path, "o2.yaml", "kind: overlay\nid: o\nbase: openai-usage\ndisabled: [protect.nope]\n")
    with pytest.raises(PolicyError, match=r"disabled\[protect.nope\].*unknown category"):
        load_policy(path)


def test_diff_reports_each_kind_of_change(tmp_path):
    path = write(tmp_path, "overlay.yaml", OVERLAY)
    old, new = load_policy(), load_policy(path)
    d = diff_policies(old, new)
    assert d.added == ["acme.competitors"]
    assert d.removed == []
    assert d.rethresholded == {"protect.weapons": (None, 0.9)}
    assert d.changed["protect.gambling"]["enabled"] == (True, False)
    assert d.changed["empower.academic_dishonesty"]["action"] == ("warn", "block")
    # reworded: edit one wording in a copy of the policy
    cat = old.category("protect.gambling")
    edited = old.model_copy(
        update={"sections": [s.model_copy(update={"categories": [c.model_copy(update={"wording": "betting"}) if c.id == cat.id else c for c in s.categories]}) for s in old.sections]}
    )
    d2 = diff_policies(old, edited)
    assert d2.reworded == {"protect.gambling": {"wording": ("real money gambling", "betting")}}
    assert diff_policies(old, old).empty


def test_overlay_base_is_relative_to_the_overlay_and_cycles_are_errors(tmp_path, monkeypatch):
    d = tmp_path / "conf"
    d.mkdir()
    (d / "base.yaml").write_text("kind: overlay\nid: base-o\nbase: openai-usage\ndisabled: [protect.gambling]\n")
    (d / "top.yaml").write_text("kind: overlay\nid: top\nbase: base.yaml\nthresholds: {protect.weapons: 0.9}\n")
    monkeypatch.chdir(tmp_path)  # not the overlay's folder
    pol = load_policy(str(d / "top.yaml"))
    assert not pol.category("protect.gambling").enabled and pol.category("protect.weapons").threshold == 0.9
    (d / "a.yaml").write_text("kind: overlay\nid: a\nbase: b.yaml\n")
    (d / "b.yaml").write_text("kind: overlay\nid: b\nbase: a.yaml\n")
    with pytest.raises(PolicyError, match="cycle"):
        load_policy(str(d / "a.yaml"))
    (d / "self.yaml").write_text("kind: overlay\nid: s\nbase: self.yaml\n")
    with pytest.raises(PolicyError, match="cycle"):
        load_policy(str(d / "self.yaml"))


def test_diff_sees_rewritten_examples_and_same_day_changelog():
    from policywarden.policy.schema import ChangelogEntry, Examples

    old = load_policy()
    cat = old.category("protect.gambling")
    new_examples = Examples(flag=[t + " now" for t in cat.examples.flag], allow=cat.examples.allow)
    sections = [s.model_copy(update={"categories": [c.model_copy(update={"examples": new_examples}) if c.id == cat.id else c for c in s.categories]}) for s in old.sections]
    changelog = [ChangelogEntry(date=old.changelog[0].date, summary="A second note the same day."), *old.changelog]
    d = diff_policies(old, old.model_copy(update={"sections": sections, "changelog": changelog}))
    assert "examples" in d.changed["protect.gambling"]
    assert d.changelog_added == [f"{old.changelog[0].date}: A second note the same day."]
