"""History per household from a real repository: editors' branches merged by reviewers, newest first."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from conftest import sample_reviewers_text
from history_support import EDITOR, EDITOR2, R4601, R460105, REPO, Archive, git, household, key_entry, path_of, with_keys

from generator.cli import cli
from generator.history import details
from generator.history.git import BlobReader, checked_out, open_archive
from generator.history.log import APPROVED, BASELINE, NOT_A_REPO, UNAPPROVED, check_continuity, read_history
from generator.parallel import POLICY, Policy
from generator.records import cache
from generator.records.load import load_tree

N1, N2 = "4601059001", "4601059002"


def spouse_and_child() -> list:
    return household(N1)["家庭主要成员"]


@pytest.fixture
def archive(tmp_path) -> Archive:
    """Two households added by pull request #1, then household 1 changed by pull request #2."""
    repo = Archive(tmp_path / "archive")
    repo.pull_request("add", EDITOR, R4601, 1, {N1: household(N1), N2: household(N2)})
    changed = household(N1, 本人月平均收入=2000, 家庭年度总收入=30000, 困难类别="意外致困户")
    changed["家庭主要成员"] = spouse_and_child() + [
        {
            "姓名": "王五",
            "关系": "女",
            "性别": "女",
            "出生日期": "2015-05-01",
            "健康状况": "健康",
            "月收入": 0,
            "身份": "学龄前儿童",
        }
    ]
    repo.pull_request("edit", EDITOR2, R460105, 2, {N1: changed})
    return repo


def test_changes_that_reached_main_by_merge_are_listed_newest_first(archive):
    history = read_history(archive.root)
    changes = history.for_path(path_of(N1))
    assert [c.kind for c in changes] == ["修改", "新建档案"]
    latest, first = changes
    assert latest.pr == "#2" and latest.approver.email == R460105[1] and latest.approved
    assert [e.email for e in latest.editors] == [EDITOR2[1]]
    assert first.pr == "#1" and first.approver.name == R4601[0]
    assert latest.date == latest.commit.date[:10]
    assert history.head == archive.head("main")
    assert history.last_changed(path_of(N1)) is latest
    assert history.unapproved() == []  # the direct import of the settings files is no household's change
    assert [c.subject for c in history.unapproved_commits()] == ["Import settings"]


def test_field_diffs_read_in_chinese_labels_with_masked_names(archive):
    latest = read_history(archive.root).for_path(path_of(N1))[0]
    assert latest.lines() == [
        "困难类别：低保边缘户 → 意外致困户",
        "本人月平均收入：1,500 → 2,000 元",
        "家庭年度总收入：24,000 → 30,000 元",
        "家庭主要成员：新增 王*",
        "认定结果：低保边缘户 → 不能认定为困难职工家庭",
    ]
    structured = latest.to_dict()["字段"]
    assert structured[2] == {
        "pointer": "/家庭年度总收入",
        "label": "家庭年度总收入",
        "action": "changed",
        "old": "24,000",
        "new": "30,000 元",
        "text": "家庭年度总收入：24,000 → 30,000 元",
    }
    assert latest.details.before == "低保边缘户" and latest.details.eligibility_changed


def test_a_new_household_is_one_event_with_its_verdict(archive):
    first = read_history(archive.root).for_path(path_of(N2))[0]
    assert first.kind == "新建档案"
    assert first.lines() == ["认定结果：低保边缘户"]
    assert first.summary().endswith("审批 示例海口审核员（合并请求 #1）")


def test_member_id_numbers_are_masked_in_diffs(archive):
    data = household(N2)
    data["家庭主要成员"][0]["身份证号"] = household("4601059055")["家庭主要成员"][0]["身份证号"]
    archive.pull_request("id", EDITOR, R4601, 3, {N2: data})
    line = read_history(archive.root).for_path(path_of(N2))[0].lines()[0]
    assert line.startswith("家庭主要成员[测*乙].身份证号：4601**********") and "→ 4601**********" in line


