"""A synthetic, clearly fake province of households for demos, tests and benchmarks."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

from generator import PACKAGE_DIR
from generator.dump import dump_record
from generator.errors import UsageError
from generator.regions import regions
from generator.standards import load_standards
from generator.synth.household import Province, build

DEMO_TODAY = dt.date(2026, 11, 1)
SAMPLE_SEED = 2016
SAMPLE_HOUSEHOLDS = 48
SOURCE_ROOT = PACKAGE_DIR.parent
SETTINGS = Path("records") / "_settings"

# Households that every run of at least this many households contains, so that a small sample
# still shows each category, status, cause and special case of the plan.
SCENARIOS: tuple[dict, ...] = (
    {"category": "低保户", "status": "帮扶中", "stories": ("chronic",)},
    {"category": "低保边缘户", "status": "帮扶中", "stories": ("schooling",), "infant": True},
    {"category": "意外致困户", "status": "帮扶中", "stories": ("major_illness",)},
    {"category": "意外致困户", "status": "已解困脱困", "stories": ("university",)},
    {"category": "低保边缘户", "status": "帮扶中", "migrant": True},
    {"category": "低保户", "status": "已注销", "stories": ("disability",)},
    {"category": "低保边缘户", "status": "调查中", "migrant": False, "stories": ("emergency",)},
    {"category": "意外致困户", "status": "公示中", "stories": ("major_accident",), "migrant": False},
    {"category": "低保边缘户", "status": "待审批", "stories": ("disaster",), "migrant": False},
    {"category": "意外致困户", "status": "帮扶中", "stories": ("severe_disability",), "elderly": True},
    {"category": "低保边缘户", "status": "帮扶中", "stories": ("unemployed",), "zero_employment": True},
    {"category": "低保户", "status": "帮扶中", "stories": ("single_parent", "schooling")},
    {"category": "低保边缘户", "status": "帮扶中", "stories": ("chronic",), "imputed": True},
    {"category": "低保边缘户", "status": "已解困脱困", "others": True, "uninsured": True},
    {"category": "低保户", "status": "帮扶中", "worker": "退休", "pension_issue": True, "elderly": True},
    {"category": "意外致困户", "status": "已注销", "stories": ("university",), "migrant": True},
    {"category": "低保边缘户", "status": "帮扶中", "infant": True, "stories": ("unemployed",)},
)


@dataclass(frozen=True)
class DemoSummary:
    """What a demo run wrote."""

    households: int
    people: int
    counties: int
    retries: int


def generate(households: int, seed: int, today: dt.date = DEMO_TODAY, root: Path = SOURCE_ROOT
             ) -> Iterator[tuple[str, dict]]:
    """Yield (records/<county>/<职工编号>.yaml, record) for a fake province; same seed, same records."""
    return _households(households, seed, Province(today, regions(), load_standards(root)))


def _households(households: int, seed: int, prov: Province) -> Iterator[tuple[str, dict]]:
    slots = _slots(households, prov.regions)
    order = random.Random(f"bangfu-demo:{seed}:slots")
    chosen = order.sample(range(len(slots)), min(len(SCENARIOS), len(slots)))
    scenario_of = {slot: SCENARIOS[i] for i, slot in enumerate(chosen)}
    for index, (county, seq) in enumerate(slots):
        # One generator per household: a household does not change when another one is redrawn.
        rng = random.Random(f"bangfu-demo:{seed}:{county}:{seq}")
        data = build(rng, prov, county, seq, scenario_of.get(index, {}))
        yield f"records/{county}/{data['职工编号']}.yaml", data


def write_demo(out_dir: Path, households: int, seed: int, *, force: bool = False, today: dt.date = DEMO_TODAY,
               root: Path = SOURCE_ROOT) -> DemoSummary:
    """Write a complete demo archive (records and records/_settings) under out_dir."""
    out_dir = Path(out_dir)
    records = out_dir / "records"
    existing = _existing_households(records)
    if existing and not force:
        raise UsageError(f"{records} 下已有 {existing} 份档案，为防止覆盖真实档案，不写入。"
                         f"确认要用演示数据替换时，请加 --force。")
    if households < 1:
        raise UsageError("--households 至少为 1。")
    if existing:
        for folder in records.iterdir():
            if folder.is_dir() and folder.name.isdigit():
                shutil.rmtree(folder)
    settings = out_dir / SETTINGS
    settings.mkdir(parents=True, exist_ok=True)
    source = Path(root) / SETTINGS
    if source.resolve() != settings.resolve():
        for path in sorted(source.glob("*.yaml")):
            shutil.copyfile(path, settings / path.name)
    people, counties = 0, set()
    prov = Province(today, regions(), load_standards(root))
    for rel, data in _households(households, seed, prov):
        path = out_dir / rel
        if path.parent.name not in counties:
            path.parent.mkdir(parents=True, exist_ok=True)
            counties.add(path.parent.name)
        path.write_text(dump_record(data), encoding="utf-8")
        people += data["家庭人口"]
    return DemoSummary(households, people, len(counties), prov.retries)


def _existing_households(records: Path) -> int:
    if not records.is_dir():
        return 0
    return sum(1 for folder in records.iterdir() if folder.is_dir() and folder.name.isdigit() for _ in folder.glob("*.yaml"))


def _slots(households: int, table) -> list[tuple[str, int]]:
    """(county, sequence number) for each household: counties by their weight, largest remainders first."""
    weights = {code: table.get(code).weight for code in table.counties() if table.get(code).weight > 0}
    total = sum(weights.values())
    shares = {code: Decimal(households * w) / total for code, w in weights.items()}
    counts = {code: int(share.to_integral_value(ROUND_FLOOR)) for code, share in shares.items()}
    left = households - sum(counts.values())
    for code in sorted(shares, key=lambda c: (counts[c] - shares[c], c))[:left]:
        counts[code] += 1
    return [(code, seq) for code in sorted(counts) for seq in range(1, counts[code] + 1)]
