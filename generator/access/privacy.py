"""Masking of personal data and the role policy (records/_settings/roles.yaml) that says who sees what where."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from generator.records import SETTINGS
from generator.records.settings import read_settings

ROLES_PATH = f"{SETTINGS}/roles.yaml"
SCHEMA_NAME = "roles.schema.json"

# Areas of the site; a page belongs to exactly one, and roles grant areas (see docs/access.md).
ARCHIVE, LIST, NOTICE, FINANCE, STATS = "archive", "list", "notice", "finance", "stats"
AREAS = {ARCHIVE: "档案", LIST: "名单", NOTICE: "公示", FINANCE: "财务", STATS: "统计"}
AREA_IDS = {zh: en for en, zh in AREAS.items()}
# The x-personal kinds of schema/household.schema.json.
KINDS = ("姓名", "身份证号", "电话", "银行卡号", "健康", "住址")
FULL, MASKED, HIDDEN = "完整", "遮蔽", "不显示"

# Address masking keeps the administrative levels above the village, in order and each at most once, and nothing
# after them: 省级 (省, 自治区, 特别行政区, 直辖市), 地级 (市, 自治州, 地区, 盟), 县级 (区, 县, 市, 旗), 乡级 (镇, 乡, 街道,
# 苏木). A word's name holds none of the characters that mark a place below those levels (村, 路, 号, 楼 …) or a digit.
_INSIDE = r"[^省市区县旗盟镇乡村街道路巷弄里号栋幢楼层室\s\d０-９()（）#＃,，;；、/\\-]"
_LEVELS = (
    re.compile(rf"(?:北京|天津|上海|重庆)市|{_INSIDE}{{2,8}}?(?:特别行政区|自治区|省)"),
    re.compile(rf"{_INSIDE}{{2,10}}?(?:自治州|地区|盟|市)"),
    re.compile(rf"{_INSIDE}{{1,9}}?(?:自治县|自治旗|县|旗|区|市)"),
    re.compile(rf"{_INSIDE}{{1,9}}?(?:街道|镇|乡|苏木)"),
)
# A 区 or 市 that names a compound, a market or a campus, not a district or a city (小区, 社区, 家属区, 超市 …).
_NOT_REGION = re.compile(r"(?:[社小园校厂景属活宅舍片营业发税场]区|[超菜夜集门街]市)$")
# Districts and county-level cities have short names (秀英区, 浦东新区, 五指山市); longer ones are places inside them.
_SHORT_NAME = {"区": 3, "市": 4}
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_LANDLINE = re.compile(r"^(0[0-9]{2,3})(-?)([0-9]{7,8})((?:-[0-9]{1,6})?)$")


ID_LENGTHS = (18, 15)  # today's ID numbers and the old 15-digit ones
HIDDEN_ID = "*" * 18


def mask_id(number: str) -> str:
    """460105199001011234 → 4601**********1234: region of issue and check digits stay, birth date goes.

    Only an ID number of a standard length shows its first and last four characters; anything else (a typo, a
    fragment, a foreign document number) shows 18 stars, so neither its content nor its length is revealed.
    """
    number = str(number).strip()
    if len(number) not in ID_LENGTHS:
        return HIDDEN_ID
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_name(name: str) -> str:
    """张三明 → 张*明, 张三 → 张*, 张 → *; longer names keep first and last character."""
    name = str(name).strip()
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678, 0898-66553663 → 0898-****3663; other text keeps only its last four letters or digits."""
    phone = str(phone).strip()
    if _MOBILE.match(phone):
        return phone[:3] + "****" + phone[-4:]
    landline = _LANDLINE.match(phone)
    if landline:
        area, dash, local, extension = landline.groups()
        return f"{area}{dash}{'*' * (len(local) - 4)}{local[-4:]}{'-' + '*' * (len(extension) - 1) if extension else ''}"
    keep = 4
    out = []
    for char in reversed(phone):
        secret = char.isascii() and char.isalnum()
        if secret and keep:
            keep -= 1
            out.append(char)
        else:
            out.append("*" if secret else char)
    return "".join(reversed(out))


def mask_card(card: str) -> str:
    """6222021234567890123 → **** 0123 (the last four digits only)."""
    digits = re.sub(r"\D", "", str(card))
    return f"**** {digits[-4:]}" if len(digits) >= 4 else "****"


def mask_address(address: str) -> str:
    """海南省海口市龙华区金贸街道滨涯社区椰海花园小区3栋 → 海南省海口市龙华区金贸街道**.

    Province, city, county and township (镇、乡、街道) stay; everything below them goes: 社区, 村, 小区, 家属区,
    roads, buildings and house numbers. A word that is not clearly an administrative level ends what is kept.
    """
    address = str(address).strip()
    end = 0
    for level, pattern in enumerate(_LEVELS):
        match = pattern.match(address, end)
        if match and _is_region(match.group(), level):
            end = match.end()
    return address[:end] + "**"


