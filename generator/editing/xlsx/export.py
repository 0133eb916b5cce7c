"""Export households to a workbook in the national system's column order (the order of the form)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from generator.clitext import width
from generator.editing.xlsx.columns import (
    JOIN,
    KEY,
    MAIN_SHEET,
    Column,
    ItemSheet,
    get,
    item_sheets,
    main_columns,
    safe_cell,
    to_cell,
)

ROWS, SHEETS = "一行一户", "一表一户"
LAYOUTS = (ROWS, SHEETS)
NOTES_SHEET = "说明"
MONEY_UNIT, MONEY_FORMAT = "元", "0.00"
_HEAD_FONT = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")


def workbook_bytes(households: list[dict], layout: str = ROWS, notes: list[tuple[str, str]] | None = None) -> bytes:
    """The households as .xlsx bytes: one row per household (and a sheet per list), or one sheet per household.

    notes: (项目, 内容) rows of a last sheet 说明 (what was exported: commit, branch, date); import skips it.
    """
    book = Workbook(write_only=True)
    if layout == SHEETS:
        for data in households:
            _household_sheet(book, data)
    else:
        _rows_sheet(book, MAIN_SHEET, main_columns(), [[(data, c) for c in main_columns()] for data in households])
        for sheet in item_sheets():
            rows = []
            for data in households:
                for item in data.get(sheet.key) or []:
                    rows.append([(data, _key_column()), *[(item, c) for c in sheet.columns]])
            _rows_sheet(book, sheet.title, (_key_column(), *sheet.columns), rows)
    if notes:
        sheet = book.create_sheet(NOTES_SHEET)
        sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 16, 80
        for label, text in notes:
            sheet.append([_head(sheet, label), safe_cell(sheet, text, "@")])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _key_column() -> Column:
    return next(c for c in main_columns() if c.keys == (KEY,))


def _cell(sheet, value, column: Column):
    """A plain value where the default format shows it right; a formatted cell for dates, digit strings and money."""
    content, fmt = to_cell(value, column.info)
    if fmt is None and column.info.unit == MONEY_UNIT and isinstance(content, int | float) and not isinstance(content, bool):
        fmt = MONEY_FORMAT  # shown as 1250.00; the cell keeps the number itself, so import reads it back unchanged
    return safe_cell(sheet, content, None if fmt == "@" and not column.info.text_number else fmt)


def _widths(sheet, columns, rows) -> None:
    """Each column as wide as its header or its widest value (in display columns: a CJK character takes two)."""
    for index, column in enumerate(columns):
        shown = [width(column.header)]
        for row in rows:
            source, c = row[index]
            value = get(source, c.keys)
            if value is not None:
                shown.append(width(_shown(value, c)))
        sheet.column_dimensions[get_column_letter(index + 1)].width = max(8, min(50, max(shown) + 2))


def _shown(value, column: Column) -> str:
    """The text a cell shows for a value (dates as YYYY-MM-DD, money with two decimals)."""
    if isinstance(value, list):
        return JOIN.join(map(str, value))
    if column.info.unit == MONEY_UNIT and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.2f}"
    return max(str(value).split("\n"), key=width)


def _head(sheet, text: str):
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # a title is text, whatever it starts with
    cell.font, cell.fill = _HEAD_FONT, _HEAD_FILL
    return cell


def _rows_sheet(book, title: str, columns, rows) -> None:
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "B2"
    _widths(sheet, columns, rows)
    sheet.append([_head(sheet, c.header) for c in columns])
    for row in rows:
        sheet.append([None if get(source, c.keys) is None else _cell(sheet, get(source, c.keys), c) for source, c in row])


def _household_sheet(book, data: dict) -> None:
    """The 档案表 of one household: 栏目 | 内容 rows, then each list as a small table under its title."""
    sheet = book.create_sheet(str(data.get(KEY) or f"第{len(book.worksheets) + 1}户"))
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 40
    for column in main_columns():
        value = get(data, column.keys)
        if value is not None:
            sheet.append([_head(sheet, column.header), _cell(sheet, value, column)])
    for item_sheet in item_sheets():
        items = data.get(item_sheet.key) or []
        if items:
            _item_block(sheet, item_sheet, items)


def _item_block(sheet, item_sheet: ItemSheet, items: list[dict]) -> None:
    used = [c for c in item_sheet.columns if any(get(item, c.keys) is not None for item in items)]
    sheet.append([])
    sheet.append([_head(sheet, item_sheet.title)])
    sheet.append([_head(sheet, c.header) for c in used])
    for item in items:
        sheet.append([None if get(item, c.keys) is None else _cell(sheet, get(item, c.keys), c) for c in used])
