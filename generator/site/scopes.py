"""Pages of every scope (province, city, county): overview, household table, exits, batch print, sitemap."""

from __future__ import annotations

import json
from collections import Counter

from generator.access import urls
from generator.records.schema import STATUSES
from generator.site.common import CANCELLED, EXITED, link, list_row, list_values, members, number, scope_key, write_page
from generator.site.errors_pages import render_errors
from generator.site.finance import render_finance
from generator.site.finder import finder_data
from generator.site.notices import render_notices
from generator.site.stats import render_stats
from generator.site.suppress import NOTE, shown, suppress_counts
from generator.site.worklists import render_worklists, worklists

TABLE_COLUMNS = ("职工编号", "姓名", "身份证号", "困难类别", "致困原因", "状态", "帮扶责任人", "帮扶任务完成时限", "所属地区")


def render_scopes(records, site, writer, keys: dict[str, str]) -> None:
    """Every scope's pages, the finance pages and the error pages; a scope none of whose households changed is kept."""
    by_scope = members(records, site.regions)
    values = list_values(site)
    rows: dict = {}
    stale = []
    for scope in site.regions.scopes():
        held = sorted(by_scope.get(scope, []), key=lambda r: (r.county, number(r)))
        key = scope_key(scope, held, site, keys)
        if not writer.keep_group(urls.scope(scope), key):
            stale.append((scope, held, key))
    for scope, held, key in stale:
        for record in held:
            if record.path not in rows:
                rows[record.path] = list_row(record, values, site.regions)
        writer.group_key = key
        try:
            _scope(scope, held, rows, site, writer)
        finally:
            writer.group_key = ""
    render_finance(by_scope, site, writer, keys)
    render_errors(site, writer)


def _scope(scope: str, held: list, rows: dict, site, writer) -> None:
    regions = site.regions
    name = regions.name(scope)
    crumbs = [(c, regions.name(c)) for c in reversed(regions.ancestors(scope))]
    lists = worklists(held, site, rows)
    status = Counter(r.data.get("状态", "") for r in held)
    common = {"scope": scope, "name": name, "crumbs": crumbs}
    counties = [c for c in regions.counties(scope)] if regions.level(scope) != "county" else []
    # Every role holding the scope reads this page (统计员 and 公示员 too): its counts hide small cells.
    people = sum(int(r.data.get("家庭人口") or 0) for r in held)
    write_page(
        writer,
        site,
        urls.scope(scope),
        f"{name} 困难职工档案",
        "scope_index.html",
        **common,
        total=shown(len(held)),
        people=shown(len(held), people),
        status=list(zip(STATUSES, suppress_counts([status.get(s, 0) for s in STATUSES]), strict=True)),
        children=[(c, regions.name(c)) for c in regions.children(scope)],
        hidden_note=NOTE,
        worklists=[(w["id"], w["title"], shown(len(w["rows"]), base=len(held))) for w in lists],
        county=not counties,
    )
    table = [rows[r.path] for r in held]
    writer.put(urls.scope(scope, "households.json"), _households_json(table))
    write_page(
        writer,
        site,
        urls.scope(scope, "households"),
        f"{name} 档案名单",
        "households.html",
        **common,
        count=len(table),
        labels=TABLE_COLUMNS,
        statuses=STATUSES,
    )
    for page, wanted, title in (("exited", EXITED, "脱困库（已解困脱困）"), ("cancelled", CANCELLED, "注销库（已注销）")):
        chosen = [r for r in held if r.data.get("状态") == wanted]
        exits = [(rows[r.path], r.data.get("退出") or {}) for r in chosen]
        write_page(writer, site, urls.scope(scope, page), f"{name} {title}", "exits.html", **common, title=title, exits=exits)
    writer.put(urls.scope(scope, "finder.json"), finder_data(held, site))
    render_stats(scope, held, site, writer, common)
    render_worklists(scope, lists, site, writer, common)
    render_notices(scope, held, site, writer, common)
    if counties:
        _print(scope, counties, site, writer, common)
    writer.put(urls.scope(scope, "sitemap.xml"), _sitemap(scope, held))


def _households_json(table: list[dict]) -> str:
    """The household table as compact arrays (the page's script sorts and filters it)."""
    keys = ("number", "name", "id", "category", "causes", "status", "helper", "deadline", "place", "county")
    return json.dumps(
        {"cols": list(TABLE_COLUMNS), "rows": [[row[k] for k in keys] for row in table]},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _print(scope: str, counties: list, site, writer, common: dict) -> None:
    """Higher scopes link to their counties' batch print pages (a county's own are made with its households)."""
    links = [(c, site.regions.name(c)) for c in counties]
    for page, title in (("print/cards", "联系卡批量打印"), ("print/forms", "档案表批量打印")):
        write_page(
            writer,
            site,
            urls.scope(scope, page),
            f"{common['name']} {title}",
            "print_index.html",
            **common,
            title=title,
            links=links,
            page=page,
        )


def _sitemap(scope: str, held: list) -> str:
    """This scope's URLs only (root-relative: the intranet host name is the deployment's)."""
    pages = [
        "",
        "households",
        "stats",
        "stats/exact",
        "worklists",
        "notices",
        "exited",
        "cancelled",
        "print/cards",
        "print/forms",
    ]
    locs = ["/" + urls.scope(scope, p) for p in pages] + ["/" + link(r) for r in held]
    body = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>\n'
    )
