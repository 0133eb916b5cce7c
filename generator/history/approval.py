"""The approval rules for one commit on main, and the approved state of the rules themselves as main advances."""

from __future__ import annotations

import re
import tomllib

from generator.access.reviewers import REVIEWERS_PATH, Reviewers, describe, parse_reviewers
from generator.errors import RecordError
from generator.history.git import FileChange, Identity, RawCommit
from generator.history.merges import OwnChanges
from generator.history.signatures import NOT_VERIFIABLE, UNSIGNED, Verdict

PYPROJECT = "pyproject.toml"  # at the repository top; `name = "bangfu"` there marks the program's own home
PROGRAM_NAME = "bangfu"
NON_REGULAR = {"120000": "符号链接", "160000": "子模块（gitlink）"}
DIRECT = "直接提交到 main，没有经过合并请求和审核人审批。"
MARKED = (
    f'把本仓库标成了 bangfu 程序自身的源代码仓库（{PYPROJECT} 中 name = "{PROGRAM_NAME}"）：此后 records/ 以外的文件'
    "不再审计。档案库不应有这个标记，这一修改无论谁批准都始终列为未经审批。"
)
_TRAILER = re.compile(r"^(?:Approved-by|Reviewed-by):\s*(.*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$", re.MULTILINE | re.IGNORECASE)
_COAUTHOR = re.compile(r"^Co-authored-by:\s*(.*?)\s*<([^<>\s]+)>\s*$", re.MULTILINE | re.IGNORECASE)
SHOWN_PATHS = 5


def program_home(data: bytes | None) -> bool:
    """Whether a pyproject.toml declares the bangfu program itself (this repository, not a deployed archive)."""
    if not data:
        return False
    try:
        return tomllib.loads(data.decode("utf-8")).get("project", {}).get("name") == PROGRAM_NAME
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError):
        return False


def home_note(extent: str) -> str:
    """The one visible line every audit, history and review output carries in the program's home."""
    return (
        f'本仓库是 bangfu 程序自身的源代码仓库（第一父提交的 pyproject.toml 声明 name = "{PROGRAM_NAME}"）：'
        f"records/ 以外的程序、测试、文档、模式（schema/）和持续集成文件由程序的开发流程审核，不在档案审批的审计之内"
        f"（{extent}）。部署的档案库没有这个标记，其中每个路径都须审批。"
    )


class Home:
    """Whether main is the program's own home at each commit's first parent, as the line advances."""

    def __init__(self, reader, blob: str | None):
        self._reader = reader
        self.blob = blob  # the top-level pyproject.toml at the first parent of the next commit
        self._known: dict[str | None, bool] = {}

    def _is_home(self, blob: str | None) -> bool:
        if blob not in self._known:
            self._known[blob] = program_home(self._reader.read(blob) if blob else None)
        return self._known[blob]

    def step(self, raw: RawCommit) -> tuple[bool, bool]:
        """(the first parent is the program's home, this commit makes it so)."""
        before = self._is_home(self.blob)
        for f in raw.outside:
            if f.path == PYPROJECT:
                self.blob = f.new_blob
            elif f.old_path == PYPROJECT:
                self.blob = None
        return before, self._is_home(self.blob) and not before


class Rules:
    """The reviewers and the 审计起点 in force: the last approved state of reviewers.yaml, never a flagged one."""

    def __init__(self, reader, blob: str | None, *, started: bool):
        self._reader = reader
        self._parsed: dict[str | None, Reviewers] = {}
        self.blob = blob  # reviewers.yaml in force
        self.seen = started or blob is not None  # a list exists already: only approved changes take effect
        self.baseline = self.parse(blob).baseline if started else None  # the value fixed before the audited span

    def parse(self, blob: str | None) -> Reviewers:
        if blob not in self._parsed:
            self._parsed[blob] = _reviewers(blob, self._reader)
        return self._parsed[blob]

    @property
    def reviewers(self) -> Reviewers:
        return self.parse(self.blob)

    def moved_baseline(self, after: dict[str, str], fixed: str | None) -> str | None:
        """The reason when a commit leaves a 审计起点 other than the one fixed first."""
        if fixed is None:
            return None
        value = self.parse(after.get(REVIEWERS_PATH)).baseline
        if value == fixed:
            return None
        return (
            f"修改了审计起点（{fixed} → {value or '删除'}）：审计起点只能设定一次，"
            f"审计始终以第一次设定的 {fixed} 为准，修改它不会豁免任何提交。"
        )

    def bootstraps(self, root: bool) -> bool:
        """Whether a list in this commit takes effect unapproved: only in the repository's very first commit."""
        return root and not self.seen

    def advance(self, before: dict[str, str], after: dict[str, str], accepted: bool) -> None:
        """After a commit: its reviewers.yaml takes effect only when the commit was approved (or created the repository)."""
        old, new = before.get(REVIEWERS_PATH), after.get(REVIEWERS_PATH)
        if old != new and accepted:
            self.blob = new
        self.seen = self.seen or new is not None


