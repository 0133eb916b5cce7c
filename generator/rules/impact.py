"""What a change of the local standards does to the archive: who gains, who loses, who moves, who is near a line.

Every active household is judged twice on the same day, once under the standards in force and once under the
proposed ones, so any difference comes from the standards alone. The day is the household's own assessment
date, or the impact date when that is later: a household checked after the new standard takes effect is judged
by it as `validate` will judge it once the change is merged; one checked before it is judged as its next
verification on or after that date will judge it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from generator.rules.assess import DIBAO, EXITED, assess_household, assessment_date, dibao_field, imputable
from generator.rules.facts import HouseholdFacts
from generator.rules.regions import Regions
from generator.rules.standards import FIELDS, MINIMUM_WAGE, MULTIPLIER, Sourced, Standards
from generator.rules.trace import Assessment, cents, yuan

GAINED, LOST, MOVED, NEAR = "新符合", "不再符合", "类别变化", "临界"
KINDS = (GAINED, LOST, MOVED, NEAR)
NEAR_SHARE = Decimal("0.05")  # within 5 % of a line
NOT_NEEDY = "不能认定"


class Entry:
    """One household as compare() needs it: what decides whether its standards changed, and its facts on demand.

    The facts (a HouseholdFacts) may be held as bytes from the facts cache, unpickled only when the household's
    standards changed (a change of one city's standard needs a few thousand of a province's households).
    """

    __slots__ = ("path", "county", "status", "dibao", "imputable", "own", "id_number", "name", "_household", "_raw")

    def __init__(
        self,
        path: str,
        county: str,
        status: str,
        dibao: str,
        imputable: bool,
        own: dt.date | None,
        id_number: str,
        name: str,
        household: HouseholdFacts | None = None,
        raw: bytes | None = None,
    ):
        self.path, self.county, self.status, self.dibao, self.imputable = path, county, status, dibao, imputable
        self.own, self.id_number, self.name, self._household, self._raw = own, id_number, name, household, raw

    @classmethod
    def of(cls, path: str, household: HouseholdFacts | None, id_number: str = "", name: str = "") -> Entry:
        """The entry of a household read (None: its fields cannot be read)."""
        if household is None:
            return cls(path, _county_of(path), "", "", False, None, id_number, name)
        return cls(
            path,
            household.county,
            household.status,
            dibao_field(household)[0],
            imputable(household),
            assessment_date(household)[0],
            id_number,
            name,
            household,
        )

    @property
    def usable(self) -> bool:
        return self.own is not None

    @property
    def household(self) -> HouseholdFacts:
        if self._household is None:
            import io

            from generator.records.cache_files import load

            self._household = load(io.BytesIO(self._raw))
            self._raw = None
        return self._household


@dataclass(frozen=True)
class StandardChange:
    """One value that differs between the two standards files."""

    region: str
    region_name: str
    field: str
    effective: dt.date
    before: Decimal | None  # the value in force there and then before the change (None: nothing applied)
    after: Decimal | None  # None: the entry was removed

    def text(self) -> str:
        """海口市（4601）城市低保标准：600 → 650（2027-01-01 起）."""
        unit = "" if self.field == MULTIPLIER else " 元"
        old = "（无）" if self.before is None else f"{_number(self.before)}{unit}"
        new = "（删除此条）" if self.after is None else f"{_number(self.after)}{unit}"
        return f"{self.region_name}（{self.region}）{self.field}：{old} → {new}（{self.effective.isoformat()} 起）"

    def to_dict(self) -> dict:
        return {
            "地区": self.region,
            "地区名称": self.region_name,
            "项目": self.field,
            "生效日期": self.effective.isoformat(),
            "调整前": None if self.before is None else str(self.before),
            "调整后": None if self.after is None else str(self.after),
        }


@dataclass
class Affected:
    """One household whose category changes, or which lies near a changed line."""

    path: str
    name: str
    id_number: str
    household: HouseholdFacts
    kind: str
    before: Assessment
    after: Assessment
    immediate: bool  # its own assessment date is on or after the impact date: validate changes on merging
    near: str = ""  # which line it lies within 5 % of, under the new standards

    @property
    def county(self) -> str:
        return self.household.county

    @property
    def people(self) -> int:
        return self.household.size


@dataclass
class Impact:
    """The outcome of one comparison."""

    day: dt.date
    scope: str
    regions: Regions
    changes: list[StandardChange]
    households: list[Affected] = field(default_factory=list)
    assessed: int = 0  # active households in scope below a region whose standards changed
    touched: int = 0  # of those, households whose applicable standards differ
    unusable: list[str] = field(default_factory=list)  # paths whose fields the rules cannot read

    def of(self, kind: str) -> list[Affected]:
        return [a for a in self.households if a.kind == kind]

    def counts(self) -> dict[str, dict[str, list[int]]]:
        """Region → kind → [households, people], for every county with a change and its city and province."""
        out: dict[str, dict[str, list[int]]] = defaultdict(lambda: {k: [0, 0] for k in KINDS})
        for item in self.households:
            for code in self.regions.ancestors(item.county):
                cell = out[code][item.kind]
                cell[0] += 1
                cell[1] += item.people
        return out

    def region_order(self) -> list[tuple[int, str]]:
        """(depth, code) of the regions with a change: province, then each city and its counties."""
        counts = self.counts()
        out: list[tuple[int, str]] = []

        def walk(code: str, depth: int) -> None:
            if code not in counts:
                return
            out.append((depth, code))
            for child in self.regions.children(code):
                walk(child, depth + 1)

        walk(self.regions.province, 0)
        return out


def standard_changes(old: Standards, new: Standards) -> list[StandardChange]:
    """Every (region, item, effective date) whose value differs, added or removed."""
    before = {(s.region, s.field, s.effective): s for s in old.entries()}
    after = {(s.region, s.field, s.effective): s for s in new.entries()}
    out = []
    for key in sorted(before.keys() | after.keys(), key=lambda k: (k[2], k[0], FIELDS.index(k[1]) if k[1] in FIELDS else 9)):
        region, item, effective = key
        was, now = before.get(key), after.get(key)
        if was is not None and now is not None and was.value == now.value:
            continue
        in_force = old.lookup(region, item, effective)
        out.append(
            StandardChange(
                region,
                new.region_name(region),
                item,
                effective,
                None if in_force is None else in_force.value,
                None if now is None else now.value,
            )
        )
    return out


def reach(old: Standards, new: Standards, scope: str):
    """A predicate on county codes: inside scope, and below (or at) a region whose standards differ.

    A county none of whose parents changed a value looks up the same values in both files: nothing to judge.
    """
    table = new.regions
    changed = {c.region for c in standard_changes(old, new)}

    def wanted(county: str) -> bool:
        chain = table.ancestors(county) if county in table else [county, county[:4], county[:2]]
        return scope in chain and bool(changed.intersection(chain))

    return wanted


def compare(
    facts: list[Entry],
    old: Standards,
    new: Standards,
    day: dt.date | None = None,
    *,
    scope: str | None = None,
    today: dt.date | None = None,
) -> Impact:
    """Judge every active household of `facts` under both standards."""
    table = new.regions
    changes = standard_changes(old, new)
    if day is None:
        day = min((c.effective for c in changes), default=today or dt.date.today())
    scope = scope or table.province
    result = Impact(day, scope, table, changes)
    for entry in facts:
        if not _in_scope(table, scope, entry.county):
            continue
        if not entry.usable:
            result.unusable.append(entry.path)
            continue
        if entry.status in EXITED:
            continue
        result.assessed += 1
        on = max(entry.own, day)
        if not _differs(old, new, entry, on):
            continue
        result.touched += 1
        household = entry.household
        affected = _judge(household, old, new, on, today)
        if affected is not None:
            kind, before, after, near = affected
            result.households.append(
                Affected(entry.path, entry.name, entry.id_number, household, kind, before, after, entry.own >= day, near)
            )
    result.households.sort(key=lambda a: (KINDS.index(a.kind), a.county, a.household.number))
    return result


def _judge(household: HouseholdFacts, old: Standards, new: Standards, on: dt.date, today):
    """(kind, before, after, near) when the household changes or lies near a line; None otherwise."""
    before = assess_household(household, old, today, explain=False, on=on)
    after = assess_household(household, new, today, explain=False, on=on)
    if before.category != after.category:
        kind = GAINED if before.category is None else LOST if after.category is None else MOVED
    else:
        kind = NEAR
    near = near_line(household, after)
    if kind == NEAR and not near:
        return None
    if not before.steps:  # the trace `explain` shows, for the few households listed
        before = assess_household(household, old, today, on=on)
    if not after.steps:
        after = assess_household(household, new, today, on=on)
    return kind, before, after, near


def near_line(household: HouseholdFacts, result: Assessment) -> str:
    """The line the household's deciding income lies within 5 % of ('' if none, or if a 低保证 decides)."""
    if result.lower is None or result.upper is None or (result.category == DIBAO):
        return ""
    size = household.size
    income = result.household_income + result.imputed
    values = [("家庭月人均收入", income / 12 / size, (("低保标准", result.lower), ("边缘上限", result.upper)))]
    if result.deducted:
        values.append(
            ("扣除特殊支出后月人均", max(income - result.deducted, Decimal(0)) / 12 / size, (("边缘上限", result.upper),))
        )
    for label, value, lines in values:
        for line_name, line in lines:
            gap = value - line
            if abs(gap) <= line * NEAR_SHARE:
                side = "高于" if gap > 0 else "低于" if gap < 0 else "恰好等于"
                share = f" {abs(gap) / line:.1%}" if gap else ""
                return f"{label} {cents(value)} 元{side}{line_name} {yuan(line)} 元{share}"
    return ""


