"""The usage policy as data: schema, loading, overlays and diffs."""

from .diff import PolicyDiff, diff_policies
from .loader import DEFAULT_POLICY, PolicyError, Problem, builtin_policies, load_document, load_policy
from .schema import OPENAI_CATEGORIES, Action, Category, Overlay, Policy, Severity

__all__ = [
    "DEFAULT_POLICY",
    "OPENAI_CATEGORIES",
    "Action",
    "Category",
    "Overlay",
    "Policy",
    "PolicyDiff",
    "PolicyError",
    "Problem",
    "Severity",
    "builtin_policies",
    "diff_policies",
    "load_document",
    "load_policy",
]
