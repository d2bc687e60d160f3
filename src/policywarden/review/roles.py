"""Staff roles and what each one may do. Pure.

A person holds one or more roles. `child_safety` is a reviewer who is also trained and
cleared to see child-safety content; no other role sees it, admins included.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

ROLES = ("admin", "reviewer", "child_safety", "auditor")

ROLE_LABELS = {
    "admin": "Administrator",
    "reviewer": "Reviewer",
    "child_safety": "Child-safety reviewer",
    "auditor": "Auditor (read only)",
}


class Can(str, Enum):
    READ = "read"  # queues, cases (not child-safety ones), accounts, decision log, search
    DECIDE = "decide"  # claim, release and decide cases
    CHILD_SAFETY = "child_safety"  # see and decide child-safety cases
    AUDIT = "audit"  # the audit log
    MANAGE_STAFF = "manage_staff"


_GRANTS: dict[str, frozenset[Can]] = {
    "admin": frozenset({Can.READ, Can.DECIDE, Can.AUDIT, Can.MANAGE_STAFF}),
    "reviewer": frozenset({Can.READ, Can.DECIDE}),
    "child_safety": frozenset({Can.READ, Can.DECIDE, Can.CHILD_SAFETY}),
    "auditor": frozenset({Can.READ, Can.AUDIT}),
}


def normalise_roles(roles: Iterable[str]) -> list[str]:
    """Known roles, deduplicated, in canonical order; raises ValueError on an unknown one."""
    wanted = {r.strip().lower().replace("-", "_") for r in roles if r.strip()}
    unknown = wanted - set(ROLES)
    if unknown:
        raise ValueError(f"unknown role {sorted(unknown)[0]!r}: roles are {', '.join(ROLES)}")
    if not wanted:
        raise ValueError(f"a person needs at least one role: {', '.join(ROLES)}")
    return [r for r in ROLES if r in wanted]


def capabilities(roles: Iterable[str]) -> frozenset[Can]:
    out: set[Can] = set()
    for r in roles:
        out |= _GRANTS.get(r, frozenset())
    return frozenset(out)


def can(roles: Iterable[str], what: Can) -> bool:
    return what in capabilities(roles)
