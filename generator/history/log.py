"""Git history as the audit trail: who changed each household, who approved it, and what changed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from generator.access.reviewers import REVIEWERS_PATH, SETTINGS_PREFIX, Reviewers, region_of
from generator.history.approval import (
    DIRECT,
    MARKED,
    PYPROJECT,
    Home,
    Rules,
    baseline_at,
    baseline_candidates,
    home_note,
    judge_merge,
    non_regular,
    own_reason,
    signature_check,
    unique,
)
from generator.history.details import Computer, Details, Request, Side
from generator.history.git import (
    BlobReader,
    FileChange,
    GitArchive,
    Identity,
    RawCommit,
    brought_in,
    first_parent_line,
    is_shallow,
    open_archive,
    read_log,
    settings_blobs,
)
from generator.history.merges import OwnChanges, own_changes
from generator.history.signatures import NOT_VERIFIABLE, Book
from generator.rules.standards import STANDARDS_PATH

RECORDS_PREFIX = "records/"
APPROVED, BASELINE, UNAPPROVED = "approved", "baseline", "unapproved"
VERIFIED = "签名有效"
KINDS = {"A": "新建档案", "M": "修改", "T": "修改", "D": "删除档案", "R": "迁移"}
NOT_A_REPO = "档案库不在 git 仓库中：没有修改历史，也无法核对审批。"
_PR = (
    re.compile(r"Merge pull request #(\d+)"),
    re.compile(r"Merge pull request '.*' \(#(\d+)\)"),
    re.compile(r"See merge request \S*!(\d+)"),
    re.compile(r"^Merge .*\(#(\d+)\)\s*$"),
)


@dataclass
class Commit:
    """A commit on main's first-parent line that needs approval, with its verdict."""

    sha: str
    index: int  # position on the line, 0 = newest
    date: str
    author: Identity
    committer: Identity
    message: str
    merge: bool
    pr: str | None  # "#12" (Gitea, GitHub) or "!12" (GitLab)
    approver: Identity | None
    authors: tuple[Identity, ...]
    regions: tuple[str, ...]
    status: str
    reasons: tuple[str, ...]
    files: list[FileChange]  # every judged file: records/, and outside it unless the program's home reviews it
    own_reason: str | None = None  # why the merger's own changes in this merge are unapproved
    signature: str = ""  # for an approving merge: VERIFIED or NOT_VERIFIABLE
    notes: tuple[str, ...] = ()  # warnings that do not make the commit unapproved (an unsigned merge, before 要求签名)
    accounts: tuple[str, ...] = ()  # server accounts that may push this approving merge: the approver's (and a signing merger's)

    @property
    def approved(self) -> bool:
        return self.status != UNAPPROVED

    @property
    def short(self) -> str:
        return self.sha[:8]

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]

    def to_dict(self) -> dict:
        return {
            "提交": self.sha,
            "日期": self.date,
            "说明": self.subject,
            "合并": self.merge,
            "合并请求": self.pr,
            "审批人": self.approver.to_dict() if self.approver else None,
            "作者": [a.to_dict() for a in self.authors],
            "地区": list(self.regions),
            "审批": self.status,
            "已审批": self.approved,
            "问题": list(self.reasons),
            "签名": self.signature,
            "提示": list(self.notes),
            "文件": [f.path for f in self.files],
        }


