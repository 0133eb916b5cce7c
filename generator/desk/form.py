"""The household form generated from the schema: which fields, in the paper form's order, and form text → record data.

This slice edits the top-level single-value fields (text, numbers, dates, option lists); lists and nested parts
(家庭主要成员, 致困原因, 附件 …) are shown read-only and kept exactly as they are.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
from dataclasses import dataclass

from generator.records.schema import FieldInfo, fields

SCALAR = ("string", "number", "integer", "date", "month", "enum")
FIXED = ("职工编号", "所属地区")  # who the household is and which county holds it: not changed on the desk
MAX_TEXT = 500


@dataclass(frozen=True)
class Field:
    name: str
    info: FieldInfo

    @property
    def editable(self) -> bool:
        return self.info.kind in SCALAR and self.name not in FIXED

    @property
    def input_type(self) -> str:
        return {"date": "date", "month": "month"}.get(self.info.kind, "text")


def form_fields() -> list[Field]:
    """Every top-level field of the schema, in its (the paper form's) order."""
    return [Field(info.pointer[1:], info) for info in fields()]


def shown(value) -> str:
    """A record value as the form shows it."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def apply(data: dict, form: dict[str, str]) -> dict:
    """A copy of the record with the editable fields taken from the form; other fields untouched.

    A value that is not a number where a number belongs stays as typed, so the validator names it beside the
    field rather than the desk guessing. An emptied optional field is removed, as in a hand-written record.
    """
    out = copy.deepcopy(data)
    for item in form_fields():
        if not item.editable or item.name not in form:
            continue
        text = form[item.name].strip()[:MAX_TEXT]
        if text == shown(data.get(item.name)):
            continue  # unchanged: keep the original value and type, so only changed fields differ
        if not text:
            out.pop(item.name, None)
            continue
        out[item.name] = _typed(item.info, text)
    return out


def _typed(info: FieldInfo, text: str):
    if info.kind == "integer" and text.isdigit():
        return int(text)
    if info.kind == "number":
        try:
            value = decimal.Decimal(text)
        except decimal.InvalidOperation:
            return text
        if value.is_finite():
            return int(value) if value == value.to_integral_value() and "." not in text else value
    return text
