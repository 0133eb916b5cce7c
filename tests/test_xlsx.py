"""Excel in and out through the real CLI, with real .xlsx files written by openpyxl."""

from __future__ import annotations

import datetime as dt
import shutil

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import make_archive
from history_support import git
from workflow_support import household, id_number, migrant, read, tree_digest, write

from generator.cli import cli
from generator.editing.xlsx.columns import SPLIT, item_sheets, main_columns
from generator.records.schema import fields

STATUSES = ["调查中", "公示中", "待审批", "帮扶中", "已解困脱困", "已注销"]


def run(root, *args, code=0):
    result = CliRunner().invoke(cli, [*args, "--root", str(root)], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def full(archive):
    """Households in every status (with 调查情况 over several lines), a 农民工, and one in another county."""
    for serial, status in enumerate(STATUSES, 1):
        data = household(status, serial)
        data["入户调查"]["调查情况"] = "问、访、看、查。\n家中两人有病。\n"
        write(archive, data)
    write(archive, migrant(7))
    write(archive, household("帮扶中", 11, county="460106"))
    return archive


def snapshot(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "records").glob("4*/*.yaml"))}


@pytest.mark.parametrize("layout", ["一行一户", "一表一户"])
def test_export_then_import_gives_back_the_same_records(full, tmp_path, layout):
    book = tmp_path / "导出.xlsx"
    assert run(full, "export-xlsx", "--layout", layout, "--out", str(book)).startswith(f"已导出 8 户：{book}\n")
    fresh = make_archive(tmp_path / "fresh")
    assert run(fresh, "import-xlsx", str(book)).startswith("新建 8 户，更新 0 户，0 户与档案相同未改动。\n")
    assert snapshot(fresh) == snapshot(full)
    assert run(full, "import-xlsx", str(book)) == "新建 0 户，更新 0 户，8 户与档案相同未改动。\n"


def test_the_export_is_in_the_order_of_the_form_with_schema_titles(full, tmp_path):
    book_path = tmp_path / "上报.xlsx"
    run(full, "export-xlsx", "--region", "460105", "--status", "帮扶中", "--out", str(book_path))
    book = openpyxl.load_workbook(book_path)
    assert book.sheetnames == ["困难职工", *(s.title for s in item_sheets()), "说明"]
    main = book["困难职工"]
    headers = [c.value for c in main[1]]
    top = [f.title for f in fields() if not (f.kind == "array" and f.children)]
    assert [h.split("·")[0] for h in headers] == [t for t in top for _ in range(max(1, _width(t)))]
    assert headers[:4] == ["职工编号", "所属地区", "困难类别", "状态"] and "审批·审批日期" in headers
    assert [main.cell(r, 1).value for r in range(2, main.max_row + 1)] == ["4601050004", "4601050007"]
    assert main.cell(2, headers.index("身份证号") + 1).data_type == "s"
    assert main.cell(2, headers.index("出生日期") + 1).value == dt.datetime(1980, 3, 15)
    members = book["家庭主要成员"]
    assert [c.value for c in members[1]][:3] == ["职工编号", "姓名", "关系"]
    assert members.max_row == 1 + 2 * 2


def _width(title: str) -> int:
    return sum(1 for c in main_columns() if c.header.split("·")[0] == title)


def test_every_choice_of_a_multiple_choice_field_survives_the_cell_separator():
    for info in fields():
        if info.kind == "multi":
            assert all(SPLIT.split(option) == [option] for option in info.enum), info.title


def _clerk_workbook(path, rows, **lists):
    """A workbook as a clerk fills it in Excel: typed dates become dates, numbers numbers; a sheet per list."""
    book = openpyxl.Workbook()
    book.active.title = "困难职工"
    for title, items in {"困难职工": rows, **lists}.items():
        sheet = book[title] if title in book.sheetnames else book.create_sheet(title)
        headers = list(dict.fromkeys(h for item in items for h in item))
        sheet.append(headers)
        for item in items:
            sheet.append([item.get(h) for h in headers])
    book.save(path)


