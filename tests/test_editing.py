"""The editing commands through the real CLI: good input writes valid records, bad input changes no file."""

from __future__ import annotations

import datetime as dt
import random

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from conftest import REPO, TODAY, make_archive
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workflow_support import BASE, household, id_number, migrant, read, tree_digest, write

from generator.cli import cli
from generator.commands.workflow import COMMANDS
from generator.editing.fmt import canonical
from generator.records.dump import HEADER, dump_record
from generator.records.schema import fields


def run(root, *args, code=0):
    result = CliRunner().invoke(cli, [*args, "--root", str(root)], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def refused(root, *args, code=1, says=""):
    """Run a command that must fail; prove that it changed no file."""
    before = tree_digest(root)
    output = run(root, *args, code=code)
    assert tree_digest(root) == before
    assert says in output, output
    assert "Traceback" not in output
    return output


@pytest.fixture
def cycle(archive):
    """An archive with households at each step of the cycle in 秀英区 and one household in 龙华区."""
    write(archive, household("调查中", 1))
    no_survey = household("调查中", 2)
    no_survey.pop("入户调查")
    write(archive, no_survey)
    write(archive, household("公示中", 3))
    write(archive, household("帮扶中", 4))
    write(archive, household("帮扶中", 5))
    write(archive, household("已解困脱困", 6))
    write(archive, household("已注销", 7))
    write(archive, household("帮扶中", 11, county="460106"))
    return archive


def path_of(root, number):
    return root / "records" / number[:6] / f"{number}.yaml"


def test_every_command_has_chinese_help_with_an_example():
    docs = (REPO / "docs" / "workflow.md").read_text(encoding="utf-8")
    for command in COMMANDS:
        output = CliRunner().invoke(cli, [command.name, "--help"]).output
        assert "例：" in output and f"bangfu {command.name}" in output, command.name
        assert f"bangfu {command.name}" in docs, command.name


# --- new ---------------------------------------------------------------------------------------------------------


def test_new_takes_the_next_free_number_and_lists_what_to_fill(cycle):
    output = run(cycle, "new", "--region", "460105", "--name", "测试新", "--id", id_number("1985-05-05", "女", 90))
    target = path_of(cycle, "4601050008")
    text = target.read_text(encoding="utf-8")
    assert text.startswith(HEADER)
    data = yaml.safe_load(text)
    assert data["状态"] == "调查中" and data["出生日期"] == "1985-05-05" and data["性别"] == "女"
    assert [f.pointer[1:] for f in fields() if f.required] == [
        k for k in data if k in {f.pointer[1:] for f in fields() if f.required}
    ]
    assert all(f.pointer[1:] in data for f in fields() if f.required)
    assert output.startswith("已建立 records/460105/4601050008.yaml（职工编号 4601050008，状态：调查中）。\n尚需填写 ")
    assert "民族、" in output


def test_new_with_every_required_field_given_writes_a_valid_record(cycle):
    values = household("调查中", 9, 家庭年度总收入=18000)  # no members given: the worker's income alone
    sets = []
    for info in fields():
        key = info.pointer[1:]
        if info.required and key not in ("职工编号", "所属地区", "状态") and info.kind not in ("object", "array"):
            value = values[key]
            sets += ["--set", f"{key}={'、'.join(value) if isinstance(value, list) else value}"]
    output = run(cycle, "new", "--region", "460105", *sets)
    assert "尚需填写" not in output
    assert run(cycle, "validate", str(path_of(cycle, "4601050008"))).endswith("全部通过。\n")


def test_validate_advises_how_to_fill_what_new_left_empty(cycle):
    """Issue 15 item 8: each empty line of a new record said "不填就整行删去", and deleting it only led to
    "缺少必填项". The advice now says the field is required and what to write there."""
    run(cycle, "new", "--region", "460105", "--name", "测试新", "--id", id_number("1985-05-05", "女", 90))
    target = path_of(cycle, "4601050008")
    output = run(cycle, "validate", str(target), code=1)
    assert "删去" not in output
    lines = {line.split(": ", 1)[1].split(":", 1)[0]: line for line in output.splitlines() if ": " in line}
    text = target.read_text(encoding="utf-8").splitlines()
    number = {line.split(":")[0]: i for i, line in enumerate(text, 1)}
    rel = "records/460105/4601050008.yaml"
    assert lines["家庭人口"] == f"{rel}:{number['家庭人口']}: 家庭人口: 必填项，尚未填写：请写整数，不加引号和单位，例如 3。"
    assert (
        lines["困难类别"]
        == f"{rel}:{number['困难类别']}: 困难类别: 必填项，尚未填写：请从可选值中选一个：低保户、低保边缘户、意外致困户。"
    )
    assert (
        lines["确定时间"]
        == f"{rel}:{number['确定时间']}: 确定时间: 必填项，尚未填写：请写日期，格式 YYYY-MM-DD，例如 2016-08-01（加引号）。"
    )
    assert lines["审核人"] == f"{rel}:{number['审核人']}: 审核人: 必填项，尚未填写：请写上内容。"
    # Following the advice works: the filled line is no longer reported, and nothing says to delete it.
    write_text = "\n".join(line.replace("家庭人口: null", "家庭人口: 3") for line in text) + "\n"
    target.write_text(write_text, encoding="utf-8")
    assert "家庭人口" not in run(cycle, "validate", str(target), code=1)


def test_an_optional_field_left_empty_may_be_deleted(archive, base_record_text):
    path = archive / "records" / "460105" / "4601059001.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(base_record_text.rstrip("\n") + '\n备注: ""\n', encoding="utf-8")
    output = run(archive, "validate", code=1)
    assert "备注: 尚未填写：请写上内容。这一栏可以不填，不填就把这一整行删去。" in output, output


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--region", "469999"], 2, "不是本省的县级行政区划代码"),
        (["--region", "4601"], 2, "不是本省的县级行政区划代码"),
        (["--region", "460105", "--id", "460100198003159016"], 1, "身份证号校验位错误"),
        (["--region", "460105", "--set", "民族=汉"], 1, "是不是“汉族”"),
        (["--region", "460105", "--set", "名族=汉族"], 2, "是不是「民族」"),
        (["--region", "460105", "--set", "家庭人口=三"], 2, "应为数字"),
        (["--region", "460105", "--set", "家庭人口=Infinity"], 2, "应为数字"),  # was an internal error
        (["--region", "460105", "--set", "家庭人口=1e99999999"], 2, "应为数字"),  # int() of it ran for minutes
        (["--region", "460105", "--set", "民族"], 2, "应为 栏目=值"),
    ],
)
def test_new_refuses_bad_input(cycle, args, code, says):
    refused(cycle, "new", *args, code=code, says=says)