@dataclass(slots=True)
class Change:
    """One household file changed by one commit on main."""

    commit: Commit
    file: FileChange
    editors: tuple[Identity, ...]
    standards: tuple[str | None, str | None]  # the standards file's blob before and after the commit
    _history: History = field(repr=False)
    _details: Details | None = field(default=None, repr=False)
    own: bool = False  # the merger's own change inside a merge (where the merge differs from git's automatic result)

    @property
    def request(self) -> Request:
        day = self.commit.date[:10]
        return Request(
            Side(self.file.old_blob, self.file.old_path or self.file.path, self.standards[0], day),
            Side(self.file.new_blob, self.file.path, self.standards[1], day),
        )

    @property
    def path(self) -> str:
        return self.file.path

    @property
    def date(self) -> str:
        """The day the change reached main (YYYY-MM-DD)."""
        return self.commit.date[:10]

    @property
    def approver(self) -> Identity | None:
        return self.commit.approver

    @property
    def pr(self) -> str | None:
        return self.commit.pr

    @property
    def approved(self) -> bool:
        return self.commit.status == BASELINE or not self.reasons

    @property
    def reasons(self) -> tuple[str, ...]:
        if self.own:
            return (self.commit.own_reason,) if self.commit.own_reason else ()
        return tuple(r for r in self.commit.reasons if r != self.commit.own_reason)

    @property
    def moved(self) -> bool:
        """A rename that really is the same household (checked against the 身份证号 when asked)."""
        return self.file.status == "R" and not self.details.unrelated

    @property
    def kind(self) -> str:
        """新建档案 / 修改 / 删除档案 / 迁移."""
        if self.file.status == "R" and not self.moved:
            return KINDS["A"]
        return KINDS.get(self.file.status, "修改")

    @property
    def details(self) -> Details:
        """Field diffs and eligibility before/after (computed on first use, for all of this path at once)."""
        if self._details is None:
            self._history.fill([self.path])
        return self._details

    def lines(self) -> list[str]:
        head = [f"从 {self.file.old_path} 迁入"] if self.moved else []
        return head + self.details.lines()

    def summary(self) -> str:
        """2024-05-01 修改，编辑 张三，审批 李四（合并请求 #12）."""
        who = "、".join(e.name for e in self.editors)
        if self.commit.status == BASELINE:
            return f"{self.date} {self.kind}，编辑 {who}（审计起点之前的导入）"
        if self.own:
            pr = f"（合并请求 {self.pr}）" if self.pr else ""
            return f"{self.date} {self.kind}，合并人 {who} 在合并时自己的改动，未经审批{pr}"
        approval = f"审批 {self.approver.name}" if self.approved and self.approver else "未经审批"
        pr = f"（合并请求 {self.pr}）" if self.pr else ""
        signed = f"，{NOT_VERIFIABLE}" if self.commit.signature == NOT_VERIFIABLE else ""
        return f"{self.date} {self.kind}，编辑 {who}，{approval}{signed}{pr}"

    def to_dict(self) -> dict:
        return {
            "路径": self.path,
            "原路径": self.file.old_path,
            "类型": self.kind,
            "日期": self.date,
            "编辑": [e.to_dict() for e in self.editors],
            "提交": self.commit.sha,
            "合并请求": self.pr,
            "审批人": self.approver.to_dict() if self.approver else None,
            "审批": self.commit.status,
            "签名": self.commit.signature,
            "已审批": self.approved,
            "问题": list(self.reasons),
            "合并人自己的改动": self.own,
            "摘要": self.summary(),
            **self.details.to_dict(),
        }


@dataclass
class History:
    """Every change that reached main, per household, newest first."""

    root: Path
    head: str | None = None
    commits: list[Commit] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _by_path: dict[str, list[Change]] = field(default_factory=dict, repr=False)
    _computer: Computer | None = field(default=None, repr=False)

    def for_path(self, path: str) -> list[Change]:
        """Changes to one household file, newest first, following it back across moves."""
        return self._chain(path, lambda change: change.moved)

    def _chain(self, path: str, follow=lambda change: True) -> list[Change]:
        out = list(self._by_path.get(path, ()))
        for change in list(out):
            if change.file.status == "R" and change.file.old_path != path and follow(change):
                out += [c for c in self._chain(change.file.old_path, follow) if c.commit.index > change.commit.index]
        return out

    def last_changed(self, path: str) -> Change | None:
        changes = self.for_path(path)
        return changes[0] if changes else None

    def paths(self) -> list[str]:
        return sorted(self._by_path)

    def unapproved(self) -> list[Change]:
        """Household changes that reached main without a valid approval (the site's worklist), newest first."""
        return [
            c
            for commit in self.commits
            if not commit.approved
            for f in commit.files
            for c in self._by_path.get(f.path, ())
            if c.commit is commit and not c.approved
        ]

    def unapproved_commits(self) -> list[Commit]:
        return [c for c in self.commits if not c.approved]

    def fill(self, paths: list[str] | None = None, records: list | None = None) -> None:
        """Compute field diffs and eligibility for these paths (all when None) in one bulk pass.

        records: the build's loaded records (generator.records.load.Record), whose blobs then need no parsing.
        """
        wanted = [c for p in (self.paths() if paths is None else paths) for c in self._chain(p) if c._details is None]
        wanted = list({id(c): c for c in wanted}.values())
        if not wanted or self._computer is None:
            return
        known = {r.blob: r.data for r in records} if records is not None else None
        for change, result in zip(wanted, self._computer.details([c.request for c in wanted], known), strict=True):
            change._details = result
        self._computer.save()


