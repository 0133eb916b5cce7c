"""农民工 conditions of 五（一）: labour relation, union membership, 一会、两证明、三公示、两入户、一核查."""

from __future__ import annotations

import datetime as dt

from generator.errors import ERROR, WARNING
from generator.records.schema import NOTICE, SURVEY
from generator.rules.facts import HouseholdFacts
from generator.rules.trace import Assessment

REVIEW_MONTH, REVIEW_DAY = 10, 31
NOTICE_LEVELS = ("村委会", "用人单位", "帮扶中心")
IN_PROGRESS = (SURVEY, NOTICE)
OVERDUE = "一核查：没有"


def check_migrant(result: Assessment, household: HouseholdFacts, today: dt.date | None) -> None:
    """Record every unmet 农民工 condition as an error and a line of the explanation."""
    migrant = household.migrant
    if migrant is None:
        return
    day = result.assessed_on
    missing: list[tuple[str, str]] = []
    missing += _relation(migrant, day)
    missing += _union(migrant, day)
    # 一会、两证明、三公示、两入户 are steps of the procedure: required once the household has gone through
    # them (from 待审批 on); while it is still surveyed or on notice they are work in progress, not errors.
    in_progress = household.status in IN_PROGRESS
    steps = _village(migrant) + _notices(household)
    if not in_progress:
        missing += steps
    missing += _reviews(household, today if not in_progress else None)
    overdue = [item for item in missing if item[1].startswith(OVERDUE)]
    for pointer, text in missing:
        result.migrant_missing.append(text)
        # An overdue annual review is a task for the worklist, not a defect that should block every change.
        severity = WARNING if (pointer, text) in overdue else ERROR
        result.migrant_refused |= severity == ERROR
        result.flag(
            pointer,
            "migrant-review-overdue" if severity == WARNING else "migrant-condition",
            f"农民工建档条件不满足：{text}。",
            severity,
        )
    pending = ""
    if in_progress and steps:
        pending = f"状态为{household.status}，一会、两证明、三公示、两入户还在办理中，尚缺：{'；'.join(t for _, t in steps)}"
    elif in_progress:
        pending = f"状态为{household.status}，一会、两证明、三公示、两入户已有记录"
    if missing:
        result.add("migrant", f"农民工条件：{'；'.join(t for _, t in missing)}{'；' + pending if pending else ''}。")
    elif pending:
        result.add("migrant", f"农民工条件：有劳动关系，用工单位有工会，已入会并按时交纳会费；{pending}。")
    else:
        result.add(
            "migrant",
            "农民工条件：有劳动关系，用工单位有工会，已入会并按时交纳会费；一会、两证明、三公示、两入户、一核查均有记录。",
        )


def today_key(today: dt.date) -> str:
    """Changes exactly when another 31 October passes: the only way today changes what check() finds."""
    return f"{today.year}{'b' if today > dt.date(today.year, REVIEW_MONTH, REVIEW_DAY) else 'a'}"


def _date(value) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else None


def _relation(migrant: dict, day: dt.date) -> list[tuple[str, str]]:
    if migrant.get("劳动关系") != "劳动合同":
        return []
    start, end = _date(migrant.get("劳动合同期限起")), _date(migrant.get("劳动合同期限止"))
    if start and start > day:
        return [("/农民工/劳动合同期限起", f"劳动合同 {start.isoformat()} 起，评估日期 {day.isoformat()} 尚未生效")]
    if end and end < day:
        return [("/农民工/劳动合同期限止", f"劳动合同已于 {end.isoformat()} 到期，早于评估日期 {day.isoformat()}")]
    return []


def _union(migrant: dict, day: dt.date) -> list[tuple[str, str]]:
    out = []
    if migrant.get("用工单位有工会") != "是":
        out.append(("/农民工/用工单位有工会", "用工单位没有工会组织"))
    joined = _date(migrant.get("入会日期"))
    if joined and joined > day:
        out.append(("/农民工/入会日期", f"入会日期 {joined.isoformat()} 晚于评估日期 {day.isoformat()}"))
    # Dues count as paid normally when paid at least up to the month before the assessment month.
    due = f"{day.year - (day.month == 1)}-{(day.month - 2) % 12 + 1:02d}"
    paid = migrant.get("会费缴至")
    if isinstance(paid, str) and paid < due:
        out.append(("/农民工/会费缴至", f"会费只缴至 {paid}，评估日期 {day.isoformat()} 时应至少缴至 {due}"))
    return out


def _village(migrant: dict) -> list[tuple[str, str]]:
    out = []
    wanted = [
        ("村委会集体研究日期", "一会：没有村民委员会集体研究的日期"),
        ("用人单位证明日期", "两证明：没有用人单位出具证明的日期"),
        ("村委会证明日期", "两证明：没有村委会出具证明的日期"),
        ("村委会入户调查日期", "两入户：没有村委会入户调查的日期"),
        ("帮扶中心入户核实日期", "两入户：没有帮扶中心入户核实的日期"),
    ]
    for key, text in wanted:
        if not migrant.get(key):
            out.append((f"/农民工/{key}", text))
    village, centre = _date(migrant.get("村委会入户调查日期")), _date(migrant.get("帮扶中心入户核实日期"))
    if village and centre and centre < village:
        out.append(
            (
                "/农民工/帮扶中心入户核实日期",
                f"两入户：帮扶中心入户核实（{centre.isoformat()}）应在村委会入户调查（{village.isoformat()}）之后",
            )
        )
    return out


def _notices(household: HouseholdFacts) -> list[tuple[str, str]]:
    by_level: dict[str, dict] = {}
    for notice in household.notices:
        by_level.setdefault(notice.get("层级"), notice)
    absent = [level for level in NOTICE_LEVELS if level not in by_level]
    if absent:
        return [("/公示", f"三公示：缺少{'、'.join(absent)}公示")]
    first_ends = [_date(by_level[level].get("结束日期")) for level in NOTICE_LEVELS[:2]]
    centre_start = _date(by_level["帮扶中心"].get("开始日期"))
    latest = max(d for d in first_ends if d)
    if centre_start and centre_start <= latest:
        return [
            (
                "/公示",
                f"三公示：帮扶中心公示（{centre_start.isoformat()} 开始）应在村委会和用人单位公示结束"
                f"（{latest.isoformat()}）之后",
            )
        ]
    return []


def _reviews(household: HouseholdFacts, today: dt.date | None) -> list[tuple[str, str]]:
    """一核查: a review in each year after the year of establishment, by 31 October of that year."""
    out = []
    done: set[int] = set()
    for index, year, day, _ in household.reviews:
        done.add(year)
        deadline = dt.date(year, REVIEW_MONTH, REVIEW_DAY)
        if day > deadline or day.year != year:
            out.append(
                (
                    f"/年度核查/{index}/核查日期",
                    f"一核查：{year} 年度核查日期 {day.isoformat()} 不在 {year}-01-01 至 {deadline.isoformat()} 之间",
                )
            )
    if today is None:
        return out
    for year in range(household.decided.year + 1, today.year + 1):
        deadline = dt.date(year, REVIEW_MONTH, REVIEW_DAY)
        ended = household.exit_date is not None and household.exit_date <= deadline
        if deadline < today and not ended and year not in done:
            out.append(("/年度核查", f"一核查：没有 {year} 年度（{deadline.isoformat()} 前）的全面核查记录"))
    return out