def test_diffs_are_cached_by_blob_pair(archive):
    history = read_history(archive.root)
    history.fill()
    assert list((archive.root / ".git" / "bangfu-cache").glob("history@*.pickle"))
    again = read_history(archive.root)
    again._computer._compute = None  # a cache hit must not compute anything
    again.fill()
    assert again.for_path(path_of(N1))[0].details.after == "不能认定为困难职工家庭"


def test_unapproved_changes_are_marked_with_the_reason(archive):
    archive.commit(EDITOR, "Fix a typo directly on main", {N2: household(N2, 备注="直接修改")})
    history = read_history(archive.root)
    change = history.for_path(path_of(N2))[0]
    assert not change.approved and change.commit.status == UNAPPROVED
    assert change.reasons == ("直接提交到 main，没有经过合并请求和审核人审批。",)
    assert "未经审批" in change.summary()
    assert [c.path for c in history.unapproved()] == [path_of(N2)]


def test_a_move_between_counties_keeps_the_household_history(archive):
    moved = household("4601069001", 身份证号=household(N2)["身份证号"])
    moved["家庭主要成员"] = household(N2)["家庭主要成员"]
    archive.branch("move")
    archive.write(N2, None)
    archive.commit(EDITOR, "Move a household to 龙华区", {"4601069001": moved})
    archive.merge("move", R4601, 4)
    changes = read_history(archive.root).for_path(path_of("4601069001"))
    assert [c.kind for c in changes] == ["迁移", "新建档案"]
    assert changes[0].lines()[0] == f"从 {path_of(N2)} 迁入"
    assert changes[0].commit.regions == ("460105", "460106")


def test_a_different_person_in_a_similar_file_is_not_a_move(archive):
    archive.branch("swap")
    archive.write(N2, None)
    archive.commit(EDITOR, "Replace a household", {"4601059003": household("4601059003")})
    archive.merge("swap", R4601, 4)
    changes = read_history(archive.root).for_path(path_of("4601059003"))
    assert changes[0].file.status == "R"  # what git made of it
    assert [(c.kind, c.lines()) for c in changes] == [("新建档案", ["认定结果：低保边缘户"])]


def test_gitlab_merge_requests_and_forge_bots_with_trailers(tmp_path):
    reviewers = archive_reviewers() + "合并账号:\n  - gitlab@example.invalid\n"
    repo = Archive(tmp_path / "gl", reviewers)
    repo.branch("add")
    repo.commit(EDITOR, "Add", {N1: household(N1)})
    message = (
        "Merge branch 'add' into 'main'\n\nSee merge request union/archive!7\n\n"
        "Approved-by: 示例海口审核员 <reviewer-4601@example.invalid>"
    )
    repo.merge("add", ("GitLab", "gitlab@example.invalid"), message=message, sign=None)
    change = read_history(repo.root).for_path(path_of(N1))[0]
    assert change.pr == "!7" and change.approved and change.approver.email == R4601[1]
    # A bot without a key: anyone can type that trailer, so the unsigned merge is marked (a warning until 要求签名).
    assert change.commit.signature == "签名无法验证" and "合并没有签名" in change.commit.notes[0]


def test_a_signing_mergers_trailer_counts_only_under_its_own_signature(tmp_path):
    forge = ("Gitea", "gitea@example.invalid")
    listed = f"签名合并方:\n  - 名称: 代码托管平台\n    邮箱: {forge[1]}\n    账号: gitea\n    公钥:\n" + key_entry(forge[1])
    repo = Archive(tmp_path / "forge", archive_reviewers() + listed)
    message = "Merge pull request '户' (#7)\n\nApproved-by: 示例海口审核员 <reviewer-4601@example.invalid>"
    for name, key in (("signed", True), ("typed", None)):
        repo.branch(name)
        repo.commit(EDITOR, "Add", {N1: household(N1, 备注=name)})
        repo.merge(name, forge, message=message, sign=key)
    typed, signed = read_history(repo.root).commits[:2]
    assert signed.approved and signed.approver.email == R4601[1] and signed.signature == "签名有效"
    assert signed.accounts == ("gitea", "reviewer-4601")
    assert not typed.approved and "没有合并方的有效签名就不能作为审批" in typed.reasons[0]


