"""Approvals that cannot be forged (issue 13): the hook knows who pushes, and every approving merge is signed.

Real ssh-keygen keys (made at run time under tests/tmp), real pushes to a bare repository with the installed
hook, sshd's forced command emulated through GIT_SSH_COMMAND as in tests/test_attack_git_shell.py."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import sample_reviewers_text
from history_support import EDITOR, R46, R4601, Archive, git, household, key_entry, key_of, public_key, with_keys
from hook_support import N1, N2, make_server, push, pusher_env, server_main

from generator.cli import cli
from generator.errors import UsageError
from generator.history.hooks import authorized_keys_line, install_hook
from generator.history.log import read_history

GIT_SHELL = shutil.which("git-shell") or "/usr/lib/git-core/git-shell"
REVIEWERS = "records/_settings/reviewers.yaml"
SAMPLE = sample_reviewers_text()
FORGE = ("代码托管平台", "forge@example.invalid")


@pytest.fixture
def server(tmp_path):
    return make_server(tmp_path)


def forged_merge(work: Archive, number: int) -> str:
    """An editor's own merge of their own branch, committer typed as the Haikou reviewer; before 要求签名 only the
    pusher check stands between it and main."""
    work.branch(f"forged-{number}")
    work.commit(EDITOR, "Edit", {N1: household(N1, 备注=f"伪造{number}")})
    return work.merge(f"forged-{number}", EDITOR, number, committer=R4601, sign=None)  # unsigned: a warning only


@pytest.mark.parametrize(
    ("variable", "source"), [("GITEA_PUSHER_NAME", "gitea"), ("GL_USERNAME", "gitlab"), ("REMOTE_USER", "http")]
)
def test_a_forged_merge_is_refused_whatever_variable_names_the_reviewer(server, variable, source):
    bare, work = server
    before = server_main(bare)
    forged_merge(work, 2)
    git(bare, "config", "bangfu.pusherSource", "ssh")  # the server trusts its ssh forced command, not this variable
    done = push(work, "main", pusher="reviewer-4601", variable=variable)
    assert done.returncode != 0 and "无法确认推送人：服务器没有提供推送人（ssh：BANGFU_PUSHER 为空）" in done.stderr
    git(bare, "config", "bangfu.pusherSource", source)  # the variable is trusted, and names the real pusher
    done = push(work, "main", pusher="editor", variable=variable)
    assert done.returncode != 0 and "推送人 editor 不是审批人 示例海口审核员" in done.stderr
    git(bare, "config", "--unset", "bangfu.pusherSource")
    done = push(work, "main", pusher="reviewer-4601", variable=variable)
    assert done.returncode != 0 and "服务器没有设定推送人的来源" in done.stderr
    assert server_main(bare) == before


def _sshd(tmp_path: Path, account: str, email: str) -> Path:
    """A stand-in for ssh + sshd reaching the git account with this person's key: the key's forced command from
    authorized_keys (as `bangfu hook authorized-key` writes it) runs in a clean environment, the client's
    command only in SSH_ORIGINAL_COMMAND."""
    result = CliRunner().invoke(
        cli,
        ["hook", "authorized-key", "--account", account, "--key", f"{key_of(email)}.pub", "--git-shell", GIT_SHELL],
        catch_exceptions=False,
    )
    line = result.output.strip()
    assert line.endswith(f"{public_key(email).split()[1]} {account}") and ",restrict " in line
    command = re.match(r'command="((?:[^"\\]|\\.)*)"', line).group(1).replace('\\"', '"')
    script = tmp_path / f"sshd-{account}"
    script.write_text(
        "#!/bin/sh\n# arguments (GIT_SSH_VARIANT=simple): host command\n"
        f'exec env -i PATH="$PATH" HOME="$HOME" SSH_ORIGINAL_COMMAND="$2" /bin/sh -c {_sh(command)}\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def _sh(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _ssh_push(work: Archive, bare: Path, sshd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**pusher_env(), "GIT_SSH_COMMAND": str(sshd), "GIT_SSH_VARIANT": "simple"}
    return subprocess.run(
        ["git", "push", "-q", f"ssh://server{bare}", *args], cwd=work.root, env=env, capture_output=True, text=True
    )


def test_ssh_forced_commands_name_the_pusher_and_a_signed_merge_is_verified_in_a_fresh_clone(server, tmp_path):
    bare, work = server
    git(bare, "config", "bangfu.pusherSource", "ssh")
    before = server_main(bare)
    editor = _sshd(tmp_path, "editor", EDITOR[1])
    reviewer = _sshd(tmp_path, "reviewer-4601", R4601[1])
    bypass = _ssh_push(work, bare, editor, "--receive-pack=git -c core.hooksPath=/dev/null receive-pack", "main")
    assert bypass.returncode != 0 and "unrecognized command" in bypass.stderr
    forged_merge(work, 2)
    done = _ssh_push(work, bare, editor, "main")
    assert done.returncode != 0 and "推送人 editor 不是审批人" in done.stderr
    assert server_main(bare) == before
    git(work.root, "reset", "-q", "--hard", before)
    merged = work.pull_request("edit", EDITOR, R4601, 3, {N2: household(N2, 备注="已核实")})
    done = _ssh_push(work, bare, reviewer, "main")
    assert done.returncode == 0, done.stderr
    assert server_main(bare) == merged
    clone = tmp_path / "auditor"
    git(tmp_path, "clone", "-q", str(bare), str(clone))
    result = CliRunner().invoke(cli, ["audit", "--root", str(clone)], catch_exceptions=False)
    assert "提示：" not in result.output and f"{merged[:8]} 20" not in result.output, (
        result.output
    )  # neither unsigned nor flagged
    commit = read_history(clone).commits[0]
    assert commit.sha == merged and commit.signature == "签名有效" and commit.approved


def _listed(work: Archive, text: str, number: int, sign=True) -> str:
    """A province reviewer's signed merge of a settings change writing reviewers.yaml."""
    work.branch(f"settings-{number}")
    work.commit(EDITOR, "Change the reviewers list", {}, other={REVIEWERS: text})
    return work.merge(f"settings-{number}", R46, number, sign=sign)