def _clerk_row(serial: int) -> dict:
    data = household("调查中", serial)
    row = {}
    for column in main_columns():
        value = data
        for key in column.keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            continue
        if column.info.kind == "date":
            value = dt.datetime.fromisoformat(value)
        elif column.info.kind == "month":
            value = dt.datetime.fromisoformat(value + "-01")
        elif isinstance(value, list):
            value = "、".join(value)
        row[column.header] = value
    return row


def test_a_clerks_workbook_becomes_valid_records(archive, tmp_path):
    book = tmp_path / "填报.xlsx"
    row = _clerk_row(1)
    row["邮政编码"] = 570311  # typed as a number: short enough to be exact
    members = [
        {
            "职工编号": "4601050001",
            "姓名": "测试乙",
            "关系": "配偶",
            "性别": "女",
            "身份证号": id_number("1982-06-12", "女", 11),
            "出生日期": dt.datetime(1982, 6, 12),
            "健康状况": "慢性疾病",
            "月收入": 500,
            "身份": "灵活就业",
            "有劳动能力": "是",
        },
        {
            "职工编号": "4601050001",
            "姓名": "测试丙",
            "关系": "子",
            "性别": "男",
            "身份证号": id_number("2008-09-01", "男", 12),
            "出生日期": dt.datetime(2008, 9, 1),
            "健康状况": "健康",
            "月收入": 0,
            "身份": "在校学生（初中）",
            "有劳动能力": "否",
        },
    ]
    situations = [
        {"职工编号": "4601050001", "情形": "慢性疾病", "涉及人员": "测试乙", "证明材料": "测试乙慢性病诊断证明"},
        {"职工编号": "4601050001", "情形": "子女就学", "涉及人员": "测试丙", "证明材料": "学生证"},
    ]
    attachments = [
        {"职工编号": "4601050001", "附件类型": "病历及诊断证明", "附件名称": "测试乙慢性病诊断证明"},
        {"职工编号": "4601050001", "附件类型": "学生证或录取通知书", "附件名称": "学生证"},
    ]
    _clerk_workbook(book, [row], 家庭主要成员=members, 困难情形=situations, 附件=attachments)
    assert run(archive, "import-xlsx", str(book)).startswith("新建 1 户")
    data = read(archive / "records" / "460105" / "4601050001.yaml")
    assert data["邮政编码"] == "570311" and data["帮扶任务完成时限"] == "2018-12"
    assert data["致困原因"] == ["家庭成员患重特大疾病", "子女上学"]
    assert [m["姓名"] for m in data["家庭主要成员"]] == ["测试乙", "测试丙"]
    assert run(archive, "validate").endswith("全部通过。\n")


