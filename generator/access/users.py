"""Who may read what: users and groups of records/_settings/access.yaml, their scopes and the areas their roles grant."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from generator.access.privacy import AREAS, Policy, load_policy
from generator.errors import Problem, RecordError
from generator.records import SETTINGS
from generator.records.settings import read_settings
from generator.rules.regions import Regions, regions

ACCESS_PATH = f"{SETTINGS}/access.yaml"
SCHEMA_NAME = "access.schema.json"
HANDBOOK = "handbook"  # the mkdocs handbook: any user holding any grant reads it
INDEX = "index"  # a scope's front page (counts and links): any role holding the scope reads it


@dataclass(frozen=True)
class Grant:
    """One scope (a region code, which contains every code it prefixes) and the areas readable in it."""

    scope: str
    roles: tuple[str, ...]
    areas: frozenset[str]


@dataclass
class Principal:
    """A user or a group and everything it holds."""

    name: str
    title: str
    grants: list[Grant] = field(default_factory=list)
    groups: tuple[str, ...] = ()
    disabled: bool = False


@dataclass
class Access:
    """The access file, checked against the regions table and the role policy."""

    users: dict[str, Principal]
    groups: dict[str, Principal]
    example: bool = False
    path: str = ACCESS_PATH

    def grants_of_user(self, user: str, header_groups: tuple[str, ...] = ()) -> list[Grant]:
        """Every grant a user holds: their own, their file groups', and (single sign-on) their header groups'."""
        person = self.users.get(user)
        if person is not None and person.disabled:
            return []
        grants = list(person.grants) if person else []
        for name in (person.groups if person else ()) + tuple(header_groups):
            if name in self.groups:
                grants.extend(self.groups[name].grants)
        return grants

    def can_read(self, user: str, area: str, code: str = "", header_groups: tuple[str, ...] = ()) -> bool:
        """True when the user may read `area` pages of region `code` (the model the nginx configuration implements)."""
        grants = self.grants_of_user(user, header_groups)
        if area == HANDBOOK:
            return bool(grants)
        return any((area == INDEX or area in g.areas) and code.startswith(g.scope) for g in grants)


def load_access(
    root: Path | None = None, *, policy: Policy | None = None, table: Regions | None = None, raw: bytes | None = None
) -> Access:
    """Read root/records/_settings/access.yaml (or `raw`); raise RecordError listing every problem."""
    policy = policy or load_policy(root)
    table = table or regions()
    record = read_settings(root, ACCESS_PATH, SCHEMA_NAME, "访问授权文件", raw)
    data = record.data
    problems: list[Problem] = []
    groups = {
        name: Principal(name, spec["说明"], _grants(record, f"/组/{name}/授权", spec["授权"], policy, table, problems))
        for name, spec in (data.get("组") or {}).items()
    }
    users = {}
    for name, spec in data["用户"].items():
        base = f"/用户/{name}"
        grants = _grants(record, f"{base}/授权", spec.get("授权", []), policy, table, problems)
        member_of = tuple(spec.get("组", ()))
        for i, group in enumerate(member_of):
            if group not in groups:
                problems.append(record.problem(f"{base}/组/{i}", "access-group", f"组“{group}”没有在“组”中定义。"))
        if not grants and not member_of and spec.get("停用") != "是":
            problems.append(
                record.problem(base, "access-empty", f"用户“{name}”既没有授权也不属于任何组，什么也读不了；不用的账号请删除。")
            )
        users[name] = Principal(name, spec["姓名"], grants, member_of, spec.get("停用") == "是")
    if problems:
        raise RecordError("访问授权文件有误。", sorted(problems, key=lambda p: (p.line or 0, p.pointer)))
    return Access(users, groups, data.get("示例数据") == "是", record.path)


def _grants(record, pointer: str, items: list[dict], policy: Policy, table: Regions, problems: list[Problem]) -> list[Grant]:
    out = []
    for i, item in enumerate(items):
        scope = item["范围"]
        if scope not in table or table.level(scope) not in ("province", "city", "county"):
            problems.append(
                record.problem(f"{pointer}/{i}/范围", "access-scope", f"“{scope}”不是本省的省、市或县级行政区划代码。")
            )
            continue
        for j, role in enumerate(item["角色"]):
            if role not in policy.roles:
                known = "、".join(policy.roles)
                problems.append(
                    record.problem(
                        f"{pointer}/{i}/角色/{j}", "access-role", f"没有角色“{role}”（roles.yaml 中的角色：{known}）。"
                    )
                )
        areas = frozenset(policy.areas_of(item["角色"]))
        out.append(Grant(scope, tuple(item["角色"]), areas))
    return out


def describe(grant: Grant, table: Regions | None = None) -> str:
    """海口市（4601）：经办人（可读 档案、名单、公示、统计）."""
    table = table or regions()
    areas = "、".join(AREAS[a] for a in AREAS if a in grant.areas)
    return f"{table.name(grant.scope)}（{grant.scope}）：{'、'.join(grant.roles)}（可读 {areas}）"


def describe_access(access: Access, table: Regions | None = None) -> list[str]:
    """One line per user and group: what each may read, for review before deploying."""
    lines = []
    for user in access.users.values():
        head = f"用户 {user.name}（{user.title}）"
        if user.disabled:
            lines.append(f"{head}：已停用，什么也不能读")
            continue
        parts = [describe(g, table) for g in user.grants]
        parts += [f"经组 {name}：" + "；".join(describe(g, table) for g in access.groups[name].grants) for name in user.groups]
        lines.append(f"{head}：" + "；".join(parts))
    for group in access.groups.values():
        lines.append(f"组 {group.name}（{group.title}）：" + "；".join(describe(g, table) for g in group.grants))
    return lines
