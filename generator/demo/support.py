"""The support side of a record: plans, contacts, survey, notices, approval, reviews, ledger, exit."""

from __future__ import annotations

import datetime as dt
import random

from generator.demo.draw import pick, ri, rr, wpick
from generator.demo.family import Family
from generator.demo.hardship import Evidence
from generator.demo.identity import landline, mobile, person_name
from generator.demo.timeline import Timeline, months_after

DUTIES = ("工会主席", "工会副主席", "帮扶中心主任", "工会干事", "社区工会主席", "帮扶中心干事")
OTHER_GROUP = ("长期患病的退休职工", "单亲困难女职工", "残疾职工家庭")
OTHER_MEASURE = ("住房救助", "协调临时救助", "法律援助")
OTHER_PLAN = ("法律援助计划", "心理疏导服务", "困难职工子女暑期托管")


def plans(rng: random.Random, family: Family, category: str, ev: Evidence, migrant: bool, company: str, others: bool) -> dict:
    """五类重点群体, “四个一批”措施 and 七个行动计划 that follow from the household's situation."""
    people = family.people
    jobless = any(p.role in ("下岗", "失业", "下岗失业") or (p.role == "无业" and p.able) for p in people)
    ill = any(p.health in ("重大疾病", "慢性疾病", "残疾") for p in people)
    students = any(p.is_student for p in family.members)
    university = any(p.role == "在校学生（大学及以上）" for p in family.members)
    uninsured = any(p.insurance == "未参保" for p in people)
    groups = []
    if category == "低保户" and jobless:
        groups.append("低保范围内有劳动能力而未充分就业")
    if category == "低保边缘户":
        groups.append("收入或生活水平低于低保线而未纳入低保")
    if category == "意外致困户" or (ev.expenses and rng.random() < 0.5):
        groups.append("支出性生活困难")
    if migrant:
        groups.append("城市困难农民工")
    if company in ("停产半停产", "改制", "破产", "关闭"):
        groups.append("供给侧结构性改革中的困难职工")
    measures = []
    if jobless:
        measures.append("就业创业发展")
    if uninsured:
        measures.append("纳入社保制度覆盖")
    if ill:
        measures.append("纳入大病保险和医疗互助保险保障")
    if category == "低保户" or not jobless:
        measures.append("社会救助兜底")
    actions = []
    if jobless:
        actions.append("技能培训促就业计划")
        if rng.random() < 0.2:
            actions.append("创业援助计划")
    if university and rng.random() < 0.6:
        actions.append("阳光就业计划")
    if ill:
        actions.append("职工医疗互助计划")
    if students:
        actions.append("金秋助学计划")
    if rng.random() < 0.7:
        actions.append("一帮一结对计划")
    if rng.random() < 0.6 or not actions:
        actions.append("送温暖精准化计划")
    out = {}
    for key, chosen, pool in (
        ("五类重点群体", groups, OTHER_GROUP),
        ("四个一批措施", measures, OTHER_MEASURE),
        ("七个行动计划", actions, OTHER_PLAN),
    ):
        if others or not chosen or rng.random() < 0.03:
            chosen.append("其他")
            out[f"{key}其他注明"] = pick(rng, pool)
        out[key] = chosen
    return out


def contact(rng: random.Random, duties=DUTIES) -> dict:
    """A fake union officer: name, duty, phone."""
    return {"姓名": person_name(rng), "职务": pick(rng, duties), "联系方式": mobile(rng) if rng.random() < 0.7 else landline(rng)}


def survey(rng: random.Random, line: Timeline, union: str, family: Family, causes: list[str]) -> dict:
    """入户调查 by a small team that signs for every household."""
    team = sorted({person_name(rng) for _ in range(pick(rng, (2, 2, 3)))})
    text = (
        f"采取问、访、看、查的办法入户调查：家庭共 {family.size} 人，主要致困原因为{'、'.join(causes)}；"
        f"收入、住房和家庭成员情况与申报一致。"
    )
    return {"调查人": team, "调查单位": union, "调查日期": line.survey.isoformat(), "调查小组签字": "已签字", "调查情况": text}


def notices(line: Timeline, places: dict[str, str], objection: bool) -> list[dict]:
    out = []
    for i, notice in enumerate(line.notices):
        last = i == len(line.notices) - 1
        item = {
            "层级": notice.level,
            "开始日期": notice.start.isoformat(),
            "结束日期": notice.end.isoformat(),
            "地点": places[notice.level],
        }
        if notice.end < line.today:
            item["异议情况"] = "收到异议一件，经核实家庭收入超过标准，异议成立。" if objection and last else "无异议"
        out.append(item)
    return out


