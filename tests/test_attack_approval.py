"""The approval rules attacked with real git: evil merges, self-approval under another name, program changes,
a moved audit baseline, reviewers added by a flagged change, symlinks and submodules — audit, history and the hook."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from history_support import EDITOR, EDITOR2, R46, R4601, REPO, Archive, Server, git, household, key_entry, path_of
from stdnum import luhn

from generator.cli import cli
from generator.history.audit import audit
from generator.history.log import read_history

N1, N2 = "4601059001", "4601059002"
REVIEWERS = "records/_settings/reviewers.yaml"


def card(seed: str) -> str:
    body = f"62000000000{seed}"
    return body + luhn.calc_check_digit(body)


@pytest.fixture
def archive(tmp_path) -> Archive:
    """A deployed archive: settings imported, then two households added by an approved pull request."""
    repo = Archive(tmp_path / "archive")
    repo.pull_request("add", EDITOR, R4601, 1, {N1: household(N1), N2: household(N2)})
    return repo


@pytest.fixture
def server(tmp_path, archive) -> Server:
    return Server(tmp_path / "server.git", archive)


def findings(repo: Archive) -> dict[str, tuple[str, ...]]:
    """Subject → reasons of every unapproved commit after the settings import."""
    return {c.subject: c.reasons for c in audit(repo.root, since=repo.initial).findings}


def evil_merge(repo: Archive) -> str:
    """The editor changes N1 on a branch; the reviewer merges it and, in the same merge, changes N2's bank card."""
    repo.branch("edit")
    repo.commit(EDITOR, "Note on N1", {N1: household(N1, 备注="已核实")})
    return repo.merge("edit", R4601, 2, during={N2: household(N2, 银行卡号=card("0021"))})


def test_an_evil_merge_is_the_mergers_own_unapproved_change(archive):
    merge = evil_merge(archive)
    [reasons] = findings(archive).values()
    assert reasons == (
        "合并人 示例海口审核员 <reviewer-4601@example.invalid> 在合并时自己改动了records/460105/4601059002.yaml："
        "合并结果与 git 的自动合并不同，这些改动不属于被合并的分支，没有经过审批。",
    )
    assert list(findings(archive).values()) == [reasons]  # a second run, with the list of clean merges, too
    history = read_history(archive.root)
    [changed, _] = history.for_path(path_of(N2))
    assert changed.commit.sha == merge and changed.own and not changed.approved
    assert [e.email for e in changed.editors] == [R4601[1]]  # the merger, never the editor
    assert changed.summary().endswith("合并人 示例海口审核员 在合并时自己的改动，未经审批（合并请求 #2）")
    assert changed.lines()[0].startswith("银行卡号：")
    edited = history.for_path(path_of(N1))[0]
    assert edited.approved and [e.email for e in edited.editors] == [EDITOR[1]] and not edited.own
    assert history.unapproved() == [changed]


def test_an_evil_merge_is_refused_by_the_hook(server):
    evil_merge(server.work)
    server.refused("在合并时自己改动了records/460105/4601059002.yaml")


def test_the_history_command_blames_the_merger(archive):
    evil_merge(archive)
    out = CliRunner().invoke(cli, ["history", path_of(N2), "--root", str(archive.root)], catch_exceptions=False).output
    first = out.splitlines()[0]
    assert first.endswith(
        " 修改，合并人 示例海口审核员 在合并时自己的改动，未经审批（合并请求 #2）：合并人 示例海口审核员 "
        "<reviewer-4601@example.invalid> 在合并时自己改动了records/460105/4601059002.yaml："
        "合并结果与 git 的自动合并不同，这些改动不属于被合并的分支，没有经过审批。"
    )


def test_a_conflict_resolved_in_the_merge_is_unapproved_until_reviewed_on_the_branch(archive):
    archive.branch("edit")
    archive.commit(EDITOR, "Branch note", {N1: household(N1, 备注="分支")})
    archive.checkout("main")
    archive.pull_request("other", EDITOR2, R4601, 2, {N1: household(N1, 备注="主线")})
    archive.merge("edit", R4601, 3, during={N1: household(N1, 备注="合并时自己定的")})
    reasons = findings(archive)["Merge pull request #3 from editor/edit"]
    assert "（含合并冲突的解决）" in reasons[0]
    history = read_history(archive.root)
    resolved = history.for_path(path_of(N1))[0]
    assert resolved.own and not resolved.approved and [e.email for e in resolved.editors] == [R4601[1]]
    assert resolved.lines()[0] == "备注：主线 → 合并时自己定的"  # from main's version: conflict markers never reach git


