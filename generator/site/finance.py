"""Finance pages (/f/<scope>/): the year's 帮扶资金发放名册 with full bank card numbers, for the finance role only."""

from __future__ import annotations

from decimal import Decimal

from generator.access import urls
from generator.access.privacy import FINANCE
from generator.site.common import number, scope_key, write_page
from generator.site.render import Values, money, yuan


def render_finance(by_scope: dict, site, writer, keys: dict[str, str]) -> None:
    regions = site.regions
    year = str(site.today.year)
    values = Values(site.policy, FINANCE)
    for scope in regions.scopes():
        name = regions.name(scope)
        crumbs = [(c, regions.name(c)) for c in reversed(regions.ancestors(scope))]
        path = urls.finance(scope)
        key = scope_key(scope, by_scope.get(scope, []), site, keys)
        if writer.keep_group(path, key):
            continue
        links, rows, total = [], [], "0"
        if regions.level(scope) != "county":
            links = [(c, regions.name(c)) for c in regions.counties(scope)]
        else:
            rows, total = county_rows(by_scope.get(scope, []), year, values)
        write_page(
            writer,
            site,
            path,
            f"{name} 帮扶资金发放名册",
            "finance.html",
            scope=scope,
            name=name,
            crumbs=crumbs,
            year=year,
            links=links,
            rows=rows,
            total=total,
            key=key,
        )


def county_rows(records: list, year: str, values: Values) -> tuple[list[dict], str]:
    """One row per household of a county paid this year, sorted by number, and the county's total in yuan."""
    rows, total = [], Decimal(0)
    for record in sorted(records, key=number):
        data = record.data
        paid = [e for e in data.get("帮扶台账") or [] if str(e.get("日期", "")).startswith(year) and money(e.get("金额"))]
        if not paid:
            continue
        amount = sum((money(e.get("金额")) for e in paid), Decimal(0))
        total += amount
        rows.append(
            {
                "number": number(record),
                "name": values.person("姓名", data.get("姓名")) or "",
                "id": values.person("身份证号", data.get("身份证号")) or "",
                "bank": f"{data.get('开户银行', '')}{data.get('支行名称', '')}",
                "card": values.person("银行卡号", data.get("银行卡号")) or "",
                "times": len(paid),
                "amount": yuan(amount),
            }
        )
    return rows, yuan(total)
