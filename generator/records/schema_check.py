"""JSON Schema validation with jsonschema semantics and messages in the user's words."""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

import jsonschema
import jsonschema_rs

from generator.errors import Problem
from generator.records.load import Record
from generator.records.schema import child_pointer, field_map, join_pointer, load_schema, pattern_of

_TYPE_NAMES = {"string": "文字", "number": "数字", "integer": "整数", "object": "一组字段", "array": "列表", "boolean": "是非值"}
_CONDITIONAL = {
    "其他注明": "选了“其他”，须填写「{name}」说明具体内容。",
    "农民工": "是否农民工为“是”，须填写「农民工」一节（劳动关系、工会会员和会费等）。",
    "低保证": "困难类别为低保户，须填写「低保证」（证号和有效期）。",
    "退出": "状态为已解困脱困或已注销，须填写「退出」（日期和原因）。",
}


@lru_cache(maxsize=1)
def _validators():
    schema = load_schema()
    fast = jsonschema_rs.validator_for(schema, validate_formats=True)
    full = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return fast, full


def check_schema(record: Record) -> list[Problem]:
    """Schema problems of one record; the fast engine answers for valid records, jsonschema words the rest."""
    fast, full = _validators()
    if fast.is_valid(record.data):
        return []
    errors = sorted(full.iter_errors(record.data), key=lambda e: list(map(str, e.absolute_path)))
    typed = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    # A value of the wrong type also fails its enum or pattern: say only what is really wrong.
    errors = [e for e in errors if e.validator == "type" or tuple(e.absolute_path) not in typed]
    return [schema_problem(record, error) for error in errors]


def schema_problem(record: Record, error: jsonschema.ValidationError, schema_name: str = "", prefix: str = "") -> Problem:
    """The one translator: a jsonschema error as a Chinese Problem located by file, line and field.

    The household schema (no schema_name) is worded by field: titles, kinds, units and conditions from the schema.
    A settings file's schema (schema/<schema_name>) is worded by its x-message or by keyword, coded <prefix>-<keyword>.
    """
    pointer = join_pointer(error.absolute_path)
    if schema_name:
        code = f"{prefix}-control-char" if error.validator == "not" else f"{prefix}-{error.validator}"
        return record.problem(pointer, code, _settings_words(error, schema_name))
    kind = error.validator
    info = field_map().get(pattern_of(pointer))
    instance = error.instance
    if kind == "required":
        name = error.message.split("'")[1] if "'" in error.message else str(error.validator_value)
        child = child_pointer(pointer, name)
        conditional = "allOf" in error.schema_path
        key = "其他注明" if name.endswith("其他注明") else name
        message = _CONDITIONAL[key].format(name=name) if conditional and key in _CONDITIONAL else f"缺少必填项「{name}」。"
        return record.problem(child, "required", message)
    if kind in ("additionalProperties", "unevaluatedProperties"):
        allowed = list((error.schema.get("properties") or {}).keys())
        extras = [k for k in instance if k not in allowed] if isinstance(instance, dict) else []
        name = extras[0] if extras else ""
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.4)
        hint = f"是不是「{close[0]}」？" if close else "表上没有这个栏目。"
        return record.problem(child_pointer(pointer, name), "unknown-field", f"未知字段「{name}」：{hint}")
    if instance in ("", None, []) and kind in _UNFILLED_CODES:
        return record.problem(pointer, _UNFILLED_CODES[kind], _unfilled(info, error))
    if kind == "type":
        return record.problem(pointer, "type", _type_message(record, pointer, instance, error.validator_value, info))
    if kind == "enum":
        return record.problem(pointer, "enum", _enum_message(instance, error.validator_value))
    if kind == "not" and isinstance(instance, str):
        return record.problem(pointer, "control-char", control_message(instance, error.schema))
    if kind == "const":
        return record.problem(pointer, "enum", f"应为“{error.validator_value}”。")
    if kind == "format":
        return record.problem(pointer, "date", f"“{instance}”不是有效日期，应写作 YYYY-MM-DD，例如 2016-08-01。")
    if kind == "pattern":
        return record.problem(pointer, "pattern", _pattern_message(instance, info))
    if kind in ("minimum", "exclusiveMinimum"):
        return record.problem(pointer, "minimum", f"不能小于 {error.validator_value}（现为 {instance}）。")
    if kind in ("maximum", "exclusiveMaximum"):
        return record.problem(pointer, "maximum", f"不能大于 {error.validator_value}（现为 {instance}）。")
    if kind == "minLength":
        return record.problem(pointer, "empty", "不能为空。")
    if kind == "maxLength":
        return record.problem(pointer, "too-long", f"太长（最多 {error.validator_value} 个字，现有 {len(instance)} 个）。")
    if kind == "minItems":
        return record.problem(pointer, "min-items", f"至少填写 {error.validator_value} 项。")
    if kind == "maxItems":
        return record.problem(pointer, "max-items", f"最多 {error.validator_value} 项。")
    if kind == "uniqueItems":
        return record.problem(pointer, "duplicate-item", "有重复的选项。")
    return record.problem(pointer, kind or "schema", f"不符合要求：{error.message}")