def test_new_refuses_a_person_who_already_has_an_archive(cycle):
    taken = read(path_of(cycle, "4601050004"))["身份证号"]
    refused(cycle, "new", "--region", "460105", "--id", taken, says="一人一档")


# --- notice ------------------------------------------------------------------------------------------------------


def test_notice_records_the_period_and_writes_a_masked_list(cycle):
    output = run(cycle, "notice", "--region", "4601", "--start", "2016-08-15", "--place", "示例机械厂公示栏")
    first = read(path_of(cycle, "4601050001"))
    assert first["状态"] == "公示中"
    assert first["公示"] == [{"层级": "用人单位", "开始日期": "2016-08-15", "结束日期": "2016-08-22", "地点": "示例机械厂公示栏"}]
    assert output.splitlines()[:2] == [
        "已为 1 户记录公示期 2016-08-15 至 2016-08-22：",
        "  records/460105/4601050001.yaml 测*甲：用人单位公示",
    ]
    assert "records/460105/4601050002.yaml：没有入户调查记录（先调查，后公示）" in output
    assert "records/460105/4601050003.yaml：用人单位公示到 2016-08-22 才结束，帮扶中心公示应在其后开始" in output
    page = (cycle / "公示名单" / "公示名单-4601-2016-08-15.html").read_text(encoding="utf-8")
    assert ">测*甲</td>" in page and "测试甲" not in page
    assert first["身份证号"] not in page and "身份证" not in page
    assert "公示期：2016-08-15 至 2016-08-22" in page
    assert run(cycle, "validate").endswith("全部通过。\n")


def test_the_centre_notice_follows_the_employer_notice(cycle):
    run(cycle, "notice", "--region", "460105", "--start", "2016-08-15")
    output = run(
        cycle, "notice", "--region", "460105", "--start", "2016-08-23", "--level", "帮扶中心", "--out", str(cycle / "名单.html")
    )
    assert "已为 2 户记录公示期 2016-08-23 至 2016-08-30：" in output
    levels = [n["层级"] for n in read(path_of(cycle, "4601050003"))["公示"]]
    assert levels == ["用人单位", "帮扶中心"]
    assert (cycle / "名单.html").is_file()
    refused(cycle, "notice", "--region", "460105", "--start", "2016-09-01", says="各级公示均已记录，可提交审批")


