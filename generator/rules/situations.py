"""Hardship situations (困难情形) backed by evidence, corroborated by the people they name."""

from __future__ import annotations

from generator.errors import WARNING
from generator.rules.facts import CHILD_RELATIONS, UNIVERSITY, HouseholdFacts, Person
from generator.rules.trace import Assessment

# The 意外致困户 situations of 五（一）; each is a stronger form of a 低保边缘户 situation.
ACCIDENT = frozenset({"重大疾病", "残疾基本丧失劳动能力", "重大意外事故", "子女上大学"})
EDGE = frozenset({"急症", "慢性疾病", "残疾", "失业后再就业困难", "意外灾害", "子女就学"}) | ACCIDENT
EXPENSE_FOR = {
    "重大疾病医疗支出": "重大疾病",
    "残疾康复支出": "残疾基本丧失劳动能力",
    "重大意外事故支出": "重大意外事故",
    "子女上大学支出": "子女上大学",
}
_UNEMPLOYED_WORKER = frozenset({"下岗", "失业"})
_UNEMPLOYED_MEMBER = frozenset({"下岗失业", "无业"})


def counted_situations(result: Assessment, household: HouseholdFacts) -> dict[str, list[str]]:
    """Situation → descriptions of the entries that count: evidence given, naming someone in the household."""
    counted: dict[str, list[str]] = {}
    shown = []
    for i, entry in enumerate(household.situations):
        pointer = f"/困难情形/{i}"
        kind, name, evidence = entry["情形"], entry["涉及人员"], entry["证明材料"]
        people = household.named(name)
        if not people:
            result.flag(
                f"{pointer}/涉及人员",
                "situation-person",
                f"困难情形“{kind}”的涉及人员“{name}”不是本人，也不在家庭主要成员中，此情形不计入认定。",
            )
            shown.append(f"{kind}（{name}，不是本人或家庭成员，不计入）")
            continue
        doubt = _doubt(kind, people)
        if doubt:
            result.flag(
                f"{pointer}/情形",
                "situation-corroboration",
                f"困难情形“{kind}”与{name}的登记情况不符：{doubt}；请核对。",
                WARNING,
            )
        if evidence not in household.attachments:
            result.flag(f"{pointer}/证明材料", "evidence-attachment", _unattached("证明材料", evidence, household), WARNING)
        counted.setdefault(kind, []).append(f"{name}，证明材料：{evidence}")
        shown.append(f"{kind}（{name}，证明材料：{evidence}{'；' + doubt if doubt else ''}）")
    for i, expense in enumerate(household.expenses):
        if expense["凭证"] not in household.attachments:
            result.flag(
                f"/特殊支出/{i}/凭证", "evidence-attachment", _unattached("支出凭证", expense["凭证"], household), WARNING
            )
    result.add("situations", lambda: f"困难情形：{'；'.join(shown) if shown else '没有记录'}。", 困难情形=sorted(counted))
    return counted


def _unattached(what: str, name: str, household: HouseholdFacts) -> str:
    if not household.attachments:
        return f"{what}“{name}”没有对应的附件：档案中没有「附件」一栏，请补充同名附件（附件名称写“{name}”）。"
    return f"{what}“{name}”不在附件中，请补充同名附件。"


def _doubt(kind: str, people: list[Person]) -> str:
    """Why the named person's recorded health, status or identity does not bear the situation out ('' if it does)."""
    person = people[0]
    if kind == "慢性疾病" and person.health not in ("慢性疾病", "重大疾病"):
        return f"健康状况登记为{person.health}"
    if kind == "重大疾病" and person.health != "重大疾病":
        return f"健康状况登记为{person.health}"
    if kind in ("残疾", "残疾基本丧失劳动能力") and person.health != "残疾":
        return f"健康状况登记为{person.health}"
    if kind == "残疾基本丧失劳动能力" and person.able:
        return "登记为有劳动能力"
    if kind == "失业后再就业困难":
        unemployed = _UNEMPLOYED_WORKER if person.index is None else _UNEMPLOYED_MEMBER
        if person.identity not in unemployed:
            return f"{'工作状态' if person.index is None else '身份'}登记为{person.identity}"
    if kind in ("子女就学", "子女上大学"):
        if person.relation not in CHILD_RELATIONS:
            return f"关系为{person.relation}，不是子女"
        if kind == "子女就学" and not person.is_student:
            return f"身份登记为{person.identity}"
        if kind == "子女上大学" and person.identity != UNIVERSITY:
            return f"身份登记为{person.identity}"
    return ""
