"""The synthetic province: deterministic, fake, distributed by weight, accepted by the rules, safe to run."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from stdnum import luhn
from stdnum.cn import ric

from generator.commands.demo import demo
from generator.demo.identity import MARKERS
from generator.demo.province import DEMO_TODAY, SCENARIOS, _slots, generate, write_demo
from generator.records.dump import dump_record
from generator.rules.regions import regions
from generator.validation.validate import validate_paths

ROOT = Path(__file__).resolve().parent.parent


def _texts(households: int, seed: int) -> dict[str, str]:
    return {rel: dump_record(data) for rel, data in generate(households, seed)}


def test_same_seed_gives_identical_bytes():
    assert _texts(40, 7) == _texts(40, 7)


def test_other_seed_gives_other_households():
    first, second = _texts(20, 1), _texts(20, 2)
    assert first.keys() == second.keys()
    assert all(first[k] != second[k] for k in first)


def test_households_are_spread_over_counties_by_weight():
    table = regions()
    counts = Counter(county for county, _ in _slots(26700, table))
    weights = {c: table.get(c).weight for c in table.counties()}
    total = sum(weights.values())
    assert sum(counts.values()) == 26700
    for county, weight in weights.items():
        assert abs(counts[county] - 26700 * weight / total) <= 1, county


def test_sequence_numbers_run_per_county():
    slots = _slots(500, regions())
    by_county: dict[str, list[int]] = {}
    for county, seq in slots:
        by_county.setdefault(county, []).append(seq)
    assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in by_county.values())


@pytest.fixture(scope="module")
def province():
    return [data for _, data in generate(600, 42)]


def _people(data):
    yield data
    yield from data.get("家庭主要成员", [])


def test_everyone_is_plainly_fake(province):
    marker = re.compile("|".join(MARKERS))
    for data in province:
        for person in _people(data):
            assert marker.search(person["姓名"]), person["姓名"]
            number = person.get("身份证号")
            if number:
                assert number[14] == "9", number  # order codes 900–999
                assert ric.is_valid(number), number
                assert ric.get_birth_date(number).isoformat() == person["出生日期"]
                assert (int(number[16]) % 2 == 1) == (person["性别"] == "男")
        assert data["家庭住址"].endswith("（虚构）")
        if "工作单位" in data:
            assert data["工作单位"].endswith("（虚构）")
        if "银行卡号" in data:
            assert data["银行卡号"].startswith("62000000") and luhn.is_valid(data["银行卡号"])
        if "手机号码" in data:
            assert data["手机号码"].startswith("1700000")


def test_one_person_one_archive(province):
    numbers = [p["身份证号"] for data in province for p in _people(data) if "身份证号" in p]
    assert len(numbers) == len(set(numbers))


def test_money_adds_up_exactly(province):
    from decimal import Decimal

    for data in province:
        members = sum(Decimal(str(m["月收入"])) for m in data.get("家庭主要成员", []))
        total = Decimal(str(data["本人月平均收入"])) * 12 + members * 12 + Decimal(str(data["家庭其他非薪资年收入"]))
        assert total == Decimal(str(data["家庭年度总收入"]))
        assert data["家庭人口"] == 1 + len(data.get("家庭主要成员", []))


def test_no_date_after_the_demo_day(province):
    future_ok = {"有效期止", "劳动合同期限止"}

    def walk(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                yield from walk(v, k)
        elif isinstance(value, list):
            for v in value:
                yield from walk(v, key)
        elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) and key not in future_ok:
            yield key, dt.date.fromisoformat(value)

    for data in province:
        late = [(k, d) for k, d in walk(data) if d > DEMO_TODAY]
        assert not late, (data["职工编号"], late)


def test_a_generated_province_validates_without_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("BANGFU_TODAY", DEMO_TODAY.isoformat())
    summary = write_demo(tmp_path, 150, 99)
    assert summary.households == 150
    checked, problems = validate_paths(tmp_path, [], use_cache=False)
    assert checked == 150
    assert [p.to_text() for p in problems if p.is_error] == []


def test_small_runs_still_contain_every_scenario():
    assert len(list(generate(len(SCENARIOS), 5))) == len(SCENARIOS)
    statuses = {data["状态"] for _, data in generate(len(SCENARIOS), 5)}
    assert statuses == {"调查中", "公示中", "待审批", "帮扶中", "已解困脱困", "已注销"}


def test_demo_command_writes_a_complete_archive(tmp_path):
    result = CliRunner().invoke(demo, ["--households", "20", "--seed", "3", "--out", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"已在 {tmp_path / 'records'} 生成 20 户、")
    assert len(list((tmp_path / "records").glob("4*/*.yaml"))) == 20
    assert (tmp_path / "records" / "_settings" / "standards.yaml").read_bytes() == (
        ROOT / "records" / "_settings" / "standards.yaml"
    ).read_bytes()


def test_demo_command_refuses_to_overwrite_an_archive(tmp_path):
    household = tmp_path / "records" / "460105" / "4601050001.yaml"
    household.parent.mkdir(parents=True)
    household.write_text("真实档案", encoding="utf-8")
    result = CliRunner().invoke(demo, ["--households", "5", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "已有 1 份档案" in result.output and "--force" in result.output
    assert household.read_text(encoding="utf-8") == "真实档案"
    assert len(list((tmp_path / "records").glob("4*/*.yaml"))) == 1


def test_demo_command_replaces_with_force(tmp_path):
    stale = tmp_path / "records" / "469030" / "4690309999.yaml"
    stale.parent.mkdir(parents=True)
    stale.write_text("旧的演示档案", encoding="utf-8")
    result = CliRunner().invoke(demo, ["--households", "5", "--out", str(tmp_path), "--force"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert not stale.exists()
    assert len(list((tmp_path / "records").glob("4*/*.yaml"))) == 5


def test_demo_help_is_chinese_with_an_example():
    result = CliRunner().invoke(demo, ["--help"])
    assert "生成虚构的演示档案库" in result.output and "bangfu demo --out" in result.output


def test_parallel_writing_gives_the_same_bytes_as_generate(tmp_path, monkeypatch):
    from generator.parallel import POLICY, Policy

    monkeypatch.setitem(POLICY, "demo", Policy(10, 2))
    write_demo(tmp_path, 60, 8)
    expected = _texts(60, 8)
    written = {
        p.relative_to(tmp_path).as_posix(): p.read_text(encoding="utf-8") for p in (tmp_path / "records").glob("4*/*.yaml")
    }
    assert written == expected


def test_an_id_number_drawn_twice_moves_to_a_free_order_code():
    from generator.demo.province import _one_person_one_archive

    first = {"身份证号": "442101198001019910", "家庭主要成员": [{"身份证号": "460105201001019920"}]}
    second = {"身份证号": "442101198001019910"}
    taken: set[str] = set()
    _one_person_one_archive(first, taken)
    _one_person_one_archive(second, taken)
    moved = second["身份证号"]
    assert moved != first["身份证号"] and moved[:14] == first["身份证号"][:14]
    assert moved[14] == "9" and int(moved[16]) % 2 == 1 and ric.is_valid(moved)
    assert taken == {first["身份证号"], first["家庭主要成员"][0]["身份证号"], moved}