def _differs(old: Standards, new: Standards, entry: Entry, on: dt.date) -> bool:
    """Whether a standard the household's rules read on that day differs between the two files."""
    items = (entry.dibao, MULTIPLIER) + ((MINIMUM_WAGE,) if entry.imputable else ())
    county = entry.county
    for item in items:
        was, now = old.lookup(county, item, on), new.lookup(county, item, on)
        if (was is None) != (now is None) or (was is not None and was.value != now.value):
            return True
    return False


def _in_scope(table: Regions, scope: str, county: str) -> bool:
    return table.contains(scope, county) if county in table else county.startswith(scope)


def _county_of(path: str) -> str:
    parts = path.split("/")
    return parts[1] if len(parts) == 3 else ""


def _number(value: Decimal) -> str:
    return yuan(value) if value == value.to_integral_value() or value.as_tuple().exponent >= -2 else str(value)


def future_changes(standards: Standards, today: dt.date) -> list[tuple[dt.date, Standards, Standards]]:
    """For each effective date after today: (date, the standards before it, the standards with its entries)."""
    entries = standards.entries()
    dates = sorted({s.effective for s in entries if s.effective > today})
    return [
        (
            day,
            standards.with_entries([s for s in entries if s.effective < day]),
            standards.with_entries([s for s in entries if s.effective <= day]),
        )
        for day in dates
    ]


def sourced(region: str, item: str, value: Decimal, effective: dt.date, basis: str, table: Regions) -> Sourced:
    return Sourced(item, value, region, table.name(region), effective, basis)
