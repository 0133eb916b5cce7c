"""`bangfu new`: a new household in 调查中 with the next free 职工编号 and every required field in place."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from generator.editing.store import RecordStore, record_path
from generator.errors import Problem, RecordError, UsageError
from generator.records import schema_check
from generator.records.dump import dump_record
from generator.records.load import RECORD_DIR, parse_bytes
from generator.records.schema import fields, typed_number
from generator.rules.regions import regions
from generator.validation import checks
from generator.validation.lifecycle import SURVEY
from generator.validation.validate import cross_record, summarise

SEPARATORS = re.compile(r"[、,，;；\n]+")
MAX_SEQUENCE = 9999


@dataclass
class NewRecord:
    """What `new` wrote: the file, the number, and the required fields still to fill in."""

    path: str
    number: str
    to_fill: list[str]


def new_record(root: Path, region: str, values: dict[str, str] | None = None) -> NewRecord:
    """Write records/<region>/<next number>.yaml in 调查中; given values are checked, blanks are listed."""
    table = regions()
    if not table.is_county(region):
        raise UsageError(f"地区代码 {region} 不是本省的县级行政区划代码：新档案建在县（市、区）工会，例如 460105。")
    archive = RecordStore.open(root)
    number = next_number(root, region, archive)
    data = {"职工编号": number, "所属地区": region, "状态": SURVEY}
    given = {key: parse_value(key, text) for key, text in (values or {}).items()}
    data.update(given)
    _derive_from_id(data)
    blanks = []
    for info in fields():
        key = info.pointer[1:]
        if info.required and key not in data:
            data[key] = placeholder(info.kind)
            blanks.append(key)
    ordered = {info.pointer[1:]: data[info.pointer[1:]] for info in fields() if info.pointer[1:] in data}
    path = record_path(region, number)
    problems = _problems_of_given(archive, path, ordered, set(blanks))
    if problems:
        raise RecordError("所给的值有误，未建立档案：", problems)
    archive.add(path, ordered)
    # With blanks left the full check would only repeat them; a complete record is checked like any other.
    archive.save(skip=(lambda p: True) if blanks else None)
    return NewRecord(path, number, blanks)


def next_number(root: Path, region: str, archive: RecordStore | None = None) -> str:
    """The region code and one more than the highest sequence used there (numbers of exited households stay taken)."""
    used = set()
    folder = root / RECORD_DIR / region
    if folder.is_dir():
        used |= {p.stem for p in folder.glob("*.yaml")}
    if archive is not None:
        used |= {n for n in archive.by_number() if isinstance(n, str)}
    sequences = [int(n[6:]) for n in used if len(n) == 10 and n.startswith(region) and n[6:].isdigit()]
    following = max(sequences, default=0) + 1
    if following > MAX_SEQUENCE:
        raise RecordError(f"地区 {region} 的职工编号已用到 {region}{MAX_SEQUENCE}，没有可用的顺序号。")
    return f"{region}{following:04d}"


def parse_value(key: str, text: str):
    """A value typed on the command line, converted to what the schema expects for this field."""
    info = next((f for f in fields() if f.pointer == f"/{key}"), None)
    if info is None:
        names = [f.pointer[1:] for f in fields()]
        close = difflib.get_close_matches(key, names, n=1, cutoff=0.4)
        raise UsageError(f"表上没有栏目「{key}」。" + (f"是不是「{close[0]}」？" if close else ""))
    if info.kind in ("object", "array"):
        raise UsageError(f"「{key}」是一组字段或列表，请在档案文件中填写。")
    text = text.strip()
    if info.kind == "multi":
        return [part for part in SEPARATORS.split(text) if part]
    if info.kind in ("integer", "number"):
        number = typed_number(text)
        if number is None:
            raise UsageError(f"「{key}」应为数字，现为“{text}”。")
        if info.kind == "integer" or number == number.to_integral_value():
            if number != number.to_integral_value():
                raise UsageError(f"「{key}」应为整数，现为“{text}”。")
            return int(number)
        return float(number)
    return text


def placeholder(kind: str):
    """An empty value the editor fills in: numbers as null, lists empty, everything else an empty quoted text."""
    if kind in ("integer", "number"):
        return None
    if kind in ("multi", "array"):
        return []
    return ""


def _derive_from_id(data: dict) -> None:
    number = data.get("身份证号")
    if not (isinstance(number, str) and len(number) == 18 and number[:17].isdigit()):
        return
    try:
        if ric.calc_check_digit(number) != number[-1]:
            return
        born = ric.get_birth_date(number)
    except ValidationError:  # stdnum raises InvalidComponent for an impossible date; the check reports it
        return
    data.setdefault("出生日期", born.isoformat())
    data.setdefault("性别", "男" if int(number[16]) % 2 else "女")


def _problems_of_given(archive: RecordStore, path: str, data: dict, blanks: set[str]) -> list[Problem]:
    """Schema, semantic and cross-record problems of the values given; the blanks are expected."""
    record, problems = parse_bytes(dump_record(data).encode("utf-8"), path)
    if record is None:
        return problems

    def given(p: Problem) -> bool:
        top = "/" + p.pointer.strip("/").split("/")[0] if p.pointer else ""
        return top[1:] not in blanks and p.is_error

    found = [p for p in schema_check.check_schema(record) if given(p)]
    found += [p for p in checks.check_fields(record, archive.ctx) if given(p)]
    summaries = [summarise(r) for r in archive.records] + [summarise(record)]
    found += [p for p in cross_record(summaries, archive.ctx, {path: record}) if p.path == path and given(p)]
    return found
