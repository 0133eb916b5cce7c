"""Fake but well-formed identities: names, ID numbers, phones, bank cards, addresses, employers."""

from __future__ import annotations

import datetime as dt
import random
from functools import cache

from stdnum import luhn, numdb
from stdnum.cn import ric

from generator.demo.draw import pick, rr

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
    "钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严欧莫孔符吉羊"
)
# Every name carries one of these markers, so nobody can mistake a demo person for a real one.
MARKERS = ("示例", "测试", "测", "样例")
SUFFIXES = "一二三四五六七八九十甲乙丙丁戊己庚辛壬癸"

# Address codes a person born in a given year may carry for each county (current code first,
# then older codes of the same place); stdnum decides which were in force in the birth year.
_HISTORIC = {
    "460105": ("460104", "460100", "441000", "442101"),
    "460106": ("460103", "460100", "441000", "442101"),
    "460107": ("460004", "460021", "442121"),
    "460108": ("460102", "460100", "441000", "442101"),
    "460202": ("460200", "441100", "442201", "442221"),
    "460203": ("460200", "441100", "442201", "442221"),
    "460204": ("460200", "441100", "442201", "442221"),
    "460205": ("460200", "441100", "442201", "442221"),
    "460302": ("460300", "469031", "460037"),
    "460303": ("460300", "469032", "460038"),
    "460400": ("469003", "460003", "460029", "442129"),
    "469001": ("460001", "442102", "442202", "442200"),
    "469002": ("460002", "460023", "442123"),
    "469005": ("460005", "460022", "442122"),
    "469006": ("460006", "460024", "442124"),
    "469007": ("460007", "460032", "442130", "442222"),
    "469021": ("460025", "442125"),
    "469022": ("460026", "442126"),
    "469023": ("460027", "442127"),
    "469024": ("460028", "442128"),
    "469025": ("460030", "442135", "442227"),
    "469026": ("460031", "442136", "442228"),
    "469027": ("460033", "442131", "442223"),
    "469028": ("460034", "442134", "442226"),
    "469029": ("460035", "442133", "442225"),
    "469030": ("460036", "442132", "442224"),
}
_FALLBACK = ("460000", "442100", "442200")
FAKE_SEQUENCE = 900  # order codes 900–999: a recognisably fake range


def person_name(rng: random.Random, surname: str | None = None) -> str:
    """张示例一, 李测二 …: a name that is plainly a test name."""
    return (surname or pick(rng, SURNAMES)) + pick(rng, MARKERS) + pick(rng, SUFFIXES)


def unique_name(rng: random.Random, taken: set[str], surname: str | None = None) -> str:
    """A person_name not yet in `taken` (within one household names must tell people apart)."""
    for _ in range(50):
        name = person_name(rng, surname)
        if name not in taken:
            taken.add(name)
            return name
    name = person_name(rng, surname) + SUFFIXES[len(taken) % len(SUFFIXES)]
    taken.add(name)
    return name


class IdNumbers:
    """Hands out GB 11643 numbers that are valid, fake (order code 9xx) and distinct within one household."""

    def __init__(self) -> None:
        self.issued: set[str] = set()

    def new(self, rng: random.Random, county: str, born: dt.date, sex: str) -> str:
        """A fresh number for someone born on `born` whose household lives in `county`."""
        odd = 1 if sex == "男" else 0
        for prefix in prefixes(county, born.year):
            body = prefix + born.isoformat().replace("-", "")
            start = rr(rng, 50)
            for step in range(50):
                number = _with_check(body + str(FAKE_SEQUENCE + 2 * ((start + step) % 50) + odd))
                if number not in self.issued:
                    self.issued.add(number)
                    return number
        raise RuntimeError(f"no free fake ID number for {county} {born}")


def next_free(number: str, taken: set[str]) -> str:
    """The next fake order code of the same place, birthday and sex that is not taken (一人一档 across households)."""
    order = int(number[14:17])
    for step in range(1, 50):
        candidate = _with_check(number[:14] + str(FAKE_SEQUENCE + (order - FAKE_SEQUENCE + 2 * step) % 100))
        if candidate not in taken:
            return candidate
    raise RuntimeError(f"no free fake ID number near {number}")


