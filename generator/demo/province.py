"""A synthetic, clearly fake province of households for demos, tests and benchmarks."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from multiprocessing import get_context
from pathlib import Path

from generator import RESOURCES, parallel
from generator.demo.household import Province, build
from generator.demo.identity import next_free
from generator.errors import UsageError
from generator.records import SETTINGS as SETTINGS_FOLDER
from generator.records.dump import dump_record
from generator.rules.regions import regions
from generator.rules.standards import load_standards

DEMO_TODAY = dt.date(2026, 11, 1)
SAMPLE_SEED = 2016
SAMPLE_HOUSEHOLDS = 48
SOURCE_ROOT = RESOURCES  # its records/_settings/ are the demo's settings
SETTINGS = Path(SETTINGS_FOLDER)

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


def generate(households: int, seed: int, today: dt.date = DEMO_TODAY, root: Path = SOURCE_ROOT) -> Iterator[tuple[str, dict]]:
    """Yield (records/<county>/<职工编号>.yaml, record) for a fake province; same seed, same records."""
    plan = _Plan(households, seed, today, Path(root))
    taken: set[str] = set()
    for index in range(households):
        rel, data = plan.household(index)
        _one_person_one_archive(data, taken)
        yield rel, data


def write_demo(
    out_dir: Path, households: int, seed: int, *, force: bool = False, today: dt.date = DEMO_TODAY, root: Path = SOURCE_ROOT
) -> DemoSummary:
    """Write a complete demo archive (records and records/_settings) under out_dir; same bytes as generate()."""
    out_dir, root = Path(out_dir), Path(root)
    records = out_dir / "records"
    existing = _existing_households(records)
    if existing and not force:
        raise UsageError(
            f"{records} 下已有 {existing} 份档案，为防止覆盖真实档案，不写入。确认要用演示数据替换时，请加 --force。"
        )
    if households < 1:
        raise UsageError("--households 至少为 1。")
    if existing:
        for folder in records.iterdir():
            if folder.is_dir() and folder.name.isdigit():
                shutil.rmtree(folder)
    settings = out_dir / SETTINGS
    settings.mkdir(parents=True, exist_ok=True)
    source = root / SETTINGS
    if source.resolve() != settings.resolve():
        for path in sorted(source.glob("*.yaml")):
            shutil.copyfile(path, settings / path.name)
    job = (str(out_dir), households, seed, today.isoformat(), str(root))
    workers = parallel.workers("demo", households)
    if workers == 1:
        written = _write_range(*job, 0, households)
    else:
        bounds = [households * i // workers for i in range(workers + 1)]
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:  # fresh workers: nothing to inherit
            parts = [pool.submit(_write_range, *job, bounds[i], bounds[i + 1]) for i in range(workers)]
            written = [item for part in parts for item in part.result()]
    # Households were drawn independently; an ID number drawn twice is moved to a free order code, in file order.
    plan, taken, people, retries = _Plan(households, seed, today, root), set(), 0, 0
    for index, rel, numbers, size, tries in written:
        people, retries = people + size, retries + tries
        if taken.isdisjoint(numbers):
            taken.update(numbers)
            continue
        _, data = plan.household(index)
        _one_person_one_archive(data, taken)
        (out_dir / rel).write_text(dump_record(data), encoding="utf-8")
    counties = {rel.split("/")[1] for _, rel, _, _, _ in written}
    return DemoSummary(households, people, len(counties), retries)


class _Plan:
    """Which county, number and scenario each household of a run gets; builds any one of them on its own."""

    def __init__(self, households: int, seed: int, today: dt.date, root: Path):
        self.seed = seed
        self.prov = Province(today, regions(), load_standards(root))
        self.slots = _slots(households, self.prov.regions)
        order = random.Random(f"bangfu-demo:{seed}:slots")
        chosen = order.sample(range(len(self.slots)), min(len(SCENARIOS), len(self.slots)))
        self.scenario_of = {slot: SCENARIOS[i] for i, slot in enumerate(chosen)}

    def household(self, index: int) -> tuple[str, dict]:
        county, seq = self.slots[index]
        # One generator per household: a household does not change when another one is redrawn.
        rng = random.Random(f"bangfu-demo:{self.seed}:{county}:{seq}")
        data = build(rng, self.prov, county, seq, self.scenario_of.get(index, {}))
        return f"records/{county}/{data['职工编号']}.yaml", data


def _write_range(out_dir: str, households: int, seed: int, today: str, root: str, first: int, last: int) -> list:
    """Build, write and report households first..last-1 (run in a worker process for large provinces)."""
    plan = _Plan(households, seed, dt.date.fromisoformat(today), Path(root))
    out, made = [], set()
    for index in range(first, last):
        before = plan.prov.retries
        rel, data = plan.household(index)
        path = Path(out_dir) / rel
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        path.write_text(dump_record(data), encoding="utf-8")
        numbers = [p["身份证号"] for p in (data, *data.get("家庭主要成员", ())) if "身份证号" in p]
        out.append((index, rel, numbers, data["家庭人口"], plan.prov.retries - before))
    return out


def _one_person_one_archive(data: dict, taken: set[str]) -> None:
    for person in (data, *data.get("家庭主要成员", ())):
        number = person.get("身份证号")
        if number:
            if number in taken:
                number = person["身份证号"] = next_free(number, taken)
            taken.add(number)


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
