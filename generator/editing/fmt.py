"""`bangfu fmt`: rewrite records in the canonical form (key order of the form, numbers-as-text quoted), losing nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from generator.dump import HEADER, dump_record
from generator.editing.store import write_all
from generator.errors import Problem, RecordError
from generator.load import _relative, parse_bytes, record_paths
from generator.schema import field_map, pattern_of, split_pointer
from generator.validate import expand


@dataclass
class FmtResult:
    """Files rewritten (or, with check, that would be) and how many were canonical already."""

    changed: list[str] = field(default_factory=list)
    canonical: int = 0


def format_records(root: Path, paths: list[Path] | None = None, *, check: bool = False, drop_comments: bool = False) -> FmtResult:
    """Canonical form for every record named (all when none); if any file cannot be read safely, write nothing."""
    files = expand(paths) if paths else record_paths(root)[0]
    problems: list[Problem] = []
    out: dict[Path, bytes] = {}
    result = FmtResult()
    for path in files:
        rel = _relative(path, root)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            problems.append(Problem(rel, None, "", "", "read-error", f"无法读取文件：{exc.strerror or exc}"))
            continue
        text, found = canonical(raw, rel, drop_comments=drop_comments)
        problems += found
        if text is None:
            continue
        if text.encode("utf-8") == raw:
            result.canonical += 1
        else:
            out[path] = text.encode("utf-8")
            result.changed.append(rel)
    if problems:
        raise RecordError(f"{len(problems)} 个文件无法安全地格式化，未改动任何文件：", problems)
    if not check:
        write_all(out)
    return result


def canonical(raw: bytes, rel: str, *, drop_comments: bool = False) -> tuple[str | None, list[Problem]]:
    """The canonical text of one record file and the problems that forbid rewriting it."""
    record, problems = parse_bytes(raw, rel)
    if record is None:
        return None, problems
    text = raw.decode("utf-8-sig")
    comment = _first_comment(text)
    if comment and not drop_comments:
        return None, [Problem(rel, comment, "", "", "comment",
                              "文件中有注释，格式化会删去注释：请把要保留的内容写进「备注」，或加 --drop-comments。")]
    data = _texts_restored(record.data, record.plain)
    out = dump_record(data)
    again, found = parse_bytes(out.encode("utf-8"), rel)
    if again is None or again.data != data or _types(again.data) != _types(data):
        # The writer must never change a value; refuse rather than write a changed record.
        return None, found or [Problem(rel, None, "", "", "fmt-lossy", "格式化后的内容与原档案不一致，未改动此文件（请报告维护人员）。")]
    return out, []


def _texts_restored(data: dict, plain: dict[str, str]) -> dict:
    """Numbers written where the form wants text get back their exact source text (leading zeros, 0-prefixed octal)."""
    fields = field_map()
    for pointer, source in plain.items():
        info = fields.get(pattern_of(pointer))
        if info is None or not info.text_number:
            continue
        parts = split_pointer(pointer)
        parent = data
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        last = parts[-1]
        if isinstance(parent, list):
            parent[int(last)] = source
        else:
            parent[last] = source
    return data


def _types(value):
    """The shape of a value with the type of every scalar, so 1 and "1" or 1 and 1.5 never pass for each other."""
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return "number" if isinstance(value, int | float) and not isinstance(value, bool) else type(value).__name__


def _first_comment(text: str) -> int | None:
    """The line of the first comment other than the schema line on top, or None."""
    header = HEADER.strip()
    if "#" not in text.replace(header, "", 1):
        return None
    covered: list[tuple[int, int]] = []
    try:
        # The pure-Python scanner counts marks in characters; few files get this far.
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, yaml.ScalarToken):
                covered.append((token.start_mark.index, token.end_mark.index))
    except yaml.YAMLError:
        return None
    spans = iter(covered)
    span = next(spans, None)
    index = 0
    for number, line in enumerate(text.split("\n"), 1):
        at = line.find("#")
        while at != -1:
            position = index + at
            while span and span[1] <= position:
                span = next(spans, None)
            inside = span is not None and span[0] <= position < span[1]
            if not inside and (at == 0 or line[at - 1] in " \t") and not (number == 1 and line.strip() == header):
                return number
            at = line.find("#", at + 1)
        index += len(line) + 1
    return None
