"""公示名单: per county and notice period, names partly masked, no ID numbers, ready to post on a board."""

from __future__ import annotations

from collections import defaultdict

from generator.privacy import NOTICE
from generator.site import urls
from generator.site.common import number, write_page
from generator.site.render import Values

LEVELS = {"用人单位": "unit", "帮扶中心": "centre", "村委会": "village"}


def periods(records) -> dict[tuple[str, str, str, str], list]:
    """(county, level, start, end) → the households noticed in that period, in number order."""
    out: dict[tuple, list] = defaultdict(list)
    for record in records:
        seen = set()
        for notice in record.data.get("公示") or []:
            key = (record.county, notice.get("层级", ""), notice.get("开始日期", ""), notice.get("结束日期", ""))
            if key not in seen and all(key):
                seen.add(key)
                out[key].append((record, notice))
    return out


def period_page(county: str, level: str, start: str, end: str) -> str:
    """s/460105/notices/2024-05-01_2024-05-08_centre/ (dates and a level code: nothing personal)."""
    return urls.scope(county, f"notices/{start}_{end}_{LEVELS.get(level, 'other')}")


def render_notices(scope: str, records, site, writer, common: dict) -> None:
    found = periods(records)
    values = Values(site.policy, NOTICE)
    items = []
    for (county, level, start, end), entries in sorted(found.items(), key=lambda kv: (kv[0][2], kv[0][0]), reverse=True):
        path = period_page(county, level, start, end)
        items.append({"url": path, "county": site.regions.name(county), "level": level, "start": start, "end": end,
                      "count": len(entries), "running": start <= site.today.isoformat() <= end})
        if county != scope:
            continue
        rows = []
        for record, notice in sorted(entries, key=lambda e: number(e[0])):
            data = record.data
            rows.append({"name": values.person("姓名", data.get("姓名")) or "", "sex": data.get("性别", ""),
                         "employer": data.get("工作单位", ""), "category": data.get("困难类别", ""),
                         "people": data.get("家庭人口", ""), "causes": "、".join(data.get("致困原因") or [])})
        places = sorted({n.get("地点") for _, n in entries if n.get("地点")})
        write_page(writer, site, path, f"{common['name']} 困难职工建档公示名单（{start} 至 {end}）", "notice.html", **common,
                   level=level, start=start, end=end, places=places, rows=rows)
    write_page(writer, site, urls.scope(scope, "notices"), f"{common['name']} 公示名单", "notices.html", **common, items=items)