def test_a_migrant_gets_three_notices_village_and_employer_first(archive):
    data = migrant(1)
    data.update(状态="调查中")
    for key in ("公示", "审批", "帮扶台账", "年度核查"):
        data.pop(key)
    write(archive, data)
    run(archive, "notice", "--region", "460105", "--start", "2016-08-15")
    run(archive, "notice", "--region", "460105", "--start", "2016-08-15")
    refused(archive, "notice", "--region", "460105", "--start", "2016-08-20", says="村委会、用人单位公示到 2016-08-22 才结束")
    assert "帮扶中心公示" in run(archive, "notice", "--region", "460105", "--start", "2016-08-23")
    assert [n["层级"] for n in read(path_of(archive, "4601050001"))["公示"]] == ["村委会", "用人单位", "帮扶中心"]
    assert run(archive, "validate").endswith("全部通过。\n")


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--region", "460105", "--start", "2016-08-15", "--days", "5"], 2, "公示期不得少于 7 天"),
        (["--region", "460105", "--start", "2016-08-01"], 1, "公示开始日期早于入户调查日期"),
        (["--region", "460105", "--start", "2016-02-30"], 2, "不是有效日期"),
        (["--region", "4699", "--start", "2016-08-15"], 2, "不是本省的行政区划代码"),
        (["--region", "460105", "--start", "2016-08-15", "--level", "村委会"], 1, "不需要村委会公示"),
    ],
)
def test_notice_refuses_bad_input(cycle, args, code, says):
    refused(cycle, "notice", *args, code=code, says=says)


# --- verify ------------------------------------------------------------------------------------------------------


def test_verify_lists_the_households_due_with_what_each_lacks(cycle):
    output = run(cycle, "verify", "--year", "2026", "--region", "460105")
    lines = output.splitlines()
    late = (dt.date.fromisoformat(TODAY) - dt.date(2026, 10, 31)).days
    assert lines[0] == f"2026 年度核查（2026-10-31 前，已逾期 {late} 天）：待核查 2 户。"
    assert lines[1].startswith("  records/460105/4601050004.yaml 测*甲：")
    assert "帮扶任务完成时限 2018-12 已到，评估是否解困脱困" in lines[1] and "2026 年没有帮扶台账记录" in lines[1]
    assert "4601060011" in run(cycle, "verify", "--year", "2026")


def verify_2026(cycle, records: tuple[str, ...], *options: str) -> str:
    """`bangfu verify` for 2026 on 2026-10-20 by the sample checker, one --record per "职工编号=结果"."""
    pairs = [item for record in records for item in ("--record", record)]
    return run(cycle, "verify", "--year", "2026", "--date", "2026-10-20", "--by", "示例核查员", *pairs, *options)


def test_verify_records_kept_exited_and_cancelled(cycle):
    output = verify_2026(cycle, ("4601050004=保留", "4601050005=注销:死亡", "4601060011=解困脱困"), "--note", "入户核实")
    assert output.startswith("已记入 3 户的 2026 年度核查结果：")
    kept, cancelled, relieved = (read(path_of(cycle, n)) for n in ("4601050004", "4601050005", "4601060011"))
    assert kept["状态"] == "帮扶中" and kept["年度核查"][-1] == {
        "年度": 2026,
        "核查日期": "2026-10-20",
        "核查人": "示例核查员",
        "结果": "保留",
        "说明": "入户核实",
    }
    assert cancelled["状态"] == "已注销" and cancelled["退出"] == {"日期": "2026-10-20", "原因": "死亡", "说明": "入户核实"}
    assert relieved["状态"] == "已解困脱困" and relieved["退出"]["原因"] == "收入超过标准已解困脱困"
    assert run(cycle, "validate").endswith("全部通过。\n")
    assert "待核查 0 户" in run(cycle, "verify", "--year", "2026")