def test_every_bad_cell_is_reported_and_nothing_is_written(archive, tmp_path):
    book = tmp_path / "填报.xlsx"
    good, bad = _clerk_row(1), _clerk_row(2)
    bad["身份证号"] = 460100198003150213  # Excel keeps 15 significant digits
    bad["民族"] = "汉"
    bad["出生日期"] = "1980/03/15"
    bad["家庭人口"] = "三口"
    bad["备注"] = True
    good["婚姻状态"] = "已婚"
    bad["婚姻状态"] = "已婚"
    members = [
        {
            "职工编号": "4601059999",
            "姓名": "测试乙",
            "关系": "配偶",
            "性别": "女",
            "出生日期": dt.datetime(1982, 6, 12),
            "健康状况": "健康",
            "月收入": 0,
            "身份": "无业",
        }
    ]
    _clerk_workbook(book, [good, bad], 家庭主要成员=members)
    before = tree_digest(archive)
    output = run(archive, "import-xlsx", str(book), code=1)
    assert tree_digest(archive) == before
    header = list(dict.fromkeys([*good, *bad]))
    col = {h: openpyxl.utils.get_column_letter(header.index(h) + 1) for h in header}
    expected = [
        f"填报.xlsx: 工作表「困难职工」第 1 行 第 {col['婚姻状态']} 列（婚姻状态）: 表头「婚姻状态」不是档案表的栏目。",
        f"填报.xlsx: 工作表「困难职工」第 3 行 第 {col['身份证号']} 列（身份证号）: 被 Excel 存成了数字（4601001980031502",
        f"填报.xlsx: 工作表「困难职工」第 3 行 第 {col['家庭人口']} 列（家庭人口）: 应为数字，不要加单位或文字（现为“三口”）。",
        f"填报.xlsx: 工作表「困难职工」第 3 行 第 {col['备注']} 列（备注）: "
        "单元格是是非值（TRUE/FALSE），请填写文字，如“是”或“否”。",
        "填报.xlsx: 工作表「家庭主要成员」第 2 行 第 A 列（职工编号）: 职工编号 4601059999 不在工作表「困难职工」中。",
        f"填报.xlsx: 工作表「困难职工」第 3 行 第 {col['民族']} 列（民族）: “汉”不是可选值。是不是“汉族”？",
        f"填报.xlsx: 工作表「困难职工」第 3 行 第 {col['出生日期']} 列（出生日期）: "
        "“1980/03/15”不是有效日期，应写作 YYYY-MM-DD，例如 2016-08-01。",
    ]
    lines = output.splitlines()
    assert lines[0].startswith("错误：表格 填报.xlsx 有 ") and lines[0].endswith(" 处错误，未写入任何档案：")
    for line in expected:
        assert any(found.startswith(line) for found in lines), (line, output)
    assert "缺少必填项「身份证号」" not in output  # an unreadable cell is reported once


@pytest.mark.parametrize("typed", ["Infinity", "1e99999999"])  # an internal error; int() of it ran for minutes
def test_a_number_cell_that_is_no_amount_is_reported_beside_its_cell(archive, tmp_path, typed):
    book = tmp_path / "填报.xlsx"
    row = _clerk_row(1)
    row["家庭人口"] = typed
    _clerk_workbook(book, [row])
    before = tree_digest(archive)
    output = run(archive, "import-xlsx", str(book), code=1)
    assert tree_digest(archive) == before
    assert f"（家庭人口）: 应为数字，不要加单位或文字（现为“{typed}”）。" in output, output


def test_an_existing_record_is_replaced_only_with_update(full, tmp_path):
    book = tmp_path / "导出.xlsx"
    run(full, "export-xlsx", "--region", "460106", "--out", str(book))
    loaded = openpyxl.load_workbook(book)
    sheet = loaded["困难职工"]
    headers = [c.value for c in sheet[1]]
    sheet.cell(2, headers.index("备注") + 1, "电话已更换")
    loaded.save(book)
    before = tree_digest(full)
    output = run(full, "import-xlsx", str(book), code=1)
    assert (
        "工作表「困难职工」第 2 行 第 A 列（职工编号）: 档案 records/460106/4601060011.yaml 已存在；"
        "要用表格内容覆盖，请加 --update。" in output
    )
    assert tree_digest(full) == before
    assert run(full, "import-xlsx", str(book), "--update").startswith("新建 0 户，更新 1 户")
    assert read(full / "records" / "460106" / "4601060011.yaml")["备注"] == "电话已更换"


def test_a_file_that_is_not_a_workbook_is_refused(archive, tmp_path):
    fake = tmp_path / "档案.xlsx"
    fake.write_text("不是表格", encoding="utf-8")
    output = run(archive, "import-xlsx", str(fake), code=1)
    assert "无法读取表格 档案.xlsx：不是有效的 .xlsx 文件" in output


