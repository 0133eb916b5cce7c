"""The sample records in records/: what issue 2 promises about them, computed from the files."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
import yaml
from conftest import TODAY
from history_support import git

from generator.demo.province import DEMO_TODAY, SAMPLE_HOUSEHOLDS, SAMPLE_SEED, generate
from generator.records.dump import dump_record
from generator.records.schema import field_map
from generator.rules.regions import regions
from generator.validation.validate import validate_paths

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "records").glob("4*/*.yaml"))
REVIEWERS = "records/_settings/reviewers.yaml"
REGENERATE = f"bangfu demo --households {SAMPLE_HOUSEHOLDS} --seed {SAMPLE_SEED} --out . --force"


@pytest.fixture(scope="module")
def samples() -> dict[str, dict]:
    return {p.relative_to(ROOT).as_posix(): yaml.load(p.read_bytes(), Loader=yaml.CSafeLoader) for p in FILES}


def _enum(pointer: str) -> set[str]:
    return set(field_map()[pointer].enum)


def _age(born: str) -> int:
    day = dt.date.fromisoformat(born)
    return DEMO_TODAY.year - day.year - ((DEMO_TODAY.month, DEMO_TODAY.day) < (day.month, day.day))


def _since_signatures_required() -> tuple[str, set[str]]:
    """The main commit that required signed approvals, and the sample files approved merges changed after it."""
    required = git(ROOT, "log", "--first-parent", "--format=%H", "-G^要求签名:", "refs/heads/main", "--", REVIEWERS).split()
    assert required, "要求签名 was never set on main"
    changed = git(ROOT, "diff", "--name-only", "--no-renames", required[-1], "refs/heads/main", "--", "records/4*")
    return required[-1], set(changed.split())


def test_samples_are_the_generators_output(samples):
    """The samples are the seeded generator's output; since signatures became required they change only by
    approved, signed merges (tests/test_sample_history.py audits those), so changed files are compared as they
    stood then."""
    expected = {rel: dump_record(data) for rel, data in generate(SAMPLE_HOUSEHOLDS, SAMPLE_SEED)}
    required, changed = _since_signatures_required()
    assert len(changed) <= 10, "regenerate the samples instead of letting them drift from the generator"
    actual = {
        rel: git(ROOT, "show", f"{required}:{rel}") + "\n" if rel in changed else (ROOT / rel).read_text(encoding="utf-8")
        for rel in samples
    }
    assert actual == expected, f"records/ differs from the generator; regenerate with: {REGENERATE}"


def test_samples_validate_without_errors(monkeypatch):
    monkeypatch.setenv("BANGFU_TODAY", TODAY)  # the tests' today: later than every sample entry
    checked, problems = validate_paths(ROOT, [], use_cache=False)
    assert checked == len(FILES)
    assert [p.to_text() for p in problems if p.is_error] == []
    # The one warning is deliberate: a jobless member without a certificate, imputed at the minimum wage.
    assert {p.code for p in problems} <= {"imputed-income"}


def test_several_regions(samples):
    table = regions()
    counties = {data["所属地区"] for data in samples.values()}
    units = {c if table.parent(c) == table.province else table.parent(c) for c in counties}
    assert len(counties) >= 6 and len(units) >= 3


@pytest.mark.parametrize("field", ["困难类别", "状态"])
def test_every_value_of_a_single_choice(samples, field):
    assert {data[field] for data in samples.values()} == _enum(f"/{field}")


@pytest.mark.parametrize("field", ["致困原因", "五类重点群体", "四个一批措施", "七个行动计划"])
def test_every_value_of_a_multiple_choice_and_other_explained(samples, field):
    seen = Counter(value for data in samples.values() for value in data.get(field, []))
    assert set(seen) == _enum(f"/{field}")
    for data in samples.values():
        if "其他" in data.get(field, []):
            assert data[f"{field}其他注明"]


def test_each_category_carries_its_evidence(samples):
    for data in samples.values():
        attachments = {a["附件名称"] for a in data["附件"]}
        if data["困难类别"] == "低保户":
            assert data["低保证"]["有效期起"] <= data["低保证"]["有效期止"]
        else:
            assert data["困难情形"]
        for situation in data.get("困难情形", []):
            assert situation["证明材料"] in attachments
        if data["困难类别"] == "意外致困户":
            assert data["特殊支出"]
        for expense in data.get("特殊支出", []):
            assert expense["凭证"] in attachments


def test_a_migrant_worker_household(samples):
    migrants = [d for d in samples.values() if d["是否农民工"] == "是"]
    assert migrants
    for data in migrants:
        assert data["农民工"]["用工单位有工会"] == "是"
        assert "村委会" in {n["层级"] for n in data["公示"]}


def test_exits_and_cancellations(samples):
    by_status = Counter(d["状态"] for d in samples.values())
    assert by_status["帮扶中"] == max(by_status.values())
    for data in samples.values():
        if data["状态"] in ("已解困脱困", "已注销"):
            assert data["退出"]["日期"] and data["退出"]["原因"]
        else:
            assert "退出" not in data


def test_members_of_all_ages(samples):
    members = [m for d in samples.values() for m in d.get("家庭主要成员", [])]
    ages = [_age(m["出生日期"]) for m in members]
    assert min(ages) == 0 and max(ages) >= 80
    assert any(_age(m["出生日期"]) < 3 and "身份证号" not in m for m in members)
    identities = {m["身份"] for m in members}
    assert {i for i in _enum("/家庭主要成员/*/身份") if i.startswith("在校学生")} | {"学龄前儿童", "离退休"} <= identities


def test_family_flags_and_support_records_vary(samples):
    data = list(samples.values())
    assert {d["是否单亲"] for d in data} == {"是", "否"}
    assert {d["是否为零就业家庭"] for d in data} == {"是", "否"}
    active = [d for d in data if d["状态"] == "帮扶中"]
    assert any("帮扶台账" in d for d in active) and any("帮扶台账" not in d for d in active)
    assert all(d["帮扶责任人"]["联系方式"] and d["工会联络人"]["姓名"] and d["帮扶任务完成时限"] for d in active)
    assert any(d.get("年度核查") for d in active)
