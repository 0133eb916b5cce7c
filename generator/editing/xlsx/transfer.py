"""Households in and out of Excel: export in the national system's order, import with every bad cell named."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from generator.clock import today
from generator.editing.store import RecordStore, check_scope, record_path
from generator.editing.xlsx.columns import KEY, cell_problem
from generator.editing.xlsx.export import LAYOUTS, ROWS, workbook_bytes
from generator.editing.xlsx.read import WorkbookHousehold, read_workbook
from generator.errors import Problem, RecordError, UsageError
from generator.rules.regions import regions
from generator.validation.validate import validate

REGION = "所属地区"
EXPORT_DIR = "导出"


MAIN_REF = "refs/heads/main"


@dataclass
class Source:
    """Which version of the archive an export holds: the commit checked out, its branch, and edits not committed."""

    commit: str | None = None  # None: the archive is not in a git repository (or has no commit yet)
    ref: str | None = None  # full ref name of the checked-out branch; None when HEAD is detached
    on_main: bool = False  # HEAD is refs/heads/main's commit
    uncommitted: list[str] = field(default_factory=list)  # record files that differ from the commit

    def describe(self) -> str:
        if self.commit is None:
            return "档案库不在 git 仓库中（或还没有提交），无法说明导出的是哪个版本"
        where = self.ref or "分离的 HEAD（不在任何分支上）"
        return f"提交 {self.commit}（{where}）"

    def warnings(self) -> list[str]:
        out = []
        if self.commit is not None and not self.on_main:
            out.append(
                f"导出的不是 {MAIN_REF} 上的档案（当前为 {self.ref or '分离的 HEAD'}）："
                "其中可能有尚未合并、未经审批的修改，不宜上报。"
            )
        if self.uncommitted:
            out.append(
                f"records/ 下有 {len(self.uncommitted)} 个文件有未提交的修改，导出的是工作区中的内容，"
                f"与提交 {self.commit[:8] if self.commit else ''} 不同：{'、'.join(self.uncommitted[:5])}"
                f"{' 等' if len(self.uncommitted) > 5 else ''}。"
            )
        return out


def source_of(root: Path) -> Source:
    """The commit, branch and uncommitted record files of the working tree an export reads (full ref names)."""
    from generator.history.git import open_archive  # only export needs git

    archive = open_archive(root)
    if archive is None or archive.bare:
        return Source()
    head = archive.git("rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False).strip()
    if not head:
        return Source()
    main = archive.git("rev-parse", "--verify", "--quiet", f"{MAIN_REF}^{{commit}}", check=False).strip()
    ref = archive.git("symbolic-ref", "--quiet", "HEAD", check=False).strip() or None
    status = archive.git(
        "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", f":(top){archive.prefix}records/", check=False
    )
    changed = sorted({entry[3:] for entry in status.split("\0") if len(entry) > 3 and entry[2] == " "})
    prefix = archive.prefix
    return Source(head, ref, head == main, [c[len(prefix) :] if c.startswith(prefix) else c for c in changed])


@dataclass
class ExportResult:
    path: Path
    count: int
    source: Source = field(default_factory=Source)


@dataclass
class ImportResult:
    """Paths created, updated and left unchanged, and the warnings found on the way."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def export_archive(
    root: Path, scope: str | None = None, out: Path | None = None, layout: str = ROWS, statuses: tuple[str, ...] = ()
) -> ExportResult:
    """Write the households in scope (optionally of some statuses) to a workbook; refuse if any of them has an error."""
    if layout not in LAYOUTS:
        raise UsageError(f"版式应为{'或'.join(LAYOUTS)}。")
    if scope is not None:
        check_scope(scope)
    archive = RecordStore.open(root)
    if archive.unreadable:
        raise RecordError("有档案无法读取，未导出：", archive.unreadable)
    chosen = [r for r in archive.in_scope(scope) if not statuses or r.data.get("状态") in statuses]
    if not chosen:
        raise RecordError("所选范围内没有档案，未导出。")
    errors = [p for p in validate(chosen, archive.ctx) if p.is_error]
    if errors:
        raise RecordError(f"所选档案有 {len(errors)} 个错误，改正后才能导出上报：", errors)
    target = out or root / EXPORT_DIR / f"困难职工档案-{scope or regions().province}.xlsx"
    source = source_of(root)
    notes = [
        ("导出内容", source.describe()),
        ("导出日期", today().isoformat()),
        ("范围", scope or regions().province),
        ("状态", "、".join(statuses) or "全部"),
        ("户数", str(len(chosen))),
        *(("注意", warning) for warning in source.warnings()),
    ]
    archive.attach(target, workbook_bytes([r.data for r in chosen], layout, notes))
    archive.write()
    return ExportResult(target, len(chosen), source)


def import_archive(root: Path, file: Path, *, update: bool = False) -> ImportResult:
    """Turn a filled-in workbook into records; nothing is written if any cell or record is wrong."""
    shown = file.name
    households, problems = read_workbook(file, shown)
    archive = RecordStore.open(root)
    existing = {r.path: r for r in archive.records}
    result = ImportResult()
    by_path: dict[str, WorkbookHousehold] = {}
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
            problems.append(
                cell_problem(shown, sheet, row, column, KEY, "exists", f"档案 {path} 已存在；要用表格内容覆盖，请加 --update。")
            )
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
