"""`bangfu impact` output: text for the terminal, markdown for a pull request (masked), JSON and CSV for analysis."""

from __future__ import annotations

import json
import re

from generator.access.privacy import mask_id, mask_name
from generator.access.spreadsheet import csv_bytes
from generator.history.markdown import md
from generator.rules.impact import GAINED, KINDS, LOST, MOVED, NEAR, NOT_NEEDY, Affected, Impact
from generator.rules.trace import Assessment, cents, yuan

DECIDING = ("category", "expenses")
# Control, line-separator, bidirectional and zero-width characters from a record never reach the terminal as such.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
FIRST = 5  # households of each kind a review comment shows
CSV_COLUMNS = (
    "变化",
    "地区代码",
    "地区",
    "路径",
    "职工编号",
    "姓名",
    "身份证号",
    "家庭人口",
    "评估日期",
    "何时生效",
    "调整前类别",
    "调整后类别",
    "家庭月人均收入",
    "调整前低保标准",
    "调整后低保标准",
    "调整前边缘上限",
    "调整后边缘上限",
    "临界",
    "认定依据（调整后）",
)


def category(result: Assessment) -> str:
    return result.category or NOT_NEEDY


def deciding(result: Assessment) -> str:
    """The sentences of the trace that decide the category (what `explain` shows at those steps)."""
    found = [s.text for s in result.steps if s.key in DECIDING]
    return " ".join(found) or f"结论：{result.conclusion()}"


def deciding_masked(result: Assessment) -> str:
    """deciding() without the expense step, whose voucher names may name people: its figures instead."""
    found = [s.text for s in result.steps if s.key == "category"]
    for step in result.steps:
        if step.key == "expenses":
            found.append(
                f"扣除有凭证的特殊支出 {yuan(result.deducted)} 元后月人均 {cents(step.values['扣除后月人均'])} 元，"
                f"{'在' if result.category else '高于'}边缘上限 {yuan(result.upper)} 元{'以内' if result.category else ''}。"
            )
    return " ".join(found) or f"结论：{result.conclusion()}"


def when(item: Affected, impact: Impact) -> str:
    if item.immediate:
        return "合并后校验即按新标准"
    return f"下次复核（{impact.day.isoformat()} 及以后）起按新标准"


def lines_of(item: Affected) -> str:
    """低保标准 600 → 650 元，边缘上限 900 → 975 元."""

    def pair(old, new) -> str:
        if old == new:
            return "（无）" if new is None else f"{yuan(new)} 元（不变）"
        return f"{'（无）' if old is None else yuan(old)} → {'（无）' if new is None else yuan(new)} 元"

    return f"低保标准 {pair(item.before.lower, item.after.lower)}，边缘上限 {pair(item.before.upper, item.after.upper)}"


def per_capita(item: Affected) -> str:
    """The per-capita income the new standards judge (and the old one, when imputed income changed it)."""
    old, new = item.before.per_capita, item.after.per_capita
    if new is None:
        return "—"
    return f"{cents(new)} 元" if old == new or old is None else f"{cents(old)} → {cents(new)} 元"


def summary_line(impact: Impact) -> str:
    """调整所及地区（设了调整的地区及其下级）在档 N 户，适用标准有变化的 M 户：新符合 … 户 … 人，…."""
    counts = impact.counts().get(impact.regions.province, {k: [0, 0] for k in KINDS})
    parts = "，".join(f"{kind} {counts[kind][0]} 户 {counts[kind][1]} 人" for kind in KINDS)
    return f"调整所及地区在档 {impact.assessed} 户，其中适用标准有变化的 {impact.touched} 户：{parts}。"


def date_note(impact: Impact) -> str:
    day = impact.day.isoformat()
    return (
        f"各户按同一天、两套标准各认定一次：评估日期（入户调查或年度核查的日期）不早于 {day} 的户按其评估日期，"
        f"合并后 validate 和 explain 即按新标准；早于 {day} 的户按 {day} 复核计，即下次复核时的结果。"
        f"临界：按新标准，决定类别的月人均收入在某条线上下 5% 以内。"
    )


def to_text(impact: Impact) -> str:
    table = impact.regions
    out = [
        f"标准调整的影响：评估日期 {impact.day.isoformat()}，范围 {table.name(impact.scope)}（{impact.scope}）",
        "",
        "调整的标准：",
    ]
    out += [f"  - {c.text()}" for c in impact.changes] or ["  （两套标准的数值相同）"]
    out += ["", summary_line(impact), date_note(impact)]
    if impact.unusable:
        out.append(f"另有 {len(impact.unusable)} 户档案缺少认定所需的字段，无法认定（请先运行 bangfu validate）。")
    if impact.households:
        out += ["", "按地区（户/人）："]
        counts = impact.counts()
        for depth, code in impact.region_order():
            cells = " · ".join(f"{k} {counts[code][k][0]}/{counts[code][k][1]}" for k in KINDS)
            out.append(f"{'  ' * (depth + 1)}{table.name(code)}（{code}）  {cells}")
    for kind in KINDS:
        items = impact.of(kind)
        if not items:
            continue
        out += ["", f"{kind}（{len(items)} 户）："]
        for item in items:
            out += [
                f"  {item.household.number} {item.name}（{table.name(item.county)}，{item.people} 人） {item.path}",
                f"    家庭月人均收入 {per_capita(item)}；{lines_of(item)}；{when(item, impact)}",
                f"    调整前：{category(item.before)}。{deciding(item.before)}",
                f"    调整后：{category(item.after)}。{deciding(item.after)}",
            ]
            if item.near:
                out.append(f"    临界：{item.near}")
    return "\n".join(_INVISIBLE.sub("\ufffd", line) for line in out) + "\n"


