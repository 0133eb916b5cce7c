"""`bangfu review BASE..HEAD`: what a branch does to each household, for the reviewer who approves it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from generator import gitrun
from generator.access import reviewers as reviewers_file
from generator.access.reviewers import REVIEWERS_PATH, SETTINGS_PREFIX, Reviewers, parse_reviewers, region_of
from generator.clock import today
from generator.errors import HistoryError, Problem, RecordError, UsageError
from generator.history.approval import PYPROJECT, home_note, non_regular, program_home
from generator.history.details import Computer, Details, Request, Side
from generator.history.git import (
    BlobReader,
    FileChange,
    GitArchive,
    Identity,
    checked_out,
    diff_files,
    open_archive,
    parse_raw,
    read_log,
    resolve_range,
    settings_blobs,
    split_range,
)
from generator.history.git import cache_root as _cache_root
from generator.history.log import MAIN_REF
from generator.history.markdown import code, md
from generator.history.merges import own_changes
from generator.history.signatures import key_changes
from generator.records.schema import INACTIVE
from generator.rules.regions import regions
from generator.rules.standards import STANDARDS_PATH
from generator.validation.validate import validate_tree

KINDS = ("新增", "修改", "退出", "迁移", "删除")
INCOME = "/家庭年度总收入"


@dataclass
class ReviewedHousehold:
    """One household file the branch changes."""

    path: str
    old_path: str | None
    kind: str
    details: Details
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def number(self) -> str:
        return self.path.rsplit("/", 1)[-1].removesuffix(".yaml")

    @property
    def title(self) -> str:
        """修改 · 4601059001 测*甲（秀英区）."""
        county = regions().name(region_of(self.path))
        name = f" {self.details.name}" if self.details.name else ""
        return f"{self.kind} · {self.number}{name}（{county}）"

    def to_dict(self) -> dict:
        return {
            "路径": self.path,
            "原路径": self.old_path,
            "类型": self.kind,
            "职工编号": self.number,
            "姓名": self.details.name,
            **self.details.to_dict(),
            "校验": [p.to_dict() for p in self.problems],
            "须注意": self.warnings,
        }


@dataclass
class Review:
    """The reviewer's summary of a branch."""

    base: str
    head: str
    merge_base: str
    spec: str
    commits: list[tuple[str, str, Identity]]  # (sha, subject, author)
    households: list[ReviewedHousehold]
    settings: list[str]
    other_problems: list[Problem]
    unrelated: int  # problems in files the branch does not touch
    outside: list[str] = field(default_factory=list)  # files outside records/ the branch changes
    notes: list[str] = field(default_factory=list)  # merges with their mergers' own changes, non-regular files
    home: bool = False  # the base is the program's own home: files outside records/ are the program's
    impact: object = None  # generator.rules.impact.Impact when standards.yaml changed
    location: str = ""  # where HEAD's commits are: already on refs/heads/main, or only on a named branch

    @property
    def errors(self) -> int:
        return sum(p.is_error for h in self.households for p in h.problems) + sum(p.is_error for p in self.other_problems)

    @property
    def warnings(self) -> list[str]:
        province = regions().province
        return (
            [f"{h.path}：{w}" for h in self.households for w in h.warnings]
            + [f"{path}：修改了设置文件，须由省级（{province}）审核人审批。" for path in self.settings]
            + [
                f"{path}：修改了程序、模式、持续集成或其他非档案文件，须由省级（{province}）审核人审批。"
                for path in ([] if self.home else self.outside)
            ]
            + self.notes
        )

    @property
    def home_line(self) -> str | None:
        """The one line saying this is the program's home and its program files are not reviewed here."""
        return home_note(f"本次有 {len(self.outside)} 个这样的文件") if self.home else None

    def counts(self) -> str:
        """新增 1 户，修改 2 户 …."""
        return "，".join(f"{kind} {sum(h.kind == kind for h in self.households)} 户" for kind in KINDS)

    def to_markdown(self) -> str:
        """Ready to post as a pull request comment; every string from records and commits is escaped (markdown, HTML)."""
        authors = "、".join(dict.fromkeys(md(a) for _, _, a in self.commits)) or "（无）"
        verdict = "✅ 通过" if not self.errors else f"❌ {self.errors} 个错误"
        out = [
            "## 档案修改审阅",
            "",
            f"{code(self.spec)}：共同祖先 `{self.merge_base[:8]}` → `{self.head[:8]}`，"
            f"{len(self.commits)} 个提交，作者：{authors}",
            "",
            *([f"提交位置：{md(self.location)}。", ""] if self.location else []),
            f"**共 {len(self.households)} 户**：{self.counts()}。校验：{verdict}。",
        ]
        if self.home_line:
            out += ["", f"> {md(self.home_line)}"]
        if self.warnings:
            out += ["", "### ⚠ 审核人须注意", ""] + [f"- {md(w)}" for w in self.warnings]
        for household in self.households:
            out += [
                "",
                f"### {md(household.title)}",
                "",
                code(household.path) + (f"（原 {code(household.old_path)}）" if household.old_path else ""),
                "",
            ]
            out += [f"- {md(change.text())}" for change in household.details.fields]
            if household.details.problem:
                out.append(f"- {md(household.details.problem)}")
            consequence = household.details.eligibility_line()
            if consequence:
                out.append(f"- **{md(consequence)}**")
            passed = "—（文件已删除）" if household.kind == "删除" else "通过"
            out.append("- 校验：" + (passed if not household.problems else ""))
            out += [f"  - {md(_problem(p))}" for p in household.problems]
        if self.impact is not None:
            from generator.history.impact_report import FIRST, to_markdown

            out += ["", to_markdown(self.impact, first=FIRST, heading="###").rstrip("\n")]
        if self.other_problems:
            out += ["", "### 其他档案因本次修改出现的问题", ""] + [
                f"- {code(p.path)} {md(_problem(p))}" for p in self.other_problems
            ]
        if self.unrelated:
            out += ["", f"另有 {self.unrelated} 个问题在本次没有修改的档案中（main 上原有）。"]
        out += ["", "<sub>由 bangfu review 生成：姓名、身份证号等个人信息已遮蔽。</sub>"]
        return "\n".join(out) + "\n"

    def to_json(self) -> str:
        data = {
            "范围": self.spec,
            "基准": self.base,
            "分支": self.head,
            "共同祖先": self.merge_base,
            "提交": [{"提交": sha, "说明": subject, "作者": author.to_dict()} for sha, subject, author in self.commits],
            "统计": {kind: sum(h.kind == kind for h in self.households) for kind in KINDS},
            "错误数": self.errors,
            "须注意": self.warnings,
            "设置文件": self.settings,
            "档案": [h.to_dict() for h in self.households],
            "其他问题": [p.to_dict() for p in self.other_problems],
            "原有问题数": self.unrelated,
            "非档案文件": self.outside,
            "说明": [self.home_line] if self.home_line else [],
            "提交位置": self.location,
        }
        if self.impact is not None:
            from generator.history.impact_report import summary_dict

            data["标准调整的影响"] = summary_dict(self.impact)
        return json.dumps(data, ensure_ascii=False, indent=2)