def read_history(root: Path, rev: str = "HEAD", *, since: str | None = None, baseline: bool = True) -> History:
    """Read main's first-parent line in one `git log` pass; diffs are computed later, in bulk, when asked for.

    since: only commits after this revision; baseline=False ignores the 审计起点 (a push cannot exempt itself).
    """
    root = Path(root)
    archive = open_archive(root)
    if archive is None:
        return History(root, warnings=[NOT_A_REPO])
    if not archive.bare and not archive.has_head() and rev == "HEAD":
        return History(root, warnings=["git 仓库中还没有任何提交：没有修改历史。"])
    tip = archive.resolve(rev)
    start = archive.resolve(since) if since else None
    commits = read_log(archive, tip, start)
    history = History(root, tip)
    if is_shallow(archive):
        history.warnings.append("仓库是浅克隆（shallow clone），更早的历史不在本地，修改记录不完整。")
    reader = BlobReader(archive)
    cache_root = root if not archive.bare else Path(archive.git_dir)
    history._computer = Computer(cache_root, reader.read_many)
    _walk(history, archive, commits, tip, start, reader, baseline)
    return history


MAIN_REF = "refs/heads/main"
_COMMIT_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")  # SHA-1 or SHA-256


@dataclass
class Branch:
    """Where the checked-out commit is relative to refs/heads/main: the branch (full ref name) and its own commits."""

    ref: str  # refs/heads/editor/x, or words saying HEAD is detached
    commits: list[RawCommit]  # on this branch only (not on refs/heads/main), newest first

    def where(self) -> str:
        return f"只在 {self.ref} 上，尚未合并到 {MAIN_REF}"


def history_rev(root: Path) -> tuple[str, Branch | None]:
    """Which line `bangfu history` reads, and the checked-out branch when it is not main.

    The audit trail is main's (refs/heads/main): a commit that is only on the checked-out branch has not reached
    main and is no "direct commit to main"; it is listed apart, as waiting for its merge. Without a main branch
    (a bare clone of another name, a fresh repository) the checked-out line is read as before.
    """
    archive = open_archive(Path(root))
    if archive is None or archive.bare or not archive.has_head():
        return "HEAD", None
    main = archive.git("rev-parse", "--verify", "--quiet", f"{MAIN_REF}^{{commit}}", check=False).strip()
    if not main:
        return "HEAD", None
    head = archive.resolve("HEAD")
    if head == main:
        return MAIN_REF, None
    ref = archive.git("symbolic-ref", "--quiet", "HEAD", check=False).strip() or "分离的 HEAD（不在任何分支上）"
    commits = read_log(archive, head, main)
    return MAIN_REF, Branch(ref, sorted(commits.values(), key=lambda c: c.date, reverse=True))


@dataclass
class _Pass:
    """One walk of the line under one assumption about the 审计起点."""

    commits: list[Commit] = field(default_factory=list)
    changes: list[tuple[str, Change]] = field(default_factory=list)
    home: int = 0  # commits whose program files were left to the program's own review
    setter_accepted: bool = True
    warnings: list[str] = field(default_factory=list)