def _is_region(word: str, level: int) -> bool:
    """Whether a word matched at a level (0 province … 3 township) names a region rather than a place inside one."""
    if level in (1, 2) and _NOT_REGION.search(word):
        return False
    limit = _SHORT_NAME.get(word[-1]) if level == 2 else None
    return limit is None or len(word) - 1 <= limit


MASKS = {"姓名": mask_name, "身份证号": mask_id, "电话": mask_phone, "银行卡号": mask_card, "住址": mask_address}


@dataclass(frozen=True)
class Role:
    """A role and the areas its holders may read."""

    name: str
    description: str
    areas: tuple[str, ...]  # area ids (archive, list, …)


class Policy:
    """What each area shows of each kind of personal data, and which areas each role reads."""

    def __init__(self, rules: dict[str, dict[str, str]], roles: dict[str, Role], path: str = ROLES_PATH):
        self.rules = rules  # area id → kind → 完整 | 遮蔽 | 不显示
        self.roles = roles
        self.path = path

    def mode(self, area: str, kind: str) -> str:
        """完整, 遮蔽 or 不显示 for one kind of data in one area."""
        area_id = AREA_IDS.get(area, area)
        if area_id not in self.rules:
            raise ValueError(f"unknown area {area!r}; expected one of {sorted(AREAS)}")
        if kind not in KINDS:
            raise ValueError(f"unknown personal kind {kind!r}; expected one of {KINDS}")
        return self.rules[area_id].get(kind, HIDDEN)

    def show(self, area: str, kind: str, value) -> str | None:
        """The value as this area may show it; None means do not show it at all (not even its label)."""
        mode = self.mode(area, kind)
        if value is None or value == "":
            return None if mode == HIDDEN else ""
        if mode == FULL:
            return str(value)
        if mode == MASKED and kind in MASKS:
            return MASKS[kind](str(value))
        return None

    def areas_of(self, role_names) -> set[str]:
        """The union of areas the given roles read."""
        return {area for name in role_names if name in self.roles for area in self.roles[name].areas}


def load_policy(root: Path | None = None, raw: bytes | None = None) -> Policy:
    """Read root/records/_settings/roles.yaml (or `raw`); raise RecordError listing every problem."""
    record = read_settings(root, ROLES_PATH, SCHEMA_NAME, "角色和遮蔽规则文件", raw)
    return _policy(record.data, record)


def _policy(data: dict, record=None) -> Policy:
    rules = {AREA_IDS[zh]: dict(kinds) for zh, kinds in data["遮蔽"].items()}
    roles = {
        name: Role(name, spec.get("说明", ""), tuple(AREA_IDS[zh] for zh in spec["可读"])) for name, spec in data["角色"].items()
    }
    return Policy(rules, roles, record.path if record is not None else ROLES_PATH)


# Equal to the shipped records/_settings/roles.yaml (tests/test_privacy.py checks); for callers without an archive root.
DEFAULT_ROLES = {
    "遮蔽": {
        "档案": {"姓名": FULL, "身份证号": FULL, "电话": FULL, "银行卡号": MASKED, "健康": FULL, "住址": FULL},
        "名单": {"姓名": FULL, "身份证号": MASKED, "电话": MASKED, "银行卡号": HIDDEN, "健康": HIDDEN, "住址": MASKED},
        "公示": {"姓名": MASKED, "身份证号": HIDDEN, "电话": HIDDEN, "银行卡号": HIDDEN, "健康": HIDDEN, "住址": MASKED},
        "财务": {"姓名": FULL, "身份证号": MASKED, "电话": MASKED, "银行卡号": FULL, "健康": HIDDEN, "住址": HIDDEN},
        "统计": {"姓名": HIDDEN, "身份证号": HIDDEN, "电话": HIDDEN, "银行卡号": HIDDEN, "健康": HIDDEN, "住址": HIDDEN},
    },
    "角色": {
        "经办人": {
            "说明": "建档、维护档案的工会帮扶中心工作人员：读档案、名单、工作清单、公示名单和统计。",
            "可读": ["档案", "名单", "公示", "统计"],
        },
        "审核人": {"说明": "审核档案的工会工作人员：与经办人相同。", "可读": ["档案", "名单", "公示", "统计"]},
        "财务": {
            "说明": "发放帮扶资金的财务人员：另可读含完整银行卡号的发放名单。",
            "可读": ["档案", "名单", "公示", "统计", "财务"],
        },
        "统计员": {"说明": "只读统计页和工作手册，不读任何档案和名单。", "可读": ["统计"]},
        "公示员": {"说明": "只读公示名单（姓名遮蔽、不含身份证号），用于张贴公示。", "可读": ["公示"]},
    },
}


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    """The policy of the shipped roles.yaml, for callers without an archive root."""
    return _policy(DEFAULT_ROLES)
