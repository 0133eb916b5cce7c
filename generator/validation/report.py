"""Reporters: the same list of problems as located Chinese text or as JSON."""

from __future__ import annotations

import json

from generator.errors import Problem


def sort_problems(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.path, p.line or 0, p.pointer, p.code, p.message))


def as_text(problems: list[Problem], checked: int) -> str:
    """One line per problem (path:line: 字段: message), then a summary line."""
    lines = [p.to_text() for p in sort_problems(problems)]
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if errors or warnings:
        lines.append(f"共检查 {checked} 份档案：{errors} 个错误，{warnings} 个警告。")
    else:
        lines.append(f"共检查 {checked} 份档案：全部通过。")
    return "\n".join(lines)


def as_json(problems: list[Problem]) -> str:
    """A JSON list of problem objects (path, line, pointer, field, code, severity, message)."""
    keys = ("path", "line", "pointer", "field", "code", "severity", "message")
    return json.dumps([{k: getattr(p, k) for k in keys} for p in sort_problems(problems)], ensure_ascii=False, indent=2)
