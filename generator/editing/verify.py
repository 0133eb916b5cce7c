"""`bangfu verify`: the annual verification (by 31 October): who is due, what each lacks, and the outcomes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

from generator.access.privacy import mask_name
from generator.editing.store import RecordStore, check_scope
from generator.editing.worksheet import Blank, blanks_of, read_filled, required_missing, row_problem, worksheet_bytes
from generator.editing.xlsx.columns import cell_problem
from generator.errors import Problem, RecordError, UsageError
from generator.records.load import Record
from generator.records.schema import field_map
from generator.rules.regions import regions
from generator.validation.lifecycle import (
    ACTIVE,
    CANCELLED,
    RELIEF_REASON,
    REVIEW_CANCEL,
    REVIEW_KEEP,
    REVIEW_RELIEVE,
    REVIEW_STATUS,
    parse_date,
    review_deadline,
)

SHEET = "年度核查"
LIST = "/年度核查"
VERIFY_DIR = "年度核查"
REASON = "退出原因"
HEADERS = ["职工编号", "所属地区", "姓名", "帮扶责任人", "待核实事项"]
OUTCOMES = (REVIEW_KEEP, REVIEW_RELIEVE, REVIEW_CANCEL)


@dataclass
class Due:
    """A household due for verification and what it lacks."""

    record: Record
    lacks: list[str]


@dataclass
class Outcome:
    """The outcome of one household's verification, as given on the command line or in a worksheet row."""

    number: str
    result: str
    date: dt.date
    by: str
    reason: str | None = None
    note: str | None = None
    row: object = None  # the worksheet row it came from, to place problems


@dataclass
class VerifyResult:
    recorded: list[str] = field(default_factory=list)


def established(data: dict) -> dt.date | None:
    """The day the household entered the archive: its approval, else its 确定时间."""
    return parse_date((data.get("审批") or {}).get("审批日期")) or parse_date(data.get("确定时间"))


def due_for(root: Path, year: int, scope: str | None = None) -> list[Due]:
    """Households being helped, established before `year`, without a verification for `year`, with what each lacks."""
    if scope:
        check_scope(scope)
    archive = RecordStore.open(root)
    out = []
    for record in archive.in_scope(scope):
        data = record.data
        start = established(data)
        done = any(r.get("年度") == year for r in data.get("年度核查") or [])
        if data.get("状态") == ACTIVE and start and start.year < year and not done:
            lacks = _lacks(data, year)
            errors = archive.errors_of(record)
            if errors:
                lacks.append(f"档案有 {len(errors)} 个错误，须先改正")
            out.append(Due(record, lacks))
    return out


def _lacks(data: dict, year: int) -> list[str]:
    """What the verifier must look at, from what the record shows as of 31 October of `year`."""
    deadline = review_deadline(year)
    out = []
    card_end = parse_date((data.get("低保证") or {}).get("有效期止"))
    if data.get("困难类别") == "低保户" and card_end and card_end < deadline:
        out.append(f"低保证 {card_end.isoformat()} 到期，核实是否续办")
    migrant = data.get("农民工") or {}
    contract_end = parse_date(migrant.get("劳动合同期限止"))
    if contract_end and contract_end < deadline:
        out.append(f"劳动合同 {contract_end.isoformat()} 到期，核实劳动关系")
    paid = migrant.get("会费缴至")
    if isinstance(paid, str) and paid < f"{year}-09":
        out.append(f"会费只缴至 {paid}")
    target = data.get("帮扶任务完成时限")
    if isinstance(target, str) and target <= f"{year}-{deadline.month:02d}":
        out.append(f"帮扶任务完成时限 {target} 已到，评估是否解困脱困")
    if not any(str(e.get("日期", "")).startswith(str(year)) for e in data.get("帮扶台账") or []):
        out.append(f"{year} 年没有帮扶台账记录")
    checks = data.get("抽查复核") or []
    if checks and max(checks, key=lambda c: str(c.get("日期")))["结果"] != "属实":
        out.append("最近一次抽查复核结果待整改")
    return out


def worklist(root: Path, year: int, scope: str | None, out: Path | None, today: dt.date) -> tuple[Path | None, int]:
    """A worksheet of the households due, with columns for the verifier to fill in; (None, 0) when none is due."""
    due = due_for(root, year, scope)
    if not due:
        return None, 0  # nothing to verify is not an error: the caller says so and writes no sheet
    table = regions()
    rows = [
        [
            d.record.data["职工编号"],
            table.name(d.record.county),
            mask_name(d.record.data.get("姓名", "")),
            (d.record.data.get("帮扶责任人") or {}).get("姓名", ""),
            "；".join(d.lacks),
        ]
        for d in due
    ]
    notes = [
        ("年度", str(year)),
        ("截止日期", review_deadline(year).isoformat()),
        ("生成日期", today.isoformat()),
        (
            "填写",
            f"在黄色列填写核查日期、核查人和结果（{'、'.join(OUTCOMES)}）；注销须填退出原因。"
            f"填好后运行 bangfu verify --year {year} --from 本文件。",
        ),
    ]
    target = out or root / VERIFY_DIR / f"年度核查-{year}-{scope or table.province}.xlsx"
    archive = RecordStore.open(root)
    archive.attach(target, worksheet_bytes(SHEET, HEADERS, rows, _blanks(), notes))
    archive.write()
    return target, len(due)


