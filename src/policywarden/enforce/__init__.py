"""Enforcement domain: strike arithmetic, the action ladder and standing. Pure logic, no I/O."""

from .config import EnforcementConfig, LadderStep, load_enforcement_config
from .ladder import ActionKind, Proposal, propose_actions, strike_weight
from .standing import ActionView, Standing, standing_from

__all__ = [
    "ActionKind",
    "ActionView",
    "EnforcementConfig",
    "LadderStep",
    "Proposal",
    "Standing",
    "load_enforcement_config",
    "propose_actions",
    "standing_from",
    "strike_weight",
]
