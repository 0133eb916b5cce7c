"""One synthetic household record, checked against the eligibility rules before it is handed out."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from generator.demo import hardship
from generator.demo.draw import pick, ri, rr, wpick
from generator.demo.family import EMPLOYED_MEMBER, Family, Person, add_member, assign_roles, make_family, random_health
from generator.demo.identity import IdNumbers
from generator.demo.income import deductions, fit_incomes, target_per_capita, yuan
from generator.demo.record import assemble
from generator.demo.timeline import STATUS_WEIGHTS, add_years, make_timeline
from generator.rules import assess
from generator.rules.regions import Regions
from generator.rules.standards import MINIMUM_WAGE, MULTIPLIER, RURAL, URBAN, Standards

CATEGORY_WEIGHTS = {"低保户": 33, "低保边缘户": 47, "意外致困户": 20}


class Retry(Exception):
    """The random draw does not make a household the rules agree with; draw again."""


@dataclass
class Province:
    """What every household of one run shares: the date, the regions, the standards (and the current ID book)."""

    today: dt.date
    regions: Regions
    standards: Standards
    ids: IdNumbers = field(default_factory=IdNumbers)
    retries: int = 0


def build(rng: random.Random, prov: Province, county: str, seq: int, scenario: dict) -> dict:
    """A household for `county` numbered `seq` that the rules place in its declared category."""
    for _ in range(200):
        prov.ids = IdNumbers()
        try:
            return _attempt(rng, prov, county, seq, scenario)
        except Retry:
            prov.retries += 1
    raise RuntimeError(f"cannot build a consistent demo household for {county}{seq:04d} {scenario}")


def _attempt(rng: random.Random, prov: Province, county: str, seq: int, scenario: dict) -> dict:
    status = scenario.get("status") or _weighted(rng, STATUS_WEIGHTS)
    migrant = scenario.get("migrant", status != "调查中" and rng.random() < 0.07)
    category = scenario.get("category") or _weighted(rng, CATEGORY_WEIGHTS)
    line = make_timeline(rng, status, prov.today, migrant)
    on = line.assessed
    hukou = "农业户口" if migrant else wpick(rng, ("城镇户口", "农业户口", "居民户口"), (45, 28, 27))
    rural = hukou == "农业户口"
    stories = hardship.pick_stories(rng, category, set(scenario.get("stories", ())))
    status_of_worker = scenario.get("worker")
    if migrant:
        status_of_worker = "在岗"
    elif "unemployed" in stories and rng.random() < 0.4:
        status_of_worker = pick(rng, ("下岗", "失业"))
    family = make_family(rng, on, line.established, stories, status_of_worker)
    _extras(rng, family, on, scenario)
    assign_roles(rng, family, on, rural, stories)
    for person in family.people:
        random_health(rng, person, on)
    hardship.shape_people(rng, family, stories, on)
    _fix_roles(rng, family, on, stories, scenario)
    ev = hardship.evidence_for(rng, family, stories, category)
    if category == "意外致困户" and not ev.expenses:
        raise Retry
    home = county if not migrant or rng.random() < 0.5 else pick(rng, [c for c in prov.regions.counties() if c[:4] != "4603"])
    for person in family.people:
        _identity(rng, prov, home, person, on)
    imputed = _certificates(rng, family, on, rural, scenario.get("imputed", rng.random() < 0.03))
    card = _dibao_card(rng, county, seq, on, hukou) if category == "低保户" else None
    kind = (URBAN if card["低保类型"] == "城市低保" else RURAL) if card else (RURAL if rural else URBAN)
    lower = prov.standards.lookup(county, kind, on).value
    upper = lower * prov.standards.lookup(county, MULTIPLIER, on).value
    wage = prov.standards.lookup(county, MINIMUM_WAGE, on).value
    imputed_annual = int(wage * 100) * 12 * len(imputed)
    natural = (sum(p.nominal for p in family.people) * 12 + imputed_annual) // (12 * family.size)
    before, after = target_per_capita(rng, category, lower, upper, natural)
    other = fit_incomes(rng, family, before, imputed_annual)
    if other is None:
        raise Retry
    if after is not None:
        for expense, amount in zip(ev.expenses, deductions(rng, family.size, before, after, len(ev.expenses)), strict=True):
            expense["年度金额"] = yuan(amount)
    record = assemble(rng, prov, county, seq, category, line, family, ev, hukou, home, migrant, card, other, scenario)
    return _confirmed(record, prov, county, category, scenario, per_capita=rng.random() < 0.6)


def _weighted(rng: random.Random, weights: dict) -> str:
    return wpick(rng, list(weights), list(weights.values()))


def _extras(rng: random.Random, family: Family, on: dt.date, scenario: dict) -> None:
    """People a scenario asks for: a baby without an ID card, a very old parent."""
    if scenario.get("infant"):
        sex = pick(rng, ("男", "女"))
        relation = ("子" if sex == "男" else "女") if family.worker.age(on) < 45 else ("孙子" if sex == "男" else "孙女")
        baby = add_member(rng, family, on, relation, sex, 0, family.surname)
        baby.tags.add("no_id")
    if scenario.get("elderly"):
        sex = pick(rng, ("男", "女"))
        add_member(rng, family, on, "父亲" if sex == "男" else "母亲", sex, ri(rng, 82, 90))


def _fix_roles(rng: random.Random, family: Family, on: dt.date, stories: set[str], scenario: dict) -> None:
    worker = family.worker
    if worker.role == "丧失劳动能力" and worker.health in ("健康", "一般疾病"):
        worker.health, worker.disability = "残疾", pick(rng, ("肢体残疾", "多重残疾"))
    if "unemployed" in stories and not any(p.role in ("下岗", "失业", "下岗失业") for p in family.people):
        candidates = [m for m in family.members if 20 <= m.age(on) < 50 and not m.is_student and not m.tags]
        if candidates:
            member = pick(rng, candidates)
            member.role, member.able, member.nominal = "下岗失业", True, 0
        else:
            worker.role, worker.nominal = "失业", rr(rng, 0, 100000, 1000)
    if scenario.get("zero_employment"):
        worker.role, worker.nominal = "失业", rr(rng, 50000, 110000, 1000)
        for member in family.members:
            if member.role in EMPLOYED_MEMBER or member.role == "其他":
                member.role, member.nominal = "无业", 0
    if scenario.get("uninsured"):
        worker.insurance = "未参保"
    if scenario.get("imputed"):
        adults = [m for m in family.members if m.age(on) >= 22 and m.age(on) < 55 and not m.tags]
        if not adults:
            raise Retry
        member = adults[0]
        member.role, member.nominal, member.able, member.health, member.disability = "无业", 0, True, "健康", "无"


def _identity(rng: random.Random, prov: Province, county: str, person: Person, on: dt.date) -> None:
    if "no_id" in person.tags or (person.age(on) < 3 and rng.random() < 0.5):
        return
    person.id_number = prov.ids.new(rng, county, person.born, person.sex)


def _certificates(rng: random.Random, family: Family, on: dt.date, rural: bool, impute: bool) -> list[Person]:
    """无业无收入证明 for jobless adults able to work; the ones left without are imputed at the minimum wage."""
    imputed = []
    for person in family.members:
        if person.role not in ("无业", "下岗失业") or person.nominal or person.age(on) < 20 or person.is_student:
            continue
        if person.health in ("重大疾病", "残疾") or person.able is False:
            continue
        if impute and not imputed:
            imputed.append(person)
            continue
        issuer = "用人单位" if person.role == "下岗失业" and rng.random() < 0.4 else ("村民委员会" if rural else "社区居委会")
        person.certificate = {"出具单位": issuer, "证明名称": f"{person.name}无业无收入证明"}
    return imputed


def _dibao_card(rng: random.Random, county: str, seq: int, on: dt.date, hukou: str) -> dict:
    start = on - dt.timedelta(days=rr(rng, 10, 330))
    end = add_years(start, pick(rng, (1, 2, 3))) - dt.timedelta(days=1)
    if end < on:
        end = on + dt.timedelta(days=rr(rng, 30, 300))
    kind = "农村低保" if hukou == "农业户口" else "城市低保"
    return {
        "证号": f"示例低保{county}-{start.year}-{seq:04d}",
        "有效期起": start.isoformat(),
        "有效期止": end.isoformat(),
        "低保类型": kind,
    }


def _confirmed(record: dict, prov: Province, county: str, category: str, scenario: dict, per_capita: bool) -> dict:
    """Ask the rules: the declared category must be theirs and nothing may be an error."""
    result = assess(record, county, prov.standards, prov.today)
    # 是否单亲 and 是否为零就业家庭 are filled in from the rules below; an imputed income is deliberate.
    expected = {"zero-employment", "single-parent", "imputed-income"}
    if result.category != category or result.cancel or any(f.code not in expected for f in result.findings):
        raise Retry
    if scenario.get("zero_employment") and not result.zero_employment:
        raise Retry
    record["是否单亲"] = "是" if result.single_parent else "否"
    record["是否为零就业家庭"] = "是" if result.zero_employment else "否"
    if per_capita and result.per_capita is not None:
        record["家庭月人均收入"] = yuan(int(result.per_capita * 100))
    return record