def _verdicts(work: Archive) -> dict[str, tuple[bool, tuple[str, ...]]]:
    return {c.sha: (c.approved, c.reasons + c.notes) for c in read_history(work.root).commits}


@pytest.mark.parametrize("how", ["removed", "revoked"])
def test_a_removed_or_revoked_key_signs_nothing_after_but_its_earlier_merges_stay_valid(tmp_path, how):
    work = Archive(tmp_path / "work")
    earlier = work.pull_request("one", EDITOR, R4601, 1, {N1: household(N1)})
    entry = "" if how == "removed" else key_entry(R4601[1], revoked="2026-01-01")
    _listed(work, with_keys(SAMPLE, {R4601[1]: entry} | {e: key_entry(e) for e in _others(R4601)}), 2)
    later = work.pull_request("two", EDITOR, R4601, 3, {N2: household(N2)})
    verdicts = _verdicts(work)
    assert verdicts[earlier] == (True, ())
    assert not verdicts[later][0] and "签名无法验证" in verdicts[later][1][0]


def _others(*people) -> list[str]:
    emails = re.findall(r"(?m)^    邮箱: (\S+)$", SAMPLE)
    return [e for e in emails if e not in {p[1] for p in people}]


@pytest.mark.parametrize(("since", "until"), [("2020-01-01", "2021-01-01"), ("2099-01-01", "")], ids=["expired", "not-yet"])
def test_a_key_outside_its_dates_is_flagged(tmp_path, since, until):
    keys = {R4601[1]: key_entry(R4601[1], since=since, until=until)} | {e: key_entry(e) for e in _others(R4601)}
    work = Archive(tmp_path / "work", with_keys(SAMPLE, keys))
    merged = work.pull_request("one", EDITOR, R4601, 1, {N1: household(N1)})
    approved, reasons = _verdicts(work)[merged]
    assert not approved and "签名无法验证：合并的签名不能用合并之前 main 上经过审批的名单" in reasons[0]