def test_a_clean_merge_after_main_moved_on_is_approved(archive):
    archive.branch("edit")
    archive.commit(EDITOR, "Branch note", {N1: household(N1, 备注="分支")})
    archive.checkout("main")
    archive.pull_request("other", EDITOR2, R4601, 2, {N2: household(N2, 备注="主线")})
    archive.merge("edit", R4601, 3)
    assert findings(archive) == {}


def test_an_octopus_merge_cannot_be_checked_and_is_flagged(archive):
    for name, number in (("one", N1), ("two", N2)):
        archive.branch(name)
        archive.commit(EDITOR, name, {number: household(number, 备注=name)})
        archive.checkout("main")
    git(archive.root, "merge", "-q", "--no-ff", "-m", "Merge pull request #4 (octopus)", "one", "two", who=R4601)
    [reasons] = findings(archive).values()
    assert reasons[-1].startswith("章鱼合并（3 个父提交）")


def self_approved(repo: Archive, **trailer) -> None:
    """The reviewer writes the change under the editor's name (or with a co-author) and merges it."""
    repo.branch("self")
    if trailer:
        repo.commit(EDITOR, f"Note\n\nCo-authored-by: {R4601[0]} <{R4601[1]}>", {N1: household(N1, 备注="合写")})
    else:
        repo.commit(EDITOR, "Note", {N1: household(N1, 备注="冒名")}, committer=R4601)
    repo.merge("self", R4601, 5)


def test_self_approval_under_the_editors_name_is_flagged(archive):
    self_approved(archive)
    assert findings(archive) == {
        "Merge pull request #5 from editor/self": (
            "合并人 示例海口审核员 <reviewer-4601@example.invalid> 是被合并的提交的提交人（committer）："
            "作者一栏可以随意填写，提交人自己合并仍是自审自批。",
        )
    }


def test_self_approval_as_a_co_author_is_flagged(archive):
    self_approved(archive, coauthor=True)
    [reasons] = findings(archive).values()
    assert "列为共同作者（Co-authored-by）" in reasons[0]


def test_self_approval_under_another_name_is_refused_by_the_hook(server):
    self_approved(server.work)
    server.refused("是被合并的提交的提交人（committer）")


PROGRAM = {
    "generator/access/nginx.py": "ALLOW_ALL = True\n",
    "generator/access/privacy.py": "def mask(text):\n    return text\n",
    "schema/household.schema.json": "{}\n",
    ".gitea/workflows/bangfu.yml": "on: push\n",
}


@pytest.mark.parametrize("path", sorted(PROGRAM))
def test_direct_program_schema_and_ci_commits_to_a_deployed_archive_are_flagged(archive, path):
    archive.commit(EDITOR, "Quiet fix", {}, other={path: PROGRAM[path]})
    assert findings(archive) == {"Quiet fix": ("直接提交到 main，没有经过合并请求和审核人审批。",)}


def test_direct_program_commits_are_refused_by_the_hook(server):
    server.work.commit(EDITOR, "Quiet fix", {}, other=PROGRAM)
    server.refused("Quiet fix：直接提交到 main")


@pytest.mark.parametrize(("reviewer", "approved"), [(R4601, False), (R46, True)], ids=["county", "province"])
def test_program_changes_need_a_province_reviewer(archive, reviewer, approved):
    archive.branch("program")
    archive.commit(EDITOR, "Program change", {}, other=PROGRAM)
    archive.merge("program", reviewer, 6)
    report = audit(archive.root, since=archive.initial)
    assert report.ok is approved
    if not approved:
        assert report.findings[0].reasons == (
            "合并人 示例海口审核员 <reviewer-4601@example.invalid> 无权审批海南省（46）的档案。",
        )


def test_a_county_reviewers_program_merge_is_refused_by_the_hook(server):
    server.work.branch("program")
    server.work.commit(EDITOR, "Program change", {}, other=PROGRAM)
    server.work.merge("program", R4601, 6)
    server.refused("无权审批海南省（46）的档案")