def _walk(
    history: History, archive: GitArchive, commits: dict[str, RawCommit], tip: str, start: str | None, reader, baseline: bool
) -> None:
    line = first_parent_line(commits, tip)
    brought = brought_in(commits, line)
    own = own_changes(archive, [commits[s] for s in line if len(commits[s].parents) > 1])
    settings = settings_blobs(archive, start) if start else {}
    home = _top_blob(archive, start, PYPROJECT) if start else None
    candidates = baseline_candidates(line, commits, Rules(reader, settings.get(REVIEWERS_PATH), started=start is not None))
    rejected: list[str] = []
    book = _signatures(archive, line, commits, settings.get(REVIEWERS_PATH), Rules(reader, None, started=False))
    for candidate in [*candidates, None]:
        walk = _pass(
            history,
            archive,
            line,
            brought,
            own,
            commits,
            dict(settings),
            home,
            reader,
            candidate,
            baseline,
            start is not None,
            book,
        )
        if walk.setter_accepted:
            break
        index, value = candidate
        rejected.append(f"审核人名单中的审计起点 {value} 由未经有效审批的提交 {line[index][:8]} 设定，不予承认。")
    for path, change in reversed(walk.changes):
        history._by_path.setdefault(path, []).append(change)
    history.commits = walk.commits[::-1]
    history.warnings += rejected + walk.warnings
    if walk.home:
        history.warnings.append(home_note(f"{walk.home} 个提交中有这样的文件"))


def _signatures(archive: GitArchive, line: list[str], commits: dict[str, RawCommit], blob: str | None, parser: Rules) -> Book:
    """Verify every merge on the line at once, each against reviewers.yaml at its first parent; a merge whose list in
    force turns out different (a flagged change to the list) is verified again on its own during the walk."""
    book = Book(Path(archive.git_dir))
    jobs = []
    for index in range(len(line) - 1, -1, -1):
        raw = commits[line[index]]
        if len(raw.parents) > 1:
            jobs.append((raw.sha, parser.parse(blob)))
        for f in raw.files:
            if f.path == REVIEWERS_PATH or f.old_path == REVIEWERS_PATH:
                blob = f.new_blob if f.path == REVIEWERS_PATH else None
    book.prime(jobs)
    return book


def _pass(
    history: History,
    archive: GitArchive,
    line: list[str],
    brought: dict,
    own: dict,
    commits: dict[str, RawCommit],
    settings: dict[str, str],
    home: str | None,
    reader,
    candidate: tuple[int, str] | None,
    baseline: bool,
    bounded: bool,
    book: Book,
) -> _Pass:
    rules, home, out = Rules(reader, settings.get(REVIEWERS_PATH), started=bounded), Home(reader, home), _Pass()
    fixed = candidate[1] if candidate else rules.baseline
    at = baseline_at(line, fixed, candidate[0] if candidate else -1, out.warnings, bounded) if baseline else len(line)
    guarded = (f"{archive.prefix}schema/",)
    for index in range(len(line) - 1, -1, -1):
        raw = commits[line[index]]
        before = dict(settings)
        for f in raw.files:
            if f.path.startswith(SETTINGS_PREFIX) or (f.old_path or "").startswith(SETTINGS_PREFIX):
                settings.pop(f.old_path or f.path, None)
                if f.new_blob:
                    settings[f.path] = f.new_blob
        in_home, marks = home.step(raw)
        mine = own.get(raw.sha) if len(raw.parents) > 1 else OwnChanges([], [], False)
        files, own_files, strange = _judged(raw, mine, in_home, guarded)
        strange = ([MARKED] if marks else []) + strange
        out.home += in_home and bool(raw.outside or (mine and mine.outside))
        if not files and not strange and mine is not None:
            continue
        merged = brought.get(raw.sha)
        commit = _judge(raw, index, merged, commits, rules.reviewers, files, own_files, mine)
        if commit.merge and commit.approver is not None:
            _sign(commit, raw, commits, rules.reviewers, book)
        commit.reasons = tuple(strange) + commit.reasons
        if REVIEWERS_PATH in {f.path for f in raw.files} | {f.old_path for f in raw.files}:
            moved = rules.moved_baseline(settings, fixed) if candidate is None or index < candidate[0] else None
            commit.reasons += (moved,) if moved else ()
        if commit.reasons:
            commit.status = UNAPPROVED
        if index >= at:
            commit.status, commit.reasons, commit.own_reason, commit.signature, commit.notes = BASELINE, (), None, "", ()
        accepted = commit.approved or rules.bootstraps(not raw.parents)
        if candidate is not None and index == candidate[0]:
            out.setter_accepted = accepted
        rules.advance(before, settings, accepted)
        out.commits.append(commit)
        _changes(
            out,
            history,
            raw,
            commit,
            merged,
            commits,
            own_files,
            (before.get(STANDARDS_PATH), settings.get(STANDARDS_PATH)),
            mine,
        )
    return out


