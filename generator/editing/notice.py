"""`bangfu notice`: record a notice period for the households ready for it and write the printable 公示名单."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from pathlib import Path

from generator.access.privacy import mask_name
from generator.editing.store import Archive, check_scope
from generator.errors import RecordError, UsageError
from generator.rules.regions import regions
from generator.validation.lifecycle import CENTRE, NOTICE, NOTICE_MIN_DAYS, SURVEY, notice_levels, notices_by_level, parse_date

NOTICE_DIR = "公示名单"
# Columns of the printed list: no ID numbers, addresses or incomes on a wall.
LIST_COLUMNS = ("职工编号", "姓名", "工作单位", "困难类别", "家庭人口", "致困原因")


@dataclass
class NoticeResult:
    """The households put on notice (path, level, name) and those left out with the reason."""

    listed: list[tuple[str, str, dict]] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)
    list_path: Path | None = None
    end: dt.date | None = None


def record_notice(root: Path, scope: str, start: dt.date, *, level: str | None = None, days: int = NOTICE_MIN_DAYS,
                  place: str | None = None, out: Path | None = None) -> NoticeResult:
    """Add a notice period to each ready household in scope (状态 → 公示中) and write the list; all or nothing."""
    check_scope(scope)
    if days < NOTICE_MIN_DAYS:
        raise UsageError(f"公示期不得少于 {NOTICE_MIN_DAYS} 天（现为 {days} 天）。")
    end = start + dt.timedelta(days=days)
    archive = Archive.open(root)
    result = NoticeResult(end=end)
    for record in archive.in_scope(scope):
        if record.data.get("状态") not in (SURVEY, NOTICE):
            continue
        target, reason = _next_level(record.data, start, level)
        if target is None:
            result.left_out.append((record.path, reason))
            continue
        errors = archive.errors_of(record)
        if errors:
            result.left_out.append((record.path, f"档案有 {len(errors)} 个错误，请先改正（bangfu validate {record.path}）"))
            continue
        data = archive.edit(record)
        entry = {"层级": target, "开始日期": start.isoformat(), "结束日期": end.isoformat()}
        if place:
            entry["地点"] = place
        data.setdefault("公示", []).append(entry)
        data["状态"] = NOTICE
        result.listed.append((record.path, target, data))
    if not result.listed:
        raise RecordError("没有可以公示的档案，未写入任何文件。" + _reasons(result.left_out))
    result.list_path = out or root / NOTICE_DIR / f"公示名单-{scope}-{start.isoformat()}.html"
    archive.attach(result.list_path, notice_list(scope, start, end, place, result.listed).encode("utf-8"))
    archive.save()
    return result


def _next_level(data: dict, start: dt.date, wanted: str | None) -> tuple[str | None, str]:
    """The notice level this household is ready for on `start`, or None and why not."""
    survey = parse_date((data.get("入户调查") or {}).get("调查日期"))
    if survey is None:
        return None, "没有入户调查记录（先调查，后公示）"
    if start < survey:
        return None, f"公示开始日期早于入户调查日期 {survey.isoformat()}"
    needed = notice_levels(data)
    have = notices_by_level(data)
    missing = [lv for lv in needed if lv not in have]
    if not missing:
        return None, "各级公示均已记录，可提交审批"
    if wanted is not None and wanted not in needed:
        return None, f"不需要{wanted}公示（只有农民工另有村委会公示）"
    if wanted is not None and wanted in have:
        return None, f"已有{wanted}公示"
    target = wanted or missing[0]
    if target == CENTRE:
        earlier = [lv for lv in needed if lv != CENTRE]
        absent = [lv for lv in earlier if lv not in have]
        if absent:
            return None, f"帮扶中心公示须在{'、'.join(absent)}公示之后"
        ends = [parse_date(have[lv][1].get("结束日期")) for lv in earlier]
        last = max((d for d in ends if d), default=None)
        if last and start <= last:
            return None, f"{'、'.join(earlier)}公示到 {last.isoformat()} 才结束，帮扶中心公示应在其后开始"
    return target, ""


def _reasons(left_out: list[tuple[str, str]]) -> str:
    return "".join(f"\n{path}: {reason}" for path, reason in left_out)


def notice_list(scope: str, start: dt.date, end: dt.date, place: str | None, listed: list[tuple[str, str, dict]]) -> str:
    """The printable 公示名单: one page per notice level, names masked, no ID numbers."""
    table = regions()
    name = table.full_name(scope)
    if scope != table.province:
        name = name.removeprefix(table.name(table.province))  # 海口市秀英区总工会, not 海南省海口市秀英区总工会
    union = f"{name}总工会"
    pages = []
    for level in dict.fromkeys(level for _, level, _ in listed):
        rows = [data for _, lv, data in listed if lv == level]
        body = "".join(_row(i, data) for i, data in enumerate(rows, 1))
        head = "".join(f"<th>{html.escape(c)}</th>" for c in ("序号", *LIST_COLUMNS))
        pages.append(f"""<section>
<h1>困难职工建档对象公示（{html.escape(level)}公示）</h1>
<p>根据《困难职工精准帮扶入户调查建档立卡工作实施方案》，经入户调查，拟将下列 {len(rows)} 户职工家庭纳入困难职工档案，现予公示。</p>
<p class="period">公示期：{start.isoformat()} 至 {end.isoformat()}{f"　公示地点：{html.escape(place)}" if place else ""}</p>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
<p>公示期间，如对公示对象有异议，请向{html.escape(union)}反映。联系电话：__________</p>
<p class="sign">{html.escape(union)}<br>{start.year} 年 {start.month} 月 {start.day} 日</p>
</section>""")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>公示名单 {html.escape(scope)} {start.isoformat()}</title>
<style>
@page {{ size: A4; margin: 18mm; }}
body {{ font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", serif; font-size: 12pt; }}
section {{ page-break-after: always; }}
h1 {{ text-align: center; font-size: 18pt; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #000; padding: 4px 6px; }}
.sign {{ text-align: right; margin-top: 2em; }}
</style></head><body>
{"".join(pages)}
</body></html>
"""


def _row(index: int, data: dict) -> str:
    cells = [str(index), data.get("职工编号", ""), mask_name(data.get("姓名", "")), data.get("工作单位") or "",
             data.get("困难类别", ""), str(data.get("家庭人口", "")), "、".join(data.get("致困原因") or [])]
    return "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"