def reviews(rng: random.Random, line: Timeline) -> list[dict]:
    out = []
    reviewer = person_name(rng)
    for year, day, result in line.reviews:
        item = {"年度": year, "核查日期": day.isoformat(), "核查人": reviewer, "结果": result}
        if result == "解困脱困":
            item["说明"] = "家庭人均收入已稳定超过当地低保边缘标准。"
        elif result == "注销":
            item["说明"] = "经核查不再符合困难职工建档条件。"
        out.append(item)
    return out


def spot_checks(rng: random.Random, line: Timeline, city_union: str) -> list[dict]:
    """省、市总工会 spot checks of a few archives."""
    first = line.approved + dt.timedelta(days=30)
    last = min(line.exit or line.today, line.today) - dt.timedelta(days=1)
    if last <= first:
        return []
    day = first + dt.timedelta(days=rr(rng, (last - first).days + 1))
    union = pick(rng, ("海南省总工会", city_union))
    result = wpick(rng, ("属实", "需整改"), (85, 15))
    item = {"日期": day.isoformat(), "复核单位": union, "复核人": person_name(rng), "结果": result}
    if result != "属实":
        item["说明"] = "附件不全，已通知补充。"
    return [item]


EXIT_NOTES = {
    "其他": "子女毕业参加工作，家庭收入稳定。",
    "调离": "调往省外单位工作。",
    "死亡": "困难职工本人去世，家庭已纳入民政救助。",
    "迁出本省": "全家迁往外省居住。",
    "本人申请退出": "本人书面申请退出帮扶。",
}


def exit_entry(line: Timeline) -> dict:
    item = {"日期": line.exit.isoformat(), "原因": line.exit_reason}
    if line.exit_reason in EXIT_NOTES:
        item["说明"] = EXIT_NOTES[line.exit_reason]
    return item


def ledger(rng: random.Random, line: Timeline, family: Family, helper: str) -> list[dict]:
    """帮扶台账: festival visits, school and medical aid, training; some households have none yet."""
    if rng.random() < 0.15:
        return []
    end = min(line.exit or line.today, line.today - dt.timedelta(days=1))
    start = max(line.approved + dt.timedelta(days=5), dt.date(end.year - 3, 1, 1))
    if end <= start:
        return []
    students = any(p.is_student for p in family.members)
    ill = any(p.health in ("重大疾病", "慢性疾病", "残疾") for p in family.people)
    jobless = any(p.role in ("下岗", "失业", "下岗失业") for p in family.people)
    entries = []
    for year in range(start.year, end.year + 1):
        wanted = [("送温暖慰问", dt.date(year, pick(rng, (1, 2)), rr(rng, 1, 28)), rr(rng, 500, 2100, 100))]
        if students:
            wanted.append(("助学救助", dt.date(year, pick(rng, (8, 9)), rr(rng, 1, 28)), rr(rng, 1000, 5100, 500)))
        if ill and rng.random() < 0.5:
            wanted.append(("医疗救助", dt.date(year, rr(rng, 3, 12), rr(rng, 1, 28)), rr(rng, 1000, 8100, 100)))
        if jobless and rng.random() < 0.5:
            wanted.append((pick(rng, ("就业培训", "职业介绍")), dt.date(year, rr(rng, 3, 12), rr(rng, 1, 28)), 0))
        if rng.random() < 0.15:
            wanted.append(
                (
                    pick(rng, ("生活救助", "医疗互助", "法律援助", "创业援助", "其他")),
                    dt.date(year, rr(rng, 1, 13), rr(rng, 1, 28)),
                    rr(rng, 0, 3100, 100),
                )
            )
        for kind, day, amount in wanted:
            if start <= day <= end:
                if kind == "法律援助":
                    amount = 0
                item = {"日期": day.isoformat(), "帮扶类型": kind, "金额": amount, "帮扶人": helper}
                if kind == "其他":
                    item["备注"] = "节日慰问品（折合金额）"
                entries.append(item)
    entries.sort(key=lambda e: e["日期"])
    return entries[-8:]


def deadline(rng: random.Random, line: Timeline) -> str:
    """帮扶任务完成时限: the plan's target month (renewed each year while support goes on)."""
    if line.status == "帮扶中":
        return f"{line.today.year + ri(rng, 0, 2)}-12"
    return months_after(line.approved, ri(rng, 12, 36))
