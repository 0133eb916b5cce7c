"""Settings files under records/_settings/: safe YAML, checked against their own schema, problems in Chinese."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

from generator.errors import Problem, RecordError, os_reason
from generator.records import SETTINGS  # noqa: F401 (the settings folder, named here too)
from generator.records.load import Record, parse_bytes
from generator.records.schema import load_schema
from generator.records.schema_check import schema_problem


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
    return [schema_problem(record, e, schema_name, prefix) for e in _validator(schema_name).iter_errors(record.data)]
