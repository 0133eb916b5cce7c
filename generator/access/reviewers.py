"""Who may approve changes to which region's records: records/_settings/reviewers.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.errors import Problem, RecordError
from generator.records import SETTINGS
from generator.records.settings import read_settings
from generator.rules.regions import regions

REVIEWERS_PATH = f"{SETTINGS}/reviewers.yaml"
SETTINGS_PREFIX = f"{SETTINGS}/"
SCHEMA_NAME = "reviewers.schema.json"
TITLE = "审核人名单"


@dataclass(frozen=True)
class Reviewer:
    """One reviewer for one region (a person with several regions gives several)."""

    region: str
    name: str
    email: str
    account: str = ""


class Reviewers:
    """The reviewers file, indexed by e-mail (case-insensitive)."""

    def __init__(self, items: list[Reviewer], *, bots=(), baseline: str | None = None, example: bool = False, note: str = ""):
        self.items = items
        self.bots = frozenset(b.lower() for b in bots)
        self.baseline = baseline
        self.example = example
        self.note = note  # why the list is empty (no file, a broken file), for messages
        self._scopes: dict[str, set[str]] = {}
        for item in items:
            self._scopes.setdefault(item.email.lower(), set()).add(item.region)

    @classmethod
    def empty(cls, note: str) -> Reviewers:
        return cls([], note=note)

    def is_bot(self, email: str) -> bool:
        return email.lower() in self.bots

    def scopes_of(self, email: str) -> set[str]:
        return self._scopes.get(email.lower(), set())

    def authorised(self, email: str, region: str) -> bool:
        """True when the person with this e-mail reviews a scope that contains region."""
        return any(covers(scope, region) for scope in self.scopes_of(email))

    def for_region(self, region: str) -> list[Reviewer]:
        """Everyone who may approve changes to this region, nearest scope first."""
        found = [r for r in self.items if covers(r.region, region)]
        return sorted(found, key=lambda r: -len(r.region))


def covers(scope: str, region: str) -> bool:
    """Whether a reviewer of `scope` (46, 4601, 460105) may approve a change to `region`."""
    table = regions()
    if region in table and scope in table:
        return table.contains(scope, region)
    return region.startswith(scope)


def region_of(path: str) -> str:
    """The region a path under records/ belongs to: its county, or the province for settings and strays."""
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == "records" and len(parts[1]) == 6 and parts[1].isdigit():
        return parts[1]
    return regions().province


def describe(region: str) -> str:
    """秀英区（460105）."""
    return f"{regions().name(region)}（{region}）"


def load_reviewers(root: Path) -> Reviewers:
    """Read and check root/records/_settings/reviewers.yaml; raise RecordError listing every problem."""
    return _reviewers(read_settings(Path(root), REVIEWERS_PATH, SCHEMA_NAME, TITLE))


def parse_reviewers(raw: bytes, rel: str = REVIEWERS_PATH) -> Reviewers:
    """Parse reviewers file bytes (e.g. a blob from history); raise RecordError listing every problem."""
    return _reviewers(read_settings(None, rel, SCHEMA_NAME, TITLE, raw=raw))


def check(root: Path) -> list[Problem]:
    """Problems of the reviewers file (none when it is fine); for `bangfu validate` and the hook."""
    try:
        load_reviewers(root)
    except RecordError as exc:
        return exc.problems
    return []


def _reviewers(record) -> Reviewers:
    problems = _semantic(record)
    if problems:
        raise RecordError(f"{TITLE}有误。", problems)
    data = record.data
    items = [Reviewer(code, e["姓名"], e["邮箱"], e.get("账号", "")) for e in data["审核人"] for code in e["地区"]]
    return Reviewers(items, bots=data.get("合并账号", ()), baseline=data.get("审计起点"), example=data.get("示例数据") == "是")


def _semantic(record) -> list[Problem]:
    table = regions()
    out, seen = [], {}
    for i, entry in enumerate(record.data["审核人"]):
        for j, code in enumerate(entry["地区"]):
            if code not in table:
                out.append(record.problem(f"/审核人/{i}/地区/{j}", "reviewers-region", f"“{code}”不是本省的行政区划代码。"))
        email = entry["邮箱"].lower()
        if email in seen:
            out.append(record.problem(f"/审核人/{i}/邮箱", "reviewers-duplicate",
                                      f"邮箱 {entry['邮箱']} 与第 {seen[email]} 项重复：一人一项，多个地区写在同一项的“地区”中。"))
        seen.setdefault(email, i + 1)
    return out
