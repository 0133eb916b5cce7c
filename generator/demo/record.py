"""Turn a built household into the record dict, keyed by the form's labels."""

from __future__ import annotations

import datetime as dt
import random

from generator.demo import support
from generator.demo.draw import pick, ri, rr, wpick
from generator.demo.family import Family, Person
from generator.demo.hardship import OTHER_CAUSES, Evidence, causes_of
from generator.demo.identity import INDUSTRIES, INDUSTRY_WEIGHTS, address, bank_card, employer, mobile, person_name, postcode
from generator.demo.income import yuan
from generator.demo.timeline import Timeline, add_years, months_after

ETHNIC = ("汉族", "黎族", "苗族", "回族", "壮族")
LI_COUNTIES = frozenset({"469001", "469007", "469025", "469026", "469027", "469028", "469029", "469030", "460205"})
NATURE = ("国有企业", "集体企业", "私营企业", "股份制企业", "外商投资企业", "港澳台商投资企业", "事业单位", "个体工商户", "其他")
NATURE_WEIGHTS = (15, 8, 45, 12, 3, 2, 4, 8, 3)
HOUSING = ("自有住房", "租住公房", "租住私房", "廉租房", "公租房", "借住", "无房", "其他")
HOUSING_WEIGHTS = (35, 8, 20, 8, 10, 10, 4, 5)
BANKS = ("中国示例银行（虚构）", "示例农村商业银行（虚构）", "测试商业银行（虚构）")
POLITICS = ("群众", "中共党员", "共青团员", "民盟盟员", "无党派人士")
MODEL_WORKER = ("非劳模", "县级劳模", "地市级劳模", "省部级劳模", "全国劳模")
SCHOOLS = {
    "在校学生（小学）": "示例小学",
    "在校学生（初中）": "示例中学",
    "在校学生（高中或中职）": "测试中等职业学校",
    "在校学生（大学及以上）": "示例大学",
    "学龄前儿童": "示例幼儿园",
}
NOTES = ("联系卡已发放。", "已纳入职工医疗互助。", "家庭成员已签字确认帮扶计划。", "房屋漏雨，已协调维修。")


