"""The eligibility rules of 五（一）, one case per rule and per boundary."""

from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_support import COUNTY, DAY, attached, household, member, on, standards, with_income

from generator.rules import Unusable, assess, today_key
from generator.rules.facts import read_household

STANDARDS = standards()


@dataclass
class Case:
    id: str
    data: dict
    category: str | None
    codes: set = field(default_factory=set)
    texts: tuple = ()
    today: dt.date | None = None

    def __post_init__(self):
        attached(self.data)


def _card(start="2018-01-01", end="2018-12-31", kind=None) -> dict:
    card = {"证号": "示例低保证0001", "有效期起": start, "有效期止": end}
    if kind:
        card["低保类型"] = kind
    return card


def _major_illness(**changes) -> dict:
    """Income 6,000 a month for 4 people (1,500 per head, above the 900 limit); the spouse is gravely ill."""
    data = with_income("6000", **changes)
    data["家庭主要成员"][0]["健康状况"] = "重大疾病"
    data.setdefault("困难情形", [])
    data["困难情形"] = [{"情形": "重大疾病", "涉及人员": "测试乙", "证明材料": "测试乙诊断证明"}]
    return data


def _expense(amount, kind="重大疾病医疗支出") -> list:
    return [{"类别": kind, "年度金额": amount, "凭证": "医疗费用票据"}]


def _jobless_son(birth: str, **extra) -> dict:
    """BASE plus an unemployed son without income (家庭人口 5)."""
    data = household(家庭人口=5)
    data["家庭主要成员"].append(member("测试戊", "子", "男", birth, 0, "无业", **extra))
    return data


def _migrant(**changes) -> dict:
    """A rural migrant worker meeting every condition (rural 550 / 825 at 秀英区 in 2018; 750 per head)."""
    section = {
        "劳动关系": "劳动合同",
        "劳动合同期限起": "2017-01-01",
        "劳动合同期限止": "2019-12-31",
        "用工单位有工会": "是",
        "入会日期": "2017-02-01",
        "会费缴至": "2018-05",
        "村委会集体研究日期": "2018-05-10",
        "用人单位证明日期": "2018-05-12",
        "村委会证明日期": "2018-05-12",
        "村委会入户调查日期": "2018-05-20",
        "帮扶中心入户核实日期": DAY,
    }
    section.update({k: v for k, v in changes.items() if k in section or k in ("劳动合同期限止",)})
    for key in [k for k, v in section.items() if v is None]:
        del section[key]
    notices = [
        {"层级": "村委会", "开始日期": "2018-06-02", "结束日期": "2018-06-09"},
        {"层级": "用人单位", "开始日期": "2018-06-02", "结束日期": "2018-06-09"},
        {"层级": "帮扶中心", "开始日期": "2018-06-10", "结束日期": "2018-06-17"},
    ]
    rest = {k: v for k, v in changes.items() if k not in section and k not in ("劳动合同期限止",)}
    rest.setdefault("公示", notices)
    return household(是否农民工="是", 户口类型="农业户口", 农民工=section, **rest)


_SCHOOLING = [{"情形": "子女就学", "涉及人员": "测试丙", "证明材料": "学生证"}]


def _single_parent(**fields) -> dict:
    """A parent of two children (the worker's spouse left out) on a low wage."""
    return household(家庭人口=3, **fields) | {
        "家庭主要成员": household()["家庭主要成员"][1:],
        "本人月平均收入": 1500,
        "家庭年度总收入": 18000,
        "困难情形": _SCHOOLING,
    }


def _zero_employment() -> dict:
    """Worker unemployed, spouse laid off with a certificate, children at school; rent income only."""
    data = household(工作状态="失业", 本人月平均收入=0, 家庭其他非薪资年收入=36000, 是否为零就业家庭="是")
    data["家庭主要成员"][0] |= {
        "身份": "下岗失业",
        "月收入": 0,
        "无业无收入证明": {"出具单位": "社区居委会", "证明名称": "无业证明"},
    }
    return data


def _review(year: int, day: str) -> list:
    return [{"年度": year, "核查日期": day, "核查人": "示例核查员", "结果": "保留"}]


def _survey(day: str) -> dict:
    return {"调查人": ["示例调查员"], "调查日期": day}


