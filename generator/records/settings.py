"""Settings files under records/_settings/: safe YAML, checked against their own schema, problems in Chinese."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

from generator.errors import Problem, RecordError, os_reason
from generator.records import SETTINGS  # noqa: F401 (the settings folder, named here too)
from generator.records.load import Record, parse_bytes
from generator.records.schema import join_pointer, load_schema
from generator.records.schema_check import control_message

_WANTED = {
    "string": "加引号的文字",
    "number": "数字",
    "integer": "整数",
    "array": "列表（每项以“- ”开头）",
    "object": "“项目: 值”的映射",
    "boolean": "是或否",
}


def read_settings(root: Path | None, rel: str, schema_name: str, title: str, raw: bytes | None = None) -> Record:
    """Read root/rel (or `raw`) and check it against schema/<schema_name>; raise RecordError listing every problem."""
    if raw is None:
        try:
            raw = (Path(root or ".") / rel).read_bytes()
        except OSError as exc:
            problem = Problem(rel, None, "", "", "settings-missing", f"无法读取{title}：{os_reason(exc)}")
            raise RecordError(f"{title}有误。", [problem]) from None
    record, problems = parse_bytes(raw, rel)
    if record is None:
        raise RecordError(f"{title}有误。", problems)
    problems = schema_problems(record, schema_name, "settings")
    if problems:
        raise RecordError(f"{title}有误。", sorted(problems, key=lambda p: (p.line or 0, p.pointer)))
    return record


@cache
def _validator(schema_name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(schema_name), format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_problems(record: Record, schema_name: str, prefix: str) -> list[Problem]:
    """Every error of `record` against schema/<schema_name> as a located problem coded <prefix>-<keyword>."""
    return [
        record.problem(
            join_pointer(e.absolute_path),
            f"{prefix}-control-char" if e.validator == "not" else f"{prefix}-{e.validator}",
            say(e, schema_name),
        )
        for e in _validator(schema_name).iter_errors(record.data)
    ]


def say(error, schema_name: str) -> str:
    """A jsonschema error about a settings file in the user's words."""
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
