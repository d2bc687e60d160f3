"""What a misuse report must contain, its size limits, and when two reports are about the same
thing. Pure."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

TARGET_KINDS = {
    "content": "Content (a message, an output, a file)",
    "conversation": "A conversation (a link to it)",
    "account": "An account or an app",
}
UNSURE = "unsure"  # the reporter does not know which category applies

MAX_TARGET = 2000
MAX_CONTENT = 5000
MAX_DESCRIPTION = 5000
MAX_CONTACT = 320
MAX_STATEMENT = 5000


@dataclass(frozen=True)
class ReportIn:
    target_kind: str
    target: str
    category: str
    description: str = ""
    content: str = ""
    contact: str = ""


def problems(report: ReportIn, categories: set[str]) -> dict[str, str]:
    """Field name -> what is wrong with it, for the reporter. Empty when the report is fine."""
    out: dict[str, str] = {}
    if report.target_kind not in TARGET_KINDS:
        out["target_kind"] = "Choose what you are reporting."
    if not report.target.strip():
        out["target"] = "Give a link, an identifier or the text you are reporting."
    elif len(report.target) > MAX_TARGET:
        out["target"] = f"Keep this under {MAX_TARGET} characters; paste longer content in the content box."
    if report.category != UNSURE and report.category not in categories:
        out["category"] = "Choose a category, or 'Not sure'."
    if len(report.content) > MAX_CONTENT:
        out["content"] = f"Keep the content under {MAX_CONTENT} characters: the part that matters is enough."
    if len(report.description) > MAX_DESCRIPTION:
        out["description"] = f"Keep the description under {MAX_DESCRIPTION} characters."
    if len(report.contact) > MAX_CONTACT:
        out["contact"] = f"Keep contact details under {MAX_CONTACT} characters."
    for name in ("target", "content", "description", "contact"):
        if "\x00" in getattr(report, name):
            out[name] = "This field contains characters that cannot be stored."
    return out


def same_thing(kind: str, target: str) -> str:
    """A canonical form of what is reported: reports with the same canonical form are grouped.
    Links lose their scheme's and host's case, a trailing slash and their fragment; text loses
    case and runs of spaces."""
    text = unicodedata.normalize("NFKC", target).strip()
    parts = urlsplit(text) if "://" in text else None
    if parts and parts.netloc:
        path = parts.path.rstrip("/") or "/"
        text = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))
    else:
        text = " ".join(text.casefold().split())
    return f"{kind}\x00{text}"
