"""The household form generated from the schema, in the paper form's order, and form text → record data.

Every field of schema/household.schema.json is on the form: single values as inputs (dates as dates, numbers as
text parsed exactly, option lists as selects), lists of options as checkbox groups (“其他” reveals its 注明 field),
nested parts (低保证, 审批, 帮扶责任人 …) as groups and lists of parts (家庭主要成员, 附件, 公示 …) as repeatable rows.

A form field's name is its place in the record, parts joined by "-": 姓名, 低保证-证号, 家庭主要成员-0-姓名,
入户调查-调查人-1. A repeatable group carries "<name>-rows" (how many rows the form holds) and a row "<name>-<i>-删除"
= 是 to remove it; a checkbox group carries "<name>-shown" (an unticked group sends nothing else). A field the form
did not send, or sent as it was shown, keeps the record's value and type exactly, so only changed fields differ.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import re
from dataclasses import dataclass
from functools import cache

from generator.records.schema import FieldInfo, fields, load_schema, pattern_of, resolve, split_pointer

SCALAR = ("string", "number", "integer", "date", "month", "enum")
FIXED = ("职工编号", "所属地区")  # who the household is and which county holds it: not changed on the desk
MAX_TEXT = 2000  # the longest text the schema allows (入户调查.调查情况)
MAX_ROWS = 200  # rows of one repeatable group a form may add (the request size limit bounds it too)
MEMBERS = "家庭主要成员"
MAX_MEMBERS = 30
DELETE = "删除"
OTHER = "其他"
NOTE = "其他注明"
ROWS, SHOWN = "rows", "shown"
_INTEGER = re.compile(r"[0-9]{1,15}")  # ASCII only: int() of "²" fails, of an exponent it may run for minutes
_NUMBER = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,15})?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
KEEP = object()  # the form leaves this value as it was
ABSENT = object()  # the form empties this value: the key is removed, as in a hand-written record


@dataclass(frozen=True)
class Field:
    """One place of the form: its key in its parent, what the schema says of it, and its parts."""

    name: str
    info: FieldInfo
    children: tuple[Field, ...] = ()
    multiline: bool = False  # multi-line text (备注, 调查情况): a text area

    @property
    def shape(self) -> str:
        """scalar | multi (checkbox group) | object (a group) | rows (list of parts) | strings (list of texts)."""
        kind = self.info.kind
        if kind in SCALAR:
            return "scalar"
        if kind == "multi":
            return "multi"
        if kind == "object":
            return "object"
        return "rows" if self.children else "strings"

    @property
    def editable(self) -> bool:
        return self.name not in FIXED or "/" in self.info.pointer[1:]

    @property
    def multi(self) -> bool:
        return self.info.kind == "multi"

    @property
    def input_type(self) -> str:
        return {"date": "date", "month": "month"}.get(self.info.kind, "text")

    @property
    def numeric(self) -> bool:
        return self.info.kind in ("number", "integer")

    def input_for(self, text: str) -> str:
        """The input type for this value: a date box only for a real date (a browser empties any other text)."""
        if self.info.kind == "date" and (not text or _DATE.fullmatch(text) and _is_date(text)):
            return "date"
        if self.info.kind == "month" and (not text or _MONTH.fullmatch(text)):
            return "month"
        return "text"

    @property
    def note(self) -> str:
        """The 注明 field that “其他” of this option list asks for (its sibling 致困原因其他注明 …), or ""."""
        return _notes().get(self.info.pointer, "")

    @property
    def explains(self) -> str:
        """For a 注明 field: the option list whose “其他” it explains, or ""."""
        return next((k for k, v in _notes().items() if v == self.info.pointer), "")


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


@cache
def _notes() -> dict[str, str]:
    """pointer of an option list (or a single choice) with “其他” → pointer of its 注明 sibling, from the schema."""
    out = {}
    for info in fields():
        if OTHER in info.enum and f"/{info.pointer[1:]}{NOTE}" in {f.pointer for f in fields()}:
            out[info.pointer] = f"/{info.pointer[1:]}{NOTE}"
    return out


@cache
def _multiline() -> frozenset[str]:
    """Pattern pointers of multi-line texts: the schema's $defs/text (备注, 入户调查.调查情况)."""
    root = load_schema()
    found = set()

    def walk(node: dict, pointer: str) -> None:
        if node.get("$ref") == "#/$defs/text":
            found.add(pointer)
        node = resolve(node, root)
        for key, sub in node.get("properties", {}).items():
            walk(sub, f"{pointer}/{key}")
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{pointer}/*")

    walk(root, "")
    return frozenset(found)


def _field(info: FieldInfo) -> Field:
    return Field(
        split_pointer(info.pointer)[-1],
        info,
        tuple(_field(child) for child in info.children),
        pattern_of(info.pointer) in _multiline(),
    )


@cache
def tree() -> tuple[Field, ...]:
    """Every top-level field of the schema, in its (the paper form's) order, with its parts."""
    return tuple(_field(info) for info in fields())


def form_fields() -> list[Field]:
    return list(tree())


# Headings of the paper form (附件1) and of the later steps (方案 五、六): the first field of each run of single
# values that starts a section. Each group (低保证, 公示 …) is a section of its own under its schema title.
HEADINGS = {
    "职工编号": "基本情况",
    "致困原因": "致困原因与银行账户",
    "是否为解困脱困对象": "解困脱困对象",
    "备注": "帮扶计划与签字",
    "录入人": "录入",
    "帮扶任务完成时限": "帮扶任务",
}


@dataclass(frozen=True)
class Section:
    title: str
    fields: tuple[Field, ...]


@cache
def sections() -> tuple[Section, ...]:
    """The form's sections in the schema's order: runs of single values and option lists, and each group alone."""
    out: list[Section] = []
    run: list[Field] = []
    for item in tree():
        if item.shape in ("object", "rows"):
            if run:
                out.append(Section(HEADINGS.get(run[0].name, run[0].info.title), tuple(run)))
                run = []
            out.append(Section(item.info.title, (item,)))
        else:
            if run and item.name in HEADINGS:
                out.append(Section(HEADINGS.get(run[0].name, run[0].info.title), tuple(run)))
                run = []
            run.append(item)
    if run:
        out.append(Section(HEADINGS.get(run[0].name, run[0].info.title), tuple(run)))
    return tuple(out)


def member_fields() -> list[Field]:
    """The single-value fields of one member, in the form's order."""
    group = next(item for item in tree() if item.name == MEMBERS)
    return [child for child in group.children if child.shape == "scalar"]


def key(*parts) -> str:
    """The form name of a place in the record: 家庭主要成员-0-姓名."""
    return "-".join(str(p) for p in parts)


def member_key(index: int, name: str) -> str:
    return key(MEMBERS, index, name)


def place(pointer: str, known: set[str] | frozenset[str] = frozenset(), where: dict | None = None) -> str:
    """The form name a problem at this JSON pointer is shown beside: the deepest place the form shows, else "".

    With `where` (from apply), an item's index in the record becomes its row in the browser's form."""
    parts = split_pointer(pointer)
    while parts and known and key(*parts) not in known:
        parts = parts[:-1]
    for i, part in enumerate(parts):
        rows = (where or {}).get(key(*parts[:i]))
        if part.isdigit() and rows is not None and int(part) < len(rows):
            parts[i] = str(rows[int(part)])
    return key(*parts) if parts else ""


def places(data: dict) -> set[str]:
    """Every form name the form shows for this record (its fields, groups and rows)."""
    out: set[str] = set()

    def walk(items, value, prefix):
        for item in items:
            name = key(prefix, item.name) if prefix else item.name
            out.add(name)
            sub = value.get(item.name) if isinstance(value, dict) else None
            if item.shape == "object":
                walk(item.children, sub if isinstance(sub, dict) else {}, name)
            elif item.shape in ("rows", "strings") and isinstance(sub, list):
                for i, row in enumerate(sub):
                    out.add(key(name, i))
                    if item.shape == "rows":
                        walk(item.children, row if isinstance(row, dict) else {}, key(name, i))

    walk(tree(), data, "")
    return out


def shown(value) -> str:
    """A record value as the form shows it."""
    if value is None or value is ABSENT:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return ""
    return str(value)


def rows_of(value) -> list:
    return value if isinstance(value, list) else []


def part(value) -> dict:
    return value if isinstance(value, dict) else {}


def chosen(value) -> list:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def unlisted(item: Field, value) -> bool:
    """A value an option list does not offer (kept as typed, so the validator names it beside the field)."""
    return value is not None and value is not ABSENT and shown(value) not in [str(o) for o in item.info.enum]


@dataclass
class _Sent:
    """What the browser sent: first values, every value, every name's prefixes, and where each kept row was."""

    form: dict
    lists: dict
    names: set
    where: dict  # form name of a repeatable group → the form row of each item of the new list


def apply(data: dict, form: dict[str, str], lists: dict[str, list[str]] | None = None, where: dict | None = None) -> dict:
    """A copy of the record with every field the form sent taken from it; fields it did not send untouched.

    A value that is not a number where a number belongs stays as typed, so the validator names it beside the
    field rather than the desk guessing. An emptied optional field is removed, as in a hand-written record.
    `where`, if given, is filled with the form row of each item of every repeatable group (rows removed or left
    empty in the browser are not in the record, so a problem of item 3 may belong beside form row 4).
    """
    sent = _Sent(form, lists or {}, _prefixes(form), where if where is not None else {})
    out = copy.deepcopy(data)
    for item in tree():
        if item.name in FIXED:
            continue
        value = _read(item, item.name, data.get(item.name, ABSENT), sent)
        _put(out, item.name, value)
    return out


def _prefixes(form) -> set[str]:
    out = set()
    for name in form:
        parts = str(name).split("-")
        for i in range(1, len(parts) + 1):
            out.add("-".join(parts[:i]))
    return out


def _put(target: dict, name: str, value) -> None:
    if value is KEEP:
        return
    if value is ABSENT:
        target.pop(name, None)
    else:
        target[name] = value


def _read(item: Field, name: str, old, sent: _Sent):
    shape = item.shape
    if shape == "scalar":
        return _scalar(item, name, old, sent.form)
    if shape == "multi":
        if key(name, SHOWN) not in sent.form:
            return KEEP
        wanted = set(sent.lists.get(name, [])) & set(item.info.enum)  # only listed options
        before = old if isinstance(old, list) else []
        # kept options stay where the record has them; newly ticked ones follow in the schema's order
        picked = [o for o in before if o in wanted] + [o for o in item.info.enum if o in wanted and o not in before]
        if picked == before:
            return KEEP
        return picked or ABSENT
    if shape == "object":
        return _object(item, name, old, sent)
    return _rows(item, name, old, sent)


def _scalar(item: Field, name: str, old, form):
    if name not in form:
        return KEEP
    text = str(form[name]).replace("\r\n", "\n").replace("\r", "\n").strip()[:MAX_TEXT]
    before = shown(old)
    if text == before or (item.numeric and _same_number(text, old)):
        return KEEP  # unchanged: keep the original value and type, so only changed fields differ
    if not text:
        return ABSENT
    return _typed(item.info, text)


def _same_number(text: str, old) -> bool:
    if isinstance(old, bool) or not isinstance(old, (int, float, decimal.Decimal)) or not _NUMBER.fullmatch(text):
        return False
    try:
        return decimal.Decimal(text) == decimal.Decimal(repr(old) if isinstance(old, float) else old)
    except decimal.InvalidOperation:
        return False


def _object(item: Field, name: str, old, sent: _Sent):
    if name not in sent.names:
        return KEEP
    base = old if isinstance(old, dict) else {}
    new = copy.deepcopy(base)
    for child in item.children:
        _put(new, child.name, _read(child, key(name, child.name), base.get(child.name, ABSENT), sent))
    if new == base:
        return KEEP
    return new or ABSENT


def _rows(item: Field, name: str, old, sent: _Sent):
    form = sent.form
    marker = key(name, ROWS)
    if marker not in form:
        return KEEP
    old_rows = old if isinstance(old, list) else []
    text = str(form[marker])
    if not _INTEGER.fullmatch(text):
        return KEEP
    count = min(int(text), max(MAX_ROWS, len(old_rows)))
    new, rows = [], []
    for i in range(count):
        base = old_rows[i] if i < len(old_rows) else ABSENT
        if form.get(key(name, i, DELETE)) == "是":
            continue
        if item.shape == "rows":
            value = _object(Field(item.name, item.info, item.children), key(name, i), base, sent)
        else:
            value = _scalar(Field(item.name, item.info), key(name, i), base, form)
        if value is KEEP:
            if base is not ABSENT:
                new.append(copy.deepcopy(base))
                rows.append(i)
        elif value is not ABSENT:
            new.append(value)
            rows.append(i)
    new += copy.deepcopy(old_rows[count:])  # rows the form did not carry stay as they are
    sent.where[name] = rows + list(range(count, len(old_rows)))
    if new == old_rows and isinstance(old, list):
        return KEEP
    return new or (ABSENT if isinstance(old, list) else KEEP)


def _typed(info: FieldInfo, text: str):
    """An integer or a number written out in ASCII digits as such (exact: Decimal, never float); else as typed."""
    if info.kind == "integer" and _INTEGER.fullmatch(text):
        return int(text)
    if info.kind == "number" and _NUMBER.fullmatch(text):
        return int(text) if "." not in text else decimal.Decimal(text)
    return text


def from_items(items) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(first value of each name, every value of each name) of a form's (name, value) pairs, as request.form gives."""
    first: dict[str, str] = {}
    every: dict[str, list[str]] = {}
    for name, value in items:
        first.setdefault(name, value)
        every.setdefault(name, []).append(value)
    return first, every


def form_items(data: dict) -> list[tuple[str, str]]:
    """The (name, value) pairs a browser sends for this record's form untouched (no new rows): the inverse of apply."""
    out: list[tuple[str, str]] = []

    def scalar(name, value):
        out.append((name, shown(value)))

    def walk(items, value, prefix):
        for item in items:
            name = key(prefix, item.name) if prefix else item.name
            sub = value.get(item.name, ABSENT) if isinstance(value, dict) else ABSENT
            if item.shape == "scalar":
                scalar(name, sub)
            elif item.shape == "multi":
                out.append((key(name, SHOWN), "1"))
                out.extend((name, v) for v in chosen(sub) if v in item.info.enum)
            elif item.shape == "object":
                walk(item.children, part(sub), name)
            else:
                rows = rows_of(sub)
                out.append((key(name, ROWS), str(len(rows))))
                for i, row in enumerate(rows):
                    if item.shape == "rows":
                        walk(item.children, part(row), key(name, i))
                    else:
                        scalar(key(name, i), row)

    walk(tree(), data, "")
    return out
