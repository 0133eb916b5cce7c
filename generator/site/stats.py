"""Statistics of a scope: tables counted from the records, bar charts drawn as SVG at build time, CSV files."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from html import escape

from generator.access import urls
from generator.access.spreadsheet import csv_bytes
from generator.records.schema import field_map
from generator.site import future
from generator.site.common import INACTIVE, parse_day, write_page
from generator.site.render import money, yuan
from generator.site.suppress import HIDDEN, SMALL_CELL, suppress

# (file name, title, field, how many choices): the tables of 在档 households by one field of the form.
BY_FIELD = (
    ("category", "困难类别", "single"),
    ("causes", "致困原因", "multi"),
    ("groups", "五类重点群体", "multi"),
    ("measures", "四个一批措施", "multi"),
    ("plans", "七个行动计划", "multi"),
)
PUBLIC, EXACT = "stats", "stats/exact"  # see URL_AREAS: exact figures are in the archive area
ACTIVE_NOTE = "口径：在档户（状态不是已解困脱困、已注销）。"
MULTI_NOTE = "可多选，各项之和可能大于户数。"


def statistics(scope: str, records, regions) -> list[dict]:
    """Every table of one scope: id, title, note, column labels, rows (label + numbers as text)."""
    active = [r for r in records if r.data.get("状态") not in INACTIVE]
    tables = [_regions(scope, records, regions)]
    for name, field, kind in BY_FIELD:
        tables.append(_by_field(name, field, kind, active, len(records)))
    tables.append(_status(records))
    tables.append(_years(records))
    tables.append(_ledger(records))
    return tables


def _people(record) -> int:
    return int(record.data.get("家庭人口") or 0)


def _regions(scope: str, records, regions) -> dict:
    children = regions.children(scope) or [scope]
    wanted = set(children)
    child_of = {c: next(a for a in regions.ancestors(c) if a in wanted) for c in {r.county for r in records}}
    grouped: dict[str, list] = {c: [] for c in children}
    for record in records:
        grouped[child_of[record.county]].append(record)
    rows = []
    for child in children:
        inside = grouped[child]
        live = [r for r in inside if r.data.get("状态") not in INACTIVE]
        rows.append([regions.name(child), len(inside), sum(map(_people, inside)), len(live), sum(map(_people, live))])
    rows.append(["合计", len(records), sum(map(_people, records)), *_totals(records)])
    return {
        "id": "region",
        "title": "按地区",
        "note": "全部档案与其中的在档户。",
        "labels": ["地区", "户数", "人数", "在档户数", "在档人数"],
        "rows": rows,
        "chart": 3,
        "total": True,
        "units": [(1, [2, 3, 4]), (3, [4])],
        "base": (len(records),),
    }


def _totals(records) -> list[int]:
    live = [r for r in records if r.data.get("状态") not in INACTIVE]
    return [len(live), sum(map(_people, live))]


def _by_field(name: str, field: str, kind: str, active, everyone: int) -> dict:
    info = field_map()["/" + field]
    households, people = Counter(), Counter()
    for record in active:
        value = record.data.get(field)
        chosen = value if isinstance(value, list) else ([value] if value else [])
        for item in chosen:
            households[item] += 1
            people[item] += _people(record)
    rows = [[option, households.get(option, 0), people.get(option, 0)] for option in info.enum]
    note = ACTIVE_NOTE + (MULTI_NOTE if kind == "multi" else "")
    return {
        "id": name,
        "title": info.title,
        "note": note,
        "labels": [info.title, "户数", "人数"],
        "rows": rows,
        "chart": 1,
        "total": kind == "single",
        "units": [(1, [2])],
        "base": (everyone, len(active)),
    }


def _status(records) -> dict:
    info = field_map()["/状态"]
    counts, people = Counter(), Counter()
    for record in records:
        counts[record.data.get("状态")] += 1
        people[record.data.get("状态")] += _people(record)
    rows = [[s, counts.get(s, 0), people.get(s, 0)] for s in info.enum]
    return {
        "id": "status",
        "title": "状态",
        "note": "全部档案。",
        "labels": ["状态", "户数", "人数"],
        "rows": rows,
        "chart": 1,
        "total": True,
        "units": [(1, [2])],
        "base": (len(records),),
    }


def _years(records) -> dict:
    decided, left = Counter(), Counter()
    for record in records:
        day = parse_day(record.data.get("确定时间"))
        if day:
            decided[day.year] += 1
        exit_day = parse_day((record.data.get("退出") or {}).get("日期"))
        if exit_day:
            left[exit_day.year] += 1
    rows = [[str(y), decided.get(y, 0), left.get(y, 0)] for y in _every_year(set(decided) | set(left))]
    return {
        "id": "year",
        "title": "按年度",
        "note": "建档年度按“确定时间”，退出年度按“退出.日期”。",
        "labels": ["年度", "建档户数", "退出户数"],
        "rows": rows,
        "chart": 1,
        "total": True,
        "units": [(1, []), (2, [])],
        "base": (len(records),),
    }


def _ledger(records) -> dict:
    times, homes, amount = Counter(), {}, {}
    for record in records:
        for entry in record.data.get("帮扶台账") or []:
            day = parse_day(entry.get("日期"))
            if not day:
                continue
            times[day.year] += 1
            homes.setdefault(day.year, set()).add(record.path)
            amount[day.year] = amount.get(day.year, Decimal(0)) + money(entry.get("金额"))
    rows = [[str(y), times[y], len(homes.get(y, ())), yuan(amount.get(y, Decimal(0)))] for y in _every_year(set(times))]
    return {
        "id": "ledger",
        "title": "帮扶台账（按年度）",
        "note": "按帮扶台账的日期所在年度；金额为元。",
        "labels": ["年度", "帮扶次数", "帮扶户数", "金额（元）"],
        "rows": rows,
        "chart": 1,
        "total": False,
        "units": [(2, [1, 3])],
        "base": (len(records),),
    }


def _every_year(years: set[int]) -> list[int]:
    """The years from the first to the last, a year without any entry included (it is a 0, not a gap)."""
    return list(range(min(years), max(years) + 1)) if years else []


def to_csv(table: dict) -> bytes:
    """The table as CSV with a byte-order mark, so spreadsheet programs read the Chinese correctly; no cell is a formula."""
    return csv_bytes([table["labels"], *table["rows"]])


def chart(table: dict) -> str:
    """A horizontal bar chart of one column as inline SVG (no script, nothing fetched)."""
    column = table["chart"]
    rows = [r for r in table["rows"] if r[0] != "合计"]
    if not rows:
        return ""
    values = [0 if r[column] == HIDDEN else int(r[column]) for r in rows]
    top = max(values) or 1
    label_width, bar_width, row_height = 250, 420, 22
    height = row_height * len(rows) + 10
    parts = [
        f'<svg class="bf-chart" role="img" aria-label="{escape(table["title"])}：{escape(table["labels"][column])}" '
        f'viewBox="0 0 {label_width + bar_width + 70} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (row, value) in enumerate(zip(rows, values, strict=True)):
        y = 5 + i * row_height
        width = round(bar_width * value / top, 1)
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" font-size="12">{escape(str(row[0]))}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{width}" height="{row_height - 6}" fill="#c62828" rx="2"/>'
            f'<text x="{label_width + width + 4}" y="{y + 15}" font-size="12">{escape(str(row[column]))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def render_stats(scope: str, records, site, writer, common: dict) -> None:
    """stats/ with small cells hidden (any role holding the statistics area), stats/exact/ exact (archive readers)."""
    exact = statistics(scope, records, site.regions) + future.tables(scope, records, site)
    for page, tables in ((EXACT, exact), (PUBLIC, [suppress(t) for t in exact])):
        for table in tables:
            writer.put(urls.scope(scope, f"{page}/{table['id']}.csv"), to_csv(table))
            table["svg"] = chart(table)
        title = f"{common['name']} 统计" + ("（精确数字）" if page == EXACT else "")
        write_page(
            writer,
            site,
            urls.scope(scope, page),
            title,
            "stats.html",
            **common,
            tables=tables,
            exact=page == EXACT,
            small_cell=SMALL_CELL,
        )
