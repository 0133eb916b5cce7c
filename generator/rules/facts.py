"""A typed, checked view of the household fields the rules read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from generator.errors import RecordError

CHILD_RELATIONS = frozenset({"子", "女"})
STUDENT_PREFIX = "在校学生"
UNIVERSITY = "在校学生（大学及以上）"


class Unusable(RecordError):
    """The record lacks or garbles a field the rules need (the schema check reports which)."""


@dataclass(slots=True)
class Person:
    """The worker (index None) or one member of 家庭主要成员."""

    index: int | None
    name: str
    relation: str  # "本人" for the worker
    sex: str
    birth: dt.date
    health: str
    disability: str
    identity: str  # 身份 of a member; 工作状态 of the worker
    monthly_income: Decimal
    able: bool | None  # 有劳动能力 as recorded; None when not filled in
    certificate: dict | None

    @property
    def pointer(self) -> str:
        return "" if self.index is None else f"/家庭主要成员/{self.index}"

    @property
    def label(self) -> str:
        return f"本人{self.name}" if self.index is None else f"{self.relation}{self.name}"

    @property
    def is_student(self) -> bool:
        return self.identity.startswith(STUDENT_PREFIX)

    def age_on(self, day: dt.date) -> int:
        """Full years (周岁) on `day`; someone born on 29 February comes of age on 1 March."""
        return day.year - self.birth.year - ((day.month, day.day) < (self.birth.month, self.birth.day))

    def able_to_work(self) -> bool:
        """有劳动能力 as recorded, else presumed unless the person has a major illness or disability."""
        if self.able is not None:
            return self.able
        if self.index is None and self.identity == "丧失劳动能力":
            return False
        return self.health not in ("重大疾病", "残疾")


@dataclass(slots=True)
class HouseholdFacts:
    """The fields the eligibility rules use, parsed once."""

    number: str
    county: str
    declared: str
    status: str
    hukou: str
    marital: str
    worker: Person
    members: tuple[Person, ...]
    other_annual: Decimal
    declared_total: Decimal
    size: int
    declared_per_capita: Decimal | None
    declared_zero_employment: str | None
    declared_single_parent: str | None
    migrant: dict | None
    dibao: dict | None
    situations: tuple[dict, ...]
    expenses: tuple[dict, ...]
    attachments: frozenset[str]
    notices: tuple[dict, ...]
    survey_date: dt.date | None
    reviews: tuple[tuple[int, int, dt.date, str], ...]  # (index, 年度, 核查日期, 结果)
    decided: dt.date
    exit_date: dt.date | None

    @property
    def people(self) -> tuple[Person, ...]:
        return (self.worker, *self.members)

    def named(self, name: str) -> list[Person]:
        return [p for p in self.people if p.name == name]


def read_household(data: dict, county: str) -> HouseholdFacts:
    """Parse the fields the rules need; raise Unusable when one is missing or malformed."""
    try:
        worker = Person(
            None,
            data["姓名"],
            "本人",
            data["性别"],
            _date(data["出生日期"]),
            data["健康状况"],
            data.get("残疾类别") or "无",
            _text(data["工作状态"]),
            money(data["本人月平均收入"]),
            None,
            None,
        )
        members = tuple(_member(i, m) for i, m in enumerate(data.get("家庭主要成员") or []))
        survey = data.get("入户调查") or {}
        reviews = tuple((i, int(r["年度"]), _date(r["核查日期"]), r["结果"]) for i, r in enumerate(data.get("年度核查") or []))
        size = data["家庭人口"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError("家庭人口")
        per_capita = data.get("家庭月人均收入")
        return HouseholdFacts(
            number=str(data.get("职工编号", "")),
            county=county,
            declared=data["困难类别"],
            status=data["状态"],
            hukou=data["户口类型"],
            marital=data["婚姻状况"],
            worker=worker,
            members=members,
            other_annual=money(data["家庭其他非薪资年收入"]),
            declared_total=money(data["家庭年度总收入"]),
            size=size,
            declared_per_capita=None if per_capita is None else money(per_capita),
            declared_zero_employment=data.get("是否为零就业家庭"),
            declared_single_parent=data.get("是否单亲"),
            migrant=data.get("农民工") if data.get("是否农民工") == "是" else None,
            dibao=_dibao(data.get("低保证")),
            situations=tuple(data.get("困难情形") or ()),
            expenses=tuple(data.get("特殊支出") or ()),
            attachments=frozenset(a.get("附件名称") for a in data.get("附件") or () if isinstance(a, dict)),
            notices=tuple(data.get("公示") or ()),
            survey_date=_date(survey["调查日期"]) if isinstance(survey, dict) and survey.get("调查日期") else None,
            reviews=reviews,
            decided=_date(data["确定时间"]),
            exit_date=_date(data["退出"]["日期"]) if isinstance(data.get("退出"), dict) else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as exc:
        raise Unusable(f"档案缺少认定所需的字段或字段格式不对（{exc}），请先修正校验报告的问题。") from None


def _member(index: int, m: dict) -> Person:
    able = m.get("有劳动能力")
    return Person(
        index,
        m["姓名"],
        m["关系"],
        m["性别"],
        _date(m["出生日期"]),
        m["健康状况"],
        m.get("残疾类别") or "无",
        _text(m["身份"]),
        money(m["月收入"]),
        None if able is None else able == "是",
        m.get("无业无收入证明"),
    )


def _dibao(card) -> dict | None:
    if not isinstance(card, dict):
        return None
    return {"证号": card["证号"], "起": _date(card["有效期起"]), "止": _date(card["有效期止"]), "低保类型": card.get("低保类型")}


def money(value) -> Decimal:
    """A YAML number as an exact Decimal (never float arithmetic)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("金额")
    return Decimal(str(value))


def _date(value) -> dt.date:
    if not isinstance(value, str):
        raise TypeError("日期")
    return dt.date.fromisoformat(value)


def _text(value) -> str:
    if not isinstance(value, str):
        raise TypeError("文字")
    return value