def _sign(commit: Commit, raw: RawCommit, commits: dict[str, RawCommit], reviewers: Reviewers, book: Book) -> None:
    """Check an approving merge's signature against the approved list at its first parent."""
    verdict = book.verdict(raw.sha, reviewers)
    parent = commits.get(raw.parents[0])
    error, warning = signature_check(raw, commit.approver, reviewers, verdict, parent.date if parent else "")
    commit.signature = NOT_VERIFIABLE if error or warning else VERIFIED
    commit.notes = (warning,) if warning else ()
    commit.reasons += (error,) if error else ()
    merger = reviewers.merger(raw.committer.email)
    accounts = reviewers.accounts_of(commit.approver.email) | (
        reviewers.accounts_of(merger.email) if merger and not error else set()
    )
    commit.accounts = tuple(sorted(accounts))


def _judged(raw: RawCommit, mine: OwnChanges | None, in_home: bool, guarded: tuple[str, ...]):
    """(files needing approval, the merger's own files among them, reasons for non-regular files)."""
    judged_outside = [] if in_home else raw.outside
    own_files = (mine.records + ([] if in_home else mine.outside)) if mine else []
    seen = {f.path for f in raw.files + judged_outside}
    files = raw.files + judged_outside + [f for f in own_files if f.path not in seen]
    outside = raw.outside + (mine.outside if mine else [])
    strange = non_regular(raw.files + [f for f in outside if f.path.startswith(guarded)], (RECORDS_PREFIX, *guarded))
    return files, own_files, strange


def _changes(
    out: _Pass,
    history: History,
    raw: RawCommit,
    commit: Commit,
    merged,
    commits,
    own_files,
    standards,
    mine_of_commit: OwnChanges | None,
) -> None:
    """Household changes of one commit; where the merger changed a file, the branch's part and the merger's part."""
    touched = _touched(merged, commits) if merged is not None else {}
    own_by_path = {f.path: f for f in own_files if f.path.startswith(RECORDS_PREFIX) and not f.path.startswith(SETTINGS_PREFIX)}
    merger = (commit.approver or raw.committer,)
    unreadable = getattr(mine_of_commit, "unreadable", set())
    for f in raw.files:
        if f.path.startswith(SETTINGS_PREFIX):
            continue
        editors = _editors(raw, f, merged, touched, commits)
        mine = own_by_path.pop(f.path, None)
        if mine is None:
            out.changes.append((f.path, Change(commit, f, editors, standards, history)))
            continue
        if f.path in unreadable:  # a conflict resolved by hand: the file's whole change is the merger's decision
            out.changes.append((f.path, Change(commit, f, merger, standards, history, own=True)))
            continue
        if mine.old_blob != f.old_blob:  # the branch changed this file too: its part ends at the automatic result
            status = "A" if f.old_blob is None else ("D" if mine.old_blob is None else f.status)
            branch = f._replace(status=status, new_blob=mine.old_blob)
            out.changes.append((f.path, Change(commit, branch, editors, standards, history)))
        out.changes.append((f.path, Change(commit, mine, merger, standards, history, own=True)))
    for path, mine in own_by_path.items():
        if path in unreadable:
            continue  # the merge leaves the file as main had it: nothing changed here for the household's history
        out.changes.append((path, Change(commit, mine, merger, standards, history, own=True)))


