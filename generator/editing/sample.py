"""`bangfu sample`: a reproducible random sample for the province's or city's spot checks (抽查复核), and its outcomes."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from generator.access.privacy import mask_name
from generator.clock import today
from generator.editing.store import RecordStore, check_scope
from generator.editing.worksheet import blanks_of, read_filled, required_missing, row_problem, worksheet_bytes
from generator.editing.xlsx.columns import cell_problem
from generator.errors import Problem, RecordError, UsageError
from generator.rules.regions import regions
from generator.validation.lifecycle import ACTIVE

SHEET = "抽查复核"
SAMPLE_DIR = "抽查复核"
LIST = "/抽查复核"
HEADERS = ["职工编号", "所属地区", "姓名", "工作单位", "困难类别", "帮扶责任人"]


@dataclass
class SampleResult:
    population: int
    chosen: list[str]
    path: Path


@dataclass
class SpotCheckResult:
    recorded: list[str] = field(default_factory=list)
    already: int = 0


def draw_sample(root: Path, scope: str, percent: Decimal, seed: str, out: Path | None = None) -> SampleResult:
    """Draw ⌈percent × households being helped⌉ households of scope; the same archive, scope and seed give the same draw."""
    check_scope(scope)
    if not 0 < percent <= 100:
        raise UsageError(f"抽查比例应在 0 到 100 之间（现为 {percent}）。")
    archive = RecordStore.open(root)
    population = sorted((r for r in archive.in_scope(scope) if r.data.get("状态") == ACTIVE), key=lambda r: r.data["职工编号"])
    if not population:
        raise RecordError(f"{regions().full_name(scope)}没有帮扶中的档案，无从抽查。")
    size = math.ceil(len(population) * percent / 100)
    # A string seed is hashed the same way on every machine and Python 3 version.
    chosen = sorted(random.Random(f"bangfu-sample:{seed}").sample(population, size), key=lambda r: r.data["职工编号"])
    table = regions()
    rows = [
        [
            r.data["职工编号"],
            table.name(r.county),
            mask_name(r.data.get("姓名", "")),
            r.data.get("工作单位", ""),
            r.data.get("困难类别", ""),
            (r.data.get("帮扶责任人") or {}).get("姓名", ""),
        ]
        for r in chosen
    ]
    notes = [
        ("抽查范围", f"{table.full_name(scope)}（{scope}）"),
        ("抽查比例", f"{percent}%"),
        ("随机种子", str(seed)),
        ("帮扶中档案", f"{len(population)} 户"),
        ("抽中", f"{size} 户"),
        ("抽样日期", today().isoformat()),
        ("复现", f"bangfu sample --region {scope} --percent {percent} --seed {seed}（档案不变时抽出同一批户）"),
        ("填写", "在黄色列填写复核结果；填好后运行 bangfu sample --record 本文件，结果记入各户档案的「抽查复核」。"),
    ]
    target = out or root / SAMPLE_DIR / f"抽查复核-{scope}-{seed}.xlsx"
    archive.attach(target, worksheet_bytes(SHEET, HEADERS, rows, blanks_of(LIST), notes))
    archive.write()
    return SampleResult(len(population), [r.path for r in chosen], target)


def record_spot_checks(root: Path, file: Path) -> SpotCheckResult:
    """Add each filled-in row of a spot-check sheet to the household's 抽查复核; all or nothing, re-runs add nothing twice."""
    blanks = blanks_of(LIST)
    rows, problems = read_filled(file, SHEET, blanks)
    archive = RecordStore.open(root)
    numbers = archive.by_number()
    result = SpotCheckResult()
    origin: dict[str, object] = {}
    for row in rows:
        problems += required_missing(file.name, SHEET, row, blanks)
        record = numbers.get(row.number)
        if record is None:
            problems.append(
                cell_problem(
                    file.name,
                    SHEET,
                    row.row,
                    row.columns.get("职工编号"),
                    "职工编号",
                    "unknown-household",
                    f"找不到职工编号为 {row.number} 的档案。",
                )
            )
            continue
        entry = {b.info.pointer.rsplit("/", 1)[1]: row.values[b.header] for b in blanks if b.header in row.values}
        if entry in (record.data.get("抽查复核") or []):
            result.already += 1
            continue
        archive.edit(record).setdefault("抽查复核", []).append(entry)
        origin[record.path] = row
    problems += [row_problem(file.name, SHEET, origin[p.path], p) if p.path in origin else p for p in archive.validate()]
    errors: list[Problem] = [p for p in problems if p.is_error]
    if errors:
        raise RecordError(f"表格 {file.name} 有 {len(errors)} 处错误，未写入任何档案：", errors)
    result.recorded = archive.write()
    return result
