"""`bangfu fmt`: rewrite records in the canonical form (key order of the form, numbers-as-text quoted), losing nothing."""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from generator.errors import Problem, RecordError, os_reason
from generator.records import cache
from generator.records.cache import blob_id
from generator.records.dump import HEADER, dump_record
from generator.records.files import write_all
from generator.records.load import Record, _relative, load_tree, parse_bytes, record_paths
from generator.records.schema import field_map, pattern_of, split_pointer
from generator.validation.validate import expand


@dataclass
class FmtResult:
    """Files rewritten (or, with check, that would be) and how many were canonical already."""

    changed: list[str] = field(default_factory=list)
    canonical: int = 0


def format_records(root: Path, paths: list[Path] | None = None, *, check: bool = False, drop_comments: bool = False) -> FmtResult:
    """Canonical form for every record named (all when none); if any file cannot be read safely, write nothing."""
    files = expand(paths) if paths else record_paths(root)[0]
    key = _writer_key()
    known: set[str] = cache.read(root, "fmt").get(key, set())
    result = FmtResult()
    problems: list[Problem] = []
    pending = []
    for path in files:
        try:
            blob = blob_id(path.read_bytes())
        except OSError as exc:
            problems.append(Problem(_relative(path, root), None, "", "", "read-error", f"无法读取文件：{os_reason(exc)}"))
            continue
        if blob in known:
            result.canonical += 1
        else:
            pending.append(path)
    loaded = load_tree(root, pending)  # parsed records come from the blob cache
    problems += [p for p in loaded.problems if p.is_error]
    out: dict[Path, bytes] = {}
    for record in loaded.records:
        path = root / record.path
        raw = path.read_bytes()
        text, found = canonical_record(record, raw, drop_comments=drop_comments)
        problems += found
        if text is None:
            continue
        if text.encode("utf-8") == raw:
            result.canonical += 1
            known.add(record.blob)
        else:
            out[path] = text.encode("utf-8")
            known.add(blob_id(out[path]))
            result.changed.append(record.path)
    if problems:
        raise RecordError(f"{len(problems)} 个文件无法安全地格式化，未改动任何文件：", problems)
    if not check:
        write_all(out)
    if pending:
        cache.write(root, "fmt", {key: known})
    return result


def _writer_key() -> str:
    """What the canonical form depends on: the writer and the schema (the whole program, cache.program_key)."""
    return cache.program_key()


def canonical(raw: bytes, rel: str, *, drop_comments: bool = False) -> tuple[str | None, list[Problem]]:
    """The canonical text of one record file and the problems that forbid rewriting it."""
    record, problems = parse_bytes(raw, rel)
    if record is None:
        return None, problems
    return canonical_record(record, raw, drop_comments=drop_comments)


def canonical_record(record: Record, raw: bytes, *, drop_comments: bool = False) -> tuple[str | None, list[Problem]]:
    """The canonical text of a parsed record whose file holds `raw`."""
    data = _texts_restored(record.data, record.plain)
    out = dump_record(data)
    if out.encode("utf-8") == raw:
        return out, []
    comment = _first_comment(raw.decode("utf-8-sig"))
    if comment and not drop_comments:
        return None, [
            Problem(
                record.path,
                comment,
                "",
                "",
                "comment",
                "文件中有注释，格式化会删去注释：请把要保留的内容写进「备注」，或加 --drop-comments。",
            )
        ]
    again, found = parse_bytes(out.encode("utf-8"), record.path)
    if again is None or again.data != data or _types(again.data) != _types(data):
        # The writer must never change a value; refuse rather than write a changed record.
        return None, found or [
            Problem(record.path, None, "", "", "fmt-lossy", "格式化后的内容与原档案不一致，未改动此文件（请报告维护人员）。")
        ]
    return out, []


def _texts_restored(data: dict, plain: dict[str, str]) -> dict:
    """Numbers written where the form wants text get back their exact source text (leading zeros, 0-prefixed octal)."""
    wanted = [(p, source) for p, source in plain.items() if _is_text_number(pattern_of(p))]
    if not wanted:
        return data
    data = copy.deepcopy(data)  # parsed records are shared through the cache
    for pointer, source in wanted:
        parts = split_pointer(pointer)
        parent = data
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        parent[int(parts[-1]) if isinstance(parent, list) else parts[-1]] = source
    return data


@functools.cache
def _is_text_number(pattern: str) -> bool:
    info = field_map().get(pattern)
    return info is not None and info.text_number


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
