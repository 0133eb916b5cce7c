"""Explain one record file: load it, check its form, assess it with the archive's standards."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from generator.errors import RecordError
from generator.records import schema_check
from generator.records.load import load_file
from generator.rules.assess import assess
from generator.rules.standards import load_standards
from generator.rules.trace import Assessment


def explain_file(path: Path, root: Path, today: dt.date) -> Assessment:
    """The assessment of the record at `path`; RecordError when it cannot be read or breaks the schema."""
    record, problems = load_file(path, root)
    if record is None:
        raise RecordError("无法读取档案，不能认定困难类别。", problems)
    errors = [p for p in schema_check.check_schema(record) if p.is_error]
    if errors:
        raise RecordError("档案不符合档案表格式，请先修正以下问题再查看认定过程。", errors)
    return assess(record.data, record.county, load_standards(root), today)