def _blanks() -> list[Blank]:
    """核查日期, 核查人, 结果, 说明 of 年度核查 (the year is the command's), and the exit reason a cancellation needs."""
    out = [b for b in blanks_of(LIST, {REASON: "/退出/原因"}) if b.info.pointer != "/年度核查/*/年度"]
    return [Blank(b.header, replace(b.info, required=False)) if b.header == REASON else b for b in out]


def parse_outcome(text: str, date: dt.date, by: str, note: str | None) -> Outcome:
    """职工编号=结果[:退出原因], e.g. 4601050001=保留, 4601050002=注销:死亡."""
    number, sep, rest = text.partition("=")
    result, _, reason = rest.partition(":") if ":" in rest else rest.partition("：")
    if not sep or result.strip() not in OUTCOMES:
        raise UsageError(
            f"“{text}”写法不对：应为 职工编号=结果[:退出原因]，结果为{'、'.join(OUTCOMES)}，例如 4601050003=注销:死亡。"
        )
    return Outcome(number.strip(), result.strip(), date, by, reason.strip() or None, note)


def outcomes_from(file: Path) -> tuple[list[Outcome], list[Problem]]:
    """The outcomes filled into a verification worksheet."""
    blanks = _blanks()
    rows, problems = read_filled(file, SHEET, blanks)
    out = []
    for row in rows:
        missing = required_missing(file.name, SHEET, row, blanks)
        problems += missing
        if missing:
            continue
        date = parse_date(row.values["核查日期"])
        if date is None:
            problems.append(
                cell_problem(
                    file.name, SHEET, row.row, row.columns.get("核查日期"), "核查日期", "date", "核查日期应写作 YYYY-MM-DD。"
                )
            )
            continue
        out.append(
            Outcome(
                row.number or "",
                str(row.values["结果"]),
                date,
                str(row.values["核查人"]),
                row.values.get(REASON),
                row.values.get("说明"),
                row,
            )
        )
    return out, problems


def record_outcomes(
    root: Path, year: int, outcomes: list[Outcome], file: Path | None = None, problems: list[Problem] | None = None
) -> VerifyResult:
    """Append each outcome to 年度核查 (解困脱困 / 注销 also set 状态 and 退出); all or nothing."""
    problems = list(problems or [])
    archive = RecordStore.open(root)
    numbers = archive.by_number()
    reasons = field_map()["/退出/原因"].enum
    origin: dict[str, Outcome] = {}
    for outcome in outcomes:
        record = numbers.get(outcome.number)
        trouble = _refuse(outcome, record, year, reasons)
        if trouble:
            problems.append(_where(file, outcome, trouble, record))
            continue
        data = archive.edit(record)
        entry = {"年度": year, "核查日期": outcome.date.isoformat(), "核查人": outcome.by, "结果": outcome.result}
        if outcome.note:
            entry["说明"] = outcome.note
        data.setdefault("年度核查", []).append(entry)
        if outcome.result in REVIEW_STATUS:
            data["状态"] = REVIEW_STATUS[outcome.result]
            leave = {"日期": outcome.date.isoformat(), "原因": outcome.reason or RELIEF_REASON}
            if outcome.note:
                leave["说明"] = outcome.note
            data["退出"] = leave
        origin[record.path] = outcome
    for problem in archive.validate():
        outcome = origin.get(problem.path)
        problems.append(row_problem(file.name, SHEET, outcome.row, problem) if file and outcome and outcome.row else problem)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise RecordError(f"有 {len(errors)} 个错误，未写入任何档案：", errors)
    return VerifyResult(archive.write())


def _refuse(outcome: Outcome, record: Record | None, year: int, reasons: tuple) -> str:
    """Why this outcome cannot be recorded, or ''."""
    if record is None:
        return f"找不到职工编号为 {outcome.number} 的档案。"
    data = record.data
    if data.get("状态") != ACTIVE:
        return f"档案状态为{data.get('状态')}，只有帮扶中的档案做年度核查。"
    if any(r.get("年度") == year for r in data.get("年度核查") or []):
        return f"已有 {year} 年度的核查记录。"
    if outcome.date.year != year:
        return f"核查日期 {outcome.date.isoformat()} 不在 {year} 年度内。"
    if outcome.result == REVIEW_CANCEL and not outcome.reason:
        return f"结果为注销，须给出退出原因（{'、'.join(reasons)}）。"
    if outcome.reason and outcome.reason not in reasons:
        return f"退出原因“{outcome.reason}”不是可选值：{'、'.join(reasons)}。"
    if outcome.reason and outcome.result == REVIEW_KEEP:
        return "结果为保留，不需要退出原因。"
    if outcome.result == REVIEW_CANCEL and outcome.reason == RELIEF_REASON:
        return f"退出原因为“{RELIEF_REASON}”的，结果应为解困脱困而不是注销（{CANCELLED}）。"
    return ""


def _where(file: Path | None, outcome: Outcome, message: str, record: Record | None) -> Problem:
    if file and outcome.row is not None:
        return cell_problem(
            file.name, SHEET, outcome.row.row, outcome.row.columns.get("职工编号"), "职工编号", "outcome", message
        )
    path = record.path if record else outcome.number
    return Problem(path, None, "/状态", "状态", "outcome", message)