def test_unsigned_merges_are_a_warning_until_signatures_are_required(tmp_path):
    work = Archive(tmp_path / "work")
    work.pull_request("one", EDITOR, R4601, 1, {N1: household(N1)})
    work.branch("two")
    work.commit(EDITOR, "Edit", {N1: household(N1, 备注="二")})
    unsigned = work.merge("two", R4601, 2, sign=None)
    required = _listed(work, with_keys(SAMPLE) + '要求签名: "2020-01-01"\n', 3)
    work.branch("four")
    work.commit(EDITOR, "Edit", {N1: household(N1, 备注="四")})
    late = work.merge("four", R4601, 4, sign=None)
    verdicts = _verdicts(work)
    assert verdicts[unsigned] == (True, ("签名无法验证：合并没有签名（审核人名单尚未要求签名，只作提示）。",))
    assert verdicts[required] == (True, ())
    assert verdicts[late] == (
        False,
        ("签名无法验证：合并没有签名，而审核人名单自 2020-01-01 起要求每个审批合并都由审批人签名。",),
    )
    report = CliRunner().invoke(cli, ["audit", "--root", str(work.root)], catch_exceptions=False)
    assert report.exit_code == 1 and late[:8] in report.output and "1 个审批合并没有签名" in report.output


def test_a_trailer_written_by_a_non_trusted_committer_is_flagged(tmp_path):
    listed = f"签名合并方:\n  - 名称: {FORGE[0]}\n    邮箱: {FORGE[1]}\n    账号: forge\n    公钥:\n{key_entry(FORGE[1])}"
    work = Archive(tmp_path / "work", with_keys(SAMPLE) + listed)
    work.branch("mine")
    work.commit(EDITOR, "Edit", {N1: household(N1)})
    message = "Merge pull request #5\n\nApproved-by: 示例海口审核员 <reviewer-4601@example.invalid>"
    merged = work.merge("mine", EDITOR, message=message, committer=FORGE, sign=key_of(EDITOR[1]))
    approved, reasons = _verdicts(work)[merged]
    assert not approved and "合并自称由签名合并方 代码托管平台 提交" in reasons[0]


def test_a_signature_by_a_key_added_in_the_same_merge_is_flagged(tmp_path):
    keys = {e: key_entry(e) for e in _others(R46)} | {R46[1]: ""}
    work = Archive(tmp_path / "work", with_keys(SAMPLE, keys))
    merged = _listed(work, with_keys(SAMPLE), 1)  # the province reviewer registers the key this merge is signed with
    approved, reasons = _verdicts(work)[merged]
    assert not approved and "签名无法验证" in reasons[0] and "由本次合并自己加入" in reasons[0]
    later = work.pull_request("next", EDITOR, R4601, 2, {N1: household(N1)})
    assert _verdicts(work)[later] == (True, ())  # the flagged change never took effect, R4601's key was there before


def test_the_households_history_page_says_when_a_signature_cannot_be_verified(tmp_path):
    from generator.pipeline import build_site

    work = Archive(tmp_path / "work")
    work.pull_request("one", EDITOR, R4601, 1, {N1: household(N1)})
    work.branch("two")
    work.commit(EDITOR, "Edit", {N2: household(N2)})
    work.merge("two", R4601, 2, sign=None)
    build_site(work.root, tmp_path / "site")
    pages = {p.parent.parent.name: p.read_text(encoding="utf-8") for p in (tmp_path / "site").rglob("history/index.html")}
    # The page words each change as `bangfu history` does (Change.summary), then says why.
    assert "审批 示例海口审核员，签名无法验证（合并请求 #2）</span>" in pages[N2] and "合并没有签名" in pages[N2]
    assert "签名无法验证" not in pages[N1] and "审批 示例海口审核员（合并请求 #1）" in pages[N1]


def test_an_authorized_keys_line_carries_no_free_text():
    key = public_key(R4601[1])
    for account in ("x y", 'a"b', "a\nb", "-x"):
        with pytest.raises(UsageError, match="账号"):
            authorized_keys_line(account, key)
    with pytest.raises(UsageError, match="公钥格式不对"):
        authorized_keys_line("zhangsan", 'ssh-ed25519 AAAA",command="sh')


