"""Why a household is in hardship: stories that shape the people, and the 困难情形 and evidence they leave."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from generator.demo.draw import pick, rr, wpick
from generator.demo.family import UNIVERSITY, Family, Person, set_health

# Stories that make a 意外致困户 (each with its deductible expense), and the milder ones.
MAJOR = {
    "major_illness": "重大疾病医疗支出",
    "severe_disability": "残疾康复支出",
    "major_accident": "重大意外事故支出",
    "university": "子女上大学支出",
}
MAJOR_WEIGHTS = (40, 20, 15, 25)
MILD = ("chronic", "disability", "unemployed", "disaster", "schooling", "emergency")
MILD_WEIGHTS = (26, 16, 22, 8, 22, 6)


@dataclass
class Evidence:
    """Situations, expenses and the attachments that back them."""

    situations: list[dict] = field(default_factory=list)
    expenses: list[dict] = field(default_factory=list)
    attachments: list[dict] = field(default_factory=list)
    causes: set[str] = field(default_factory=set)

    def attach(self, kind: str, name: str, note: str | None = None) -> str:
        if all(a["附件名称"] != name for a in self.attachments):
            item = {"附件类型": kind, "附件名称": name}
            if note:
                item["备注"] = note
            self.attachments.append(item)
        return name

    def situation(self, kind: str, person: Person, proof_kind: str, proof: str) -> None:
        self.situations.append({"情形": kind, "涉及人员": person.name, "证明材料": self.attach(proof_kind, proof)})


def pick_stories(rng: random.Random, category: str, forced: set[str]) -> set[str]:
    """The hardship stories of a household of this category (forced ones included)."""
    stories = set(forced)
    if category == "意外致困户" and not stories & set(MAJOR):
        stories.add(wpick(rng, list(MAJOR), MAJOR_WEIGHTS))
    if not stories & (set(MILD) | set(MAJOR)):
        if category == "低保户" and rng.random() < 0.15:
            stories.add(pick(rng, ("major_illness", "severe_disability")))
        else:
            stories.add(wpick(rng, MILD, MILD_WEIGHTS))
    if rng.random() < 0.3:
        stories.add(wpick(rng, MILD, MILD_WEIGHTS))
    return stories


HEALTH_TAGS = frozenset({"major_illness", "severe_disability", "disability", "chronic", "major_accident"})


def _pick(rng: random.Random, family: Family, wanted) -> Person | None:
    """Someone the story fits whose health no other story has set yet (None if nobody is left)."""
    people = [p for p in family.people if wanted(p) and not p.tags & HEALTH_TAGS]
    if people:
        return pick(rng, people)
    return None if family.worker.tags & HEALTH_TAGS else family.worker


def shape_people(rng: random.Random, family: Family, stories: set[str], on) -> None:
    """Make the people bear the stories out: the ill person is ill, the student studies."""
    adults = lambda p: p.age(on) >= 18 and p.relation not in ("孙子", "孙女")  # noqa: E731
    person = _pick(rng, family, lambda p: adults(p) or rng.random() < 0.2) if "major_illness" in stories else None
    if person:
        set_health(rng, person, "重大疾病")
        person.tags.add("major_illness")
    person = _pick(rng, family, lambda p: p is not family.worker) if "severe_disability" in stories else None
    if person:
        set_health(rng, person, "残疾")
        if person is family.worker:
            person.role, person.nominal = "丧失劳动能力", rr(rng, 0, 40000, 1000)
        else:
            person.able = False
        person.tags.add("severe_disability")
    person = _pick(rng, family, lambda p: True) if "disability" in stories else None
    if person:
        set_health(rng, person, "残疾")
        person.tags.add("disability")
    person = _pick(rng, family, lambda p: p.age(on) >= 30) if "chronic" in stories else None
    if person:
        set_health(rng, person, "慢性疾病")
        person.tags.add("chronic")
    if "emergency" in stories:
        pick(rng, family.people).tags.add("emergency")
    person = _pick(rng, family, adults) if "major_accident" in stories else None
    if person:
        set_health(rng, person, pick(rng, ("一般疾病", "残疾")))
        person.tags.add("major_accident")
    if "university" in stories:
        for person in family.members:
            if person.relation in ("子", "女") and person.role == UNIVERSITY:
                person.tags.add("university")
                break
    if "schooling" in stories:
        for person in family.members:
            if person.relation in ("子", "女") and person.is_student:
                person.tags.add("schooling")
                break


def evidence_for(rng: random.Random, family: Family, stories: set[str], category: str) -> Evidence:
    """The situations (with proofs), the deductible expenses and the matching attachments."""
    ev = Evidence()
    for person in family.people:
        for tag in sorted(person.tags):
            _situation(ev, person, tag, category)
    if "unemployed" in stories:
        jobless = [p for p in family.people if p.role in ("下岗", "失业", "下岗失业")]
        if jobless:
            person = jobless[0]
            ev.situation("失业后再就业困难", person, "其他", f"{person.name}就业失业登记证明")
    if "disaster" in stories:
        ev.situation("意外灾害", family.worker, "灾害或事故证明", "台风受灾情况证明（虚构）")
        ev.causes.add("遭受自然灾害")
    return ev


# Story tag → (情形, its proof's kind and name after the person's, the 致困原因 it adds, the expense it brings:
# (category, proof kind, proof name after the person's, note)).
_SITUATIONS = {
    "major_illness": (
        "重大疾病",
        "病历及诊断证明",
        "病历及诊断证明",
        "家庭成员患重特大疾病",
        ("重大疾病医疗支出", "医疗费用票据", "住院医疗费用票据", "住院及门诊自付部分"),
    ),
    "severe_disability": (
        "残疾基本丧失劳动能力",
        "残疾证",
        "残疾证",
        "家庭成员无劳动能力",
        ("残疾康复支出", "医疗费用票据", "康复治疗费用票据", "康复训练和辅具费用"),
    ),
    "disability": ("残疾", "残疾证", "残疾证", None, None),
    "chronic": ("慢性疾病", "病历及诊断证明", "慢性病门诊病历", None, None),
    "emergency": ("急症", "病历及诊断证明", "急诊病历", None, None),
    "major_accident": (
        "重大意外事故",
        "灾害或事故证明",
        "事故认定书（虚构）",
        "遭受意外事故",
        ("重大意外事故支出", "医疗费用票据", "事故治疗费用票据", "事故治疗自付部分"),
    ),
    "university": (
        "子女上大学",
        "学生证或录取通知书",
        "录取通知书",
        "子女上学",
        ("子女上大学支出", "学费票据", "学费及住宿费票据", "学费、住宿费"),
    ),
    "schooling": ("子女就学", "学生证或录取通知书", "学生证", "子女上学", None),
}


def _situation(ev: Evidence, person: Person, tag: str, category: str) -> None:
    if tag not in _SITUATIONS:
        return
    kind, proof_kind, proof, cause, expense = _SITUATIONS[tag]
    ev.situation(kind, person, proof_kind, f"{person.name}{proof}")
    if cause:
        ev.causes.add(cause)
    if expense:
        what, expense_proof_kind, expense_proof, note = expense
        _expense(ev, category, what, expense_proof_kind, f"{person.name}{expense_proof}", note)


def _expense(ev: Evidence, category: str, kind: str, proof_kind: str, proof: str, note: str) -> None:
    if category != "意外致困户":
        return
    ev.expenses.append({"类别": kind, "年度金额": 0, "凭证": ev.attach(proof_kind, proof), "说明": note})


def causes_of(rng: random.Random, family: Family, ev: Evidence, uninsured: bool) -> list[str]:
    """致困原因 that follow from the household's facts, in the form's order."""
    causes = set(ev.causes)
    for person in family.people:
        if person.health in ("重大疾病",):
            causes.add("家庭成员患重特大疾病")
        if person.health == "残疾" or person.role == "丧失劳动能力":
            causes.add("家庭成员无劳动能力")
        if person.role in ("下岗", "失业", "下岗失业"):
            causes.add("下岗失业")
        if person.role == "无业" and person.able:
            causes.add("有劳动能力而未就业")
        if person.is_student and person.relation in ("子", "女") and rng.random() < 0.6:
            causes.add("子女上学")
    if uninsured:
        causes.add("未参加社会保险")
    if family.worker.role in ("退休", "内退", "停产放假") and rng.random() < 0.3:
        causes.add("社会保险待遇落实不到位")
    if not causes or rng.random() < 0.05:
        causes.add("其他")
    order = (
        "家庭成员无劳动能力",
        "有劳动能力而未就业",
        "下岗失业",
        "未参加社会保险",
        "社会保险待遇落实不到位",
        "家庭成员患重特大疾病",
        "遭受自然灾害",
        "遭受意外事故",
        "子女上学",
        "其他",
    )
    return [c for c in order if c in causes]


OTHER_CAUSES = (
    "单亲独自抚养子女，收入来源单一",
    "长期租房，住房支出负担重",
    "赡养多名老人，负担较重",
    "企业效益下滑，工资长期偏低",
)
