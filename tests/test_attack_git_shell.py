"""Who reaches the hook: `git push --receive-pack='git -c core.hooksPath=/dev/null receive-pack'` skips it
through an ordinary shell account, and git-shell (the login shell the docs require) refuses that command.

sshd runs the requested command through the account's login shell; GIT_SSH_COMMAND stands in for ssh and
sshd with a script that does exactly that, in a clean environment, against the real bare repository."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from history_support import EDITOR, R4601, git, household
from hook_support import N1, make_server, pusher_env, server_main

from generator.cli import cli
from generator.errors import UsageError
from generator.history.hooks import install_hook

BYPASS = "git -c core.hooksPath=/dev/null receive-pack"
GIT_SHELL = shutil.which("git-shell") or "/usr/lib/git-core/git-shell"


@pytest.fixture
def server(tmp_path):
    return make_server(tmp_path)


def _login(tmp_path: Path, shell: str) -> Path:
    """A stand-in for `ssh host command` reaching an account whose login shell is `shell`."""
    script = tmp_path / f"ssh-{Path(shell).name}"
    script.write_text(
        f'#!/bin/sh\n# arguments (GIT_SSH_VARIANT=simple): host command\nexec env -i PATH="$PATH" HOME="$HOME" {shell} -c "$2"\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def _ssh_push(work, bare: Path, login: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**pusher_env(), "GIT_SSH_COMMAND": str(login), "GIT_SSH_VARIANT": "simple"}
    return subprocess.run(
        ["git", "push", "-q", f"ssh://server{bare}", *args], cwd=work.root, env=env, capture_output=True, text=True
    )


def test_an_ordinary_shell_account_skips_the_hook(server, tmp_path):
    """Why the docs forbid shell accounts for pushers: this push lands on main unchecked."""
    bare, work = server
    direct = work.commit(EDITOR, "Direct change", {N1: household(N1, 备注="直接")})
    done = _ssh_push(work, bare, _login(tmp_path, "/bin/sh"), f"--receive-pack={BYPASS}", "main")
    assert done.returncode == 0, done.stderr
    assert server_main(bare) == direct


def test_git_shell_refuses_the_bypass_and_every_push_meets_the_hook(server, tmp_path):
    bare, work = server
    before = server_main(bare)
    login = _login(tmp_path, GIT_SHELL)
    work.commit(EDITOR, "Direct change", {N1: household(N1, 备注="直接")})
    bypass = _ssh_push(work, bare, login, f"--receive-pack={BYPASS}", "main")
    assert bypass.returncode != 0 and "unrecognized command" in bypass.stderr
    assert server_main(bare) == before
    checked = _ssh_push(work, bare, login, "main")
    assert checked.returncode != 0
    assert "拒绝推送到 main：" in checked.stderr and "Direct change：直接提交到 main" in checked.stderr
    assert server_main(bare) == before
    git(work.root, "reset", "-q", "--hard", before)
    work.pull_request("edit", EDITOR, R4601, 2, {N1: household(N1, 备注="已核实")})
    # A plain git-shell account tells the hook nothing about who pushes: an approving merge is refused
    # (tests/test_attack_signing.py pushes it through a forced command that names the reviewer).
    unknown = _ssh_push(work, bare, login, "main")
    assert unknown.returncode != 0 and "无法确认推送人" in unknown.stderr
    assert server_main(bare) == before


def test_hook_install_checks_the_server_and_says_who_may_push(tmp_path):
    bare = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    git(bare, "config", "core.hooksPath", "/dev/null")
    with pytest.raises(UsageError, match="core.hooksPath=/dev/null.*装在这里的钩子不会运行"):
        install_hook(bare)
    git(bare, "config", "--unset", "core.hooksPath")
    with pytest.raises(UsageError, match="“tags/x y”不是有效的分支名"):
        install_hook(bare, "tags/x y")
    result = CliRunner().invoke(cli, ["hook", "install", "--bare", str(bare)], catch_exceptions=False)
    assert result.exit_code == 0
    assert "git-shell" in result.output and "服务器上谁能推送、怎样推送" in result.output
    assert git(bare, "config", "receive.fsckObjects") == "true"
    assert git(bare, "config", "core.logAllRefUpdates") == "always"
    assert "GIT_NO_REPLACE_OBJECTS=1" in (bare / "hooks" / "pre-receive").read_text(encoding="utf-8")