def _with_check(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


@cache
def prefixes(county: str, year: int) -> tuple[str, ...]:
    """Address codes in force in `year` for the county, nearest first."""
    candidates = (county, *_HISTORIC.get(county, ()), *_FALLBACK)
    return tuple(c for c in candidates if _valid_for(c, year)) or (county,)


@cache
def _years(prefix: str) -> tuple[tuple[int, int], ...]:
    """The years in which stdnum's GB/T 2260 table has `prefix` in force (stdnum's own reading)."""
    results = numdb.get("cn/loc").info(prefix)
    county = {k: v for _, props in results for k, v in props.items()}.get("county")
    if not county:
        return ()
    spans = []
    for part in county.split(","):
        if not part.startswith("["):
            return ((0, 9999),)
        start, end = part[1:].split("]")[0].split("-")
        spans.append((int(start) if start else 0, int(end) if end else 9999))
    return tuple(spans)


def _valid_for(prefix: str, year: int) -> bool:
    return any(start <= year <= end for start, end in _years(prefix))


def mobile(rng: random.Random) -> str:
    """A number in 1700000xxxx: the virtual-operator segment, padded with zeros to look fake."""
    return f"1700000{rr(rng, 10000):04d}"


def landline(rng: random.Random) -> str:
    """A Hainan (0898) office number of the fake form 0898-0000xxxx."""
    return f"0898-0000{rr(rng, 10000):04d}"


def bank_card(rng: random.Random) -> str:
    """A 19-digit card number under the fake prefix 62000000, with a valid Luhn check digit."""
    body = "62000000" + "".join(str(rr(rng, 10)) for _ in range(10))
    return body + luhn.calc_check_digit(body)


def birth_date(rng: random.Random, on: dt.date, age: int) -> dt.date:
    """A birthday on which the person is `age` full years old on `on`."""
    latest = _years_before(on, age)
    earliest = _years_before(on, age + 1) + dt.timedelta(days=1)
    return earliest + dt.timedelta(days=rr(rng, (latest - earliest).days + 1))


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_on(born: dt.date, day: dt.date) -> int:
    """Full years (周岁) on `day`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


_EMPLOYERS = {
    "农、林、牧、渔业": ("示例农场", "测试橡胶种植场", "样例水产养殖场"),
    "制造业": ("示例机械厂", "测试食品加工厂", "样例纺织厂", "示例化工厂"),
    "电力、热力、燃气及水生产和供应业": ("示例供水公司",),
    "建筑业": ("示例建筑工程有限公司", "测试建材有限公司"),
    "批发和零售业": ("示例商贸有限公司", "测试百货商场"),
    "交通运输、仓储和邮政业": ("示例运输公司", "测试物流有限公司"),
    "住宿和餐饮业": ("示例酒店", "测试餐饮有限公司"),
    "居民服务、修理和其他服务业": ("示例家政服务公司", "测试物业管理有限公司"),
    "水利、环境和公共设施管理业": ("示例环卫服务公司",),
    "卫生和社会工作": ("示例社区卫生服务站",),
    "教育": ("示例职业培训学校",),
    "采矿业": ("示例矿业有限公司",),
}
INDUSTRIES = tuple(_EMPLOYERS)
INDUSTRY_WEIGHTS = (8, 22, 2, 12, 14, 8, 12, 10, 4, 2, 2, 4)


def employer(rng: random.Random, place: str, industry: str) -> str:
    """A clearly fictional employer, e.g. 秀英区示例机械厂（虚构）."""
    return f"{place}{pick(rng, _EMPLOYERS[industry])}（虚构）"


def address(rng: random.Random, full_name: str, rural: bool) -> str:
    """A clearly fictional address inside the county, ending with （虚构）."""
    if rural:
        town, village = pick(rng, ("示例镇", "测试镇", "样例镇")), pick(rng, ("测试", "示例", "样例"))
        return f"{full_name}{town}{village}村{rr(rng, 1, 200)}号（虚构）"
    road = pick(rng, ("示例路", "测试街", "样例大道", "示例巷"))
    return f"{full_name}{road}{rr(rng, 1, 300)}号{rr(rng, 1, 9)}栋{rr(rng, 1, 30):d}0{rr(rng, 1, 5)}房（虚构）"


_POSTCODES = {
    "4601": "5701",
    "4602": "5720",
    "4603": "5731",
    "4604": "5717",
    "469001": "5722",
    "469002": "5714",
    "469005": "5713",
    "469006": "5715",
    "469007": "5726",
    "469021": "5712",
    "469022": "5716",
    "469023": "5719",
    "469024": "5718",
    "469025": "5728",
    "469026": "5727",
    "469027": "5725",
    "469028": "5724",
    "469029": "5723",
    "469030": "5729",
}


def postcode(rng: random.Random, county: str) -> str:
    """A six-digit postcode of the county's area."""
    head = _POSTCODES.get(county) or _POSTCODES.get(county[:4], "5700")
    return f"{head}{rr(rng, 0, 40):02d}"
