"""The standards file: its checks, and lookups that inherit upwards and change over time."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from rules_support import STANDARDS_YAML, on, standards

from generator.errors import RecordError
from generator.rules.regions import regions
from generator.rules.standards import FIELDS, load_standards, parse_standards

REPO = Path(__file__).resolve().parent.parent
TABLE = standards()


@pytest.mark.parametrize(
    ("region", "field", "day", "value", "source", "effective"),
    [
        # 秀英区 sets nothing urban: inherited from 海口市, which changed on 2019-01-01.
        ("460105", "城市低保标准", "2018-12-31", "600", "4601", "2016-01-01"),
        ("460105", "城市低保标准", "2019-01-01", "700", "4601", "2019-01-01"),
        # 秀英区 sets its own rural standard from 2018-01-01; before that 海口市's applies.
        ("460105", "农村低保标准", "2017-12-31", "500", "4601", "2016-01-01"),
        ("460105", "农村低保标准", "2018-01-01", "550", "460105", "2018-01-01"),
        # Another 海口 district inherits the city's rural standard even after 秀英区 set its own.
        ("460106", "农村低保标准", "2018-06-01", "500", "4601", "2016-01-01"),
        # The minimum wage: the province's until 海口市 sets its own.
        ("460105", "最低工资标准", "2018-12-31", "1000", "46", "2016-01-01"),
        ("460105", "最低工资标准", "2019-01-01", "1500", "4601", "2019-01-01"),
        # A county-level city directly under the province (4690xx) inherits from the province.
        ("469005", "城市低保标准", "2019-06-01", "400", "46", "2016-01-01"),
        ("469005", "边缘倍数", "2019-06-01", "1.5", "46", "2016-01-01"),
        # A 三亚 district: its city sets nothing, so the province.
        ("460202", "农村低保标准", "2016-01-01", "300", "46", "2016-01-01"),
    ],
)
def test_lookup(region, field, day, value, source, effective) -> None:
    found = TABLE.lookup(region, field, on(day))
    assert (found.value, found.region, found.effective) == (Decimal(value), source, on(effective))


def test_nothing_in_force_before_the_first_entry() -> None:
    assert TABLE.lookup("460105", "城市低保标准", on("2015-12-31")) is None


def test_source_names_region_date_and_basis() -> None:
    found = TABLE.lookup("460105", "农村低保标准", on("2018-06-01"))
    assert found.source() == "秀英区（460105）2018-01-01 起施行，依据：测试：秀英区"


def test_unknown_code_falls_back_on_its_prefixes() -> None:
    assert TABLE.lookup("460199", "城市低保标准", on("2018-06-01")).region == "4601"


def test_multiplier_is_exact() -> None:
    assert TABLE.lookup("460105", "边缘倍数", on("2018-06-01")).value == Decimal("1.5")


def test_shipped_file_resolves_every_field_for_every_county() -> None:
    shipped = load_standards(REPO)
    assert shipped.example
    for county in regions().counties():
        for field in FIELDS:
            assert shipped.lookup(county, field, on("2016-06-01")) is not None, (county, field)


_GOOD = (
    '地区: "46"\n    生效日期: "2016-01-01"\n    城市低保标准: 400\n    农村低保标准: 300\n    最低工资标准: 1000\n'
    "    边缘倍数: 1.5\n    依据: 测试\n"
)


@pytest.mark.parametrize(
    ("text", "line", "field", "code", "message"),
    [
        ("标准:\n  - " + _GOOD.replace('"46"', "46"), 2, "标准[1].地区", "standards-type", "应为加引号的文字"),
        ("标准:\n  - " + _GOOD.replace("依据: 测试\n", ""), 2, "标准[1]", "standards-required", "缺少必填项：依据。"),
        ("标准:\n  - " + _GOOD + "    上限: 2\n", 2, "标准[1]", "standards-additionalProperties", "不认识的项目：上限"),
        (
            "标准:\n  - " + _GOOD + '  - 地区: "4601"\n    生效日期: "2016-01-01"\n    依据: 空\n',
            9,
            "标准[2]",
            "standards-anyOf",
            "每条标准至少要设置",
        ),
        (
            "标准:\n  - " + _GOOD.replace("城市低保标准: 400", "城市低保标准: -1"),
            4,
            "标准[1].城市低保标准",
            "standards-exclusiveMinimum",
            "太小",
        ),
        (
            "标准:\n  - " + _GOOD.replace("边缘倍数: 1.5", "边缘倍数: 1"),
            7,
            "标准[1].边缘倍数",
            "standards-exclusiveMinimum",
            "应大于 1",
        ),
        (
            "标准:\n  - " + _GOOD.replace('"2016-01-01"', '"2016-02-30"'),
            3,
            "标准[1].生效日期",
            "standards-format",
            "不是有效日期",
        ),
        ("标准:\n  - " + _GOOD.replace('"46"', '"4"'), 2, "标准[1].地区", "standards-pattern", "不是 2、4 或 6 位行政区划代码"),
        (
            "标准:\n  - " + _GOOD.replace("城市低保标准: 400", "城市低保标准: 400.001"),
            4,
            "标准[1].城市低保标准",
            "standards-precision",
            "超过两位小数",
        ),
        (
            "标准:\n  - " + _GOOD + "  - " + _GOOD.replace("城市低保标准: 400", "城市低保标准: 410"),
            10,
            "标准[2].生效日期",
            "standards-duplicate",
            "已有一条标准（第 1 条）",
        ),
        (
            "标准:\n  - " + _GOOD + '  - 地区: "4699"\n    生效日期: "2017-01-01"\n    城市低保标准: 1\n    依据: 无\n',
            9,
            "标准[2].地区",
            "standards-region",
            "不是本省的行政区划代码",
        ),
        (
            "标准:\n  - " + _GOOD.replace("    最低工资标准: 1000\n", ""),
            1,
            "标准",
            "standards-province",
            "省级（46）须设置最低工资标准",
        ),
        ("标准:\n  - " + _GOOD + "标准: []\n", 9, "标准", "duplicate-key", "重复"),
        ("说明: 无\n", 1, "", "standards-required", "缺少必填项：标准。"),
    ],
    ids=[
        "unquoted-region",
        "no-basis",
        "unknown-key",
        "sets-nothing",
        "negative",
        "multiplier-1",
        "bad-date",
        "bad-code",
        "three-decimals",
        "duplicate-date",
        "unknown-region",
        "province-lacks-field",
        "duplicate-key",
        "no-list",
    ],
)
def test_invalid_file(text: str, line: int, field: str, code: str, message: str) -> None:
    with pytest.raises(RecordError) as caught:
        parse_standards(text.encode("utf-8"))
    [problem] = caught.value.problems
    assert (problem.path, problem.line, problem.field, problem.code) == ("records/_settings/standards.yaml", line, field, code)
    assert message in problem.message


def test_every_problem_is_reported_at_once() -> None:
    text = "标准:\n  - 地区: 46\n    生效日期: 2016\n    依据: 测试\n    城市低保标准: 1\n"
    with pytest.raises(RecordError) as caught:
        parse_standards(text.encode("utf-8"))
    assert [(p.line, p.field) for p in caught.value.problems] == [(2, "标准[1].地区"), (3, "标准[1].生效日期")]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RecordError) as caught:
        load_standards(tmp_path)
    [problem] = caught.value.problems
    assert (problem.path, problem.code) == ("records/_settings/standards.yaml", "standards-missing")
    assert problem.message.startswith("无法读取认定标准文件")


def test_test_standards_parse() -> None:
    assert parse_standards(STANDARDS_YAML.encode("utf-8")).example
