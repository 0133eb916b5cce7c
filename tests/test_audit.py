"""`bangfu audit` on real repositories: each way a change can reach main, detected or accepted."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from history_support import EDITOR, EDITOR2, R46, R4601, R4602, R460105, Archive, git, household

from generator.cli import cli
from generator.history.audit import audit

N1, N2, WENCHANG = "4601059001", "4601069001", "4690059001"


@pytest.fixture
def archive(tmp_path) -> Archive:
    """Settings imported directly (the audit starts after them), then one approved pull request."""
    repo = Archive(tmp_path / "archive")
    repo.pull_request("add", EDITOR, R4601, 1, {N1: household(N1), N2: household(N2)})
    return repo


def findings(repo: Archive) -> list[tuple[str, str]]:
    """(subject, first reason) of every unapproved commit after the settings import, newest first."""
    return [(c.subject, c.reasons[0]) for c in audit(repo.root, since=repo.initial).findings]


def test_a_reviewers_no_ff_merge_of_an_editors_branch_is_accepted(archive):
    report = audit(archive.root, since=archive.initial)
    assert report.ok and len(report.audited) == 1
    assert report.audited[0].approver.email == R4601[1] and report.audited[0].pr == "#1"


def test_a_direct_commit_to_main_is_reported(archive):
    archive.commit(EDITOR, "Change directly", {N1: household(N1, 备注="直接")})
    assert findings(archive) == [("Change directly", "直接提交到 main，没有经过合并请求和审核人审批。")]


def test_a_self_merge_is_reported(archive):
    archive.pull_request("self", R4601, R4601, 2, {N1: household(N1, 备注="自己改自己合并")})
    assert findings(archive) == [
        (
            "Merge pull request #2 from editor/self",
            "由修改的作者 示例海口审核员 <reviewer-4601@example.invalid> 自己合并（自审自批）。",
        )
    ]


def test_a_merge_by_a_reviewer_of_another_region_is_reported(archive):
    archive.pull_request("other", EDITOR, R4602, 3, {N1: household(N1, 备注="三亚审核员合并")})
    assert findings(archive) == [
        (
            "Merge pull request #3 from editor/other",
            "合并人 示例三亚审核员 <reviewer-4602@example.invalid> 无权审批秀英区（460105）的档案。",
        )
    ]


def test_the_merger_must_cover_every_region_the_merge_touched(archive):
    archive.pull_request("two", EDITOR, R460105, 4, {N1: household(N1, 备注="秀英"), N2: household(N2, 备注="龙华")})
    assert findings(archive) == [
        (
            "Merge pull request #4 from editor/two",
            "合并人 示例秀英审核员 <reviewer-460105@example.invalid> 无权审批龙华区（460106）的档案。",
        )
    ]


@pytest.mark.parametrize(("reviewer", "approved"), [(R46, True), (R4601, False)], ids=["province", "city"])
def test_a_county_under_the_province_directly_needs_its_own_or_the_province_reviewer(archive, reviewer, approved):
    archive.pull_request("wenchang", EDITOR, reviewer, 5, {WENCHANG: household(WENCHANG)})
    assert audit(archive.root, since=archive.initial).ok is approved


def test_settings_need_a_province_reviewer(archive):
    archive.branch("standards")
    path = archive.root / "records" / "_settings" / "standards.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# 注释\n", encoding="utf-8")
    archive.commit(EDITOR, "Touch the standards", {})
    archive.merge("standards", R4601, 6)
    assert findings(archive)[0][1] == "合并人 示例海口审核员 <reviewer-4601@example.invalid> 无权审批海南省（46）的档案。"


def test_in_a_deployed_archive_documents_need_approval_too(archive):
    (archive.root / "README.md").write_text("说明\n", encoding="utf-8")
    git(archive.root, "add", "README.md")
    git(archive.root, "commit", "-q", "-m", "Docs only", who=EDITOR)
    assert findings(archive) == [("Docs only", "直接提交到 main，没有经过合并请求和审核人审批。")]


def test_a_deleted_record_merged_by_its_reviewer_is_a_change_like_any_other(archive):
    archive.pull_request("delete", EDITOR, R4601, 7, {N2: None})
    report = audit(archive.root, since=archive.initial)
    assert report.ok and report.audited[0].files[0].status == "D"


def test_the_authors_are_everyone_whose_commits_the_merge_brings_in(archive):
    archive.branch("shared")
    archive.commit(EDITOR, "One editor", {N1: household(N1, 备注="甲")})
    archive.commit(R4601, "The reviewer adds a commit too", {N1: household(N1, 备注="乙")})
    archive.merge("shared", R4601, 8)
    assert findings(archive)[0][1].startswith("由修改的作者 示例海口审核员")


def test_without_since_the_initial_import_is_reported_too(archive):
    report = audit(archive.root)
    assert [c.subject for c in report.findings] == ["Import settings"]


def test_audit_command_exit_codes_and_output(archive):
    def run(*args):
        return CliRunner().invoke(
            cli, ["audit", "--root", str(archive.root), "--since", archive.initial, *args], catch_exceptions=False
        )

    ok = run()
    assert ok.exit_code == 0 and ok.output.splitlines()[-1] == "结论：全部经过有效审批。"
    archive.commit(EDITOR2, "Direct", {N1: household(N1, 备注="直接")})
    bad = run()
    assert bad.exit_code == 1
    lines = bad.output.splitlines()
    assert lines[1].endswith("作者 测试编辑乙 <editor2@example.invalid>：直接提交到 main，没有经过合并请求和审核人审批。")
    assert lines[2] == "    地区：秀英区（460105）；文件：records/460105/4601059001.yaml"
    assert lines[-1] == "结论：1 个提交未经有效审批（直接提交、自审自批、合并人无权审批、在合并时自己改动或签名无法验证等）。"
    data = json.loads(run("--format", "json").output)
    assert data["通过"] is False and data["未经审批"][0]["问题"] == ["直接提交到 main，没有经过合并请求和审核人审批。"]


def test_audit_walks_main_even_when_another_branch_is_checked_out(archive):
    archive.branch("work")
    archive.commit(EDITOR, "Unmerged work", {N1: household(N1, 备注="未合并")})
    assert audit(archive.root, since=archive.initial).ok


def test_audit_outside_a_repository_fails_in_chinese(tmp_path):
    (tmp_path / "records").mkdir()
    result = CliRunner().invoke(cli, ["audit", "--root", str(tmp_path)])
    assert result.exit_code == 1 and "档案库不在 git 仓库中" in result.output
