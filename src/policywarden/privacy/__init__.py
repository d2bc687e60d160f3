"""Privacy safeguards: personal data masked in excerpts, end users pseudonymised with a keyed
hash, evidence encrypted at rest with rotatable keys. Pure functions and small classes, no I/O
except reading or creating the secret file in `secrets`."""

from .crypto import EvidenceCipher, KeyError_, new_key
from .pseudonym import Pseudonymiser
from .redact import excerpt, mask

__all__ = ["EvidenceCipher", "KeyError_", "Pseudonymiser", "excerpt", "mask", "new_key"]
