"""Reading an operator's YAML (or JSON) file into a pydantic model, with every problem as one
line that names the file, the field and what is wrong."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: str | Path, what: str, error: type[Exception]) -> object:
    p = Path(path)
    try:
        return yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{p}: cannot read the {what}: {exc.strerror}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise error(f"{p}: not valid YAML or JSON: {str(exc).splitlines()[0]}") from None


def load_model(path: str | Path, model: type[M], what: str, error: type[Exception]) -> M:
    """The file as `model`; an empty file is the model's defaults."""
    data = read_yaml(path, what, error) or {}
    if not isinstance(data, dict):
        raise error(f"{path}: the {what} must be a mapping")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "(top)"
        raise error(f"{path}: {where}: {first['msg']}") from None
