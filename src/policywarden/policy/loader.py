"""Load policy and overlay files, built-in or the operator's, with errors that name file, path and problem."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from .overlay import apply_overlay
from .schema import Overlay, Policy

BUILTIN_ROOT = "policies"
DEFAULT_POLICY = "openai-usage"


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path or '<root>'}: {self.message}"


class PolicyError(Exception):
    """A policy or overlay file that cannot be used. `problems` lists every issue found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _builtin_dir():
    return resources.files("policywarden.policy").joinpath(BUILTIN_ROOT)


def builtin_policies() -> dict[str, list[str]]:
    """Built-in policy names and their revisions, oldest first."""
    out: dict[str, list[str]] = {}
    for entry in _builtin_dir().iterdir():
        if entry.is_dir():
            revs = sorted(f.name[: -len(".yaml")] for f in entry.iterdir() if f.name.endswith(".yaml"))
            if revs:
                out[entry.name] = revs
    return out


def _locate_builtin(ref: str) -> tuple[str, str] | None:
    """'name' or 'name@revision' → (display name, YAML text), or None if not built in."""
    name, _, revision = ref.partition("@")
    revisions = builtin_policies().get(name)
    if not revisions:
        return None
    revision = revision or revisions[-1]
    if revision not in revisions:
        raise PolicyError([Problem(ref, "revision", f"unknown revision; built-in revisions: {', '.join(revisions)}")])
    text = _builtin_dir().joinpath(name, f"{revision}.yaml").read_text(encoding="utf-8")
    return f"builtin:{name}@{revision}", text


def _parse_yaml(text: str, origin: str) -> object:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PolicyError([Problem(origin, where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None


def _problems(exc: ValidationError, origin: str, data: object) -> list[Problem]:
    out = []
    for err in exc.errors():
        parts = []
        node = data
        for loc in err["loc"]:
            # Name list items by their id where they have one: "sections[protect].categories[protect.weapons]"
            if isinstance(loc, int) and isinstance(node, list) and loc < len(node):
                item = node[loc]
                label = item.get("id") if isinstance(item, dict) else None
                parts.append(f"[{label}]" if label else f"[{loc}]")
                node = item
            else:
                parts.append(f".{loc}" if parts else str(loc))
                node = node.get(loc) if isinstance(node, dict) else None
        msg = err["msg"].removeprefix("Value error, ")
        out.append(Problem(origin, "".join(parts), msg))
    return out


def parse_document(text: str, origin: str) -> Policy | Overlay:
    """Parse YAML text into a Policy or an Overlay, raising PolicyError with every problem found."""
    data = _parse_yaml(text, origin)
    if not isinstance(data, dict):
        raise PolicyError([Problem(origin, "", "a policy file must be a mapping with 'kind: policy' or 'kind: overlay'")])
    kind = data.get("kind", "policy")
    model = {"policy": Policy, "overlay": Overlay}.get(kind)
    if model is None:
        raise PolicyError([Problem(origin, "kind", f"unknown kind {kind!r}; expected 'policy' or 'overlay'")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(_problems(exc, origin, data)) from None


def _read_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError([Problem(str(path), "", "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise PolicyError([Problem(str(path), "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    except OSError as exc:
        raise PolicyError([Problem(str(path), "", f"cannot read: {exc.strerror}")]) from None


def load_document(ref: str, relative_to: Path | None = None) -> Policy | Overlay:
    """A built-in name ('openai-usage', 'openai-usage@2025-10-29') or a path to a YAML file
    (a relative path is taken from `relative_to`, the folder of the file that names it)."""
    found = _locate_builtin(ref)
    if found is not None:
        origin, text = found
    else:
        path = Path(ref)
        if relative_to is not None and not path.is_absolute():
            path = relative_to / path
        if not path.exists() and "/" not in ref and not ref.endswith((".yaml", ".yml")):
            names = ", ".join(builtin_policies())
            raise PolicyError([Problem(ref, "", f"no built-in policy or file of that name; built-in: {names}")])
        origin, text = str(path), _read_file(path)
    return parse_document(text, origin)


def _resolve(ref: str, relative_to: Path | None, seen: tuple[str, ...]) -> Policy:
    builtin = ref.partition("@")[0] in builtin_policies()
    if builtin:
        key = ref
    else:
        path = Path(ref) if relative_to is None or Path(ref).is_absolute() else relative_to / ref
        key = str(path.resolve())
    if key in seen:
        raise PolicyError([Problem(ref, "base", f"overlays form a cycle: {' -> '.join((*seen, key))}")])
    doc = load_document(ref, relative_to)
    if isinstance(doc, Policy):
        return doc
    return apply_overlay(_resolve(doc.base, None if builtin else Path(key).parent, (*seen, key)), doc, origin=ref)


def load_policy(ref: str = DEFAULT_POLICY, overlays: tuple[str, ...] | list[str] = ()) -> Policy:
    """Load a policy, resolving an overlay's base (relative to the overlay's folder), then apply
    any further overlays in order."""
    policy = _resolve(ref, None, ())
    for overlay_ref in overlays:
        overlay = load_document(overlay_ref)
        if not isinstance(overlay, Overlay):
            raise PolicyError([Problem(overlay_ref, "kind", "expected an overlay ('kind: overlay')")])
        policy = apply_overlay(policy, overlay, origin=overlay_ref)
    return policy
