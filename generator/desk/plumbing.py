"""Git plumbing for the desk: change-request branches and approving merges, never through a working tree.

Every write builds its objects in a temporary index outside the repository and moves a ref with `update-ref`
naming the value it expects, so two requests at once cannot overwrite each other: the second one fails and
is told to try again. Refs are always full names; replace objects are off.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from generator import gitrun
from generator.errors import BangfuError

MAIN = "refs/heads/main"
PREFIX = "refs/heads/desk/"
CLOSED = "refs/desk-closed/"  # returned or rejected requests, kept with their reason
ZERO = "0" * 40
_SHA = re.compile(r"[0-9a-f]{40}")
# refs/heads/desk/<user>/<职工编号>-<n>; user names are the ones access.yaml allows (no "/" in them)
_TAIL = r"([A-Za-z0-9][A-Za-z0-9._@+-]{0,99})/([1-9][0-9]{9})-([1-9][0-9]{0,5})"
_REQUEST = re.compile(re.escape(PREFIX) + _TAIL)
_PATTERNS = {PREFIX: _REQUEST, CLOSED: re.compile(re.escape(CLOSED) + _TAIL)}
RECORD = re.compile(r"records/([1-9][0-9]{5})/([1-9][0-9]{9})\.yaml")


class PlumbingError(BangfuError):
    """A git command of the desk failed, or a ref moved meanwhile."""


class Conflict(PlumbingError):
    """git's line merge of a request onto main does not apply cleanly."""


@dataclass(frozen=True)
class Person:
    """A git identity the desk writes: name and e-mail from the approved settings, never from the client."""

    name: str
    email: str

    def __post_init__(self):
        for value in (self.name, self.email):
            if not value or re.search(r"[<>\x00-\x1f\x7f]", value):
                raise PlumbingError(f"身份“{value!r}”不能写进 git 提交（含有尖括号或控制字符）。")

    def env(self, role: str) -> dict[str, str]:
        return {f"GIT_{role}_NAME": self.name, f"GIT_{role}_EMAIL": self.email}

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


@dataclass(frozen=True)
class Request:
    """One change request: its branch, owner, household and tip."""

    ref: str
    user: str
    number: str
    serial: int
    head: str

    @property
    def county(self) -> str:
        return self.number[:6]


