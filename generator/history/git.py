"""Plumbing for history: one `git log` pass parsed, the commit graph, blobs in bulk, a tree on disk."""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import git

from generator import gitrun
from generator.errors import HistoryError, UsageError
from generator.records.cache import CACHE_DIR

RECORDS = "records/"
ZERO = "0" * 40
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
RENAME_SIMILARITY = "90%"  # two different households share most of their YAML; a move changes only a few lines
_FORMAT = "%x1e%H%x1f%P%x1f%T%x1f%an%x1f%ae%x1f%aI%x1f%cn%x1f%ce%x1f%cI%x1f%B%x1f"
# git's own order for a short ref name (git help revisions); a name two of these hold is ambiguous.
_DWIM = ("refs/{}", "refs/tags/{}", "refs/heads/{}", "refs/remotes/{}", "refs/remotes/{}/HEAD")
_REV_SUFFIX = re.compile(r"[\^~:]|@\{")
_HEX = re.compile(r"[0-9a-f]{4,40}")
# Only regular files are records, settings or schema; git stores these modes for anything else.
NOT_REGULAR = {"120000": "符号链接", "160000": "子模块（gitlink）"}
CHECKED_DIRS = ("records", "schema")


@dataclass(frozen=True)
class Identity:
    """A git identity; people are matched by e-mail, case-insensitively."""

    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def same(self, other: Identity) -> bool:
        return self.email.lower() == other.email.lower()

    def to_dict(self) -> dict:
        return {"姓名": self.name, "邮箱": self.email}


class FileChange(NamedTuple):
    """One file changed by a commit (against its first parent), paths relative to the archive root."""

    status: str  # A M D R T
    path: str
    old_path: str | None
    old_blob: str | None
    new_blob: str | None
    old_mode: str = ""  # git file modes: 100644, 100755, 120000 (symlink), 160000 (submodule)
    new_mode: str = ""


@dataclass
class RawCommit:
    sha: str
    parents: tuple[str, ...]
    author: Identity
    author_date: str
    committer: Identity
    date: str  # committer date, ISO 8601 with the committer's offset
    message: str
    files: list[FileChange] = field(default_factory=list)
    tree: str = ""
    outside: list[FileChange] = field(default_factory=list)  # files outside records/, paths from the repository top

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]


