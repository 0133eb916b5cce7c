"""The workbook layout read from the schema: which column holds which field, and how a cell holds a value."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.utils import get_column_letter

from generator.access.spreadsheet import formula_like
from generator.errors import Problem
from generator.records.schema import FieldInfo, fields, typed_number

MAIN_SHEET = "困难职工"
KEY = "职工编号"
JOIN = "、"
SPLIT = re.compile(r"[、,，;；\n]+")
NESTED = "·"
# Larger integers lose digits in Excel's double-precision numbers.
EXACT_DIGITS = 15
_SPACES = " \t\u3000\xa0"


@dataclass(frozen=True)
class Column:
    """One column: its header (schema titles joined by ·), the keys that reach the value, and the field."""

    header: str
    keys: tuple[str, ...]
    info: FieldInfo


@dataclass(frozen=True)
class ItemSheet:
    """A list of the form (家庭主要成员, 公示, 帮扶台账 …): one sheet, one row per item, keyed by 职工编号."""

    title: str
    key: str
    columns: tuple[Column, ...]


def _flatten(info: FieldInfo, keys: tuple[str, ...], titles: tuple[str, ...]) -> list[Column]:
    if info.kind == "object":
        out = []
        for child in info.children:
            name = child.pointer.rsplit("/", 1)[1]
            out += _flatten(child, keys + (name,), titles + (child.title,))
        return out
    return [Column(NESTED.join(titles), keys, info)]


@lru_cache(maxsize=1)
def main_columns() -> tuple[Column, ...]:
    """The columns of sheet 困难职工 in the order of the form, objects flattened (审批·审批日期)."""
    out: list[Column] = []
    for info in fields():
        if info.kind == "array" and info.children:
            continue
        out += _flatten(info, (info.pointer[1:],), (info.title,))
    return tuple(out)


@lru_cache(maxsize=1)
def item_sheets() -> tuple[ItemSheet, ...]:
    """One sheet per list of the form, in the order of the form."""
    out = []
    for info in fields():
        if info.kind == "array" and info.children:
            columns: list[Column] = []
            for child in info.children:
                name = child.pointer.rsplit("/", 1)[1]
                columns += _flatten(child, (name,), (child.title,))
            out.append(ItemSheet(info.title, info.pointer[1:], tuple(columns)))
    return tuple(out)


def get(data: dict, keys: tuple[str, ...]):
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def put(data: dict, keys: tuple[str, ...], value) -> None:
    for key in keys[:-1]:
        data = data.setdefault(key, {})
    data[keys[-1]] = value


def to_cell(value, info: FieldInfo):
    """The cell value and number format for a record value."""
    if isinstance(value, list):
        return JOIN.join(str(v) for v in value), "@"
    if info.kind == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value), "yyyy-mm-dd"
        except ValueError:
            return value, "@"
    if isinstance(value, str):
        return value, "@"
    return value, None


def safe_cell(sheet, value, number_format: str | None = None):
    """What to append for a value: text is a string cell whatever it starts with, never a formula or an error.

    openpyxl turns a str starting with "=" into a formula and "#N/A" into an error value; such text (and text
    starting with + - @, tab or CR, which a spreadsheet evaluates once someone edits the cell) is written as a
    string with the quote-prefix style, so Excel and WPS show it verbatim. Reading gives back the same text.
    """
    literal = isinstance(value, str) and (formula_like(value) or value in ERROR_CODES)
    if not literal and number_format is None:
        return value  # a styled cell costs openpyxl several times more than a plain value
    cell = WriteOnlyCell(sheet, value=value)
    if number_format:
        cell.number_format = number_format
    if literal:
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def from_cell(raw, info: FieldInfo):
    """(value, None) for a cell's content, or (None, message) when the cell cannot hold what the field needs."""
    if isinstance(raw, str):
        if not raw.strip():
            return None, None
        # Stray spaces around a typed value go; a line break that ends a multi-line text stays.
        raw = raw.strip(_SPACES)
    if raw is None:
        return None, None
    if isinstance(raw, bool):
        return None, "单元格是是非值（TRUE/FALSE），请填写文字，如“是”或“否”。"
    if info.kind in ("multi", "array"):
        return [part.strip() for part in SPLIT.split(str(raw)) if part.strip()], None
    if isinstance(raw, dt.datetime | dt.date):
        return _from_date(raw, info)
    if info.kind in ("integer", "number"):
        return _from_number(raw, info)
    if isinstance(raw, int | float):
        return _number_as_text(raw, info)
    return raw, None


def _from_date(raw, info: FieldInfo):
    day = raw.date() if isinstance(raw, dt.datetime) else raw
    if isinstance(raw, dt.datetime) and raw.time() != dt.time(0):
        return None, f"单元格带有时间（{raw}），只填日期，写作 YYYY-MM-DD。"
    if info.kind == "date":
        return day.isoformat(), None
    if info.kind == "month" and day.day == 1:
        # Excel turns a typed 2018-12 into the date 2018-12-01.
        return day.strftime("%Y-%m"), None
    if info.kind == "month":
        return None, f"应为年月 YYYY-MM，单元格是日期 {day.isoformat()}。"
    return None, f"应为{info.title}，单元格却是日期 {day.isoformat()}。"


def _from_number(raw, info: FieldInfo):
    if isinstance(raw, int | float):
        if info.kind == "integer" and isinstance(raw, float):
            return (int(raw), None) if raw.is_integer() else (None, f"应为整数，现为 {raw}。")
        return raw, None
    number = typed_number(str(raw).replace(",", ""))
    if number is None:
        return None, f"应为数字，不要加单位或文字（现为“{raw}”）。"
    if number == number.to_integral_value():
        return int(number), None
    if info.kind == "integer":
        return None, f"应为整数，现为 {raw}。"
    return float(number), None


def _number_as_text(raw, info: FieldInfo):
    if info.kind in ("date", "month"):
        return None, f"应为日期，写作 YYYY-MM-DD；单元格是数字 {raw}（请把该列设为文本或日期格式）。"
    whole = int(raw) if isinstance(raw, int) or raw.is_integer() else None
    if whole is None:
        return str(raw), None
    if info.text_number and len(str(abs(whole))) > EXACT_DIGITS:
        return None, (
            f"被 Excel 存成了数字（{whole}），超过 {EXACT_DIGITS} 位的数字末几位会丢失：请把该列设为“文本”格式后重新输入。"
        )
    return str(whole), None


def cell_name(row: int, column: int | None) -> str:
    return f"第 {row} 行" + (f" 第 {get_column_letter(column)} 列" if column else "")


def cell_problem(
    file: str, sheet: str, row: int, column: int | None, header: str, code: str, message: str, severity: str = "error"
) -> Problem:
    """A problem located in a workbook: 工作表「…」第 N 行 第 X 列（字段）."""
    where = f"工作表「{sheet}」{cell_name(row, column)}" + (f"（{header}）" if header else "")
    return Problem(file, None, "", where, code, message, severity)