class Git:
    """One repository, run with a fixed environment (no replace objects, no user config, no hooks of ours)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root),
            "GIT_NO_REPLACE_OBJECTS": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "LC_ALL": "C.UTF-8",
            "TZ": "UTC",
        }

    def run(self, *args: str, data: bytes | None = None, extra: dict | None = None, check: bool = True) -> str:
        done = gitrun.run("-C", str(self.root), *args, input=data, env=extra, base=self.env)
        if check and done.returncode != 0:
            raise PlumbingError(f"git {args[0]} 失败：{done.stderr.decode('utf-8', 'replace').strip()[-300:]}")
        return done.stdout.decode("utf-8", "replace").strip()

    def resolve(self, ref: str) -> str | None:
        out = self.run("rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False)
        return out if _SHA.fullmatch(out) else None

    def blob(self, commit: str, path: str) -> bytes | None:
        done = gitrun.run("-C", str(self.root), "cat-file", "blob", f"{commit}:{path}", base=self.env)
        return done.stdout if done.returncode == 0 else None

    def blobs(self, commit: str, paths: list[str]) -> dict[str, bytes]:
        """Many files of one commit in one `git cat-file --batch` (a county's households for a search)."""
        if not paths:
            return {}
        done = gitrun.run(
            "-C", str(self.root), "cat-file", "--batch", input="".join(f"{commit}:{p}\n" for p in paths).encode(), base=self.env
        )
        out, data, i = {}, done.stdout, 0
        for path in paths:
            end = data.find(b"\n", i)
            if end < 0:
                break
            head = data[i:end].split()
            if len(head) != 3 or head[1] != b"blob":
                i = end + 1  # "<name> missing": no body follows
                continue
            size = int(head[2])
            out[path] = data[end + 1 : end + 1 + size]
            i = end + 1 + size + 1
        return out

    def records(self, commit: str) -> list[str]:
        """Every household file at a commit (records/<county>/<职工编号>.yaml)."""
        out = self.run("ls-tree", "-r", "--name-only", "-z", commit, "--", "records/")
        return [p for p in out.split("\0") if RECORD.fullmatch(p)]

    def requests(self, prefix: str = PREFIX) -> list[Request]:
        """The open change requests, or with prefix=CLOSED the returned and rejected ones."""
        out = self.run("for-each-ref", "--format=%(refname) %(objectname)", prefix)
        found = []
        for line in out.splitlines():
            ref, _, sha = line.partition(" ")
            match = _PATTERNS[prefix].fullmatch(ref)
            if match and _SHA.fullmatch(sha):
                found.append(Request(ref, match[1], match[2], int(match[3]), sha))
        return found

    def request(self, ref: str) -> Request | None:
        return next((r for r in self.requests() if r.ref == ref), None)

    def changed(self, base: str, head: str) -> list[str]:
        """Paths a branch changes against its merge base with main."""
        merge_base = self.run("merge-base", base, head)
        out = self.run("diff-tree", "-r", "--no-renames", "--name-only", "-z", merge_base, head)
        return [p for p in out.split("\0") if p]

    def update_ref(self, ref: str, new: str, old: str, reason: str) -> None:
        done = gitrun.run("-C", str(self.root), "update-ref", "-m", reason, ref, new, old, base=self.env)
        if done.returncode != 0:
            raise PlumbingError("档案库在此期间已被别人修改（分支已移动），请重新打开后再试。")

    def commit_file(self, base: str, path: str, content: bytes, author: Person, message: str) -> str:
        """A commit on top of `base` that writes one file, built in a temporary index."""
        return self.commit_files(base, {path: content}, author, message)

    def commit_files(self, base: str, files: dict[str, bytes], author: Person, message: str) -> str:
        """A commit on top of `base` that writes these files, built in a temporary index outside the repository."""
        with tempfile.TemporaryDirectory(prefix="bangfu-desk-") as scratch:
            extra = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            self.run("read-tree", base, extra=extra)
            for path, content in files.items():
                blob = self.run("hash-object", "-w", "--stdin", data=content)
                self.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", extra=extra)
            tree = self.run("write-tree", extra=extra)
        return self.run(
            "commit-tree",
            tree,
            "-p",
            base,
            "-F",
            "-",
            data=message.encode(),
            extra={**author.env("AUTHOR"), **author.env("COMMITTER")},
        )

    def author_of(self, commit: str) -> Person:
        name, _, email = self.run("log", "-1", "--format=%an%x00%ae", commit).partition("\0")
        return Person(name, email)

    def submit(self, user: str, number: str, path: str, content: bytes, author: Person, message: str) -> Request:
        """A new change-request branch refs/heads/desk/<user>/<职工编号>-<n> from main, created only if absent."""
        return self.submit_files(user, number, {path: content}, author, message)

    def submit_files(
        self, user: str, number: str, files: dict[str, bytes], author: Person, message: str, base: str | None = None
    ) -> Request:
        """The same for several files at once (a workbook's households), on `base` (default: main now)."""
        base = base or self.resolve(MAIN)
        if base is None:
            raise PlumbingError("档案库没有 main 分支。")
        # closed requests keep their ref under CLOSED: a new one never reuses their serial (closing it would fail)
        taken = {r.serial for r in [*self.requests(), *self.requests(CLOSED)] if r.user == user and r.number == number}
        serial = max(taken, default=0) + 1
        ref = f"{PREFIX}{user}/{number}-{serial}"
        if not _REQUEST.fullmatch(ref):
            raise PlumbingError(f"无法为用户“{user}”建立修改请求分支。")
        commit = self.commit_files(base, files, author, message)
        self.update_ref(ref, commit, ZERO, f"bangfu desk: {user} submits {number}")
        return Request(ref, user, number, serial, commit)

    def merge(self, request: Request, author: Person, committer: Person, key: Path, message: str, main: str | None = None) -> str:
        """A signed --no-ff merge of the request into main (two parents), moving main only from the value merged on
        (`main`: the commit the caller checked the merge against; if main has moved since, nothing is merged)."""
        main = main or self.resolve(MAIN)
        if main is None:
            raise PlumbingError("档案库没有 main 分支。")
        done = gitrun.run("-C", str(self.root), "merge-tree", "--write-tree", "--no-messages", main, request.head, base=self.env)
        tree = done.stdout.decode().split("\n", 1)[0].strip()
        if done.returncode != 0 or not _SHA.fullmatch(tree):
            raise Conflict("这个修改请求与 main 上的新修改冲突，不能合并；请退回经办人重新提交。")
        commit = self.run(
            "-c",
            "gpg.format=ssh",
            "-c",
            f"user.signingkey={key}",
            "commit-tree",
            "-S",
            tree,
            "-p",
            main,
            "-p",
            request.head,
            "-F",
            "-",
            data=message.encode(),
            extra={**author.env("AUTHOR"), **committer.env("COMMITTER")},
        )
        self.update_ref(MAIN, commit, main, f"bangfu desk: merge {request.ref}")
        self.update_ref(request.ref, ZERO, request.head, "bangfu desk: merged")
        return commit

    def close(self, request: Request, reviewer: Person, reason: str) -> None:
        """Return or reject: the branch moves to refs/desk-closed/… so the request and its reason stay in the repository."""
        closed = CLOSED + request.ref.removeprefix(PREFIX)
        tree = self.run("rev-parse", f"{request.head}^{{tree}}")
        note = self.run(
            "commit-tree",
            tree,
            "-p",
            request.head,
            "-F",
            "-",
            data=reason.encode(),
            extra={**reviewer.env("AUTHOR"), **reviewer.env("COMMITTER")},
        )
        self.update_ref(closed, note, ZERO, "bangfu desk: closed")
        self.update_ref(request.ref, ZERO, request.head, "bangfu desk: closed")