_INVISIBLE = (
    ("\n\r\x85\u2028\u2029", "换行符"),
    ("\t", "Tab"),
    ("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069", "文字方向控制符"),
    ("\u200b\u200c\u200d\u2060\ufeff", "零宽字符"),
)


def control_message(text: str, schema: dict) -> str:
    """Which invisible character a text holds (the schema's $defs/line or text says which are refused), and where."""
    found = re.search(schema["not"]["pattern"], text)
    char = found.group() if found else ""
    name = next((label for chars, label in _INVISIBLE if char in chars), "控制字符") if char else "控制字符"
    where = f"第 {found.start() + 1} 个字处" if found else ""
    shown = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)
    value = f"“{shown}”" if len(text) <= 40 else ""
    if re.search(schema["not"]["pattern"], "\n"):
        rule = "这一栏只能写一行，不能有换行、Tab、文字方向控制符、零宽字符等看不见的字符"
    else:
        rule = "这一栏可以换行，但不能有 Tab、文字方向控制符、零宽字符等其他看不见的字符"
    return (
        f"{value}{where}有看不见的{name}（U+{ord(char or chr(0)):04X}）：{rule}，请删除（编辑器的“显示不可见字符”可以找到它）。"
    )


def _type_message(record: Record, pointer: str, instance, expected, info) -> str:
    want = expected if isinstance(expected, str) else expected[0]
    if instance is None:
        return "尚未填写。"
    source = record.plain.get(pointer)
    if want == "string" and isinstance(instance, (int, float)) and not isinstance(instance, bool):
        shown = source if source is not None else instance
        if info and info.text_number:
            return f'写成了数字 {shown}：前导零和末尾的 X 会丢失、0 开头的数字会被当作八进制，请加引号，写作 "{shown}"。'
        return f"应为文字，写成了数字 {shown}：请加引号。"
    if want == "string" and isinstance(instance, bool):
        return f"“{source}”被读成了是非值：请写“是”或“否”，或加引号。"
    if want == "string" and isinstance(instance, str) is False and info and info.kind == "date":
        return "应为日期，写作 YYYY-MM-DD。"
    if want in ("number", "integer") and isinstance(instance, str):
        return f"应为{_TYPE_NAMES[want]}，不要加引号或单位（现为“{instance}”）。"
    return f"应为{_TYPE_NAMES.get(want, want)}。"


_UNFILLED_CODES = {
    "type": "type",
    "enum": "enum",
    "format": "date",
    "pattern": "pattern",
    "minLength": "empty",
    "minItems": "min-items",
}


