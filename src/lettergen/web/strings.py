"""The page's own words by language (strings/<lang>.yaml), English where a language lacks one."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

FALLBACK = "en"


@cache
def _load(lang: str) -> dict[str, Any]:
    source = resources.files("lettergen.web").joinpath("strings", f"{lang}.yaml")
    if not source.is_file():
        return {}
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def page_speaks(lang: str) -> bool:
    """Whether the page has its own words in `lang` (strings/<lang>.yaml)."""
    return bool(_load(lang))


def _lookup(data: dict[str, Any], key: str) -> str | None:
    value: Any = data
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value if isinstance(value, str) else None


class Strings:
    """`t("errors.email")` or `t("action_day", date=...)` in one language."""

    def __init__(self, lang: str):
        self.lang = lang

    def __call__(self, key: str, **values: str) -> str:
        text = _lookup(_load(self.lang), key) or _lookup(_load(FALLBACK), key)
        if text is None:
            raise KeyError(f"the page has no text {key!r}")
        return text.format(**values) if values else text