@pytest.mark.parametrize(
    ("records", "code", "says"),
    [
        (["4601059999=保留"], 1, "找不到职工编号为 4601059999 的档案"),
        (["4601050005=注销"], 1, "结果为注销，须给出退出原因"),
        (["4601050005=注销:搬家"], 1, "退出原因“搬家”不是可选值"),
        (["4601050006=保留"], 1, "只有帮扶中的档案做年度核查"),
        (["4601050004=留下"], 2, "写法不对"),
        (["4601050004=保留", "4601050005=注销"], 1, "须给出退出原因"),
    ],
)
def test_verify_refuses_bad_outcomes(cycle, records, code, says):
    args = [a for r in records for a in ("--record", r)]
    refused(cycle, "verify", "--year", "2026", "--date", "2026-10-20", "--by", "示例核查员", *args, code=code, says=says)


def test_verify_refuses_a_date_outside_the_year_and_a_missing_verifier(cycle):
    refused(
        cycle,
        "verify",
        "--year",
        "2026",
        "--date",
        "2025-10-20",
        "--by",
        "甲",
        "--record",
        "4601050004=保留",
        says="不在 2026 年度内",
    )
    refused(cycle, "verify", "--year", "2026", "--record", "4601050004=保留", code=2, says="--date 和 --by")


def test_verify_worksheet_goes_out_and_comes_back(cycle):
    sheet_path = cycle / "核查.xlsx"
    assert run(cycle, "verify", "--year", "2026", "--out", str(sheet_path)) == f"已写出 3 户的核查表：{sheet_path}\n"
    book = openpyxl.load_workbook(sheet_path)
    sheet = book["年度核查"]
    headers = [c.value for c in sheet[1]]
    assert headers == [
        "职工编号",
        "所属地区",
        "姓名",
        "帮扶责任人",
        "待核实事项",
        "核查日期",
        "核查人",
        "结果",
        "说明",
        "退出原因",
    ]
    rows = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)}
    column = {h: i + 1 for i, h in enumerate(headers)}
    sheet.cell(rows["4601050004"], column["核查日期"], "2026-10-15")
    sheet.cell(rows["4601050004"], column["核查人"], "示例核查员")
    sheet.cell(rows["4601050004"], column["结果"], "好")
    book.save(sheet_path)
    refused(
        cycle,
        "verify",
        "--year",
        "2026",
        "--from",
        str(sheet_path),
        says="核查.xlsx: 工作表「年度核查」第 2 行 第 H 列（结果）: “好”不是可选值",
    )
    sheet.cell(rows["4601050004"], column["结果"], "保留")
    book.save(sheet_path)
    assert "已记入 1 户" in run(cycle, "verify", "--year", "2026", "--from", str(sheet_path))
    assert read(path_of(cycle, "4601050004"))["年度核查"][-1]["核查日期"] == "2026-10-15"


def test_verify_with_nothing_to_verify_is_not_an_error(cycle):
    """Issue 15 item 10: nothing due exited 1 with "错误：2026 年度没有待核查的档案。"."""
    verify_2026(cycle, ("4601050004=保留", "4601050005=保留", "4601060011=保留"))
    sheet_path = cycle / "核查.xlsx"
    result = CliRunner().invoke(cli, ["verify", "--year", "2026", "--out", str(sheet_path), "--root", str(cycle)])
    assert (result.exit_code, result.output) == (0, "2026 年度没有待核查的户，未写出核查表。\n")
    assert not sheet_path.exists()
    result = CliRunner().invoke(cli, ["verify", "--year", "2026", "--region", "460105", "--root", str(cycle)])
    assert result.exit_code == 0
    assert result.output.splitlines()[1:] == [
        "没有要核查的户（460105 范围内）：待核查的是状态为帮扶中、2026 年之前建档、还没有 2026 年度核查记录的户。"
    ]


# --- sample ------------------------------------------------------------------------------------------------------


@pytest.fixture
def province(archive):
    for serial in range(1, 21):
        write(archive, household("帮扶中", serial))
    write(archive, household("已注销", 21))
    return archive


def _drawn(output):
    return [line.strip() for line in output.splitlines() if line.startswith("  records/")]


def test_sample_is_reproducible_and_sized_by_percent(province):
    first = run(province, "sample", "--region", "4601", "--percent", "12", "--seed", "20261101")
    assert first.startswith("从 20 户帮扶中的档案抽取 3 户（12%，种子 20261101）：")
    again = run(province, "sample", "--region", "4601", "--percent", "12", "--seed", "20261101")
    assert _drawn(first) == _drawn(again) and len(_drawn(first)) == 3
    others = {tuple(_drawn(run(province, "sample", "--region", "4601", "--percent", "12", "--seed", str(s)))) for s in range(5)}
    assert len(others) > 1