def review(root: Path, spec: str) -> Review:
    """Summarise BASE..HEAD for its reviewer: per household the change, its consequence, its problems."""
    archive = open_archive(Path(root))
    if archive is None:
        raise HistoryError("档案库不在 git 仓库中，无法审阅修改。")
    merge_base, base, head = resolve_range(archive, spec)
    head_rev = split_range(spec)[1]
    files = diff_files(archive, merge_base, head)
    commits = [(c.sha, c.subject, c.author) for c in read_log(archive, head, base).values()][::-1]
    day = today().isoformat()
    standards = (settings_blobs(archive, merge_base).get(STANDARDS_PATH), settings_blobs(archive, head).get(STANDARDS_PATH))
    households = [f for f in files if not f.path.startswith(SETTINGS_PREFIX)]
    requests = [
        Request(Side(f.old_blob, f.old_path or f.path, standards[0], day), Side(f.new_blob, f.path, standards[1], day))
        for f in households
    ]
    computer = Computer(_cache_root(archive, root), BlobReader(archive).read_many)
    details = computer.details(requests)
    computer.save()
    households, details = _split_unrelated(households, details, computer, standards, day)
    computer.save()
    result = [
        ReviewedHousehold(f.path, f.old_path, _kind(f, d), d, warnings=_warnings(f, d))
        for f, d in zip(households, details, strict=True)
    ]
    others, unrelated = _validate(archive, head, root, result)
    settings = sorted({p for f in files for p in (f.path, f.old_path) if p and p.startswith(SETTINGS_PREFIX)})
    outside = _outside(archive, merge_base, head)
    notes = _merge_notes(archive, read_log(archive, head, base)) + _non_regular(archive, files, outside)
    notes += _key_notes(archive, merge_base, head) if REVIEWERS_PATH in settings else []
    home = program_home(_blob_at(archive, base, PYPROJECT))
    impact = _impact(archive, root, merge_base, head) if STANDARDS_PATH in settings else None
    return Review(
        base,
        head,
        merge_base,
        spec,
        commits,
        result,
        settings,
        others,
        unrelated,
        sorted({p for f in outside for p in (f.path, f.old_path) if p}),
        notes,
        home,
        impact,
        _location(archive, head_rev, head),
    )


