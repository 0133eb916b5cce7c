"""The compact household finder of a scope: name, 职工编号, masked ID, address words, region, category.

Rows are arrays with indexes into small tables, so a province (26,700 households) stays well under 3 MB
gzipped. ID numbers are never stored in clear, nor anything derived from the hidden digits (even a short
hash, with the check digit and the county's codes, narrows a birth date to a handful and unmasks the number):
only the first and last four digits, which is also what a typed full number is matched on.
"""

from __future__ import annotations

import json

from generator.access.privacy import HIDDEN, LIST
from generator.site.common import number, place
from generator.site.render import Values

FORMAT = 2


def finder_data(records, site) -> str:
    """finder.json of one scope."""
    values = Values(site.policy, LIST)
    with_id = site.policy.mode(LIST, "身份证号") != HIDDEN
    counties: dict[str, int] = {}
    categories: dict[str, int] = {}
    rows = []
    for record in records:
        data = record.data
        county = counties.setdefault(record.county, len(counties))
        category = categories.setdefault(data.get("困难类别", ""), len(categories))
        ident = data.get("身份证号") if with_id else None
        ident_parts = f"{ident[:4]}{ident[-4:]}" if isinstance(ident, str) and len(ident) == 18 else ""
        address = values.person("住址", data.get("家庭住址")) or ""
        rows.append(
            [
                number(record),
                values.person("姓名", data.get("姓名")) or "",
                ident_parts,
                county,
                category,
                _words(address, site, record.county),
                data.get("状态", ""),
            ]
        )
    region_names = [place(site.regions, code) for code in counties]
    return json.dumps(
        {"v": FORMAT, "regions": list(counties), "regionNames": region_names, "categories": list(categories), "rows": rows},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _words(address: str, site, county: str) -> str:
    """The address without the region names the row's region already says (they are searched via the region)."""
    for code in reversed(site.regions.ancestors(county)):
        name = site.regions.name(code)
        if address.startswith(name):
            address = address[len(name) :]
    return address.replace("**", "").strip()