CASES = [
    # Per-capita income against the 低保 standard (600) and the upper limit (900) of 海口 in 2018, 4 people.
    Case(
        "at-dibao-standard-without-situation",
        with_income("2400", 困难情形=None),
        "低保边缘户",
        texts=("2,400 元 × 12", "= 600.00 元/人·月", "不高于低保标准", "协助其申请低保"),
    ),
    Case(
        "one-fen-above-standard-without-situation",
        with_income("2400.04", 困难情形=None),
        None,
        {"category"},
        texts=("600.01 元", "不能列入困难职工范围"),
    ),
    Case("one-fen-above-standard-with-situation", with_income("2400.04"), "低保边缘户", texts=("有困难情形：慢性疾病",)),
    Case("at-upper-limit", with_income("3600"), "低保边缘户", texts=("900.00 元", "不高于边缘上限")),
    Case("one-fen-above-upper-limit", with_income("3600.04"), None, {"category"}, texts=("900.01 元", "高于边缘上限")),
    Case(
        "rounding-hides-excess",
        with_income("3600.01"),
        None,
        {"category"},
        texts=("900.00 元", "900.00 元（未四舍五入为 900.002500… 元，高于 900 元）；"),
    ),
    Case(
        "base-household",
        household(),
        "低保边缘户",
        texts=(
            "户口类型为城镇户口，用城市低保标准 600 元/人·月（海口市（4601）2016-01-01 起施行，依据：测试：海口市）",
            "边缘倍数 1.5（海南省（46）2016-01-01 起施行，依据：测试：省）",
            "边缘上限 600 × 1.5 = 900 元/人·月",
        ),
    ),
    # Standards: rural via 户口类型, the county's own rural standard, the city's before it, a change between two dates.
    Case(
        "rural-standard-set-by-county",
        with_income("2200", 户口类型="农业户口", 困难情形=None),
        "低保边缘户",
        texts=("户口类型为农业户口，用农村低保标准 550 元/人·月（秀英区（460105）2018-01-01 起施行", "825 元"),
    ),
    Case(
        "rural-standard-inherited-from-city-before-county-set-its-own",
        with_income("2200", 户口类型="农业户口", 入户调查=_survey("2017-12-31")),
        "低保边缘户",
        texts=("农村低保标准 500 元/人·月（海口市（4601）2016-01-01 起施行",),
    ),
    Case(
        "standards-before-change",
        with_income("4000", 入户调查=_survey("2018-12-31")),
        None,
        {"category"},
        texts=("1,000.00 元", "边缘上限 900 元"),
    ),
    Case(
        "standards-after-change",
        with_income("4000", 入户调查=_survey("2019-01-01")),
        "低保边缘户",
        texts=("城市低保标准 700 元/人·月（海口市（4601）2019-01-01 起施行", "边缘上限 1,050 元"),
    ),
    Case(
        "no-standard-in-force",
        household(入户调查=_survey("2015-12-31"), 确定时间="2015-12-31"),
        None,
        {"no-standard", "category"},
        texts=("无法认定",),
    ),
    Case(
        "card-type-overrides-hukou",
        household(困难类别="低保户", 户口类型="农业户口", 低保证=_card(kind="城市低保")),
        "低保户",
        texts=("低保证上的低保类型为城市低保，用城市低保标准 600",),
    ),
    # 低保证 validity on the assessment date (2018-06-01), both ends inclusive.
    Case(
        "dibao-card-expires-on-the-day",
        household(困难类别="低保户", 低保证=_card(end=DAY)),
        "低保户",
        texts=("在有效期内", "经政府救助后仍有特殊困难"),
    ),
    Case(
        "dibao-card-expired-the-day-before",
        household(困难类别="低保户", 低保证=_card(end="2018-05-31")),
        "低保边缘户",
        {"dibao-card"},
        texts=("已过期",),
    ),
    Case("dibao-card-starts-on-the-day", household(困难类别="低保户", 低保证=_card(start=DAY)), "低保户"),
    Case(
        "dibao-card-starts-the-day-after",
        household(困难类别="低保户", 低保证=_card(start="2018-06-02")),
        "低保边缘户",
        {"dibao-card"},
        texts=("尚未生效",),
    ),
    Case(
        "dibao-without-hardship-flagged-for-cancellation",
        household(困难类别="低保户", 低保证=_card(), 困难情形=None),
        "低保户",
        {"dibao-cancel"},
        texts=("注销困难职工档案",),
    ),
    Case("valid-card-but-declared-edge", household(低保证=_card()), "低保户", {"category"}),
    # 意外致困户: 1,500 per head, major illness, proven expenses deducted; the limit is 900 × 12 × 4 = 43,200 a year.
    Case(
        "accident-qualifies",
        _major_illness(特殊支出=_expense(30000), 困难类别="意外致困户"),
        "意外致困户",
        texts=(
            "重大疾病医疗支出 30,000 元（凭证：医疗费用票据）",
            "(72,000 元 − 30,000 元) ÷ 12 ÷ 4 人 = 875.00 元/人·月 ≤ 边缘上限 900 元",
        ),
    ),
    Case(
        "accident-exactly-at-limit-after-deduction",
        _major_illness(特殊支出=_expense(28800), 困难类别="意外致困户"),
        "意外致困户",
        texts=("= 900.00 元/人·月 ≤",),
    ),
    Case(
        "accident-one-fen-above-after-deduction",
        _major_illness(特殊支出=_expense(28799.52), 困难类别="意外致困户"),
        None,
        {"category"},
        texts=("= 900.01 元/人·月 >", "仍高于边缘上限"),
    ),
    Case(
        "accident-expenses-exceed-income",
        _major_illness(特殊支出=_expense(100000), 困难类别="意外致困户"),
        "意外致困户",
        {"expenses-exceed-income"},
        texts=("合计 100,000 元。支出合计超过家庭收入 72,000 元，扣除后的收入按 0 元计，月人均 0.00 元/人·月 ≤ 边缘上限",),
    ),
    Case(
        "accident-without-major-situation",
        with_income("6000", 特殊支出=_expense(50000), 困难类别="意外致困户"),
        None,
        {"category"},
        texts=("高于边缘上限，且没有有证明材料的重大疾病",),
    ),
    Case(
        "accident-expense-of-another-kind-not-deducted",
        _major_illness(特殊支出=_expense(50000, "子女上大学支出"), 困难类别="意外致困户"),
        None,
        {"category"},
        texts=("子女上大学支出 50,000 元（没有“子女上大学”情形，不扣除）",),
    ),
    # Imputed income: a son aged 20 on the day, jobless, no income, able to work, no certificate.
    Case(
        "imputed-aged-20-on-the-day",
        _jobless_son("1998-06-01"),
        "低保边缘户",
        {"imputed-income"},
        texts=(
            "评估日期时 20 周岁",
            "按最低工资标准 1,000 元/月（海南省（46）2016-01-01 起施行，依据：测试：省）× 12 = 12,000 元推算",
            "(家庭年度总收入 36,000 元 ＋ 推算收入 12,000 元) ÷ 12 ÷ 5 人 = 800.00 元/人·月",
        ),
    ),
    Case(
        "not-imputed-one-day-short-of-20",
        _jobless_son("1998-06-02"),
        "低保边缘户",
        texts=("评估日期时 19 周岁", "未满 20 周岁，不推算", "36,000 元 ÷ 12 ÷ 5 人 = 600.00 元/人·月"),
    ),
    Case(
        "not-imputed-with-certificate",
        _jobless_son("1990-01-01", 无业无收入证明={"出具单位": "社区居委会", "证明名称": "无业证明"}),
        "低保边缘户",
        texts=("有社区居委会出具的证明「无业证明」，不推算",),
    ),
    Case(
        "not-imputed-without-labour-capacity",
        _jobless_son("1990-01-01", 有劳动能力="否"),
        "低保边缘户",
        texts=("没有劳动能力，不推算",),
    ),
    Case(
        "not-imputed-with-major-illness",
        _jobless_son("1990-01-01", health="重大疾病"),
        "低保边缘户",
        texts=("健康状况为重大疾病，不推算",),
    ),
    Case(
        "not-imputed-student",
        _jobless_son("1990-01-01")
        | {
            "家庭主要成员": household()["家庭主要成员"]
            + [member("测试戊", "子", "男", "1990-01-01", 0, "在校学生（大学及以上）")]
        },
        "低保边缘户",
        texts=("没有无业无收入的家庭成员",),
    ),
    Case(
        "imputed-when-capacity-not-recorded-but-chronic-illness",
        _jobless_son("1990-01-01", health="慢性疾病"),
        "低保边缘户",
        {"imputed-income"},
        texts=("未填“有劳动能力”，按有劳动能力计",),
    ),
    # Household income from its parts, exactly.
    Case(
        "income-total-mismatch",
        household(家庭年度总收入=35000),
        "低保边缘户",
        {"income-total"},
        texts=("填报为 35,000 元，不一致",),
    ),
    Case(
        "income-in-fen-is-exact",
        household(本人月平均收入=1000.1, 家庭年度总收入=24003.6)
        | {"家庭主要成员": [member("测试乙", "配偶", "女", "1982-06-12", 1000.2, "灵活就业", "慢性疾病")], "家庭人口": 2},
        None,
        {"category"},
        texts=("= 24,003.60 元（与填报一致）", "1,000.15 元/人·月"),
    ),
    Case("per-capita-declared-matches", household(家庭月人均收入=750), "低保边缘户", texts=("（与填报一致）。",)),
    Case("per-capita-declared-mismatch", household(家庭月人均收入=749.99), "低保边缘户", {"per-capita"}),
    Case(
        "one-person-household",
        household(
            家庭主要成员=None,
            家庭人口=1,
            本人月平均收入=700,
            家庭年度总收入=8400,
            婚姻状况="未婚",
            健康状况="慢性疾病",
            困难情形=[{"情形": "慢性疾病", "涉及人员": "测试甲", "证明材料": "诊断证明"}],
        ),
        "低保边缘户",
        texts=("8,400 元 ÷ 12 ÷ 1 人 = 700.00 元/人·月",),
    ),
    # Situations must name someone in the household; the members' records should bear them out.
    Case(
        "situation-names-a-stranger",
        household(困难情形=[{"情形": "慢性疾病", "涉及人员": "某人", "证明材料": "诊断证明"}]),
        None,
        {"situation-person", "category"},
    ),
    Case(
        "situation-not-borne-out",
        household(困难情形=[{"情形": "慢性疾病", "涉及人员": "测试丙", "证明材料": "诊断证明"}]),
        "低保边缘户",
        {"situation-corroboration"},
    ),
    Case(
        "evidence-not-among-attachments",
        household(附件=[{"附件类型": "其他", "附件名称": "别的材料"}]),
        "低保边缘户",
        {"evidence-attachment"},
    ),
    # 零就业家庭 and 单亲 derived from the members.
    Case("zero-employment-declared-but-worker-employed", household(是否为零就业家庭="是"), "低保边缘户", {"zero-employment"}),
    Case(
        "zero-employment-true",
        _zero_employment(),
        "低保边缘户",
        texts=("劳动年龄内有劳动能力的本人测试甲、配偶测试乙均未就业 → 是（与填报一致）",),
    ),
    Case(
        "single-parent",
        _single_parent(婚姻状况="离婚", 是否单亲="是"),
        "低保边缘户",
        texts=("独自抚养子测试丙、女测试丁 → 是（与填报一致）",),
    ),
    Case("single-parent-denied", _single_parent(婚姻状况="丧偶", 是否单亲="否"), "低保边缘户", {"single-parent"}),
    Case("single-parent-claimed-while-married", household(是否单亲="是"), "低保边缘户", {"single-parent"}),
    # 农民工: every condition, at its boundary.
    Case("migrant-complete", _migrant(), "低保边缘户", texts=("一会、两证明、三公示、两入户、一核查均有记录",)),
    Case("migrant-dues-paid-to-previous-month", _migrant(会费缴至="2018-05"), "低保边缘户"),
    Case(
        "migrant-dues-two-months-behind",
        _migrant(会费缴至="2018-04"),
        "低保边缘户",
        {"migrant-condition"},
        texts=("会费只缴至 2018-04",),
    ),
    Case("migrant-no-union", _migrant(用工单位有工会="否"), "低保边缘户", {"migrant-condition"}),
    Case("migrant-joined-after-assessment", _migrant(入会日期="2018-06-02"), "低保边缘户", {"migrant-condition"}),
    Case("migrant-contract-ends-on-the-day", _migrant(劳动合同期限止=DAY), "低保边缘户"),
    Case("migrant-contract-ended-the-day-before", _migrant(劳动合同期限止="2018-05-31"), "低保边缘户", {"migrant-condition"}),
    Case("migrant-surveyed-without-village-meeting-yet", _migrant(村委会集体研究日期=None, 状态="调查中"), "低保边缘户"),
    Case(
        "migrant-without-village-meeting",
        _migrant(村委会集体研究日期=None),
        "低保边缘户",
        {"migrant-condition"},
        texts=("一会：没有村民委员会集体研究的日期",),
    ),
    Case(
        "migrant-centre-visit-before-village-survey",
        _migrant(帮扶中心入户核实日期="2018-05-19"),
        "低保边缘户",
        {"migrant-condition"},
    ),
    Case(
        "migrant-missing-centre-notice",
        _migrant(
            公示=[
                {"层级": "村委会", "开始日期": "2018-06-02", "结束日期": "2018-06-09"},
                {"层级": "用人单位", "开始日期": "2018-06-02", "结束日期": "2018-06-09"},
            ]
        ),
        "低保边缘户",
        {"migrant-condition"},
        texts=("三公示：缺少帮扶中心公示",),
    ),
    Case(
        "migrant-centre-notice-overlaps",
        _migrant(
            公示=[
                {"层级": "村委会", "开始日期": "2018-06-02", "结束日期": "2018-06-09"},
                {"层级": "用人单位", "开始日期": "2018-06-02", "结束日期": "2018-06-09"},
                {"层级": "帮扶中心", "开始日期": "2018-06-09", "结束日期": "2018-06-16"},
            ]
        ),
        "低保边缘户",
        {"migrant-condition"},
    ),
    Case(
        "migrant-review-on-31-october",
        _migrant(会费缴至="2019-09", 年度核查=_review(2019, "2019-10-31")),
        "低保边缘户",
        today=on("2019-11-01"),
    ),
    Case(
        "migrant-review-on-1-november",
        _migrant(会费缴至="2019-10", 年度核查=_review(2019, "2019-11-01")),
        "低保边缘户",
        {"migrant-condition"},
        today=on("2019-11-02"),
    ),
    Case("migrant-review-missing-before-deadline-passes", _migrant(), "低保边缘户", today=on("2019-10-31")),
    Case(
        "migrant-review-missing-after-deadline",
        _migrant(),
        "低保边缘户",
        {"migrant-review-overdue"},
        texts=("一核查：没有 2019 年度（2019-10-31 前）的全面核查记录",),
        today=on("2019-11-01"),
    ),
    # Assessment date and exited records.
    Case(
        "review-after-survey-sets-the-date",
        household(年度核查=_review(2019, "2019-03-01")),
        "低保边缘户",
        texts=("评估日期 2019-03-01（取入户调查和年度核查中最晚的日期：2019 年度核查的核查日期）", "城市低保标准 700"),
    ),
    Case(
        "no-survey-uses-decision-date",
        household(入户调查=None),
        "低保边缘户",
        texts=("评估日期 2018-06-20（没有入户调查和年度核查记录，取确定时间）",),
    ),
    Case(
        "exited-not-rejudged",
        with_income("9000", 状态="已解困脱困", 退出={"日期": "2019-01-01", "原因": "收入超过标准已解困脱困"}),
        None,
        texts=("档案已退出，困难类别不再复核",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rule(case: Case) -> None:
    result = assess(case.data, COUNTY, STANDARDS, case.today)
    text = result.to_text()
    assert result.category == case.category, text
    assert {f.code for f in result.findings} == case.codes, [f.message for f in result.findings]
    for expected in case.texts:
        assert expected in text
    assert result.agrees == (not ({"category", "dibao-card", "migrant-condition"} & case.codes))


def test_wrong_category_message_carries_the_computation() -> None:
    result = assess(with_income("3600.04"), COUNTY, STANDARDS)
    [finding] = [f for f in result.findings if f.code == "category"]
    assert finding.pointer == "/困难类别"
    assert finding.message.startswith("困难类别填为低保边缘户，但按《实施方案》五（一）不能认定为困难职工家庭。计算过程：\n")
    assert "  4. 家庭月人均收入：家庭年度总收入 43,200.48 元 ÷ 12 ÷ 4 人 = 900.01 元/人·月。" in finding.message
    assert finding.message.endswith("结论：不能认定为困难职工家庭；与填报的困难类别“低保边缘户”不一致。")


def test_assessment_numbers_are_exact_decimals() -> None:
    result = assess(_jobless_son("1998-06-01"), COUNTY, STANDARDS)
    assert (result.household_income, result.imputed, result.per_capita) == (Decimal(36000), Decimal(12000), Decimal("800.00"))
    assert (result.lower, result.upper) == (Decimal(600), Decimal("900.0"))
    assert all(isinstance(v, Decimal) for v in (result.household_income, result.imputed, result.per_capita))


def test_json_has_the_same_steps_and_verdict() -> None:
    result = assess(_major_illness(特殊支出=_expense(30000), 困难类别="意外致困户"), COUNTY, STANDARDS)
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert [s["说明"] for s in data["步骤"]] == [s.text for s in result.steps]
    assert (data["认定类别"], data["一致"], data["家庭月人均收入"], data["扣除特殊支出"]) == (
        "意外致困户",
        True,
        "1500.00",
        "30000.00",
    )
    sources = data["步骤"][0]["标准来源"]
    assert sources[0] == {
        "项目": "城市低保标准",
        "数值": "600.00",
        "地区": "4601",
        "地区名称": "海口市",
        "生效日期": "2016-01-01",
        "依据": "测试：海口市",
    }


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        ("2000-02-29", "2020-02-28", 19),
        ("2000-02-29", "2020-02-29", 20),
        ("2000-02-29", "2019-02-28", 18),
        ("2000-02-29", "2019-03-01", 19),
        ("1998-06-01", "2018-06-01", 20),
        ("1998-06-02", "2018-06-01", 19),
    ],
)
def test_full_years(birth: str, day: str, age: int) -> None:
    person = read_household(_jobless_son(birth), COUNTY).members[-1]
    assert person.age_on(on(day)) == age


@pytest.mark.parametrize(
    ("sex", "birth", "zero"),
    [
        ("男", "1958-06-02", True),  # 59 on the day: of working age, unemployed
        ("男", "1958-06-01", False),  # 60 on the day: past working age, nobody left in the labour force
        ("女", "1963-06-02", True),  # 54
        ("女", "1963-06-01", False),  # 55
    ],
)
def test_zero_employment_working_age(sex: str, birth: str, zero: bool) -> None:
    data = household(
        性别=sex, 出生日期=birth, 工作状态="失业", 本人月平均收入=0, 家庭其他非薪资年收入=24000, 家庭年度总收入=36000, 家庭人口=2
    )
    data["家庭主要成员"] = [member("测试乙", "配偶", "女" if sex == "男" else "男", "1950-01-01", 1000, "离退休", "慢性疾病")]
    assert assess(data, COUNTY, STANDARDS).zero_employment is zero


@pytest.mark.parametrize(
    ("birth", "identity", "single"),
    [
        ("2000-06-02", "在岗职工", True),  # 17 on the day
        ("2000-06-01", "在岗职工", False),  # 18 on the day and working
        ("1998-01-01", "在校学生（大学及以上）", True),  # adult but still at school
    ],
)
def test_single_parent_children(birth: str, identity: str, single: bool) -> None:
    data = household(婚姻状况="离婚", 家庭人口=2, 本人月平均收入=1200, 家庭年度总收入=24000)
    data["家庭主要成员"] = [member("测试丙", "子", "男", birth, 800, identity)]
    assert assess(data, COUNTY, STANDARDS).single_parent is single


def test_unusable_record_raises_record_error() -> None:
    data = household()
    data["家庭人口"] = "四"
    with pytest.raises(Unusable):
        assess(data, COUNTY, STANDARDS)


def test_assess_does_not_change_the_record() -> None:
    data = _major_illness(特殊支出=_expense(30000))
    before = copy.deepcopy(data)
    assess(data, COUNTY, STANDARDS, on("2020-01-01"))
    assert data == before


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("2019-01-01", "2019-10-31", True),
        ("2019-10-31", "2019-11-01", False),
        ("2019-11-01", "2019-12-31", True),
        ("2019-12-31", "2020-01-01", False),
    ],
)
def test_today_key_changes_when_a_review_deadline_passes(a: str, b: str, same: bool) -> None:
    assert (today_key(on(a)) == today_key(on(b))) is same