def _reviewers(blob: str | None, reader) -> Reviewers:
    if blob is None:
        return Reviewers.empty("当时 main 上没有经过审批的审核人名单（records/_settings/reviewers.yaml）")
    try:
        return parse_reviewers(reader.read(blob))
    except RecordError:
        return Reviewers.empty("当时 main 上经过审批的审核人名单有误")


def mergers(raw: RawCommit, reviewers: Reviewers) -> list[Identity]:
    """Who approved by merging: the committer; for a forge's bot, the merge's author and its trailers."""
    if not reviewers.is_bot(raw.committer.email):
        return [raw.committer]
    trailers = [Identity(name or email, email) for name, email in _TRAILER.findall(raw.message)]
    return unique([raw.author, *trailers])


def involved(merged: list[str], commits: dict[str, RawCommit]) -> list[tuple[Identity, str]]:
    """Everyone with a hand in the merged branch: (person, role) for authors, committers and co-authors."""
    out: list[tuple[Identity, str]] = []
    for sha in merged:
        commit = commits[sha]
        out.append((commit.author, "author"))
        out.append((commit.committer, "committer"))
        out += [(Identity(name or email, email), "co-author") for name, email in _COAUTHOR.findall(commit.message)]
    return out


def judge_merge(
    raw: RawCommit,
    merged: list[str],
    commits: dict[str, RawCommit],
    reviewers: Reviewers,
    regions: tuple[str, ...],
    authors: tuple[Identity, ...],
) -> tuple[Identity | None, Identity, list[str]]:
    """(the approver or None, the person shown as merger, reasons) for a merge's branch part."""
    candidates = mergers(raw, reviewers)
    hands = involved(merged, commits)
    reasons: list[str] = []
    for person in candidates:
        roles = {role for other, role in hands if person.same(other)}
        missing = [r for r in regions if not reviewers.authorised(person.email, r)]
        if any(person.same(a) for a in authors) or "author" in roles:
            reasons.append(f"由修改的作者 {person} 自己合并（自审自批）。")
        elif "committer" in roles:
            reasons.append(
                f"合并人 {person} 是被合并的提交的提交人（committer）：作者一栏可以随意填写，提交人自己合并仍是自审自批。"
            )
        elif "co-author" in roles:
            reasons.append(f"合并人 {person} 在被合并的提交中列为共同作者（Co-authored-by），不能审批自己参与的修改。")
        elif missing:
            why = f"（{reviewers.note}）" if reviewers.note else ""
            reasons.append(f"合并人 {person} 无权审批{'、'.join(describe(r) for r in missing)}的档案{why}。")
        else:
            return person, person, []
    return None, candidates[0] if candidates else raw.committer, reasons