def assemble(
    rng: random.Random,
    prov,
    county: str,
    seq: int,
    category: str,
    line: Timeline,
    family: Family,
    ev: Evidence,
    hukou: str,
    home: str,
    migrant: bool,
    card: dict | None,
    other: int,
    scenario: dict,
) -> dict:
    """The household as a record dict; 是否单亲 and 是否为零就业家庭 are filled in after the rules have looked."""
    regions = prov.regions
    worker, on = family.worker, line.assessed
    place = regions.name(county)
    rural = hukou == "农业户口"
    industry = wpick(rng, INDUSTRIES, INDUSTRY_WEIGHTS)
    company = employer(rng, place, industry)
    company_state = _company_state(rng, worker.role)
    _insurance(rng, family, rural)
    causes = causes_of(rng, family, ev, any(p.insurance == "未参保" for p in family.people))
    if scenario.get("others") and "其他" not in causes:
        causes.append("其他")
    if scenario.get("pension_issue") and "社会保险待遇落实不到位" not in causes:
        causes.insert(0, "社会保险待遇落实不到位")
    union = f"{place}总工会"
    city = regions.parent(county)
    city_union = f"{regions.name(city)}总工会" if city and city != "46" else "海南省总工会"
    r: dict = {
        "职工编号": f"{county}{seq:04d}",
        "所属地区": county,
        "困难类别": category,
        "状态": line.status,
        "姓名": worker.name,
        "民族": _ethnic(rng, county),
        "性别": worker.sex,
        "政治面貌": _politics(rng, worker, on),
        "身份证号": worker.id_number,
        "出生日期": worker.born.isoformat(),
        "健康状况": worker.health,
    }
    if worker.health == "残疾":
        r["残疾类别"] = worker.disability
    housing = wpick(rng, HOUSING, HOUSING_WEIGHTS)
    r.update({"工作状态": worker.role, "劳模类型": wpick(rng, MODEL_WORKER, (970, 15, 10, 4, 1)), "住房类型": housing})
    if housing not in ("无房", "借住"):
        r["建筑面积"] = ri(rng, 18, 110) if rng.random() < 0.8 else ri(rng, 180, 1100) / 10
    if rng.random() < 0.92:
        r["手机号码"] = mobile(rng)
    if rng.random() < 0.12:
        r["其他联系方式"] = f"家属电话 {mobile(rng)}"
    if rng.random() < 0.8:
        r["邮政编码"] = postcode(rng, county)
    started = add_years(worker.born, ri(rng, 18, 24))
    r.update(
        {
            "工作时间": min(started, line.established).isoformat(),
            "所属行业": industry,
            "婚姻状况": family.marital,
            "户口类型": hukou,
            "家庭住址": address(rng, regions.full_name(county), rural and not migrant),
        }
    )
    if worker.role not in ("丧失劳动能力",) or rng.random() < 0.5:
        r.update({"工作单位": company, "单位性质": wpick(rng, NATURE, NATURE_WEIGHTS), "企业状况": company_state})
    r["是否单亲"] = "否"
    members_monthly = sum(m.income for m in family.members)
    total = worker.income * 12 + members_monthly * 12 + other
    r.update(
        {
            "本人月平均收入": yuan(worker.income),
            "家庭其他非薪资年收入": yuan(other),
            "家庭年度总收入": yuan(total),
            "家庭人口": family.size,
        }
    )
    able = any(p.able or (p is worker and p.role in ("在岗", "灵活就业")) for p in family.people)
    r.update(
        {
            "户口所在地行政区划": home,
            "医保状况": worker.insurance,
            "是否有一定自救能力": "是" if able else "否",
            "是否为零就业家庭": "否",
            "是否农民工": "是" if migrant else "否",
        }
    )
    if family.members:
        r["家庭主要成员"] = [_member(rng, m, place, company, on) for m in family.members]
    r["致困原因"] = causes
    if "其他" in causes:
        r["致困原因其他注明"] = pick(rng, OTHER_CAUSES)
    if line.approved or rng.random() < 0.6:
        r.update({"开户银行": pick(rng, BANKS), "支行名称": f"{place}示例支行（虚构）", "银行卡号": bank_card(rng)})
    r["附件"] = _attachments(rng, family, ev, line, company, card, migrant)
    target = line.status not in ("调查中",) or rng.random() < 0.7
    r.update({"是否为解困脱困对象": "是" if target else "否", "确定时间": line.decided.isoformat()})
    if target:
        r.update(support.plans(rng, family, category, ev, migrant, company_state, bool(scenario.get("others"))))
    if rng.random() < 0.15:
        r["备注"] = pick(rng, NOTES)
    if line.approved:
        r["职工签字"] = "已签字"
    r.update({"建档人": person_name(rng), "审核人": person_name(rng)})
    helper = support.contact(rng)
    if line.approved:
        r["帮扶单位"] = (
            company.replace("（虚构）", "工会（虚构）") if company_state == "正常经营" and rng.random() < 0.4 else union
        )
        r["帮扶责任人"] = helper
    r["录入人"] = person_name(rng)
    if line.approved:
        r["工会联络人"] = support.contact(rng, ("工会干事", "工会委员", "工会主席"))
        r["帮扶任务完成时限"] = support.deadline(rng, line)
    if card:
        r["低保证"] = card
    if ev.situations:
        r["困难情形"] = ev.situations
    if ev.expenses:
        r["特殊支出"] = ev.expenses
    if migrant:
        r["农民工"] = _migrant(rng, line, on)
    if line.survey:
        r["入户调查"] = support.survey(rng, line, union, family, causes)
    if line.notices:
        places = {
            "用人单位": f"{company}公告栏",
            "帮扶中心": f"{place}困难职工帮扶中心公示栏",
            "村委会": "示例村村委会公告栏（虚构）",
        }
        objection = line.status == "已注销" and line.approved is None
        r["公示"] = support.notices(line, places, objection)
    if line.approved:
        r["审批"] = {
            "审批单位": union,
            "审批人": person_name(rng),
            "审批日期": line.approved.isoformat(),
            "审批意见": f"经入户调查和两级公示，同意按{category}建档。",
        }
        if line.reviews:
            r["年度核查"] = support.reviews(rng, line)
        if rng.random() < 0.05:
            r["抽查复核"] = support.spot_checks(rng, line, city_union)
    if line.exit:
        r["退出"] = support.exit_entry(line)
    if line.approved:
        entries = support.ledger(rng, line, family, helper["姓名"])
        if entries:
            r["帮扶台账"] = entries
    return r


def _member(rng: random.Random, m: Person, place: str, company: str, on) -> dict:
    out = {"姓名": m.name, "关系": m.relation, "性别": m.sex}
    if m.age(on) >= 14:
        out["政治面貌"] = _politics(rng, m, on)
    if m.id_number:
        out["身份证号"] = m.id_number
    out.update({"出生日期": m.born.isoformat(), "健康状况": m.health})
    if m.health == "残疾":
        out["残疾类别"] = m.disability
    out.update({"月收入": yuan(m.income), "身份": m.role, "医保状况": m.insurance})
    if m.role in SCHOOLS:
        out["单位或学校"] = f"{place}{SCHOOLS[m.role]}（虚构）"
    elif m.role in ("在岗职工", "农民工", "灵活就业", "个体经营"):
        out["单位或学校"] = (
            company if rng.random() < 0.2 else f"{place}测试{pick(rng, ('服务部', '商店', '工地', '物流点'))}（虚构）"
        )
    if m.able is not None:
        out["有劳动能力"] = "是" if m.able else "否"
    if m.certificate:
        out["无业无收入证明"] = m.certificate
    return out


