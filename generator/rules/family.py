"""Derived family facts: 零就业家庭 and 单亲, checked against what the record declares."""

from __future__ import annotations

from generator.rules.facts import CHILD_RELATIONS, HouseholdFacts, Person
from generator.rules.trace import Assessment

WORKING_AGE_FROM = 16
WORKING_AGE_UNTIL = {"男": 60, "女": 55}  # 法定劳动年龄: men 16–59, women 16–54 full years
ADULT_AGE = 18
_EMPLOYED_WORKER = frozenset({"在岗", "灵活就业", "停产放假", "内退"})
_RETIRED_WORKER = frozenset({"退休", "丧失劳动能力"})
_EMPLOYED_MEMBER = frozenset({"在岗职工", "灵活就业", "个体经营", "务农", "农民工"})
_UNPARTNERED = frozenset({"未婚", "离婚", "丧偶"})


def check_family(result: Assessment, household: HouseholdFacts) -> None:
    """Derive 零就业家庭 and 是否单亲 and flag a declared value that contradicts the members."""
    _zero_employment(result, household)
    _single_parent(result, household)


def _in_labour_force(person: Person, age: int) -> bool:
    if not WORKING_AGE_FROM <= age < WORKING_AGE_UNTIL.get(person.sex, 60):
        return False
    if person.is_student or not person.able_to_work():
        return False
    return person.identity not in (_RETIRED_WORKER if person.index is None else {"离退休"})


def _employed(person: Person) -> bool:
    if person.identity == "其他":
        return person.monthly_income > 0
    return person.identity in (_EMPLOYED_WORKER if person.index is None else _EMPLOYED_MEMBER)


def _zero_employment(result: Assessment, household: HouseholdFacts) -> None:
    day = result.assessed_on
    labour = [p for p in household.people if _in_labour_force(p, p.age_on(day))]
    working = [p for p in labour if _employed(p)]
    zero = bool(labour) and not working
    result.zero_employment = zero

    def why() -> str:
        if not labour:
            return "家庭中没有劳动年龄内（男 16–59 周岁、女 16–54 周岁）有劳动能力的人"
        if working:
            return f"劳动年龄内有劳动能力的{'、'.join(p.label for p in working)}已就业"
        return f"劳动年龄内有劳动能力的{'、'.join(p.label for p in labour)}均未就业"

    _compare(result, "zero-employment", "零就业家庭", "是否为零就业家庭", household.declared_zero_employment, zero, why)


def _single_parent(result: Assessment, household: HouseholdFacts) -> None:
    day = result.assessed_on
    spouse = [m for m in household.members if m.relation == "配偶"]
    children = [m for m in household.members if m.relation in CHILD_RELATIONS and (m.age_on(day) < ADULT_AGE or m.is_student)]
    single = household.marital in _UNPARTNERED and not spouse and bool(children)
    result.single_parent = single

    def why() -> str:
        if household.marital not in _UNPARTNERED:
            return f"婚姻状况为{household.marital}"
        if spouse:
            return f"婚姻状况为{household.marital}，但家庭成员中有配偶{spouse[0].name}"
        if not children:
            return f"婚姻状况为{household.marital}，但没有未满 {ADULT_AGE} 周岁或在校的子女"
        return f"婚姻状况为{household.marital}、没有配偶，独自抚养{'、'.join(c.label for c in children)}"

    _compare(result, "single-parent", "单亲", "是否单亲", household.declared_single_parent, single, why)


def _compare(result: Assessment, code: str, name: str, field: str, declared: str | None, derived: bool, why) -> None:
    """Record the derived answer as a step, and an error when the record declares the opposite."""
    answer = "是" if derived else "否"
    said = "" if declared is None else ("（与填报一致）" if declared == answer else f"（填报为“{declared}”，不一致）")
    result.add(code, lambda: f"{name}：{why()} → {answer}{said}。", **{name: answer})
    if declared is not None and declared != answer:
        result.flag(f"/{field}", code, f"{field}填为“{declared}”，但{why()}，应为“{answer}”。")
