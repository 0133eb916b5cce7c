"""A bare repository with the installed pre-receive hook, and pushes to it as an editor would make them."""

from __future__ import annotations

import subprocess
from pathlib import Path

from history_support import EDITOR, R4601, Archive, as_env, git, household

from generator.history.hooks import PUSHER_SOURCES, install_hook

N1, N2 = "4601059001", "4601059002"


def pusher_env(who=EDITOR, pusher: str | None = None, variable: str = "REMOTE_USER") -> dict:
    """A pusher's environment: not the test process's (importing bangfu sets GIT_NO_REPLACE_OBJECTS there),
    so the hook is seen protecting itself. pusher: the account the server reports in `variable` (a local push
    hands the environment to the hook as a web server hands REMOTE_USER to git-http-backend)."""
    env = as_env(who)
    for name in ("GIT_NO_REPLACE_OBJECTS", *PUSHER_SOURCES.values()):
        env.pop(name, None)
    if pusher is not None:
        env[variable] = pusher
    return env


def push(
    repo: Archive, *args: str, remote: str = "origin", pusher: str | None = None, variable: str = "REMOTE_USER"
) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", "push", "-q", remote, *args],
        cwd=repo.root,
        env=pusher_env(EDITOR, pusher, variable),
        capture_output=True,
        text=True,
    )


def make_server(tmp_path: Path) -> tuple[Path, Archive]:
    """A bare repository holding an approved history, with the hook installed afterwards."""
    bare = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    work = Archive(tmp_path / "work")
    work.pull_request("add", EDITOR, R4601, 1, {N1: household(N1), N2: household(N2)})
    git(work.root, "remote", "add", "origin", str(bare))
    assert push(work, "main").returncode == 0
    install_hook(bare, pusher_source="http")
    return bare, work


def server_main(bare: Path) -> str:
    return git(bare, "rev-parse", "refs/heads/main")
