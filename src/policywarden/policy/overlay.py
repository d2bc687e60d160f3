"""Apply an operator's overlay to a policy: a pure function from (policy, overlay) to a new policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .schema import Category, Overlay, Policy, Section

if TYPE_CHECKING:
    from .loader import Problem


def apply_overlay(policy: Policy, overlay: Overlay, origin: str = "<overlay>") -> Policy:
    from .loader import PolicyError, Problem

    known = {c.id for c in policy.categories}
    problems: list[Problem] = []

    def check(cid: str, path: str) -> None:
        if cid not in known:
            problems.append(Problem(origin, path, f"unknown category {cid!r} (not in {policy.ref})"))

    for cid in overlay.disabled:
        check(cid, f"disabled[{cid}]")
    for cid in overlay.thresholds:
        check(cid, f"thresholds.{cid}")
    for cid in overlay.overrides:
        check(cid, f"overrides.{cid}")
    for added in overlay.categories:
        if added.id in known:
            problems.append(Problem(origin, f"categories[{added.id}]", "already exists in the base policy; use overrides"))
    if problems:
        raise PolicyError(problems)

    def adjusted(cat: Category) -> Category:
        update: dict = {}
        o = overlay.overrides.get(cat.id)
        if o is not None:
            update.update({k: v for k, v in o.model_dump().items() if v is not None})
        if cat.id in overlay.thresholds:
            update["threshold"] = overlay.thresholds[cat.id]
        if cat.id in overlay.disabled:
            update["enabled"] = False
        return cat.model_copy(update=update) if update else cat

    sections = [s.model_copy(update={"categories": [adjusted(c) for c in s.categories]}) for s in policy.sections]
    by_id = {s.id: i for i, s in enumerate(sections)}
    for added in overlay.categories:
        cat = Category.model_validate(added.model_dump(exclude={"section", "section_title"}))
        if added.section in by_id:
            i = by_id[added.section]
            sections[i] = sections[i].model_copy(update={"categories": [*sections[i].categories, cat]})
        else:
            by_id[added.section] = len(sections)
            sections.append(Section(id=added.section, title=added.section_title or added.section, categories=[cat]))

    result = policy.model_copy(
        update={
            "id": overlay.id,
            "revision": overlay.revision,
            "title": overlay.title or f"{policy.title} ({overlay.id})",
            "based_on": [*policy.based_on, policy.ref],
            "sections": sections,
        }
    )
    # Re-validate the whole so duplicate ids or bad groups are caught as for any policy.
    return Policy.model_validate(result.model_dump())