def test_verdicts_are_checked_in_one_batch_and_kept_in_the_git_directory(tmp_path, monkeypatch):
    from generator.history import signatures

    work = Archive(tmp_path / "work")
    merges = [work.pull_request(f"b{i}", EDITOR, R4601, i, {N1: household(N1, 备注=str(i))}) for i in range(1, 4)]
    calls: list[list[str]] = []
    real = signatures._check
    monkeypatch.setattr(
        signatures, "_check", lambda env, path, shas, signers: calls.append(shas) or real(env, path, shas, signers)
    )
    assert all(c.signature == "签名有效" for c in read_history(work.root).commits[:3])
    assert len(calls) == 1 and sorted(calls[0]) == sorted(merges)  # one git run for every merge under one list
    kept = (work.root / ".git" / signatures.CACHE).read_text(encoding="utf-8")
    assert all(f"{sha}\t" in kept and "\tgood\t" in kept for sha in merges)
    assert all(c.signature == "签名有效" for c in read_history(work.root).commits[:3])
    assert len(calls) == 1  # the second reading asks git nothing


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('      - 公钥: "ssh-ed25519 AAAA\\"x"\n        生效日期: "2026-01-01"\n', "公钥"),
        ('      - 公钥: "{key}"\n        生效日期: "2026-02-30"\n', "“2026-02-30”不是有效的日期"),
        ('      - 公钥: "{key}"\n        生效日期: "2026-02-01"\n        失效日期: "2026-01-01"\n', "失效日期必须晚于生效日期"),
        ('      - 公钥: "{other}"\n        生效日期: "2026-01-01"\n', "这把公钥已登记在另一个人"),
    ],
    ids=["key", "date", "order", "shared"],
)
def test_a_bad_key_entry_is_refused_naming_file_line_and_field(entry, message):
    from generator.access.reviewers import parse_reviewers
    from generator.errors import RecordError

    entry = entry.replace("{key}", public_key(R4601[1])).replace("{other}", public_key(R46[1]))
    text = with_keys(SAMPLE, {R46[1]: key_entry(R46[1]), R4601[1]: entry})
    with pytest.raises(RecordError) as caught:
        parse_reviewers(text.encode())
    problem = caught.value.problems[0]
    line = text.splitlines().index(next(x for x in text.splitlines() if x.startswith("    公钥:"))) + 1
    assert problem.path == REVIEWERS and problem.line is not None and problem.line > line
    assert message in problem.to_text() and "公钥" in problem.to_text()


def test_a_key_change_is_a_settings_change_only_a_province_reviewer_approves(tmp_path):
    work = Archive(tmp_path / "work")
    rotated = {R4601[1]: key_entry(R4601[1], until="2026-01-01") + key_entry(R4601[1], "new")}
    listing = with_keys(SAMPLE, rotated | {e: key_entry(e) for e in _others(R4601)})
    work.branch("own-key")
    work.commit(EDITOR, "Rotate my key", {}, other={REVIEWERS: listing})
    by_city = work.merge("own-key", R4601, 1)  # a city reviewer cannot approve the list, not even their own key
    signed_new = work.pull_request("one", EDITOR, R4601, 2, {N1: household(N1)})
    verdicts = _verdicts(work)
    assert not verdicts[by_city][0] and "无权审批海南省（46）的档案" in verdicts[by_city][1][0]
    assert verdicts[signed_new] == (True, ())  # the rotation never took effect: the old key still signs
    by_province = _listed(work, listing + "# 已核对新公钥的指纹\n", 3)  # approving the file makes all of it take effect
    work.branch("two")
    work.commit(EDITOR, "Edit", {N1: household(N1, 备注="二")})
    new_key = work.merge("two", R4601, 4, sign=key_of(R4601[1], "new"))
    old_key = work.pull_request("three", EDITOR, R4601, 5, {N2: household(N2)})
    verdicts = _verdicts(work)
    assert verdicts[by_province] == (True, ()) and verdicts[new_key] == (True, ())
    assert not verdicts[old_key][0] and "签名无法验证" in verdicts[old_key][1][0]  # expired on 2026-01-01


def test_review_shows_the_fingerprint_of_a_key_a_branch_adds_as_ssh_keygen_prints_it(tmp_path):
    from generator.history.review import review

    keys = {e: key_entry(e) for e in _others(R46)} | {R46[1]: ""}
    work = Archive(tmp_path / "work", with_keys(SAMPLE, keys))
    work.branch("key")
    work.commit(EDITOR, "Register a key", {}, other={REVIEWERS: with_keys(SAMPLE, keys | {R46[1]: key_entry(R46[1])})})
    printed = subprocess.run(["ssh-keygen", "-lf", f"{key_of(R46[1])}.pub"], capture_output=True, text=True, check=True)
    fingerprint = printed.stdout.split()[1]
    text = review(work.root, "refs/heads/main..refs/heads/key").to_markdown()
    assert f"新增公钥：reviewer-46@example.invalid 的 {fingerprint}（生效日期 2020-01-01）" in text
    assert "批准前请与本人当面或电话核对这个指纹" in text


