"""Read a filled-in 困难职工档案表 workbook into household dicts, remembering which cell each value came from."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from generator.editing.xlsx.columns import (
    KEY,
    MAIN_SHEET,
    Column,
    ItemSheet,
    cell_problem,
    from_cell,
    item_sheets,
    main_columns,
    put,
)
from generator.errors import WARNING, Problem, RecordError
from generator.records.schema import join_pointer, split_pointer

IGNORED_SHEETS = ("说明", "填表说明")

Place = tuple[str, int, "int | None", str]  # sheet, row, column, header


@dataclass
class WorkbookHousehold:
    """One household read from the workbook and where each of its values sits."""

    data: dict
    places: dict[str, Place] = field(default_factory=dict)
    anchors: dict[str, Place] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)  # pointers of cells already reported as unreadable

    def locate(self, file: str, problem: Problem) -> Problem:
        """The problem moved from the record's pointer to the workbook cell that holds (or should hold) the value."""
        pointer = problem.pointer
        while True:
            if pointer in self.places:
                sheet, row, column, header = self.places[pointer]
                break
            if pointer in self.anchors:
                sheet, row, column, _ = self.anchors[pointer]
                header = problem.field
                break
            if not pointer:
                sheet, row, column, header = MAIN_SHEET, 0, None, problem.field
                break
            pointer = join_pointer(split_pointer(pointer)[:-1])
        return cell_problem(file, sheet, row, column, header, problem.code, problem.message, problem.severity)