@pytest.mark.parametrize("merged", [False, True], ids=["direct", "province-merge"])
def test_declaring_an_archive_the_programs_home_is_itself_a_lasting_finding(archive, merged):
    marker = {"pyproject.toml": '[project]\nname = "bangfu"\n'}
    if merged:
        archive.branch("home")
        archive.commit(EDITOR, "Declare home", {}, other=marker)
        archive.merge("home", R46, 11, message="Declare home")
    else:
        archive.commit(EDITOR, "Declare home", {}, other=marker)
    archive.commit(EDITOR, "Program change after the marker", {}, other=PROGRAM)
    report = audit(archive.root, since=archive.initial)
    assert [c.subject for c in report.findings] == ["Declare home"]
    assert report.findings[0].reasons[0].startswith("把本仓库标成了 bangfu 程序自身的源代码仓库")
    assert "本仓库是 bangfu 程序自身的源代码仓库" in report.to_text().splitlines()[0]
    assert "本仓库是 bangfu 程序自身的源代码仓库" in read_history(archive.root).warnings[-1]
    shown = CliRunner().invoke(cli, ["history", path_of(N1), "--root", str(archive.root)], catch_exceptions=False).output
    assert shown.startswith("警告：本仓库是 bangfu 程序自身的源代码仓库")


def test_this_repositorys_own_history_passes_with_the_program_note():
    report = audit(REPO, rev="HEAD")
    assert report.ok, report.to_text()
    assert report.to_text().startswith("警告：本仓库是 bangfu 程序自身的源代码仓库")


def set_baseline(repo: Archive, rev: str, number: int, who=R46) -> None:
    text = (repo.root / REVIEWERS).read_text(encoding="utf-8")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("审计起点:"))
    repo.branch(f"baseline-{number}")
    repo.commit(EDITOR, "Set the audit baseline", {}, other={REVIEWERS: f'{text}\n审计起点: "{rev[:12]}"\n'})
    repo.merge(f"baseline-{number}", who, number)


def test_moving_the_baseline_forward_hides_nothing(archive):
    set_baseline(archive, archive.initial, 2)
    archive.commit(EDITOR, "Unapproved one", {N1: household(N1, 备注="一")})
    archive.commit(EDITOR, "Unapproved two", {N2: household(N2, 备注="二")})
    set_baseline(archive, archive.head(), 3)
    report = audit(archive.root)
    subjects = [c.subject for c in report.findings]
    assert subjects == ["Merge pull request #3 from editor/baseline-3", "Unapproved two", "Unapproved one"]
    assert report.findings[0].reasons[-1].startswith(f"修改了审计起点（{archive.initial[:12]} → ")
    assert not read_history(archive.root).for_path(path_of(N1))[0].approved


def test_moving_the_baseline_is_refused_by_the_hook(server):
    set_baseline(server.work, server.work.initial, 2)
    assert server.push("main", pusher="reviewer-46").returncode == 0
    set_baseline(server.work, server.work.head(), 3)
    server.refused("修改了审计起点")


def test_a_baseline_set_by_a_direct_commit_is_not_honoured(archive):
    text = (archive.root / REVIEWERS).read_text(encoding="utf-8")
    archive.commit(EDITOR, "Unapproved", {N1: household(N1, 备注="一")})
    archive.commit(R46, "Baseline by hand", {}, other={REVIEWERS: f'{text}\n审计起点: "{archive.head()[:12]}"\n'})
    history = read_history(archive.root)
    assert {"Unapproved", "Baseline by hand"} <= {c.subject for c in history.unapproved_commits()}
    assert any("不予承认" in w for w in history.warnings)


