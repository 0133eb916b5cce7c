"""Helpers the scope-level pages share: which households a scope holds, list rows, writing a page."""

from __future__ import annotations

import hashlib
from collections import defaultdict

from generator.access import urls
from generator.access.privacy import LIST
from generator.clock import parse_date as parse_day  # noqa: F401 (the scope pages import it from here)
from generator.records.schema import INACTIVE
from generator.site.render import Values, render

EXITED, CANCELLED = INACTIVE


def members(records, regions) -> dict[str, list]:
    """Scope code → its households (every region that is an ancestor of the record's county)."""
    out: dict[str, list] = defaultdict(list)
    for record in records:
        for code in regions.ancestors(record.county):
            out[code].append(record)
    return out


def write_page(writer, site, path: str, page_title: str, template: str, key: str = "", **context) -> None:
    """Render one of our templates into the frame at `path` (a folder URL) and hand it to the writer."""
    body = render(template, base=urls.base(path), today=site.today.isoformat(), **context)
    writer.put(path + "index.html", site.shell.page(page_title, body, urls.depth(path)), key)


def number(record) -> str:
    return str(record.data.get("职工编号") or record.stem)


def link(record) -> str:
    """Root-relative URL of the household page."""
    return urls.household(record.county, number(record))


def place(regions, county: str) -> str:
    """The region names under the province a household is searched and listed by ("海口市 秀英区", "万宁市")."""
    names: list[str] = []
    for code in reversed(regions.ancestors(county)[:-1]):
        if regions.name(code) not in names:
            names.append(regions.name(code))
    return " ".join(names)


def list_row(record, values: Values, regions) -> dict:
    """One household as lists show it (list area: masked ID, no health, no bank card)."""
    data = record.data
    helper = data.get("帮扶责任人") or {}
    return {
        "number": number(record),
        "url": link(record),
        "county": record.county,
        "name": values.person("姓名", data.get("姓名")) or "",
        "id": values.person("身份证号", data.get("身份证号")) or "",
        "category": data.get("困难类别", ""),
        "causes": "、".join(data.get("致困原因") or []),
        "status": data.get("状态", ""),
        "helper": helper.get("姓名", ""),
        "deadline": data.get("帮扶任务完成时限", ""),
        "place": place(regions, record.county),
    }


def list_values(site) -> Values:
    return Values(site.policy, LIST)


def scope_key(scope: str, held: list, site, keys: dict[str, str]) -> str:
    """Names what a scope's pages are made from: its households' page keys, today (worklists) and the shared inputs."""
    parts = [site.key, scope, site.today.isoformat()] + [keys[r.path] for r in held]
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:20]
