"""`bangfu notice`: record a notice period for the households ready for it and write the printable 公示名单."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from generator.access.privacy import mask_name
from generator.editing.store import RecordStore, check_scope
from generator.errors import RecordError, UsageError
from generator.rules.regions import regions
from generator.validation.lifecycle import CENTRE, NOTICE, NOTICE_MIN_DAYS, SURVEY, notice_levels, notices_by_level, parse_date

NOTICE_DIR = "公示名单"


@dataclass
class NoticeResult:
    """The households put on notice (path, level, name) and those left out with the reason."""

    listed: list[tuple[str, str, dict]] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)
    list_path: Path | None = None
    end: dt.date | None = None


def record_notice(
    root: Path,
    scope: str,
    start: dt.date,
    *,
    level: str | None = None,
    days: int = NOTICE_MIN_DAYS,
    place: str | None = None,
    out: Path | None = None,
) -> NoticeResult:
    """Add a notice period to each ready household in scope (状态 → 公示中) and write the list; all or nothing."""
    check_scope(scope)
    if days < NOTICE_MIN_DAYS:
        raise UsageError(f"公示期不得少于 {NOTICE_MIN_DAYS} 天（现为 {days} 天）。")
    end = start + dt.timedelta(days=days)
    archive = RecordStore.open(root)
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
    """The printable 公示名单: one page per notice level, names masked, no ID numbers.

    The sheets are the site's (generator.site.notices.sheet and templates/_notice.html): one layout everywhere."""
    from generator.site.notices import sheet
    from generator.site.plugin import ASSETS
    from generator.site.render import render

    table = regions()
    sheets = []
    for level in dict.fromkeys(level for _, level, _ in listed):
        households = [data for _, lv, data in listed if lv == level]
        sheets.append(
            sheet(
                table,
                scope,
                level,
                start.isoformat(),
                end.isoformat(),
                [place] if place else [],
                households,
                lambda value: mask_name(value or ""),
            )
        )
    return render(
        "notice_file.html",
        title=f"公示名单 {scope} {start.isoformat()}",
        sheets=sheets,
        style=Markup((ASSETS / "notice.css").read_text(encoding="utf-8")),
    )
