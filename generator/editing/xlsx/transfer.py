"""Households in and out of Excel: export in the national system's order, import with every bad cell named."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from generator.editing.store import Archive, check_scope, record_path
from generator.editing.xlsx.columns import KEY, cell_problem
from generator.editing.xlsx.export import LAYOUTS, ROWS, workbook_bytes
from generator.editing.xlsx.read import Household, read_workbook
from generator.errors import Problem, RecordError, UsageError
from generator.rules.regions import regions
from generator.validation.validate import validate

REGION = "所属地区"
EXPORT_DIR = "导出"


@dataclass
class ExportResult:
    path: Path
    count: int


@dataclass
class ImportResult:
    """Paths created, updated and left unchanged, and the warnings found on the way."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def export_archive(root: Path, scope: str | None = None, out: Path | None = None, layout: str = ROWS,
                   statuses: tuple[str, ...] = ()) -> ExportResult:
    """Write the households in scope (optionally of some statuses) to a workbook; refuse if any of them has an error."""
    if layout not in LAYOUTS:
        raise UsageError(f"版式应为{'或'.join(LAYOUTS)}。")
    if scope is not None:
        check_scope(scope)
    archive = Archive.open(root)
    if archive.unreadable:
        raise RecordError("有档案无法读取，未导出：", archive.unreadable)
    chosen = [r for r in archive.in_scope(scope) if not statuses or r.data.get("状态") in statuses]
    if not chosen:
        raise RecordError("所选范围内没有档案，未导出。")
    errors = [p for p in validate(chosen, archive.ctx) if p.is_error]
    if errors:
        raise RecordError(f"所选档案有 {len(errors)} 个错误，改正后才能导出上报：", errors)
    target = out or root / EXPORT_DIR / f"困难职工档案-{scope or regions().province}.xlsx"
    archive.attach(target, workbook_bytes([r.data for r in chosen], layout))
    archive.write()
    return ExportResult(target, len(chosen))


def import_archive(root: Path, file: Path, *, update: bool = False) -> ImportResult:
    """Turn a filled-in workbook into records; nothing is written if any cell or record is wrong."""
    shown = file.name
    households, problems = read_workbook(file, shown)
    archive = Archive.open(root)
    existing = {r.path: r for r in archive.records}
    result = ImportResult()
    by_path: dict[str, Household] = {}
    for household in households:
        number = household.data.get(KEY)
        if not isinstance(number, str) or not number:
            continue
        path = record_path(_county(household.data, number), number)
        if path in by_path:
            continue  # the duplicate row is reported by the reader
        by_path[path] = household
        old = existing.get(path)
        if old is not None and old.data == household.data:
            result.unchanged.append(path)
            continue
        if old is not None and not update:
            sheet, row, column, _ = household.places.get(f"/{KEY}", household.anchors[""])
            problems.append(cell_problem(shown, sheet, row, column, KEY, "exists",
                                         f"档案 {path} 已存在；要用表格内容覆盖，请加 --update。"))
            continue
        archive.add(path, household.data)
        (result.updated if old is not None else result.created).append(path)
    for problem in archive.validate():
        household = by_path.get(problem.path)
        if household is None:
            problems.append(problem)
        elif problem.pointer not in household.unreadable:  # an unreadable cell is reported once, not again as missing
            problems.append(household.locate(shown, problem))
    errors = [p for p in problems if p.is_error]
    if errors:
        raise RecordError(f"表格 {shown} 有 {len(errors)} 处错误，未写入任何档案：", errors)
    result.warnings = [p for p in problems if not p.is_error]
    archive.write()
    return result


def _county(data: dict, number: str) -> str:
    region = data.get(REGION)
    return region if isinstance(region, str) and regions().is_county(region) else number[:6]