def _impact(archive: GitArchive, root: Path, merge_base: str, head: str):
    """What the branch's standards do to the archive at its tip (bangfu impact), or None when a side cannot be read."""
    from generator.history.impact import revision_impact

    try:
        return revision_impact(archive, _cache_root(archive, root), merge_base, head, today())
    except (UsageError, RecordError):
        return None  # a missing or wrong standards file is reported by the validation of the tree


def _location(archive: GitArchive, rev: str, head: str) -> str:
    """Where the reviewed commits are: on refs/heads/main already, or only on the branch `rev` names (full ref)."""
    main = archive.git("rev-parse", "--verify", "--quiet", f"{MAIN_REF}^{{commit}}", check=False).strip()
    if not main:
        return ""
    if archive.is_ancestor(head, main):
        return f"已在 {MAIN_REF} 上"
    name = (
        rev
        if rev.startswith("refs/")
        else archive.full_name(rev)
        if rev not in ("HEAD", "@")
        else archive.git("symbolic-ref", "--quiet", "HEAD", check=False).strip()
    )
    branch = name if name.startswith("refs/") else f"提交 {head[:8]}"
    return f"只在 {branch} 上，尚未合并到 {MAIN_REF}"


def _outside(archive: GitArchive, old: str, new: str) -> list[FileChange]:
    """Files outside records/ that differ between two revisions (program, schema, CI, anything else)."""
    out = archive.git("diff", "-z", "--raw", "--no-abbrev", "--no-renames", old, new, binary=True)
    outside: list[FileChange] = []
    parse_raw(out.decode("utf-8", "replace"), archive.prefix, outside)
    return outside


def _key_notes(archive: GitArchive, old: str, new: str) -> list[str]:
    """Keys the branch adds, revokes or removes from the reviewers list (a broken list is reported by validation)."""
    reader = BlobReader(archive)
    lists = []
    for rev in (old, new):
        blob = settings_blobs(archive, rev).get(REVIEWERS_PATH)
        try:
            lists.append(parse_reviewers(reader.read(blob)) if blob else Reviewers.empty(""))
        except RecordError:
            return []
    return [f"{REVIEWERS_PATH}：{line}" for line in key_changes(*lists)]


def _merge_notes(archive: GitArchive, commits: dict) -> list[str]:
    """Merges on the branch whose result is not git's automatic merge: what the merger changed by hand."""
    merges = [c for c in commits.values() if len(c.parents) > 1][::-1]
    checked = own_changes(archive, merges)
    out = []
    for merge in merges:
        own = checked[merge.sha]
        if own is None or own:
            what = (
                "章鱼合并，无法核对"
                if own is None
                else f"无法核对（{own.failed}）"
                if own.failed
                else "、".join(f.path for f in own.records + own.outside)
            )
            out.append(
                f"合并提交 {merge.sha[:8]}：合并人 {merge.committer} 在合并时自己的改动（与 git 自动合并的结果不同）：{what}。"
            )
    return out


def _non_regular(archive: GitArchive, files: list[FileChange], outside: list[FileChange]) -> list[str]:
    guarded = f"{archive.prefix}schema/"
    return non_regular(files + [f for f in outside if f.path.startswith(guarded)], ("records/", guarded))


