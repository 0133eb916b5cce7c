"""After an approving merge: publish the site again from main and push main to the forge, in the background.

The approving request returns at once; a thread of the worker that merged runs the job. Only one job runs at a
time across every gunicorn worker (an exclusive lock on a file in the desk's state folder); an approval during a
job leaves a request behind (the `pending` file), and the job runs once more after the current one, for whatever
main is by then. The build is `bangfu build` in its own process (the desk's memory stays small), from a checkout
of main the desk keeps for it (a linked worktree, updated file by file), into the site folder the administrator
configured; it publishes atomically and re-renders only what changed, exactly as on the command line.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from generator import gitrun
from generator.desk.plumbing import MAIN, Git
from generator.desk.state import read_json, state_dir, write_json

log = logging.getLogger("bangfu.desk")
FORGE = re.compile(r"[A-Za-z0-9_@/][A-Za-z0-9@:/._~+-]*")  # an ssh or file URL, or a path: never an option to git
BUILD_TIMEOUT = 1800
PUSH_TIMEOUT = 120
BUILDING, PUBLISHED, FAILED = "正在发布", "已发布", "发布失败"


@dataclass(frozen=True)
class Status:
    """What the desk says about one merge: is its site live, did main reach the forge."""

    site: str | None  # BUILDING, PUBLISHED, FAILED, or None when no site is configured
    site_error: str
    forge: str | None  # "已推送", "推送失败", "正在推送", or None when no forge is configured
    forge_error: str


class Publisher:
    """The background job of one desk: at most one at a time, and one more after it when asked meanwhile."""

    def __init__(self, git: Git, site: Path | None, forge: str | None):
        self.git, self.site, self.forge = git, site, forge
        self.folder = state_dir(git) / "publish"
        self.folder.mkdir(exist_ok=True)
        self.pending = self.folder / "pending"
        self.taken = self.folder / "taken"

    @property
    def enabled(self) -> bool:
        return self.site is not None or self.forge is not None

    def after_merge(self, merged: str, *, wait: bool = False) -> threading.Thread | None:
        """Ask for one more job (main at `merged` or later) and start draining the queue in a thread."""
        if not self.enabled:
            return None
        write_json(self.pending, {"main": merged, "asked": time.time()})
        worker = threading.Thread(target=self.drain, name="bangfu-desk-publish", daemon=True)
        worker.start()
        if wait:
            worker.join()
        return worker

    def drain(self) -> None:
        """Run jobs while some are asked for; return at once when another thread or worker holds the lock."""
        while True:
            with open(self.folder / "lock", "a") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return  # the holder looks at `pending` again after it lets go
                try:
                    if self.pending.exists():
                        os.replace(self.pending, self.taken)
                    if self.taken.exists():  # asked now, or left by a job a restart cut short
                        self._job()
                        self.taken.unlink(missing_ok=True)
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
            if not self.pending.exists():
                return

    def _job(self) -> None:
        main = self.git.resolve(MAIN)
        if main is None:
            return
        if self.site is not None:
            self._publish(main)
        if self.forge is not None:
            self._push(main)

    def _publish(self, main: str) -> None:
        state = self.folder / "site.json"
        before = read_json(state) or {}
        published = before.get("published")
        write_json(state, {"state": BUILDING, "main": main, "published": published, "error": "", "started": time.time()})
        started = time.perf_counter()
        try:
            tree = self._checkout(main)
            # -P: the checkout is the working folder, and `python -m` would otherwise import a `generator/`
            # package committed there in place of the installed program (nothing a commit ships is run).
            done = subprocess.run(
                [sys.executable, "-P", "-m", "generator", "build", "--root", str(tree), "--out", str(self.site), "--timings"],
                cwd=tree,
                capture_output=True,
                timeout=BUILD_TIMEOUT,
                env={**os.environ, "LC_ALL": "C.UTF-8"},
            )
            ok, error = done.returncode == 0, _last_lines(done.stderr or done.stdout)
            summary = _last_lines(done.stdout, lines=2)
        except subprocess.TimeoutExpired:
            ok, error, summary = False, f"生成站点超过 {BUILD_TIMEOUT // 60} 分钟仍未完成，已停止。", ""
        except OSError as exc:
            ok, error, summary = False, f"无法生成站点：{exc.strerror or exc}。", ""
        seconds = round(time.perf_counter() - started, 2)
        if ok:
            done_state = {"state": PUBLISHED, "main": main, "published": main, "error": "", "seconds": seconds}
            write_json(state, {**done_state, "summary": summary})
            log.info("desk published: main=%s site=%s seconds=%.2f %s", main, self.site, seconds, summary.replace("\n", " "))
        else:
            write_json(state, {"state": FAILED, "main": main, "published": published, "error": error, "seconds": seconds})
            log.error("desk publish failed: main=%s: %s", main, error)

    def _checkout(self, main: str) -> Path:
        """The desk's own checkout of main for building (created once, then only changed files are rewritten)."""
        tree = self.folder / "checkout"
        if not (tree / ".git").exists():
            self._git("worktree", "prune")
            self._git("worktree", "add", "--detach", "--force", str(tree), main)
        else:
            self._git("-C", str(tree), "checkout", "--detach", "--force", main, here=False)
        return tree

    def _git(self, *args: str, here: bool = True) -> None:
        prefix = ("-C", str(self.git.root)) if here else ()
        done = gitrun.run(*prefix, *args, base=self.git.env)
        if done.returncode != 0:
            raise OSError(0, f"git {args[0] if here else args[2]} 失败：{done.stderr.decode('utf-8', 'replace').strip()[-300:]}")

    def _push(self, main: str) -> None:
        """main to the forge under its full name, never forced: a forge that moved on its own refuses, and it is said."""
        state = self.folder / "forge.json"
        before = read_json(state) or {}
        pushed = before.get("pushed")
        try:
            process = gitrun.popen(
                "-C",
                str(self.git.root),
                "push",
                "--porcelain",
                self.forge,
                f"{MAIN}:{MAIN}",
                env={"GIT_TERMINAL_PROMPT": "0", "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o ConnectTimeout=20"},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            try:
                out, err = process.communicate(timeout=PUSH_TIMEOUT)
                ok, error = process.returncode == 0, _last_lines(err or out)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                ok, error = False, f"推送超过 {PUSH_TIMEOUT} 秒没有完成，已停止。"
        except OSError as exc:
            ok, error = False, f"无法启动 git push：{exc.strerror or exc}。"
        if ok:
            write_json(state, {"pushed": main, "error": ""})
            log.info("desk pushed: main=%s forge=%s", main, self.forge)
        else:
            write_json(state, {"pushed": pushed, "error": error, "failed": main})
            log.error("desk push failed: main=%s forge=%s: %s", main, self.forge, error)

    def status(self, merged: str) -> Status:
        """Whether the site and the forge have the merge `merged` yet, and any error since."""
        site = forge = None
        site_error = forge_error = ""
        if self.site is not None:
            found = read_json(self.folder / "site.json") or {}
            if self._holds(found.get("published"), merged):
                site = PUBLISHED
            elif found.get("state") == FAILED and self._holds(found.get("main"), merged):
                site, site_error = FAILED, str(found.get("error") or "")
            else:
                site = BUILDING
        if self.forge is not None:
            found = read_json(self.folder / "forge.json") or {}
            if self._holds(found.get("pushed"), merged):
                forge = "已推送"
            elif found.get("error") and self._holds(found.get("failed"), merged):
                forge, forge_error = "推送失败", str(found["error"])
            else:
                forge = "正在推送"
        return Status(site, site_error, forge, forge_error)

    def _holds(self, commit, merged: str) -> bool:
        if not isinstance(commit, str) or not re.fullmatch(r"[0-9a-f]{40}", commit):
            return False
        done = gitrun.run("-C", str(self.git.root), "merge-base", "--is-ancestor", merged, commit, base=self.git.env)
        return done.returncode == 0


def _last_lines(raw: bytes, lines: int = 12, limit: int = 2000) -> str:
    """The end of a command's message (the build's Chinese error list), without terminal control sequences."""
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]|\r", "", raw.decode("utf-8", "replace")).strip()
    return "\n".join(text.splitlines()[-lines:])[-limit:]
