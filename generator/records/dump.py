"""The one canonical YAML writer for household records (used by the demo and by `bangfu fmt`)."""

from __future__ import annotations

import datetime as _dt
import decimal
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from generator.records.schema import SCHEMA_LINE, load_schema, resolve

HEADER = SCHEMA_LINE + "\n"


@dataclass
class _Shape:
    """What the schema says about one place in a record: key order, items, quoting."""

    props: dict[str, _Shape] = field(default_factory=dict)
    items: _Shape | None = None
    text_number: bool = False


_NO_SHAPE = _Shape()

# Characters that never go into a plain or literal scalar: controls, YAML line breaks other
# than "\n", the byte-order mark, surrogates and non-characters.
_UNPRINTABLE = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff"
# A plain scalar: no indicator or digit/sign/dot first (numbers, dates and YAML syntax),
# no ASCII ":" or "#" anywhere, no tab or line break, no leading or trailing space.
_PLAIN = re.compile(
    r"[^\-?:,\[\]{}#&*!|>'\"%@`0-9+.~=< \t\r\n" + _UNPRINTABLE + r"]"
    r"(?:[^:#\t\r\n" + _UNPRINTABLE + r"]*[^:#\s" + _UNPRINTABLE + r"])?"
)
_LITERAL_BAD = re.compile(r"[\r\t" + _UNPRINTABLE + r"]|[ ]\n|[ ]$")
# YAML 1.1 words a loader (or a human) may read as bool or null.
_WORDLIKE = re.compile(
    r"y|Y|n|N|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL"
)

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\x00": "\\0"}
_ESCAPES.update({"\x85": "\\N", "\u2028": "\\L", "\u2029": "\\P"})


def _escape_table() -> dict[int, str]:
    table = {ord(k): v for k, v in _ESCAPES.items()}
    for code in (*range(0x20), *range(0x7F, 0xA0)):
        table.setdefault(code, f"\\x{code:02X}")
    for code in (*range(0xD800, 0xE000), 0xFEFF, 0xFFFE, 0xFFFF):
        table[code] = f"\\u{code:04X}"
    return table


_ESCAPE_TABLE = _escape_table()


def dump_record(data: dict) -> str:
    """Return the household in canonical YAML: schema key order, numbers-as-text quoted."""
    out = [HEADER]
    if not data:
        return HEADER + "{}\n"
    _mapping(data, _record_shape(), 0, out)
    return "".join(out)


@lru_cache(maxsize=1)
def _record_shape() -> _Shape:
    schema = load_schema()
    return _shape_of(schema, schema)


def _shape_of(node: dict, schema: dict) -> _Shape:
    node = resolve(node, schema)
    shape = _Shape(text_number=bool(node.get("x-text-number")))
    for key, sub in node.get("properties", {}).items():
        shape.props[key] = _shape_of(sub, schema)
    if isinstance(node.get("items"), dict):
        shape.items = _shape_of(node["items"], schema)
    return shape


def _ordered_keys(mapping: dict, shape: _Shape) -> list:
    known = [key for key in shape.props if key in mapping]
    if len(known) == len(mapping):
        return known
    return known + [key for key in mapping if key not in shape.props]


def _mapping(mapping: dict, shape: _Shape, indent: int, out: list[str]) -> None:
    props = shape.props
    heads = _HEADS.get(indent)
    if heads is None:
        heads = _HEADS[indent] = {}
    append = out.append
    for key in _ordered_keys(mapping, shape):
        value = mapping[key]
        head = heads.get(key) if key.__class__ is str else None
        if head is None:
            head = " " * indent + _key(key) + ":"
            if key.__class__ is str and len(heads) < _TEXTS_MAX:
                heads[key] = head
        kind = value.__class__
        if kind is str:
            child = props.get(key)
            if child is not None and child.text_number:
                append(f"{head} {_double_quoted(value)}\n")
            else:
                text = _TEXTS.get(value)
                append(f"{head} {text if text is not None else _scalar(value, False, indent + 2)}\n")
        elif kind is int:
            append(f"{head} {value}\n")
        elif value and isinstance(value, dict):
            append(head + "\n")
            _mapping(value, props.get(key, _NO_SHAPE), indent + 2, out)
        elif value and isinstance(value, (list, tuple)):
            append(head + "\n")
            _sequence(value, props.get(key, _NO_SHAPE).items or _NO_SHAPE, indent + 2, out)
        else:
            child = props.get(key, _NO_SHAPE) if key.__class__ is str else _NO_SHAPE
            append(f"{head} {_scalar(value, child.text_number, indent + 2)}\n")