def _blob_at(archive: GitArchive, rev: str, path: str) -> bytes | None:
    try:
        return archive.git("show", f"{rev}:{path}", binary=True)
    except gitrun.GitFailed:
        return None


def _split_unrelated(files: list[FileChange], details: list[Details], computer: Computer, standards, day: str):
    """A "rename" of one person's file into another person's is a deletion and an addition."""
    out_files, out_details = [], []
    for f, d in zip(files, details, strict=True):
        if not d.unrelated:
            out_files.append(f)
            out_details.append(d)
            continue
        gone = FileChange("D", f.old_path, None, f.old_blob, None)
        [before] = computer.details([Request(Side(f.old_blob, f.old_path, standards[0], day), Side(None, f.old_path, None, day))])
        out_files += [gone, FileChange("A", f.path, None, None, f.new_blob)]
        out_details += [before, d]
    return out_files, out_details


def _kind(f: FileChange, details: Details) -> str:
    if f.status == "A":
        return "新增"
    if f.status == "D":
        return "删除"
    if f.old_path and region_of(f.old_path) != region_of(f.path):
        return "迁移"
    status = next((c for c in details.fields if c.pointer == "/状态"), None)
    if status is not None and status.after in INACTIVE and status.before not in INACTIVE:
        return "退出"
    return "修改"


def _warnings(f: FileChange, details: Details) -> list[str]:
    """What a reviewer must not miss."""
    out = []
    if f.status == "D":
        out.append("删除了档案文件。档案从不删除：退出应把状态改为“已解困脱困”或“已注销”并填写退出日期和原因。")
    moved = f.old_path and region_of(f.old_path) != region_of(f.path)
    region = next((c for c in details.fields if c.pointer == "/所属地区"), None)
    if moved or region is not None:
        old = region_of(f.old_path) if moved else region.before
        new = region_of(f.path) if moved else region.after
        out.append(
            f"档案在地区之间迁移：{regions().name(str(old))}（{old}）→ {regions().name(str(new))}（{new}），两地审核人都应知情。"
        )
    for change in details.fields:
        if change.pointer.endswith("/身份证号") and change.action == "changed" and change.old != "（未填）":
            out.append(f"身份证号被修改（{change.label}：{change.old} → {change.new}），请核对证件。")
    income = next((c for c in details.fields if c.pointer == INCOME), None)
    if income is not None and isinstance(income.before, (int, float)) and isinstance(income.after, (int, float)):
        old, new = Decimal(str(income.before)), Decimal(str(income.after))
        if (old == 0 and new != 0) or (old and abs(new - old) * 2 > old):
            share = f"（{(new - old) / old:+.0%}）" if old else ""
            out.append(f"家庭年度总收入变化超过一半：{income.old} → {income.new}{share}，请核对收入证明。")
    if details.eligibility_changed:
        out.append(f"认定结果改变：{details.before} → {details.after}。")
    return out


def _validate(archive: GitArchive, head: str, root: Path, households: list[ReviewedHousehold]) -> tuple[list[Problem], int]:
    """Validate the whole tree at head; problems go to their household, the rest are counted."""
    with checked_out(archive, head, _cache_root(archive, root)) as tree:
        _, problems = validate_tree(tree)
        problems += reviewers_file.check_reviewers(tree)
    by_path = {h.path: h for h in households}
    others, unrelated = [], 0
    for problem in sorted(problems, key=lambda p: (p.path, p.line or 0, p.pointer)):
        if problem.path in by_path:
            by_path[problem.path].problems.append(problem)
        elif problem.path.startswith(SETTINGS_PREFIX) or any(path in problem.message for path in by_path):
            others.append(problem)
        else:
            unrelated += 1
    return others, unrelated


def _problem(p: Problem) -> str:
    where = f"第 {p.line} 行 " if p.line else ""
    label = f"{p.field}：" if p.field else ""
    mark = "" if p.is_error else "（警告）"
    first, _, rest = p.message.partition("\n")
    if rest:  # the rules' computation follows on further lines; a comment shows its verdict only
        first = first.removesuffix("计算过程：") + "（计算过程见 bangfu explain）"
    return f"{where}{label}{mark}{first}"