def test_export_refuses_records_with_errors(full, tmp_path):
    broken = full / "records" / "460105" / "4601050004.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("家庭人口: 3", "家庭人口: 1"), encoding="utf-8")
    output = run(full, "export-xlsx", "--out", str(tmp_path / "x.xlsx"), code=1)
    assert "改正后才能导出上报" in output and "records/460105/4601050004.yaml" in output
    assert not (tmp_path / "x.xlsx").exists()


def test_a_region_without_households_exports_nothing(full, tmp_path):
    shutil.rmtree(full / "records" / "460106")
    assert "所选范围内没有档案" in run(full, "export-xlsx", "--region", "460106", code=1)


# -- issue 15 item 18: an export says what it exported --------------------------------------------------------------


def test_the_export_names_its_commit_and_warns_off_main(full, tmp_path):
    git(full, "init", "-q", "-b", "main")
    git(full, "add", "-A")
    git(full, "commit", "-q", "-m", "Import")
    sha = git(full, "rev-parse", "HEAD")
    book_path = tmp_path / "上报.xlsx"
    output = run(full, "export-xlsx", "--out", str(book_path))
    assert output == f"已导出 8 户：{book_path}\n导出内容：提交 {sha}（refs/heads/main）。\n"
    notes = {row[0]: row[1] for row in openpyxl.load_workbook(book_path)["说明"].iter_rows(values_only=True)}
    assert notes["导出内容"] == f"提交 {sha}（refs/heads/main）" and notes["户数"] == "8" and "注意" not in notes

    git(full, "checkout", "-q", "-b", "editor/unmerged")
    write(full, household("帮扶中", 12))
    git(full, "add", "-A")
    git(full, "commit", "-q", "-m", "Unmerged household")
    branch_sha = git(full, "rev-parse", "HEAD")
    output = run(full, "export-xlsx", "--out", str(book_path))
    assert output == (
        f"已导出 9 户：{book_path}\n导出内容：提交 {branch_sha}（refs/heads/editor/unmerged）。\n"
        "警告：导出的不是 refs/heads/main 上的档案（当前为 refs/heads/editor/unmerged）：其中可能有尚未合并、"
        "未经审批的修改，不宜上报。\n"
    )
    notes = {row[0]: row[1] for row in openpyxl.load_workbook(book_path)["说明"].iter_rows(values_only=True)}
    assert notes["注意"].startswith("导出的不是 refs/heads/main 上的档案")

    data = read(full / "records" / "460105" / "4601050012.yaml")
    data["备注"] = "未提交的修改"
    write(full, data)
    output = run(full, "export-xlsx", "--out", str(book_path))
    assert "警告：records/ 下有 1 个文件有未提交的修改，导出的是工作区中的内容，与提交 " in output
    assert "records/460105/4601050012.yaml" in output


def test_export_sets_money_and_date_formats_and_column_widths(full, tmp_path):
    run(full, "export-xlsx", "--out", str(tmp_path / "上报.xlsx"))
    sheet = openpyxl.load_workbook(tmp_path / "上报.xlsx")["困难职工"]
    headers = [c.value for c in next(sheet.iter_rows(max_row=1))]
    income = sheet.cell(2, headers.index("本人月平均收入") + 1)
    assert income.number_format == "0.00" and isinstance(income.value, int | float)
    born = sheet.cell(2, headers.index("出生日期") + 1)
    assert born.number_format == "yyyy-mm-dd" and born.value == dt.datetime(1980, 3, 15)
    address = openpyxl.utils.get_column_letter(headers.index("家庭住址") + 1)
    number = openpyxl.utils.get_column_letter(headers.index("家庭人口") + 1)
    assert sheet.column_dimensions[address].width > sheet.column_dimensions[number].width
    import unicodedata

    def shown(text):  # display columns: a CJK character takes two
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    longest = max(shown(str(sheet.cell(r, headers.index("家庭住址") + 1).value)) for r in range(2, sheet.max_row + 1))
    assert sheet.column_dimensions[address].width >= min(50, longest)
