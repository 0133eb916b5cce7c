"""`bangfu explain`, the rules inside `bangfu validate`, and the sample records against the rules."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rules_support import STANDARDS_YAML, attached, dump, household, standards, with_income

from generator.cli import cli
from generator.records.load import load_file, load_tree
from generator.rules import assess, check_rules
from generator.rules.standards import load_standards
from generator.validation.validate import Context

REPO = Path(__file__).resolve().parent.parent
TODAY = "2020-01-01"


def _archive(tmp_path: Path, data: dict) -> Path:
    """A one-household archive with the test standards; returns the record's path."""
    settings = tmp_path / "records" / "_settings"
    settings.mkdir(parents=True)
    (settings / "standards.yaml").write_text(STANDARDS_YAML, encoding="utf-8")
    path = tmp_path / "records" / "460105" / "4601050001.yaml"
    path.parent.mkdir()
    path.write_text(dump(attached(data)), encoding="utf-8")
    return path


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"BANGFU_TODAY": TODAY})


def test_explain_text(tmp_path: Path) -> None:
    path = _archive(tmp_path, household())
    result = _run("explain", str(path), "--root", str(tmp_path))
    assert result.exit_code == 0
    assert result.output == (
        "职工编号 4601050001，评估日期 2018-06-01（取入户调查和年度核查中最晚的日期：入户调查的调查日期）\n"
        "注意：认定标准文件标为示例数据，以下标准数值是虚构的，部署前必须替换为当地公布的标准。\n"
        "1. 适用标准：户口类型为城镇户口，用城市低保标准 600 元/人·月（海口市（4601）2016-01-01 起施行，依据：测试：海口市）；"
        "边缘倍数 1.5（海南省（46）2016-01-01 起施行，依据：测试：省）；边缘上限 600 × 1.5 = 900 元/人·月。\n"
        "2. 家庭年度总收入：本人月平均收入 2,000 元 × 12 ＋ 家庭成员月收入合计 1,000 元（测试乙 1,000 元） × 12 ＋ "
        "家庭其他非薪资年收入 0 元 = 36,000 元（与填报一致）。\n"
        "3. 推算收入：没有无业无收入的家庭成员，无需推算。\n"
        "4. 家庭月人均收入：家庭年度总收入 36,000 元 ÷ 12 ÷ 4 人 = 750.00 元/人·月。\n"
        "5. 低保证：没有。\n"
        "6. 困难情形：慢性疾病（测试乙，证明材料：测试乙慢性病诊断证明）。\n"
        "7. 家庭月人均收入 750.00 元；低保标准 600 元，边缘上限 900 元（1.5 倍） → 高于低保标准、不高于边缘上限；"
        "有困难情形：慢性疾病 → 低保边缘户。\n"
        "8. 零就业家庭：劳动年龄内有劳动能力的本人测试甲、配偶测试乙已就业 → 否。\n"
        "9. 单亲：婚姻状况为已婚 → 否。\n"
        "结论：认定为低保边缘户；与填报的困难类别“低保边缘户”一致。\n"
    )


def test_explain_json(tmp_path: Path) -> None:
    path = _archive(tmp_path, with_income("3600.04"))
    result = _run("explain", str(path), "--root", str(tmp_path), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert (data["认定类别"], data["填报类别"], data["一致"]) == (None, "低保边缘户", False)
    assert (data["家庭月人均收入"], data["低保标准"], data["边缘上限"]) == ("900.01", "600.00", "900.00")
    assert data["步骤"][0]["标准来源"][0]["地区"] == "4601"
    assert data["结论"] == "不能认定为困难职工家庭；与填报的困难类别“低保边缘户”不一致。"


def test_explain_record_breaking_the_schema(tmp_path: Path) -> None:
    path = _archive(tmp_path, household(家庭人口="四"))
    result = _run("explain", str(path), "--root", str(tmp_path))
    assert result.exit_code == 1
    assert result.output.startswith("错误：档案不符合档案表格式，请先修正以下问题再查看认定过程。\n")
    assert "records/460105/4601050001.yaml:" in result.output and "家庭人口" in result.output


def test_explain_missing_file(tmp_path: Path) -> None:
    result = _run("explain", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "档案文件不存在" in result.output


def test_explain_with_invalid_standards(tmp_path: Path) -> None:
    path = _archive(tmp_path, household())
    (tmp_path / "records" / "_settings" / "standards.yaml").write_text("标准:\n  - 地区: 46\n", encoding="utf-8")
    result = _run("explain", str(path), "--root", str(tmp_path))
    assert result.exit_code == 1
    assert result.output.startswith("错误：认定标准文件有误。\n")
    assert "records/_settings/standards.yaml:2: 标准[1].地区: 应为加引号的文字" in result.output


def test_check_places_problems_on_lines(tmp_path: Path) -> None:
    path = _archive(tmp_path, household(家庭年度总收入=35000, 是否为零就业家庭="是"))
    record, problems = load_file(path, tmp_path)
    assert problems == []
    ctx = Context(tmp_path, dt.date.fromisoformat(TODAY))
    found = {p.code: p for p in check_rules(record, ctx)}
    assert set(found) == {"income-total", "zero-employment"}
    text = path.read_text(encoding="utf-8").splitlines()
    assert text[found["income-total"].line - 1].startswith("家庭年度总收入: 35000")
    assert found["income-total"].field == "家庭年度总收入"
    assert found["zero-employment"].field == "是否为零就业家庭"


def test_validate_shows_the_trace_for_a_wrong_category(tmp_path: Path) -> None:
    _archive(tmp_path, with_income("3600.04"))
    result = _run("validate", "--root", str(tmp_path), "--no-cache")
    assert result.exit_code == 1
    assert (
        "records/460105/4601050001.yaml:3: 困难类别: 困难类别填为低保边缘户，但按《实施方案》五（一）不能认定为困难职工家庭。"
        "计算过程：\n"
    ) in result.output
    assert "  4. 家庭月人均收入：家庭年度总收入 43,200.48 元 ÷ 12 ÷ 4 人 = 900.01 元/人·月。\n" in result.output


def test_every_sample_record_agrees_with_the_rules() -> None:
    loaded = load_tree(REPO, cache=False)
    if not loaded.records:
        pytest.skip("还没有示例档案")
    table = load_standards(REPO)
    today = dt.date.fromisoformat(TODAY)
    disagree = []
    for record in loaded.records:
        result = assess(record.data, record.county, table, today)
        if not result.agrees:
            disagree.append(f"{record.path}: {result.conclusion()}")
    assert disagree == []


def test_shipped_standards_are_marked_as_examples() -> None:
    table = load_standards(REPO)
    assert table.example
    assert standards().example


def test_exited_record_keeps_errors_but_drops_advice(tmp_path: Path) -> None:
    data = with_income("9000", size=5, 状态="已解困脱困", 退出={"日期": "2019-01-01", "原因": "收入超过标准已解困脱困"})
    data["家庭年度总收入"] = 1
    data["家庭主要成员"].append(
        {"姓名": "测试戊", "关系": "子", "性别": "男", "出生日期": "1990-01-01", "健康状况": "健康", "月收入": 0, "身份": "无业"}
    )
    path = _archive(tmp_path, data)
    record, _ = load_file(path, tmp_path)
    codes = {p.code for p in check_rules(record, Context(tmp_path, dt.date.fromisoformat(TODAY)))}
    assert codes == {"income-total"}
