"""Queue order: priority first, then age. Pure.

Child-safety cases come first, then imminent harm (self-harm, violence, weapons), then cases
where a person's access hangs on the decision (an action awaiting approval, an interim
suspension, an appeal), then everything else. Within a priority the oldest case comes first.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import IntEnum

# Categories whose content only child-safety reviewers see: the policy's "Keep minors safe"
# section, and anything that calls for a report to NCMEC.
CHILD_SAFETY_PREFIX = "minors."
IMMINENT_HARM = frozenset({"protect.self_harm", "protect.violence_terrorism", "protect.weapons"})


class Priority(IntEnum):
    CHILD_SAFETY = 0
    IMMINENT_HARM = 1
    ACCESS = 2
    STANDARD = 3

    @property
    def label(self) -> str:
        return {0: "Child safety", 1: "Imminent harm", 2: "Access affected", 3: "Standard"}[self.value]


def is_child_safety(categories: Iterable[str], reporting: Iterable[str] = ()) -> bool:
    return bool(list(reporting)) or any(c.startswith(CHILD_SAFETY_PREFIX) for c in categories)


def priority(kind: str, categories: Iterable[str], reporting: Iterable[str] = (), affects_access: bool = False) -> Priority:
    cats = list(categories)
    if is_child_safety(cats, reporting):
        return Priority.CHILD_SAFETY
    if IMMINENT_HARM.intersection(cats):
        return Priority.IMMINENT_HARM
    if affects_access or kind in ("approval", "appeal"):
        return Priority.ACCESS
    return Priority.STANDARD


def queue_key(priority_value: int, created_at: datetime, case_id: int) -> tuple:
    """The sort key of the queue; the id breaks ties between cases opened at the same instant."""
    return (priority_value, created_at, case_id)