def test_spot_check_outcomes_are_recorded_once(province):
    run(province, "sample", "--region", "46", "--percent", "10", "--seed", "7")
    sheet_path = province / "抽查复核" / "抽查复核-46-7.xlsx"
    book = openpyxl.load_workbook(sheet_path)
    sheet = book["抽查复核"]
    headers = [c.value for c in sheet[1]]
    assert headers == [
        "职工编号",
        "所属地区",
        "姓名",
        "工作单位",
        "困难类别",
        "帮扶责任人",
        "日期",
        "复核单位",
        "复核人",
        "结果",
        "说明",
    ]
    assert [c.value for c in book["说明"]["A"]][:3] == ["抽查范围", "抽查比例", "随机种子"]
    numbers = [sheet.cell(r, 1).value for r in (2, 3)]
    for row, result in ((2, "属实"), (3, "不属实")):
        sheet.cell(row, 7, "2026-10-01")
        sheet.cell(row, 8, "海南省总工会（示例）")
        sheet.cell(row, 10, result)
    book.save(sheet_path)
    output = run(province, "sample", "--record", str(sheet_path))
    assert output.startswith("已记入 2 户的抽查复核结果。")
    checked = read(path_of(province, numbers[1]))
    assert checked["抽查复核"] == [{"日期": "2026-10-01", "复核单位": "海南省总工会（示例）", "结果": "不属实"}]
    assert "spot-check" not in run(province, "validate")
    assert "最近一次抽查复核（2026-10-01）结果为不属实" in run(province, "validate")
    assert run(province, "sample", "--record", str(sheet_path)).startswith(
        "已记入 0 户的抽查复核结果（2 户已记过，未重复记入）。"
    )


def test_spot_check_sheet_with_a_missing_cell_changes_nothing(province):
    run(province, "sample", "--region", "46", "--percent", "10", "--seed", "7")
    sheet_path = province / "抽查复核" / "抽查复核-46-7.xlsx"
    book = openpyxl.load_workbook(sheet_path)
    book["抽查复核"].cell(2, 10, "属实")
    book.save(sheet_path)
    refused(
        province,
        "sample",
        "--record",
        str(sheet_path),
        says="工作表「抽查复核」第 2 行 第 G 列（日期）: 已填写结果的行须填写「日期」。",
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--region", "46", "--percent", "0", "--seed", "1"], "抽查比例应在 0 到 100 之间"),
        (["--region", "46", "--percent", "abc", "--seed", "1"], "--percent 应为数字"),
        (["--region", "46", "--percent", "5"], "须给出 --region、--percent 和 --seed"),
    ],
)
def test_sample_refuses_bad_input(province, args, says):
    refused(province, "sample", *args, code=2, says=says)


# --- fmt ---------------------------------------------------------------------------------------------------------

MESSY = """\
状态: 帮扶中
职工编号: 4601050001
所属地区: '460105'
邮政编码: 0570
出生日期: 1980-03-15
致困原因: [子女上学, 其他]
致困原因其他注明: "a: b"
家庭人口: 3
本人月平均收入: 1500.0
"""


def test_fmt_rewrites_into_the_canonical_form_without_changing_a_value(archive):
    target = path_of(archive, "4601050001")
    target.parent.mkdir(parents=True)
    target.write_text(MESSY, encoding="utf-8")
    assert run(archive, "fmt", "--check", code=1) == "  records/460105/4601050001.yaml\n需要改写 1 个文件，0 个已是规范格式。\n"
    assert run(archive, "fmt") == "  records/460105/4601050001.yaml\n已改写 1 个文件，0 个已是规范格式。\n"
    assert target.read_text(encoding="utf-8") == HEADER + (
        '职工编号: "4601050001"\n所属地区: "460105"\n状态: 帮扶中\n出生日期: "1980-03-15"\n邮政编码: "0570"\n'
        '本人月平均收入: 1500\n家庭人口: 3\n致困原因:\n  - 子女上学\n  - 其他\n致困原因其他注明: "a: b"\n'
    )
    assert run(archive, "fmt", "--check") == "需要改写 0 个文件，1 个已是规范格式。\n"


