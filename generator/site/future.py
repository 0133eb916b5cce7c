"""Standards already adopted that take effect later: who will no longer qualify, and the effect per region.

Each effective date after today is compared with the standards in force just before it (bangfu impact's
rules), once per build: the effects are kept on the build's Site by record path, whichever scope asks first.
"""

from __future__ import annotations

from generator.rules.facts import Unusable, read_household
from generator.rules.impact import GAINED, LOST, MOVED, NOT_NEEDY, Entry, compare, future_changes

KINDS = (GAINED, LOST, MOVED)
NOTE = (
    "已批准、尚未施行的标准（生效日期晚于今天）施行后，按新标准复核将不再符合困难职工条件的在档户"
    "（按档案现有情况计算，与 bangfu impact 相同）；应在生效日期前入户核实。"
)


def effects(records, site) -> dict[str, list[tuple]]:
    """Record path → [(effective date, kind, category before, category after)] of the future-dated standards."""
    memo = site.future
    if "changes" not in memo:
        memo["changes"] = future_changes(site.standards, site.today)
        memo["by_path"] = {}
    by_path = memo["by_path"]
    missing = [r for r in records if r.path not in by_path]
    if not missing:
        return by_path
    for record in missing:
        by_path[record.path] = []
    if not memo["changes"]:
        return by_path
    facts = [_facts(r) for r in missing]
    for day, old, new in memo["changes"]:
        for item in compare(facts, old, new, day, today=site.today).households:
            if item.kind in KINDS:
                by_path[item.path].append((day, item.kind, item.before.category or NOT_NEEDY, item.after.category or NOT_NEEDY))
    return by_path


def _facts(record) -> Entry:
    try:
        household = read_household(record.data, record.county)
    except Unusable:
        household = None
    return Entry.of(record.path, household)


def worklist(records, site, rows: dict) -> dict:
    """The worklist 新标准生效后将不再符合条件 of one scope."""
    found = effects(records, site)
    listed = []
    for record in records:
        for day, kind, before, after in found.get(record.path, ()):
            if kind == LOST:
                listed.append((rows[record.path], [day.isoformat(), before, after]))
    return {
        "id": "future-standards",
        "title": "新标准生效后将不再符合条件",
        "note": NOTE,
        "extra": ["新标准生效日期", "现认定", "生效后认定"],
        "rows": sorted(listed, key=lambda r: r[1][0]),
    }


def tables(scope: str, records, site) -> list[dict]:
    """One statistics table per future effective date: per child region, households and people who gain, lose, move."""
    found = effects(records, site)
    dates = [day for day, _, _ in site.future["changes"]]
    regions = site.regions
    children = regions.children(scope) or [scope]
    child_of = {c: next(a for a in regions.ancestors(c) if a in children) for c in {r.county for r in records}}
    out = []
    for day in dates:
        counts = {c: [0] * (2 * len(KINDS)) for c in children}
        for record in records:
            for when, kind, _, _ in found.get(record.path, ()):
                if when == day:
                    cells = counts[child_of[record.county]]
                    cells[2 * KINDS.index(kind)] += 1
                    cells[2 * KINDS.index(kind) + 1] += int(record.data.get("家庭人口") or 0)
        rows = [[regions.name(c), *counts[c]] for c in children]
        rows.append(["合计", *(sum(r[i] for r in rows) for i in range(1, 2 * len(KINDS) + 1))])
        labels = ["地区"] + [f"{k}{what}" for k in KINDS for what in ("户数", "人数")]
        out.append(
            {
                "id": f"future-{day.isoformat()}",
                "title": f"{day.isoformat()} 起施行的新标准的影响",
                "note": f"在档户按 {day.isoformat()} 复核、施行前后两套标准各认定一次（与 bangfu impact 相同）。",
                "labels": labels,
                "rows": rows,
                "chart": 3,
                "total": True,
                "units": [(1 + 2 * i, [2 + 2 * i]) for i in range(len(KINDS))],
                "base": (len(records),),
            }
        )
    return out