def _attachments(rng: random.Random, family: Family, ev: Evidence, line: Timeline, company: str, card, migrant) -> list:
    worker = family.worker
    items = [{"附件类型": "身份证", "附件名称": f"{worker.name}身份证复印件"}, {"附件类型": "户口簿", "附件名称": "户口簿复印件"}]
    if worker.income:
        items.append({"附件类型": "收入证明", "附件名称": "本人收入证明"})
    if card:
        items.append({"附件类型": "低保证", "附件名称": "低保证复印件"})
    for person in family.members:
        if person.certificate:
            items.append({"附件类型": "无业无收入证明", "附件名称": person.certificate["证明名称"]})
    items += ev.attachments
    if migrant:
        kind = "劳动合同" if rng.random() < 0.7 else "事实劳动关系证明"
        items += [
            {"附件类型": kind, "附件名称": f"{kind}（{company}）"},
            {"附件类型": "工会会员证或会费凭证", "附件名称": "工会会员证及会费缴纳凭证"},
            {"附件类型": "村委会集体研究记录", "附件名称": "村委会集体研究记录"},
            {"附件类型": "村委会证明", "附件名称": "村委会证明"},
            {"附件类型": "用人单位证明", "附件名称": "用人单位证明"},
        ]
    if line.survey:
        items.append({"附件类型": "入户调查记录", "附件名称": f"入户调查记录（{line.survey.isoformat()}）"})
    for notice in line.notices:
        if notice.end < line.today:
            items.append({"附件类型": "公示材料", "附件名称": f"{notice.level}公示材料（{notice.start.isoformat()}）"})
    return items


def _migrant(rng: random.Random, line: Timeline, on) -> dict:
    contract = rng.random() < 0.7
    out: dict = {"劳动关系": "劳动合同" if contract else "事实劳动关系"}
    if contract:
        start = min(on, line.established) - dt.timedelta(days=rr(rng, 30, 900))
        end = add_years(start, pick(rng, (3, 5, 5)))
        while end < on:
            end = add_years(end, 3)
        out.update({"劳动合同期限起": start.isoformat(), "劳动合同期限止": end.isoformat()})
    joined = line.established - dt.timedelta(days=rr(rng, 60, 1500))
    out.update(
        {
            "用工单位有工会": "是",
            "入会日期": joined.isoformat(),
            "会费缴至": months_after(on, 0),
            "村委会集体研究日期": line.village_meeting.isoformat(),
            "用人单位证明日期": line.employer_proof.isoformat(),
            "村委会证明日期": line.village_proof.isoformat(),
            "村委会入户调查日期": line.village_survey.isoformat(),
            "帮扶中心入户核实日期": line.centre_visit.isoformat(),
        }
    )
    return out


def _company_state(rng: random.Random, role: str) -> str:
    if role == "停产放假":
        return "停产半停产"
    if role == "下岗":
        return pick(rng, ("破产", "关闭", "改制", "停产半停产"))
    return wpick(rng, ("正常经营", "改制", "停产半停产", "其他"), (85, 5, 5, 5))


def _ethnic(rng: random.Random, county: str) -> str:
    weights = (50, 45, 3, 1, 1) if county in LI_COUNTIES else (88, 9, 1, 1, 1)
    return wpick(rng, ETHNIC, weights)


def _politics(rng: random.Random, person: Person, on) -> str:
    age = person.age(on)
    if age < 28 and rng.random() < 0.35:
        return "共青团员"
    return wpick(rng, POLITICS, (84, 12, 0, 1, 3))


def _insurance(rng: random.Random, family: Family, rural: bool) -> None:
    for p in family.people:
        if p.role in ("在岗", "内退", "退休", "停产放假", "在岗职工", "农民工"):
            p.insurance = "城镇职工基本医疗保险" if rng.random() < 0.85 else "城乡居民基本医疗保险"
        elif p.insurance != "未参保":
            p.insurance = wpick(
                rng,
                ("城乡居民基本医疗保险", "新型农村合作医疗" if rural else "城乡居民基本医疗保险", "未参保", "商业医疗保险"),
                (70, 20, 8, 2),
            )
