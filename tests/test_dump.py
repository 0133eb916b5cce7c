"""The canonical writer: round trip, schema order, quoting of numbers-as-text."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.records.dump import HEADER, _record_shape, dump_record

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "records").glob("4*/*.yaml"))

TRICKY = [
    "0123",
    "007",
    "1e3",
    "1_000",
    "0x1F",
    "0o17",
    "+1",
    "-1",
    ".5",
    "1.",
    "12:30",
    "1:2:3",
    "2016-08-01",
    "2018-12",
    "yes",
    "No",
    "ON",
    "off",
    "y",
    "N",
    "true",
    "False",
    "null",
    "Null",
    "~",
    "",
    " ",
    "是",
    "否",
    ": x",
    "x: y",
    "x:",
    "#",
    "a #b",
    "a#b",
    "- a",
    "-",
    "?",
    "? x",
    "'",
    '"',
    "'quoted'",
    '"dq"',
    "a'b",
    'a"b',
    "\\",
    "\\n",
    "line\nbreak",
    "trailing\n",
    "two\n\n",
    "\nlead",
    " lead",
    "trail ",
    "tab\tin",
    "\ttab",
    "cr\rlf",
    "[a]",
    "{a: 1}",
    "&anchor",
    "*alias",
    "!tag",
    "%percent",
    "@at",
    "`tick",
    "|",
    ">",
    "<<",
    "=",
    "...",
    "---",
    "（虚构）",
    "海南省海口市示例路1号（虚构）",
    "\u3000全角空格",
    "nbsp\xa0",
    "\x85",
    "\u2028",
    "\ufeffbom",
    "\x00nul",
    "\x7f",
    "emoji 😀",
    "多行\n  缩进\n\t制表",
    "a\n \nb",
    "a \nb",
    ".inf",
    "-.inf",
    ".nan",
    "NaN",
    "0.",
    "1,000",
    "¥100",
    "100元",
]


def _load(text: str, loader=yaml.CSafeLoader):
    return yaml.load(text, Loader=loader)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_samples_are_canonical_and_round_trip(path):
    text = path.read_text(encoding="utf-8")
    data = _load(text)
    assert dump_record(data) == text
    assert _load(dump_record(data)) == data


def test_samples_exist():
    assert len(SAMPLES) >= 40


@pytest.mark.parametrize("value", TRICKY)
@pytest.mark.parametrize("loader", [yaml.SafeLoader, yaml.CSafeLoader], ids=["py", "c"])
def test_tricky_strings_round_trip(value, loader):
    data = {"姓名": value, "备注": value, "致困原因": [value, "其他"], "未知": {value: [value]}}
    assert _load(dump_record(data), loader) == data


def test_numbers_as_text_are_double_quoted_and_others_plain():
    data = {
        "职工编号": "4601050001",
        "身份证号": "46010519800101091X",
        "姓名": "张示例一",
        "手机号码": "17000000001",
        "家庭人口": 3,
        "本人月平均收入": 1200.0,
        "家庭其他非薪资年收入": 1200.5,
        "出生日期": datetime.date(1980, 1, 1),
    }
    text = dump_record(data)
    assert text.startswith(HEADER)
    assert '职工编号: "4601050001"\n' in text
    assert '身份证号: "46010519800101091X"\n' in text
    assert '手机号码: "17000000001"\n' in text
    assert "姓名: 张示例一\n" in text
    assert "本人月平均收入: 1200\n" in text
    assert "家庭其他非薪资年收入: 1200.5\n" in text
    assert '出生日期: "1980-01-01"\n' in text
    assert _load(text)["出生日期"] == "1980-01-01"


def test_keys_follow_schema_order_nested_too():
    data = {
        "家庭主要成员": [{"月收入": 0, "姓名": "李测二", "关系": "子"}],
        "未知键": 1,
        "姓名": "张示例一",
        "职工编号": "4601050001",
    }
    lines = dump_record(data).splitlines()[1:]
    assert lines == [
        '职工编号: "4601050001"',
        "姓名: 张示例一",
        "家庭主要成员:",
        "  - 姓名: 李测二",
        "    关系: 子",
        "    月收入: 0",
        "未知键: 1",
    ]


def test_top_level_order_is_the_schema_property_order():
    data = {key: "x" for key in reversed(list(_record_shape().props))}
    keys = [line.split(":")[0] for line in dump_record(data).splitlines()[1:]]
    assert keys == list(_record_shape().props)


def test_floats_keep_their_value():
    values = [0.1, 1e-05, 1e20, 12345678.99, 0.30000000000000004, float("inf")]
    data = {"x": values}
    assert _load(dump_record(data)) == data


_text = st.one_of(st.sampled_from(TRICKY), st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30))
_scalars = st.one_of(
    _text, st.integers(-(10**12), 10**12), st.booleans(), st.none(), st.floats(allow_nan=False, min_value=-1e9, max_value=1e9)
)
_values = st.recursive(
    _scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_text, inner, max_size=4)), max_leaves=12
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(list(_record_shape().props)) | _text, _values, max_size=8))
def test_generated_records_round_trip(data):
    text = dump_record(data)
    assert _load(text) == data
    assert yaml.safe_load(text) == data


@settings(max_examples=200)
@given(st.lists(_text, min_size=1, max_size=5))
def test_generated_members_round_trip(names):
    data = {"家庭主要成员": [{"姓名": n, "单位或学校": n, "身份证号": n} for n in names]}
    assert _load(dump_record(data)) == data