def to_json(impact: Impact) -> str:
    counts = impact.counts()
    data = {
        "评估日期": impact.day.isoformat(),
        "范围": impact.scope,
        "调整": [c.to_dict() for c in impact.changes],
        "在档户数": impact.assessed,
        "适用标准有变化户数": impact.touched,
        "无法认定": impact.unusable,
        "按地区": [
            {
                "地区": code,
                "地区名称": impact.regions.name(code),
                "层级": depth,
                **{k: {"户数": counts[code][k][0], "人数": counts[code][k][1]} for k in KINDS},
            }
            for depth, code in impact.region_order()
        ],
        "档案": [_household_dict(item, impact) for item in impact.households],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def _household_dict(item: Affected, impact: Impact) -> dict:
    return {
        "变化": item.kind,
        "路径": item.path,
        "职工编号": item.household.number,
        "姓名": item.name,
        "身份证号": mask_id(item.id_number),
        "地区": item.county,
        "家庭人口": item.people,
        "合并后即生效": item.immediate,
        "何时生效": when(item, impact),
        "临界": item.near or None,
        "调整前": item.before.to_dict(),
        "调整后": item.after.to_dict(),
    }


def to_csv(impact: Impact) -> bytes:
    """One row per household, with a byte-order mark for spreadsheet programs; no cell is a formula."""
    rows = [CSV_COLUMNS]
    for item in impact.households:
        b, a = item.before, item.after
        row = [
            item.kind,
            item.county,
            impact.regions.name(item.county),
            item.path,
            item.household.number,
            item.name,
            mask_id(item.id_number),
            item.people,
            a.assessed_on.isoformat(),
            when(item, impact),
            category(b),
            category(a),
            _plain(a.per_capita),
            _plain(b.lower),
            _plain(a.lower),
            _plain(b.upper),
            _plain(a.upper),
            item.near,
            deciding(a),
        ]
        rows.append(row)
    return csv_bytes(rows)


def _plain(value) -> str:
    return "" if value is None else str(value)


def to_markdown(impact: Impact, *, first: int | None = None, heading: str = "##") -> str:
    """For a pull request or review comment: names and ID numbers masked, every text escaped (markdown and HTML).

    first: list only this many households of each kind (a review's summary).
    """
    table = impact.regions
    out = [
        f"{heading} 标准调整的影响",
        "",
        f"评估日期 {impact.day.isoformat()}，范围 {md(table.name(impact.scope))}（{impact.scope}）。",
        "",
    ]
    out += [f"- {md(c.text())}" for c in impact.changes] or ["- 两套标准的数值相同。"]
    out += ["", f"**{md(summary_line(impact))}**", "", f"<sub>{md(date_note(impact))}</sub>"]
    if impact.unusable:
        out += ["", f"另有 {len(impact.unusable)} 户档案缺少认定所需的字段，无法认定。"]
    counties = [(d, c) for d, c in impact.region_order()]
    if counties:
        counts = impact.counts()
        out += ["", "| 地区 | " + " | ".join(f"{k}（户/人）" for k in KINDS) + " |", "|---" * (len(KINDS) + 1) + "|"]
        for depth, region in counties:
            name = md(f"{'　' * depth}{table.name(region)}（{region}）")
            out.append(f"| {name} | " + " | ".join(f"{counts[region][k][0]}/{counts[region][k][1]}" for k in KINDS) + " |")
    for kind in (GAINED, LOST, MOVED, NEAR):
        items = impact.of(kind)
        if not items:
            continue
        shown = items if first is None else items[:first]
        more = f"，以下列出前 {len(shown)} 户" if len(shown) < len(items) else ""
        out += ["", f"{heading}# {kind}（{len(items)} 户{more}）", ""]
        for item in shown:
            who = f"{item.household.number} {mask_name(item.name)}（{table.name(item.county)}，{item.people} 人）"
            out.append(
                f"- {md(who)}：{md(category(item.before))} → **{md(category(item.after))}**；"
                f"家庭月人均收入 {md(per_capita(item))}；{md(lines_of(item))}；{md(when(item, impact))}"
                + (f"；临界：{md(item.near)}" if item.near else "")
            )
            out.append(f"  - 认定依据：{md(deciding_masked(item.after))}")
    if first is not None:
        out += ["", "完整名单和每户的认定过程：运行 bangfu impact（--format csv 可供分析）。"]
    return "\n".join(out) + "\n"


def summary_dict(impact: Impact, first: int = FIRST) -> dict:
    """The review's JSON summary: counts per region and the first households of each kind, masked."""
    counts = impact.counts()
    return {
        "评估日期": impact.day.isoformat(),
        "调整": [c.to_dict() for c in impact.changes],
        "说明": summary_line(impact),
        "按地区": [
            {
                "地区": code,
                "地区名称": impact.regions.name(code),
                **{k: {"户数": counts[code][k][0], "人数": counts[code][k][1]} for k in KINDS},
            }
            for _, code in impact.region_order()
        ],
        "前几户": {
            kind: [
                {
                    "职工编号": a.household.number,
                    "姓名": mask_name(a.name),
                    "地区": a.county,
                    "调整前": category(a.before),
                    "调整后": category(a.after),
                    "家庭月人均收入": per_capita(a),
                    "临界": a.near or None,
                }
                for a in impact.of(kind)[:first]
            ]
            for kind in KINDS
        },
    }
