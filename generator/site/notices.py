"""公示名单: per county and notice period, names partly masked, no ID numbers, ready to post on a board."""

from __future__ import annotations

from collections import defaultdict

from generator.access import urls
from generator.access.privacy import NOTICE
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


def year_page(county: str, year: str) -> str:
    """s/460105/notices/2024/: every notice period of one county that began in one year."""
    return urls.scope(county, f"notices/{year}")


def anchor(level: str, start: str, end: str) -> str:
    """p-2024-05-01_2024-05-08_centre: one period on its year page (dates and a level code: nothing personal)."""
    return f"p-{start}_{end}_{LEVELS.get(level, 'other')}"


def period_url(county: str, level: str, start: str, end: str) -> str:
    return f"{year_page(county, start[:4])}#{anchor(level, start, end)}"


def render_notices(scope: str, records, site, writer, common: dict) -> None:
    """A county lists its periods by year and has one printable page per period; higher scopes link down."""
    found = periods(records)
    today = site.today.isoformat()
    running = [_item(key, entries, site) for key, entries in found.items() if key[2] <= today <= key[3]]
    running.sort(key=lambda i: (i["end"], i["url"]))
    counties, listed = [], []
    if site.regions.level(scope) != "county":
        per_county = defaultdict(lambda: [0, 0])
        for county, _, start, end in found:
            per_county[county][0] += 1
            per_county[county][1] += start <= today <= end
        counties = [(c, site.regions.name(c), *per_county[c]) for c in site.regions.counties(scope) if c in per_county]
    else:
        years: dict[str, list] = defaultdict(list)
        for key, entries in found.items():
            years[key[2][:4]].append((key, entries))
        for year, periods_of_year in sorted(years.items(), reverse=True):
            periods_of_year.sort(key=lambda p: (p[0][2], p[0][3], p[0][1]), reverse=True)
            listed.append((year, [_item(key, entries, site) for key, entries in periods_of_year]))
            _year(scope, year, periods_of_year, site, writer, common)
    write_page(
        writer,
        site,
        urls.scope(scope, "notices"),
        f"{common['name']} 公示名单",
        "notices.html",
        **common,
        running=running,
        counties=counties,
        years=listed,
    )


def _item(key, entries, site) -> dict:
    county, level, start, end = key
    return {
        "url": period_url(*key),
        "county": site.regions.name(county),
        "level": level,
        "start": start,
        "end": end,
        "count": len(entries),
    }


def issuer(regions, scope: str) -> str:
    """The union that posts a notice: 海口市秀英区总工会 (the province's name left out below the province)."""
    name = regions.full_name(scope)
    if scope != regions.province:
        name = name.removeprefix(regions.name(regions.province))
    return f"{name}总工会"


def sheet(regions, scope: str, level: str, start: str, end: str, places, households, name, anchor_id: str = "") -> dict:
    """One 公示名单 sheet (templates/_notice.html) of the households (record data) noticed in one period.

    name: how a household's 姓名 is shown on a notice (masked, as roles.yaml says for the notice area)."""
    rows = [
        {
            "name": name(data.get("姓名")) or "",
            "sex": data.get("性别", ""),
            "employer": data.get("工作单位") or "",
            "category": data.get("困难类别", ""),
            "people": data.get("家庭人口", ""),
            "causes": "、".join(data.get("致困原因") or []),
        }
        for data in households
    ]
    day = start.split("-") if isinstance(start, str) else []
    signed = f"{day[0]} 年 {int(day[1])} 月 {int(day[2])} 日" if len(day) == 3 else start
    return {
        "id": anchor_id,
        "level": level,
        "start": start,
        "end": end,
        "places": list(places),
        "rows": rows,
        "union": issuer(regions, scope),
        "signed": signed,
        "phone": "",
    }


def _year(county: str, year: str, found: list, site, writer, common: dict) -> None:
    """One county's notice lists of one year, each period a section printed on its own."""
    path = year_page(county, year)
    values = Values(site.policy, NOTICE)
    lists = []
    for (_, level, start, end), entries in found:
        households = [record.data for record, _ in sorted(entries, key=lambda e: number(e[0]))]
        places = sorted({n.get("地点") for _, n in entries if n.get("地点")})
        lists.append(
            sheet(
                site.regions,
                county,
                level,
                start,
                end,
                places,
                households,
                lambda value: values.person("姓名", value),
                anchor(level, start, end),
            )
        )
    write_page(writer, site, path, f"{common['name']} {year} 年公示名单", "notice.html", **common, year=year, lists=lists)
