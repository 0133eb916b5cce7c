"""Worksheets that go out to be filled in (spot checks, annual verification) and come back as outcomes."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from generator.editing.xlsx.columns import KEY, cell_problem, from_cell, safe_cell
from generator.errors import Problem, RecordError
from generator.records.schema import FieldInfo, field_map

NOTES_SHEET = "说明"
_HEAD = PatternFill("solid", fgColor="DDEBF7")
_TO_FILL = PatternFill("solid", fgColor="FFF2CC")


@dataclass(frozen=True)
class Blank:
    """A column to fill in: its header and the schema field that says what it may hold."""

    header: str
    info: FieldInfo


def blanks_of(list_pointer: str, extra: dict[str, str] | None = None) -> list[Blank]:
    """The fields of a list of the form (e.g. /抽查复核) as columns to fill, plus extra header → field pointer."""
    infos = [f for p, f in field_map().items() if p.startswith(f"{list_pointer}/*/") and p.count("/") == 3]
    out = [Blank(f.title, f) for f in infos]
    out += [Blank(header, field_map()[pointer]) for header, pointer in (extra or {}).items()]
    return out


def worksheet_bytes(title: str, headers: list[str], rows: list[list], blanks: list[Blank], notes: list[tuple[str, str]]) -> bytes:
    """A workbook: the rows with empty, highlighted columns to fill (with drop-downs for choices), and a notes sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(headers + [b.header for b in blanks])
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), _HEAD
    for row in rows:
        sheet.append([safe_cell(sheet, value) for value in row])
    last = max(len(rows) + 1, 2)
    for offset, blank in enumerate(blanks, len(headers) + 1):
        letter = get_column_letter(offset)
        for number in range(2, last + 1):
            sheet[f"{letter}{number}"].fill = _TO_FILL
            sheet[f"{letter}{number}"].number_format = "yyyy-mm-dd" if blank.info.kind == "date" else "@"
        if blank.info.enum:
            rule = DataValidation(type="list", formula1='"' + ",".join(blank.info.enum) + '"', allow_blank=True)
            rule.add(f"{letter}2:{letter}{last}")
            sheet.add_data_validation(rule)
    for index, header in enumerate(sheet[1], 1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, 2 * len(str(header.value)) + 4))
    sheet.freeze_panes = "B2"
    info = book.create_sheet(NOTES_SHEET)
    for label, value in notes:
        info.append([safe_cell(info, label), safe_cell(info, value)])
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@dataclass
class FilledRow:
    """One row that came back with something filled in: its number, 职工编号 and the converted values."""

    row: int
    number: str | None
    values: dict[str, object]
    columns: dict[str, int]  # header → 1-based column number


def read_filled(path: Path, title: str, blanks: list[Blank]) -> tuple[list[FilledRow], list[Problem]]:
    """The rows with any column to fill filled in; every unreadable cell becomes a located problem."""
    file = path.name
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise RecordError(f"无法读取表格 {file}：不是有效的 .xlsx 文件（{type(exc).__name__}）。") from None
    try:
        if title not in book.sheetnames:
            raise RecordError(f"表格 {file} 中没有工作表「{title}」：请使用 bangfu 生成的表格填写。")
        rows = [tuple(r) for r in book[title].iter_rows(values_only=True)]
    finally:
        book.close()
    headers = {str(v).strip(): i for i, v in enumerate(rows[0] if rows else ()) if v is not None}
    absent = [h for h in [KEY, *(b.header for b in blanks)] if h not in headers]
    if absent:
        raise RecordError(f"表格 {file} 的工作表「{title}」第 1 行缺少列：{'、'.join(absent)}。")
    filled: list[FilledRow] = []
    problems: list[Problem] = []
    for number, row in enumerate(rows[1:], 2):
        cells = {h: (row[i] if i < len(row) else None) for h, i in headers.items()}
        if all(
            cells[b.header] in (None, "") or (isinstance(cells[b.header], str) and not cells[b.header].strip()) for b in blanks
        ):
            continue
        values = {}
        for blank in blanks:
            value, message = from_cell(cells[blank.header], blank.info)
            if message:
                problems.append(cell_problem(file, title, number, headers[blank.header] + 1, blank.header, "cell", message))
            elif value is not None:
                values[blank.header] = value
        key = cells[KEY]
        columns = {h: i + 1 for h, i in headers.items()}
        filled.append(FilledRow(number, str(key).strip() if key is not None else None, values, columns))
    return filled, problems


def required_missing(file: str, title: str, row: FilledRow, blanks: list[Blank]) -> list[Problem]:
    """A problem for each required column left empty in a row that was otherwise filled in."""
    return [
        cell_problem(
            file, title, row.row, row.columns.get(b.header), b.header, "required", f"已填写结果的行须填写「{b.header}」。"
        )
        for b in blanks
        if b.info.required and b.header not in row.values
    ]


def row_problem(file: str, title: str, row: FilledRow, problem: Problem) -> Problem:
    """A record's problem reported at the worksheet row it came from."""
    name = problem.field.rsplit(".", 1)[-1]
    column = row.columns.get(name)
    return cell_problem(
        file, title, row.row, column, name if column else problem.field, problem.code, problem.message, problem.severity
    )
