"""The household form generated from the schema: which fields, in the paper form's order, and form text → record data.

This slice edits the top-level single-value fields (text, numbers, dates, option lists) and the single-value fields
of 家庭主要成员 as a repeatable group (add a member, remove one); other lists and nested parts (致困原因, 附件,
a member's 无业无收入证明 …) are shown read-only and kept exactly as they are.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import re
from dataclasses import dataclass

from generator.records.schema import FieldInfo, fields

SCALAR = ("string", "number", "integer", "date", "month", "enum")
FIXED = ("职工编号", "所属地区")  # who the household is and which county holds it: not changed on the desk
MAX_TEXT = 500
MEMBERS = "家庭主要成员"
MAX_MEMBERS = 30
DELETE = "删除"
_INTEGER = re.compile(r"[0-9]{1,15}")  # ASCII only: int() of "²" fails, of an exponent it may run for minutes
_NUMBER = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,15})?")


@dataclass(frozen=True)
class Field:
    """One field of the form: its key in the record and what the schema says of it."""

    name: str
    info: FieldInfo

    @property
    def editable(self) -> bool:
        return self.info.kind in SCALAR and self.name not in FIXED

    @property
    def multi(self) -> bool:
        """An option list with several choices (致困原因 …): a checkbox group."""
        return self.info.kind == "multi"

    @property
    def input_type(self) -> str:
        return {"date": "date", "month": "month"}.get(self.info.kind, "text")


def form_fields() -> list[Field]:
    """Every top-level field of the schema, in its (the paper form's) order."""
    return [Field(info.pointer[1:], info) for info in fields()]


def member_fields() -> list[Field]:
    """The single-value fields of one member, in the form's order."""
    group = next(info for info in fields() if info.pointer == f"/{MEMBERS}")
    return [Field(child.pointer.rsplit("/", 1)[1], child) for child in group.children if child.kind in SCALAR]


def member_key(index: int, name: str) -> str:
    """The form name of one member's field: 家庭主要成员-0-姓名."""
    return f"{MEMBERS}-{index}-{name}"


def shown(value) -> str:
    """A record value as the form shows it."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def apply(data: dict, form: dict[str, str], lists: dict[str, list[str]] | None = None) -> dict:
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
    for item in form_fields():
        if item.info.kind != "multi" or f"{item.name}-shown" not in form:
            continue
        chosen = [o for o in item.info.enum if o in set((lists or {}).get(item.name, []))]  # only listed options, in order
        old = data.get(item.name)
        if chosen == (old if isinstance(old, list) else []):
            continue
        if chosen:
            out[item.name] = chosen
        else:
            out.pop(item.name, None)
    if f"{MEMBERS}-rows" in form:
        members = _members(data.get(MEMBERS), form)
        if members != data.get(MEMBERS):
            if members:
                out[MEMBERS] = members
            else:
                out.pop(MEMBERS, None)
    return out


def _members(old, form: dict[str, str]) -> list:
    """The member list from the form: each row changes its own member's fields; a new row adds one; 删除 removes one."""
    old = old if isinstance(old, list) else []
    try:
        rows = min(int(form[f"{MEMBERS}-rows"]), max(MAX_MEMBERS, len(old)))
    except ValueError:
        return copy.deepcopy(old)
    out = []
    for i in range(max(rows, 0)):
        base = old[i] if i < len(old) and isinstance(old[i], dict) else None
        if form.get(member_key(i, DELETE)) == "是":
            continue
        member = copy.deepcopy(base) if base is not None else {}
        for item in member_fields():
            key = member_key(i, item.name)
            if key not in form:
                continue
            text = form[key].strip()[:MAX_TEXT]
            if text == shown((base or {}).get(item.name)):
                continue
            if text:
                member[item.name] = _typed(item.info, text)
            else:
                member.pop(item.name, None)
        if base is None and not member:
            continue  # the empty row left for a new member
        out.append(member)
    out += [copy.deepcopy(m) for m in old[rows:]]  # rows the form did not carry stay as they are
    return out


def _typed(info: FieldInfo, text: str):
    """An integer or a number written out in ASCII digits as such; anything else (²，1e9999999) stays as typed."""
    if info.kind == "integer" and _INTEGER.fullmatch(text):
        return int(text)
    if info.kind == "number" and _NUMBER.fullmatch(text):
        return int(text) if "." not in text else decimal.Decimal(text)
    return text
