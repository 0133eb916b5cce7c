"""The pre-receive hook in a real bare repository with real pushes; CODEOWNERS and the forge files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from history_support import EDITOR, R4601, R4602, REPO, Archive, git, household
from hook_support import N1, N2, make_server, push, server_main

from generator.cli import cli
from generator.errors import UsageError
from generator.history.hooks import MARK, codeowners, install_hook


@pytest.fixture
def server(tmp_path) -> tuple[Path, Archive]:
    return make_server(tmp_path)


def test_an_approved_merge_is_accepted(server):
    bare, work = server
    merged = work.pull_request("edit", EDITOR, R4601, 2, {N1: household(N1, 备注="已核实")})
    done = push(work, "main", pusher="reviewer-4601")
    assert done.returncode == 0, done.stderr
    assert server_main(bare) == merged


def test_a_direct_commit_is_refused_with_the_reason(server):
    bare, work = server
    before = server_main(bare)
    work.commit(EDITOR, "Direct change", {N1: household(N1, 备注="直接")})
    done = push(work, "main")
    assert done.returncode != 0
    assert "remote: 拒绝推送到 main：" in done.stderr
    assert "Direct change：直接提交到 main，没有经过合并请求和审核人审批。" in done.stderr
    assert "由有权审批的审核人（不是作者本人）用 git merge --no-ff 合并到 main" in done.stderr
    assert server_main(bare) == before


@pytest.mark.parametrize(
    ("editor", "reviewer", "reason"),
    [
        (R4601, R4601, "由修改的作者 示例海口审核员 <reviewer-4601@example.invalid> 自己合并（自审自批）。"),
        (EDITOR, R4602, "合并人 示例三亚审核员 <reviewer-4602@example.invalid> 无权审批秀英区（460105）的档案。"),
    ],
    ids=["self-merge", "other-region"],
)
def test_merges_that_are_not_an_approval_are_refused(server, editor, reviewer, reason):
    bare, work = server
    before = server_main(bare)
    work.pull_request("edit", editor, reviewer, 3, {N1: household(N1, 备注="改")})
    done = push(work, "main")
    assert done.returncode != 0 and reason in done.stderr
    assert server_main(bare) == before


def test_an_invalid_record_is_refused_even_when_properly_merged(server):
    bare, work = server
    broken = household(N2, 家庭人口=0)
    work.pull_request("broken", EDITOR, R4601, 4, {N2: broken})
    done = push(work, "main")
    assert done.returncode != 0
    assert "remote: 档案校验未通过（" in done.stderr and "records/460105/4601059002.yaml" in done.stderr
    assert "家庭人口" in done.stderr


def test_rewriting_main_is_refused(server):
    bare, work = server
    git(work.root, "commit", "-q", "--amend", "-m", "Rewritten merge", who=R4601)
    done = push(work, "--force", "main")
    assert done.returncode != 0 and "不允许改写 main 的历史（强制推送）" in done.stderr


def test_deleting_main_is_refused(server):
    bare, work = server
    git(bare, "symbolic-ref", "HEAD", "refs/heads/keep")
    git(bare, "branch", "keep", "main")
    done = push(work, ":main")
    assert done.returncode != 0 and "不允许删除 main。" in done.stderr


def test_editors_push_their_branches_freely(server):
    bare, work = server
    work.branch("editor/fix")
    work.commit(EDITOR, "Work in progress", {N1: household(N1, 备注="草稿")})
    done = push(work, "editor/fix")
    assert done.returncode == 0, done.stderr


def test_the_hook_runs_this_interpreter_by_absolute_path(server):
    bare, _ = server
    text = (bare / "hooks" / "pre-receive").read_text(encoding="utf-8")
    assert MARK in text and sys.executable in text and str(REPO) in text
    assert (bare / "hooks" / "pre-receive").stat().st_mode & 0o111


def test_install_refuses_to_overwrite_another_hook_or_a_working_repository(tmp_path):
    bare = tmp_path / "other.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    (bare / "hooks" / "pre-receive").write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    with pytest.raises(UsageError, match="已有别的 pre-receive 钩子"):
        install_hook(bare)
    assert install_hook(bare, force=True).read_text(encoding="utf-8").count(MARK) == 1
    work = tmp_path / "work"
    git(tmp_path, "init", "-q", str(work))
    result = CliRunner().invoke(cli, ["hook", "install", "--bare", str(work)])
    assert result.exit_code == 2 and "不是裸仓库" in result.output


def test_codeowners_lists_every_reviewer_whose_scope_contains_the_county():
    text = codeowners(REPO, "github")
    lines = text.splitlines()
    assert "/records/_settings/ @reviewer-46" in lines
    assert "/records/460105/ @reviewer-460105 @reviewer-4601 @reviewer-46" in lines
    assert "/records/469005/ @reviewer-469005 @reviewer-46" in lines
    assert "/records/469021/ @reviewer-46" in lines
    assert "records/460105/.* @reviewer-460105 @reviewer-4601 @reviewer-46" in codeowners(REPO, "gitea").splitlines()


def test_codeowners_command_writes_and_checks(tmp_path):
    target = tmp_path / "CODEOWNERS"
    runner = CliRunner()
    written = runner.invoke(cli, ["codeowners", "--root", str(REPO), "--output", str(target)], catch_exceptions=False)
    assert written.exit_code == 0 and target.read_text(encoding="utf-8") == codeowners(REPO)
    same = runner.invoke(cli, ["codeowners", "--root", str(REPO), "--check", str(target)], catch_exceptions=False)
    assert same.exit_code == 0
    target.write_text("# stale\n", encoding="utf-8")
    stale = runner.invoke(cli, ["codeowners", "--root", str(REPO), "--check", str(target)], catch_exceptions=False)
    assert stale.exit_code == 1 and "与审核人名单不一致" in stale.output


@pytest.mark.parametrize("path", [".github/workflows/bangfu.yml", ".gitea/workflows/bangfu.yml", ".gitlab-ci.yml"])
def test_forge_workflows_validate_and_post_the_review(path):
    text = (REPO / path).read_text(encoding="utf-8")
    yaml.safe_load(text)
    assert "bangfu validate" in text and "bangfu review" in text and "--format markdown" in text


def test_pre_commit_hook_definition():
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "bangfu-validate" and hook["entry"].startswith("bangfu validate")
