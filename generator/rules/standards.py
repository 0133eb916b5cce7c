"""Local standards (低保标准, 最低工资标准, 边缘倍数) by region and date, with where each number came from."""

from __future__ import annotations

import datetime as dt
import errno
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from generator.errors import Problem, RecordError, os_reason
from generator.records import SETTINGS
from generator.records.load import Record, parse_bytes
from generator.records.settings import schema_problems
from generator.rules.regions import Regions, regions

STANDARDS_PATH = f"{SETTINGS}/standards.yaml"
SCHEMA_NAME = "standards.schema.json"
URBAN, RURAL, MINIMUM_WAGE, MULTIPLIER = "城市低保标准", "农村低保标准", "最低工资标准", "边缘倍数"
FIELDS = (URBAN, RURAL, MINIMUM_WAGE, MULTIPLIER)


@dataclass(frozen=True)
class Sourced:
    """One standard's value and where it was set: region, effective date, legal basis."""

    field: str
    value: Decimal
    region: str
    region_name: str
    effective: dt.date
    basis: str

    def source(self) -> str:
        """海口市（4601）2019-01-01 起施行，依据：… ."""
        return f"{self.region_name}（{self.region}）{self.effective.isoformat()} 起施行，依据：{self.basis}"

    def to_dict(self) -> dict:
        amount = str(self.value) if self.field == MULTIPLIER else str(self.value.quantize(Decimal("0.01")))  # money: 0.00
        return {
            "项目": self.field,
            "数值": amount,
            "地区": self.region,
            "地区名称": self.region_name,
            "生效日期": self.effective.isoformat(),
            "依据": self.basis,
        }


class Standards:
    """The standards file, indexed for lookups by (region, field, date)."""

    def __init__(self, sourced: list[Sourced], table: Regions, *, example: bool = False, path: str = STANDARDS_PATH):
        self.example = example
        self.path = path
        self._regions = table
        self._index: dict[tuple[str, str], tuple[list[dt.date], list[Sourced]]] = {}
        for item in sorted(sourced, key=lambda s: s.effective):
            dates, values = self._index.setdefault((item.region, item.field), ([], []))
            dates.append(item.effective)
            values.append(item)
        self._cache: dict[tuple[str, str, dt.date], Sourced | None] = {}

    def lookup(self, region: str, field: str, on: dt.date) -> Sourced | None:
        """The value of `field` in force at `region` on `on`, inherited upwards; None if nothing applies."""
        key = (region, field, on)
        if key in self._cache:
            return self._cache[key]
        found = None
        for code in self.chain(region):
            dates, values = self._index.get((code, field), ((), ()))
            at = bisect_right(dates, on)
            if at:
                found = values[at - 1]
                break
        self._cache[key] = found
        return found

    def entries(self) -> list[Sourced]:
        """Every value the file sets, by region, item and effective date."""
        return sorted((s for _, values in self._index.values() for s in values), key=lambda s: (s.region, s.field, s.effective))

    def with_entries(self, entries: list[Sourced], path: str | None = None) -> Standards:
        """Standards of these entries (a proposal), keeping this file's region table and example flag."""
        return Standards(list(entries), self._regions, example=self.example, path=path or self.path)

    @property
    def regions(self) -> Regions:
        return self._regions

    def chain(self, region: str) -> list[str]:
        """The region and its parents, nearest first (GB/T 2260 prefixes for a code the table lacks)."""
        if region in self._regions:
            return self._regions.ancestors(region)
        guess = [region, region[:4], region[:2]]
        return [c for i, c in enumerate(guess) if c and c not in guess[:i]]

    def region_name(self, code: str) -> str:
        return self._regions.name(code)


def load_standards(root: Path) -> Standards:
    """Read and check root/records/_settings/standards.yaml; raise RecordError listing every problem."""
    path = Path(root) / STANDARDS_PATH
    try:
        raw = path.read_bytes()
    except OSError as exc:
        hint = (
            "。请在档案库（含 records/_settings/ 的文件夹）或其中的任一文件夹里运行，或用 --root 指明档案库"
            if exc.errno == errno.ENOENT
            else ""
        )
        problem = Problem(STANDARDS_PATH, None, "", "", "standards-missing", f"无法读取认定标准文件：{os_reason(exc)}{hint}。")
        raise RecordError("认定标准文件有误。", [problem]) from None
    return parse_standards(raw, STANDARDS_PATH)


def parse_standards(raw: bytes, rel: str = STANDARDS_PATH, table: Regions | None = None) -> Standards:
    """Parse standards file bytes named `rel`; raise RecordError listing every problem."""
    table = table or regions()
    record, problems = parse_bytes(raw, rel)
    if record is None:
        raise RecordError("认定标准文件有误。", problems)
    problems = schema_problems(record, SCHEMA_NAME, "standards")
    if not problems:
        problems = _semantic_problems(record, table)
    if problems:
        raise RecordError("认定标准文件有误。", sorted(problems, key=lambda p: (p.line or 0, p.pointer)))
    sourced = []
    for entry in record.data["标准"]:
        effective = dt.date.fromisoformat(entry["生效日期"])
        for field in FIELDS:
            if field in entry:
                sourced.append(
                    Sourced(field, _decimal(entry[field]), entry["地区"], table.name(entry["地区"]), effective, entry["依据"])
                )
    return Standards(sourced, table, example=record.data.get("示例数据") == "是", path=rel)


def _semantic_problems(record: Record, table: Regions) -> list[Problem]:
    out = []
    seen: dict[tuple[str, str], int] = {}
    set_at_province = set()
    for i, entry in enumerate(record.data["标准"]):
        base = f"/标准/{i}"
        region = entry["地区"]
        if region not in table:
            out.append(record.problem(f"{base}/地区", "standards-region", f"“{region}”不是本省的行政区划代码。"))
        key = (region, entry["生效日期"])
        if key in seen:
            out.append(
                record.problem(
                    f"{base}/生效日期",
                    "standards-duplicate",
                    f"地区 {region} 在 {key[1]} 已有一条标准（第 {seen[key]} 条），请合并为一条。",
                )
            )
        seen.setdefault(key, i + 1)
        for field in FIELDS:
            if field in entry and _decimal(entry[field]).as_tuple().exponent < -2 and field != MULTIPLIER:
                out.append(record.problem(f"{base}/{field}", "standards-precision", f"{entry[field]} 超过两位小数（精确到分）。"))
            if field in entry and region == table.province:
                set_at_province.add(field)
    for field in FIELDS:
        if field not in set_at_province:
            out.append(
                record.problem(
                    "/标准", "standards-province", f"省级（{table.province}）须设置{field}，作为各地未自定标准时的依据。"
                )
            )
    return out


def _decimal(value) -> Decimal:
    return Decimal(str(value))
