"""How bangfu runs git itself: every git process it starts (gitpython's aside) is started here.

Replace objects are off for each of them (--no-replace-objects and GIT_NO_REPLACE_OBJECTS: a pushed
refs/replace/* must never make the hook, the audit or the history read one object in place of another),
output is captured, and the caller's environment changes are applied over the process's own.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping


def environment(changes: Mapping[str, str] | None = None, *, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a git process: `base` (default: this process's), replace objects off, then `changes`."""
    env = dict(os.environ if base is None else base)
    env["GIT_NO_REPLACE_OBJECTS"] = "1"
    env.update(changes or {})
    return env


def command(*args: str) -> list[str]:
    return ["git", "--no-replace-objects", *args]


def run(
    *args: str,
    env: Mapping[str, str] | None = None,
    base: Mapping[str, str] | None = None,
    text: bool = False,
    input: bytes | None = None,
    cwd: str | os.PathLike | None = None,
) -> subprocess.CompletedProcess:  # noqa: A002 - subprocess's name
    """Run git to completion with output captured; the caller reads returncode (git's exit status is an answer)."""
    return subprocess.run(
        command(*args), env=environment(env, base=base), capture_output=True, text=text, input=input, check=False, cwd=cwd
    )


class GitFailed(Exception):
    """git exited with a non-zero status; callers say what that means in Chinese."""

    def __init__(self, args: tuple[str, ...], status: int, stderr: str):
        super().__init__(f"git {' '.join(args)}: exit status {status}")
        self.status, self.stderr = status, stderr


def output(*args: str, cwd: str | os.PathLike | None = None, binary: bool = False, check: bool = True) -> str | bytes:
    """git's standard output without its final newline (text, or bytes when binary); GitFailed on failure when check."""
    done = run(*args, cwd=cwd)
    if check and done.returncode:
        raise GitFailed(args, done.returncode, done.stderr.decode("utf-8", "replace"))
    out = done.stdout.removesuffix(b"\n")
    return out if binary else out.decode("utf-8", "surrogateescape")


def popen(*args: str, env: Mapping[str, str] | None = None, **options) -> subprocess.Popen:
    """Start git for streaming (options go to subprocess.Popen: stdin, stdout, stderr)."""
    return subprocess.Popen(command(*args), env=environment(env), **options)