@settings(max_examples=300, deadline=None)
@given(fen=st.integers(min_value=0, max_value=2_000_000), size=st.integers(min_value=1, max_value=8))
def test_band_edges_are_exact_for_any_income(fen: int, size: int) -> None:
    monthly = Decimal(fen) / 100
    data = household(
        本人月平均收入=float(monthly) if fen % 100 else fen // 100,
        家庭人口=size,
        困难情形=None,
        家庭主要成员=None,
        婚姻状况="未婚",
    )
    data["家庭年度总收入"] = float(monthly * 12) if (fen * 12) % 100 else fen * 12 // 100
    result = assess(data, COUNTY, STANDARDS)
    assert result.per_capita == (monthly / size).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert result.category == ("低保边缘户" if monthly <= 600 * size else None)


# -- issue 15 item 5: eligibility wording ------------------------------------------------------------------------------


def test_a_migrant_without_union_membership_cannot_be_filed_as_a_migrant_household() -> None:
    """It was explained as "认定为低保边缘户 … 一致" with JSON "一致": true while validation errors."""
    result = assess(attached(_migrant(用工单位有工会="否")), COUNTY, STANDARDS)
    assert result.conclusion() == (
        "农民工条件不全（用工单位没有工会组织），不能作为农民工困难职工家庭建档（按收入和困难情形可认定为低保边缘户）；"
        "与填报的困难类别“低保边缘户”不一致。"
    )
    data = result.to_dict()
    assert (data["一致"], data["认定类别"]) == (False, "低保边缘户")
    assert {f.code for f in result.findings} == {"migrant-condition"}, "no second error blaming the category"