def test_a_typed_trailer_under_a_bot_account_is_refused_when_the_editor_clicks_merge(tmp_path):
    """The issue's case: 合并账号 configured, the editor merges their own request typing a reviewer's Approved-by."""
    bot = ("Gitea", "gitea@example.invalid")
    bare = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    work = Archive(tmp_path / "work", with_keys(SAMPLE) + f"合并账号:\n  - {bot[1]}\n")
    git(work.root, "remote", "add", "origin", str(bare))
    assert push(work, "main").returncode == 0  # the import, before the hook
    install_hook(bare, pusher_source="gitea")
    work.branch("mine")
    work.commit(EDITOR, "Edit", {N1: household(N1)})
    message = "Merge pull request 'mine' (#4)\n\nApproved-by: 示例海口审核员 <reviewer-4601@example.invalid>"
    work.merge("mine", bot, message=message, sign=None)
    assert not read_history(work.root).commits[0].reasons  # before 要求签名 the audit only notes it ...
    done = push(work, "main", pusher="editor", variable="GITEA_PUSHER_NAME")
    assert done.returncode != 0 and "推送人 editor 不是审批人 示例海口审核员" in done.stderr  # ... the server knows better
    assert server_main(bare) == work.initial


def test_a_signature_that_is_not_ssh_is_never_taken_to_git(tmp_path):
    """Signer names of GPG signatures come from the auditor's keyring: such a merge is flagged without asking."""
    work = Archive(tmp_path / "work")
    merged = work.pull_request("one", EDITOR, R4601, 1, {N1: household(N1)})
    raw = git(work.root, "cat-file", "commit", merged) + "\n"
    head, _, message = raw.partition("\n\n")
    head = re.sub(r"(?ms)^gpgsig .*?-----END SSH SIGNATURE-----\n?", "", head + "\n").rstrip("\n")
    forged = f"{head}\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n\n{message}"
    done = subprocess.run(
        ["git", "hash-object", "-t", "commit", "-w", "--stdin"],
        cwd=work.root,
        input=forged,
        capture_output=True,
        text=True,
        check=True,
    )
    git(work.root, "update-ref", "refs/heads/main", done.stdout.strip())
    commit = read_history(work.root).commits[0]
    assert commit.sha == done.stdout.strip() and not commit.approved
    assert "签名无法验证" in commit.reasons[0] and "不是 SSH 签名" in commit.reasons[0]


def test_hook_install_sets_the_pusher_source_in_the_servers_own_config(tmp_path):
    bare = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    first = CliRunner().invoke(cli, ["hook", "install", "--bare", str(bare)], catch_exceptions=False)
    assert first.exit_code == 0 and "还没有设定推送人的来源（--pusher-source）" in first.output
    second = CliRunner().invoke(cli, ["hook", "install", "--bare", str(bare), "--pusher-source", "ssh"], catch_exceptions=False)
    assert second.exit_code == 0 and "推送人的来源" not in second.output
    assert git(bare, "config", "--local", "bangfu.pusherSource") == "ssh"
    wrong = CliRunner().invoke(cli, ["hook", "install", "--bare", str(bare), "--pusher-source", "env"])
    assert wrong.exit_code == 2 and git(bare, "config", "--local", "bangfu.pusherSource") == "ssh"


def test_without_ssh_keygen_a_signature_is_not_verifiable_and_nothing_is_remembered(tmp_path, monkeypatch):
    from generator.history import signatures

    work = Archive(tmp_path / "work")
    merged = work.pull_request("one", EDITOR, R4601, 1, {N1: household(N1)})
    bare_path = tmp_path / "bin"
    bare_path.mkdir()
    (bare_path / "git").symlink_to(shutil.which("git"))
    monkeypatch.setenv("PATH", str(bare_path))
    commit = read_history(work.root).commits[0]
    assert commit.sha == merged and not commit.approved and "本机没有 ssh-keygen" in commit.reasons[0]
    assert merged not in (work.root / ".git" / signatures.CACHE).read_text(encoding="utf-8")
    monkeypatch.undo()
    assert read_history(work.root).commits[0].signature == "签名有效"