@dataclass
class GitArchive:
    """A git repository and where the archive root sits inside it."""

    repo: git.Repo  # found by gitpython; every git command goes through generator.gitrun (GitArchive.git)
    prefix: str  # "" or "sub/dir/" when the archive root is below the top of the repository

    @property
    def bare(self) -> bool:
        return self.repo.bare

    @property
    def git_dir(self) -> str:
        return self.repo.git_dir

    def git(self, *args: str, binary: bool = False, check: bool = True) -> str | bytes:
        """Run git in this repository (generator.gitrun): its output, GitFailed when it fails and check is true."""
        return gitrun.output(*args, cwd=self.repo.working_dir, binary=binary, check=check)

    def has_head(self) -> bool:
        """Whether HEAD names a commit (not in a repository without commits)."""
        return bool(self.git("rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False))

    def resolve(self, rev: str) -> str:
        """The full commit id of a revision, or a Chinese HistoryError.

        A short name must name one ref: with a tag and a branch both called `main`, git would silently
        read the tag (anyone who can push a tag could choose what `main` means).
        """
        if not rev or rev.startswith("-"):
            raise HistoryError(f"“{rev}”不是提交或分支的名字。")
        cut = _REV_SUFFIX.search(rev)
        name, rest = (rev[: cut.start()], rev[cut.start() :]) if cut else (rev, "")
        if name and not name.startswith("refs/") and name != "@":
            name = self.full_name(name)
        try:
            return self.git("rev-parse", "--verify", "--quiet", f"{name}{rest}^{{commit}}")
        except gitrun.GitFailed:
            raise HistoryError(f"找不到提交或分支“{rev}”。") from None

    def full_name(self, name: str) -> str:
        """The one ref a short name stands for (refs/heads/main for main), the name itself when no ref
        has it (a commit id), or a Chinese HistoryError when it could mean more than one thing."""
        candidates = [pattern.format(name) for pattern in _DWIM]
        existing = set(self.git("for-each-ref", "--format=%(refname)", *candidates).splitlines())
        found = [ref for ref in candidates if ref in existing]
        if re.fullmatch(r"[A-Z_]*HEAD", name) and (name == "HEAD" or os.path.exists(os.path.join(self.git_dir, name))):
            found.insert(0, name)  # HEAD, FETCH_HEAD, ORIG_HEAD: git reads these before any ref
        if found and _HEX.fullmatch(name) and self.git("rev-parse", f"--disambiguate={name}", check=False):
            found.append(f"以 {name} 开头的提交")
        if len(found) > 1:
            raise HistoryError(f"“{name}”有歧义：{'、'.join(found)} 都可以叫这个名字。请写全名，例如 {found[0]}。")
        return found[0] if found else name

    def is_ancestor(self, older: str, newer: str) -> bool:
        try:
            self.git("merge-base", "--is-ancestor", older, newer)
            return True
        except gitrun.GitFailed:
            return False

    def has_commit(self, sha: str) -> bool:
        try:
            self.git("cat-file", "-e", f"{sha}^{{commit}}")
            return True
        except gitrun.GitFailed:
            return False


def open_archive(root: Path) -> GitArchive | None:
    """The repository holding the archive root, or None when root is not in a git repository."""
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    if repo.bare:
        return GitArchive(repo, "")
    top = Path(repo.working_tree_dir).resolve()
    try:
        rel = Path(root).resolve().relative_to(top).as_posix()
    except ValueError:
        return None
    return GitArchive(repo, "" if rel == "." else rel + "/")


def repository_at(path: Path) -> GitArchive | None:
    """The repository whose git directory or working tree top is exactly `path` (a server's bare repository), or None."""
    try:
        return GitArchive(git.Repo(path), "")
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def read_log(archive: GitArchive, rev: str, since: str | None = None) -> dict[str, RawCommit]:
    """Every commit reachable from rev (and not from since) with its files, in one `git log` pass."""
    span = f"{since}..{rev}" if since else rev
    try:
        out = archive.git(
            "log",
            span,
            "-z",
            "--raw",
            "--no-abbrev",
            f"--find-renames={RENAME_SIMILARITY}",
            "--diff-merges=first-parent",
            f"--format={_FORMAT}",
            binary=True,
        )
    except gitrun.GitFailed as exc:
        if "does not have any commits" in (exc.stderr or ""):
            return {}
        raise HistoryError(f"无法读取 git 历史：{_stderr(exc)}") from None
    commits: dict[str, RawCommit] = {}
    for chunk in out.decode("utf-8", "replace").split("\x1e")[1:]:
        head, _, raw = chunk.partition("\x1f\0")
        sha, parents, tree, an, ae, ad, cn, ce, cd, message = head.split("\x1f", 9)
        commit = RawCommit(sha, tuple(parents.split()), Identity(an, ae), ad, Identity(cn, ce), cd, message.strip(), tree=tree)
        commit.files = parse_raw(raw, archive.prefix, commit.outside)
        commits[sha] = commit
    return commits


def parse_raw(raw: str, prefix: str, outside: list[FileChange] | None = None) -> list[FileChange]:
    """Parse `--raw -z` entries (":meta\0path\0", renames with two paths), keeping those under records/.

    outside: when given, the entries outside records/ are appended to it (paths from the repository top).
    """
    tokens = raw.split("\0")
    wanted = prefix + RECORDS
    cut = len(prefix)
    out: list[FileChange] = []
    i, end = 0, len(tokens) - 1
    while i < end:
        meta = tokens[i]
        colon = meta.find(":")
        if colon < 0:
            i += 1
            continue
        parts = meta[colon + 1 :].split(" ")
        status = parts[4][0]
        if status in "RC":
            old_path, path = tokens[i + 1], tokens[i + 2]
            i += 3
        else:
            old_path, path = None, tokens[i + 1]
            i += 2
        if status == "C":
            status, old_path = "A", None  # a copy leaves its source in place: for the archive it is a new file
        old_blob, new_blob = None if parts[2] == ZERO else parts[2], None if parts[3] == ZERO else parts[3]
        if not path.startswith(wanted) and not (old_path and old_path.startswith(wanted)):
            if outside is not None:
                outside.append(FileChange(status, path, old_path, old_blob, new_blob, parts[0], parts[1]))
            continue
        out.append(FileChange(status, path[cut:], old_path[cut:] if old_path else None, old_blob, new_blob, parts[0], parts[1]))
    return out


def diff_files(archive: GitArchive, old: str, new: str) -> list[FileChange]:
    """Files under records/ that differ between two revisions (renames detected as in the log pass)."""
    out = archive.git(
        "diff",
        "-z",
        "--raw",
        "--no-abbrev",
        f"--find-renames={RENAME_SIMILARITY}",
        old,
        new,
        "--",
        f"{archive.prefix}{RECORDS}",
        binary=True,
    )
    return parse_raw(out.decode("utf-8", "replace"), archive.prefix)


def first_parent_line(commits: dict[str, RawCommit], tip: str) -> list[str]:
    """The first-parent line from tip back to the root (or the edge of the log), newest first."""
    line, sha = [], tip
    while sha in commits:
        line.append(sha)
        parents = commits[sha].parents
        sha = parents[0] if parents else ""
    return line


def brought_in(commits: dict[str, RawCommit], line: list[str]) -> dict[str, list[str]]:
    """For each merge on the line, the commits it brought in (reachable from its other parents only)."""
    seen: set[str] = set()
    out: dict[str, list[str]] = {}
    for sha in reversed(line):
        commit = commits[sha]
        if len(commit.parents) > 1:
            visited, stack = [], list(commit.parents[1:])
            while stack:
                other = stack.pop()
                if other in seen or other not in commits:
                    continue  # outside the log means reachable from `since`, so already on main
                seen.add(other)
                visited.append(other)
                stack.extend(commits[other].parents)
            out[sha] = visited
        seen.add(sha)
    return out


def settings_blobs(archive: GitArchive, rev: str) -> dict[str, str]:
    """Blob ids of the settings files at a revision: path → blob."""
    listing = archive.git("ls-tree", "-r", "-z", rev, "--", f"{archive.prefix}{RECORDS}_settings/")
    out = {}
    for entry in filter(None, listing.split("\0")):
        meta, path = entry.split("\t", 1)
        out[path[len(archive.prefix) :]] = meta.split()[2]
    return out


class BlobReader:
    """Blobs by id through `git cat-file --batch`, never one process per blob."""

    def __init__(self, archive: GitArchive):
        self._git_dir = archive.git_dir

    def read(self, blob: str) -> bytes:
        """One blob."""
        return self.read_many([blob])[blob]

    def read_many(self, blobs: list[str]) -> dict[str, bytes]:
        """Blobs in one streamed `git cat-file --batch` run (ids written by a thread, so pipes never block).

        Not gitpython's persistent cat-file process: its pipes stay open until the repository object
        is garbage-collected, which a build (run with the collector off) postpones indefinitely.
        """
        wanted = list(dict.fromkeys(blobs))
        if not wanted:
            return {}
        proc = gitrun.popen(
            f"--git-dir={self._git_dir}",
            "cat-file",
            "--batch",
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

        def feed() -> None:
            with proc.stdin:
                proc.stdin.write("".join(f"{blob}\n" for blob in wanted).encode())

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        out: dict[str, bytes] = {}
        with proc.stdout:
            for blob in wanted:
                header = proc.stdout.readline().split()
                if len(header) != 3:
                    raise HistoryError(f"无法读取 git 对象 {blob[:12]}（仓库可能不完整）。")
                out[blob] = proc.stdout.read(int(header[2]))
                proc.stdout.read(1)  # the newline after each object
        writer.join()
        proc.wait()
        return out


def non_regular(archive: GitArchive, rev: str, dirs: tuple[str, ...] = CHECKED_DIRS) -> list[tuple[str, str]]:
    """(path, what it is) of every symlink or submodule under records/ and schema/ at rev.

    Read from the tree itself, so nothing is ever followed: a record that is a link to /etc/passwd or
    to docs/ must be refused, never read.
    """
    listing = archive.git("ls-tree", "-r", "-z", rev, "--", *[f"{archive.prefix}{d}" for d in dirs])
    out = []
    for entry in filter(None, listing.split("\0")):
        meta, path = entry.split("\t", 1)
        mode = meta.split()[0]
        if not mode.startswith("100"):
            out.append((path[len(archive.prefix) :], NOT_REGULAR.get(mode, f"git 模式 {mode}")))
    return out


def non_regular_message(path: str, what: str) -> str:
    return f"{path}：是{what}，不是普通文件。records/ 和 schema/ 下只能放普通文件，链接指向的内容不会被读取。"


@contextmanager
def checked_out(archive: GitArchive, rev: str, cache_root: Path):
    """An archive root holding rev's records/, sharing cache_root's caches.

    The files stay under cache_root between runs (with their own git index), so a push or a review
    writes only the files that changed since the last one; a lock keeps concurrent pushes apart.
    A tree holding anything but regular files under records/ is refused before anything is written.
    """
    wrong = non_regular(archive, rev, ("records",))
    if wrong:
        raise HistoryError("档案中有非普通文件，不能取出校验：\n" + "\n".join(non_regular_message(*w) for w in wrong))
    base = Path(cache_root) / CACHE_DIR
    records = base / "tree" / "records"
    records.mkdir(parents=True, exist_ok=True)
    with open(base / "tree.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        env = {"GIT_INDEX_FILE": str(base / "tree.index")}
        try:
            subtree = archive.git("rev-parse", "--verify", "--quiet", f"{rev}:{archive.prefix}{RECORDS.rstrip('/')}")
        except gitrun.GitFailed:
            subtree = EMPTY_TREE
        # core.symlinks=false: should a link ever get this far, it is written as a file holding its target's name.
        done = gitrun.run(
            "-c",
            "core.symlinks=false",
            f"--git-dir={archive.git_dir}",
            f"--work-tree={records}",
            "read-tree",
            "--reset",
            "-u",
            subtree,
            env=env,
            text=True,
        )
        if done.returncode:
            raise HistoryError(f"无法取出 {rev} 的档案：{done.stderr.strip()}")
        yield records.parent


def _stderr(exc: gitrun.GitFailed) -> str:
    text = exc.stderr.strip()
    return text.splitlines()[-1] if text else str(exc.status)


def is_shallow(archive: GitArchive) -> bool:
    return os.path.exists(os.path.join(archive.git_dir, "shallow"))


def split_range(spec: str) -> tuple[str, str]:
    """BASE and HEAD of BASE..HEAD (or BASE...HEAD); an empty side is HEAD."""
    for sep in ("...", ".."):
        if sep in spec:
            base, head = spec.split(sep, 1)
            return base or "HEAD", head or "HEAD"
    raise UsageError(f"“{spec}”不是 BASE..HEAD 形式，例如 main..editor/fix-income。")


def resolve_range(archive: GitArchive, spec: str) -> tuple[str, str, str]:
    """(merge base, base, head) of BASE..HEAD as commit ids; a Chinese HistoryError when the two share no history."""
    base_rev, head_rev = split_range(spec)
    base, head = archive.resolve(base_rev), archive.resolve(head_rev)
    try:
        merge_base = archive.git("merge-base", base, head)
    except gitrun.GitFailed:  # git says only "exit 1" when the histories share nothing
        raise HistoryError(f"{base_rev} 和 {head_rev} 没有共同的历史，无法比较。") from None
    return merge_base, base, head


def cache_root(archive: GitArchive, root: Path) -> Path:
    """Where the caches of an archive opened at root live: its git directory when bare."""
    return Path(archive.git_dir) if archive.bare else Path(root)