def archive_reviewers() -> str:
    """The shipped reviewers list without this repository's own audit baseline (a commit test repos lack)."""
    return with_keys(sample_reviewers_text())


def test_authority_comes_from_the_reviewers_list_before_the_merge(archive):
    """A pull request cannot approve itself by adding its author to the reviewers list."""
    text = archive_reviewers() + '  - 姓名: 测试编辑\n    邮箱: editor@example.invalid\n    地区:\n      - "46"\n'
    archive.branch("grant")
    (archive.root / "records" / "_settings" / "reviewers.yaml").write_text(text, encoding="utf-8")
    archive.commit(EDITOR2, "Add a reviewer", {})
    archive.merge("grant", EDITOR, 5)
    commit = read_history(archive.root).commits[0]
    assert commit.status == UNAPPROVED and commit.regions == ("46",)
    assert "无权审批海南省（46）的档案" in commit.reasons[0]


def test_the_baseline_exempts_the_initial_import(archive):
    text = archive_reviewers() + f'审计起点: "{archive.initial[:12]}"\n'
    archive.branch("baseline")
    (archive.root / "records" / "_settings" / "reviewers.yaml").write_text(text, encoding="utf-8")
    archive.commit(EDITOR, "Set the audit baseline", {})
    archive.merge("baseline", ("示例省级审核员", "reviewer-46@example.invalid"), 6)
    history = read_history(archive.root)
    assert [c.status for c in history.commits] == [APPROVED, APPROVED, APPROVED, BASELINE]
    assert history.unapproved_commits() == []


def test_a_folder_that_is_not_a_repository_has_no_history(tmp_path):
    (tmp_path / "records").mkdir()
    history = read_history(tmp_path)
    assert history.warnings == [NOT_A_REPO] and history.for_path(path_of(N1)) == [] and history.head is None
    assert check_continuity(tmp_path, "0" * 40) is None


def test_a_rewritten_history_is_reported_loudly(archive):
    earlier = archive.head("main")
    archive.pull_request("more", EDITOR, R4601, 7, {N2: household(N2, 备注="再改")})
    built = archive.head("main")
    assert check_continuity(archive.root, earlier) is None  # main only grew
    assert check_continuity(archive.root, built) is None
    git(archive.root, "reset", "-q", "--hard", "HEAD~1")
    git(archive.root, "commit", "-q", "--allow-empty", "-m", "Rewrite")
    message = check_continuity(archive.root, built)
    assert message.startswith(f"警告：main 的历史被改写了！上次生成站点时的提交 {built[:12]} 已不在当前 main")
    assert "强制推送" in message


@pytest.mark.parametrize("planted", ["HEAD", "refs/heads/main", "--no-walk\x1b[2J"])
def test_a_head_file_that_holds_no_commit_id_is_not_trusted(archive, planted):
    # the file next to the output may come from a checkout: a ref name there always "contained" main
    message = check_continuity(archive.root, planted)
    assert message and "（记录的不是提交号，已被改动）" in message and "\x1b" not in message


def test_history_command_prints_the_trail(archive):
    result = CliRunner().invoke(cli, ["history", path_of(N1), "--root", str(archive.root)], catch_exceptions=False)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].endswith("修改，编辑 测试编辑乙，审批 示例秀英审核员（合并请求 #2）")
    assert "    家庭年度总收入：24,000 → 30,000 元" in lines


def test_blobs_are_read_in_bulk_exactly(archive):
    archive.pull_request("many", EDITOR, R4601, 3, {f"46010590{i:02d}": household(f"46010590{i:02d}") for i in range(10, 30)})
    repo = open_archive(archive.root)
    blobs = git(archive.root, "rev-list", "--objects", "--all").split("\n")
    ids = [line.split()[0] for line in blobs if line.endswith(".yaml")]
    reader = BlobReader(repo)
    assert len(ids) >= 20
    assert reader.read_many(ids + ids[:3]) == {blob: reader.read(blob) for blob in ids}


