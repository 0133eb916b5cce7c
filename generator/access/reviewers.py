"""Who may approve changes to which region's records: records/_settings/reviewers.yaml."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from generator import RESOURCES
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
    account: str = ""  # the first account (CODEOWNERS)
    accounts: tuple[str, ...] = ()  # every account this person pushes with on the server


@dataclass(frozen=True)
class Key:
    """One public key of a reviewer or a signing merger, as the approved list gives it."""

    email: str  # whose key: the reviewer's or the merger's e-mail
    key: str  # "ssh-ed25519 AAAA…" without the comment
    valid_after: str  # YYYY-MM-DD
    valid_before: str = ""
    revoked: str = ""


@dataclass(frozen=True)
class Merger:
    """A trusted merger (a forge that signs its merges, the desk): its signature vouches for the Approved-by trailer."""

    name: str
    email: str
    accounts: tuple[str, ...] = ()


class Reviewers:
    """The reviewers file, indexed by e-mail (case-insensitive)."""

    def __init__(
        self,
        items: list[Reviewer],
        *,
        bots=(),
        baseline: str | None = None,
        example: bool = False,
        note: str = "",
        keys: tuple[Key, ...] = (),
        mergers: tuple[Merger, ...] = (),
        require_signatures: str | None = None,
    ):
        self.items = items
        self.keys = keys
        self.mergers = mergers
        self.require_signatures = require_signatures  # YYYY-MM-DD: unsigned approving merges from then on are errors
        self.bots = frozenset([*(b.lower() for b in bots), *(m.email.lower() for m in mergers)])
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

    def merger(self, email: str) -> Merger | None:
        """The trusted signing merger committing with this e-mail, if any."""
        return next((m for m in self.mergers if m.email.lower() == email.lower()), None)

    def accounts_of(self, email: str) -> set[str]:
        """The server accounts of the reviewer or signing merger with this e-mail."""
        found = {a for r in self.items if r.email.lower() == email.lower() for a in r.accounts}
        merger = self.merger(email)
        return found | set(merger.accounts if merger else ())

    def signing_emails(self) -> list[str]:
        """Every e-mail that has keys, in a fixed order (reviewers first, then mergers)."""
        out: list[str] = []
        for key in self.keys:
            if key.email.lower() not in out:
                out.append(key.email.lower())
        return out


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


def check_reviewers(root: Path) -> list[Problem]:
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
    items = []
    for e in data["审核人"]:
        accounts = _accounts(e)
        items += [Reviewer(code, e["姓名"], e["邮箱"], accounts[0] if accounts else "", accounts) for code in e["地区"]]
    people = [*data["审核人"], *data.get("签名合并方", ())]
    keys = tuple(
        Key(e["邮箱"].lower(), " ".join(k["公钥"].split()[:2]), k["生效日期"], k.get("失效日期", ""), k.get("撤销日期", ""))
        for e in people
        for k in e.get("公钥", ())
    )
    mergers = tuple(Merger(m["名称"], m["邮箱"], _accounts(m)) for m in data.get("签名合并方", ()))
    return Reviewers(
        items,
        bots=data.get("合并账号", ()),
        baseline=data.get("审计起点"),
        example=data.get("示例数据") == "是",
        keys=keys,
        mergers=mergers,
        require_signatures=data.get("要求签名"),
    )


def _accounts(entry: dict) -> tuple[str, ...]:
    value = entry.get("账号", ())
    return (value,) if isinstance(value, str) else tuple(value)


def _semantic(record) -> list[Problem]:
    table = regions()
    out, seen = [], {}
    for i, entry in enumerate(record.data["审核人"]):
        for j, code in enumerate(entry["地区"]):
            if code not in table:
                out.append(record.problem(f"/审核人/{i}/地区/{j}", "reviewers-region", f"“{code}”不是本省的行政区划代码。"))
        email = entry["邮箱"].lower()
        if email in seen:
            out.append(
                record.problem(
                    f"/审核人/{i}/邮箱",
                    "reviewers-duplicate",
                    f"邮箱 {entry['邮箱']} 与第 {seen[email]} 项重复：一人一项，多个地区写在同一项的“地区”中。",
                )
            )
        seen.setdefault(email, i + 1)
    out += _dates(record)
    out += _published_keys(record)
    return out


def _published_keys(record) -> list[Problem]:
    """A list in use (not 示例数据) must not register a sample reviewer's key: its private half ships with the tests."""
    if record.data.get("示例数据") == "是":
        return []
    published = sample_key_blobs()
    return [
        record.problem(
            f"/{group}/{i}/公钥/{j}/公钥",
            "reviewers-sample-key",
            "这是 bangfu 示例名单中的示例公钥：它的私钥随程序的测试公开，任何人都能用它签名。请换成审核人本人生成的公钥。",
        )
        for group in ("审核人", "签名合并方")
        for i, entry in enumerate(record.data.get(group, ()))
        for j, key in enumerate(entry.get("公钥", ()))
        if " ".join(key["公钥"].split()[:2]) in published
    ]


@functools.lru_cache(maxsize=1)
def sample_key_blobs() -> frozenset[str]:
    """The keys in the sample reviewers list shipped with the program (trusted program data, not an archive's)."""
    try:
        data = yaml.safe_load((RESOURCES / REVIEWERS_PATH).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return frozenset()
    people = [*data.get("审核人", ()), *data.get("签名合并方", ())]
    return frozenset(" ".join(str(k.get("公钥", "")).split()[:2]) for e in people for k in e.get("公钥", ()))


def _dates(record) -> list[Problem]:
    """Real calendar dates, and no key that expires before it starts."""
    import datetime as dt

    out = []
    groups = [("审核人", record.data["审核人"]), ("签名合并方", record.data.get("签名合并方", ()))]
    fields = [
        (f"/{group}/{i}/公钥/{j}", key)
        for group, entries in groups
        for i, e in enumerate(entries)
        for j, key in enumerate(e.get("公钥", ()))
    ]
    values = [("/要求签名", record.data["要求签名"])] if "要求签名" in record.data else []
    values += [
        (f"{where}/{name}", key[name]) for where, key in fields for name in ("生效日期", "失效日期", "撤销日期") if name in key
    ]
    for pointer, value in values:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            out.append(record.problem(pointer, "reviewers-date", f"“{value}”不是有效的日期，应写作 YYYY-MM-DD（需加引号）。"))
    owners: dict[str, str] = {}
    for where, key in fields:
        if key.get("失效日期", "9999") <= key["生效日期"]:
            out.append(record.problem(f"{where}/失效日期", "reviewers-key-dates", "失效日期必须晚于生效日期。"))
        blob, person = " ".join(key["公钥"].split()[:2]), where.rsplit("/公钥/", 1)[0]
        if owners.setdefault(blob, person) != person:
            out.append(
                record.problem(
                    f"{where}/公钥",
                    "reviewers-key-shared",
                    "这把公钥已登记在另一个人（或合并方）名下：每把钥匙只属于一个人，签名才能认出是谁。",
                )
            )
    return out