def _unfilled(info, error: jsonschema.ValidationError) -> str:
    """A field left empty (as `bangfu new` leaves what it was not given): what to write there.

    Deleting the line only helps an optional field; a required one must be filled in.
    """
    kind = info.kind if info else ""
    if error.validator == "enum" or kind == "enum":
        options = error.validator_value if error.validator == "enum" else (info.enum if info else ())
        need = f"请从可选值中选一个：{_shown(options)}。" if options else "请写上内容。"
    elif kind == "date" or error.validator == "format":
        need = "请写日期，格式 YYYY-MM-DD，例如 2016-08-01（加引号）。"
    elif kind == "month":
        need = "请写年月，格式 YYYY-MM，例如 2016-08（加引号）。"
    elif kind in ("number", "integer"):
        unit = f"（单位：{info.unit}）" if info and info.unit else ""
        example = "3" if kind == "integer" else "1250"
        need = f"请写{_TYPE_NAMES[kind]}{unit}，不加引号和单位，例如 {example}。"
    elif kind == "array":
        need = "请至少写一项，每项一行，以“- ”开头。"
    elif error.validator == "pattern" and info and info.description:
        need = f"请按要求填写：{info.description}"
    else:
        need = "请写上内容。"
    if info is None or info.required:
        return f"必填项，尚未填写：{need}"
    return f"尚未填写：{need}这一栏可以不填，不填就把这一整行删去。"


def _shown(options) -> str:
    return "、".join(map(str, options)) if len(options) <= 14 else "、".join(map(str, options[:14])) + f" 等 {len(options)} 项"


def _enum_message(instance, options) -> str:
    shown = _shown(options)
    close = difflib.get_close_matches(str(instance), [str(o) for o in options], n=1, cutoff=0.5)
    hint = f"是不是“{close[0]}”？" if close else ""
    return f"“{instance}”不是可选值。{hint}可选：{shown}。"


def _pattern_message(instance, info) -> str:
    description = info.description if info else ""
    return f"“{instance}”格式不正确。{description}"


_WANTED = {
    "string": "加引号的文字",
    "number": "数字",
    "integer": "整数",
    "array": "列表（每项以“- ”开头）",
    "object": "“项目: 值”的映射",
    "boolean": "是或否",
}


def _settings_words(error: jsonschema.ValidationError, schema_name: str) -> str:
    """A settings schema's error in the user's words: the schema's x-message, else by keyword."""
    kind, expected, instance = error.validator, error.validator_value, error.instance
    hint = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    if kind == "not" and isinstance(instance, str):
        return control_message(instance, error.schema)
    if hint and kind not in ("required", "additionalProperties", "type"):
        return hint.format(value=instance)
    if kind == "required":
        missing = [k for k in expected if k not in instance]
        return f"缺少必填项：{'、'.join(missing)}。"
    if kind == "additionalProperties":
        extra = [k for k in instance if k not in error.schema.get("properties", {})]
        allowed = "、".join(error.schema.get("properties", {}))
        where = f"可用的项目：{allowed}" if allowed else f"见 schema/{schema_name}"
        return f"不认识的项目：{'、'.join(extra)}（{where}）。"
    if kind == "type":
        want = expected if isinstance(expected, str) else expected[0]
        return f"应为{_WANTED.get(want, want)}，而不是 {instance!r}。"
    if kind == "enum":
        return f"只能填 {'、'.join(map(str, expected))}，而不是“{instance}”。"
    if kind == "pattern":
        return f"“{instance}”格式不正确。"
    if kind == "minItems":
        return f"至少要有 {expected} 项。"
    if kind == "uniqueItems":
        return "有重复的项。"
    if kind == "minLength":
        return "不能为空。"
    if kind == "maxLength":
        return f"太长（不超过 {expected} 个字）。"
    if kind == "minProperties":
        return f"至少要有 {expected} 项。"
    if kind in ("exclusiveMinimum", "minimum"):
        return f"{instance} 太小，应大于{'' if kind == 'exclusiveMinimum' else '等于'} {expected}。"
    if kind in ("exclusiveMaximum", "maximum"):
        return f"{instance} 太大，不应超过 {expected}。" if kind == "maximum" else f"{instance} 太大，应小于 {expected}。"
    if kind == "format" and expected == "date":
        return f"“{instance}”不是有效日期，应写作 YYYY-MM-DD。"
    return f"不符合 schema/{schema_name} 的要求（{kind}）。"
