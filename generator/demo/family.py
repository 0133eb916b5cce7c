"""A household's people: the worker and the members, with ages, health, work and income roles."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from generator.demo.draw import pick, ri, wpick
from generator.demo.identity import age_on, birth_date, unique_name

HEALTH = ("健康", "一般疾病", "慢性疾病", "重大疾病", "残疾")
DISABILITIES = ("视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾", "多重残疾")
WORKER_STATUS = {
    "在岗": 40,
    "灵活就业": 16,
    "停产放假": 5,
    "内退": 5,
    "退休": 5,
    "下岗": 6,
    "失业": 9,
    "丧失劳动能力": 3,
    "其他": 3,
}
EMPLOYED_MEMBER = ("在岗职工", "灵活就业", "个体经营", "务农", "农民工")
UNIVERSITY = "在校学生（大学及以上）"
# Monthly income (yuan) each role typically brings in before the household is scaled to its band.
ROLE_INCOME = {
    "在岗": (1400, 3200),
    "灵活就业": (800, 2400),
    "停产放假": (500, 1200),
    "内退": (900, 1900),
    "退休": (1500, 3200),
    "下岗": (0, 700),
    "失业": (0, 1100),
    "丧失劳动能力": (0, 500),
    "其他": (300, 1200),
    "在岗职工": (1400, 3400),
    "个体经营": (800, 2600),
    "务农": (300, 1300),
    "农民工": (1600, 3400),
    "离退休": (900, 2800),
    "下岗失业": (0, 900),
}


@dataclass
class Person:
    """The worker (relation 本人) or one member, as the demo builds them."""

    name: str
    relation: str
    sex: str
    born: dt.date
    health: str = "健康"
    disability: str = "无"
    role: str = ""  # 工作状态 of the worker, 身份 of a member
    income: int = 0  # monthly, in fen
    able: bool | None = None
    certificate: dict | None = None
    id_number: str | None = None
    place: str | None = None  # 单位或学校
    insurance: str = "城乡居民基本医疗保险"
    nominal: int = 0  # the role's typical monthly income (fen) before scaling
    tags: set[str] = field(default_factory=set)

    def age(self, day: dt.date) -> int:
        return age_on(self.born, day)

    @property
    def is_student(self) -> bool:
        return self.role.startswith("在校学生")


@dataclass
class Family:
    worker: Person
    members: list[Person]
    marital: str
    surname: str
    names: set[str]

    @property
    def people(self) -> list[Person]:
        return [self.worker, *self.members]

    @property
    def size(self) -> int:
        return 1 + len(self.members)


def make_family(rng: random.Random, on: dt.date, since: dt.date, stories: set[str], worker_status: str | None) -> Family:
    """The worker and the people living with them, as of `on` (the assessment date).

    The worker was at least 22 when the archive was opened on `since`.
    """
    status = worker_status or wpick(rng, list(WORKER_STATUS), list(WORKER_STATUS.values()))
    sex = "男" if rng.random() < 0.55 else "女"
    age = max(_worker_age(rng, status, sex), 22 + age_on(since, on) + ri(rng, 0, 6))
    if "university" in stories:
        age = max(age, ri(rng, 40, 50))
    elif "schooling" in stories:
        age = max(age, ri(rng, 28, 40))
    surname_taken: set[str] = set()
    worker_name = unique_name(rng, surname_taken)
    worker = Person(worker_name, "本人", sex, birth_date(rng, on, age), role=status)
    marital = _marital(rng, age, stories)
    family = Family(worker, [], marital, worker_name[0], surname_taken)
    spouse = None
    if marital == "已婚" and rng.random() < 0.95:
        spouse = add_member(rng, family, on, "配偶", "女" if sex == "男" else "男", max(20, age + ri(rng, -6, 6)))
    child_surname = worker_name[0] if sex == "男" or spouse is None else spouse.name[0]
    for child_age in _children(rng, age, marital, stories):
        child_sex = "男" if rng.random() < 0.52 else "女"
        add_member(rng, family, on, "子" if child_sex == "男" else "女", child_sex, child_age, child_surname)
    if age <= 56 and rng.random() < 0.42:
        for parent_sex in rng.sample(("男", "女"), pick(rng, (1, 2))):
            in_law = spouse is not None and rng.random() < 0.3
            relation = _parent_relation(parent_sex, in_law, sex)
            surname = (spouse.name[0] if in_law else worker_name[0]) if parent_sex == "男" else None
            add_member(rng, family, on, relation, parent_sex, min(95, age + ri(rng, 22, 34)), surname)
    if age >= 46 and rng.random() < 0.25:
        kid_sex = "男" if rng.random() < 0.5 else "女"
        add_member(rng, family, on, "孙子" if kid_sex == "男" else "孙女", kid_sex, ri(rng, 0, 8), worker_name[0])
    if marital == "未婚" and rng.random() < 0.12:
        sib_sex = "男" if rng.random() < 0.5 else "女"
        add_member(rng, family, on, "兄弟" if sib_sex == "男" else "姐妹", sib_sex, max(18, age + ri(rng, -8, 8)), worker_name[0])
    return family


def _worker_age(rng: random.Random, status: str, sex: str) -> int:
    if status == "退休":
        return ri(rng, 60, 66) if sex == "男" else ri(rng, 50, 62)
    if status == "内退":
        return ri(rng, 45, 54)
    return ri(rng, 23, 58 if sex == "男" else 53)


def _marital(rng: random.Random, age: int, stories: set[str]) -> str:
    if "single_parent" in stories:
        return pick(rng, ("离婚", "丧偶", "离婚"))
    if age < 28:
        return "未婚" if rng.random() < 0.55 else "已婚"
    return wpick(rng, ("已婚", "离婚", "丧偶", "未婚"), (66, 14, 7, 13))


def _children(rng: random.Random, age: int, marital: str, stories: set[str]) -> list[int]:
    """Ages of the children living at home; a parent was 20–40 at each birth."""
    ages = []
    if age >= 21 and (marital != "未婚" or "single_parent" in stories):
        count = wpick(rng, (0, 1, 2, 3, 4), (10, 34, 38, 15, 3))
        if marital in ("离婚", "丧偶") or "single_parent" in stories:
            count = max(count, 1) if rng.random() < 0.8 else 0
        ages = [age - ri(rng, 20, 40) for _ in range(count)]
        ages = [a for a in ages if 0 <= a <= 30]
    if "university" in stories and age >= 38:
        ages.append(ri(rng, 18, min(22, age - 20)))
    if "schooling" in stories and not any(6 <= a <= 22 for a in ages) and age >= 27:
        ages.append(ri(rng, 6, min(17, age - 21)))
    return sorted(ages, reverse=True)


def _parent_relation(parent_sex: str, in_law: bool, worker_sex: str) -> str:
    if not in_law:
        return "父亲" if parent_sex == "男" else "母亲"
    if worker_sex == "男":
        return "岳父" if parent_sex == "男" else "岳母"
    return "公公" if parent_sex == "男" else "婆婆"


def add_member(rng, family: Family, on: dt.date, relation: str, sex: str, age: int, surname: str | None = None) -> Person:
    name = unique_name(rng, family.names, surname)
    person = Person(name, relation, sex, birth_date(rng, on, age))
    family.members.append(person)
    return person


def assign_roles(rng: random.Random, family: Family, on: dt.date, rural: bool, stories: set[str]) -> None:
    """身份, health, 有劳动能力 and the typical income of every member, by age."""
    for person in family.members:
        age = person.age(on)
        person.role = _member_role(rng, age, person.sex, rural, person.relation, stories)
        if age >= 16 and not person.is_student:
            person.able = age < 60 and person.role != "离退休"
        if age >= 60 and person.role == "无业" and rng.random() < 0.7:
            person.able = False
    for person in family.people:
        low, high = ROLE_INCOME.get(person.role, (0, 0))
        person.nominal = ri(rng, low, high) * 100 if high else 0
        if person.role in ("下岗失业", "无业") or person.is_student or person.role == "学龄前儿童":
            person.nominal = 0 if person.role != "下岗失业" or rng.random() < 0.6 else person.nominal
        if person is family.worker and person.role in ("下岗", "失业") and rng.random() < 0.5:
            person.nominal = max(person.nominal, 60000)


def _member_role(rng, age: int, sex: str, rural: bool, relation: str, stories: set[str]) -> str:
    if age < 6:
        return "学龄前儿童"
    if age < 12:
        return "在校学生（小学）"
    if age < 15:
        return "在校学生（初中）"
    if age < 18:
        return "在校学生（高中或中职）" if rng.random() < 0.9 else "无业"
    if age <= 22 and relation in ("子", "女"):
        if "university" in stories and age >= 18:
            return UNIVERSITY
        return wpick(rng, (UNIVERSITY, "在岗职工", "灵活就业", "农民工", "无业"), (40, 20, 15, 10, 15))
    retire_age = 60 if sex == "男" else 50
    if age >= retire_age:
        choices = ("离退休", "务农", "无业") if rural else ("离退休", "无业", "灵活就业")
        return wpick(rng, choices, (55, 15, 30) if rural else (60, 32, 8))
    work = ("在岗职工", "灵活就业", "个体经营", "务农" if rural else "灵活就业", "农民工", "下岗失业", "无业", "其他")
    return wpick(rng, work, (22, 18, 4, 10, 5, 14, 24, 3))


def set_health(rng: random.Random, person: Person, health: str) -> None:
    """Give a person a health state (and a disability kind where it is 残疾)."""
    person.health = health
    person.disability = pick(rng, DISABILITIES) if health == "残疾" else "无"
    if health in ("重大疾病", "残疾") and person.able is not None:
        person.able = False if health == "重大疾病" or rng.random() < 0.7 else person.able


def random_health(rng: random.Random, person: Person, on: dt.date) -> None:
    """Background health, worse with age; the household's story may override it."""
    age = person.age(on)
    weights = (62, 18, 14, 2, 4) if age < 50 else (35, 22, 33, 5, 5)
    set_health(rng, person, wpick(rng, HEALTH, weights))
