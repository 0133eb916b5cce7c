"""Attacks through refs, against a real bare repository with the installed hook: replace refs that show a
harmless commit in place of an unapproved one, a tag called main, refs outside branches and tags."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from history_support import EDITOR, R4601, Archive, git, household
from hook_support import N1, N2, make_server, push, server_main

from generator.cli import cli
from generator.errors import HistoryError
from generator.history.audit import audit
from generator.history.review import review


@pytest.fixture
def server(tmp_path):
    return make_server(tmp_path)


def _cover(work: Archive) -> tuple[str, str]:
    """(x, h): x an unapproved direct commit of an invalid record on main; h an approved, valid merge kept on
    branch `cover` — the commit git would show in x's place under refs/replace/x."""
    start = work.head("main")
    h = work.pull_request("cover", EDITOR, R4601, 5, {N1: household(N1, 备注="已核实")})
    git(work.root, "branch", "-f", "cover", h)
    git(work.root, "reset", "-q", "--hard", start)
    x = work.commit(EDITOR, "Direct change", {N2: household(N2, 家庭人口=0)})
    return x, h


def test_pushing_a_replace_ref_is_refused(server):
    bare, work = server
    x, h = _cover(work)
    git(work.root, "replace", x, h)
    done = push(work, f"refs/replace/{x}", "main")
    assert done.returncode != 0
    assert f"不允许推送 refs/replace/{x}：replace 引用" in done.stderr
    assert git(bare, "for-each-ref", "refs/replace/") == ""


def test_a_replace_ref_planted_on_the_server_does_not_hide_an_unapproved_commit(server):
    bare, work = server
    before = server_main(bare)
    x, h = _cover(work)
    assert push(work, "cover:refs/heads/editor/cover").returncode == 0  # any editor may push a branch
    git(bare, "update-ref", f"refs/replace/{x}", h)  # planted past the hook
    done = push(work, "main")
    assert done.returncode != 0
    assert "Direct change：直接提交到 main，没有经过合并请求和审核人审批。" in done.stderr
    assert "档案校验未通过" in done.stderr and "家庭人口" in done.stderr
    assert server_main(bare) == before


def test_a_replace_ref_on_the_server_does_not_let_a_force_push_rewind_main(server):
    bare, work = server
    old = server_main(bare)
    newer = work.pull_request("more", EDITOR, R4601, 6, {N2: household(N2, 备注="已核实")})
    assert push(work, "main", pusher="reviewer-4601").returncode == 0
    # z: a fake "approved merge" on top of main whose tree is the old one; shown in place of the old commit,
    # the old commit would seem to descend from main.
    work.branch("rewind", newer)
    edit = work.commit(EDITOR, "Edit", {N1: household(N1, 备注="改")})
    z = git(
        work.root,
        "commit-tree",
        f"{old}^{{tree}}",
        "-p",
        newer,
        "-p",
        edit,
        "-m",
        "Merge pull request #7 from editor/rewind",
        who=R4601,
    )
    assert push(work, f"{z}:refs/heads/editor/rewind").returncode == 0
    git(bare, "update-ref", f"refs/replace/{old}", z)
    done = push(work, "--force", f"{old}:refs/heads/main")
    assert done.returncode != 0 and "不允许改写 main 的历史（强制推送）" in done.stderr
    assert server_main(bare) == newer


def test_audit_of_a_mirror_holding_replace_refs_still_flags_the_commit(tmp_path):
    work = Archive(tmp_path / "work")
    work.pull_request("add", EDITOR, R4601, 1, {N1: household(N1)})
    x, h = _cover(work)
    git(work.root, "replace", x, h)
    mirror = tmp_path / "mirror.git"
    git(tmp_path, "clone", "-q", "--mirror", str(work.root), str(mirror))
    assert git(mirror, "for-each-ref", "--format=%(refname)", "refs/replace/") == f"refs/replace/{x}"
    report = audit(mirror)
    assert x in [c.sha for c in report.findings]
    result = CliRunner().invoke(cli, ["audit", "--root", str(mirror)], catch_exceptions=False)
    assert result.exit_code == 1 and f"{x[:8]} " in result.output and "直接提交到 main" in result.output


def test_a_tag_named_main_does_not_make_audit_read_the_tag(tmp_path):
    work = Archive(tmp_path / "work")
    approved = work.pull_request("add", EDITOR, R4601, 1, {N1: household(N1)})
    x = work.commit(EDITOR, "Direct change", {N1: household(N1, 备注="直接")})
    git(work.root, "tag", "main", approved)
    report = audit(work.root)
    assert report.history.head == x and x in [c.sha for c in report.findings]


def test_an_ambiguous_short_name_is_an_error_for_review(tmp_path):
    work = Archive(tmp_path / "work")
    work.pull_request("add", EDITOR, R4601, 1, {N1: household(N1)})
    work.branch("edit")
    work.commit(EDITOR, "Edit", {N1: household(N1, 备注="改")})
    git(work.root, "tag", "main", "edit")  # `main..edit` would compare edit with itself: nothing to review
    with pytest.raises(HistoryError, match="“main”有歧义：refs/tags/main、refs/heads/main 都可以叫这个名字"):
        review(work.root, "main..edit")
    result = CliRunner().invoke(cli, ["review", "main..edit", "--root", str(work.root)])
    assert result.exit_code == 1 and "有歧义" in result.output and "Traceback" not in result.output
    assert review(work.root, "refs/heads/main..edit").households


@pytest.mark.parametrize("ref", ["refs/tags/main", "refs/heads/tags/main", "refs/heads/refs/heads/main"])
def test_a_branch_or_tag_that_could_be_taken_for_main_is_refused(server, ref):
    bare, work = server
    done = push(work, f"HEAD:{ref}")
    assert done.returncode != 0
    assert f"不允许推送 {ref}：这个名字会与受保护的分支 main 混淆" in done.stderr
    assert git(bare, "for-each-ref", ref) == ""


def test_refs_outside_branches_and_tags_need_the_servers_own_config(server):
    bare, work = server
    git(work.root, "notes", "add", "-m", "笔记", "HEAD")
    refused = push(work, "refs/notes/commits")
    assert (
        refused.returncode != 0
        and "不允许推送 refs/notes/commits：服务器只接受分支（refs/heads/）和标签（refs/tags/）" in refused.stderr
    )
    git(bare, "config", "--add", "bangfu.allowRefs", "refs/notes/*")
    assert push(work, "refs/notes/commits").returncode == 0
    git(bare, "config", "--add", "bangfu.allowRefs", "refs/*")
    x, h = _cover(work)
    git(work.root, "replace", x, h)
    assert "replace 引用" in push(work, f"refs/replace/{x}").stderr  # never, whatever the config says
