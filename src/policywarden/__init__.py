"""PolicyWarden: enforce an AI usage policy. `Warden().moderate(texts)` is the core call."""

from .decide import CategoryDecision, Verdict
from .warden import Warden

__version__ = "0.1.0"
__all__ = ["CategoryDecision", "Verdict", "Warden", "__version__"]