def _top_blob(archive: GitArchive, rev: str, path: str) -> str | None:
    listing = archive.git("ls-tree", rev, "--", f":(top){path}")
    return listing.split()[2] if listing else None


def _judge(
    raw: RawCommit,
    index: int,
    brought: list[str] | None,
    commits: dict[str, RawCommit],
    reviewers: Reviewers,
    files: list[FileChange],
    own_files: list[FileChange],
    mine,
) -> Commit:
    """Approved: a merge whose merger had no hand in the branch, reviews every region it touched, and added nothing."""
    regions = tuple(sorted({region_of(p) for f in files for p in (f.path, f.old_path) if p}))
    if len(raw.parents) < 2:
        merge, pr, shown, authors, status, reasons, own = False, None, None, (raw.author,), UNAPPROVED, (DIRECT,), None
    else:
        authors = tuple(unique(commits[s].author for s in brought or () if len(commits[s].parents) < 2)) or (raw.author,)
        branch_regions = tuple(sorted({region_of(p) for f in files if f not in own_files for p in (f.path, f.old_path) if p}))
        approver, shown, reasons = judge_merge(raw, brought or [], commits, reviewers, branch_regions, authors)
        own = own_reason(shown, mine, len(raw.parents))
        status = APPROVED if approver and not own else UNAPPROVED
        merge, pr, reasons = True, _pr(raw.message), (*reasons, *([own] if own else []))
    return Commit(
        raw.sha,
        index,
        raw.date,
        raw.author,
        raw.committer,
        raw.message,
        merge,
        pr,
        shown,
        authors,
        regions,
        status,
        reasons,
        files,
        own_reason=own,
    )


def _touched(merged: list[str], commits: dict[str, RawCommit]) -> dict[str, list[Identity]]:
    """Path → authors of the branch commits (not merges) that touched it, oldest first."""
    out: dict[str, list[Identity]] = {}
    for sha in reversed(merged):
        commit = commits[sha]
        if len(commit.parents) < 2:
            for g in commit.files:
                for path in (g.path, g.old_path):
                    if path:
                        out.setdefault(path, []).append(commit.author)
    return out


def _editors(raw: RawCommit, f: FileChange, merged: list[str] | None, touched: dict, commits) -> tuple[Identity, ...]:
    """The authors of the branch commits that touched this file (all branch authors when none did)."""
    if merged is None:
        return (raw.author,)
    mine = touched.get(f.path, []) + (touched.get(f.old_path, []) if f.old_path else [])
    return tuple(unique(mine)) or tuple(unique(commits[s].author for s in merged)) or (raw.author,)


def _pr(message: str) -> str | None:
    for number, pattern in enumerate(_PR):
        found = pattern.search(message)
        if found:
            return f"!{found.group(1)}" if number == 2 else f"#{found.group(1)}"
    return None


def check_continuity(root: Path, previous_head: str | None, rev: str = "HEAD") -> str | None:
    """A loud Chinese message when the history the site was last built from is no longer contained in main."""
    if not previous_head:
        return None
    archive = open_archive(Path(root))
    if archive is None:
        return None
    tip = archive.resolve(rev)
    # The file holds a commit id, nothing else: never a ref name (HEAD would always be contained) nor a git option.
    known = _COMMIT_ID.fullmatch(previous_head) is not None
    if known and archive.has_commit(previous_head) and archive.is_ancestor(previous_head, tip):
        return None
    shown = previous_head[:12] if known else "（记录的不是提交号，已被改动）"
    return (
        f"警告：main 的历史被改写了！上次生成站点时的提交 {shown} 已不在当前 main（{tip[:12]}）的历史中。"
        "改写历史会抹去修改和审批记录（审计线索）。请立即核查是谁做了强制推送（git reflog、服务器日志），"
        "并从备份恢复被抹去的提交。"
    )
