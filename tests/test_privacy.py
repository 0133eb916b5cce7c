"""Masking functions and the role policy: what each area shows of each kind of personal data."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.access.privacy import (
    DEFAULT_ROLES,
    ROLES_PATH,
    default_policy,
    load_policy,
    mask_address,
    mask_card,
    mask_id,
    mask_name,
    mask_phone,
)
from generator.errors import RecordError
from generator.records.schema import walk_fields

ROOT = Path(__file__).resolve().parent.parent

MASK_CASES = [
    (mask_id, "46010519900101123X", "4601**********123X"),
    (mask_id, "469005198512120018", "4690**********0018"),
    (mask_id, "460105199001011", "4601*******1011"),
    (mask_id, "1234", "*" * 18),
    (mask_id, "46010519900101123", "*" * 18),
    (mask_name, "张三明", "张*明"),
    (mask_name, "张三", "张*"),
    (mask_name, "张", "*"),
    (mask_name, "欧阳明明", "欧**明"),
    (mask_name, "测试甲", "测*甲"),
    (mask_phone, "13812345678", "138****5678"),
    (mask_phone, "0898-66553663", "0898-****3663"),
    (mask_phone, "089866553663", "0898****3663"),
    (mask_phone, "0898-66553663-123", "0898-****3663-***"),
    (mask_phone, "微信 zhangsan88", "微信 ******an88"),
    (mask_card, "6222021234567890123", "**** 0123"),
    (mask_card, "622202123456", "**** 3456"),
    (mask_address, "海南省海口市秀英区长流镇示例路12号（虚构）", "海南省海口市秀英区长流镇**"),
    (mask_address, "海口市龙华区金贸街道示例大厦1801（虚构）", "海口市龙华区金贸街道**"),
    (mask_address, "文昌市文城镇示例村委会3号", "文昌市文城镇**"),
    (mask_address, "示例村3号", "**"),
    (mask_address, "海南省海口市龙华区金贸街道滨涯社区椰海花园小区3栋502", "海南省海口市龙华区金贸街道**"),
    (mask_address, "海南省海口市龙华区滨涯社区椰海花园小区", "海南省海口市龙华区**"),
    (mask_address, "海口市人民医院家属区2栋", "海口市**"),
    (mask_address, "海口市美兰区人民医院家属区", "海口市美兰区**"),
    (mask_address, "海口市某某超市旁", "海口市**"),
    (mask_address, "海南省白沙黎族自治县牙叉镇示例村", "海南省白沙黎族自治县牙叉镇**"),
    (mask_address, "广西壮族自治区南宁市青秀区示例路1号", "广西壮族自治区南宁市青秀区**"),
]


@pytest.mark.parametrize(("mask", "value", "expected"), MASK_CASES, ids=[f"{m.__name__}-{v}" for m, v, _ in MASK_CASES])
def test_mask(mask, value, expected):
    assert mask(value) == expected


ID = "46010519900101123X"
SHOW_CASES = [
    # area, kind, value, shown (None: not at all)
    ("archive", "身份证号", ID, ID),
    ("list", "身份证号", ID, "4601**********123X"),
    ("名单", "身份证号", ID, "4601**********123X"),
    ("notice", "身份证号", ID, None),
    ("finance", "身份证号", ID, "4601**********123X"),
    ("stats", "身份证号", ID, None),
    ("archive", "姓名", "测试甲", "测试甲"),
    ("list", "姓名", "测试甲", "测试甲"),
    ("notice", "姓名", "测试甲", "测*甲"),
    ("stats", "姓名", "测试甲", None),
    ("archive", "银行卡号", "6222021234567890123", "**** 0123"),
    ("list", "银行卡号", "6222021234567890123", None),
    ("finance", "银行卡号", "6222021234567890123", "6222021234567890123"),
    ("archive", "电话", "13812345678", "13812345678"),
    ("list", "电话", "13812345678", "138****5678"),
    ("notice", "电话", "13812345678", None),
    ("archive", "健康", "残疾", "残疾"),
    ("list", "健康", "残疾", None),
    ("notice", "健康", "残疾", None),
    ("finance", "健康", "残疾", None),
    ("list", "住址", "海口市秀英区示例路1号", "海口市秀英区**"),
    ("finance", "住址", "海口市秀英区示例路1号", None),
    ("list", "电话", "", ""),
    ("notice", "电话", None, None),
]


@pytest.mark.parametrize(("area", "kind", "value", "shown"), SHOW_CASES)
def test_show(area, kind, value, shown):
    assert default_policy().show(area, kind, value) == shown


@pytest.mark.parametrize(("area", "kind"), [("nowhere", "姓名"), ("list", "血型")])
def test_unknown_area_or_kind_is_a_programming_error(area, kind):
    with pytest.raises(ValueError):
        default_policy().show(area, kind, "x")


def test_every_personal_kind_of_the_household_schema_has_a_rule():
    kinds = {f.personal for f in walk_fields() if f.personal}
    assert kinds == set(DEFAULT_ROLES["遮蔽"]["档案"])


def test_shipped_roles_file_equals_the_default_policy():
    shipped = load_policy(ROOT)
    assert shipped.rules == default_policy().rules
    assert shipped.roles == default_policy().roles
    assert yaml.safe_load((ROOT / ROLES_PATH).read_text(encoding="utf-8"))["遮蔽"] == DEFAULT_ROLES["遮蔽"]


@pytest.mark.parametrize(
    ("role", "areas"),
    [
        ("经办人", {"archive", "list", "notice", "stats"}),
        ("财务", {"archive", "list", "notice", "stats", "finance"}),
        ("统计员", {"stats"}),
        ("公示员", {"notice"}),
    ],
)
def test_role_areas(role, areas):
    assert default_policy().areas_of([role]) == areas


BAD_ROLES = [
    # yaml text, expected substrings of the located problem
    ("遮蔽: {}\n角色: {}\n", ["roles.yaml:1", "缺少必填项：档案、名单、公示、财务、统计"]),
    (
        Path(ROOT / ROLES_PATH)
        .read_text(encoding="utf-8")
        .replace("    健康: 完整\n    住址: 完整", "    健康: 遮蔽\n    住址: 完整", 1),
        ["roles.yaml:10: 遮蔽.档案.健康", "只能填 完整、不显示，而不是“遮蔽”"],
    ),
    (Path(ROOT / ROLES_PATH).read_text(encoding="utf-8").replace("可读: [统计]", "可读: [统计, 后台]"), ["可读", "而不是“后台”"]),
    (
        Path(ROOT / ROLES_PATH)
        .read_text(encoding="utf-8")
        .replace("    身份证号: 完整\n", "    身份证号: 完整\n    血型: 完整\n", 1),
        ["不认识的项目：血型"],
    ),
    ("遮蔽: [\n", ["roles.yaml", "YAML 格式错误"]),
]


@pytest.mark.parametrize(("text", "expected"), BAD_ROLES)
def test_bad_roles_file_is_reported_in_chinese_with_a_line(text, expected):
    with pytest.raises(RecordError) as caught:
        load_policy(raw=text.encode("utf-8"))
    message = caught.value.format_message()
    assert message.startswith("角色和遮蔽规则文件有误。")
    for part in expected:
        assert part in message


# --- invariants of the masks, over any input ----------------------------------------------------------------------

REGION_PREFIXES = [
    "",
    "海南省",
    "海南省海口市",
    "海口市龙华区",
    "海南省海口市龙华区金贸街道",
    "海南省儋州市那大镇",
    "文昌市文城镇",
    "海南省保亭黎族苗族自治县",
    "上海市浦东新区",
    "广西壮族自治区南宁市青秀区",
]
# What identifies a family below the township: none of it may survive masking, whatever follows it. (Each piece
# holds a mark of a place below the township — 区 of 社区, 村, 路, a digit — or "东湖花园" + "镇" would be a town.)
BELOW_TOWNSHIP = [
    "滨涯社区",
    "椰海花园小区",
    "人民医院家属区",
    "示例村",
    "样例村委会",
    "第三村民小组",
    "示例路",
    "示例大厦1801",
    "3栋",
    "12号",
    "1801室",
    "海秀路",
    "农垦家属区",
    "东湖花园2期",
    "城西社区居委会",
    "椰林超市",
]
STOP = ("村", "社区", "小区", "家属区", "路", "号", "栋", "楼", "室")


@settings(max_examples=500)
@given(st.sampled_from(REGION_PREFIXES), st.lists(st.sampled_from(BELOW_TOWNSHIP), min_size=1, max_size=4), st.text(max_size=8))
def test_an_address_keeps_only_its_administrative_levels(prefix, places, rest):
    address = prefix + "".join(places) + rest
    assert mask_address(address) == prefix + "**"


@settings(max_examples=500)
@given(
    st.text(
        alphabet=st.sampled_from("海南省口市龙华区金贸街道镇乡村社小家属路号栋楼室超自治县州旗盟苏木1 （）") | st.characters(),
        max_size=60,
    )
)
def test_a_masked_address_is_a_short_prefix_of_region_words(address):
    masked = mask_address(address)
    kept = masked[:-2]
    assert masked.endswith("**") and address.strip().startswith(kept)
    assert not any(char.isdigit() for char in kept)
    assert not any(word in kept for word in STOP)
    assert kept == "" or kept.endswith(
        ("省", "自治区", "特别行政区", "市", "州", "地区", "盟", "区", "县", "旗", "镇", "乡", "街道", "苏木")
    )


@given(st.text(st.characters(blacklist_characters="*"), min_size=1, max_size=30).filter(lambda s: s.strip()))
def test_a_masked_name_hides_at_least_one_character_and_never_all_but_one(name):
    masked = mask_name(name)
    plain = name.strip()
    assert len(masked) == len(plain) and "*" in masked
    shown = sum(1 for a, b in zip(masked, plain, strict=True) if a == b)
    assert shown <= min(2, len(plain) - 1)


@given(st.text(max_size=40))
def test_a_masked_id_shows_at_most_its_first_and_last_four(number):
    masked = mask_id(number)
    plain = number.strip()
    if len(plain) in (15, 18):
        assert masked == plain[:4] + "*" * (len(plain) - 8) + plain[-4:]
    else:
        assert masked == "*" * 18  # nothing of it, not even its length