def _sequence(items, shape: _Shape, indent: int, out: list[str]) -> None:
    pad = " " * indent
    for item in items:
        if item and isinstance(item, (dict, list, tuple)):
            nested: list[str] = []
            if isinstance(item, dict):
                _mapping(item, shape, indent + 2, nested)
            else:
                _sequence(item, shape.items or _NO_SHAPE, indent + 2, nested)
            # The first nested line starts at indent + 2; "- " takes those two columns.
            nested[0] = f"{pad}- {nested[0][indent + 2 :]}"
            out.extend(nested)
        else:
            out.append(f"{pad}- {_scalar(item, shape.text_number, indent + 2)}\n")


_KEYS: dict = {}
# "  key:" heads by indentation: the same few dozen labels start every line of every record.
_HEADS: dict[int, dict[str, str]] = {}
# Rendered single-line texts: records repeat the same vocabulary over and over.
_TEXTS: dict[str, str] = {}
_TEXTS_MAX = 200_000


def _key(key: object) -> str:
    if isinstance(key, str):
        text = key if _plain_ok(key) else _double_quoted(key)
    else:
        text = _scalar(key, False, 0)
    if len(_KEYS) < _TEXTS_MAX:
        _KEYS[key] = text
    return text


def _scalar(value: object, text_number: bool, indent: int) -> str:
    if value.__class__ is str:
        if text_number:
            return _double_quoted(value)
        text = _TEXTS.get(value)
        if text is not None:
            return text
        if "\n" in value:
            literal = _literal(value, indent)
            return _double_quoted(value) if literal is None else literal
        text = value if _plain_ok(value) else _double_quoted(value)
        if len(_TEXTS) >= _TEXTS_MAX:
            _TEXTS.clear()
        _TEXTS[value] = text
        return text
    if isinstance(value, str):
        return _scalar(str(value), text_number, indent)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, decimal.Decimal):
        return _decimal(value)
    if isinstance(value, _dt.datetime):
        return _double_quoted(value.isoformat(sep=" "))
    if isinstance(value, _dt.date):
        return _double_quoted(value.isoformat())
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, (list, tuple)):
        return "[]"
    raise TypeError(f"cannot write {type(value).__name__} to a record: {value!r}")


def _plain_ok(text: str) -> bool:
    if _PLAIN.fullmatch(text) is None:
        return False
    return text[0] not in "yYnNtTfFoO" or _WORDLIKE.fullmatch(text) is None


def _double_quoted(text: str) -> str:
    return '"' + text.translate(_ESCAPE_TABLE) + '"'


def _literal(text: str, indent: int) -> str | None:
    """A "|" block for multi-line text that a person edits; None where it would not round-trip."""
    if text[0] in " \n" or _LITERAL_BAD.search(text):
        return None
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    pad = " " * indent
    lines = [f"{pad}{line}" if line else "" for line in body.split("\n")]
    return f"|{chomp}\n" + "\n".join(lines) + "\n" * (trailing - 1 if trailing else 0)


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    # YAML 1.1 (PyYAML) reads "1e-05" as text: a float needs a dot.
    if "." not in text and "e" in text:
        text = text.replace("e", ".0e", 1)
    return text


def _decimal(value: decimal.Decimal) -> str:
    if not value.is_finite():
        return _float(float(value))
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")