def signature_check(
    raw: RawCommit, approver: Identity, reviewers: Reviewers, verdict: Verdict, parent_date: str = ""
) -> tuple[str | None, str | None]:
    """(error, warning) about an approving merge's signature, checked against the keys approved before it.

    A merge committed by a signing merger (签名合并方) names its approver in a trailer: only the merger's own
    good signature makes that line count. Any other merge must be signed by its approver. An unsigned merge is a
    warning until the list in force requires signatures (要求签名), then an error; a bad signature always is.
    """
    merger = reviewers.merger(raw.committer.email)
    if merger is not None:
        if verdict.good and verdict.signer == merger.email.lower():
            return None, None
        why = "没有签名" if verdict.status == UNSIGNED else f"签名不是它登记的公钥所签（{verdict.signer or verdict.detail}）"
        return (
            f"{NOT_VERIFIABLE}：合并自称由签名合并方 {merger.name} 提交，审批人 {approver} 取自提交说明，但合并{why}："
            "提交说明谁都能写，没有合并方的有效签名就不能作为审批。"
        ), None
    if verdict.good:
        if verdict.signer == approver.email.lower():
            return None, None
        return f"{NOT_VERIFIABLE}：合并由 {verdict.signer} 的公钥签名，不是审批人 {approver} 本人的公钥。", None
    if verdict.status == UNSIGNED:
        required = reviewers.require_signatures
        if required and max(raw.date[:10], parent_date[:10]) >= required:
            return f"{NOT_VERIFIABLE}：合并没有签名，而审核人名单自 {required} 起要求每个审批合并都由审批人签名。", None
        return None, f"{NOT_VERIFIABLE}：合并没有签名（审核人名单尚未要求签名，只作提示）。"
    return (
        f"{NOT_VERIFIABLE}：合并的签名不能用合并之前 main 上经过审批的名单中审批人 {approver} 的公钥核验"
        f"（公钥未登记、已撤销、已过期、尚未生效，或由本次合并自己加入；git：{verdict.detail}）。"
    ), None


def own_reason(merger: Identity, own: OwnChanges | None, parents: int) -> str | None:
    """Why a merge's own changes (or an octopus merge) are unapproved."""
    if own is None:
        return f"章鱼合并（{parents} 个父提交）：无法与 git 的自动合并结果核对，视为合并人自己的修改，未经审批。"
    if not own:
        return None
    if own.failed:
        return f"无法重做这次合并来核对合并结果（git：{own.failed}；浅克隆时常见），视为合并人自己的修改，未经审批。"
    paths = [f.path for f in own.records + own.outside]
    more = f" 等 {len(paths)} 个文件" if len(paths) > SHOWN_PATHS else ""
    conflict = "（含合并冲突的解决）" if own.conflicts else ""
    return (
        f"合并人 {merger} 在合并时自己改动了{'、'.join(paths[:SHOWN_PATHS])}{more}：合并结果与 git 的自动合并不同{conflict}，"
        "这些改动不属于被合并的分支，没有经过审批。"
    )


def non_regular(files: list[FileChange], guarded: tuple[str, ...]) -> list[str]:
    """Symlinks and submodules added under records/, schema/ or the settings (only regular files are records)."""
    return [
        f"{f.path} 是{NON_REGULAR[f.new_mode]}（git 模式 {f.new_mode}）：records/、schema/ 和设置中只允许普通文件。"
        for f in files
        if f.new_mode in NON_REGULAR and f.new_blob and f.path.startswith(guarded)
    ]


def unique(people) -> list[Identity]:
    out: list[Identity] = []
    for person in people:
        if not any(person.same(o) for o in out):
            out.append(person)
    return out


def baseline_candidates(line: list[str], commits: dict[str, RawCommit], rules: Rules) -> list[tuple[int, str]]:
    """(index, value) of each commit that gives reviewers.yaml a new 审计起点, oldest first (none when fixed already)."""
    if rules.baseline:
        return []
    out, blob, value = [], rules.blob, None
    for index in range(len(line) - 1, -1, -1):
        for f in commits[line[index]].files:
            if f.path == REVIEWERS_PATH or f.old_path == REVIEWERS_PATH:
                blob = f.new_blob if f.path == REVIEWERS_PATH else None
        new = rules.parse(blob).baseline
        if new and new != value:
            out.append((index, new))
        value = new or value
    return out


def baseline_at(line: list[str], fixed: str | None, setter: int, warnings: list[str], bounded: bool) -> int:
    """The index of the 审计起点 on the line (commits there and older are the import), len(line) when none."""
    if not fixed:
        return len(line)
    found = next((i for i, sha in enumerate(line) if sha.startswith(fixed.lower())), None)
    if found is None or found <= setter:  # a baseline names a commit older than the one that set it
        if not bounded:
            warnings.append(f"审核人名单中的审计起点 {fixed} 不在 main 的第一父提交线上，已忽略。")
        return len(line)
    return found