def test_a_migrant_still_surveyed_is_not_said_to_have_every_step_on_record() -> None:
    data = attached(_migrant(状态="调查中", 公示=None))
    for key in ("村委会集体研究日期", "用人单位证明日期", "村委会证明日期", "村委会入户调查日期", "帮扶中心入户核实日期"):
        data["农民工"].pop(key)
    result = assess(data, COUNTY, STANDARDS)
    [line] = [s.text for s in result.steps if s.key == "migrant"]
    assert "均有记录" not in line
    assert line == (
        "农民工条件：有劳动关系，用工单位有工会，已入会并按时交纳会费；状态为调查中，一会、两证明、三公示、两入户还在办理中，"
        "尚缺：一会：没有村民委员会集体研究的日期；两证明：没有用人单位出具证明的日期；两证明：没有村委会出具证明的日期；"
        "两入户：没有村委会入户调查的日期；两入户：没有帮扶中心入户核实的日期；三公示：缺少村委会、用人单位、帮扶中心公示。"
    )
    assert result.agrees and not result.findings


def test_evidence_named_without_any_attachment_list_is_a_warning() -> None:
    data = _major_illness(特殊支出=_expense(30000), 困难类别="意外致困户")
    data.pop("附件", None)
    result = assess(data, COUNTY, STANDARDS)
    messages = {(f.pointer, f.severity, f.message) for f in result.findings}
    assert (
        "/困难情形/0/证明材料",
        "warning",
        "证明材料“测试乙诊断证明”没有对应的附件：档案中没有「附件」一栏，请补充同名附件（附件名称写“测试乙诊断证明”）。",
    ) in messages, messages
    assert any(p == "/特殊支出/0/凭证" and s == "warning" for p, s, _ in messages), messages


def test_money_in_json_is_always_a_string_with_two_decimals() -> None:
    import re

    for case in CASES:
        data = assess(case.data, COUNTY, STANDARDS, case.today).to_dict()
        amounts = [data[k] for k in ("家庭年度总收入", "推算收入", "家庭月人均收入", "低保标准", "边缘上限", "扣除特殊支出")]
        for step in data["步骤"]:
            amounts += [v for k, v in step.get("数值", {}).items() if k != "边缘倍数" and isinstance(v, str) and v[:1].isdigit()]
            amounts += [s["数值"] for s in step.get("标准来源", []) if s["项目"] != "边缘倍数"]
        assert all(a is None or re.fullmatch(r"-?\d+\.\d\d", a) for a in amounts), (case.id, amounts)


def test_the_trace_uses_the_forms_words_not_data_paths() -> None:
    for case in CASES:
        result = assess(case.data, COUNTY, STANDARDS, case.today)
        assert "[" not in result.date_basis and "." not in result.date_basis, result.date_basis
