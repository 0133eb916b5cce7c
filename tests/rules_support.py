"""Households and standards for the rules tests: a minimal valid record, changed per case."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import yaml
from conftest import apply_changes
from stdnum.cn import ric

from generator.rules.standards import Standards, parse_standards

# Test standards (not the shipped examples), so the boundaries below are stable:
# 海口 urban 600 → 1.5 × 600 = 900 until 2018-12-31, 700 → 1,050 from 2019-01-01; min wage 1,000 then 1,500.
# 秀英区 (460105) sets only its own rural standard from 2018; everything else it inherits from 海口市 or the province.
STANDARDS_YAML = """\
说明: 测试用标准（虚构）。
示例数据: 是
标准:
  - 地区: "46"
    生效日期: "2016-01-01"
    城市低保标准: 400
    农村低保标准: 300
    最低工资标准: 1000
    边缘倍数: 1.5
    依据: 测试：省
  - 地区: "4601"
    生效日期: "2016-01-01"
    城市低保标准: 600
    农村低保标准: 500
    依据: 测试：海口市
  - 地区: "4601"
    生效日期: "2019-01-01"
    城市低保标准: 700
    最低工资标准: 1500
    依据: 测试：海口市调整
  - 地区: "460105"
    生效日期: "2018-01-01"
    农村低保标准: 550
    依据: 测试：秀英区
"""

DAY = "2018-06-01"  # the survey date, so the assessment date, unless a case changes it
COUNTY = "460105"


def standards() -> Standards:
    return parse_standards(STANDARDS_YAML.encode("utf-8"), "records/_settings/standards.yaml")


def id_number(birth: str, sex: str, seq: int = 1, region: str = "460105") -> str:
    """A checksum-valid 身份证号 for a fictitious person."""
    body = f"{region}{birth.replace('-', '')}{seq % 50:02d}{1 if sex == '男' else 2}"
    return body + ric.calc_check_digit(body + "0")


def member(name: str, relation: str, sex: str, birth: str, income=0, identity="在岗职工", health="健康", **extra) -> dict:
    """One entry of 家庭主要成员."""
    out = {"姓名": name, "关系": relation, "性别": sex, "出生日期": birth, "健康状况": health, "月收入": income, "身份": identity}
    out.update(extra)
    return out


BASE = {
    "职工编号": "4601050001",
    "所属地区": COUNTY,
    "困难类别": "低保边缘户",
    "状态": "帮扶中",
    "姓名": "测试甲",
    "民族": "汉族",
    "性别": "男",
    "政治面貌": "群众",
    "身份证号": id_number("1980-03-15", "男"),
    "出生日期": "1980-03-15",
    "健康状况": "健康",
    "工作状态": "在岗",
    "劳模类型": "非劳模",
    "住房类型": "租住私房",
    "工作时间": "2001-07-01",
    "所属行业": "制造业",
    "婚姻状况": "已婚",
    "户口类型": "城镇户口",
    "家庭住址": "海口市秀英区示例路 1 号（虚构）",
    "本人月平均收入": 2000,
    "家庭其他非薪资年收入": 0,
    "家庭年度总收入": 36000,
    "家庭人口": 4,
    "户口所在地行政区划": COUNTY,
    "医保状况": "城镇职工基本医疗保险",
    "是否农民工": "否",
    "家庭主要成员": [
        member("测试乙", "配偶", "女", "1982-06-12", 1000, "灵活就业", "慢性疾病"),
        member("测试丙", "子", "男", "2008-09-01", 0, "在校学生（初中）"),
        member("测试丁", "女", "女", "2010-01-20", 0, "在校学生（小学）"),
    ],
    "致困原因": ["子女上学"],
    "是否为解困脱困对象": "是",
    "确定时间": "2018-06-20",
    "建档人": "示例建档员",
    "审核人": "示例审核员",
    "困难情形": [{"情形": "慢性疾病", "涉及人员": "测试乙", "证明材料": "测试乙慢性病诊断证明"}],
    "入户调查": {"调查人": ["示例调查员"], "调查日期": DAY},
}


def household(**changes) -> dict:
    """BASE with top-level fields replaced; a value of None removes the field."""
    data = copy.deepcopy(BASE)
    return apply_changes(data, changes)


def attached(data: dict) -> dict:
    """The record with one attachment per piece of evidence it names, unless it lists its own 附件 (evidence named
    without any 附件 gets a warning, which is not what most rule cases are about)."""
    if "附件" not in data:
        named = [s.get("证明材料") for s in data.get("困难情形") or ()] + [e.get("凭证") for e in data.get("特殊支出") or ()]
        if any(named):
            data["附件"] = [{"附件类型": "其他", "附件名称": name} for name in dict.fromkeys(n for n in named if n)]
    return data


def with_income(monthly: str, size: int = 4, **changes) -> dict:
    """A household whose whole income is the worker's `monthly` yuan (a decimal string, kept exact)."""
    data = household(家庭人口=size, **changes)
    amount = Decimal(monthly)
    data["本人月平均收入"] = _number(amount)
    for person in data.get("家庭主要成员", []):
        person["月收入"] = 0
    data["家庭年度总收入"] = _number(amount * 12)
    return data


def _number(amount: Decimal):
    """A Decimal as the int or float YAML would give (floats only for amounts with fen)."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def dump(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def on(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
