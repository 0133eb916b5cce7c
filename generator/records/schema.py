"""The household JSON Schema: the one source of field names, titles, enums and order."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache

from generator import RESOURCES

SCHEMA_DIR = RESOURCES / "schema"
SCHEMA_LINE = "# yaml-language-server: $schema=../../schema/household.schema.json"


@cache
def load_schema(name: str = "household.schema.json") -> dict:
    """Load a schema from schema/ (cached)."""
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


def resolve(node: dict, root: dict | None = None) -> dict:
    """Follow a local $ref, merging the referring node's own keywords over the target."""
    root = root or load_schema()
    if "$ref" not in node:
        return node
    target = root
    for part in node["$ref"].removeprefix("#/").split("/"):
        target = target[part]
    merged = dict(resolve(target, root))
    merged.update({k: v for k, v in node.items() if k != "$ref"})
    return merged


# The statuses of the working cycle, spelled once: the enum of 状态 in the household schema, in its order.
STATUSES = tuple(resolve(load_schema()["properties"]["状态"])["enum"])
SURVEY, NOTICE, PENDING, ACTIVE, RELIEVED, CANCELLED = STATUSES
INACTIVE = (RELIEVED, CANCELLED)  # exited: the record is kept, the household no longer supported


def split_pointer(pointer: str) -> list[str]:
    """Split a JSON pointer into its unescaped parts."""
    if not pointer:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]


def child_pointer(pointer: str, key) -> str:
    """The JSON pointer of `key` inside the value at `pointer` (~ and / in the key escaped)."""
    return pointer + "/" + str(key).replace("~", "~0").replace("/", "~1")


def join_pointer(parts) -> str:
    """Join parts into a JSON pointer."""
    return "".join(child_pointer("", p) for p in parts)


def label_path(pointer: str) -> str:
    """A pointer in the user's words: /家庭主要成员/1/身份证号 → 家庭主要成员[2].身份证号."""
    out = ""
    for part in split_pointer(pointer):
        if part.isdigit():
            out += f"[{int(part) + 1}]"
        else:
            out += ("." if out else "") + part
    return out


@dataclass(frozen=True)
class FieldInfo:
    """One field of the form, as the schema describes it."""

    pointer: str  # with "*" for array items, e.g. /家庭主要成员/*/身份证号
    title: str
    description: str
    kind: str  # string | number | integer | array | object | date | month | enum
    required: bool
    enum: tuple = ()
    unit: str = ""
    personal: str = ""
    text_number: bool = False
    future_ok: bool = False
    children: tuple = field(default=())


def _info(pointer: str, node: dict, required: bool, root: dict) -> FieldInfo:
    node = resolve(node, root)
    kind = node.get("x-kind") or ("enum" if "enum" in node else node.get("type", "string"))
    children: tuple = ()
    if node.get("type") == "object":
        req = set(node.get("required", ()))
        children = tuple(_info(f"{pointer}/{k}", v, k in req, root) for k, v in node.get("properties", {}).items())
    elif node.get("type") == "array":
        items = resolve(node.get("items", {}), root)
        if items.get("type") == "object":
            req = set(items.get("required", ()))
            children = tuple(_info(f"{pointer}/*/{k}", v, k in req, root) for k, v in items.get("properties", {}).items())
        elif "enum" in items:
            kind = "multi"
    return FieldInfo(
        pointer=pointer,
        title=node.get("title", split_pointer(pointer)[-1] if pointer else ""),
        description=node.get("description", ""),
        kind=kind,
        required=required,
        enum=tuple(node.get("enum", ()) or resolve(node.get("items", {}), root).get("enum", ())),
        unit=node.get("x-unit", ""),
        personal=node.get("x-personal", ""),
        text_number=bool(node.get("x-text-number")),
        future_ok=bool(node.get("x-future-ok")),
        children=children,
    )


@cache
def fields() -> tuple[FieldInfo, ...]:
    """Top-level fields of the household form in schema order, with their children."""
    root = load_schema()
    req = set(root.get("required", ()))
    return tuple(_info(f"/{k}", v, k in req, root) for k, v in root["properties"].items())


def walk_fields(infos=None):
    """Every field, depth first, in schema order."""
    for info in fields() if infos is None else infos:
        yield info
        yield from walk_fields(info.children)


@cache
def field_map() -> dict[str, FieldInfo]:
    """Pattern pointer (with * for items) → FieldInfo."""
    return {f.pointer: f for f in walk_fields()}


def pattern_of(pointer: str) -> str:
    """/家庭主要成员/1/身份证号 → /家庭主要成员/*/身份证号."""
    return join_pointer("*" if p.isdigit() else p for p in split_pointer(pointer))


def title(name: str) -> str:
    """Title of a top-level field (the form's label)."""
    info = field_map().get("/" + name)
    return info.title if info else name


def typed_number(text: str) -> Decimal | None:
    """A number typed by a person (a CLI option, a spreadsheet cell), or None when it is none we can store:
    not a number, NaN or infinite (int() of it fails), or an exponent beyond any amount (int() of 1e99999999 runs
    for minutes)."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() and abs(number.adjusted()) <= 15 else None