def read_workbook(path: Path, file: str) -> tuple[list[WorkbookHousehold], list[Problem]]:
    """Every household of the workbook (national layout: sheet 困难职工 plus a sheet per list; or one sheet each)."""
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise RecordError(
            f"无法读取表格 {file}：不是有效的 .xlsx 文件（{type(exc).__name__}）。请用 Excel 或 WPS 另存为 .xlsx 后再导入。"
        ) from None
    try:
        sheets = {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    finally:
        book.close()
    if MAIN_SHEET in sheets:
        return _read_rows(sheets, file)
    return _read_sheets(sheets, file)


def _headers(rows, sheet: str, columns, file: str, problems: list[Problem], at: int = 1) -> dict[int, Column]:
    """Column number → column, from the header row rows[0] (row `at` of the sheet)."""
    by_header = {c.header: c for c in columns}
    found: dict[int, Column] = {}
    seen: dict[str, int] = {}
    for index, text in enumerate(rows[0] if rows else (), 1):
        if text is None or not str(text).strip():
            continue
        name = str(text).strip()
        if name not in by_header:
            problems.append(cell_problem(file, sheet, at, index, name, "unknown-column", f"表头「{name}」不是档案表的栏目。"))
        elif name in seen:
            problems.append(cell_problem(file, sheet, at, index, name, "duplicate-column", f"表头「{name}」重复。"))
        else:
            seen[name] = index
            found[index] = by_header[name]
    return found


def _fill(
    target: dict,
    base: str,
    columns: dict[int, Column],
    row: tuple,
    where: tuple[str, int],
    file: str,
    household: WorkbookHousehold,
    problems: list[Problem],
) -> None:
    sheet, number = where
    for index, column in columns.items():
        pointer = base + join_pointer(column.keys)
        household.places[pointer] = (sheet, number, index, column.header)
        raw = row[index - 1] if index - 1 < len(row) else None
        value, message = from_cell(raw, column.info)
        if message:
            problems.append(cell_problem(file, sheet, number, index, column.header, "cell", message))
            household.unreadable.add(pointer)
        elif value is not None:
            put(target, column.keys, value)


def _blank(row: tuple) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _read_rows(sheets: dict, file: str) -> tuple[list[WorkbookHousehold], list[Problem]]:
    problems: list[Problem] = []
    rows = sheets[MAIN_SHEET]
    columns = _headers(rows, MAIN_SHEET, main_columns(), file, problems)
    key_column = next((i for i, c in columns.items() if c.keys == (KEY,)), None)
    if key_column is None:
        raise RecordError(f"表格 {file} 的工作表「{MAIN_SHEET}」第 1 行没有「{KEY}」列，无法导入。", problems)
    households: dict[str, WorkbookHousehold] = {}
    order: list[WorkbookHousehold] = []
    for number, row in enumerate(rows[1:], 2):
        if _blank(row):
            continue
        household = WorkbookHousehold({})
        household.anchors[""] = (MAIN_SHEET, number, None, "")
        _fill(household.data, "", columns, row, (MAIN_SHEET, number), file, household, problems)
        key = household.data.get(KEY)
        order.append(household)
        if not isinstance(key, str):
            problems.append(cell_problem(file, MAIN_SHEET, number, key_column, KEY, "required", f"缺少{KEY}。"))
        elif key in households:
            first = households[key].anchors[""][1]
            problems.append(
                cell_problem(file, MAIN_SHEET, number, key_column, KEY, "duplicate-row", f"{KEY} {key} 与第 {first} 行重复。")
            )
        else:
            households[key] = household
    for item_sheet in item_sheets():
        if item_sheet.title in sheets:
            _read_items(sheets[item_sheet.title], item_sheet, households, file, problems)
    known = {MAIN_SHEET, *(s.title for s in item_sheets()), *IGNORED_SHEETS}
    for name in sheets:
        if name not in known:
            problems.append(cell_problem(file, name, 1, None, "", "unknown-sheet", "不是档案表的工作表，已忽略。", WARNING))
    return order, problems


def _read_items(
    rows, item_sheet: ItemSheet, households: dict[str, WorkbookHousehold], file: str, problems: list[Problem]
) -> None:
    key_column = next(c for c in main_columns() if c.keys == (KEY,))
    columns = _headers(rows, item_sheet.title, (key_column, *item_sheet.columns), file, problems)
    where_key = next((i for i, c in columns.items() if c is key_column), None)
    if where_key is None:
        problems.append(cell_problem(file, item_sheet.title, 1, None, KEY, "required", f"第 1 行没有「{KEY}」列，无法对应到户。"))
        return
    del columns[where_key]
    for number, row in enumerate(rows[1:], 2):
        if _blank(row):
            continue
        key, _ = from_cell(row[where_key - 1] if where_key - 1 < len(row) else None, key_column.info)
        household = households.get(key) if isinstance(key, str) else None
        if household is None:
            problems.append(
                cell_problem(
                    file,
                    item_sheet.title,
                    number,
                    where_key,
                    KEY,
                    "unknown-household",
                    f"{KEY} {key or '（空）'} 不在工作表「{MAIN_SHEET}」中。",
                )
            )
            continue
        items = household.data.setdefault(item_sheet.key, [])
        base = join_pointer((item_sheet.key, len(items)))
        household.anchors[base] = (item_sheet.title, number, None, "")
        item: dict = {}
        _fill(item, base, columns, row, (item_sheet.title, number), file, household, problems)
        items.append(item)


def _read_sheets(sheets: dict, file: str) -> tuple[list[WorkbookHousehold], list[Problem]]:
    """One household per sheet: 栏目 | 内容 rows, each list as a titled table ending at a blank row."""
    problems: list[Problem] = []
    by_header = {c.header: c for c in main_columns()}
    by_title = {s.title: s for s in item_sheets()}
    order = []
    for name, rows in sheets.items():
        if name in IGNORED_SHEETS or not rows or all(_blank(r) for r in rows):
            continue
        household = WorkbookHousehold({})
        household.anchors[""] = (name, 1, None, "")
        number = 0
        while number < len(rows):
            row = rows[number]
            number += 1
            if _blank(row):
                continue
            label = str(row[0]).strip() if row[0] is not None else ""
            if label in by_title and _blank(row[1:]):
                number = _sheet_items(rows, number, name, by_title[label], household, file, problems)
            elif label in by_header:
                _fill(household.data, "", {2: by_header[label]}, row, (name, number), file, household, problems)
            else:
                problems.append(cell_problem(file, name, number, 1, label, "unknown-column", f"「{label}」不是档案表的栏目。"))
        order.append(household)
    if not order:
        raise RecordError(f"表格 {file} 中没有档案：应有工作表「{MAIN_SHEET}」（一行一户），或每户一个工作表（栏目 | 内容）。")
    return order, problems


def _sheet_items(
    rows, number: int, name: str, item_sheet: ItemSheet, household: WorkbookHousehold, file: str, problems: list[Problem]
) -> int:
    """Read a titled table starting after row `number`; return the number of the row that ends it."""
    columns = _headers(rows[number:], name, item_sheet.columns, file, problems, number + 1) if number < len(rows) else {}
    items = household.data.setdefault(item_sheet.key, [])
    number += 1
    while number < len(rows) and not _blank(rows[number]):
        base = join_pointer((item_sheet.key, len(items)))
        household.anchors[base] = (name, number + 1, None, "")
        item: dict = {}
        _fill(item, base, columns, rows[number], (name, number + 1), file, household, problems)
        items.append(item)
        number += 1
    return number
