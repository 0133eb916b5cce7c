"""Worklists of a scope: what needs doing, as of today (BANGFU_TODAY in tests) and the git history."""

from __future__ import annotations

import datetime as dt

from generator.access import urls
from generator.records.schema import ACTIVE, NOTICE, PENDING
from generator.site import future
from generator.site.common import INACTIVE, parse_day, write_page

REVIEW_MONTH, REVIEW_DAY = 10, 31
STALE_DAYS = 365


def worklists(records, site, rows: dict) -> list[dict]:
    """Each worklist: id, title, what it means, column labels, rows (list row + extra cells)."""
    today = site.today
    notices, ended, pending, review, overdue, never, stale = [], [], [], [], [], [], []
    review_due = dt.date(today.year, REVIEW_MONTH, REVIEW_DAY)
    month = today.isoformat()[:7]
    sources = set()
    for record in records:
        data = record.data
        status = data.get("状态")
        row = None
        running = [
            (parse_day(n.get("开始日期")), parse_day(n.get("结束日期")), n.get("层级", "")) for n in data.get("公示") or []
        ]
        running = [(start, end, level) for start, end, level in running if start and end and start <= today <= end]
        if running:  # one row per household (the overview counts households), every running notice in it
            row = rows[record.path]
            end = max(e for _, e, _ in running)
            notices.append(
                (
                    row,
                    [
                        "、".join(level for _, _, level in running),
                        min(s for s, _, _ in running).isoformat(),
                        end.isoformat(),
                        f"{(end - today).days} 天",
                    ],
                )
            )
        ends = [e for e in (parse_day(n.get("结束日期")) for n in data.get("公示") or []) if e]
        if status == NOTICE and row is None:
            # Status says 公示中 but no notice runs today: the period is over (or never recorded); move it on.
            row = rows[record.path]
            ended.append((row, [max(ends).isoformat() if ends else "（没有公示记录）"]))
        if status == PENDING:
            row = row or rows[record.path]
            pending.append((row, [max(ends).isoformat() if ends else ""]))
        if status in INACTIVE:
            continue
        if status == ACTIVE:
            decided = parse_day(data.get("确定时间"))
            years = {item.get("年度") for item in data.get("年度核查") or []}
            if decided and decided.year < today.year and today.year not in years:
                late = "已逾期" if today > review_due else f"还有 {(review_due - today).days} 天"
                row = row or rows[record.path]
                review.append((row, [review_due.isoformat(), late]))
            deadline = data.get("帮扶任务完成时限")
            if isinstance(deadline, str) and deadline < month:
                row = row or rows[record.path]
                overdue.append((row, [deadline]))
            if not data.get("帮扶台账"):
                row = row or rows[record.path]
                never.append((row, [data.get("确定时间", "")]))
        changed, source = site.history.last_changed(record.path)
        if changed and (today - changed).days > STALE_DAYS:
            sources.add(source)
            row = row or rows[record.path]
            stale.append((row, [changed.isoformat()]))
    stale_note = (
        "按 git 历史中最后一次合并到主分支的日期。"
        if sources <= {"git"}
        else "没有 git 历史，按档案文件的修改时间（不可靠：复制或解压会改变它）。"
    )
    return [
        {
            "id": "notices",
            "title": "公示期内",
            "note": "今天在公示期内的公示，及其结束日期（一户可有几级公示）。",
            "extra": ["公示层级", "开始日期", "结束日期", "剩余"],
            "rows": sorted(notices, key=lambda r: r[1][2]),
        },
        {
            "id": "ended",
            "title": "公示期已满但状态未推进",
            "note": "状态仍是公示中、今天已不在任何公示期内的档案：公示期已满，请报审批（状态改为待审批）或处理异议。",
            "extra": ["公示结束"],
            "rows": sorted(ended, key=lambda r: r[1][0]),
        },
        {
            "id": "pending",
            "title": PENDING,
            "note": "状态为待审批的档案（公示期满后由县级以上工会审批）。",
            "extra": ["公示结束"],
            "rows": pending,
        },
        {
            "id": "review",
            "title": f"{today.year} 年度核查未完成",
            "note": f"帮扶中、建档早于今年、还没有 {today.year} 年度核查记录的档案；每年 10 月 31 日前完成。",
            "extra": ["截止日期", "剩余"],
            "rows": review,
        },
        {
            "id": "overdue",
            "title": "帮扶任务完成时限已过",
            "note": "帮扶中、帮扶任务完成时限早于本月的档案。",
            "extra": ["完成时限"],
            "rows": overdue,
        },
        {
            "id": "never",
            "title": "从未帮扶",
            "note": "帮扶中、帮扶台账没有任何记录的档案。",
            "extra": ["确定时间"],
            "rows": never,
        },
        {
            "id": "stale",
            "title": "一年以上未更新",
            "note": f"在档、最后一次修改早于 {STALE_DAYS} 天前的档案；{stale_note}",
            "extra": ["最后修改"],
            "rows": sorted(stale, key=lambda r: r[1][0]),
        },
        future.worklist([r for r in records if r.data.get("状态") not in INACTIVE], site, rows),
    ]


def render_worklists(scope: str, lists: list[dict], site, writer, common: dict) -> None:
    write_page(
        writer, site, urls.scope(scope, "worklists"), f"{common['name']} 工作清单", "worklists.html", **common, lists=lists
    )