def test_parallel_workers_give_the_same_details(archive, monkeypatch):
    sequential = read_history(archive.root)
    sequential._computer._cache = {}  # no cache, so both compute
    sequential.fill()
    monkeypatch.setitem(POLICY, "details", Policy(1, 4))
    monkeypatch.setattr(details, "CHUNK", 1)
    parallel = read_history(archive.root)
    parallel._computer._cache = {}
    records = load_tree(archive.root, cache=False).records
    parallel.fill(records=records)
    for path in sequential.paths():
        assert [c.details for c in parallel.for_path(path)] == [c.details for c in sequential.for_path(path)]


def test_an_archive_below_the_top_of_the_repository(tmp_path):
    top = tmp_path / "repo"
    top.mkdir()
    git(top, "init", "-q", "-b", "main")
    (top / "README.md").write_text("档案库\n", encoding="utf-8")
    git(top, "add", "README.md")
    git(top, "commit", "-q", "-m", "Start")
    repo = Archive.__new__(Archive)  # the same helpers, on a repository whose top is one level up
    repo.root = top / "archive"
    shutil.copytree(REPO / "records" / "_settings", repo.root / "records" / "_settings")
    repo.commit(EDITOR, "Import settings", {})
    repo.pull_request("add", EDITOR, R4601, 1, {N1: household(N1)})
    changed = household(N1, 备注="子目录")
    repo.pull_request("edit", EDITOR, R4601, 2, {N1: changed})
    [latest, first] = read_history(repo.root).for_path(path_of(N1))
    assert latest.lines() == ["备注：（未填） → 子目录", "认定结果不变：低保边缘户"] and first.pr == "#1"
    assert read_history(top).for_path(path_of(N1)) == []  # from the top, records/ is somewhere else


def test_a_checked_out_revision_holds_exactly_its_records(archive, tmp_path):
    before = archive.head("main")
    archive.pull_request("delete", EDITOR, R4601, 3, {N2: None})
    repo = open_archive(archive.root)
    with checked_out(repo, before, archive.root) as tree:
        assert sorted(p.name for p in (tree / "records" / "460105").iterdir()) == [f"{N1}.yaml", f"{N2}.yaml"]
    with checked_out(repo, "main", archive.root) as tree:
        assert sorted(p.name for p in (tree / "records" / "460105").iterdir()) == [f"{N1}.yaml"]
        assert (tree / "records" / "_settings" / "reviewers.yaml").is_file()
        assert cache.cache_dir(tree).resolve() == cache.cache_dir(archive.root).resolve()  # the tree shares the caches


def test_history_on_a_branch_says_which_commits_are_only_on_the_branch(archive):
    """Issue 15 item 2: on an editor's branch, `bangfu history` called a commit that is only on the branch
    "未经审批：直接提交到 main". The trail is refs/heads/main's; the branch's own commits are listed apart."""
    archive.branch("editor/fix-income")
    sha = archive.commit(EDITOR, "Fix income", {N1: household(N1, 备注="已核实")})
    result = CliRunner().invoke(cli, ["history", path_of(N1), "--root", str(archive.root)], catch_exceptions=False)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[:3] == [
        "当前 refs/heads/editor/fix-income 上有 1 个提交改了这户档案，只在 refs/heads/editor/fix-income 上，"
        "尚未合并到 refs/heads/main（合并时由审核人审批）：",
        f"  {git(archive.root, 'log', '-1', '--format=%cs', sha)} {sha[:8]} 编辑 {EDITOR[0]}：Fix income",
        "以下是 refs/heads/main 上的修改记录：",
    ]
    assert "直接提交到 main" not in result.output and "未经审批" not in result.output
    assert lines[3].endswith("修改，编辑 测试编辑乙，审批 示例秀英审核员（合并请求 #2）")
    data = json.loads(CliRunner().invoke(cli, ["history", path_of(N1), "--format", "json", "--root", str(archive.root)]).output)
    assert data["分支"] == "refs/heads/editor/fix-income"
    assert [c["提交"] for c in data["未合并的提交"]] == [sha]
    assert all(c["已审批"] for c in data["修改"])
