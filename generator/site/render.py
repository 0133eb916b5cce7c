"""The Jinja2 environment of generated pages and the value formatting they share."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import jinja2

from generator.access.privacy import FULL, KINDS, Policy
from generator.records.schema import FieldInfo, field_map, pattern_of
from generator.rules.trace import yuan as rules_yuan

TEMPLATES = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Our templates, autoescaped, strict about undefined names (a typo fails the build, not the page)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["yuan"] = yuan
    env.filters["month"] = month
    env.globals["label"] = label
    return env


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


def money(value) -> Decimal:
    """A YAML number as an exact Decimal (never float arithmetic)."""
    return Decimal(str(value)) if value is not None else Decimal(0)


def yuan(value) -> str:
    """1200 → 1,200; 1200.5 → 1,200.50 (fen shown only when there are fen): the trace's one money format."""
    return rules_yuan(value if isinstance(value, Decimal) else money(value))


def month(value) -> str:
    """2025-12 → 2025 年 12 月."""
    if isinstance(value, str) and len(value) == 7 and value[4] == "-":
        return f"{value[:4]} 年 {int(value[5:])} 月"
    return str(value or "")


def label(pointer: str) -> str:
    """The form's label of a field (pattern or data pointer)."""
    info = info_at(pointer)
    return info.title if info else pointer.rsplit("/", 1)[-1]


@lru_cache(maxsize=4096)
def info_at(pointer: str) -> FieldInfo | None:
    """The schema's description of the field at a data pointer (cached: pointers repeat across records)."""
    return field_map().get(pattern_of(pointer))


class Values:
    """Formats record values for one area of the site, masking personal data as the role policy says."""

    def __init__(self, policy: Policy, area: str):
        self.policy = policy
        self.area = area
        self._full = {kind for kind in KINDS if policy.mode(area, kind) == FULL}

    def show(self, pointer: str, value) -> str | None:
        """The text to show for the value at a data pointer; None when this area must not show it at all."""
        return self.field(info_at(pointer), value)

    def field(self, info: FieldInfo | None, value) -> str | None:
        """The same for a field already looked up in the schema."""
        if info is not None and info.personal and info.personal not in self._full:
            return self.policy.show(self.area, info.personal, _plain(info, value))
        if value is None:
            return ""
        if type(value) is str and (info is None or not info.unit and info.kind != "month"):
            return value
        return _plain(info, value)

    def person(self, kind: str, value) -> str | None:
        """A value of a personal kind (姓名, 身份证号, 电话, …) as this area may show it."""
        return self.policy.show(self.area, kind, value)


def _plain(info: FieldInfo | None, value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(_plain(None, v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_plain(None, v)}" for k, v in value.items())
    if info is not None and info.kind == "month":
        return month(value)
    if info is not None and info.unit == "元":
        return f"{yuan(value)} 元"
    if info is not None and info.unit:
        return f"{value} {info.unit}"
    return str(value)