def add_reviewer(repo: Archive, direct: bool) -> None:
    text = (repo.root / REVIEWERS).read_text(encoding="utf-8").rstrip("\n")
    entry = (
        f'\n  - 姓名: {EDITOR2[0]}\n    邮箱: {EDITOR2[1]}\n    账号: editor2\n    地区:\n      - "4601"\n'
        f"    公钥:\n{key_entry(EDITOR2[1])}"
    )
    if direct:
        repo.commit(EDITOR2, "Add myself", {}, other={REVIEWERS: text + entry})
    else:
        repo.branch("reviewer")
        repo.commit(EDITOR, "Add a reviewer", {}, other={REVIEWERS: text + entry})
        repo.merge("reviewer", R46, 7)


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "approved"])
def test_a_reviewer_added_by_a_flagged_change_is_never_trusted(archive, direct):
    add_reviewer(archive, direct)
    for number in (8, 9):
        archive.pull_request(f"pr-{number}", EDITOR, EDITOR2, number, {N1: household(N1, 备注=str(number))})
    flagged = findings(archive)
    later = [s for s in flagged if s.startswith("Merge pull request #") and s != "Merge pull request #7 from editor/reviewer"]
    if direct:
        assert "Add myself" in flagged and len(later) == 2
        assert "测试编辑乙 <editor2@example.invalid> 无权审批秀英区（460105）的档案" in flagged[later[0]][0]
    else:
        assert flagged == {}


@pytest.mark.parametrize("kind", ["symlink", "submodule"])
@pytest.mark.parametrize("where", ["records/460105/4601059009.yaml", "records/_settings/roles.yaml.d", "schema/x.json"])
def test_a_symlink_or_submodule_is_flagged_even_when_properly_merged(archive, kind, where):
    archive.branch("odd")
    if kind == "symlink":
        (archive.root / where).parent.mkdir(parents=True, exist_ok=True)
        (archive.root / where).symlink_to("/etc/passwd")
        git(archive.root, "add", where)
    else:
        git(archive.root, "update-index", "--add", "--cacheinfo", f"160000,{archive.initial},{where}")
    git(archive.root, "commit", "-q", "-m", "Odd file", who=EDITOR)
    archive.merge("odd", R46, 10)
    [reasons] = findings(archive).values()
    mode = "120000" if kind == "symlink" else "160000"
    assert reasons[0].startswith(f"{where} 是") and f"（git 模式 {mode}）" in reasons[0]


def test_a_merge_that_cannot_be_redone_is_never_taken_for_clean(archive, tmp_path):
    """In a shallow clone git cannot find the merge base: the merge is unchecked, so unapproved, never a crash."""
    archive.pull_request("edit", EDITOR, R4601, 2, {N1: household(N1, 备注="改")})
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "2", f"file://{archive.root}", str(shallow))
    report = audit(shallow, rev="HEAD")
    reasons = [r for c in report.findings for r in c.reasons]
    assert any(r.startswith("无法重做这次合并来核对合并结果") for r in reasons), report.to_text()


def test_a_symlinked_record_is_refused_by_the_hook_even_when_merged_by_the_province(server):
    work = server.work
    work.branch("link")
    (work.root / path_of("4601059009")).symlink_to("/etc/passwd")
    git(work.root, "add", "-A")
    git(work.root, "commit", "-q", "-m", "Link", who=EDITOR)
    work.merge("link", R46, 12)
    server.refused("records/460105/4601059009.yaml 是符号链接（git 模式 120000）")


def test_a_first_reviewers_list_added_after_the_repository_was_created_needs_approval(archive):
    """Only the list in the repository's first commit (or before the baseline) is trusted without an approval."""
    git(archive.root, "checkout", "-q", "--orphan", "fresh")
    git(archive.root, "rm", "-r", "-q", "--cached", ".")
    archive.put("README.md", "档案库\n")
    git(archive.root, "add", "README.md")
    git(archive.root, "commit", "-q", "-m", "Create", who=EDITOR2)
    text = (archive.root / REVIEWERS).read_text(encoding="utf-8").rstrip("\n")
    archive.put(REVIEWERS, text + f'\n  - 姓名: {EDITOR2[0]}\n    邮箱: {EDITOR2[1]}\n    地区:\n      - "46"\n')
    git(archive.root, "add", "records")
    git(archive.root, "commit", "-q", "-m", "My own list", who=EDITOR2)
    git(archive.root, "branch", "-q", "-M", "fresh", "main")
    archive.pull_request("pr", EDITOR, EDITOR2, 13, {N1: household(N1, 备注="改")})
    flagged = {c.subject: c.reasons for c in audit(archive.root).findings}
    assert flagged["Merge pull request #13 from editor/pr"][0].startswith("合并人 测试编辑乙 <editor2@example.invalid> 无权审批")