def test_fmt_changes_nothing_when_a_file_cannot_be_read_safely(archive):
    good = household("帮扶中", 1)
    write(archive, good)
    messy = path_of(archive, "4601050002")
    messy.write_text(MESSY.replace("4601050001", "4601050002"), encoding="utf-8")
    commented = path_of(archive, "4601050003")
    commented.write_text(HEADER + "# 待核实\n" + MESSY.replace("4601050001", "4601050003"), encoding="utf-8")
    broken = path_of(archive, "4601050004")
    broken.write_text("职工编号: [\n", encoding="utf-8")
    output = refused(archive, "fmt", says="未改动任何文件")
    assert "records/460105/4601050003.yaml:2: 文件中有注释" in output
    assert "records/460105/4601050004.yaml" in output
    broken.unlink()
    refused(archive, "fmt", says="--drop-comments")
    run(archive, "fmt", "--drop-comments")
    assert "待核实" not in commented.read_text(encoding="utf-8")


KEYS = [k for k in BASE if k != "家庭主要成员"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    order=st.permutations(KEYS),
    flow=st.booleans(),
    unquote=st.lists(st.sampled_from(["职工编号", "邮政编码", "手机号码"])),
    seed=st.integers(0, 1000),
)
def test_fmt_round_trip_loses_nothing(order, flow, unquote, seed):
    data = {key: BASE[key] for key in order}
    data["家庭主要成员"] = BASE["家庭主要成员"]
    written = dict(data)
    for key in unquote:
        written[key] = int(written[key])  # as an editor might type it: an unquoted number
    text = yaml.safe_dump(
        written, allow_unicode=True, default_flow_style=flow, sort_keys=False, width=random.Random(seed).choice([40, 80, 1000])
    )
    out, problems = canonical(text.encode("utf-8"), "records/460105/4601059001.yaml")
    assert problems == []
    assert yaml.safe_load(out) == data
    assert out == dump_record(data)
    assert canonical(out.encode("utf-8"), "x")[0] == out


def test_fmt_leaves_every_repository_sample_as_it_is(tmp_path):
    root = make_archive(tmp_path / "copy")
    samples = sorted((REPO / "records").glob("4*/*.yaml"))
    for path in samples:
        target = root / path.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    assert run(root, "fmt", "--check") == f"需要改写 0 个文件，{len(samples)} 个已是规范格式。\n"


def test_a_notice_can_start_today(cycle):
    """A running notice ends in the future; that is no error (today is 2026-12-02 in the tests)."""
    run(cycle, "notice", "--region", "460105", "--start", "2026-11-01")
    assert read(path_of(cycle, "4601050001"))["公示"][0]["结束日期"] == "2026-11-08"


def test_a_notice_can_start_tomorrow(cycle):
    """Issue 15 item 9: a notice list is printed and posted before its first day; `--start` tomorrow was refused
    ("日期 2026-11-02 在将来") with a line past the end of the file."""
    output = run(cycle, "notice", "--region", "460105", "--start", "2026-11-02")
    assert output.startswith(
        "已为 2 户记录公示期 2026-11-02 至 2026-11-09：\n  records/460105/4601050001.yaml 测*甲：用人单位公示\n"
    )
    assert read(path_of(cycle, "4601050001"))["公示"][0] == {
        "层级": "用人单位",
        "开始日期": "2026-11-02",
        "结束日期": "2026-11-09",
    }
    assert run(cycle, "validate").endswith("全部通过。\n")


def test_a_refused_edit_names_lines_of_the_file_as_it_is(cycle):
    """Errors of an edit are located in the file on disk; what the edit would add has no line there yet."""
    from generator.editing.store import RecordStore
    from generator.errors import RecordError

    archive = RecordStore.open(cycle)
    record = archive.by_number()["4601050001"]
    data = archive.edit(record)
    data["家庭人口"] = 0
    data.setdefault("公示", []).append({"层级": "乡镇", "开始日期": "2026-10-01", "结束日期": "2026-10-08"})
    with pytest.raises(RecordError) as raised:
        archive.save()
    lines = path_of(cycle, "4601050001").read_text(encoding="utf-8").splitlines()
    texts = [p.to_text() for p in raised.value.problems]
    size = next(i for i, line in enumerate(lines, 1) if line.startswith("家庭人口:"))
    assert f"records/460105/4601050001.yaml:{size}: 家庭人口: 不能小于 1（现为 0）。" in texts, texts
    added = [t for t in texts if "公示[1].层级" in t]
    assert added and added[0].startswith(
        "records/460105/4601050001.yaml: 公示[1].层级: （本次要写入的内容）“乡镇”不是可选值。"
    ), texts
    assert all(p.line is None or p.line <= len(lines) for p in raised.value.problems)
