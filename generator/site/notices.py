"""公示名单: per county and notice period, names partly masked, no ID numbers, ready to post on a board."""

from __future__ import annotations

import hashlib
from collections import defaultdict

from generator.privacy import NOTICE
from generator.site import urls
from generator.site.common import number, write_page
from generator.site.render import Values

LEVELS = {"用人单位": "unit", "帮扶中心": "centre", "村委会": "village"}


def periods(records) -> dict[tuple[str, str, str, str], list]:
    """(county, level, start, end) → the households noticed in that period, with the notice."""
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
    """A county lists its periods by year and has one printable page per period; higher scopes link down."""
    found = periods(records)
    today = site.today.isoformat()
    running = [_item(key, entries, site) for key, entries in found.items() if key[2] <= today <= key[3]]
    running.sort(key=lambda i: (i["end"], i["url"]))
    counties = []
    if site.regions.level(scope) != "county":
        per_county = defaultdict(lambda: [0, 0])
        for county, _, start, end in found:
            per_county[county][0] += 1
            per_county[county][1] += start <= today <= end
        counties = [(c, site.regions.name(c), *per_county[c]) for c in site.regions.counties(scope) if c in per_county]
        write_page(writer, site, urls.scope(scope, "notices"), f"{common['name']} 公示名单", "notices.html", **common,
                   running=running, counties=counties, years=[])
        return
    years: dict[str, list] = defaultdict(list)
    for key, entries in found.items():
        years[key[2][:4]].append(_item(key, entries, site))
        _period(key, entries, site, writer, common)
    listed = [(year, sorted(items, key=lambda i: (i["start"], i["url"]), reverse=True)) for year, items in sorted(years.items(), reverse=True)]
    write_page(writer, site, urls.scope(scope, "notices"), f"{common['name']} 公示名单", "notices.html", **common,
               running=running, counties=[], years=listed)


def _item(key, entries, site) -> dict:
    county, level, start, end = key
    return {"url": period_page(*key), "county": site.regions.name(county), "level": level, "start": start, "end": end,
            "count": len(entries)}


def _period(key, entries, site, writer, common: dict) -> None:
    """One printable notice list; not rendered again while none of its households changed."""
    county, level, start, end = key
    path = period_page(*key)
    stamp = hashlib.sha1("|".join([site.key, *key] + [r.blob for r, _ in entries]).encode()).hexdigest()[:20]
    if writer.keep(path + "index.html", stamp):
        return
    values = Values(site.policy, NOTICE)
    rows = []
    for record, _ in sorted(entries, key=lambda e: number(e[0])):
        data = record.data
        rows.append({"name": values.person("姓名", data.get("姓名")) or "", "sex": data.get("性别", ""),
                     "employer": data.get("工作单位", ""), "category": data.get("困难类别", ""),
                     "people": data.get("家庭人口", ""), "causes": "、".join(data.get("致困原因") or [])})
    places = sorted({n.get("地点") for _, n in entries if n.get("地点")})
    write_page(writer, site, path, f"{common['name']} 困难职工建档公示名单（{start} 至 {end}）", "notice.html", **common,
               level=level, start=start, end=end, places=places, rows=rows, key=stamp)
